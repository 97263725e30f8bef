"""The command-line contract for dance: import, train, sample BVH with the seed, walks as BVH or GIF, music."""
from __future__ import annotations

import json
import wave

import mido
import pytest
from dance_takes import dance
from PIL import Image

from studio.cli import main
from studio.domains.dance.bvh import read_bvh, write_bvh
from studio.domains.dance.codec import read_info


@pytest.fixture
def takes(tmp_path):
    folder = tmp_path / "takes"
    folder.mkdir()
    for seed in range(2):
        write_bvh(folder / f"take{seed}.bvh", dance(30.0, 6.0, seed=seed))
    (folder / "notes.bvh").write_bytes(b"\x89PNG\r\n\x1a\n not motion")
    return folder


def midi_file(path, bpm: float, beats: int):
    """A click on every beat at ``bpm``."""
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm)))
    for _ in range(beats):
        track.append(mido.Message("note_on", note=60, velocity=90, time=0))
        track.append(mido.Message("note_off", note=60, velocity=0, time=480))
    midi.save(str(path))
    return path


def test_import_reports_windows_and_the_bad_file(takes, capsys):
    assert main(["import", "dance", str(takes), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["items"] > 0 and len(report["imported"]) == 2
    assert [s["path"].endswith("notes.bvh") for s in report["skipped"]] == [True]


def test_train_sample_and_interpolate(takes, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "dance", str(takes), "--out", str(run), "--steps", "2", "--batch", "4", "--seed", "3"]) == 0
    assert main(["sample", str(run), "--count", "2", "--seed", "5", "--out", str(tmp_path / "clips")]) == 0
    first = tmp_path / "clips" / "dance-seed5.bvh"
    assert read_info(first)["seed"] == 5 and read_info(tmp_path / "clips" / "dance-seed6.bvh")["seed"] == 6
    clip = read_bvh(first)
    assert clip.frames == 80 and clip.skeleton.names == dance(30.0, 1.0).skeleton.names  # 4 s at 20 fps
    walk = tmp_path / "walk.bvh"
    assert main(["interpolate", str(run), "--seeds", "1", "2", "--frames", "3", "--out", str(walk)]) == 0
    assert read_bvh(walk).frames == 3 * 80 and read_info(walk)["seeds"] == [1, 2]
    gif = tmp_path / "walk.gif"
    assert main(["interpolate", str(run), "--seeds", "1", "2", "--frames", "2", "--fps", "10", "--size", "96",
                 "--out", str(gif)]) == 0
    picture = Image.open(gif)
    assert picture.size == (96, 96) and picture.n_frames == 2 * 4 * 10  # two 4-s clips at 10 frames a second


def test_a_walk_danced_to_music_follows_its_beats_and_brings_the_wav(takes, tmp_path):
    run = tmp_path / "run"
    assert main(["train", "dance", str(takes), "--out", str(run), "--steps", "1", "--batch", "4"]) == 0
    music = midi_file(tmp_path / "song.mid", bpm=90, beats=20)  # 20 beats at 90 bpm: 13.3 s
    out = tmp_path / "dance.bvh"
    assert main(["interpolate", str(run), "--seeds", "1", "2", "--frames", "2", "--option", f"music={music}",
                 "--out", str(out)]) == 0
    take = read_bvh(out)
    assert take.frames * take.frame_time == pytest.approx(24 * 60 / 90, abs=0.1)  # three clips of 8 beats
    with wave.open(str(out.with_suffix(".wav"))) as sound:
        assert sound.getnframes() / sound.getframerate() == pytest.approx(20 * 60 / 90 + 0.5, abs=0.3)
