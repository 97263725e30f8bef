"""The command-line contract for each medium: train, sample, interpolate and import with the issues' flags."""
from __future__ import annotations

import json

import mido
import numpy as np
import pytest
from PIL import Image

from studio.cli import main
from studio.domains import get_domain


def test_painting_trains_samples_pngs_walks_a_gif_and_reports(tmp_path, capsys):
    from studio.domains.painting.codec import read_png_info

    data = tmp_path / "pictures"
    data.mkdir()
    rng = np.random.default_rng(0)
    for i in range(8):
        Image.fromarray(rng.integers(0, 256, (36, 36, 3), dtype=np.uint8)).save(data / f"p{i}.png")
    (data / "notes.txt").write_text("not a picture")
    run = tmp_path / "run"
    assert main(["train", "painting", str(data), "--out", str(run), "--steps", "2", "--preset", "cpu-32",
                 "--batch", "4", "--seed", "3"]) == 0
    assert main(["sample", str(run), "--count", "2", "--seed", "5", "--out", str(tmp_path / "samples")]) == 0
    first = tmp_path / "samples" / "painting-seed5.png"
    assert read_png_info(first)["seed"] == 5 and Image.open(first).size == (32, 32)
    assert read_png_info(tmp_path / "samples" / "painting-seed6.png")["seed"] == 6
    assert main(["interpolate", str(run), "--seeds", "1", "2", "3", "--frames", "6",
                 "--out", str(tmp_path / "walk.gif")]) == 0
    assert Image.open(tmp_path / "walk.gif").n_frames == 6
    capsys.readouterr()
    assert main(["import", "painting", str(data), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["items"] == 8 and report["skipped"][0]["path"].endswith("notes.txt")


def test_music_trains_samples_midi_files_and_walks_one_midi_of_phrases(tmp_path, capsys):
    from studio.domains.music.codec import read_info
    from studio.domains.music.demo import write_demo_folder

    data = write_demo_folder(tmp_path / "songs", count=2)
    run = tmp_path / "run"
    assert main(["train", "music", str(data), "--out", str(run), "--steps", "2", "--batch", "4"]) == 0
    assert main(["sample", str(run), "--count", "2", "--seed", "9", "--out", str(tmp_path / "clips")]) == 0
    clips = sorted((tmp_path / "clips").glob("*.mid"))
    assert [c.name for c in clips] == ["music-seed10.mid", "music-seed9.mid"]
    assert read_info(tmp_path / "clips" / "music-seed9.mid")["seed"] == 9
    one = mido.MidiFile(str(clips[1]))
    walk = tmp_path / "walk.mid"
    assert main(["interpolate", str(run), "--seeds", "4", "8", "--frames", "3", "--out", str(walk)]) == 0
    whole = mido.MidiFile(str(walk))
    assert read_info(walk)["frames"] == 3
    assert whole.length == pytest.approx(3 * one.length, rel=0.05)  # three phrases, one after another
    capsys.readouterr()
    assert main(["import", "music", str(data), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["items"] >= 2


def test_text_samples_lines_with_their_seeds_and_walks_line_by_line(tmp_path, capsys):
    from studio.core.session import TrainingSession
    from studio.domains.text import DOMAIN

    data = tmp_path / "verse"
    data.mkdir()
    (data / "lines.txt").write_text("\n".join(f"the {a} owl sings of {b}" for a in ("grey", "white", "small")
                                              for b in ("rain", "snow", "moss", "dusk")), "utf-8")
    base = DOMAIN.presets["cpu-small"]
    overrides = {"batch_size": 8, "checkpoint_every": 1000,
                 "net": {**base.net, "ae_steps": 20, "hidden": 32, "code_dim": 16, "emb_dim": 16,
                         "g_hidden": 32, "d_hidden": 32}}
    session = TrainingSession.create(tmp_path / "run", get_domain("text"), data, steps=22, pretrain_steps=20, device="cpu",
                                     overrides=overrides)
    assert session.run() == "finished", session.error
    run = str(tmp_path / "run")
    out = tmp_path / "lines.txt"
    assert main(["sample", run, "--count", "4", "--seed", "2", "--out", str(out)]) == 0
    header, *lines = out.read_text("utf-8").splitlines()
    assert "seeds 2 3 4 5" in header and len(lines) == 4
    hot = tmp_path / "hot.txt"
    assert main(["sample", run, "--count", "4", "--seed", "2", "--out", str(hot), "--option", "decoding=sample",
                 "--option", "temperature=3", "--option", "lexicon=false"]) == 0
    assert hot.read_text("utf-8").splitlines()[1:] != lines  # wild sampling off the lexicon draws other lines
    record = json.loads(hot.with_suffix(".json").read_text("utf-8"))
    assert record["options"] == {"decoding": "sample", "temperature": 3, "lexicon": False}
    with pytest.raises(SystemExit, match="KEY=VALUE"):
        main(["sample", run, "--out", str(hot), "--option", "temperature"])
    walk = tmp_path / "walk.txt"
    assert main(["interpolate", run, "--seeds", "1", "2", "--frames", "5", "--out", str(walk)]) == 0
    assert len(walk.read_text("utf-8").splitlines()) == 1 + 5
    capsys.readouterr()
    assert main(["import", "text", str(data), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["items"] >= 10


def test_ctrl_c_stops_training_with_a_checkpoint(tmp_path):
    import os
    import re
    import signal
    import subprocess
    import sys
    import time

    from studio.core.checkpoints import list_checkpoints

    data = tmp_path / "pictures"
    data.mkdir()
    for i in range(4):
        Image.fromarray(np.full((32, 32, 3), 40 * i, np.uint8)).save(data / f"p{i}.png")
    run = tmp_path / "run"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "-m", "studio", "train", "painting", str(data), "--out", str(run),
                                "--steps", "1000000", "--preset", "cpu-32", "--batch", "4"],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    try:
        deadline = time.monotonic() + 120
        for line in process.stderr:  # the first progress line: the loop is running
            if "it/s" in line or time.monotonic() > deadline:
                break
        process.send_signal(signal.SIGINT)
        rest = process.stderr.read()
        assert process.wait(timeout=120) == 0
    finally:
        process.kill()
    stopped = re.search(r"stopped at step (\d+)", rest)
    assert stopped, rest
    assert list_checkpoints(run / "checkpoints")[-1][0] == int(stopped.group(1)) > 0
