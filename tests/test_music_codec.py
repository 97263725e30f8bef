"""Clip <-> MIDI round trips, exports, decoding and the piano-roll picture."""
from __future__ import annotations

import json
import os
import stat

import mido
import numpy as np
import pytest
import torch

from studio.core.domain import ModelContext
from studio.domains import get_domain
from studio.domains.music.codec import MidiProblem, midi_to_clips, read_info, write_midi
from studio.domains.music.roll import Clip, concat_clips, roll_image

DOMAIN = get_domain("music")
ROLES = ["drums", "bass", "chords", "melody"]
MULTI = {"roles": "multi", "steps_per_beat": 4, "bars": 4, "lowest": 24, "pitches": 84}


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "cache"))


def random_roll(rng: np.random.Generator, tracks=4, steps=64, pitches=84, density=0.04) -> np.ndarray:
    roll = (rng.random((tracks, steps, pitches)) < density).astype(np.uint8)
    roll[0, :, :12] = 0  # drum pitches below MIDI 36 would not be drums anyone plays
    return roll


def clip(roll: np.ndarray, **kw) -> Clip:
    return Clip(roll, steps_per_beat=4, lowest=24, roles=list(ROLES), programs=[0, 33, 48, 80], tempo=97.0, **kw)


def test_roll_to_midi_to_roll_is_exact(tmp_path):
    rng = np.random.default_rng(0)
    original = clip(random_roll(rng))
    info = {"seed": 7, "latent": [0.25, -1.5], "run": "r", "step": 100}
    path = write_midi(original, tmp_path / "x.mid", info)
    back = midi_to_clips(path, MULTI)
    assert len(back) == 1
    assert np.array_equal(back[0].roll, original.roll)
    assert back[0].programs == original.programs and back[0].roles == ROLES
    assert back[0].tempo == pytest.approx(97.0, abs=0.01)
    assert read_info(path) == info
    assert json.loads((tmp_path / "x.mid.json").read_text()) == info
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, "exports get the usual permissions"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.mid", "x.mid.json"], "no temporary files left"


def test_midi_file_layout(tmp_path):
    roll = np.zeros((4, 64, 84), np.uint8)
    roll[0, 0, 36 - 24] = 1
    roll[1, 0:8, 36 - 24] = 1
    roll[3, 4:6, 72 - 24] = 1
    path = write_midi(clip(roll), tmp_path / "y.mid")
    midi = mido.MidiFile(str(path))
    assert midi.type == 1 and len(midi.tracks) == 5
    assert not (tmp_path / "y.mid.json").exists()
    names = [next(m.name for m in t if m.type == "track_name") for t in midi.tracks[1:]]
    assert names == ROLES
    channels = {name: {m.channel for m in t if hasattr(m, "channel")} for name, t in zip(names, midi.tracks[1:])}
    assert channels["drums"] == {9} and 9 not in channels["bass"] | channels["chords"] | channels["melody"]
    programs = [next(m.program for m in t if m.type == "program_change") for t in midi.tracks[1:]]
    assert programs == [0, 33, 48, 80]
    tempo = next(m.tempo for m in midi.tracks[0] if m.type == "set_tempo")
    assert mido.tempo2bpm(tempo) == pytest.approx(97.0)
    melody = [m for m in midi.tracks[4] if m.type in ("note_on", "note_off")]
    assert [(m.type, m.note) for m in melody] == [("note_on", 72), ("note_off", 72)]
    assert melody[0].velocity == 100
    ticks = np.cumsum([m.time for m in midi.tracks[4]])
    on_tick = ticks[[i for i, m in enumerate(midi.tracks[4]) if m.type == "note_on"][0]]
    assert on_tick == 4 * 120


