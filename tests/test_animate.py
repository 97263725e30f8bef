"""Music paints: the features a piece drives a walk with, the walk's mapping, and the MP4 with the music's sound."""
from __future__ import annotations

import wave

import mido
import numpy as np
import pytest

from painting_runs import train_noise_run
from studio.cli import main
from studio.core.directions import Directions
from studio.core.latent import seeds_to_z
from studio.core.music_drive import (DriveSettings, MusicFeatures, frame_count, midi_features, music_walk, read_wav,
                                     wav_features)


def write_midi(path, beats: int = 10, tempo_bpm: float = 150.0, pitches=(60, 72)) -> float:
    """A melody of one note a beat, alternating ``pitches``; returns its length in seconds as mido plays it."""
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo_bpm), time=0))
    track.append(mido.Message("program_change", program=0, time=0))
    for i in range(beats):
        pitch = pitches[i % len(pitches)]
        track.append(mido.Message("note_on", note=pitch, velocity=100, time=0))
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=240))
        track.append(mido.Message("note_on", note=pitch, velocity=0, time=240))  # a rest of half a beat
    midi.save(str(path))
    return float(mido.MidiFile(str(path)).length)


def write_clicks(path, seconds: float = 2.0, rate: int = 16000, every: float = 0.5) -> None:
    t = np.arange(int(seconds * rate)) / rate
    audio = 0.02 * np.sin(2 * np.pi * 220 * t)
    for start in np.arange(0.25, seconds, every):
        i = int(start * rate)
        audio[i:i + 400] += 0.8 * np.exp(-np.arange(len(audio[i:i + 400])) / 80.0)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())


def test_midi_features_follow_the_notes(tmp_path):
    seconds = write_midi(tmp_path / "m.mid")
    features, notes = midi_features(tmp_path / "m.mid", fps=20)
    assert len(notes) == 10 and features.seconds == pytest.approx(seconds)
    assert features.frames == 80  # 4 s: ten beats at 150 bpm
    beat = 0.4  # 150 bpm
    on = [round(i * beat * 20) for i in range(10)]
    assert features.onset[on].min() > 0.5 and np.delete(features.onset, on).max() == 0.0
    assert features.pitch[on[1]] > 0 > features.pitch[on[0]]  # C5 above the middle, C4 below
    assert features.loudness[on[0]] == 1.0 and features.loudness[on[0] + 6] == 0.0  # the rest is silent
    np.testing.assert_allclose(features.beats[:3], [0.0, 0.4, 0.8])


def test_wav_features_find_the_clicks(tmp_path):
    write_clicks(tmp_path / "c.wav")
    samples, rate = read_wav(tmp_path / "c.wav")
    features = wav_features(samples, rate, fps=20)
    assert features.frames == 40
    peaks = set(np.flatnonzero(features.onset > 0.5))
    assert {5, 15, 25, 35} <= {p for p in range(40) if p in peaks or p - 1 in peaks}
    assert features.loudness.max() == 1.0


def test_bad_music_files_are_named(tmp_path):
    bad = tmp_path / "song.mid"
    bad.write_bytes(b"MThd nonsense")
    with pytest.raises(ValueError, match="song.mid"):
        midi_features(bad, 20)
    with pytest.raises(ValueError, match="noise.wav"):
        read_wav(tmp_path / "noise.wav")


def flat_features(frames: int, fps: float = 10.0, onsets=()) -> MusicFeatures:
    onset = np.zeros(frames)
    onset[list(onsets)] = 1.0
    return MusicFeatures(fps, frames / fps, onset, np.full(frames, 0.5), np.zeros(frames),
                         np.arange(0.0, frames / fps + 0.5, 0.5))


def test_phrases_move_between_anchors_and_onsets_push():
    anchors = list(seeds_to_z([1, 2, 3], 16))
    settings = DriveSettings(loudness_amount=0, pitch_amount=0, phrase_beats=4)  # 4 beats of 0.5 s: 20 frames
    calm = music_walk(anchors, flat_features(40), settings)
    np.testing.assert_allclose(calm[0], anchors[0], atol=1e-6)
    np.testing.assert_allclose(calm[20], anchors[1], atol=1e-6)
    pushed = music_walk(anchors, flat_features(40, onsets=[3]), settings)

    def progress(z):  # how far along from the first anchor toward the second
        return float(np.dot(z - anchors[0], anchors[1] - anchors[0]) / np.sum((anchors[1] - anchors[0]) ** 2))

    jump_calm = progress(calm[4]) - progress(calm[3])
    jump_pushed = progress(pushed[4]) - progress(pushed[3])
    assert jump_pushed > 2.5 * jump_calm
    np.testing.assert_allclose(pushed[20], anchors[1], atol=1e-6)  # and still arrives on time


