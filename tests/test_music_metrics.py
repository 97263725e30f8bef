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
    assert set(figures) == {"EB", "EB.bass", "EB.chords", "UPC", "UPC.chords", "PP", "PP.chords", "NA", "SC", "BR"}
    assert figures["BR"] == 0.0, "a busy bar followed by an empty one is no repetition"
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
    profile = M.corpus_profile(corpus.data.numpy(), corpus.meta)
    assert reference == M.music_metrics(corpus.data.numpy(), corpus.meta, profile)
    assert reference["LD"] == 0.0 and reference["UR"] == 0.0
    assert {"NA", "SC", "LP", "BR"} <= set(reference)
    plotted = {key for keys in dom.figure_panels.values() for key in keys}
    assert {key.split(".")[0] for key in reference} <= plotted, "every figure has its curve and reference line"
    real = dom.real_batch(corpus.data, corpus.meta, train=False)
    ctx = ModelContext(dom.presets["cpu-small"], corpus.meta, torch.device("cpu"))
    assert dom.metrics(real, corpus, ctx) == pytest.approx(reference)
    silent = dom.metrics(torch.full_like(real[:4], -1.0), corpus, ctx)
    assert silent == {"EB": 1.0, "EB.bass": 1.0, "EB.chords": 1.0, "EB.melody": 1.0}


# ----------------------------------------------------------------- texture, key and form (issue 14)
def test_notes_at_once_over_pitched_tracks_and_sounding_steps_only():
    rolls = empty(tracks=3)
    rolls[0, 1, 0:4, [C, E, G]] = 1  # chords: a triad, then one note
    rolls[0, 1, 4:8, C] = 1
    rolls[0, 2, 0:8, C + 12] = 1  # bass under both: 4 then 2 pitches sound
    rolls[0, 0, 0:16, :] = 1  # drum hits are not pitches
    assert M.music_metrics(rolls, meta(["drums", "chords", "bass"]))["NA"] == pytest.approx(3.0)


def test_scale_share_counts_notes_in_each_clips_own_key():
    rolls = empty(n=2, bars=4)
    melody = rolls[:, 0]
    step = 0
    for pc, length in [(C, 8), (2, 2), (E, 4), (5, 2), (G, 4), (9, 2), (11, 2), (6, 2)]:  # C major and one F#
        melody[0, step:step + length, pc + 12] = 1
        step += length + 1
    step = 0
    for pc, length in [(9, 8), (0, 4), (4, 4), (11, 2), (2, 2), (8, 2), (5, 2)]:  # A minor, its leading note G#
        melody[1, step:step + length, pc + 12] = 1
        step += length + 1
    both = M.music_metrics(rolls, meta(["melody"]))["SC"]
    assert both == pytest.approx(14 / 15), "the F# is out of C major; G# is A minor's raised 7th"
    assert M.music_metrics(rolls[1:], meta(["melody"]))["SC"] == 1.0


def test_leaps_follow_the_top_voice_of_melodic_tracks():
    rolls = empty(n=2, tracks=2)
    top = rolls[:, 0]
    for start, row in [(0, 12), (4, 14), (8, 21), (12, 9)]:  # C4 D4 A4 A3: a step, a fifth, an octave down
        top[0, start:start + 3, row] = 1
    top[0, 0:16, 0] = 1  # a held C3 under the tune is not the top voice
    top[1, 0:4, 23] = 1  # the next clip's note is no move from the last clip's
    figures = M.music_metrics(rolls, meta(["melody", "chords"]))
    assert figures["LP"] == pytest.approx(1 / 3)
    rolls[0, 1, [0, 4, 8], [0, 23, 0]] = 1  # octave-and-more jumps in the second track
    assert M.music_metrics(rolls, meta(["melody", "chords"]))["LP"] == pytest.approx(3 / 5)
    chordal = {**meta(["melody", "chords"]), "voices": [1, 4]}
    assert M.music_metrics(rolls, chordal)["LP"] == pytest.approx(1 / 3), "a four-voice track is not melodic"


def _bar(pattern_rows, bar_steps):
    bar = np.zeros((bar_steps, 24), dtype=np.uint8)
    bar[:, pattern_rows] = 1
    return bar


def test_bar_repetition_uses_each_phrases_own_bars():
    waltz = {**meta(["piano"]), "bars": 4, "layouts": [{"numerator": 3, "denominator": 4, "bars": 4}]}
    rolls = empty(bars=4)
    a = np.zeros((12, 24), dtype=np.uint8)
    a[0:5, C], a[6:11, E] = 1, 1  # two half-bar notes
    near = a.copy()
    near[10, E], near[10, E + 1] = 0, 1  # one of 10 cells a semitone off: 9 of 11 shared
    rolls[0, 0, 0:48] = np.concatenate([a, a, near, _bar([G], 12)])
    assert M.music_metrics(rolls, waltz)["BR"] == pytest.approx(2 / 3)
    assert M.music_metrics(rolls, {**waltz, "layouts": None})["BR"] == 0.0, "read as 4/4 the bars differ"


