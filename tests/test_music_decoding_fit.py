"""The run's own decoding (calibration.py): each option fitted on hand-made probabilities with a known answer,
and a real few-step run whose model decodes with what it fitted."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.domains.music import calibration
from studio.domains.music.domain import DOMAIN
from studio.domains.music.voices import decode_notes
from studio.domains import get_domain

LOWEST = 48  # C3: row r is MIDI pitch 48 + r
G_MAJOR = (7, 9, 11, 0, 2, 4, 6)
OUTSIDE_G = (1, 3, 5, 8, 10)


def solo_meta(voices: int = 1) -> dict:
    return {"roles": ["melody"], "lowest": LOWEST, "pitches": 36, "steps_per_beat": 4, "bars": 4,
            "voices": [voices], "shortest_notes": [1]}


def as_output(prob: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(prob.astype(np.float32) * 2.0 - 1.0)


def chromatic_g(clips: int = 64, steps: int = 64, seed: int = 0) -> np.ndarray:
    """A melody in G whose G leans to a chromatic neighbour on a third of the steps, more strongly than to the scale."""
    rng = np.random.default_rng(seed)
    prob = np.full((clips, 1, steps, 36), 0.02)
    in_rows = [r for r in range(36) if (LOWEST + r) % 12 in G_MAJOR]
    out_rows = [r for r in range(36) if (LOWEST + r) % 12 in OUTSIDE_G]
    for c in range(clips):
        for s in range(steps):
            prob[c, 0, s, rng.choice(in_rows)] = 0.45
            if rng.random() < 0.35:
                prob[c, 0, s, rng.choice(out_rows)] = rng.uniform(0.5, 0.95)
    return prob


def figures(prob: np.ndarray, meta: dict, options: dict) -> dict:
    return calibration.sample_figures(DOMAIN.binarise(as_output(prob), options, meta), meta)


def test_scale_pull_brings_a_chromatic_melody_to_the_corpus_scale_share():
    meta, prob = solo_meta(), chromatic_g()
    plain = figures(prob, meta, {})
    assert plain["SC"] < 0.8
    target = 0.92
    fitted = calibration.fit_decoding(lambda o: DOMAIN.binarise(as_output(prob), o, meta), meta,
                                      {"NA": plain["NA"], "SC": target, "LP": 1.0}, {})
    assert set(fitted) == {"scale_pull"} and 0.0 < fitted["scale_pull"] < 1.0
    assert figures(prob, meta, fitted)["SC"] == pytest.approx(target, abs=0.02)
    assert figures(prob, meta, {"scale_pull": 0.0})["SC"] > 0.99
    assert np.array_equal(DOMAIN.binarise(as_output(prob), {"scale_pull": 1.0}, meta),
                          DOMAIN.binarise(as_output(prob), {}, meta)), "a pull of 1 decodes as before"


def test_a_named_key_wins_over_the_pull():
    meta, prob = solo_meta(), chromatic_g(clips=8)
    locked = DOMAIN.binarise(as_output(prob), {"key": "Db"}, meta)
    assert np.array_equal(DOMAIN.binarise(as_output(prob), {"key": "Db", "scale_pull": 0.0}, meta), locked)


def leapy_line(clips: int = 64, steps: int = 64, seed: int = 1) -> np.ndarray:
    """A one-voice line where G prefers a jump of an octave or more to a nearby step on about half the notes."""
    rng = np.random.default_rng(seed)
    prob = np.full((clips, 1, steps, 36), 0.02)
    for c in range(clips):
        here = 18
        for s in range(0, steps, 2):
            near = int(np.clip(here + rng.integers(-3, 4), 0, 35))
            far = int((here + rng.choice([-1, 1]) * rng.integers(9, 14)) % 36)
            prob[c, 0, s : s + 2, near] = 0.5
            if rng.random() < 0.5:
                prob[c, 0, s : s + 2, far] = rng.uniform(0.55, 0.95)
                here = far if rng.random() < 0.2 else near
            else:
                here = near
    return prob


def test_leap_penalty_brings_a_leapy_solo_line_to_the_corpus_leap_share():
    meta, prob = solo_meta(), leapy_line()
    plain = figures(prob, meta, {})
    assert plain["LP"] > 0.3
    target = 0.12
    fitted = calibration.fit_decoding(lambda o: DOMAIN.binarise(as_output(prob), o, meta), meta,
                                      {"NA": plain["NA"], "SC": 0.0, "LP": target}, {})
    assert set(fitted) == {"leap_penalty"} and fitted["leap_penalty"] > 0
    after = figures(prob, meta, fitted)
    assert after["LP"] == pytest.approx(target, rel=0.2)
    assert after["NA"] == plain["NA"] == 1.0, "the penalty changes pitches, never how many sound"
    on = DOMAIN.binarise(as_output(prob), fitted, meta)
    plain_on = DOMAIN.binarise(as_output(prob), {}, meta)
    assert np.array_equal(on.any(axis=-1), plain_on.any(axis=-1)), "every step that sounded still sounds"


def test_leap_penalty_steers_a_chord_tracks_top_voice_and_keeps_its_notes_and_zero_is_todays_decoding():
    from studio.domains.music.metrics import leap_counts

    rng = np.random.default_rng(2)
    prob = rng.uniform(0, 1, (32, 1, 32, 36)) ** 2
    on = prob > 0.3
    before = decode_notes(on, prob, [3], [1], 0.3)
    assert np.array_equal(decode_notes(on, prob, [3], [1], 0.3, 0.0), before)
    after = decode_notes(on, prob, [3], [1], 0.3, 2.0)
    assert np.array_equal(after.sum(axis=-1), before.sum(axis=-1)), "a note is swapped for a note"
    leaps_before, moves_before = leap_counts(before[:, 0])
    leaps_after, moves_after = leap_counts(after[:, 0])
    assert leaps_after / moves_after < 0.5 * leaps_before / moves_before


def test_threshold_fit_brings_a_crowded_track_to_the_corpus_notes_at_once():
    rng = np.random.default_rng(3)
    meta = {**solo_meta(voices=6), "roles": ["chords"]}
    prob = rng.uniform(0.0, 1.0, (48, 1, 32, 36)) ** 3
    plain = figures(prob, meta, {})
    assert plain["NA"] == pytest.approx(6.0, abs=0.05), "at today's threshold the track sits on its voice cap"
    target = 3.1
    fitted = calibration.fit_decoding(lambda o: DOMAIN.binarise(as_output(prob), o, meta), meta,
                                      {"NA": target, "SC": 0.0, "LP": 1.0}, {})
    assert set(fitted) == {"threshold"} and fitted["threshold"] > 0.3
    assert figures(prob, meta, fitted)["NA"] == pytest.approx(target, rel=0.05)


def test_figures_already_matching_fit_nothing():
    meta, prob = solo_meta(), chromatic_g(clips=16)
    plain = figures(prob, meta, {})
    assert calibration.fit_decoding(lambda o: DOMAIN.binarise(as_output(prob), o, meta), meta, plain, {}) == {}


def test_scale_pull_outside_its_range_is_refused():
    with pytest.raises(ValueError, match="scale_pull"):
        DOMAIN.binarise(as_output(chromatic_g(clips=1)), {"scale_pull": 1.5}, solo_meta())


def write_tunes(folder, count: int = 6) -> None:
    """One-track tunes in C major moving by steps and thirds: a melody folder with no leaps and no accidentals."""
    from studio.domains.music.demo import write_tune

    folder.mkdir()
    for i in range(count):
        write_tune(folder / f"tune{i}.mid", 4, 4, 8, np.random.default_rng([4, i]), per_unit=2, program=73)


def test_a_real_run_fits_its_decoding_and_sample_decodes_with_it(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "cache"))
    from studio.cli import main
    from studio.core import checkpoints as ck
    from studio.core.model import load_model
    from studio.domains.music.codec import read_info

    write_tunes(tmp_path / "tunes")
    run = tmp_path / "run"
    assert main(["train", "music", str(tmp_path / "tunes"), "--out", str(run), "--steps", "3", "--batch", "4"]) == 0
    model = load_model(run, get_domain)
    fitted = model.decode_defaults
    assert fitted and set(fitted) <= {"threshold", "scale_pull", "leap_penalty", "repeat_guard"}
    assert ck.load_latest(run / "checkpoints").info["decode_defaults"] == fitted
    assert main(["sample", str(run), "--count", "1", "--seed", "3", "--out", str(tmp_path / "clips")]) == 0
    recorded = read_info(tmp_path / "clips" / "music-seed3.mid")["options"]
    assert all(recorded[k] == v for k, v in fitted.items())
    assert main(["sample", str(run), "--count", "1", "--seed", "3", "--out", str(tmp_path / "plain"),
                 "--option", "scale_pull=1", "--option", "leap_penalty=0", "--option", "threshold=0.3"]) == 0
    assert read_info(tmp_path / "plain" / "music-seed3.mid")["options"]["scale_pull"] == 1, "the caller wins"


def repeating_line(clips: int = 48, seed: int = 5) -> np.ndarray:
    """A solo line whose G plays its first bar again in every later bar, with a second choice half supported."""
    rng = np.random.default_rng(seed)
    prob = np.full((clips, 1, 64, 36), 0.02)
    for c in range(clips):
        first = [int(r) for r in rng.integers(10, 26, 8)]
        for bar in range(4):
            for k, row in enumerate(first):
                steps = slice(bar * 16 + 2 * k, bar * 16 + 2 * k + 2)
                prob[c, 0, steps, row] = 0.8
                prob[c, 0, steps, row + int(rng.choice([-2, 2]))] = rng.uniform(0.2, 0.3)
    return prob


def test_repeat_guard_brings_copied_bars_to_the_corpus_rate_and_keeps_every_note():
    meta, prob = solo_meta(), repeating_line()
    plain = figures(prob, meta, {})
    assert plain["BR"] == 1.0, "every bar copies the one before"
    fitted = calibration.fit_decoding(lambda o: DOMAIN.binarise(as_output(prob), o, meta), meta,
                                      {"NA": plain["NA"], "SC": 0.0, "LP": 1.0, "BR": 0.2}, {})
    assert set(fitted) == {"repeat_guard"} and 0.0 < fitted["repeat_guard"] <= 1.0
    assert figures(prob, meta, fitted)["BR"] <= 0.2 + calibration.BR_TOLERANCE
    guarded = DOMAIN.binarise(as_output(prob), {"repeat_guard": 1.0}, meta)
    unguarded = DOMAIN.binarise(as_output(prob), {}, meta)
    assert figures(prob, meta, {"repeat_guard": 1.0})["BR"] < 0.1
    assert np.array_equal(guarded.sum(axis=-1), unguarded.sum(axis=-1)), "a note is swapped for a note"
    assert np.array_equal(guarded[:, :, :16], unguarded[:, :, :16]), "a first bar has nothing to repeat"
    assert np.array_equal(DOMAIN.binarise(as_output(prob), {"repeat_guard": 0.0}, meta), unguarded)
    with pytest.raises(ValueError, match="repeat_guard"):
        DOMAIN.binarise(as_output(prob), {"repeat_guard": 2.0}, meta)


def test_repeat_guard_breaks_a_note_held_through_every_bar():
    meta = solo_meta()
    prob = np.full((4, 1, 64, 36), 0.01)
    prob[:, 0, :, 18] = 0.9  # one pitch held through all four bars
    prob[:, 0, :, 20] = 0.2  # a second choice G half supports (above half the threshold)
    plain = figures(prob, meta, {})
    assert plain["BR"] == 1.0
    guarded = DOMAIN.binarise(as_output(prob), {"repeat_guard": 1.0}, meta)
    assert figures(prob, meta, {"repeat_guard": 1.0})["BR"] < 1.0
    assert guarded[:, 0, 16, 20].all(), "the held note gives way on the bar line it was held over"
    assert np.array_equal(guarded.sum(axis=-1), DOMAIN.binarise(as_output(prob), {}, meta).sum(axis=-1))
