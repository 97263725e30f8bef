"""MuseGAN's objective figures (Dong et al. 2018) on binary rolls, written and tested here.

All figures are shares in [0, 1] (not percentages) except UPC (a count) and
TD (a distance), and are pooled over every sample in the batch.  Rolls are
N x tracks x steps x pitches; row r is MIDI pitch ``lowest + r``.

* EB  empty bars: share of bars with no note, per pitched track.
* UPC used pitch classes per bar, averaged over the bars that have notes.
* QN  qualified notes: share of notes at least a 32nd note long.  MuseGAN
  counts notes of >= 3 steps at 24 steps per beat; scaled to our grid that is
  ceil(3 * steps_per_beat / 24) steps: 3 at 24/beat, 2 at 12/beat, and 1 at
  4/beat.  On a 16th-note grid every note qualifies by construction, so QN
  carries no information there and is left out rather than reported as 1.
* PP  polyphony: share of time steps with more than 2 pitches sounding,
  among the steps with at least one.
* DP  drums in pattern: share of drum hits on the 16th-note grid (which holds
  the 8th-note grid), i.e. on an 8- or 16-beat pattern.  Left out on grids of
  16ths or coarser, where every hit is on it.
* TD  tonal distance: Euclidean distance between two tracks' tonal centroids
  (Harte et al. 2006) per beat, averaged over beats where both play and over
  every pair of pitched tracks; needs two pitched tracks.

EB, UPC, QN and PP are averaged over pitched tracks; with several pitched
tracks each also appears per role, as ``"EB.bass"``.  A figure with nothing
to measure (UPC of an all-empty batch) is left out, never NaN.

Figures of texture, key and form, so a folder of any kind can be compared
with what G makes of it (issue 14).  Each reads the note tracks only (the
metre track is structure, not notes), pooled over the batch:

* NA  notes sounding at once: pitches sounding per step over all pitched
  tracks together, averaged over the steps where something sounds.
* SC  scale share: share of pitched notes in their clip's key (keys.py's
  Krumhansl-Schmuckler estimate from the clip's pitch-class durations; a
  minor key's raised 7th counts as in it, as for the key lock).
* LP  leaps: share of melodic moves wider than a fifth (7 semitones), between
  consecutive notes of each track's top voice (:func:`top_voice`), over the tracks of at most
  :data:`MELODIC_VOICES` voices (the corpus's ``meta["voices"]``; every pitched
  track when none qualifies).
* BR  bar-to-bar repetition: share of consecutive bar pairs, bars of each
  phrase's own metre (layout.py), whose notes overlap by at least
  :data:`REPEAT_OVERLAP` (identical or nearly); pairs of two empty bars are
  not counted.
* LD  note-length distance: total variation between the pitched notes'
  length histograms (:data:`LENGTH_EDGES`, in quarter notes) of the batch and
  of the corpus, 0 for the same shares, 1 for none in common.
* UR  share of notes in tracks the corpus never plays.
* OD  onset-position distance (rhythm by metre): per layout, total variation
  between the histograms of where in the bar pitched notes start, of the
  batch and of the corpus, averaged over layouts weighted by the batch's
  onsets; 0 when every metre's rhythm sits where the corpus's does.
LD, UR and OD compare with the corpus, so they need its :func:`corpus_profile`.
"""
from __future__ import annotations

import math
from itertools import combinations
from typing import Any

import numpy as np

from studio.domains.music.key_lock import in_key
from studio.domains.music.keys import estimate_key
from studio.domains.music.layout import layout_indices, layouts_of, note_rolls
from studio.domains.music.roll import BEATS_PER_BAR, DRUMS
from studio.domains.music.voices import note_lengths

REFERENCE_SAMPLES = 1000
MELODIC_VOICES = 2  # a track with at most this many notes at once carries melodic lines (a quartet's violin)
LEAP_SEMITONES = 7  # a fifth: wider moves are leaps
REPEAT_OVERLAP = 0.8  # bars sharing this share of their sounding cells count as repeated
LENGTH_EDGES = (0.25, 0.5, 1.0, 2.0, 4.0)
"""Upper edges in quarter notes of the length histogram's bins: 16th, 8th, quarter, half, whole, longer."""


