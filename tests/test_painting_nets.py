"""The painting nets, presets and DOMAIN object: shapes, gradients, a little real training."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from studio.core.domain import ModelContext, Preset
from studio.domains.painting import DOMAIN
from studio.domains.painting.nets import channel_plan, parameter_count
from studio.domains import get_domain

ROOT = Path(__file__).resolve().parent.parent


def _small(preset: Preset) -> Preset:
    """The preset's architecture (SLE, GLU, decoder...) at a width a test can afford on one core."""
    if preset.device_kind == "cpu":
        return preset
    net = dict(preset.net, g_width=4, g_cap=16, d_width=4, d_cap=16)
    return dataclasses.replace(preset, net=net, z_dim=16)


def _nets(name: str) -> tuple[Preset, dict, torch.nn.Module, torch.nn.Module]:
    preset = _small(DOMAIN.presets[name])
    meta = {"size": preset.import_options["size"], "channels": 3}
    torch.manual_seed(0)
    return preset, meta, DOMAIN.build_generator(preset, meta), DOMAIN.build_discriminator(preset, meta)


def test_presets_cover_the_devices():
    assert set(DOMAIN.presets) == {"cpu-32", "cpu-64", "gpu-128", "gpu-256"}
    assert DOMAIN.default_preset("cpu") == "cpu-64"
    assert DOMAIN.default_preset("cuda") == DOMAIN.default_preset("mps") == "gpu-128"
    for name, preset in DOMAIN.presets.items():
        assert preset.import_options["size"] == int(name.split("-")[1])
        assert preset.loss == "hinge" and preset.augment == "color,translation,cutout"
        assert preset.mixed_precision  # bfloat16 wherever the device has it natively (devices.autocast)
        assert preset.channels_last == (preset.device_kind == "gpu")
        assert Preset.from_dict(json.loads(json.dumps(preset.to_dict()))) == preset  # survives run.json


@pytest.mark.parametrize("name", ["cpu-32", "cpu-64", "gpu-128", "gpu-256"])
def test_every_preset_makes_pictures_and_judges_them(name):
    preset, meta, g, d = _nets(name)
    size = meta["size"]
    out = g(torch.randn(3, preset.z_dim))
    assert out.shape == (3, 3, size, size)
    assert out.abs().max() <= 1.0 and out.std() > 0
    assert d(out).shape == (3,)
    images = DOMAIN.decode(out, ModelContext(preset, meta, torch.device("cpu")))
    assert len(images) == 3 and images[0].shape == (size, size, 3) and images[0].dtype == np.uint8


@pytest.mark.parametrize("name", ["cpu-64", "gpu-128"])
def test_gradients_reach_every_weight(name):
    preset, meta, g, d = _nets(name)
    fake = g(torch.randn(4, preset.z_dim))
    real = torch.rand_like(fake) * 2 - 1
    (F.softplus(-d(real)).mean() + F.softplus(d(fake)).mean()).backward()  # hinge's bias terms can cancel
    for module in (g, d):
        for pname, p in module.named_parameters():
            if "decoder" in pname:  # only the reconstruction loss reaches it
                continue
            assert p.grad is not None and p.grad.abs().sum() > 0, pname


def test_fastgan_discriminator_rebuilds_reals_and_cpu_ones_do_not_try():
    preset, meta, _, d = _nets("gpu-128")
    real = torch.rand(2, 3, meta["size"], meta["size"]) * 2 - 1
    logits, aux = d.forward_with_aux(real)
    assert logits.shape == (2,) and aux.dim() == 0 and torch.isfinite(aux) and aux > 0
    aux.backward()
    assert all(p.grad is not None for p in d.decoder.parameters())
    d.eval()  # freezes spectral norm's power iteration, so two calls can be compared
    assert torch.allclose(d.forward_with_aux(real)[0], d(real), atol=1e-6)  # the decoder leaves the verdict alone
    _, _, _, cpu_d = _nets("cpu-64")
    assert not hasattr(cpu_d, "forward_with_aux")  # the trainer looks for the method


def test_cpu_nets_stay_small():
    _, _, g, d = _nets("cpu-64")
    assert parameter_count(g) < 1_000_000 and parameter_count(d) < 500_000
    assert channel_plan(64, 16, 256) == {64: 16, 32: 32, 16: 64, 8: 128, 4: 256}
    with pytest.raises(ValueError):
        channel_plan(48, 16, 256)


def test_a_tiny_hinge_loop_learns_two_flat_colours():
    """30 hand-written hinge steps at cpu-32 on red and blue squares: D learns, G moves, nothing blows up."""
    torch.manual_seed(1)
    preset, meta, g, d = _nets("cpu-32")
    real_u8 = torch.zeros(16, 3, 32, 32, dtype=torch.uint8)
    real_u8[:8, 0] = 230
    real_u8[8:, 2] = 230
    opt_g = torch.optim.Adam(g.parameters(), lr=1e-3, betas=preset.betas)
    opt_d = torch.optim.Adam(d.parameters(), lr=1e-3, betas=preset.betas)
    gen = torch.Generator().manual_seed(0)
    z_fixed = torch.randn(4, preset.z_dim)
    g.eval()
    with torch.no_grad():
        before = g(z_fixed)
    g.train()
    d_losses = []
    for _ in range(30):
        real = DOMAIN.real_batch(real_u8[torch.randint(0, 16, (8,))], meta, train=True)
        fake = g(torch.randn(8, preset.z_dim))
        loss_d = (
            F.relu(1 - d(DOMAIN.augment(real, "translation", gen))).mean()
            + F.relu(1 + d(DOMAIN.augment(fake.detach(), "translation", gen))).mean()
        )
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = -d(DOMAIN.augment(fake, "translation", gen)).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        assert torch.isfinite(loss_d) and torch.isfinite(loss_g)
        d_losses.append(float(loss_d.detach()))
    g.eval()
    with torch.no_grad():
        after = g(z_fixed)
    assert min(d_losses) < 1.7  # D told real from fake at some point (2.0 is a coin toss)
    assert (after - before).abs().mean() > 0.05
    red, green, blue = after.mean(dim=(0, 2, 3)).tolist()
    assert green < (red + blue) / 2 - 0.2  # G moved toward the data, which has no green at all


