"""The numpy synthesizer and the WAV writer."""
from __future__ import annotations

import time
import wave

import numpy as np
import pytest

from studio.domains.music.roll import Clip
from studio.domains.music.synth import render_clip, timbre_for, write_wav

ROLES = ["drums", "bass", "chords", "melody"]


def band_clip(bars=4, tempo=120.0, programs=(0, 33, 48, 80)) -> Clip:
    steps = bars * 16
    roll = np.zeros((4, steps, 84), np.uint8)
    for bar in range(bars):
        t0 = bar * 16
        roll[0, t0:t0 + 16:2, 42 - 24] = 1
        roll[0, [t0, t0 + 8], 36 - 24] = 1
        roll[0, [t0 + 4, t0 + 12], 38 - 24] = 1
        roll[1, t0:t0 + 15, 36 + bar - 24] = 1
        roll[2, t0:t0 + 15, [60 - 24, 64 - 24, 67 - 24]] = 1
        for i in range(4):
            roll[3, t0 + 4 * i:t0 + 4 * i + 3, 72 + 2 * i - 24] = 1
    return Clip(roll, 4, 24, list(ROLES), list(programs), tempo)


def band(audio: np.ndarray, sr: int, low: float, high: float) -> float:
    spectrum = np.abs(np.fft.rfft(audio))
    freqs = np.fft.rfftfreq(len(audio), 1 / sr)
    return float(spectrum[(freqs >= low) & (freqs < high)].sum())


def test_render_length_range_and_content():
    clip = band_clip()
    audio = render_clip(clip, 22050)
    assert audio.dtype == np.float32
    assert len(audio) == int(round(clip.seconds * 22050)) + int(0.5 * 22050)  # 8 s plus the tail
    assert clip.seconds == pytest.approx(8.0)
    assert np.isfinite(audio).all()
    assert np.abs(audio).max() == pytest.approx(0.891, abs=1e-3)
    assert np.sqrt(np.mean(audio ** 2)) > 0.02, "not silent"
    assert render_clip(clip, 44100).shape[0] == int(round(8 * 44100)) + 22050
    again = render_clip(clip, 22050)
    assert np.array_equal(audio, again), "the same clip always sounds the same"


def test_tracks_sound_where_their_notes_are():
    clip = band_clip()
    only_bass = Clip(clip.roll * np.array([0, 1, 0, 0], np.uint8)[:, None, None], 4, 24, ROLES, [0, 33, 48, 80])
    audio = render_clip(only_bass, 22050)
    # Bass C2..D#2 (65-78 Hz) with harmonics: much more energy low than high.
    assert band(audio, 22050, 50, 300) > 5 * band(audio, 22050, 2000, 8000)
    silent = Clip(np.zeros_like(clip.roll), 4, 24, ROLES, [0, 33, 48, 80])
    assert not render_clip(silent).any(), "silence stays silence (no division by zero)"
    hats = np.zeros_like(clip.roll)
    hats[0, ::2, 42 - 24] = 1
    hat_audio = render_clip(Clip(hats, 4, 24, ROLES, [0, 33, 48, 80]))
    assert band(hat_audio, 22050, 4000, 11000) > band(hat_audio, 22050, 20, 1000)


def test_programs_choose_timbres():
    assert [timbre_for(p) for p in (0, 25, 33, 48, 89, 56, 73, 81)] == [
        "piano", "piano", "bass", "pad", "pad", "lead", "lead", "lead"]
    clip = band_clip()
    assert not np.array_equal(render_clip(clip), render_clip(clip.with_programs([0, 33, 0, 0])))


def test_a_minute_renders_fast():
    clip = band_clip(bars=30)  # 60 s at 120 bpm
    started = time.perf_counter()
    audio = render_clip(clip, 22050)
    elapsed = time.perf_counter() - started
    assert len(audio) >= 60 * 22050
    assert elapsed < 3.0, f"{elapsed:.2f} s for a minute (well under a second on an idle machine)"


def test_wav_is_readable_by_the_wave_module(tmp_path):
    audio = render_clip(band_clip(bars=1), 22050)
    path = write_wav(audio, tmp_path / "sub" / "clip.wav", 22050)
    with wave.open(str(path), "rb") as handle:
        assert handle.getnchannels() == 1 and handle.getsampwidth() == 2 and handle.getframerate() == 22050
        frames = handle.getnframes()
        data = np.frombuffer(handle.readframes(frames), dtype="<i2")
    assert frames == len(audio)
    assert np.allclose(data / 32767.0, audio, atol=1 / 32767)
    stereo = np.stack([audio, -audio], axis=1) * 2.0  # beyond full scale: clipped, not wrapped
    path2 = write_wav(stereo, tmp_path / "stereo.wav", 44100)
    with wave.open(str(path2), "rb") as handle:
        assert handle.getnchannels() == 2 and handle.getframerate() == 44100
        data = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2").reshape(-1, 2)
    assert data[:, 0].max() == 32767 and data[:, 1].min() == -32767
    assert not list(tmp_path.glob("**/*.tmp")), "no temporary files left behind"
