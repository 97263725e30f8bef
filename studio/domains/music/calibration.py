"""Each run's own decoding, fitted at the end of training so its samples' texture, key, leaps and repeats match the folder.

Four decode options steer what G's probabilities become: the threshold
(how many notes sound at once), the scale pull (scale_pull.py: how far
notes outside a clip's own key are discounted), the repeat guard
(repeats.py: how readily a bar that copies the bar before takes other
pitches) and the leap penalty (voices.py: how strongly a track's top voice
prefers steps to leaps).  What they should be depends on the folder (a
string quartet's chromatic inner voices, a folk song's stepwise line) and
on how far the model has come, so no constant serves every folder; but
each figure moves one way as its option moves (notes at once fall as the
threshold rises, the scale share rises as the pull falls, repeated bars
fall as the guard rises, leaps fall as the penalty rises), so each is a
1-D search: decode the run's own seeds once, then bisect the option until
the samples' figure meets the corpus's (metrics.corpus_metrics).

A folder of solo lines always has one note at once, so there the
threshold is fitted to the share of steps that sound instead.

The four are fitted in that order, each over the ones before it: the
threshold decides which notes exist, the pull which of them change pitch
class, the guard which pitch a note in a copied bar takes (new pitches
there may leap), the penalty only which pitch a top voice takes, weighing
echoes of a copied bar as the guard does; lines kept near their last note
repeat more, so the guard is fitted once more over the penalty.  The guard aims a point under the
corpus's repetition, which a few hundred clips measure to about a point.
An option whose figure is already within its tolerance keeps its default,
so a run whose samples already match decodes exactly as before; options
the user passes still win over the fitted ones (Model.context).
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from studio.domains.music.layout import layout_indices, note_rolls
from studio.domains.music.metrics import (bar_repetition, leap_share, melodic_tracks, notes_at_once, reference_sample,
                                          scale_share)
from studio.domains.music.roll import DRUMS

SEED_BASE = 6_000_000  # far from the gallery's, the metric plots' and the benches' seeds
SAMPLES = 640  # a leap share of a few percent moved by a fifth of itself between draws of 320 clips
STEPS = 7  # bisection steps: the option's range cut to 1/128
THRESHOLDS = (0.1, 0.9)
PENALTIES = (0.0, 3.0)  # at 3 a move one semitone past a fifth weighs 5 % of a step
NA_TOLERANCE = 0.05  # relative: issue 14 asks within 20 %; the fit aims well inside it
SC_TOLERANCE = 0.01  # absolute: issue 14 asks within 3 points
LP_TOLERANCE = 0.05  # relative
BR_TOLERANCE = 0.005  # absolute: issue 14 asks no higher than the corpus's
BR_AIM_POINTS = 0.01  # the guard aims this far under the corpus's repetition


Decode = Callable[[dict[str, Any]], np.ndarray]


def sample_figures(notes: np.ndarray, meta: dict[str, Any], layout_of: np.ndarray | None = None) -> dict[str, float]:
    """NA, SC, LP and BR (metrics.py) of N × tracks × steps × pitches decoded notes of the corpus's roles, whose
    layouts are ``layout_of`` (all the first one when None)."""
    pitched = [t for t, role in enumerate(meta["roles"]) if role != DRUMS]
    voiced = notes[:, pitched] > 0
    layouts = np.zeros(len(notes), np.int64) if layout_of is None else np.asarray(layout_of)
    return {"NA": notes_at_once(voiced), "density": density(voiced), "SC": scale_share(voiced, int(meta["lowest"])),
            "LP": leap_share(notes > 0, melodic_tracks(meta, pitched)), "BR": bar_repetition(notes > 0, meta, layouts)}


def density(voiced: np.ndarray) -> float:
    """Share of a batch's steps where some pitched note sounds (NaN for no steps)."""
    sounding = voiced.any(axis=(1, 3))
    return float(sounding.mean()) if sounding.size else math.nan


