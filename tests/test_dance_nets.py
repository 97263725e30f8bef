"""The dance nets: shapes, smooth output, beat latents that act on their own beats, real training steps."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from dance_takes import dance

from studio.domains.dance import DOMAIN
from studio.domains.dance.bvh import write_bvh
from studio.domains.dance.nets import BEATS, latent_split

OPTIONS = {"window_seconds": 2.0, "hop_seconds": 0.5, "fps": 20.0, "mirror": True}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("takes")
    for seed in range(3):
        write_bvh(folder / f"take{seed}.bvh", dance(30.0, 4.0, seed=seed))
    return DOMAIN.import_folder(folder, OPTIONS)


def test_latent_split_keeps_a_clip_latent():
    assert latent_split(64, {"beat_dim": 4}) == (32, BEATS, 4)
    with pytest.raises(ValueError, match="no clip latent"):
        latent_split(32, {"beat_dim": 4})


@pytest.mark.parametrize("name", ["cpu-small", "gpu-large"])
def test_shapes(corpus, name):
    preset = DOMAIN.presets[name]
    G = DOMAIN.build_generator(preset, corpus.meta)
    D = DOMAIN.build_discriminator(preset, corpus.meta)
    out = G(torch.randn(3, preset.z_dim))
    assert out.shape == (3, corpus.meta["channels"], corpus.meta["frames"])
    assert D(out).shape == (3,)


def test_a_clip_renders_alike_alone_and_in_a_batch(corpus):
    """Exports render each seed alone: G must not mix the samples of a batch (instance norm, not batch norm)."""
    preset = DOMAIN.presets["cpu-small"]
    G = DOMAIN.build_generator(preset, corpus.meta).eval()
    z = torch.randn(4, preset.z_dim)
    with torch.no_grad():
        assert torch.allclose(G(z)[2:3], G(z[2:3]), atol=1e-5)


def test_output_at_half_rate_changes_more_smoothly_than_at_full_rate(corpus):
    """Even untrained: the second differences of G's output are small next to its first differences."""
    preset = DOMAIN.presets["cpu-small"]

    def roughness(net):
        torch.manual_seed(0)
        G = DOMAIN.build_generator(dataclasses.replace(preset, net=net), corpus.meta)
        with torch.no_grad():
            out = G(torch.randn(8, preset.z_dim))
        return float(out.diff(n=2, dim=2).abs().mean() / out.diff(dim=2).abs().mean())

    assert roughness(preset.net) < 0.9 * roughness({**preset.net, "out_stride": 1})


def test_a_beat_latent_moves_its_own_beat_most(corpus):
    preset = DOMAIN.presets["cpu-small"]
    G = DOMAIN.build_generator(preset, corpus.meta).eval()
    clip_dim, beats, beat_dim = latent_split(preset.z_dim, preset.net)
    z = torch.randn(1, preset.z_dim)
    moved = z.clone()
    first = clip_dim  # the first beat's latent
    moved[0, first:first + beat_dim] += 3.0
    with torch.no_grad():
        change = (G(moved) - G(z)).abs().mean(dim=1)[0]
    frames = change.shape[0]
    assert float(change[: frames // beats].mean()) > 2 * float(change[-frames // beats:].mean())


def test_a_few_real_steps_train_and_decode_to_motion(corpus, tmp_path):
    from studio.core.session import TrainingSession

    folder = tmp_path / "takes"
    folder.mkdir()
    for seed in range(2):
        write_bvh(folder / f"t{seed}.bvh", dance(30.0, 4.0, seed=seed))
    session = TrainingSession.create(tmp_path / "run", DOMAIN, folder, preset="cpu-small", steps=3, seed=1,
                                     device="cpu", overrides={"batch_size": 4, "import_options": OPTIONS})
    assert session.run() == "finished"
    from studio.core.latent import seeds_to_z

    output = session.trainer.generate(seeds_to_z([1, 2], session.preset.z_dim))
    assert torch.isfinite(output).all()
    motions = DOMAIN.decode(output, session.trainer.model_context())
    assert len(motions) == 2 and motions[0].frames == corpus.meta["frames"]
    assert motions[0].skeleton.names == dance(30.0, 1.0).skeleton.names
    assert np.isfinite(motions[0].positions()).all()


def test_the_copy_check_finds_a_training_window_itself(corpus):
    rows = np.asarray(corpus.data[[1, 4]])
    clips = DOMAIN.preview_items(rows, corpus.meta)
    found = DOMAIN.nearest_training(clips, corpus)
    assert [n.index for n in found] == [1, 4] and all(n.copied and n.distance < 1e-3 for n in found)
    assert "body heights" in found[0].label
    figures = DOMAIN.reference_metrics(corpus)
    assert set(figures) == set(DOMAIN.figure_labels) and figures["diversity"] > 0
