"""Where a song's bar lines fall on the step grid: its metre sections, pick-ups, and what its header got wrong.

A time signature starts a section on a bar line of its own metre.  Headers
lie in the wild (0/4, a signature after the music ended, a signature whose
bars the grid cannot hold), so each event is checked and what is read
differently gets a report line.  The first bar line is the one thing a
header rarely states: tune books write a pick-up (anacrusis) as a short
first bar, or a short first section before the real metre, or simply start
the notes at tick 0.  The notes decide: where long notes and onsets fall
shows the bar line, and a phase other than 0 is taken only when it clearly
beats phase 0 (:data:`CLEAR_MARGIN`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

from studio.domains.music.layout import Layout, fits_grid

if TYPE_CHECKING:
    from studio.domains.music.codec import Song

MAX_NUMERATOR = 32
MAX_DENOMINATOR = 64
CLEAR_MARGIN = 1.1
"""A pick-up phase is taken when its notes weigh this many times phase 0's (see docs/experiments)."""
RUNNER_UP_MARGIN = 1.05
"""... and this many times any other phase's: a bar that weighs the same at every off-beat (chords on the
off-beat, as reggae plays them) shows no phase at all."""
MIN_PHASE_NOTES = 4
"""Fewer notes than this are no evidence about where bars start."""


@dataclass(frozen=True)
class Section:
    """A stretch of whole bars in one metre, in steps of the grid (``end`` is a bar line)."""

    start: int
    end: int
    numerator: int
    denominator: int
    first_bar: int  # the song's bar number of its first bar, 1-based, for reports

    @property
    def name(self) -> str:
        return f"{self.numerator}/{self.denominator}"

    @property
    def bar_quarters(self) -> Fraction:
        return Fraction(4 * self.numerator, self.denominator)

    def bar_steps(self, steps_per_beat: int) -> int:
        return int(self.bar_quarters * steps_per_beat)

    def bars(self, steps_per_beat: int) -> int:
        return (self.end - self.start) // self.bar_steps(steps_per_beat)


@dataclass
class MetreReading:
    """A song's sections, the report lines for what was read differently, and details worth keeping."""

    sections: list[Section] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    pickup_quarters: float = 0.0


def metre_problem(numerator: int, denominator: int) -> str | None:
    """Why a time signature cannot be a metre (None when it can)."""
    if denominator <= 0 or denominator & (denominator - 1) or denominator > MAX_DENOMINATOR:
        return f"its denominator {denominator} is not a power of two up to {MAX_DENOMINATOR}"
    if not 1 <= numerator <= MAX_NUMERATOR:
        return f"its numerator {numerator} is not between 1 and {MAX_NUMERATOR}"
    return None


def _phase_unit(numerator: int, denominator: int, steps_per_beat: int) -> int:
    """Steps between candidate bar lines: the metre's written beat, an 8th at most (pick-ups of an 8th are common)."""
    unit = Fraction(4, denominator) * steps_per_beat
    return max(1, int(min(unit, Fraction(steps_per_beat, 2))))


def _bar_steps(numerator: int, denominator: int, steps_per_beat: int) -> int:
    return int(Fraction(4 * numerator, denominator) * steps_per_beat)


