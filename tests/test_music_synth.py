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


# ------------------------------------------------------------------ metres
def melody(steps: int, numerator: int, denominator: int, pitch: int = 60) -> Clip:
    roll = np.zeros((1, steps, 48), np.uint8)
    roll[0, ::4, pitch - 36] = 1
    return Clip(roll, 4, 36, ["melody"], [73], 100.0, numerator=numerator, denominator=denominator)


def test_a_clip_counts_bars_in_its_own_metre():
    assert melody(64, 4, 4).steps_per_bar == 16 and melody(64, 4, 4).bars == 4
    waltz, jig, march = melody(48, 3, 4), melody(48, 6, 8), melody(32, 2, 2)
    assert (waltz.steps_per_bar, waltz.bars, waltz.metre_name) == (12, 4, "3/4")
    assert (jig.steps_per_bar, jig.bars) == (12, 4) and (march.steps_per_bar, march.bars) == (16, 2)
    assert melody(12, 7, 8).bars == pytest.approx(12 / 14)


def test_the_picture_draws_bars_and_beats_of_the_metre():
    from studio.domains.music.roll import concat_clips, roll_image

    def lines(clip):
        top = roll_image(clip, 1)[0, :, 0].astype(int)  # a row without notes: only the grid's lines
        return np.nonzero(top == top.max())[0].tolist(), np.nonzero((top > top.min()) & (top < top.max()))[0].tolist()

    assert lines(melody(48, 3, 4)) == ([0, 12, 24, 36], [4, 8, 16, 20, 28, 32, 40, 44])
    assert lines(melody(48, 6, 8)) == ([0, 12, 24, 36], [6, 18, 30, 42]), "dotted-quarter beats"
    bars, _ = lines(concat_clips([melody(24, 3, 4), melody(20, 5, 4), melody(16, 4, 4)]))
    assert bars == [0, 12, 24, 44]


def test_joined_clips_keep_their_metres_and_the_midi_says_so(tmp_path):
    import mido

    from studio.domains.music.codec import write_midi
    from studio.domains.music.roll import concat_clips

    joined = concat_clips([melody(48, 3, 4), melody(48, 3, 4), melody(48, 6, 8), melody(64, 4, 4)])
    assert joined.metres == [(0, 3, 4), (96, 6, 8), (144, 4, 4)] and joined.bars == 16
    assert joined.metre_name == "3/4 -> 6/8 -> 4/4"
    path = write_midi(joined, tmp_path / "walk.mid")
    signatures, tick = [], 0
    for msg in mido.MidiFile(str(path)).tracks[0]:
        tick += msg.time
        if msg.type == "time_signature":
            signatures.append((tick, msg.numerator, msg.denominator, msg.clocks_per_click))
    assert signatures == [(0, 3, 4, 24), (96 * 120, 6, 8, 36), (144 * 120, 4, 4, 24)]
    notes = [m for m in mido.MidiFile(str(path)).tracks[1] if m.type == "note_on" and m.velocity]
    assert len(notes) == joined.note_count() == 52


def test_an_exported_clip_reads_back_with_the_same_notes_in_its_metre(tmp_path):
    from studio.domains import get_domain
    from studio.domains.music.codec import write_midi

    domain = get_domain("music")
    meta = {"steps_per_beat": 4, "bars": 4, "lowest": 36, "pitches": 48, "roles": ["melody"], "programs": [73]}
    for numerator, denominator in ((3, 4), (6, 8), (2, 4)):
        clip = melody(48 if numerator != 2 else 64, numerator, denominator)
        bar = int(clip.steps_per_bar)
        clip.roll[:] = 0
        for start in range(0, clip.steps, bar):  # a long G on each downbeat, then two short notes: plain bar lines
            clip.roll[0, start:start + bar // 2 - 1, 67 - 36] = 1
            clip.roll[0, start + bar // 2:start + bar // 2 + 2, 64 - 36] = 1
            clip.roll[0, start + bar - 3:start + bar - 1, 62 - 36] = 1
        back = domain.load_artifacts(write_midi(clip, tmp_path / f"{numerator}-{denominator}.mid"), meta)
        assert len(back) == 1 and back[0].roles == ["melody"]
        assert np.array_equal(back[0].roll[:, : clip.steps], clip.roll) and not back[0].roll[:, clip.steps:].any()
