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
"""
from __future__ import annotations

import math
from itertools import combinations
from typing import Any

import numpy as np

from studio.domains.music.roll import BEATS_PER_BAR, DRUMS

REFERENCE_SAMPLES = 1000


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


def _mean(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def music_metrics(rolls: np.ndarray, meta: dict[str, Any]) -> dict[str, float]:
    """The figures above for a batch of binary rolls; keys with nothing to measure are left out."""
    rolls = np.asarray(rolls) > 0
    if rolls.ndim == 3:
        rolls = rolls[:, None]
    spb = int(meta["steps_per_beat"])
    lowest = int(meta["lowest"])
    roles = list(meta["roles"])
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
    return {k: v for k, v in out.items() if math.isfinite(v)}


def reference_sample(data: np.ndarray) -> np.ndarray:
    """At most :data:`REFERENCE_SAMPLES` phrases spread evenly over the corpus."""
    stride = max(1, math.ceil(len(data) / REFERENCE_SAMPLES))
    return data[::stride]


def corpus_metrics(corpus: Any) -> dict[str, float]:
    """The training data's own figures (the UI's dashed reference lines); computed once, kept in the report."""
    details = corpus.report.details
    cached = details.get("reference_metrics")
    if cached is None:
        data = corpus.data.numpy() if hasattr(corpus.data, "numpy") else np.asarray(corpus.data)
        cached = music_metrics(reference_sample(data), corpus.meta) if len(data) else {}
        details["reference_metrics"] = cached
    return dict(cached)
