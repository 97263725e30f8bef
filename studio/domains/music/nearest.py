"""Which training phrase a generated clip is closest to: the copy check a musician can listen to.

Phrases are compared as sets of sounding cells (tracks × steps × pitches):
the Jaccard overlap is 1 for the same phrase and 0 for phrases sharing no
note, whatever their density.  The corpus is scanned in blocks so memory
stays bounded for tens of thousands of phrases.
"""
from __future__ import annotations

import numpy as np

BLOCK = 2048
COPY_OVERLAP = 0.9  # at least this Jaccard overlap counts as a copied phrase


def nearest_phrases(rolls: np.ndarray, corpus_rolls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each roll (N × tracks × steps × pitches, 0/1), the closest corpus row and their Jaccard overlap."""
    query = np.asarray(rolls, np.float32).reshape(len(rolls), -1)
    q_count = query.sum(axis=1)
    best = np.full(len(query), -1.0)
    index = np.zeros(len(query), np.int64)
    for start in range(0, len(corpus_rolls), BLOCK):
        part = np.asarray(corpus_rolls[start:start + BLOCK], np.float32).reshape(-1, query.shape[1])
        shared = query @ part.T
        union = q_count[:, None] + part.sum(axis=1)[None, :] - shared
        overlap = np.where(union > 0, shared / np.maximum(union, 1.0), 1.0)
        j = overlap.argmax(axis=1)
        found = overlap[np.arange(len(query)), j]
        better = found > best
        best[better] = found[better]
        index[better] = j[better] + start
    return index, np.maximum(best, 0.0)
