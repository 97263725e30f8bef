"""keys.py: the Krumhansl-Schmuckler estimate and the scale masks the importer, key lock and metrics share."""
from __future__ import annotations

import numpy as np
import pytest

from studio.domains.music.keys import estimate_key, key_name, pitch_class_weights, scale_mask, shift_to_c


def _tune(tonic: int, degrees: list[tuple[int, float]]) -> np.ndarray:
    pitches = np.array([60 + tonic + d for d, _ in degrees])
    return pitch_class_weights(pitches, np.array([w for _, w in degrees]))


MAJOR_TUNE = [(0, 4), (2, 1), (4, 2), (5, 1), (7, 3), (9, 1), (11, 1), (0, 2)]
MINOR_TUNE = [(0, 4), (2, 1), (3, 2), (5, 1), (7, 3), (8, 1), (11, 1), (0, 2)]


@pytest.mark.parametrize("tonic", range(12))
def test_every_major_and_minor_key_is_found(tonic: int) -> None:
    assert estimate_key(_tune(tonic, MAJOR_TUNE)) == (tonic, "major")
    assert estimate_key(_tune(tonic, MINOR_TUNE)) == (tonic, "minor")


def test_shift_takes_keys_to_c_major_or_a_minor_the_short_way() -> None:
    assert shift_to_c(7, "major") == 5  # G up a fourth
    assert shift_to_c(2, "major") == -2  # D down a tone
    assert shift_to_c(4, "minor") == 5  # E minor -> A minor
    assert key_name(7, "major") == "G major"


def test_scale_masks() -> None:
    assert np.flatnonzero(scale_mask(0, "major")).tolist() == [0, 2, 4, 5, 7, 9, 11]
    assert np.flatnonzero(scale_mask(9, "minor")).tolist() == [0, 2, 4, 5, 7, 9, 11]
    assert scale_mask(9, "minor", harmonic=True)[8]
    with pytest.raises(ValueError):
        scale_mask(0, "dorian")


def test_no_notes_is_c_major_not_an_error() -> None:
    assert estimate_key(np.zeros(12)) == (0, "major")
