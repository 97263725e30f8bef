"""How many notes a track plays at once and how short its notes get, learned from the corpus and kept to when decoding.

A threshold turns G's probabilities into notes cell by cell, so a solo
line whose probability mass spreads over neighbouring pitches comes out as
clusters, and picking the most probable pitch step by step instead makes it
flicker between neighbours in notes one step long.  The corpus says how
many voices each track has (a chorale voice one, a piano part several) and
how short its notes get (a chorale barely goes below an eighth note);
decoding walks along time keeping, per track and step, that many of the
most probable sounding pitches, and holds a note it has started until it
has lasted the corpus's shortest common length, as long as G still gives
it at least half the threshold's probability.

A track's top voice (its melody, or a solo line) may also be asked to move
by step: with a leap penalty, a newly struck top note that leaps past a
fifth gives way to the pitch G half supports whose probability, weighed by
its distance from the previous top note (:func:`leap_weights`), is higher.
A note is swapped for a note, so only pitches change, never the density.  The penalty is fitted per run
(calibration.py), since how leapy a folder is cannot be told in advance.

In the same way, steps marked as guarded (repeats.py: bars that came out
as a copy of the bar before) let newly struck notes that echo the previous
bar give way to the next pitches G supports (:func:`avoid_echoes`).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

QUANTILE = 99  # a rare chord in a melody track does not make the melody polyphonic
SHORT_NOTE_PERCENTILE = 10  # nine notes in ten of a track are at least its shortest length
HOLD_FLOOR = 0.5  # a started note is held while its probability is above this share of the threshold
HELD_BONUS = 2.0  # above any probability: a held note keeps its voice
LEAP_FREE = 7  # semitones a one-voice track moves without penalty (a fifth, the metrics' leap edge)


def track_voices(rolls: np.ndarray, quantile: float = QUANTILE) -> list[int]:
    """Per track of N × tracks × steps × pitches 0/1 rolls: the notes sounding at once (``quantile`` of sounding steps)."""
    counts = np.asarray(rolls).sum(axis=-1, dtype=np.int32)  # N x tracks x steps
    voices = []
    for t in range(counts.shape[1]):
        sounding = counts[:, t][counts[:, t] > 0]
        voices.append(int(np.ceil(np.percentile(sounding, quantile))) if sounding.size else 1)
    return voices


def note_lengths(track: np.ndarray) -> np.ndarray:
    """Lengths in steps of every note (run of on-cells along time) in N × steps × pitches rolls."""
    on = np.asarray(track) > 0
    edge = np.zeros(on.shape[:1] + (1,) + on.shape[2:], bool)
    padded = np.concatenate([edge, on, edge], axis=1).astype(np.int8)
    change = np.diff(padded, axis=1).transpose(0, 2, 1).reshape(-1, on.shape[1] + 1)  # runs along time per row
    starts = np.nonzero(change.ravel() == 1)[0]
    ends = np.nonzero(change.ravel() == -1)[0]
    return ends - starts


def shortest_notes(rolls: np.ndarray, percentile: float = SHORT_NOTE_PERCENTILE) -> list[int]:
    """Per track: the shortest note length in steps the corpus plays commonly (1 where a track has no notes)."""
    rolls = np.asarray(rolls)
    out = []
    for t in range(rolls.shape[1]):
        lengths = note_lengths(rolls[:, t])
        out.append(max(1, int(np.floor(np.percentile(lengths, percentile)))) if lengths.size else 1)
    return out


def leap_weights(previous: np.ndarray, pitches: int, penalty: float) -> np.ndarray:
    """... -> ... × pitches factors exp(-penalty × semitones beyond :data:`LEAP_FREE` from ``previous``)
    (1 everywhere where ``previous`` is -1: no note yet)."""
    rows = np.arange(pitches)
    excess = np.maximum(np.abs(rows - previous[..., None]) - LEAP_FREE, 0)
    return np.where(previous[..., None] >= 0, np.exp(-penalty * excess), 1.0)


def top_note(cells: np.ndarray) -> np.ndarray:
    """... × pitches booleans -> the highest True row (0 where none is)."""
    return cells.shape[-1] - 1 - np.argmax(cells[..., ::-1], axis=-1)


def steer_top_voice(candidate: np.ndarray, p: np.ndarray, before: np.ndarray, previous: np.ndarray,
                    floor: float | np.ndarray, penalty: float) -> tuple[np.ndarray, np.ndarray]:
    """One step's notes (N × tracks × pitches) with each newly struck top note that leaps past a fifth from
    ``previous`` (N × tracks, the last top-voice note; -1 for none) swapped for the pitch above ``floor`` (a
    number, or N × 1 × 1 per clip) whose probability × :func:`leap_weights` is higher, if one is; and the
    top-voice notes after this step.

    The swap keeps the number of notes, so only pitches change, never the texture.
    """
    pitches = p.shape[-1]
    sounds = candidate.any(axis=-1)
    top = top_note(candidate)[..., None]
    struck = sounds & ~np.take_along_axis(before, top, axis=-1)[..., 0]
    weighed = p * leap_weights(previous, pitches, penalty)
    top_value = np.take_along_axis(weighed, top, axis=-1)[..., 0]
    others = np.where((p > floor) & ~candidate, weighed, -1.0)
    alternative = np.argmax(others, axis=-1)[..., None]
    swap = struck & (np.take_along_axis(others, alternative, axis=-1)[..., 0] > top_value)
    if swap.any():
        candidate = candidate.copy()
        rows = np.arange(pitches)
        candidate &= ~(swap[..., None] & (rows == top))
        candidate |= swap[..., None] & (rows == alternative)
    now = top_note(candidate)
    moved = candidate.any(axis=-1) & ~np.take_along_axis(before, now[..., None], axis=-1)[..., 0]
    return candidate, np.where(moved, now, previous)


def avoid_echoes(candidate: np.ndarray, p: np.ndarray, before: np.ndarray, echo: np.ndarray, floor: float,
                 strength: float, bar_line: np.ndarray) -> np.ndarray:
    """One step's notes (N × tracks × pitches) with each newly struck note on a cell of ``echo`` (what the
    bar before sounded here) given up for another pitch when that pitch's probability is higher than the
    echo's times 1 - ``strength`` (echoing alternatives weigh the same) and above ``floor``; as many notes as
    before.  On a ``bar_line`` (N booleans) a note held over it counts as struck: a note held through both bars
    repeats them."""
    weak = candidate & (~before | bar_line[:, None, None]) & echo
    if not weak.any():
        return candidate
    pool = weak | ((p > floor) & ~candidate)
    score = np.where(pool, p * np.where(echo, 1.0 - strength, 1.0), -1.0)
    order = np.argsort(-score, axis=-1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(p.shape[-1]), order.shape), axis=-1)
    chosen = pool & (rank < weak.sum(axis=-1, keepdims=True))
    return (candidate & ~weak) | chosen


def decode_notes(on: np.ndarray, prob: np.ndarray, voices: Sequence[int] | None,
                 shortest: Sequence[int] | None, threshold: float, leap_penalty: float = 0.0,
                 guarded: np.ndarray | None = None, bar_steps: np.ndarray | None = None,
                 repeat_guard: float = 0.0) -> np.ndarray:
    """``on`` (N × tracks × steps × pitches, bool) kept to ``voices[t]`` pitches per step of track t, the most
    probable first, with each note held for ``shortest[t]`` steps while its probability stays above
    :data:`HOLD_FLOOR` × ``threshold``.  With ``leap_penalty`` > 0 each track's top voice is steered away
    from leaps (:func:`steer_top_voice`); with ``repeat_guard`` > 0, on the N × steps ``guarded`` steps,
    notes away from echoes of the bar ``bar_steps`` (per clip) before (:func:`avoid_echoes`).
    Without voices and lengths ``on`` comes back as it is."""
    n, tracks, steps, pitches = on.shape
    limit = np.array([v if 0 < v < pitches else pitches for v in (voices or [pitches] * tracks)])
    least = np.array(list(shortest or [1] * tracks), dtype=np.int32)
    if len(limit) != tracks or len(least) != tracks or ((limit >= pitches).all() and (least <= 1).all()):
        return on
    previous = np.full((n, tracks), -1, np.int64)  # each track's last top-voice note, for the leap penalty
    widest = int(limit.max())
    rank_allowed = (np.arange(widest)[None, :] < limit[:, None])[None]  # 1 × tracks × widest
    hold_at = least[None, :, None]
    floor = HOLD_FLOOR * threshold
    kept = np.zeros_like(on)
    age = np.zeros((n, tracks, pitches), np.int32)  # steps the note on each pitch has sounded so far
    for s in range(steps):
        p = prob[:, :, s]
        held = (age > 0) & (age < hold_at) & (p > floor)
        candidate = on[:, :, s] | held
        if widest < pitches:
            score = np.where(candidate, p + HELD_BONUS * held, -1.0)
            best = np.argsort(-score, axis=-1, kind="stable")[..., :widest]
            allowed = np.zeros_like(candidate)
            np.put_along_axis(allowed, best, np.broadcast_to(rank_allowed, best.shape), axis=-1)
            candidate &= allowed
        before = kept[:, :, s - 1] if s else np.zeros_like(candidate)
        steer_floor: float | np.ndarray = floor
        if repeat_guard > 0 and guarded is not None and guarded[:, s].any():
            back = np.maximum(s - bar_steps, 0)
            here = guarded[:, s] & (s >= bar_steps)
            echo = kept[np.arange(n), :, back] & here[:, None, None]
            candidate = avoid_echoes(candidate, p, before, echo, floor, repeat_guard, s % np.maximum(bar_steps, 1) == 0)
            # The penalty weighs echoes and chooses among pitches as the guard does, or it would steer back.
            p = p * np.where(echo, 1.0 - repeat_guard, 1.0)
            steer_floor = np.where(here, floor * (1.0 - repeat_guard), floor)[:, None, None]
        if leap_penalty > 0:
            candidate, previous = steer_top_voice(candidate, p, before, previous, steer_floor, leap_penalty)
        kept[:, :, s] = candidate
        age = np.where(candidate, age + 1, 0)
    return kept
