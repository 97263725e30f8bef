"""A small numpy synthesizer, so a clip can be heard without a sound font or MIDI device.

Timbres follow each track's General MIDI family (change a clip's programs
and its sound changes): decaying harmonics for pianos and plucked strings, a
round bass, a slow detuned pad for organs, strings and pads, a hollow lead
with vibrato for reeds, brass and synth leads.  Drums are synthesised
noise bursts and sine sweeps chosen by General MIDI drum pitch.

Every sound is computed once per render for each (timbre, pitch) at the
longest length it is needed and then sliced, so a minute of music costs a
few dozen waveform evaluations plus one slice-and-add per note.
"""
from __future__ import annotations

import json
import struct
import wave
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from studio.core.files import write_atomically, write_text_atomically
from studio.domains.music.codec import INFO_PREFIX
from studio.domains.music.roll import DRUMS, Clip, gm_family, track_notes

PEAK = 0.891  # -1 dBFS: loud, never clipped
RELEASE_S = {"piano": 0.12, "bass": 0.08, "pad": 0.35, "lead": 0.1}
ATTACK_S = {"piano": 0.004, "bass": 0.006, "pad": 0.12, "lead": 0.02}
GAIN = {"piano": 0.32, "bass": 0.55, "pad": 0.16, "lead": 0.3, DRUMS: 0.6}

_TIMBRE_OF_FAMILY = {
    "bass": "bass",
    "organ": "pad", "strings": "pad", "ensemble": "pad", "synth pad": "pad", "synth effects": "pad",
    "brass": "lead", "reed": "lead", "pipe": "lead", "synth lead": "lead",
}


def timbre_for(program: int) -> str:
    """The synth voice for a General MIDI program (pianos, guitars and anything else struck -> "piano")."""
    return _TIMBRE_OF_FAMILY.get(gm_family(program), "piano")


def _hz(pitch: int) -> float:
    return 440.0 * 2.0 ** ((pitch - 69) / 12.0)


def _additive(freq: float, n: int, sr: int, amps: list[float], decays: list[float],
              vibrato: float = 0.0, detune: float = 0.0) -> np.ndarray:
    """Sum of harmonics k*freq with amplitude ``amps[k-1]`` decaying at ``decays[k-1]`` per second."""
    t = np.arange(n, dtype=np.float32) / np.float32(sr)
    phase = np.float32(2 * np.pi * freq) * t
    if vibrato:
        phase += np.float32(vibrato) * np.sin(np.float32(2 * np.pi * 5.0) * t) * np.minimum(1.0, t / 0.3)
    out = np.zeros(n, dtype=np.float32)
    for k, (amp, decay) in enumerate(zip(amps, decays), start=1):
        if k * freq * (1 + detune) >= sr / 2:
            break
        wave_k = np.sin(k * phase)
        if detune:
            wave_k = (wave_k + np.sin(k * phase * (1 + detune)) + np.sin(k * phase * (1 - detune))) / 3
        out += np.float32(amp) * wave_k * (np.exp(np.float32(-decay) * t) if decay else np.float32(1.0))
    return out


def _voice(timbre: str, pitch: int, n: int, sr: int) -> np.ndarray:
    """``n`` samples of one held note, attack included (the release is applied per note)."""
    f = _hz(pitch)
    brightness = max(0.4, 1.5 - pitch / 96)  # high notes darker and faster, like real strings
    if timbre == "bass":
        wave_ = _additive(f, n, sr, [1.0, 0.5, 0.22, 0.1], [1.2, 2.5, 4.0, 6.0])
    elif timbre == "pad":
        wave_ = _additive(f, n, sr, [1.0 / k for k in range(1, 7)], [0.0] * 6, detune=0.004)
    elif timbre == "lead":
        wave_ = _additive(f, n, sr, [1.0, 0.0, 0.38, 0.0, 0.22, 0.0, 0.12], [0.3] * 7, vibrato=0.25)
    else:
        amps = [brightness ** (k - 1) / k for k in range(1, 9)]
        decays = [(1.2 + 0.7 * k) * (0.6 + pitch / 80) for k in range(1, 9)]
        wave_ = _additive(f * 1.0005, n, sr, amps, decays)
    attack = max(1, int(ATTACK_S[timbre] * sr))
    wave_[:attack] *= np.linspace(0.0, 1.0, min(attack, n), endpoint=False)
    return wave_


def _decay(n: int, sr: int, seconds: float) -> np.ndarray:
    return np.exp(-np.arange(n) / (seconds * sr))


