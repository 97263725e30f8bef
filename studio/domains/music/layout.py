"""How a phrase of any metre sits on the fixed grid the nets work on, and the metre track that tells them.

Every phrase is the same number of steps: ``bars`` blocks of four quarter
notes (the import option ``bars`` keeps its old meaning, so a 4/4 folder
gets exactly the rolls it always did).  A phrase starts on a bar line of
its own metre and holds as many whole bars of that metre as fit (a count
musicians phrase in: 1, 2, 3, 4, 6, 8, 12, 16 ...); the steps after its
last bar stay silent.  Each distinct (metre, bars) pair of a folder is a
*layout*.

A folder with more than one layout gets one more track after its roles,
the *metre track*, which is not music but the phrase's structure: row 0
marks bar lines, row 1 the metre's beats (dotted quarters in 6/8), row 2
the steps inside the phrase, and row ``LAYOUT_ROW + k`` is all on for
layout k.  D sees it beside the notes, so it learns where bars fall; G
writes it exactly from its latent (it is not learned), so every sample has
a definite metre, with the folder's mix of metres.  A folder of one
layout has no such track: its rolls are the notes alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

import numpy as np

QUARTERS_PER_BLOCK = 4
"""The nets' time unit: one block of four quarter notes (the old 4/4 bar)."""
PHRASE_BAR_COUNTS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)
METRE_TRACK = "metre"
BAR_ROW, BEAT_ROW, INSIDE_ROW, LAYOUT_ROW = 0, 1, 2, 8
MAX_LAYOUTS = 32
"""At most this many distinct layouts get their own row (the rarest beyond are reported and left out)."""


@dataclass(frozen=True)
class Layout:
    """One metre's phrase: ``bars`` bars of ``numerator``/``denominator`` on a grid of ``steps_per_beat`` a quarter."""

    numerator: int
    denominator: int
    bars: int
    steps_per_beat: int

    @property
    def bar_quarters(self) -> Fraction:
        return Fraction(4 * self.numerator, self.denominator)

    @property
    def bar_steps(self) -> Fraction:
        """Steps per bar; a whole number on a grid that holds the metre (see :func:`fits_grid`)."""
        return self.bar_quarters * self.steps_per_beat

    @property
    def steps(self) -> int:
        """Steps the phrase's bars cover (the rest of the roll is silent)."""
        return int(self.bars * self.bar_steps)

    @property
    def beat_steps(self) -> Fraction:
        """Steps per felt beat: a dotted quarter in compound metres (6/8, 9/8, 12/8), else the denominator."""
        unit = Fraction(4, self.denominator) * self.steps_per_beat
        if self.denominator >= 8 and self.numerator % 3 == 0 and self.numerator > 3:
            return 3 * unit
        return unit

    @property
    def name(self) -> str:
        return f"{self.numerator}/{self.denominator}"

    def to_dict(self) -> dict[str, int]:
        return {"numerator": self.numerator, "denominator": self.denominator, "bars": self.bars}

    @classmethod
    def from_dict(cls, data: dict[str, Any], steps_per_beat: int) -> "Layout":
        return cls(int(data["numerator"]), int(data["denominator"]), int(data["bars"]), int(steps_per_beat))


def phrase_bars(bar_quarters: Fraction, phrase_quarters: int) -> int:
    """Whole bars of ``bar_quarters`` a phrase of ``phrase_quarters`` holds: the largest count in
    :data:`PHRASE_BAR_COUNTS` that fits (0 when not even one bar fits)."""
    fitting = [b for b in PHRASE_BAR_COUNTS if b * bar_quarters <= phrase_quarters]
    return max(fitting, default=0)


def fits_grid(bar_quarters: Fraction, steps_per_beat: int) -> bool:
    """Whether bar lines of this length fall on steps of the grid (7/16 needs 4 steps a quarter, not 3)."""
    return (bar_quarters * steps_per_beat).denominator == 1


def structure_roll(layout: Layout, index: int, steps: int, pitches: int) -> np.ndarray:
    """The metre track of one phrase in ``layout`` (number ``index`` of its folder): steps x pitches uint8."""
    if LAYOUT_ROW + index >= pitches:
        raise ValueError(f"layout {index} does not fit a roll of {pitches} pitch rows")
    roll = np.zeros((steps, pitches), dtype=np.uint8)
    inside = min(layout.steps, steps)
    roll[:inside, INSIDE_ROW] = 1
    bar, beat = layout.bar_steps, layout.beat_steps
    roll[[int(b * bar) for b in range(layout.bars) if b * bar < inside], BAR_ROW] = 1
    k = 0
    while k * beat < inside:
        roll[int(k * beat), BEAT_ROW] = 1
        k += 1
    roll[:, LAYOUT_ROW + index] = 1
    return roll


def layouts_of(meta: dict[str, Any]) -> list[Layout]:
    """A corpus's layouts, most common first (one 4/4 layout for a corpus imported before metres were read)."""
    spb = int(meta["steps_per_beat"])
    found = meta.get("layouts")
    if not found:
        return [Layout(4, 4, int(meta["bars"]), spb)]
    return [Layout.from_dict(d, spb) for d in found]


def has_metre_track(meta: dict[str, Any]) -> bool:
    return bool(meta.get("metre_track", False))


def note_rolls(rolls: np.ndarray, meta: dict[str, Any]) -> np.ndarray:
    """N x tracks x steps x pitches rolls without the metre track (the notes of the roles alone)."""
    rolls = np.asarray(rolls)
    return rolls[:, : len(meta["roles"])] if has_metre_track(meta) else rolls


def layout_indices(rolls: np.ndarray, meta: dict[str, Any]) -> np.ndarray:
    """Each phrase's layout number, read from its metre track (all 0 for a folder of one layout)."""
    rolls = np.asarray(rolls)
    if not has_metre_track(meta):
        return np.zeros(len(rolls), dtype=np.int64)
    count = len(layouts_of(meta))
    rows = rolls[:, len(meta["roles"]), :, LAYOUT_ROW:LAYOUT_ROW + count].astype(np.float64).mean(axis=1)
    return rows.argmax(axis=1).astype(np.int64)


def layout_shares(meta: dict[str, Any]) -> Sequence[float]:
    """How often each layout occurs among the corpus's phrases (what G draws its metres from)."""
    found = meta.get("layouts") or [{"share": 1.0}]
    shares = np.array([float(d.get("share", 1.0)) for d in found], dtype=np.float64)
    return (shares / shares.sum()).tolist()
