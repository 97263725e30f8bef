"""Choosing a folder's grid (steps per quarter note) from what its notes need.

A 16th-note grid (4 steps a beat) moves triplets and the eighths of swung
or compound-metre tunes off their places; a 12-step grid holds them but
triples the nets' work.  The importer counts, for each candidate grid in
one pass over every file's onsets, the notes the grid would lose: an onset
moved by more than :data:`ONSET_TOLERANCE` of a beat, a note that lands on
the same step and pitch as another of its part (it would merge into it),
and the notes of a metre whose bars do not fall on the grid.  The smallest
grid within :data:`MARGIN` of the best loss wins: finer grids cost time
and learn nothing more from notes the coarse one already holds.
"""
from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Sequence

import numpy as np

from studio.domains.music.layout import fits_grid
from studio.domains.music.metres import metre_problem

if TYPE_CHECKING:
    from studio.domains.music.codec import Song

GRID_CANDIDATES = (4, 6, 8, 12)
"""Products of 2s and 3s the nets can upsample to: 16ths, triplet 8ths, 32nds, triplet 16ths."""
ONSET_TOLERANCE = Fraction(1, 32)
"""A note moved by more than a 32nd of a beat is lost: played timing jitters less, a triplet moves 1/12."""
MARGIN = 0.01
"""A grid within one point of the best loss counts as good as the best."""


class GridTally:
    """Onsets seen and lost per candidate grid, accumulated file by file."""

    def __init__(self, grids: Sequence[int] = GRID_CANDIDATES) -> None:
        self.grids = tuple(grids)
        self.notes = 0
        self.lost = np.zeros(len(self.grids), dtype=np.int64)

    def add(self, song: "Song") -> None:
        """Counts one song's notes and what each grid would lose of them."""
        tpb = song.ticks_per_beat
        for part in song.parts:
            if len(part.notes) == 0:
                continue
            start, pitch = part.notes[:, 0], part.notes[:, 2]
            self.notes += len(start)
            for k, grid in enumerate(self.grids):
                exact = start * grid / tpb
                step = np.floor(exact + 0.5).astype(np.int64)
                moved = np.abs(exact - step) > float(ONSET_TOLERANCE) * grid + 1e-9
                keys = step * 128 + pitch
                _, first = np.unique(keys, return_index=True)
                merged = np.ones(len(keys), dtype=bool)
                merged[first] = False
                self.lost[k] += int((moved | merged).sum())
        for k, grid in enumerate(self.grids):
            self.lost[k] += _notes_in_misfit_metres(song, grid)

    def losses(self) -> dict[int, float]:
        """Share of notes each grid loses (0 for every grid of an empty folder)."""
        return {g: float(lost) / self.notes if self.notes else 0.0 for g, lost in zip(self.grids, self.lost)}

    def choice(self) -> int:
        """The smallest grid whose loss is within :data:`MARGIN` of the best."""
        losses = self.losses()
        best = min(losses.values())
        return min(g for g, loss in losses.items() if loss <= best + MARGIN)


def _notes_in_misfit_metres(song: "Song", grid: int) -> int:
    """Notes played while a time signature whose bar lines miss this grid is in force."""
    spans = [(tick, Fraction(4 * num, den)) for tick, num, den in song.metres if metre_problem(num, den) is None]
    bad = [(a, b) for (a, q), (b, _) in zip(spans, spans[1:] + [(song.end_tick + 1, Fraction(1))])
           if not fits_grid(q, grid)]
    if not bad:
        return 0
    starts = np.concatenate([p.notes[:, 0] for p in song.parts if len(p.notes)])
    return int(sum(((starts >= a) & (starts < b)).sum() for a, b in bad))
