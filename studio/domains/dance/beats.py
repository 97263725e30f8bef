"""A MIDI file's beats: when each beat falls (seconds), its bar position and how busy it is.

"Dance to music" lays a clip's beat grid (nets.py: eight beat latents over a window) onto these
times.  The file is read by core/music_drive.py, the one MIDI reader of the studio, so a piece
paints and dances on the same beats (its tempo map followed, a broken tempo held to 20-400 bpm).
Here those beats get what a dancer needs beside them: how many notes start on each (accents) and
the notes themselves, so the music can be heard beside the motion (:func:`write_music_wav`).
"""
from __future__ import annotations

import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from studio.core.music_drive import Note, read_midi


class BeatProblem(ValueError):
    """A MIDI file that gives no beats; the message names the file and why."""


@dataclass
class BeatTrack:
    times: np.ndarray  # seconds of each beat, increasing, the last at or past the music's end
    beats_per_bar: int
    accents: np.ndarray  # note onsets on each beat over the mean (1 = an average beat)
    duration: float  # seconds of music
    notes: list[Note] = field(default_factory=list)

    @property
    def bpm(self) -> float:
        return float(60.0 / np.median(np.diff(self.times))) if len(self.times) > 1 else 120.0


def read_beats(path: str | Path) -> BeatTrack:
    """The beats of a MIDI file; :class:`BeatProblem` naming the file when it has none or cannot be read."""
    try:
        piece = read_midi(path)
    except ValueError as exc:
        raise BeatProblem(str(exc)) from None
    times = piece.beats
    if len(times) < 2:
        raise BeatProblem(f"{path}: shorter than two beats")
    onsets = np.array([note.start for note in piece.notes])
    on_beat = np.searchsorted(times, onsets + 1e-6, side="right") - 1  # a start summed from deltas may fall short
    counts = np.bincount(np.clip(on_beat, 0, len(times) - 1), minlength=len(times))
    accents = counts / max(counts.mean(), 1e-9)
    return BeatTrack(times, piece.beats_per_bar, accents.astype(np.float64), piece.seconds, piece.notes)


def beat_positions(track: BeatTrack, seconds: np.ndarray) -> np.ndarray:
    """Fractional beat index at each time (beats past the last one continue at the last beat's length)."""
    times = track.times
    last = times[-1] - times[-2]
    extended = np.append(times, times[-1] + last)
    index = np.arange(len(extended), dtype=np.float64)
    return np.interp(seconds, extended, index, right=np.nan) if len(seconds) else np.zeros(0)


def render_notes(track: BeatTrack, sample_rate: int = 22050) -> np.ndarray:
    """Mono float audio of the file's notes as plain decaying tones: enough to hear the beat the figure follows."""
    total = int((track.duration + 0.5) * sample_rate)
    out = np.zeros(total, np.float64)
    for note in track.notes:
        a = int(note.start * sample_rate)
        n = max(1, min(int((note.end - note.start + 0.1) * sample_rate), total - a))
        if n <= 0 or a >= total:
            continue
        t = np.arange(n) / sample_rate
        hz = 440.0 * 2.0 ** ((note.pitch - 69) / 12.0)
        out[a:a + n] += (note.velocity / 127.0) * np.sin(2 * np.pi * hz * t) * np.exp(-3.0 * t)
    peak = np.abs(out).max()
    return out * (0.89 / peak) if peak > 0 else out


def write_music_wav(track: BeatTrack, path: str | Path, sample_rate: int = 22050) -> Path:
    """The music as a 16-bit mono WAV beside the dance's BVH."""
    path = Path(path)
    pcm = (np.clip(render_notes(track, sample_rate), -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm.tobytes())
    return path
