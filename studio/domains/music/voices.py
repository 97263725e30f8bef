"""How many notes a track plays at once, learned from the corpus and kept to when decoding.

A threshold turns G's probabilities into notes cell by cell, so a solo
line whose probability mass spreads over neighbouring pitches comes out as
clusters.  The corpus says how many voices each track really has (a chorale
voice one, a piano part several); decoding keeps, per track and step, only
that many of the most probable sounding pitches.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    import torch

QUANTILE = 99  # a rare chord in a melody track does not make the melody polyphonic


def track_voices(rolls: np.ndarray, quantile: float = QUANTILE) -> list[int]:
    """Per track of N × tracks × steps × pitches 0/1 rolls: the notes sounding at once (``quantile`` of sounding steps)."""
    counts = np.asarray(rolls).sum(axis=-1, dtype=np.int32)  # N x tracks x steps
    voices = []
    for t in range(counts.shape[1]):
        sounding = counts[:, t][counts[:, t] > 0]
        voices.append(int(np.ceil(np.percentile(sounding, quantile))) if sounding.size else 1)
    return voices


def keep_voices(on: "torch.Tensor", prob: "torch.Tensor", voices: Sequence[int]) -> "torch.Tensor":
    """``on`` (N × tracks × steps × pitches, bool) with at most ``voices[t]`` pitches per step of track t:
    the most probable of those sounding."""
    import torch

    kept = on.clone()
    pitches = on.shape[-1]
    for t, k in enumerate(voices):
        if not 0 < k < pitches:
            continue
        ranked = torch.where(on[:, t], prob[:, t], torch.full_like(prob[:, t], -1.0))
        top = torch.zeros_like(on[:, t])
        top.scatter_(-1, ranked.topk(int(k), dim=-1).indices, True)
        kept[:, t] = on[:, t] & top
    return kept