def _tonal_matrix() -> np.ndarray:
    """Harte, Sandler & Gasser's 6 x 12 projection: circles of fifths, minor thirds and major thirds."""
    pc = np.arange(12)
    r1, r2, r3 = 1.0, 1.0, 0.5
    return np.stack([
        r1 * np.sin(pc * 7 * np.pi / 6), r1 * np.cos(pc * 7 * np.pi / 6),
        r2 * np.sin(pc * 3 * np.pi / 2), r2 * np.cos(pc * 3 * np.pi / 2),
        r3 * np.sin(pc * 2 * np.pi / 3), r3 * np.cos(pc * 2 * np.pi / 3),
    ])


TONAL_MATRIX = _tonal_matrix()


def qualified_length(steps_per_beat: int) -> int:
    """Steps a note needs to count as qualified: a 32nd note (3 steps at MuseGAN's 24 per beat)."""
    return max(1, math.ceil(3 * steps_per_beat / 24))


def _pitch_classes(track: np.ndarray, lowest: int) -> np.ndarray:
    """... x pitches -> ... x 12 counts of on-cells per pitch class."""
    pitches = track.shape[-1]
    onehot = np.zeros((pitches, 12), dtype=np.float32)
    onehot[np.arange(pitches), (lowest + np.arange(pitches)) % 12] = 1.0
    return track.astype(np.float32) @ onehot


