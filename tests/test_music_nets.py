"""Shapes, gradients, speed and a few real training steps of the music nets."""
from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from studio.core.domain import Corpus, ImportReport, ModelContext
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
    session = TrainingSession.create(tmp_path / "run", get_domain("music"), data, preset="cpu-small", steps=3, seed=0,
                                     device="cpu", overrides=overrides)
    events = []
    assert session.run(lambda event: events.append((event.kind, event.payload()))) == "finished"
    kinds = [k for k, _ in events]
    assert "samples" in kinds and "metrics" in kinds and "checkpoint" in kinds
    samples = next(p for k, p in events if k == "samples")
    assert samples["artifacts"][0].roll.shape == (4, 32, 84)
    metrics = next(p for k, p in events if k == "metrics")["values"]
    assert "EB" in metrics and all(np.isfinite(v) for v in metrics.values())
    assert dataclasses.asdict(session.preset)["import_options"]["bars"] == 2
    from studio.core.model import load_model
    from studio.domains.music.codec import midi_to_clips, read_info

    model = load_model(tmp_path / "run", get_domain)
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


# ------------------------------------------------------------------ metres
LAYOUTS = [{"numerator": 3, "denominator": 4, "bars": 4, "share": 0.5},
           {"numerator": 6, "denominator": 8, "bars": 4, "share": 0.3},
           {"numerator": 4, "denominator": 4, "bars": 4, "share": 0.2}]


def metre_meta(roles=("melody",), layouts=LAYOUTS):
    """A folder of several layouts: one more track (the metre track) after the roles."""
    return {**meta(list(roles)), "metre_track": True, "layouts": [dict(d) for d in layouts]}


def metre_rows(m, count, seed=0):
    """Real rows as the importer writes them: a note per beat inside each phrase's bars, then its metre track."""
    from studio.domains.music.layout import layouts_of, structure_roll

    rng = np.random.default_rng(seed)
    layouts = layouts_of(m)
    rows = np.zeros((count, len(m["roles"]) + 1, m["steps"], m["pitches"]), np.uint8)
    for i in range(count):
        k = int(rng.integers(len(layouts)))
        rows[i, :-1, : layouts[k].steps: 4, 40 + k] = 1
        rows[i, -1] = structure_roll(layouts[k], k, m["steps"], m["pitches"])
    return torch.from_numpy(rows)


def test_g_knows_where_each_step_stands_in_the_beat_and_bar_of_its_layout():
    from studio.domains.music.nets import metres_of, step_structure

    features = step_structure(metres_of({**metre_meta(), "steps": 64}).rolls)  # 3/4, 6/8, 4/4 at 4 steps a beat
    assert features.shape == (3, 64, 3 + 4 + 3)
    beat_sine, bar_sine = features[..., 3], features[..., 5]
    waltz, jig = features[0], features[1]
    assert np.allclose(beat_sine[0, :12], np.sin(2 * np.pi * (np.arange(12) % 4) / 4)), "quarters in 3/4"
    assert np.allclose(beat_sine[1, :12], np.sin(2 * np.pi * (np.arange(12) % 6) / 6)), "dotted quarters in 6/8"
    assert np.allclose(bar_sine[0, :48], bar_sine[1, :48]), "both bars are three quarters long"
    assert not features[:2, 48:, :7].any(), "nothing after the last bar"
    assert (waltz[:, 7:] == [1, 0, 0]).all() and (jig[:, 7:] == [0, 1, 0]).all()


def test_a_folder_of_one_layout_builds_the_nets_it_always_did():
    """Bach's results must not move: the same parameters (counted before metres existed), the same state."""
    counted = {"cpu-small": (225328, 208177), "gpu-large": (2047696, 3007681)}
    one_34 = {**meta(), "layouts": [{"numerator": 3, "denominator": 4, "bars": 4, "share": 1.0}]}
    for name, (g_params, d_params) in counted.items():
        preset = DOMAIN.presets[name]
        for m in (meta(), {**meta(), "layouts": [{"numerator": 4, "denominator": 4, "bars": 4}]}, one_34):
            G, D = DOMAIN.build_generator(preset, m), DOMAIN.build_discriminator(preset, m)
            assert sum(p.numel() for p in G.parameters()) == g_params
            assert sum(p.numel() for p in D.parameters()) == d_params
            assert list(G.state_dict()) == list(DOMAIN.build_generator(preset, meta()).state_dict())
    G = DOMAIN.build_generator(DOMAIN.presets["cpu-small"], one_34).eval()
    with torch.no_grad():
        out = G(torch.randn(8, 64))
    assert out.shape == (8, 4, 64, 84) and (out[:, :, 48:] == -1).all(), "silent after the last bar of 3/4"


