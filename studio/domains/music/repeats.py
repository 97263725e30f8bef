"""Decoding that keeps a bar from copying the bar before more often than the folder does.

G draws one latent per bar, but a young G (and decoding that keeps lines
near their last note and in key) often plays the same cells bar after bar,
while a chorale never repeats a bar and a folk song seldom does.  So decoding
runs twice: the first pass finds the bars that came out as a copy of the bar
before (metrics.py's bar repetition, BR), the second decodes again with
those bars guarded: a newly struck note that echoes the bar before gives way
to the next pitch G supports (voices.avoid_echoes).  The guard's
strength, 0 (off) to 1 (any supported alternative wins), is fitted per run
(calibration.py) so the samples repeat bars no more than the corpus does.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from studio.domains.music.layout import layouts_of
from studio.domains.music.metrics import bar_span, repeats_previous
from studio.domains.music.voices import decode_notes

OFF = 0.0


def bar_lengths(layout_of: np.ndarray, meta: dict[str, Any]) -> np.ndarray:
    """Steps per bar of each clip's layout."""
    lengths = np.array([int(layout.bar_steps) for layout in layouts_of(meta)], dtype=np.int64)
    return lengths[np.asarray(layout_of, dtype=np.int64)]


def repeated_bar_steps(notes: np.ndarray, meta: dict[str, Any], layout_of: np.ndarray) -> np.ndarray:
    """N × steps booleans: the steps of every bar that repeats the bar before it (each clip's own bars)."""
    n, _, steps, _ = notes.shape
    marked = np.zeros((n, steps), dtype=bool)
    for k, layout in enumerate(layouts_of(meta)):
        rows = np.nonzero(layout_of == k)[0]
        bar, bars = bar_span(layout, steps)
        if not len(rows) or bars < 2:
            continue
        same, _ = repeats_previous(notes[rows], bar, bars)  # len(rows) x bars-1: bar b+1 repeats bar b
        marked[rows, bar: bars * bar] = np.repeat(same, bar, axis=1)
    return marked


def decode_without_repeats(on: np.ndarray, prob: np.ndarray, meta: dict[str, Any], threshold: float,
                           leap_penalty: float, strength: float, layout_of: np.ndarray) -> np.ndarray:
    """voices.decode_notes with the corpus's voices and note lengths, then, for ``strength`` > 0, again with
    the bars that repeated guarded; a strength outside [0, 1] raises ValueError."""
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"repeat_guard must be between 0 (off) and 1 (strongest), got {strength:g}")
    voices, shortest = meta.get("voices"), meta.get("shortest_notes")
    kept = decode_notes(on, prob, voices, shortest, threshold, leap_penalty)
    if strength <= OFF:
        return kept
    guarded = repeated_bar_steps(kept, meta, layout_of)
    rows = np.nonzero(guarded.any(axis=1))[0]  # the other clips decode as in the first pass
    if len(rows):
        kept[rows] = decode_notes(on[rows], prob[rows], voices, shortest, threshold, leap_penalty, guarded[rows],
                                  bar_lengths(layout_of[rows], meta), strength)
    return kept