def test_bar_repetition_and_notes_with_a_metre_track():
    from studio.domains.music.layout import Layout, structure_roll

    layouts = [Layout(4, 4, 2, 4), Layout(3, 4, 2, 4)]
    two = {**meta(["melody"]), "metre_track": True, "layouts": [{**l.to_dict(), "share": 0.5} for l in layouts]}
    rolls = empty(n=2, tracks=2)
    rolls[0, 0, 0:32] = np.concatenate([_bar([C], 16)] * 2)
    rolls[1, 0, 0:24] = np.concatenate([_bar([E], 12)] * 2)
    for n, layout in enumerate(layouts):
        rolls[n, 1] = structure_roll(layout, n, 32, 24)
    figures = M.music_metrics(rolls, two)
    assert figures["BR"] == 1.0 and figures["NA"] == 1.0, "the metre track is read for bars, never as notes"
    assert M.corpus_profile(rolls, two)["used"] == [True]


def test_note_length_histogram_and_distance():
    rolls = empty(bars=4)
    for row, (start, length) in enumerate([(0, 1), (2, 2), (5, 4), (10, 8), (20, 16), (40, 20)]):
        rolls[0, 0, start:start + length, row] = 1  # a 16th, 8th, quarter, half, whole and longer
    assert M.length_histogram(rolls[:, :1] > 0, 4).tolist() == [1, 1, 1, 1, 1, 1]
    corpus = empty()
    corpus[0, 0, 0:4, C], corpus[0, 0, 4:8, E], corpus[0, 0, 8:10, G], corpus[0, 0, 10:12, C] = 1, 1, 1, 1
    samples = empty()
    for start in (0, 3, 6, 9):
        samples[0, 0, start:start + 2, C] = 1
    profile = M.corpus_profile(corpus, meta(["piano"]))
    assert profile["lengths"] == [0, 2, 2, 0, 0, 0]
    assert M.music_metrics(samples, meta(["piano"]), profile)["LD"] == pytest.approx(0.5)
    assert M.music_metrics(corpus, meta(["piano"]), profile)["LD"] == 0.0


def test_notes_in_roles_the_corpus_never_plays():
    roles = ["drums", "bass", "melody"]
    corpus = empty(tracks=3)
    corpus[0, 1, 0:4, C], corpus[0, 2, 0:4, G + 12] = 1, 1  # no drums in the whole corpus
    profile = M.corpus_profile(corpus, meta(roles))
    assert profile["used"] == [False, True, True]
    samples = corpus.copy()
    samples[0, 0, [0, 8], 0] = 1  # two drum hits beside one bass and one melody note
    assert M.music_metrics(samples, meta(roles), profile)["UR"] == pytest.approx(0.5)
    assert M.music_metrics(corpus, meta(roles), profile)["UR"] == 0.0
    everything = {"lengths": profile["lengths"], "used": [True, True, True]}
    assert M.music_metrics(samples, meta(roles), everything)["UR"] == 0.0


def test_onset_positions_tell_a_waltz_s_quarters_from_a_jig_s_eighths():
    from studio.domains.music.layout import Layout, structure_roll

    layouts = [Layout(3, 4, 4, 4), Layout(6, 8, 4, 4)]  # both bars 12 steps: only the rhythm differs
    two = {**meta(["melody"]), "bars": 4, "metre_track": True,
           "layouts": [{**l.to_dict(), "share": 0.5} for l in layouts]}

    def phrases(waltz_note, jig_note):
        rolls = empty(n=2, tracks=2, bars=4)
        for n, (layout, length) in enumerate(zip(layouts, (waltz_note, jig_note))):
            for k, start in enumerate(range(0, 48, length)):
                rolls[n, 0, start:start + length, k % 2 * 2] = 1  # C and D in turn, each note struck anew
            rolls[n, 1] = structure_roll(layout, n, 64, 24)
        return rolls

    corpus = phrases(4, 2)
    profile = M.corpus_profile(corpus, two)
    assert profile["onsets"][0] == [4, 0, 0, 0] * 3 and profile["onsets"][1] == [4, 0] * 6
    assert M.music_metrics(corpus, two, profile)["OD"] == 0.0
    assert M.music_metrics(phrases(2, 2), two, profile)["OD"] == pytest.approx(0.25), \
        "eighths in 3/4: half the waltz's onsets off its quarters, the jig's right"
    assert M.music_metrics(phrases(2, 4), two, profile)["OD"] == pytest.approx(2 / 3 * 0.5 + 1 / 3 * 0.5)