def metric_weights(numerator: int, denominator: int, steps_per_beat: int) -> np.ndarray:
    """How strong each step of a bar is: the bar line most, then the half bar of four felt beats, the felt
    beats (dotted quarters in 6/8), the written beats; 0 between them."""
    layout = Layout(numerator, denominator, 1, steps_per_beat)
    bar, beat = int(layout.bar_steps), int(layout.beat_steps)
    written = max(1, int(Fraction(4, denominator) * steps_per_beat))
    weights = np.zeros(bar)
    weights[::written] += 1
    weights[::max(1, beat)] += 1
    if beat and bar // beat >= 4 and (bar // beat) % 2 == 0:
        weights[bar // 2] += 1
    weights[0] += 2
    return weights


def bar_phase(onsets: np.ndarray, lengths: np.ndarray, numerator: int, denominator: int, steps_per_beat: int,
              header: int = 0) -> int:
    """Steps from a section's start to its first bar line, judged from its notes (0 unless clearly otherwise).

    Each candidate phase lays the metre's strengths (:func:`metric_weights`)
    over the notes; a note counts its length (up to a bar) times the strength
    of the step it starts on, as long notes fall on strong beats.  A phase
    other than 0 must beat phase 0 by :data:`CLEAR_MARGIN` and every other
    phase by :data:`RUNNER_UP_MARGIN`.  ``header`` is the phase the next
    time signature implies (it stands on a bar line, so the bars before it
    count back from it): taken unless the notes clearly favour phase 0.
    """
    weights = metric_weights(numerator, denominator, steps_per_beat)
    bar, unit = len(weights), _phase_unit(numerator, denominator, steps_per_beat)
    length = np.minimum(lengths, bar).astype(np.float64)
    if header:
        at_zero, at_header = ((length * weights[(onsets - p) % bar]).sum() for p in (0, header))
        return 0 if len(onsets) >= MIN_PHASE_NOTES and at_zero >= CLEAR_MARGIN * at_header else header
    if len(onsets) < MIN_PHASE_NOTES or bar <= unit:
        return 0
    phases = np.arange(0, bar, unit)
    scores = np.array([(length * weights[(onsets - p) % bar]).sum() for p in phases])
    best = int(np.argmax(scores))
    runner_up = np.delete(scores, [0, best]).max(initial=0.0)
    if best and scores[best] >= CLEAR_MARGIN * scores[0] and scores[best] >= RUNNER_UP_MARGIN * runner_up:
        return int(phases[best])
    return 0


def read_sections(song: "Song", steps_per_beat: int, onsets: np.ndarray, lengths: np.ndarray) -> MetreReading:
    """The song's sections on a grid of ``steps_per_beat``, given its notes' onsets and lengths in steps."""
    reading = MetreReading()
    tpb = song.ticks_per_beat
    to_step = lambda tick: int(np.floor(tick * steps_per_beat / tpb + 0.5))  # noqa: E731
    end_tick = song.end_tick
    events: list[tuple[int, int, int]] = []
    current = (4, 4)
    for tick, num, den in song.metres:
        name, beat = f"{num}/{den}", f"beat {tick / tpb:g}"
        if tick >= end_tick:
            reading.lines.append(f"time signature {name} at {beat} comes after the last note: ignored")
            continue
        problem = metre_problem(num, den)
        if problem is None and not fits_grid(Fraction(4 * num, den), steps_per_beat):
            problem = f"its bars do not fall on a grid of {steps_per_beat} steps a beat (choose a finer grid)"
        if problem is not None:
            reading.lines.append(f"time signature {name} at {beat}: {problem}; read as {current[0]}/{current[1]}")
            continue
        step = to_step(tick)
        bar = _bar_steps(num, den, steps_per_beat)
        restated = events and (num, den) == current and (step - events[-1][0]) % bar == 0
        if not restated:  # a metre restated off its bar lines starts new bars there
            events.append((step, num, den))
            current = (num, den)
    if not events or events[0][0] > 0:
        events.insert(0, (0, 4, 4))
    last = to_step(end_tick)
    bounds = [e[0] for e in events[1:]] + [last]
    spans = [(a, b, num, den) for (a, num, den), b in zip(events, bounds) if b > a]
    if len(spans) > 1:
        (a, b, num, den), (_, _, n1, d1) = spans[0], spans[1]
        if Fraction(b - a, steps_per_beat) < min(Fraction(4 * n1, d1), Fraction(4 * num, den) + Fraction(1, 64)):
            reading.pickup_quarters = float(Fraction(b - a, steps_per_beat))
            reading.remarks.append(f"pick-up of {reading.pickup_quarters:g} beats in {num}/{den} before the first bar")
            spans = spans[1:]
    bar_number = 1
    for k, (a, b, num, den) in enumerate(spans):
        bar = _bar_steps(num, den, steps_per_beat)
        if k == 0 and not reading.pickup_quarters:
            inside = (onsets >= a) & (onsets < b)
            header = (b - a) % bar if len(spans) > 1 else 0
            phase = bar_phase(onsets[inside] - a, lengths[inside], num, den, steps_per_beat, header)
            if phase:
                reading.pickup_quarters = phase / steps_per_beat
                reading.remarks.append(f"pick-up of {_beats(reading.pickup_quarters)} before the first bar line")
                a += phase
        if k == len(spans) - 1:
            end = a + -(-(b - a) // bar) * bar  # the last bar is padded to its bar line
            if end > b:
                reading.remarks.append(f"last bar padded with {_beats(Fraction(end - b, steps_per_beat))}")
        else:
            end = a + (b - a) // bar * bar
            if end < b:
                short = Fraction(bar - (b - end), steps_per_beat)
                reading.lines.append(
                    f"bar {bar_number + (end - a) // bar} in {num}/{den} never closes: {_beats(short)} short "
                    f"at the change to {spans[k + 1][2]}/{spans[k + 1][3]}; its notes are left out"
                )
        if end > a:
            reading.sections.append(Section(a, end, num, den, bar_number))
            bar_number += (end - a) // bar
    return reading


def _beats(quarters: float | Fraction) -> str:
    """Quarter notes as a report says them ("1 beat", "2.5 beats")."""
    return f"{float(quarters):g} {'beat' if quarters == 1 else 'beats'}"
