"""The character autoencoder (Pretrainer), the latent GAN nets and latent projection."""
from __future__ import annotations

import dataclasses
import sys

import numpy as np
import pytest
import torch

from studio.core import devices
from studio.domains.text import DOMAIN
from studio.domains.text.autoencoder import reconstruction_accuracy
from studio.domains.text.corpus import import_text_folder
from studio.domains.text.nets import project_to_z

TINY_NET = {"ae_steps": 60, "ae_lr": 3e-3, "emb_dim": 16, "hidden": 64, "code_dim": 16, "g_hidden": 32, "d_hidden": 32}


def tiny_preset(**net):
    base = DOMAIN.presets["cpu-small"]
    return dataclasses.replace(base, z_dim=8, batch_size=16, net={**base.net, **TINY_NET, **net})


@pytest.fixture
def corpus(tmp_path):
    animals = ("cat", "dog", "owl", "fox", "hen")
    places = ("hill", "moor", "barn", "wood", "lake")
    lines = [f"the {a} sleeps by the {p}" for a in animals for p in places]
    lines += [f"a {a} sings to the {p}" for a in animals for p in places]
    (tmp_path / "lines").mkdir()
    (tmp_path / "lines" / "a.txt").write_text("\n".join(lines), "utf-8")
    return import_text_folder(tmp_path / "lines", {"heldout": 0.0, "max_len": 32})


def test_package_import_does_not_load_torch():
    import subprocess

    code = "import sys, studio.domains.text as t; t.DOMAIN.presets; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("bf16", [False, True], ids=["float32", "bfloat16"])
def test_autoencoder_learns_to_reconstruct(corpus, monkeypatch, bf16):
    """Also in bfloat16 autocast (forced here, emulated on CPUs without it): the weights stay float32."""
    monkeypatch.setattr(devices, "cpu_has_native_bf16", lambda: True)
    torch.manual_seed(0)
    preset = tiny_preset(ae_mixed_precision=bf16)
    pre = DOMAIN.pretrainer(preset, corpus, torch.device("cpu"))
    assert pre.total_steps == 60 and set(pre.modules) == {"autoencoder"}
    with pre.autocast:
        assert torch.is_autocast_enabled("cpu") is bf16
    before = reconstruction_accuracy(pre.autoencoder, corpus.data)
    gen = torch.Generator().manual_seed(0)
    figures = []
    for _ in range(pre.total_steps):
        rows = corpus.data[torch.randint(0, corpus.data.shape[0], (16,), generator=gen)]
        figures.append(pre.step(DOMAIN.real_batch(rows, corpus.meta, train=True)))
    after = reconstruction_accuracy(pre.autoencoder, corpus.data)
    assert set(figures[0]) == {"ae_loss", "ae_acc"}
    assert np.mean([f["ae_loss"] for f in figures[-10:]]) < 0.6 * np.mean([f["ae_loss"] for f in figures[:10]])
    assert after > before + 0.3, (before, after)
    assert pre.learning_rate() < preset.net["ae_lr"] * 0.2  # the cosine schedule has come down
    assert {p.dtype for p in pre.autoencoder.parameters()} == {torch.float32}

    codes = pre.encode(DOMAIN.real_batch(corpus.data, corpus.meta, train=False))
    assert codes.shape == (50, 16) and not codes.requires_grad
    assert torch.allclose(codes.norm(dim=1), torch.ones(50), atol=1e-5)

    state = pre.optimizer_state()
    fresh = DOMAIN.pretrainer(preset, corpus, torch.device("cpu"))
    fresh.load_optimizer_state(state)
    assert fresh.steps_done == 60 and fresh.learning_rate() == pytest.approx(pre.learning_rate())


class DirectionCritic(torch.nn.Module):
    """Scores codes by how far they point along one direction: a critic whose opinion is known."""

    def __init__(self, direction):
        super().__init__()
        self.direction = torch.nn.Parameter(5 * direction)

    def forward(self, code):
        return code @ self.direction


