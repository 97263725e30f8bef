"""Shapes, gradients, speed and a few real training steps of the music nets."""
from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from studio.core.domain import ModelContext
from studio.domains import get_domain
from studio.domains.music.nets import grid_factors, split_z

DOMAIN = get_domain("music")
ROLES = ["drums", "bass", "chords", "melody"]


def meta(roles=ROLES, spb=4, bars=4, pitches=84):
    return {"roles": list(roles), "steps_per_beat": spb, "bars": bars, "lowest": 24, "pitches": pitches,
            "programs": [0] * len(roles), "tempo": 120.0, "transpose": 2, "steps": bars * 4 * spb}


def test_grid_factors_and_z_split():
    assert grid_factors(4) == [2, 2] and grid_factors(12) == [3, 2, 2] and grid_factors(24) == [3, 2, 2, 2]
    with pytest.raises(ValueError):
        grid_factors(5)
    assert split_z(64, 4) == (14, 10, 10) and sum(split_z(64, 4)[:2]) + 4 * 10 == 64
    with pytest.raises(ValueError):
        split_z(4, 4)


@pytest.mark.parametrize("roles,spb,bars,pitches", [(ROLES, 4, 4, 84), (["piano"], 12, 2, 48), (ROLES[1:], 24, 1, 60)])
def test_shapes_and_ranges(roles, spb, bars, pitches):
    m = meta(roles, spb, bars, pitches)
    for name in ("cpu-small", "gpu-large"):
        preset = DOMAIN.presets[name]
        G = DOMAIN.build_generator(preset, m)
        D = DOMAIN.build_discriminator(preset, m)
        out = G(torch.randn(3, preset.z_dim))
        assert out.shape == (3, len(roles), bars * 4 * spb, pitches)
        assert out.min() >= -1 and out.max() <= 1
        assert D(out).shape == (3,)


def test_gradients_reach_every_parameter():
    preset = DOMAIN.presets["cpu-small"]
    G = DOMAIN.build_generator(preset, meta())
    D = DOMAIN.build_discriminator(preset, meta())
    D(G(torch.randn(4, preset.z_dim))).mean().backward()
    for net in (G, D):
        missing = [n for n, p in net.named_parameters() if p.requires_grad and (p.grad is None or not p.grad.abs().sum())]
        assert not missing, missing


def test_each_part_of_z_changes_the_output():
    preset = DOMAIN.presets["cpu-small"]
    G = DOMAIN.build_generator(preset, meta())
    shared, temporal, per_track = split_z(preset.z_dim, 4)
    z = torch.randn(8, preset.z_dim)
    with torch.no_grad():
        base = G(z)
        for start, size in [(0, shared), (shared, temporal), (shared + temporal + 2 * per_track, per_track)]:
            moved = z.clone()
            moved[0, start:start + size] += 2.0
            change = (G(moved) - base).abs()
            assert change[0].max() > 1e-3, (start, size)


def test_binary_neurons_while_training_and_probabilities_in_eval():
    preset = DOMAIN.presets["cpu-small"]
    assert preset.net["binary"]
    G = DOMAIN.build_generator(preset, meta())
    z = torch.randn(4, preset.z_dim)
    hard = G(z)
    assert set(hard.detach().unique().tolist()) <= {-1.0, 1.0}
    hard.sum().backward()
    assert G.unfold.weight.grad is not None and G.unfold.weight.grad.abs().sum() > 0, "straight-through gradients"
    soft = G.eval()(z).detach()
    assert ((soft > -1) & (soft < 1)).float().mean() > 0.99


def test_packed_discriminator_judges_each_sample_with_a_neighbour():
    preset = DOMAIN.presets["cpu-small"]
    D = DOMAIN.build_discriminator(preset, meta()).eval()  # eval: spectral norm stops updating its estimate
    x = torch.randn(5, 4, 64, 84).clamp(-1, 1)
    assert D(x).shape == (5,) and D(x[:1]).shape == (1,)
    changed = x.clone()
    changed[2] = -1.0
    moved = (D(changed) - D(x)).abs() > 1e-6
    assert moved[2] and moved[3] and not moved[0], "sample 2 is judged with 1 and 3 with 2"


def test_generator_starts_from_the_corpus_registers():
    prior = np.zeros((4, 84))
    prior[1, 12:24] = 0.05  # bass lives in C2-B2
    prior[3, 36:60] = 0.02
    G = DOMAIN.build_generator(DOMAIN.presets["cpu-small"], {**meta(), "pitch_prior": prior.tolist()}).eval()
    with torch.no_grad():
        out = G(torch.randn(16, 64))
    bass = out[:, 1].mean(dim=(0, 1))
    assert bass[12:24].min() > bass[40:].max(), "bass starts low"
    assert (out < 0).float().mean() > 0.95, "and everything starts nearly silent"


def test_one_clip_generates_fast_enough_to_drag():
    preset = DOMAIN.presets["cpu-small"]
    G = DOMAIN.build_generator(preset, meta()).eval()
    z = torch.randn(1, preset.z_dim)
    with torch.no_grad():
        G(z)
        started = time.perf_counter()
        for _ in range(10):
            G(z)
    per_clip = (time.perf_counter() - started) / 10
    assert per_clip < 0.05, f"{per_clip * 1000:.1f} ms per clip (about 1 ms on an idle core)"


