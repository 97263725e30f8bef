"""Music paints: a walk through the latent space whose speed and direction follow a piece of music.

Any medium whose walks are pictures can be driven; the music is read here
(notes of a MIDI file with mido, or the waveform of a WAV with numpy), and
what it sounds like is the caller's business (the app layer synthesises the
MIDI with the music domain and hands the audio to the video writer).

The mapping, frame by frame (README, "Paint to music", says it for artists):

- **phrases move between anchors**: the music is cut into phrases of
  ``phrase_beats`` beats (a MIDI file's beats follow its tempo map; a WAV has
  none, so its beats are counted at 120 bpm); phrase k travels from anchor k
  to anchor k + 1 along a great circle, arriving as the phrase ends (after
  the last anchor comes the first again).
- **onsets push**: inside a phrase the walk's speed is ``1 + push × onset``,
  so it lurches forward on each note or drum hit and drifts between them,
  still arriving on time.
- **loudness and pitch height steer**: the latent is moved along the run's
  directions (core/directions.py), ``loudness_amount`` standard deviations
  along ``loudness_direction`` for the loudest moment against the quietest,
  ``pitch_amount`` along ``pitch_direction`` for an octave above the piece's
  average pitch against an octave below.  Both are smoothed over ``smoothing_s``
  so the picture breathes rather than flickers.  A WAV has no notes: its
  brightness (spectral centroid) stands for pitch height.
"""
from __future__ import annotations

import math
import wave
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from studio.core.files import checked_size
from studio.core.latent import slerp

WAV_BEAT_S = 0.5  # a WAV's beats are counted at 120 bpm: it carries no tempo
MAX_SECONDS = 30 * 60.0
MAX_FILE_BYTES = 200 * 1024 * 1024
BEAT_US = (150_000, 3_000_000)  # microseconds a beat may last when phrases are counted: 400 to 20 bpm


@dataclass(frozen=True)
class DriveSettings:
    """The mapping's knobs (the Paint-to-music dialog shows each)."""

    push: float = 3.0  # speed on the strongest onset, over the speed between onsets (1)
    loudness_direction: str = "0"
    loudness_amount: float = 1.5  # standard deviations between the quietest and the loudest moment
    pitch_direction: str = "1"
    pitch_amount: float = 1.5  # standard deviations for an octave above the piece's average pitch
    phrase_beats: float = 16.0
    smoothing_s: float = 0.25

    def record(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Note:
    """One note of a MIDI file, in seconds (drums on channel 10 included, marked)."""

    start: float
    end: float
    pitch: int
    velocity: int
    program: int
    drum: bool


@dataclass
class MidiPiece:
    """What a MIDI file says about time: its notes, length, beats through its tempo map and bar length."""

    notes: list[Note]
    seconds: float
    beats: np.ndarray  # beat times in seconds, from 0, covering the piece
    beats_per_bar: int  # the time signature's numerator at the start (4 when the file gives none)


@dataclass
class MusicFeatures:
    """Per video frame: onset strength and loudness in [0, 1], pitch height in octaves from the average (±1)."""

    fps: float
    seconds: float
    onset: np.ndarray
    loudness: np.ndarray
    pitch: np.ndarray
    beats: np.ndarray  # beat times in seconds, from 0, covering the piece

    @property
    def frames(self) -> int:
        return len(self.onset)


def frame_count(seconds: float, fps: float) -> int:
    """Frames that cover ``seconds`` (the video ends when the music does, within one frame)."""
    return max(2, int(math.ceil(seconds * fps - 1e-6)))


# ------------------------------------------------------------------ MIDI
def read_midi(path: str | Path) -> MidiPiece:
    """The notes, length, beats and bar of a MIDI file: the one reader of MIDI timing that painting and
    dance both follow; ValueError names a bad file."""
    import mido

    path = Path(path)
    _check_size(path)
    try:
        midi = mido.MidiFile(str(path), clip=True)
        if midi.type == 2:
            raise ValueError("type 2 MIDI files (independent patterns) cannot be played as one piece")
        seconds = float(midi.length)
        notes = _notes_of(midi)
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise ValueError(f"{path}: cannot be read as MIDI ({exc})") from None
    if not notes:
        raise ValueError(f"{path}: holds no notes")
    if not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"{path}: lasts {seconds:.0f} s; pieces of up to {MAX_SECONDS / 60:.0f} minutes are read")
    changes, beats_per_bar = _tempo_and_metre(midi)
    return MidiPiece(notes, seconds, _midi_beats(changes, int(midi.ticks_per_beat) or 480, seconds), beats_per_bar)