def test_adversarial_pretraining_pulls_codes_toward_what_the_critic_calls_fake(corpus):
    """ARAE's encoder term: with a weight, the critic's score of the codes falls; the critic itself is untouched."""
    cpu = torch.device("cpu")
    torch.manual_seed(0)
    critic = DirectionCritic(torch.nn.functional.normalize(torch.randn(16), dim=0))
    before = [p.detach().clone() for p in critic.parameters()]
    rows = DOMAIN.real_batch(corpus.data, corpus.meta, train=True)
    scores = {}
    for weight in (0.0, 1.0):
        torch.manual_seed(0)
        pre = DOMAIN.pretrainer(tiny_preset(adv_weight=weight), corpus, cpu)
        assert pre.adversarial_weight == weight
        for _ in range(15):
            figures = pre.step(rows, critic=critic)
        assert set(figures) == {"ae_loss", "ae_acc"}
        assert pre.last_codes.shape == (50, 16) and not pre.last_codes.requires_grad
        with torch.no_grad():
            scores[weight] = float(critic(pre.encode(rows)).mean())
    assert scores[1.0] < scores[0.0] - 1.0, scores
    assert all(torch.equal(a, b) for a, b in zip(before, critic.parameters()))
    assert all(p.grad is None and p.requires_grad for p in critic.parameters())


