"""Scale attraction: decoding leans each clip towards the key it already leans to, without locking it there.

Young models spread probability over neighbouring semitones, so a clip that
is plainly in G still sounds F naturals and C sharps; the corpus keeps nine
notes in ten or more in its key.  The key lock (key_lock.py) fixes a key the
user names; this pull instead reads each clip's own key from the notes G
wants to play (their probabilities summed per pitch class, keys.estimate_key)
and scales the out-of-key probabilities by ``pull`` before notes are chosen:
1 leaves decoding as it was, 0 keeps every note in the key.  How strong it
should be depends on the folder (chromatic quartets versus folk songs) and
on how far the model has come, so calibration.py fits it per run.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from studio.domains.music.key_lock import in_key
from studio.domains.music.keys import estimate_key
from studio.domains.music.roll import DRUMS

OFF = 1.0


def clip_keys_mask(prob: np.ndarray, on: np.ndarray, meta: dict[str, Any], pitched: list[int]) -> np.ndarray:
    """N × pitches booleans: the rows in each clip's key, estimated from the probabilities of its sounding cells."""
    pitches = prob.shape[-1]
    classes = (int(meta["lowest"]) + np.arange(pitches)) % 12
    wanted = (prob[:, pitched] * on[:, pitched]).sum(axis=(1, 2))  # N x pitches
    weights = np.zeros((len(prob), 12))
    np.add.at(weights.T, classes, wanted.T)
    return np.stack([in_key(*estimate_key(w))[classes] for w in weights])


def pull_to_scale(prob: np.ndarray, on: np.ndarray, pull: float, meta: dict[str, Any] | None) -> np.ndarray:
    """``prob`` (N × tracks × steps × pitches) with each clip's out-of-key rows of its pitched tracks times ``pull``.

    ``on`` is what the threshold would play (the notes whose key is read).
    Unchanged at ``pull`` = 1 or without the corpus's ``meta``; a pull
    outside [0, 1] raises ValueError.
    """
    if not 0.0 <= pull <= 1.0:
        raise ValueError(f"scale_pull must be between 0 (keep to the key) and 1 (off), got {pull:g}")
    if pull >= OFF or meta is None:
        return prob
    pitched = [t for t, role in enumerate(meta["roles"]) if role != DRUMS]
    if not pitched:
        return prob
    factor = np.where(clip_keys_mask(prob, on, meta, pitched), 1.0, pull).astype(prob.dtype)  # N x pitches
    out = prob.copy()
    out[:, pitched] *= factor[:, None, None, :]
    return out