def test_real_batch_scales_and_mirrors():
    batch = torch.zeros(64, 3, 4, 4, dtype=torch.uint8)
    batch[:, :, :, 0] = 255  # a white left column
    meta = {"size": 4, "channels": 3}
    plain = DOMAIN.real_batch(batch, meta, train=False)
    assert plain.dtype == torch.float32 and plain.min() == -1 and plain.max() == 1
    assert torch.all(plain[:, :, :, 0] == 1)
    torch.manual_seed(0)
    trained = DOMAIN.real_batch(batch, meta, train=True)
    mirrored = trained[:, 0, 0, 3] == 1
    assert 10 < int(mirrored.sum()) < 54  # about half, each one a true mirror image
    assert torch.equal(trained[mirrored], plain[mirrored].flip(-1))


def test_dcgan_baseline_is_radfords():
    sys.path.insert(0, str(ROOT))
    from bench.dcgan_baseline import DCGANDiscriminator, DCGANGenerator, baseline_train_loop

    g, d = DCGANGenerator(), DCGANDiscriminator()
    assert parameter_count(g) == 3_576_704  # 3.58 M, as in REFERENCES.md
    assert parameter_count(d) == 2_765_568  # 2.77 M
    x = g(torch.randn(2, 100))
    assert x.shape == (2, 3, 64, 64) and d(x).shape == (2,)
    data = torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8)  # resized to 64 px by the loop
    result = baseline_train_loop(data, steps=2, batch=4)
    assert result.steps == 2 and result.images_per_second > 0
    assert np.isfinite(result.last_d_loss) and np.isfinite(result.last_g_loss)


def test_importing_the_package_loads_no_torch():
    code = (
        "import sys, studio.domains.painting as p; "
        "assert 'torch' not in sys.modules, 'torch imported'; "
        "print(p.DOMAIN.name, p.DOMAIN.title, p.DOMAIN.artifact_suffix, p.DOMAIN.walk_suffix, len(p.DOMAIN.presets))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["painting", "Painting", ".png", ".gif", "4"]


def _write_pictures(folder: Path, count: int = 12) -> Path:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        pixels = np.zeros((40, 40, 3), np.uint8)
        pixels[:] = rng.integers(0, 256, 3)
        pixels[10:30, 10:30] = rng.integers(0, 256, 3)
        Image.fromarray(pixels).save(folder / f"square-{i:02d}.png")
    return folder


def test_a_session_trains_paints_and_exports(tmp_path):
    from studio.core.model import load_model
    from studio.core.runs import RunDir
    from studio.core.session import TrainingSession

    data = _write_pictures(tmp_path / "pictures")
    overrides = {"batch_size": 8, "sample_every": 2, "metrics_every": 4, "checkpoint_every": 4}
    session = TrainingSession.create(
        tmp_path / "run", get_domain("painting"), data, preset="cpu-32", steps=4, seed=1, device="cpu", overrides=overrides
    )
    assert session.run() == "finished", session.error
    quality = [r for r in RunDir(tmp_path / "run").read_metrics() if r.get("kind") == "quality"]
    assert quality and all(np.isfinite(quality[-1][k]) for k in ("swd", "diversity", "nn_distance", "copy_rate"))

    model = load_model(tmp_path / "run", get_domain)
    pictures = model.render_seeds([1, 2, 3])
    assert [p.shape for p in pictures] == [(32, 32, 3)] * 3
    png = DOMAIN.save_artifact(pictures[0], tmp_path / "one.png", model.info(seed=1))
    assert Image.open(png).size == (32, 32)
    gif = DOMAIN.save_walk(pictures, tmp_path / "walk.gif", model.info())
    assert Image.open(gif).n_frames == 3
    grid = DOMAIN.save_grid(pictures, tmp_path / "grid.png", model.info())
    assert Image.open(grid).size[0] > 32


def test_demo_folder_imports_at_the_preset_size(tmp_path):
    folder = DOMAIN.demo_corpus_folder(tmp_path / "demo")
    corpus = DOMAIN.import_folder(folder, DOMAIN.presets["cpu-32"].import_options)
    assert corpus.report.items >= 100 and tuple(corpus.data.shape[1:]) == (3, 32, 32)
    preset = DOMAIN.presets["cpu-32"]
    ctx = ModelContext(preset, corpus.meta, torch.device("cpu"))
    metrics = DOMAIN.metrics(DOMAIN.real_batch(corpus.data[:16], corpus.meta, train=False), corpus, ctx)
    assert metrics["copy_rate"] > 0.9  # the training pictures themselves are copies