def test_the_gan_trains_on_the_codes_during_adversarial_pretraining(corpus):
    from studio.core.trainer import GANTrainer

    cpu = torch.device("cpu")
    trainer = GANTrainer(DOMAIN, tiny_preset(adv_weight=0.5, adv_d_steps=2, ae_steps=3), corpus, cpu, seed=0)
    plain = GANTrainer(DOMAIN, tiny_preset(adv_weight=0.0, ae_steps=3), corpus, cpu, seed=0)
    weights = lambda net: [p.detach().clone() for p in net.parameters()]
    g0, d0, pg0 = weights(trainer.G), weights(trainer.D), weights(plain.G)
    figures = trainer.train_step()
    assert {"ae_loss", "ae_acc", "d_loss", "g_loss"} <= set(figures)
    assert set(plain.train_step()) == {"ae_loss", "ae_acc"}
    assert trainer.pre_step == 1 and trainer.gan_step == 0  # the GAN phase's count starts after pretraining
    assert not all(torch.equal(a, b) for a, b in zip(g0, trainer.G.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(d0, trainer.D.parameters()))
    assert all(torch.equal(a, b) for a, b in zip(pg0, plain.G.parameters()))
    trainer.train_step()
    trainer.train_step()  # the last autoencoder step: a fresh G and D for the GAN phase
    assert trainer.gan_step == 0 and trainer.gan_data.shape == (50, 16)
    assert all(p.grad is None for p in trainer.G.parameters()) and not trainer.opt_g.state
    assert all(torch.equal(a, b) for a, b in zip(trainer.G.parameters(), trainer.G_ema.parameters()))
    assert trainer.train_step().keys() >= {"d_loss", "g_loss"} and trainer.gan_step == 1


def test_length_buckets_see_every_line_once_per_epoch_in_batches_of_one_length():
    from studio.domains.text.autoencoder import LengthBuckets

    lengths = torch.tensor([3, 40, 7, 3, 40, 7, 12, 12, 25, 25, 3, 40, 7, 12, 25])
    buckets = LengthBuckets(lengths, 3)
    assert buckets.per_epoch == 5
    epoch = [buckets.batch(i, seed=1) for i in range(5)]
    assert sorted(torch.cat(epoch).tolist()) == list(range(15))
    assert all(len(set(lengths[b].tolist())) == 1 for b in epoch)  # like with like
    again = LengthBuckets(lengths, 3)  # a resumed run: same counter, same seed, same rows
    assert all(torch.equal(again.batch(i, seed=1), epoch[i]) for i in (4, 2))
    assert not all(torch.equal(buckets.batch(5 + i, seed=1), epoch[i]) for i in range(5))  # a new epoch, a new order
    assert not all(torch.equal(buckets.batch(i, seed=2), epoch[i]) for i in range(5))
    odd = LengthBuckets(torch.cat([lengths, torch.tensor([99])]), 3)  # one line over five whole batches
    for e in range(3):
        seen = torch.cat([odd.batch(e * 5 + i, seed=0) for i in range(5)]).tolist()
        assert len(set(seen)) == 15
    assert LengthBuckets(lengths[:2], 64).batch(0, 0).tolist() in ([0, 1], [1, 0])  # fewer lines than a batch


def test_processes_of_a_distributed_run_take_their_own_batches_of_one_sequence(corpus):
    from studio.core.distributed import DistContext
    from studio.core.trainer import GANTrainer

    preset = tiny_preset(ae_batch=5)
    cpu = torch.device("cpu")
    ranks = [GANTrainer(DOMAIN, preset, corpus, cpu, seed=3, dist=DistContext(r, 2, r)) for r in (0, 1)]
    alone = GANTrainer(DOMAIN, preset, corpus, cpu, seed=3)
    rows = lambda counter: DOMAIN.real_batch(corpus.data[alone.pretrainer.batch_index(counter, 3)], corpus.meta, True)
    for step in range(3):
        for rank, trainer in enumerate(ranks):
            trainer.pre_step = step
            assert torch.equal(trainer._pretrain_rows(), rows(2 * step + rank))  # the single run's sequence, dealt out
    assert not torch.equal(rows(0), rows(1))


def test_encoding_ignores_padding_length(corpus):
    """The same line padded to different widths gets the same code (the state is read at the line's end)."""
    ae = DOMAIN.pretrainer(tiny_preset(), corpus, torch.device("cpu")).autoencoder.eval()
    row = corpus.data[:1].long()
    wider = torch.cat([row, torch.zeros(1, 10, dtype=torch.long)], dim=1)
    with torch.no_grad():
        assert torch.allclose(ae.encode(row), ae.encode(wider), atol=1e-6)


def test_gan_nets_forward_backward(corpus):
    preset = tiny_preset()
    G = DOMAIN.build_generator(preset, corpus.meta)
    D = DOMAIN.build_discriminator(preset, corpus.meta)
    z = torch.randn(12, preset.z_dim)
    fake = G(z)
    assert fake.shape == (12, 16)
    assert torch.allclose(fake.norm(dim=1), torch.ones(12), atol=1e-5)
    real = torch.nn.functional.normalize(torch.randn(12, 16), dim=1)
    assert DOMAIN.real_batch(real, corpus.meta, train=True) is real  # codes pass through unchanged
    assert DOMAIN.augment(real, "", torch.Generator()) is real
    opt_d = torch.optim.Adam(D.parameters(), 1e-3)
    opt_g = torch.optim.Adam(G.parameters(), 1e-3)
    target = torch.nn.functional.normalize(torch.ones(1, 16), dim=1)
    start = float((G(z) * target).sum(dim=1).mean().detach())
    for _ in range(60):  # a tiny WGAN on a point mass: G must move toward it
        real = target.expand(12, -1)
        fake = G(torch.randn(12, preset.z_dim)).detach()
        loss_d = D(fake).mean() - D(real).mean()
        assert D(real).shape == (12,)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = -D(G(torch.randn(12, preset.z_dim))).mean()
        opt_g.zero_grad()
        loss_g.backward()
        assert all(p.grad is not None for p in G.parameters())
        opt_g.step()
    end = float((G(z) * target).sum(dim=1).mean().detach())
    assert end > start + 0.1, (start, end)


def test_projection_finds_a_z_for_a_code(corpus):
    torch.manual_seed(1)
    preset = tiny_preset()
    G = DOMAIN.build_generator(preset, corpus.meta)
    target = G(torch.randn(1, preset.z_dim)).detach()[0] + 0.05 * torch.randn(16)
    random_z = torch.randn(64, preset.z_dim)
    with torch.no_grad():
        before = float((1 - G(random_z) @ torch.nn.functional.normalize(target, dim=0)).mean())
    weights = [p.detach().clone() for p in G.parameters()]
    z = DOMAIN.project_to_z(target.numpy(), G, preset.z_dim, steps=150)
    assert z.shape == (preset.z_dim,) and z.dtype == np.float32
    with torch.no_grad():
        after = float(1 - G(torch.from_numpy(z)[None]) @ torch.nn.functional.normalize(target, dim=0))
    assert after < before / 3, (before, after)
    assert all(torch.equal(a, b) for a, b in zip(weights, G.parameters()))
    assert all(p.requires_grad for p in G.parameters()) and all(p.grad is None for p in G.parameters())
    assert np.allclose(z, project_to_z(target.numpy(), G, preset.z_dim, steps=150))  # seeded: repeatable