def test_midi_to_roll_to_midi_keeps_notes_on_the_grid(tmp_path):
    step = 120
    track = mido.MidiTrack([mido.MetaMessage("track_name", name="melody", time=0)])
    notes = [(0, 4, 60), (4, 2, 62), (8, 8, 64), (20, 1, 67), (32, 16, 72), (60, 4, 71)]
    events = sorted([(s * step, 1, p) for s, _, p in notes] + [((s + n) * step, 0, p) for s, n, p in notes])
    now = 0
    for tick, on, pitch in events:
        track.append(mido.Message("note_on" if on else "note_off", note=pitch, velocity=80 if on else 0,
                                  time=tick - now))
        now = tick
    midi = mido.MidiFile(type=1, ticks_per_beat=480)
    midi.tracks.append(track)
    source = tmp_path / "in.mid"
    midi.save(str(source))
    clips = midi_to_clips(source, {"roles": "multi", "drums": False})
    out = write_midi(clips, tmp_path / "out.mid")
    written = mido.MidiFile(str(out))
    found, now, starts = [], 0, {}
    for msg in written.tracks[3]:  # after the tempo track: bass, chords, melody
        now += msg.time
        if msg.type == "note_on" and msg.velocity:
            starts[msg.note] = now
        elif msg.type in ("note_off", "note_on"):
            start = starts.pop(msg.note)
            found.append((start // step, (now - start) // step, msg.note))
    assert sorted(found) == sorted(notes)


def test_walk_and_grid_write_consecutive_phrases(tmp_path):
    rng = np.random.default_rng(1)
    clips = [clip(random_roll(rng)) for _ in range(3)]
    path = DOMAIN.save_walk(clips, tmp_path / "walk.mid", {"seeds": [1, 2, 3]})
    back = midi_to_clips(path, MULTI)
    assert len(back) == 3
    for a, b in zip(clips, back):
        assert np.array_equal(a.roll, b.roll)
    grid = DOMAIN.save_grid(clips[:2], tmp_path / "grid.mid", {"seeds": [1, 2]})
    assert len(midi_to_clips(grid, MULTI)) == 2
    single = DOMAIN.save_artifact(clips[0], tmp_path / "one.mid", {"seed": 1})
    assert read_info(single) == {"seed": 1}
    joined = concat_clips(clips)
    assert joined.steps == 192 and joined.bars == 12


def test_decode_threshold_and_reproducible_bernoulli():
    meta = {"steps_per_beat": 4, "bars": 4, "lowest": 24, "pitches": 84, "roles": ROLES,
            "programs": [0, 33, 0, 73], "tempo": 120.0}
    preset = DOMAIN.presets["cpu-small"]
    out = torch.full((2, 4, 64, 84), -1.0)
    out[0, 1, :8, 12] = 0.5  # probability 0.75
    out[1, 3, :, 40] = -0.4  # probability 0.3, under the default threshold
    ctx = ModelContext(preset, meta, torch.device("cpu"))
    clips = DOMAIN.decode(out, ctx)
    assert [c.roll.sum() for c in clips] == [8, 0]
    assert clips[0].programs == [0, 33, 0, 73] and clips[0].tempo == 120.0
    low = DOMAIN.decode(out, ModelContext(preset, meta, torch.device("cpu"), options={"threshold": 0.25}))
    assert low[1].roll.sum() == 64
    opts = {"sampling": "bernoulli", "seed": 3, "programs": [0, 38, 89, 81], "tempo": 90}
    a = DOMAIN.decode(out, ModelContext(preset, meta, torch.device("cpu"), options=opts))
    b = DOMAIN.decode(out, ModelContext(preset, meta, torch.device("cpu"), options=opts))
    c = DOMAIN.decode(out, ModelContext(preset, meta, torch.device("cpu"), options={**opts, "seed": 4}))
    assert all(np.array_equal(x.roll, y.roll) for x, y in zip(a, b))
    assert not all(np.array_equal(x.roll, y.roll) for x, y in zip(a, c))
    assert 0 < a[1].roll.sum() < 64 and a[0].programs == [0, 38, 89, 81] and a[0].tempo == 90.0
    alone = DOMAIN.decode(out[1:], ModelContext(preset, meta, torch.device("cpu"), options=opts))[0]
    assert np.array_equal(alone.roll, a[1].roll)  # the clip's notes do not depend on its batch


def test_keyed_draws_are_uniform_and_independent_across_samples():
    from studio.core.keyed_draws import sample_keys, uniforms

    outputs = torch.randn(4000, 32, generator=torch.Generator().manual_seed(0))
    keys = sample_keys(outputs, seed=7)
    assert len(set(keys.tolist())) > 3900  # distinct samples get distinct draws
    draws = uniforms(keys, 50)
    assert 0 < float(draws.min()) and float(draws.max()) < 1
    assert abs(float(draws.mean()) - 0.5) < 0.01 and abs(float(draws.var()) - 1 / 12) < 0.01
    assert abs(float(torch.corrcoef(torch.stack([draws[:, 0], draws[:, 1]]))[0, 1])) < 0.05
    assert torch.equal(keys[:10], sample_keys(outputs[:10], seed=7))  # a sample's key is its own
    assert not torch.equal(keys, sample_keys(outputs, seed=8))


def test_roll_image_draws_tracks_bars_and_octaves():
    roll = np.zeros((4, 64, 84), np.uint8)
    roll[3, 16:24, 60 - 24] = 1  # melody C4 in bar 2
    roll[1, 0:4, 40 - 24] = 1
    image = roll_image(clip(roll), scale=3)
    assert image.shape == (84 * 3, 64 * 3, 3) and image.dtype == np.uint8
    y = (83 - (60 - 24)) * 3 + 1
    melody_px = image[y, 20 * 3 + 1]
    bass_px = image[(83 - (40 - 24)) * 3 + 1, 2 * 3 + 1]
    assert melody_px[0] > 200 and melody_px[1] < 150, "melody is red-pink"
    assert bass_px[2] > 200 and bass_px[0] < 150, "bass is blue"
    empty_row = (83 - 10) * 3 + 1
    assert image[empty_row, 16 * 3][0] > image[empty_row, 17 * 3][0], "bar lines are brighter than the ground"
    c_row, other_row = (83 - 12) * 3 + 1, (83 - 14) * 3 + 1  # MIDI 36 is a C, 38 is not
    assert image[c_row, 5 * 3 + 1][0] > image[other_row, 5 * 3 + 1][0], "octave lines on every C"
    assert roll_image(clip(roll), scale=1).shape == (84, 64, 3)


def test_clip_validation_and_unreadable_midi(tmp_path):
    with pytest.raises(ValueError):
        Clip(np.zeros((2, 64, 84)), roles=["piano"], programs=[0])
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"MThd\x00\x00")
    with pytest.raises(MidiProblem, match="truncated"):
        midi_to_clips(bad)
    assert DOMAIN.load_artifacts(write_midi(clip(random_roll(np.random.default_rng(2))), tmp_path / "ok.mid"),
                                 {"steps_per_beat": 4, "bars": 4, "lowest": 24, "pitches": 84, "roles": ROLES})


def test_decoding_keeps_each_track_to_the_corpus_s_voices():
    from studio.domains.music.voices import track_voices

    corpus_rolls = np.zeros((3, 2, 8, 12), np.uint8)
    corpus_rolls[:, 0, :, 5] = 1  # a single line
    corpus_rolls[:, 1, :, [0, 4, 7]] = 1  # three-note chords
    assert track_voices(corpus_rolls) == [1, 3]
    domain = DOMAIN
    meta = {"steps_per_beat": 4, "bars": 1, "lowest": 24, "roles": ["melody", "chords"], "programs": [0, 0],
            "tempo": 100.0, "voices": [1, 3]}
    prob = torch.full((1, 2, 8, 12), 0.1)
    prob[0, :, :, 2:9] = torch.linspace(0.6, 0.9, 7)  # seven pitches above the threshold in both tracks
    output = prob * 2 - 1
    kept = domain.binarise(output, {}, meta)
    assert kept[0, 0].sum(axis=-1).tolist() == [1] * 8 and kept[0, 0, :, 8].all()  # the most probable pitch
    assert kept[0, 1].sum(axis=-1).tolist() == [3] * 8 and kept[0, 1, :, 6:9].all()
    assert domain.binarise(output, {}).sum() == 2 * 8 * 7  # without the corpus's voices, every cell above threshold
    clip = domain.decode(output, ModelContext(domain.presets["cpu-small"], meta, torch.device("cpu")))[0]
    assert clip.roll.sum() == 8 * 4


def test_note_lengths_and_the_corpus_s_shortest_notes():
    from studio.domains.music.voices import note_lengths, shortest_notes

    rolls = np.zeros((2, 2, 8, 12), np.uint8)
    rolls[0, 0, 0:2, 3] = 1  # an eighth
    rolls[0, 0, 4:8, 3] = 1  # a quarter reaching the phrase's end
    rolls[1, 0, 0:2, 5] = 1
    rolls[1, 0, 2:4, 7] = 1
    rolls[0, 1, 0, 1] = rolls[0, 1, 2, 1] = 1  # two 16ths, a step apart
    assert sorted(note_lengths(rolls[:, 0]).tolist()) == [2, 2, 2, 4]
    assert sorted(note_lengths(rolls[:, 1]).tolist()) == [1, 1]
    assert shortest_notes(rolls) == [2, 1]
    assert shortest_notes(np.zeros((1, 1, 8, 12), np.uint8)) == [1]  # no notes: nothing to hold


def test_decoding_holds_a_started_note_for_the_corpus_s_shortest_length():
    meta = {"steps_per_beat": 4, "lowest": 24, "roles": ["melody"], "programs": [0], "tempo": 100.0,
            "voices": [1], "shortest_notes": [2]}
    prob = torch.full((1, 1, 8, 12), 0.01)
    prob[0, 0, 0, 5] = 0.9
    prob[0, 0, 1, 5] = 0.2  # under the threshold, over half of it: held, the note lasts an eighth
    prob[0, 0, 4, 7] = 0.9
    prob[0, 0, 5, 7] = 0.1  # under half the threshold: G has let go, the note stays a 16th
    for step, (a, b) in zip(range(2, 4), ((0.6, 0.5), (0.5, 0.6))):  # the top pitch flickers between neighbours
        prob[0, 0, step, 9], prob[0, 0, step, 10] = a, b
    roll = DOMAIN.binarise(prob * 2 - 1, {"threshold": 0.3}, meta)[0, 0]
    assert roll[:, 5].tolist() == [1, 1, 0, 0, 0, 0, 0, 0]
    assert roll[:, 7].tolist() == [0, 0, 0, 0, 1, 0, 0, 0]
    assert roll[2:4, 9].tolist() == [1, 1] and roll[:, 10].sum() == 0  # one note held, not two flickering
    assert roll.sum(axis=1).max() == 1
    unheld = DOMAIN.binarise(prob * 2 - 1, {"threshold": 0.3}, {**meta, "shortest_notes": [1]})[0, 0]
    assert unheld[:, 5].tolist() == [1, 0, 0, 0, 0, 0, 0, 0] and unheld[3, 10] == 1
