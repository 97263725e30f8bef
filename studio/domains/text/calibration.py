"""Each run's own phrasing weight, chosen at the end of training against the folder's held-out lines.

Phrasing (phrasing.py) trades two things a writer wants: lines that read like
the folder (BLEU-2 against the training lines) and lines unlike each other
(self-BLEU-2 among samples).  More weight buys likeness and costs variety, and
where the balance lies depends on the folder and on the model: the window of
weights where both hold moves from one training run to the next by about its
own width, and a weight tuned on one folder says nothing about a folder of
lyrics (docs/experiments/2026-12-06-tuning-history.md).

So a run measures its own: it decodes samples of fixed seeds at a few weights
and keeps the weight that leaves as much room before the likeness band's edge
(:data:`LIKENESS_MARGIN` under the held-out lines' BLEU-2) as before the
collapse alarm (``COLLAPSE_MARGIN`` over their self-BLEU-2): the middle of
the band where both hold, or equally far outside both where no weight holds
both (equal shares of the two margins would aim near the likeness edge when
the band is narrow).  Both figures rise with the
weight, so the imbalance falls and one crossing is found by stepping from
the default and interpolating.  Samples and held-out lines are scored in
groups of one size, because self-BLEU depends on how many lines are compared.
"""
from __future__ import annotations

import random
from typing import Callable, Sequence

from studio.domains.text.metrics import COLLAPSE_MARGIN, CorpusIndex, mean_bleu, self_bleu, tokenize

LIKENESS_MARGIN = 0.02  # BLEU-2 this far under the held-out lines' reads clearly less like the folder
SEED_BASE = 5_000_000  # far from the gallery's, the metric plots' and the bench's seeds
GROUPS = 8  # 2,048 lines on a big folder: the mean BLEU-2 of 1,024 still moved by 0.006-0.009 with the seeds
GROUP_SIZE = 256
MIN_HELDOUT = 64  # fewer held-out lines than this cannot judge sameness; the default weight stays
STEP = 0.25
LOWEST, HIGHEST = 0.0, 2.0  # the Phrasing box's range


def group_size(heldout: int) -> int:
    """Lines per group for a folder with ``heldout`` held-out lines; the samples to decode are GROUPS times it."""
    return min(GROUP_SIZE, heldout)


def likeness_and_sameness(lines: Sequence[str], index: CorpusIndex, size: int) -> tuple[float, float]:
    """(BLEU-2 against the training lines, self-BLEU-2 within groups of ``size``), means over the groups."""
    groups = [lines[i : i + size] for i in range(0, len(lines), size)]
    toks = [[tokenize(line) for line in group] for group in groups]
    likeness = sum(mean_bleu(t, index.references, 2) for t in toks) / len(toks)
    sameness = sum(self_bleu(t, 2) for t in toks) / len(toks)
    return likeness, sameness


def imbalance(samples: tuple[float, float], real: tuple[float, float]) -> float:
    """Room left before the collapse alarm minus room left inside the likeness band: positive wants more weight."""
    likeness_room = LIKENESS_MARGIN - (real[0] - samples[0])
    sameness_room = COLLAPSE_MARGIN - (samples[1] - real[1])
    return sameness_room - likeness_room


def calibrate_phrasing(decode: Callable[[float], list[str]], heldout: Sequence[str], index: CorpusIndex,
                       start: float) -> float | None:
    """The weight where :func:`imbalance` crosses zero, or None with too few held-out lines to tell.

    ``decode(weight)`` returns the same seeds' lines each call, GROUPS x
    :func:`group_size` of them, so the weights are compared on equal draws.
    """
    if len(heldout) < MIN_HELDOUT:
        return None
    size = group_size(len(heldout))
    real_lines = [line for g in range(GROUPS) for line in random.Random(g).sample(list(heldout), size)]
    real = likeness_and_sameness(real_lines, index, size)

    def measure(weight: float) -> float:
        return imbalance(likeness_and_sameness(decode(weight), index, size), real)

    weight, value = start, measure(start)
    direction = STEP if value > 0 else -STEP
    while LOWEST <= weight + direction <= HIGHEST:
        nxt = weight + direction
        nxt_value = measure(nxt)
        if (nxt_value > 0) != (value > 0):
            share = value / (value - nxt_value)
            return round(weight + share * direction, 2)
        weight, value = nxt, nxt_value
    return round(weight, 2)