def test_loudness_steers_along_its_direction():
    vectors = np.eye(2, 16)
    directions = Directions(vectors, np.array([1.0, 2.0]), np.array([0.6, 0.4]), step=0)
    features = flat_features(20)
    features.loudness[:] = np.linspace(0, 1, 20)
    anchors = list(seeds_to_z([1, 2], 16))
    settings = DriveSettings(loudness_direction="1", loudness_amount=2.0, pitch_amount=0, smoothing_s=0)
    steered = music_walk(anchors, features, settings, directions)
    plain = music_walk(anchors, features, DriveSettings(loudness_amount=0, pitch_amount=0))
    moved = (steered - plain) @ vectors.T
    np.testing.assert_allclose(moved[:, 0], 0, atol=1e-5)
    np.testing.assert_allclose(moved[:, 1], 2.0 * 2.0 * (features.loudness - 0.5), atol=1e-4)
    with pytest.raises(ValueError, match="directions"):
        music_walk(anchors, features, settings)


@pytest.fixture(scope="module")
def painting_run(tmp_path_factory):
    return train_noise_run(tmp_path_factory.mktemp("animate"), seed=4, steps=(3,))


def test_animate_writes_an_mp4_whose_sound_lasts_as_long_as_the_midi(painting_run, tmp_path, capsys):
    av = pytest.importorskip("av")
    seconds = write_midi(tmp_path / "tune.mid")
    out = tmp_path / "painted.mp4"
    assert main(["animate", str(painting_run), "--music", str(tmp_path / "tune.mid"), "--fps", "10",
                 "--seeds", "4", "5", "--phrase-beats", "4", "--out", str(out)]) == 0
    assert "painted to tune.mid" in capsys.readouterr().err
    with av.open(str(out)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.frames == frame_count(seconds, 10)
        assert abs(float(audio.duration * audio.time_base) - seconds) < 0.1
        assert audio.sample_rate == 22050
        assert "music_drive" in container.metadata["comment"]
        sound = np.concatenate([f.to_ndarray().ravel() for f in container.decode(audio=0)])
    assert np.abs(sound).max() > 0.3  # the synthesiser played the notes
    again = tmp_path / "again.mp4"
    assert main(["animate", str(painting_run), "--music", str(tmp_path / "tune.mid"), "--fps", "10",
                 "--seeds", "4", "5", "--phrase-beats", "4", "--out", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()


def test_animate_takes_a_wav_as_its_own_sound(painting_run, tmp_path):
    av = pytest.importorskip("av")
    write_clicks(tmp_path / "clicks.wav", seconds=1.5)
    out = tmp_path / "clicks.mp4"
    assert main(["animate", str(painting_run), "--music", str(tmp_path / "clicks.wav"), "--fps", "8",
                 "--pitch-amount", "0", "--out", str(out)]) == 0
    with av.open(str(out)) as container:
        assert container.streams.video[0].frames == 12
        audio = container.streams.audio[0]
        assert audio.sample_rate == 16000 and abs(float(audio.duration * audio.time_base) - 1.5) < 0.1


def test_animate_contracts(painting_run, tmp_path, capsys):
    write_midi(tmp_path / "tune.mid")
    with pytest.raises(SystemExit, match="MP4"):
        main(["animate", str(painting_run), "--music", str(tmp_path / "tune.mid"), "--out", str(tmp_path / "x.gif")])
    assert main(["animate", str(painting_run), "--music", str(tmp_path / "tune.txt"),
                 "--out", str(tmp_path / "x.mp4")]) == 2
    assert "tune.txt" in capsys.readouterr().err
    assert main(["animate", str(painting_run), "--music", str(tmp_path / "tune.mid"), "--loudness-direction", "sky",
                 "--out", str(tmp_path / "x.mp4")]) == 2
    assert "sky" in capsys.readouterr().err


def test_a_tempo_of_a_microsecond_a_beat_does_not_count_thousands_of_beats(tmp_path):
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=1, time=0))
    track.append(mido.Message("note_on", note=60, velocity=90, time=0))
    track.append(mido.MetaMessage("set_tempo", tempo=500000, time=4_000_000))  # 8,333 beats in 8 ms
    track.append(mido.Message("note_off", note=60, velocity=0, time=960))
    midi.save(str(tmp_path / "odd.mid"))
    features, _ = midi_features(tmp_path / "odd.mid", fps=10)
    assert len(features.beats) <= features.seconds / 0.15 + 2  # counted at 400 bpm at most