def corpus_density(rows: np.ndarray, meta: dict[str, Any]) -> float:
    """:func:`density` of the corpus's phrases (metrics.reference_sample of them)."""
    notes = note_rolls(reference_sample(np.asarray(rows)) > 0, meta)
    return density(notes[:, [t for t, role in enumerate(meta["roles"]) if role != DRUMS]])


def corpus_repetition(rows: np.ndarray, meta: dict[str, Any]) -> float:
    """BR of every phrase of the corpus, not of metrics.reference_sample's: phrases of a song lie together, so
    an evenly taken share of them can repeat bars far more or less often than the whole, and the guard aims
    within a point of it."""
    full = np.asarray(rows) > 0
    return bar_repetition(note_rolls(full, meta), meta, layout_indices(full, meta))


def bisect(measure: Callable[[float], float], low: float, high: float, target: float) -> float:
    """The option in [low, high] where a figure that falls as the option rises meets ``target``
    (an end of the range when the figure stays on one side of it)."""
    if measure(high) >= target:
        return high
    if measure(low) <= target:
        return low
    for _ in range(STEPS):
        middle = (low + high) / 2
        if measure(middle) > target:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def fit_decoding(decode: Decode, meta: dict[str, Any], corpus: dict[str, float],
                 defaults: dict[str, float], layout_of: np.ndarray | None = None) -> dict[str, float]:
    """Options (``threshold``, ``scale_pull``, ``repeat_guard``, ``leap_penalty``) that bring the samples' NA (a
    one-voice folder's: its density, since its NA is always 1), SC, BR and LP to ``corpus``'s; only those that
    had to move from ``defaults`` are returned.

    ``decode(options)`` decodes the same outputs each call, whose layouts are ``layout_of``.
    """
    chosen: dict[str, float] = {}

    def figures(options: dict[str, float]) -> dict[str, float]:
        return sample_figures(decode(options), meta, layout_of)

    def figure(name: str, key: str, value: float) -> float:
        return figures({**defaults, **chosen, key: value})[name]

    def missing(name: str) -> bool:
        return not math.isfinite(corpus.get(name, math.nan))

    def fit_guard() -> None:
        now = figures({**defaults, **chosen})
        if not missing("BR") and math.isfinite(now["BR"]) and now["BR"] > corpus["BR"] + BR_TOLERANCE:
            aim = max(0.0, corpus["BR"] - BR_AIM_POINTS)
            chosen["repeat_guard"] = round(bisect(lambda v: figure("BR", "repeat_guard", v), 0.0, 1.0, aim), 3)

    start = figures(defaults)
    texture = "NA" if corpus.get("NA", 1.0) > 1.0 + NA_TOLERANCE else "density"  # a solo line's NA is always 1
    if not missing(texture) and math.isfinite(start[texture]) and \
            abs(start[texture] - corpus[texture]) > NA_TOLERANCE * corpus[texture]:
        chosen["threshold"] = round(bisect(lambda v: figure(texture, "threshold", v), *THRESHOLDS,
                                           corpus[texture]), 3)
    now = figures({**defaults, **chosen})
    if not missing("SC") and math.isfinite(now["SC"]) and now["SC"] < corpus["SC"] - SC_TOLERANCE:
        chosen["scale_pull"] = round(bisect(lambda v: figure("SC", "scale_pull", v), 0.0, 1.0, corpus["SC"]), 3)
    fit_guard()
    now = figures({**defaults, **chosen})
    if not missing("LP") and math.isfinite(now["LP"]) and \
            now["LP"] > corpus["LP"] * (1 + LP_TOLERANCE):
        chosen["leap_penalty"] = round(bisect(lambda v: figure("LP", "leap_penalty", v), *PENALTIES, corpus["LP"]), 3)
        fit_guard()  # lines kept near their last note repeat more: the guard again, over the penalty
    return chosen
