"""A MIDI file's beats: when each beat falls (seconds), its bar position and how busy it is.

"Dance to music" lays a clip's beat grid (nets.py: eight beat latents over a window) onto these
times.  Tempo changes are followed exactly; a file that sets no tempo plays at 120 bpm (MIDI's
default) and a tempo of zero microseconds a beat, which some exporters write, is ignored (the
previous tempo holds), as the music importer does.  Notes are kept so the music can be heard
beside the motion (:func:`write_music_wav`).
"""
from __future__ import annotations

import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DEFAULT_TEMPO = 500_000  # microseconds a beat: 120 bpm
MAX_SECONDS = 30 * 60.0
"""Longer pieces are cut here: a dance is exported as one BVH, and half an hour of it is already 36,000 frames."""


class BeatProblem(ValueError):
    """A MIDI file that gives no beats; the message names the file and why."""


@dataclass
class BeatTrack:
    times: np.ndarray  # seconds of each beat, increasing
    beats_per_bar: int
    accents: np.ndarray  # note onsets on each beat over the mean (1 = an average beat)
    notes: list[tuple[float, float, int, int]] = field(default_factory=list)  # start s, end s, pitch, velocity

    @property
    def bpm(self) -> float:
        return float(60.0 / np.median(np.diff(self.times))) if len(self.times) > 1 else 120.0

    @property
    def duration(self) -> float:
        return float(self.times[-1] + (self.times[-1] - self.times[-2] if len(self.times) > 1 else 0.5))


def _tempo_map(events: list[tuple[int, int]], ticks_per_beat: int):
    """A function ticks -> seconds through the file's tempo changes (zero tempos ignored)."""
    changes = [(0, DEFAULT_TEMPO)]
    for tick, tempo in sorted(events):
        if tempo <= 0:
            continue
        if tick == changes[-1][0]:
            changes[-1] = (tick, tempo)
        else:
            changes.append((tick, tempo))
    starts = [0.0]
    for (t0, tempo), (t1, _) in zip(changes, changes[1:]):
        starts.append(starts[-1] + (t1 - t0) * tempo / 1e6 / ticks_per_beat)
    ticks = np.array([c[0] for c in changes])

    def seconds(tick: float) -> float:
        i = int(np.searchsorted(ticks, tick, side="right") - 1)
        return starts[i] + (tick - changes[i][0]) * changes[i][1] / 1e6 / ticks_per_beat

    return seconds


def read_beats(path: str | Path) -> BeatTrack:
    """The beats of a MIDI file; :class:`BeatProblem` naming the file when it has none or cannot be read."""
    import mido

    path = Path(path)
    try:
        midi = mido.MidiFile(str(path))
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise BeatProblem(f"{path}: not a readable MIDI file ({exc})") from None
    if midi.type == 2:
        raise BeatProblem(f"{path}: a type 2 MIDI file holds separate songs; save one as type 0 or 1")
    tpb = max(1, int(midi.ticks_per_beat or 480))
    tempos: list[tuple[int, int]] = []
    numerator = 4
    onsets: list[tuple[int, int, int]] = []  # tick, pitch, velocity
    offs: dict[tuple[int, int], list[int]] = {}
    spans: list[tuple[int, int, int, int]] = []
    for track in midi.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                tempos.append((tick, int(msg.tempo)))
            elif msg.type == "time_signature" and tick == 0:
                numerator = max(1, int(msg.numerator))
            elif msg.type == "note_on" and msg.velocity > 0:
                onsets.append((tick, msg.note, msg.velocity))
                offs.setdefault((msg.channel, msg.note), []).append(len(onsets) - 1)
            elif msg.type in ("note_off", "note_on"):
                started = offs.get((msg.channel, msg.note))
                if started:
                    i = started.pop(0)
                    spans.append((onsets[i][0], tick, onsets[i][1], onsets[i][2]))
    if not onsets:
        raise BeatProblem(f"{path}: no notes, so no beats to dance to")
    seconds = _tempo_map(tempos, tpb)
    end_tick = max(max(s[1] for s in spans) if spans else 0, max(o[0] for o in onsets) + tpb)
    beat_ticks = np.arange(0, end_tick, tpb)
    times = np.array([seconds(t) for t in beat_ticks])
    times = times[times <= MAX_SECONDS]
    if len(times) < 2:
        raise BeatProblem(f"{path}: shorter than two beats")
    counts = np.bincount(np.minimum(np.array([o[0] for o in onsets]) // tpb, len(times) - 1), minlength=len(times))
    accents = counts / max(counts.mean(), 1e-9)
    notes = [(seconds(a), seconds(b), p, v) for a, b, p, v in spans if seconds(a) <= MAX_SECONDS]
    return BeatTrack(times, numerator, accents.astype(np.float64), notes)


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
    for start, end, pitch, velocity in track.notes:
        a = int(start * sample_rate)
        n = max(1, min(int((end - start + 0.1) * sample_rate), total - a))
        if n <= 0 or a >= total:
            continue
        t = np.arange(n) / sample_rate
        hz = 440.0 * 2.0 ** ((pitch - 69) / 12.0)
        out[a:a + n] += (velocity / 127.0) * np.sin(2 * np.pi * hz * t) * np.exp(-3.0 * t)
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