def empty_bars(track: np.ndarray, steps_per_bar: int) -> float:
    """N x steps x pitches -> share of bars without a note."""
    n, steps, pitches = track.shape
    bars = track[:, : steps // steps_per_bar * steps_per_bar].reshape(n, -1, steps_per_bar, pitches)
    return float(1.0 - bars.any(axis=(2, 3)).mean()) if bars.size else float("nan")


def used_pitch_classes(track: np.ndarray, steps_per_bar: int, lowest: int) -> float:
    """Mean number of pitch classes used in a bar, over the bars that have notes (NaN if none do)."""
    n, steps, pitches = track.shape
    bars = track[:, : steps // steps_per_bar * steps_per_bar].reshape(n, -1, steps_per_bar, pitches)
    used = _pitch_classes(bars.any(axis=2), lowest) > 0  # N x bars x 12
    counts = used.sum(axis=-1)
    busy = counts > 0
    return float(counts[busy].mean()) if busy.any() else float("nan")


def qualified_notes(track: np.ndarray, min_steps: int) -> float:
    """Share of notes (runs of on-cells along time) at least ``min_steps`` long (NaN without notes)."""
    on = track > 0
    before = np.zeros_like(on)
    before[:, 1:] = on[:, :-1]
    onsets = on & ~before
    notes = int(onsets.sum())
    if notes == 0:
        return float("nan")
    long_enough = onsets.copy()
    for k in range(1, min_steps):
        ahead = np.zeros_like(on)
        ahead[:, :-k] = on[:, k:]
        long_enough &= ahead
    return float(long_enough.sum()) / notes


def polyphony(track: np.ndarray, above: int = 2) -> float:
    """Share of sounding steps with more than ``above`` pitches (NaN when nothing sounds)."""
    count = (track > 0).sum(axis=-1)
    sounding = int((count > 0).sum())
    return float((count > above).sum()) / sounding if sounding else float("nan")


def drums_in_pattern(track: np.ndarray, steps_per_beat: int) -> float:
    """Share of drum hits on the 16th-note grid (NaN without hits)."""
    on_grid = (np.arange(track.shape[1]) * 4) % steps_per_beat == 0
    hits = (track > 0).sum(axis=2)  # N x steps
    total = int(hits.sum())
    return float(hits[:, on_grid].sum()) / total if total else float("nan")


def tonal_centroids(track: np.ndarray, steps_per_beat: int, lowest: int) -> tuple[np.ndarray, np.ndarray]:
    """N x steps x pitches -> (N x beats x 6 centroids, N x beats mask of beats with notes)."""
    n, steps, pitches = track.shape
    beats = track[:, : steps // steps_per_beat * steps_per_beat].reshape(n, -1, steps_per_beat, pitches)
    chroma = _pitch_classes(beats.sum(axis=2), lowest)  # N x beats x 12
    total = chroma.sum(axis=-1, keepdims=True)
    centroid = (chroma / np.maximum(total, 1e-9)) @ TONAL_MATRIX.T
    return centroid, total[..., 0] > 0


def tonal_distance(a: np.ndarray, b: np.ndarray, steps_per_beat: int, lowest: int) -> float:
    """Mean distance between two tracks' tonal centroids over beats where both play (NaN if never)."""
    ca, ma = tonal_centroids(a, steps_per_beat, lowest)
    cb, mb = tonal_centroids(b, steps_per_beat, lowest)
    both = ma & mb
    if not both.any():
        return float("nan")
    return float(np.linalg.norm(ca - cb, axis=-1)[both].mean())


def _onsets(track: np.ndarray) -> np.ndarray:
    """... x steps x pitches bool -> cells where a note starts (on, and off the step before)."""
    before = np.zeros_like(track)
    before[..., 1:, :] = track[..., :-1, :]
    return track & ~before


def notes_at_once(pitched: np.ndarray) -> float:
    """N x tracks x steps x pitches -> pitches sounding per step over all tracks, over sounding steps (NaN if none)."""
    count = pitched.sum(axis=(1, 3))
    sounding = count > 0
    return float(count[sounding].mean()) if sounding.any() else float("nan")


def scale_share(pitched: np.ndarray, lowest: int) -> float:
    """N x tracks x steps x pitches -> share of notes in their clip's estimated key (NaN without notes)."""
    weights = _pitch_classes(pitched.sum(axis=(1, 2)), lowest)  # N x 12 sounding steps per pitch class
    counts = _pitch_classes(_onsets(pitched).sum(axis=(1, 2)), lowest)  # N x 12 notes per pitch class
    inside = total = 0.0
    for w, c in zip(weights, counts):
        if c.sum() > 0:
            inside += float(c[in_key(*estimate_key(w))].sum())
            total += float(c.sum())
    return inside / total if total else float("nan")


def top_voice(track: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """N x steps x pitches -> (clip, pitch row) of each note of the track's top voice, in time order per clip.

    A note belongs to the top voice when it starts as the highest pitch sounding:
    a lower voice moving under a held note does not, and nor does a held lower
    note that is left on top for a moment (the importer's one-step gap before
    a re-struck pitch would otherwise make the voice under it surface).
    """
    sounding = track.any(axis=-1)
    sky = track.shape[-1] - 1 - np.argmax(track[..., ::-1], axis=-1)
    struck = np.take_along_axis(_onsets(track), sky[..., None], axis=-1)[..., 0] & sounding
    clips, at = np.nonzero(struck)
    return clips, sky[clips, at]


def leap_counts(track: np.ndarray) -> tuple[int, int]:
    """(moves wider than a fifth, all moves) between consecutive top-voice notes of an N x steps x pitches track."""
    clips, rows = top_voice(track)
    same_clip = clips[1:] == clips[:-1]
    moves = np.abs(np.diff(rows))[same_clip]
    return int((moves > LEAP_SEMITONES).sum()), int(moves.size)


def leap_share(notes: np.ndarray, tracks: list[int]) -> float:
    """Share of the listed tracks' melodic moves that leap more than a fifth (NaN without moves)."""
    leaps = moves = 0
    for t in tracks:
        a, b = leap_counts(notes[:, t])
        leaps, moves = leaps + a, moves + b
    return leaps / moves if moves else float("nan")


def melodic_tracks(meta: dict[str, Any], pitched: list[int]) -> list[int]:
    """Pitched tracks of at most :data:`MELODIC_VOICES` voices in the corpus (all pitched ones if none is)."""
    voices = meta.get("voices") or []
    melodic = [t for t in pitched if t < len(voices) and int(voices[t]) <= MELODIC_VOICES]
    return melodic or pitched


def bar_span(layout: Any, steps: int) -> tuple[int, int]:
    """(steps per bar, whole bars) of a layout's phrase on a roll of ``steps`` (bars 0 when a bar holds no step)."""
    bar = int(layout.bar_steps)
    return bar, (min(layout.bars, steps // bar) if bar else 0)


def repeats_previous(notes: np.ndarray, bar: int, bars: int) -> tuple[np.ndarray, np.ndarray]:
    """N × tracks × steps × pitches phrases of one layout -> (N × bars-1: bar b+1 repeats bar b, N × bars-1:
    the pair is counted, i.e. not both empty)."""
    n, tracks, _, pitches = notes.shape
    cells = notes[:, :, : bars * bar].reshape(n, tracks, bars, bar, pitches).swapaxes(1, 2).reshape(n, bars, -1)
    shared = (cells[:, :-1] & cells[:, 1:]).sum(axis=-1)
    either = (cells[:, :-1] | cells[:, 1:]).sum(axis=-1)
    busy = either > 0
    return busy & (shared >= REPEAT_OVERLAP * either), busy


def bar_repetition(notes: np.ndarray, meta: dict[str, Any], layout_of: np.ndarray) -> float:
    """Share of consecutive bar pairs (each phrase's own bars) that repeat; pairs of empty bars are not counted."""
    repeated = counted = 0
    for k, layout in enumerate(layouts_of(meta)):
        group = notes[layout_of == k]
        bar, bars = bar_span(layout, notes.shape[2])
        if not len(group) or bars < 2:
            continue
        same, busy = repeats_previous(group, bar, bars)
        repeated += int(same.sum())
        counted += int(busy.sum())
    return repeated / counted if counted else float("nan")


def length_histogram(pitched: np.ndarray, steps_per_beat: int) -> np.ndarray:
    """N x tracks x steps x pitches -> note counts per :data:`LENGTH_EDGES` bin (lengths in quarter notes)."""
    lengths = np.concatenate([note_lengths(pitched[:, t]) for t in range(pitched.shape[1])] or [np.zeros(0)])
    bins = np.searchsorted(np.array(LENGTH_EDGES), lengths / steps_per_beat, side="left")
    return np.bincount(bins, minlength=len(LENGTH_EDGES) + 1).astype(np.float64)


def length_distance(counts: np.ndarray, reference: np.ndarray) -> float:
    """Total variation between two length histograms (NaN when either is empty)."""
    a, b = np.asarray(counts, np.float64), np.asarray(reference, np.float64)
    if a.sum() <= 0 or b.sum() <= 0:
        return float("nan")
    return float(0.5 * np.abs(a / a.sum() - b / b.sum()).sum())


def onset_positions(notes: np.ndarray, meta: dict[str, Any], layout_of: np.ndarray) -> list[np.ndarray]:
    """Per layout: pitched note onsets of N × tracks × steps × pitches notes counted per step of its bar."""
    pitched = [t for t, role in enumerate(meta["roles"]) if role != DRUMS]
    onsets = _onsets(notes[:, pitched]).sum(axis=(1, 3))  # N x steps
    out = []
    for k, layout in enumerate(layouts_of(meta)):
        bar, bars = bar_span(layout, notes.shape[2])
        group = onsets[layout_of == k, : bars * bar]
        out.append(group.reshape(len(group), bars, bar).sum(axis=(0, 1)).astype(np.float64) if bars
                   else np.zeros(0))
    return out


def onset_distances(counts: list[np.ndarray], reference: list[list[float]]) -> list[float]:
    """Per layout: :func:`length_distance` between a batch's onset positions and the corpus's (NaN where either
    has no onset)."""
    return [length_distance(c, r) if len(c) == len(r) else math.nan for c, r in zip(counts, reference)]


def onset_distance(counts: list[np.ndarray], reference: list[list[float]]) -> float:
    """OD: the layouts' onset distances averaged, weighted by the batch's onsets in each (NaN for none)."""
    pairs = [(d, float(np.sum(c))) for d, c in zip(onset_distances(counts, reference), counts) if math.isfinite(d)]
    weight = sum(w for _, w in pairs)
    return sum(d * w for d, w in pairs) / weight if weight else math.nan


def note_counts(notes: np.ndarray, roles: list[str]) -> np.ndarray:
    """Notes per track of N x tracks x steps x pitches rolls (drum cells are hits; pitched runs are notes)."""
    return np.array([int((notes[:, t] if role == DRUMS else _onsets(notes[:, t])).sum())
                     for t, role in enumerate(roles)], dtype=np.int64)


def corpus_profile(rolls: np.ndarray, meta: dict[str, Any]) -> dict[str, list]:
    """What LD, UR and OD compare samples with: the corpus's note-length histogram, which tracks it plays and
    where in each layout's bar its notes start."""
    full = np.asarray(rolls) > 0
    notes = note_rolls(full, meta)
    roles = list(meta["roles"])
    pitched = [t for t, role in enumerate(roles) if role != DRUMS]
    return {"lengths": length_histogram(notes[:, pitched], int(meta["steps_per_beat"])).tolist(),
            "used": [bool(c > 0) for c in note_counts(notes, roles)],
            "onsets": [c.tolist() for c in onset_positions(notes, meta, layout_indices(full, meta))]}


def _mean(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def music_metrics(rolls: np.ndarray, meta: dict[str, Any],
                  profile: dict[str, list] | None = None) -> dict[str, float]:
    """The figures above for a batch of binary rolls; keys with nothing to measure are left out.

    LD and UR need the corpus's ``profile`` (:func:`corpus_profile`); without it they are left out.
    """
    full = np.asarray(rolls) > 0
    if full.ndim == 3:
        full = full[:, None]
    roles = list(meta["roles"])
    layout_of = layout_indices(full, meta) if full.shape[1] > len(roles) else np.zeros(len(full), np.int64)
    rolls = note_rolls(full, meta)
    spb = int(meta["steps_per_beat"])
    lowest = int(meta["lowest"])
    steps_per_bar = BEATS_PER_BAR * spb
    pitched = [t for t, role in enumerate(roles) if role != DRUMS]
    min_steps = qualified_length(spb)
    per_track: dict[str, list[float]] = {"EB": [], "UPC": [], "PP": []}
    if min_steps > 1:
        per_track["QN"] = []
    for t in pitched:
        track = rolls[:, t]
        per_track["EB"].append(empty_bars(track, steps_per_bar))
        per_track["UPC"].append(used_pitch_classes(track, steps_per_bar, lowest))
        per_track["PP"].append(polyphony(track))
        if "QN" in per_track:
            per_track["QN"].append(qualified_notes(track, min_steps))
    out: dict[str, float] = {}
    for key, values in per_track.items():
        out[key] = _mean(values)
        if len(pitched) > 1:
            for t, value in zip(pitched, values):
                out[f"{key}.{roles[t]}"] = value
    if DRUMS in roles and not ((np.arange(steps_per_bar) * 4) % spb == 0).all():
        out["DP"] = drums_in_pattern(rolls[:, roles.index(DRUMS)], spb)
    if len(pitched) > 1:
        out["TD"] = _mean([tonal_distance(rolls[:, i], rolls[:, j], spb, lowest) for i, j in combinations(pitched, 2)])
    out.update(_form_figures(rolls, meta, pitched, layout_of, profile))
    return {k: v for k, v in out.items() if math.isfinite(v)}


def _form_figures(notes: np.ndarray, meta: dict[str, Any], pitched: list[int], layout_of: np.ndarray,
                  profile: dict[str, list] | None) -> dict[str, float]:
    """NA, SC, LP, BR, and with the corpus's profile LD, UR and OD (see the module docstring)."""
    voiced = notes[:, pitched]
    out = {"NA": notes_at_once(voiced), "SC": scale_share(voiced, int(meta["lowest"])),
           "LP": leap_share(notes, melodic_tracks(meta, pitched)), "BR": bar_repetition(notes, meta, layout_of)}
    if profile is not None:
        out["LD"] = length_distance(length_histogram(voiced, int(meta["steps_per_beat"])), profile["lengths"])
        counts = note_counts(notes, list(meta["roles"]))
        unused = ~np.array(profile["used"], dtype=bool)
        out["UR"] = float(counts[unused].sum() / counts.sum()) if counts.sum() else float("nan")
        if "onsets" in profile:
            out["OD"] = onset_distance(onset_positions(notes, meta, layout_of), profile["onsets"])
    return out


def reference_sample(data: np.ndarray) -> np.ndarray:
    """At most :data:`REFERENCE_SAMPLES` phrases spread evenly over the corpus."""
    stride = max(1, math.ceil(len(data) / REFERENCE_SAMPLES))
    return data[::stride]


def reference_profile(corpus: Any) -> dict[str, list]:
    """The corpus's :func:`corpus_profile` (every phrase counts: a role played once is used); kept in the report."""
    details = corpus.report.details
    if "onsets" not in details.get("reference_profile", {}):  # a report kept before onset positions were measured
        data = corpus.data.numpy() if hasattr(corpus.data, "numpy") else np.asarray(corpus.data)
        details["reference_profile"] = corpus_profile(data, corpus.meta)
    return details["reference_profile"]


def corpus_metrics(corpus: Any) -> dict[str, float]:
    """The training data's own figures (the UI's dashed reference lines); computed once, kept in the report.

    Its LD is measured against its own profile (0 unless the sample of phrases differs from the whole).
    """
    details = corpus.report.details
    cached = details.get("reference_metrics")
    if cached is None or "OD" not in cached:  # a report kept before the form figures existed
        data = corpus.data.numpy() if hasattr(corpus.data, "numpy") else np.asarray(corpus.data)
        cached = music_metrics(reference_sample(data), corpus.meta, reference_profile(corpus)) if len(data) else {}
        details["reference_metrics"] = cached
    return dict(cached)