def test_the_generator_writes_the_metre_track_of_the_layout_it_draws():
    from studio.domains.music.layout import layout_indices, layouts_of, structure_roll

    m = metre_meta(("bass", "melody"))
    preset = DOMAIN.presets["cpu-small"]
    G = DOMAIN.build_generator(preset, m)
    z = torch.randn(64, preset.z_dim, generator=torch.Generator().manual_seed(3))
    index = G.layout_index(z)
    assert torch.equal(index, G.layout_index(z.clone())), "a latent always means the same metre"
    assert set(index.tolist()) == {0, 1, 2}
    layouts = layouts_of(m)
    for training in (True, False):
        out = G.train(training)(z).detach()
        assert out.shape == (64, 3, 64, 84)
        for i, k in enumerate(index.tolist()):
            expected = torch.from_numpy(structure_roll(layouts[k], k, 64, 84)).float() * 2 - 1
            assert torch.equal(out[i, -1], expected), (i, k)
            assert (out[i, :2, layouts[k].steps:] == -1).all(), "role tracks silent after the layout's last bar"
            assert (out[i, :2, : layouts[k].steps] > -1).any()
        assert np.array_equal(layout_indices(out.numpy(), m), index.numpy()), "the importer's reading agrees"
    D = DOMAIN.build_discriminator(preset, m)
    assert D(out).shape == (64,)
    G.train()
    D(G(z[:8])).mean().backward()
    for net in (G, D):
        missing = [n for n, p in net.named_parameters() if p.grad is None or not p.grad.abs().sum()]
        assert not missing, missing


def test_the_mix_of_layouts_follows_the_folder_s_shares():
    preset = DOMAIN.presets["cpu-small"]
    G = DOMAIN.build_generator(preset, metre_meta())
    index = G.layout_index(torch.randn(20000, preset.z_dim, generator=torch.Generator().manual_seed(0)))
    shares = np.bincount(index.numpy(), minlength=3) / 20000
    assert np.allclose(shares, [0.5, 0.3, 0.2], atol=0.015), shares
    z = torch.zeros(1, preset.z_dim)
    for value, expected in ((-3.0, 0), (0.3, 1), (3.0, 2)):  # the normal CDF of the last number: 0.001, 0.62, 0.999
        z[0, -1] = value
        assert G.layout_index(z).item() == expected


def test_real_batches_never_transpose_the_metre_track_nor_drums():
    m = metre_meta(("drums", "melody"))
    rows = metre_rows(m, 64)
    rows[:, 0, ::4, 12] = 1
    for seed in range(5):
        torch.manual_seed(seed)
        x = DOMAIN.real_batch(rows, {**m, "transpose": 5}, train=True)
        assert torch.equal(x[:, 0], rows[:, 0].float() * 2 - 1), "drums keep their instruments"
        assert torch.equal(x[:, -1], rows[:, -1].float() * 2 - 1), "the metre track keeps its rows"
    moved = (x[:, 1] != rows[:, 1].float() * 2 - 1).flatten(1).any(1)
    assert moved.float().mean() > 0.5, "the melody is transposed"


def test_time_translation_moves_notes_and_metre_together_for_real_and_fake():
    from studio.domains.music.layout import INSIDE_ROW

    m = metre_meta()
    preset = DOMAIN.presets["cpu-small"]
    G = DOMAIN.build_generator(preset, m).eval()
    real = DOMAIN.real_batch(metre_rows(m, 32), m, train=True)
    with torch.no_grad():
        fake = G(torch.randn(32, preset.z_dim))
    gen = torch.Generator().manual_seed(0)
    for x in (real, fake):
        y = DOMAIN.augment(x, "translation", gen)
        inside = y[:, -1, :, INSIDE_ROW] > 0  # N x steps, shifted with the notes
        assert not torch.equal(y, x)
        assert not ((y[:, 0] > 0).any(dim=-1) & ~inside).any(), "no note outside its (moved) bars"
        bars = (y[:, -1, :, 0] > 0).sum(dim=1)
        assert (bars >= 3).all(), "a shift of at most 8 steps keeps at least three bar lines"