def _drum(pitch: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A General MIDI drum sound: kick, snare, hats, toms, cymbals (anything else plays as a rimshot click)."""
    def noise(seconds: float) -> np.ndarray:
        return rng.standard_normal(int(seconds * sr))

    def highpass(x: np.ndarray) -> np.ndarray:
        return np.diff(x, prepend=0.0)

    def sweep(start: float, end: float, seconds: float, decay: float) -> np.ndarray:
        n = int(seconds * sr)
        freq = end + (start - end) * _decay(n, sr, seconds / 6)
        return np.sin(2 * np.pi * np.cumsum(freq) / sr) * _decay(n, sr, decay)

    if pitch in (35, 36):
        hit = sweep(130.0, 45.0, 0.35, 0.12)
        hit[: int(0.003 * sr)] += 0.4 * noise(0.003)
        return hit
    if pitch in (38, 40, 37, 39):
        n = noise(0.25)
        body = highpass(n) * _decay(len(n), sr, 0.05 if pitch != 39 else 0.08)
        tone = _additive(190.0, len(n), sr, [0.6], [28.0])
        return 0.7 * body + (tone if pitch in (38, 40) else 0.0)
    if pitch in (42, 44):
        n = noise(0.08)
        return 0.5 * highpass(highpass(n)) * _decay(len(n), sr, 0.015)
    if pitch == 46:
        n = noise(0.4)
        return 0.45 * highpass(highpass(n)) * _decay(len(n), sr, 0.09)
    if pitch in (41, 43, 45, 47, 48, 50):
        base = 70.0 + (pitch - 41) * 14.0
        return sweep(base * 1.6, base, 0.35, 0.12)
    if pitch in (49, 52, 55, 57):
        n = noise(1.2)
        return 0.35 * highpass(highpass(n)) * _decay(len(n), sr, 0.35)
    if pitch in (51, 53, 59):
        n = noise(0.6)
        ring = _additive(3200.0, len(n), sr, [0.15, 0.08], [4.0, 6.0])
        return 0.18 * highpass(highpass(n)) * _decay(len(n), sr, 0.2) + ring
    n = noise(0.05)
    return 0.4 * highpass(n) * _decay(len(n), sr, 0.01)


def _mix_notes(out: np.ndarray, onsets: list[tuple[int, int, int]], timbre: str, sr: int) -> None:
    """Adds held notes (start sample, length, pitch) of one voice into ``out``."""
    release = int(RELEASE_S[timbre] * sr)
    fade = np.exp(-np.arange(release) / max(1.0, release / 5))
    longest: dict[int, int] = {}
    for _, length, pitch in onsets:
        longest[pitch] = max(longest.get(pitch, 0), length + release)
    cache = {pitch: _voice(timbre, pitch, n, sr) for pitch, n in longest.items()}
    gain = GAIN[timbre]
    for start, length, pitch in onsets:
        seg = cache[pitch][: length + release].copy()
        seg[length:] *= fade[: len(seg) - length]
        end = min(len(out), start + len(seg))
        out[start:end] += gain * seg[: end - start]


def render_clip(clip: Clip, sample_rate: int = 22050, tail: float = 0.5) -> np.ndarray:
    """Mono float32 audio of ``clip.seconds + tail`` seconds, normalised to -1 dBFS (silence stays silent)."""
    sr = int(sample_rate)
    step_samples = 60.0 / clip.tempo / clip.steps_per_beat * sr
    out = np.zeros(int(round(clip.seconds * sr)) + int(tail * sr), dtype=np.float64)
    rng = np.random.default_rng(0)  # the same clip always sounds the same
    for t, role in enumerate(clip.roles):
        notes = track_notes(clip.roll[t], role == DRUMS)
        if not notes:
            continue
        if role == DRUMS:
            sounds: dict[int, np.ndarray] = {}
            for note in notes:
                pitch = clip.lowest + note.row
                if pitch not in sounds:
                    sounds[pitch] = GAIN[DRUMS] * _drum(pitch, sr, rng)
                hit = sounds[pitch]
                start = int(note.start * step_samples)
                end = min(len(out), start + len(hit))
                out[start:end] += hit[: end - start]
            continue
        onsets = [
            (int(n.start * step_samples), max(1, int((n.end - n.start) * step_samples)), clip.lowest + n.row)
            for n in notes
        ]
        _mix_notes(out, onsets, timbre_for(clip.programs[t]), sr)
    peak = float(np.abs(out).max()) if len(out) else 0.0
    if peak > 0:
        out *= PEAK / peak
    return out.astype(np.float32)


def render_notes(notes: Sequence[Any], seconds: float, sample_rate: int = 22050) -> np.ndarray:
    """Mono float32 audio of exactly ``seconds`` for notes timed in seconds (a whole MIDI file as mido plays
    it; see studio.core.music_drive.Note), with the timbres and drums of :func:`render_clip`, at -1 dBFS."""
    sr = int(sample_rate)
    out = np.zeros(int(round(seconds * sr)), dtype=np.float64)
    rng = np.random.default_rng(0)
    voices: dict[str, list[tuple[int, int, int]]] = {}
    drums: dict[int, np.ndarray] = {}
    for note in notes:
        start = int(note.start * sr)
        if note.drum:
            if note.pitch not in drums:
                drums[note.pitch] = GAIN[DRUMS] * _drum(note.pitch, sr, rng)
            hit = drums[note.pitch][: max(0, len(out) - start)]
            out[start:start + len(hit)] += hit * note.velocity / 127.0
        else:
            length = max(1, int((note.end - note.start) * sr))
            voices.setdefault(timbre_for(note.program), []).append((start, length, note.pitch))
    for timbre, onsets in voices.items():
        _mix_notes(out, onsets, timbre, sr)
    peak = float(np.abs(out).max()) if len(out) else 0.0
    if peak > 0:
        out *= PEAK / peak
    return out.astype(np.float32)


def to_pcm16(audio: np.ndarray) -> np.ndarray:
    """Float audio in [-1, 1] (clipped beyond) -> int16 samples, interleaved if 2-D (samples x channels)."""
    return np.round(np.clip(np.asarray(audio, dtype=np.float64), -1.0, 1.0) * 32767.0).astype("<i2")


def write_wav(audio: np.ndarray, path: str | Path, sample_rate: int = 22050,
              info: dict[str, Any] | None = None) -> Path:
    """16-bit PCM WAV (mono for 1-D audio, one channel per column for 2-D), written atomically.

    ``info`` (seed, latent, run, step, decode options) travels twice, as for
    MIDI exports: inside the file as a RIFF ``LIST/INFO`` comment (``ICMT``,
    JSON after :data:`INFO_PREFIX`; players show it, :func:`read_wav_info`
    reads it back) and beside it as ``<name>.wav.json``.
    """
    path = Path(path)
    pcm = to_pcm16(audio)
    channels = 1 if pcm.ndim == 1 else pcm.shape[1]

    def write(target: Path) -> None:
        with wave.open(str(target), "wb") as handle:
            handle.setnchannels(channels)
            handle.setsampwidth(2)
            handle.setframerate(int(sample_rate))
            handle.writeframes(pcm.tobytes())
        if info:
            _append_info_chunk(target, info)

    write_atomically(path, write)
    if info:
        write_text_atomically(path.with_name(path.name + ".json"),
                              json.dumps(info, indent=2, ensure_ascii=False, default=str))
    return path


def _chunk(kind: bytes, payload: bytes) -> bytes:
    """A RIFF chunk: id, little-endian size, payload padded to an even length."""
    return kind + struct.pack("<I", len(payload)) + payload + (b"\0" if len(payload) % 2 else b"")


def _append_info_chunk(path: Path, info: dict[str, Any]) -> None:
    """Adds ``LIST/INFO/ICMT`` after the audio and corrects the RIFF size (``wave`` cannot write extra chunks)."""
    text = INFO_PREFIX + json.dumps(info, ensure_ascii=True, sort_keys=True, default=str)
    chunk = _chunk(b"LIST", b"INFO" + _chunk(b"ICMT", text.encode("ascii") + b"\0"))
    with open(path, "r+b") as handle:
        end = handle.seek(0, 2)
        if end % 2:
            handle.write(b"\0")
            end += 1
        handle.write(chunk)
        handle.seek(4)
        handle.write(struct.pack("<I", end + len(chunk) - 8))


def read_wav_info(path: str | Path) -> dict[str, Any]:
    """The ``info`` a WAV from :func:`write_wav` carries in its comment ({} if none; ValueError if not a WAV)."""
    data = Path(path).read_bytes()
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a WAV file")
    pos = 12
    while pos + 8 <= len(data):
        kind, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        if kind == b"LIST" and body[:4] == b"INFO":
            sub = 4
            while sub + 8 <= len(body):
                sub_kind, sub_size = body[sub:sub + 4], struct.unpack("<I", body[sub + 4:sub + 8])[0]
                text = body[sub + 8:sub + 8 + sub_size].rstrip(b"\0").decode("latin-1")
                if sub_kind == b"ICMT" and text.startswith(INFO_PREFIX):
                    try:
                        return json.loads(text[len(INFO_PREFIX):])
                    except json.JSONDecodeError:
                        return {}
                sub += 8 + sub_size + sub_size % 2
        pos += 8 + size + size % 2
    return {}
