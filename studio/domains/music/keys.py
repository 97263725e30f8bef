"""Keys: which major or minor key a passage is in, and which pitch classes that key allows.

Shared by the importer (key normalisation to C major / A minor), the
decode-time key lock and the scale metrics, so all three agree on what "in
key" means.  The estimate is Krumhansl-Schmuckler: the pitch classes'
duration-weighted histogram is correlated with the Krumhansl-Kessler probe-tone
profile of each of the 24 keys, and the best correlation wins.  It needs no
training data and is right for most tonal tunes; where it errs it usually
picks the relative or dominant key, whose scale shares six of seven notes.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

MODES = ("major", "minor")
PITCH_CLASS_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
"""Krumhansl & Kessler (1982): how well each pitch class fits a key whose tonic is index 0."""
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)
"""Natural minor: the raised 7th of harmonic minor is common in tunes, so :func:`scale_mask` can add it."""


def _check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"mode must be 'major' or 'minor', got {mode!r}")
    return mode


def estimate_key(pitch_class_weights: Sequence[float]) -> tuple[int, str]:
    """(tonic 0-11 with C = 0, "major" | "minor") that best fits twelve pitch-class weights.

    Weights are usually note durations summed per pitch class.  All-zero or
    flat weights carry no key; they give C major so callers need no special case.
    """
    weights = np.asarray(pitch_class_weights, dtype=np.float64).reshape(-1)
    if weights.shape != (12,):
        raise ValueError(f"need 12 pitch-class weights, got {weights.shape[0]}")
    if not np.isfinite(weights).all() or weights.std() < 1e-12:
        return 0, "major"
    best, best_score = (0, "major"), -np.inf
    for mode, profile in zip(MODES, (MAJOR_PROFILE, MINOR_PROFILE)):
        for tonic in range(12):
            score = float(np.corrcoef(weights, np.roll(profile, tonic))[0, 1])
            if score > best_score + 1e-12:
                best, best_score = (tonic, mode), score
    return best


def scale_mask(tonic: int, mode: str, harmonic: bool = False) -> np.ndarray:
    """Twelve booleans, True for the pitch classes of the key's scale (C = index 0).

    ``harmonic`` adds the raised 7th to a minor scale (the leading note minor-key tunes use).
    """
    steps = MAJOR_SCALE if _check_mode(mode) == "major" else MINOR_SCALE
    mask = np.zeros(12, dtype=bool)
    mask[[(int(tonic) + s) % 12 for s in steps]] = True
    if harmonic and mode == "minor":
        mask[(int(tonic) + 11) % 12] = True
    return mask


def shift_to_c(tonic: int, mode: str) -> int:
    """Semitones (-5..+6) that move a key to C major (or A minor for a minor key) by the shorter way."""
    target = 0 if _check_mode(mode) == "major" else 9
    shift = (target - int(tonic)) % 12
    return shift - 12 if shift > 6 else shift


def key_name(tonic: int, mode: str) -> str:
    """ "G major", "F# minor": how the import report names a key."""
    return f"{PITCH_CLASS_NAMES[int(tonic) % 12]} {_check_mode(mode)}"


def pitch_class_weights(pitches: np.ndarray, durations: np.ndarray) -> np.ndarray:
    """Twelve duration sums per pitch class: what :func:`estimate_key` reads."""
    return np.bincount(np.asarray(pitches, dtype=np.int64) % 12,
                       weights=np.asarray(durations, dtype=np.float64), minlength=12)
