"""The key lock: decoding keeps pitched tracks to one key's scale, so a generated clip fits a song in that key.

A key is named as musicians write it on a chart: "C", "Am", "F#m", "Bb",
"Eb minor"; "none", "any" or no key at all leaves decoding as it was.  The
lock removes the out-of-scale pitches' probabilities before the notes are
chosen (voices.py then picks among what is left), so where G wanted a
black key the most probable in-scale neighbour can sound instead.  A minor
key allows its raised 7th as well (keys.scale_mask's harmonic minor): the
leading note of the dominant chord, which minor-key songs use throughout.
Drums name instruments, not pitches, and the metre track is structure, so
neither is touched.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from studio.domains.music.keys import MODES, PITCH_CLASS_NAMES, scale_mask
from studio.domains.music.roll import DRUMS

OFF = ("", "none", "any", "off")
LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
ACCIDENTALS = {"": 0, "#": 1, "♯": 1, "b": -1, "♭": -1}
MAJOR_WORDS = ("", "maj", "major")  # and "M", the chart symbol (case matters there: "m" is minor)
MINOR_WORDS = ("m", "min", "minor")
HARMONIC_MINOR = True


def parse_key(value: Any) -> tuple[int, str] | None:
    """(tonic 0-11, "major" | "minor") of a key name, or None when the lock is off.

    Raises ValueError naming the value when it is not a key.
    """
    if value is None or (isinstance(value, str) and value.strip().lower() in OFF):
        return None
    text = str(value).strip()
    letter = text[:1].upper()
    if letter not in LETTERS:
        raise ValueError(f"unknown key {value!r}: write a note name A-G, then # or b, then m for minor "
                         "(for example C, Am, F#m, Bb), or none")
    rest = text[1:]
    accidental = rest[:1] if rest[:1] in ACCIDENTALS else ""
    mode_word = rest[len(accidental):].strip()
    if mode_word == "M" or mode_word.lower() in MAJOR_WORDS:
        mode = "major"
    elif mode_word.lower() in MINOR_WORDS:
        mode = "minor"
    else:
        raise ValueError(f"unknown key {value!r}: {mode_word!r} is neither major nor minor "
                         "(write for example C, Am, F#m, Bb, or none)")
    return (LETTERS[letter] + ACCIDENTALS[accidental]) % 12, mode


def key_value(tonic: int, mode: str) -> str:
    """The short name :func:`parse_key` reads: "C", "F#m"."""
    return PITCH_CLASS_NAMES[tonic % 12] + ("m" if mode == "minor" else "")


def key_choices() -> list[tuple[str, str]]:
    """(label, value) for every major and minor key, by tonic: what the music tab's key box offers."""
    return [(f"{PITCH_CLASS_NAMES[tonic]} {mode}", key_value(tonic, mode)) for tonic in range(12) for mode in MODES]


def in_key(tonic: int, mode: str) -> np.ndarray:
    """Twelve booleans: the pitch classes the lock (and the metrics' scale share) count as in the key."""
    return scale_mask(tonic, mode, harmonic=HARMONIC_MINOR)


def lock_to_key(on: np.ndarray, prob: np.ndarray, key: Any,
                meta: dict[str, Any] | None) -> tuple[np.ndarray, np.ndarray]:
    """``on`` and ``prob`` (N × tracks × steps × pitches) with the pitched tracks' out-of-key rows cleared.

    Unchanged when ``key`` is off; a key without the corpus's ``meta`` (its
    pitch range and roles) cannot be applied and raises ValueError.
    """
    parsed = parse_key(key)
    if parsed is None:
        return on, prob
    if meta is None:
        raise ValueError(f"key {key!r}: the key lock needs the corpus's pitch range and roles")
    pitches = on.shape[-1]
    allowed = in_key(*parsed)[(int(meta["lowest"]) + np.arange(pitches)) % 12]
    pitched = [t for t, role in enumerate(meta["roles"]) if role != DRUMS]
    on, prob = on.copy(), prob.copy()
    for t in pitched:
        on[:, t, :, ~allowed] = False
        prob[:, t, :, ~allowed] = 0.0
    return on, prob