def test_time_translation_pads_with_silence_and_keeps_pitches():
    x = -torch.ones(16, 4, 64, 84)
    x[:, :, 28:36, 40] = 1.0
    gen = torch.Generator().manual_seed(0)
    y = DOMAIN.augment(x, "translation", gen)
    assert y.shape == x.shape and set(y.unique().tolist()) == {-1.0, 1.0}
    assert ((y > 0).sum(dim=(1, 2, 3)) == (x > 0).sum(dim=(1, 2, 3))).all(), "nothing pushed out or padded in"
    assert (y > 0).sum(dim=2)[..., 40].eq(8).all(), "every track keeps its 8-step note at its pitch"
    assert not torch.equal(y, x)
    assert torch.equal(DOMAIN.augment(x, "", gen), x)
    with pytest.raises(ValueError, match="known"):
        DOMAIN.augment(x, "color", gen)
    fake = x.clone().requires_grad_(True)
    DOMAIN.augment(fake, "translation", gen).sum().backward()
    assert fake.grad is not None


def test_a_few_hinge_steps_by_hand():
    torch.manual_seed(0)
    preset = DOMAIN.presets["cpu-small"]
    m = meta(spb=4, bars=2)
    G = DOMAIN.build_generator(preset, m)
    D = DOMAIN.build_discriminator(preset, m)
    opt_g = torch.optim.Adam(G.parameters(), lr=preset.lr_g, betas=preset.betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=preset.lr_d, betas=preset.betas)
    rows = torch.zeros(8, 4, 32, 84, dtype=torch.uint8)
    rows[:, 1, ::4, 12] = 1
    rows[:, 2, :, 36] = 1
    gen = torch.Generator().manual_seed(1)
    before = [p.detach().clone() for p in G.parameters()]
    d_losses = []
    for _ in range(6):
        real = DOMAIN.augment(DOMAIN.real_batch(rows, m, train=True), "translation", gen)
        fake = G(torch.randn(8, preset.z_dim))
        loss_d = F.relu(1 - D(real)).mean() + F.relu(1 + D(DOMAIN.augment(fake.detach(), "translation", gen))).mean()
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = -D(DOMAIN.augment(fake, "translation", gen)).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        d_losses.append(loss_d.item())
        assert np.isfinite(loss_g.item())
    assert all(np.isfinite(d_losses)) and d_losses[-1] < d_losses[0]
    assert any(not torch.equal(a, b) for a, b in zip(before, G.parameters()))
    clips = DOMAIN.decode(G.eval()(torch.randn(2, preset.z_dim)), ModelContext(preset, m, torch.device("cpu")))
    assert len(clips) == 2 and clips[0].roll.shape == (4, 32, 84) and clips[0].roll.dtype == np.uint8


def test_training_session_runs_real_steps(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "cache"))
    from studio.core.session import TrainingSession
    from studio.domains.music.demo import write_demo_folder

    data = write_demo_folder(tmp_path / "demo", count=2)
    overrides = {"batch_size": 8, "sample_every": 3, "metrics_every": 3, "checkpoint_every": 100,
                 "import_options": {"roles": "multi", "bars": 2}}
    session = TrainingSession.create(tmp_path / "run", "music", data, preset="cpu-small", steps=3, seed=0,
                                     device="cpu", overrides=overrides)
    events = []
    assert session.run(lambda kind, payload: events.append((kind, payload))) == "finished"
    kinds = [k for k, _ in events]
    assert "samples" in kinds and "metrics" in kinds and "checkpoint" in kinds
    samples = next(p for k, p in events if k == "samples")
    assert samples["artifacts"][0].roll.shape == (4, 32, 84)
    metrics = next(p for k, p in events if k == "metrics")["values"]
    assert "EB" in metrics and all(np.isfinite(v) for v in metrics.values())
    assert dataclasses.asdict(session.preset)["import_options"]["bars"] == 2
    from studio.core.model import load_model
    from studio.domains.music.codec import midi_to_clips, read_info

    model = load_model(tmp_path / "run")
    clips = model.render_seeds([5, 6], {"sampling": "bernoulli", "seed": 1})
    again = model.render_seeds([5, 6], {"sampling": "bernoulli", "seed": 1})
    assert [c.roll.shape for c in clips] == [(4, 32, 84)] * 2
    assert all(np.array_equal(a.roll, b.roll) for a, b in zip(clips, again))
    path = DOMAIN.save_artifact(clips[0], tmp_path / "export.mid", model.info(seed=5))
    assert read_info(path)["seed"] == 5
    assert clips[0].roll.any(), "Bernoulli sampling of a fresh G plays some notes"
    assert np.array_equal(midi_to_clips(path, {"roles": "multi", "bars": 2})[0].roll, clips[0].roll)


def test_decode_takes_instruments_and_tempo_and_ignores_a_list_for_another_band():
    preset = DOMAIN.presets["cpu-small"]
    output = torch.ones(1, 4, 64, 84)
    chosen = DOMAIN.decode(output, ModelContext(preset, meta(), torch.device("cpu"),
                                                options={"programs": [0, 33, 4, 73], "tempo": 90}))[0]
    assert chosen.programs == [0, 33, 4, 73] and chosen.tempo == 90
    stale = DOMAIN.decode(output, ModelContext(preset, meta(), torch.device("cpu"), options={"programs": [5]}))[0]
    assert stale.programs == [0, 0, 0, 0]
