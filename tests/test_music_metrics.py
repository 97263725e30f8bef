"""MuseGAN's figures on hand-made rolls whose answers are worked out by hand."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from studio.core.domain import ModelContext
from studio.domains import get_domain
from studio.domains.music import metrics as M

LOWEST = 48  # row 0 is C3
C, E, G = 0, 4, 7


def meta(roles, spb=4):
    return {"steps_per_beat": spb, "lowest": LOWEST, "roles": list(roles), "bars": 2}


def empty(n=1, tracks=1, spb=4, bars=2, pitches=24):
    return np.zeros((n, tracks, bars * 4 * spb, pitches), dtype=np.uint8)


def test_empty_bars_counts_the_empty_ones():
    rolls = empty(n=2)
    rolls[0, 0, 0:4, C] = 1  # sample 0: bar 1 only; sample 1: silent -> 3 of 4 bars empty
    assert M.music_metrics(rolls, meta(["piano"]))["EB"] == pytest.approx(0.75)
    rolls[1, 0, 20, G] = 1  # bar 2 of sample 1
    assert M.music_metrics(rolls, meta(["piano"]))["EB"] == pytest.approx(0.5)


def test_used_pitch_classes_over_non_empty_bars():
    rolls = empty(n=2)
    rolls[0, 0, 0:4, [C, E, G, C + 12]] = 1  # C E G and C an octave up: 3 classes
    rolls[1, 0, 16:18, E] = 1  # one class; the two other bars are empty and do not count
    rolls[1, 0, 30, E + 12] = 1
    assert M.music_metrics(rolls, meta(["piano"]))["UPC"] == pytest.approx((3 + 1) / 2)


def test_polyphony_share_of_sounding_steps_with_three_or_more_pitches():
    rolls = empty()
    rolls[0, 0, 0:4, [C, E, G]] = 1  # 4 steps of a triad
    rolls[0, 0, 4:8, C] = 1  # 4 steps of one note
    rolls[0, 0, 8:12, [C, G]] = 1  # 4 steps of two: not "more than 2"
    assert M.music_metrics(rolls, meta(["piano"]))["PP"] == pytest.approx(4 / 12)


def test_qualified_notes_scale_with_the_grid():
    assert [M.qualified_length(s) for s in (4, 12, 24)] == [1, 2, 3]
    rolls = empty(spb=12)
    track = rolls[0, 0]
    track[0:1, C] = 1  # 1 step
    track[5:6, C] = 1  # 1 step
    track[10:12, E] = 1  # 2 steps
    track[20:25, G] = 1  # 5 steps
    figures = M.music_metrics(rolls, meta(["piano"], spb=12))
    assert figures["QN"] == pytest.approx(2 / 4)
    rolls24 = empty(spb=24)
    rolls24[0, 0, 0:2, C] = 1
    rolls24[0, 0, 10:13, C] = 1
    assert M.music_metrics(rolls24, meta(["piano"], spb=24))["QN"] == pytest.approx(1 / 2)
    assert "QN" not in M.music_metrics(empty(), meta(["piano"])), "every note qualifies at 4 steps a beat"


def test_drums_in_pattern_on_a_fine_grid_only():
    rolls = empty(tracks=2, spb=12)
    drums = rolls[0, 0]
    drums[[0, 3, 6], 0] = 1  # 16ths: on the pattern
    drums[4, 2] = 1  # a triplet 8th: off it
    figures = M.music_metrics(rolls, meta(["drums", "piano"], spb=12))
    assert figures["DP"] == pytest.approx(3 / 4)
    assert "DP" not in M.music_metrics(empty(tracks=2), meta(["drums", "piano"]))


def test_tonal_distance_zero_for_the_same_harmony_and_known_for_a_fifth():
    rolls = empty(tracks=3)
    rolls[0, 0, 0:4, [C, E, G]] = 1  # beat 1: the same C major triad in two tracks
    rolls[0, 1, 0:4, [C + 12, E, G + 12]] = 1
    rolls[0, 2, 0:4, :] = 0
    assert M.tonal_distance(rolls[:, 0], rolls[:, 1], 4, LOWEST) == pytest.approx(0.0, abs=1e-6)
    single = empty(tracks=2)
    single[0, 0, 0:4, C] = 1
    single[0, 1, 0:4, G] = 1
    # Centroid of C: (0, 1, 0, 1, 0, .5); of G: (.5, .866, 1, 0, .433, -.25)  (Harte et al. 2006, r3 = 0.5)
    expected = math.sqrt(0.25 + (1 - math.sqrt(3) / 2) ** 2 + 1 + 1 + 3 / 16 + 0.5625)
    assert M.music_metrics(single, meta(["bass", "melody"]))["TD"] == pytest.approx(expected, rel=1e-5)
    # A beat where only one track plays does not count.
    single[0, 0, 8:12, E] = 1
    assert M.music_metrics(single, meta(["bass", "melody"]))["TD"] == pytest.approx(expected, rel=1e-5)


def test_keys_per_role_and_nothing_undefined():
    rolls = empty(tracks=3)
    rolls[0, 2, 0:4, [C, E, G]] = 1  # chords play in bar 1; drums and bass are silent
    figures = M.music_metrics(rolls, meta(["drums", "bass", "chords"]))
    assert set(figures) == {"EB", "EB.bass", "EB.chords", "UPC", "UPC.chords", "PP", "PP.chords"}
    assert figures["EB.bass"] == 1.0 and figures["EB.chords"] == 0.5 and figures["EB"] == 0.75
    assert figures["UPC"] == 3.0, "an all-empty track has no UPC and does not drag the mean"
    assert all(math.isfinite(v) for v in figures.values())
    assert M.music_metrics(empty(), meta(["piano"])) == {"EB": 1.0}


def test_domain_metrics_and_corpus_reference(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "cache"))
    from studio.domains.music.demo import write_demo_folder

    dom = get_domain("music")
    corpus = dom.import_folder(write_demo_folder(tmp_path / "demo", count=4), {"roles": "multi"})
    reference = dom.reference_metrics(corpus)
    assert reference == M.music_metrics(corpus.data.numpy(), corpus.meta)
    real = dom.real_batch(corpus.data, corpus.meta, train=False)
    ctx = ModelContext(dom.presets["cpu-small"], corpus.meta, torch.device("cpu"))
    assert dom.metrics(real, corpus, ctx) == pytest.approx(reference)
    silent = dom.metrics(torch.full_like(real[:4], -1.0), corpus, ctx)
    assert silent == {"EB": 1.0, "EB.bass": 1.0, "EB.chords": 1.0, "EB.melody": 1.0}