def test_decode_gives_each_clip_its_metre_and_bars_and_only_the_folder_s_roles():
    from studio.domains.music.layout import layout_indices, layouts_of

    m = metre_meta(("bass", "melody"))
    preset = DOMAIN.presets["cpu-small"]
    G = DOMAIN.build_generator(preset, m).eval()
    z = torch.randn(24, preset.z_dim, generator=torch.Generator().manual_seed(5))
    ctx = ModelContext(preset, m, torch.device("cpu"), options={"sampling": "bernoulli"})
    with torch.no_grad():
        out = G(z)
    clips = DOMAIN.decode(out, ctx)
    layouts = layouts_of(m)
    for clip, k in zip(clips, G.layout_index(z).tolist()):
        assert (clip.numerator, clip.denominator) == (layouts[k].numerator, layouts[k].denominator)
        assert clip.roll.shape == (2, layouts[k].steps, 84) and clip.bars == 4
        assert clip.roles == ["bass", "melody"]
    assert any(clip.roll.any() for clip in clips)
    metrics = DOMAIN.metrics(out, Corpus(metre_rows(m, 8), m, "fp", ImportReport(folder="x")), ctx)
    assert "EB" in metrics and "EB.bass" in metrics
    assert DOMAIN.binarise(out, {}, m).shape == (24, 2, 64, 84), "decoding never sees the metre track"
    rows = DOMAIN.sample_rows(out, {}, m)  # what metrics compare with the corpus: its bars come from the metre track
    assert rows.shape == (24, 3, 64, 84) and np.array_equal(layout_indices(rows, m), G.layout_index(z).numpy())
    with pytest.raises(ValueError, match="3 tracks"):
        DOMAIN.decode(out, ModelContext(preset, metre_meta(("melody",)), torch.device("cpu")))
    nearest = DOMAIN.nearest_training(clips[:2], Corpus(metre_rows(m, 8), m, "fp", ImportReport(folder="x")))
    assert all(n.item.roll.shape[0] == 2 and n.item.bars == 4 for n in nearest)


def test_a_melody_folder_trains_and_exports_melody_alone_in_its_metres(tmp_path, monkeypatch):
    """A role the folder never uses never sounds: a few real steps on tunes in 3/4 and 6/8, then exports."""
    import mido

    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "cache"))
    from studio.core.model import load_model
    from studio.core.session import TrainingSession
    from studio.domains.music.demo import write_tune

    folder = tmp_path / "tunes"
    folder.mkdir()
    for i in range(3):
        write_tune(folder / f"waltz{i}.mid", 3, 4, 16, np.random.default_rng(i))
        write_tune(folder / f"jig{i}.mid", 6, 8, 16, np.random.default_rng(10 + i))
    overrides = {"batch_size": 8, "sample_every": 3, "metrics_every": 3, "checkpoint_every": 100,
                 "import_options": {"roles": "multi", "bars": 4, "steps_per_beat": 4}}
    session = TrainingSession.create(tmp_path / "run", get_domain("music"), folder, preset="cpu-small", steps=3, seed=0,
                                     device="cpu", overrides=overrides)
    meta = session.corpus.meta
    assert meta["roles"] == ["melody"] and meta["metre_track"]
    assert sorted(f"{d['numerator']}/{d['denominator']}" for d in meta["layouts"]) == ["3/4", "6/8"]
    assert session.run() == "finished"
    model = load_model(tmp_path / "run", get_domain)
    clips = model.render_seeds(list(range(16)), {"sampling": "bernoulli", "seed": 1})
    metres, notes = set(), 0
    for seed, clip in enumerate(clips):
        path = DOMAIN.save_artifact(clip, tmp_path / f"sample{seed}.mid", model.info(seed=seed))
        midi = mido.MidiFile(str(path))
        names = [next(m.name for m in t if m.type == "track_name") for t in midi.tracks[1:]]
        assert names == ["melody"], "only the melody track, no drums, bass or chords"
        sounding = [m for t in midi.tracks for m in t if m.type == "note_on" and m.velocity]
        assert not [m for m in sounding if m.channel == 9], "no drum notes"
        signature = [(m.numerator, m.denominator) for m in midi.tracks[0] if m.type == "time_signature"]
        assert signature == [(clip.numerator, clip.denominator)] and clip.bars == 4
        metres.add(signature[0])
        notes += len(sounding)
    assert metres == {(3, 4), (6, 8)}, "both of the folder's metres come out"
    assert notes > 0