def _notes_of(midi: Any) -> list[Note]:
    now = 0.0
    programs = [0] * 16
    sounding: dict[tuple[int, int], tuple[float, int, int]] = {}
    notes: list[Note] = []
    for msg in midi:  # merged tracks, times in seconds through the tempo map
        now += msg.time
        if msg.type == "program_change":
            programs[msg.channel] = msg.program
        elif msg.type in ("note_on", "note_off"):
            key = (msg.channel, msg.note)
            if key in sounding:
                start, velocity, program = sounding.pop(key)
                notes.append(Note(start, max(now, start + 0.01), msg.note, velocity, program, msg.channel == 9))
            if msg.type == "note_on" and msg.velocity > 0:
                sounding[key] = (now, msg.velocity, programs[msg.channel])
    for (channel, pitch), (start, velocity, program) in sounding.items():
        notes.append(Note(start, max(now, start + 0.01), pitch, velocity, program, channel == 9))
    return sorted(notes, key=lambda n: (n.start, n.pitch))


def _tempo_and_metre(midi: Any) -> tuple[list[tuple[int, int]], int]:
    """The tempo changes (tick, microseconds a beat) of every track, sorted, and the bar's beats at tick 0."""
    changes: list[tuple[int, int]] = []
    beats_per_bar = 4
    for track in midi.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                changes.append((tick, int(msg.tempo)))
            elif msg.type == "time_signature" and tick == 0:
                beats_per_bar = max(1, int(msg.numerator))
    return sorted(changes), beats_per_bar


def _midi_beats(changes: list[tuple[int, int]], tpb: int, seconds: float) -> np.ndarray:
    """Beat times through the tempo map (tempo changes of any track, as mido merges them)."""
    beats, tick, now, tempo = [0.0], 0, 0.0, 500000
    pending = iter(changes)
    nxt = next(pending, None)
    while now < seconds:
        while nxt is not None and nxt[0] <= tick:
            tempo = nxt[1]
            nxt = next(pending, None)
        now += min(max(tempo, BEAT_US[0]), BEAT_US[1]) / 1e6  # a broken tempo cannot make millions of beats
        tick += tpb
        beats.append(now)
    return np.asarray(beats)


def midi_features(path: str | Path, fps: float) -> tuple[MusicFeatures, list[Note]]:
    """The per-frame features of a MIDI file, and its notes (for the synthesiser)."""
    piece = read_midi(path)
    notes, seconds, beats = piece.notes, piece.seconds, piece.beats
    n = frame_count(seconds, fps)
    onset = np.zeros(n)
    loud = np.zeros(n)
    pitch_sum = np.zeros(n)
    weight = np.zeros(n)
    for note in notes:
        first = min(n - 1, int(note.start * fps + 1e-6))  # a start summed from deltas may fall a hair short
        last = min(n, max(first + 1, int(math.ceil(note.end * fps))))
        strength = note.velocity / 127.0
        onset[first] += strength
        loud[first:last] += strength
        if not note.drum:
            pitch_sum[first:last] += strength * note.pitch
            weight[first:last] += strength
    pitch = _pitch_height(pitch_sum, weight)
    return MusicFeatures(fps, seconds, _squash(onset), _normalised(loud), pitch, beats), notes


def _pitch_height(pitch_sum: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Octaves above the piece's average sounding pitch (weighted by loudness and time), held through rests,
    within ±1."""
    heard = weight > 0
    if not heard.any():
        return np.zeros_like(weight)
    mean = np.where(heard, pitch_sum / np.where(heard, weight, 1.0), np.nan)
    middle = float(pitch_sum.sum() / weight.sum())
    held = np.copy(mean)
    last = middle
    for i, value in enumerate(held):  # a rest keeps the last height rather than snapping to the middle
        last = value if not math.isnan(value) else last
        held[i] = last
    return np.clip((held - middle) / 12.0, -1.0, 1.0)


# ------------------------------------------------------------------- WAV
def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples in [-1, 1] and the sample rate of a PCM WAV file; ValueError names a bad one."""
    path = Path(path)
    _check_size(path)
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, rate, count = wav.getnchannels(), wav.getsampwidth(), wav.getframerate(), wav.getnframes()
            raw = wav.readframes(count)
    except (OSError, EOFError, wave.Error) as exc:
        raise ValueError(f"{path}: cannot be read as a WAV file ({exc})") from None
    if width not in (1, 2, 4) or channels < 1 or rate < 4000:
        raise ValueError(f"{path}: {8 * width}-bit, {channels}-channel, {rate} Hz WAV is not supported "
                         "(8, 16 or 32-bit PCM at 4 kHz or more)")
    dtype = {1: np.uint8, 2: "<i2", 4: "<i4"}[width]
    samples = np.frombuffer(raw[:len(raw) - len(raw) % (width * channels)], dtype=dtype).astype(np.float32)
    if width == 1:
        samples = samples - 128.0
    samples = samples.reshape(-1, channels).mean(axis=1) / float(2 ** (8 * width - 1))
    if not len(samples):
        raise ValueError(f"{path}: holds no sound")
    if len(samples) / rate > MAX_SECONDS:
        raise ValueError(f"{path}: lasts {len(samples) / rate:.0f} s; up to {MAX_SECONDS / 60:.0f} minutes are painted")
    return samples.astype(np.float32), int(rate)


def wav_features(samples: np.ndarray, rate: int, fps: float) -> MusicFeatures:
    """Onset strength (positive spectral flux) and loudness (RMS) per frame, from the waveform with numpy."""
    seconds = len(samples) / rate
    n = frame_count(seconds, fps)
    hop = rate / fps
    window = int(2 ** math.ceil(math.log2(max(64.0, 2 * hop))))
    padded = np.concatenate([samples, np.zeros(window, np.float32)])
    starts = np.minimum((np.arange(n) * hop).astype(np.int64), len(samples))
    frames = np.stack([padded[s:s + window] for s in starts]) * np.hanning(window).astype(np.float32)
    loud = np.sqrt(np.mean(frames ** 2, axis=1))
    spectrum = np.log1p(np.abs(np.fft.rfft(frames, axis=1)))
    flux = np.maximum(0.0, np.diff(spectrum, axis=0, prepend=spectrum[:1])).sum(axis=1)
    freqs = np.fft.rfftfreq(window, 1.0 / rate)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    centroid = (power * freqs).sum(axis=1) / np.maximum(power.sum(axis=1), 1e-12)
    pitch_sum = np.where(loud > 1e-4, 12 * np.log2(np.maximum(centroid, 20.0) / 440.0) + 69, 0.0)
    beats = np.arange(0.0, seconds + WAV_BEAT_S, WAV_BEAT_S)
    return MusicFeatures(fps, seconds, _normalised(flux), _normalised(loud),
                         _pitch_height(pitch_sum, (loud > 1e-4).astype(float)), beats)


# ------------------------------------------------------------------ walk
def music_walk(anchors: Sequence[np.ndarray], features: MusicFeatures, settings: DriveSettings,
               directions: Any = None) -> np.ndarray:
    """(frames, z_dim) latents: phrases between anchors, pushed by onsets, steered by loudness and pitch.

    ``directions`` (core/directions.Directions) is needed when an amount is not 0.
    """
    if len(anchors) < 2:
        raise ValueError("a walk to music needs at least two anchors")
    n = features.frames
    times = np.arange(n) / features.fps
    bounds = _phrase_bounds(features, settings.phrase_beats)
    phrase = np.clip(np.searchsorted(bounds, times, side="right") - 1, 0, len(bounds) - 2)
    speed = 1.0 + max(0.0, settings.push) * features.onset
    out = np.empty((n, len(anchors[0])), np.float32)
    for k in range(len(bounds) - 1):
        rows = np.flatnonzero(phrase == k)
        if not len(rows):
            continue
        travelled = np.concatenate([[0.0], np.cumsum(speed[rows])[:-1]])
        total = travelled[-1] + speed[rows[-1]]
        a, b = anchors[k % len(anchors)], anchors[(k + 1) % len(anchors)]
        for row, t in zip(rows, travelled / total):
            out[row] = slerp(a, b, float(t))
    steer = {}
    if settings.loudness_amount:
        loud = _smoothed(features.loudness, features.fps, settings.smoothing_s)
        steer[settings.loudness_direction] = settings.loudness_amount * (loud - 0.5)
    if settings.pitch_amount:
        steer[settings.pitch_direction] = settings.pitch_amount * _smoothed(features.pitch, features.fps,
                                                                            settings.smoothing_s)
    if steer:
        if directions is None:
            raise ValueError("steering by loudness or pitch needs the run's directions")
        for name, amounts in steer.items():
            unit = directions.offset({name: 1.0}).astype(np.float64)
            out += (amounts[:, None] * unit[None, :]).astype(np.float32)
    return out


def _phrase_bounds(features: MusicFeatures, phrase_beats: float) -> np.ndarray:
    """Phrase start times (from 0) and the end, every ``phrase_beats`` beats; at least one phrase."""
    beats = features.beats
    step = max(1, int(round(phrase_beats)))
    starts = [float(t) for t in beats[::step] if t < features.seconds - 1e-6] or [0.0]
    return np.asarray(starts + [max(features.seconds, features.frames / features.fps)])


def _smoothed(values: np.ndarray, fps: float, seconds: float) -> np.ndarray:
    """One-pole smoothing forward and back, so a change is neither late nor early."""
    if seconds <= 0:
        return np.asarray(values, np.float64)
    alpha = 1.0 - math.exp(-1.0 / (seconds * fps))
    out = np.asarray(values, np.float64).copy()
    for order in (range(1, len(out)), range(len(out) - 2, -1, -1)):
        step = 1 if order.step > 0 else -1
        for i in order:
            out[i] = out[i - step] + alpha * (out[i] - out[i - step])
    return out


def _squash(values: np.ndarray) -> np.ndarray:
    """Sums of note strengths -> [0, 1): one firm note ~0.55, a chord of four ~0.95."""
    return 1.0 - np.exp(-np.asarray(values, np.float64) * 1.0)


def _normalised(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, np.float64)
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else np.zeros_like(values)


def _check_size(path: Path) -> None:
    try:
        checked_size(path, MAX_FILE_BYTES)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
