"""The command line's walks and timelapse: --loop, --fps, --seconds, --size, --frames, and the format by extension."""
from __future__ import annotations

import json

import pytest
from PIL import Image

from painting_runs import train_noise_run
from studio.cli import main
from studio.domains.painting.codec import read_png_info


def played_ms(path) -> int:
    """How long a GIF or WebP plays: identical frames in a row are stored once, for their added durations."""
    total = 0
    with Image.open(path) as im:
        for i in range(im.n_frames):
            im.seek(i)
            im.load()
            total += im.info["duration"]
    return total


@pytest.fixture(scope="module")
def painting_run(tmp_path_factory):
    """A painting run of a few steps with two saved gallery snapshots (the timelapse's frames)."""
    return train_noise_run(tmp_path_factory.mktemp("walks"), seed=0, steps=(2, 4))


def test_a_looping_webp_has_fps_times_seconds_frames_at_the_asked_size(painting_run, tmp_path, capsys):
    out = tmp_path / "loop.webp"
    assert main(["interpolate", str(painting_run), "--seeds", "1", "2", "3", "--loop", "--fps", "10",
                 "--seconds", "1.2", "--size", "48", "--out", str(out)]) == 0
    assert "12-frame looping walk" in capsys.readouterr().out
    with Image.open(out) as im:
        assert im.format == "WEBP" and im.size == (48, 48)
    assert played_ms(out) == 12 * 100
    info = read_png_info(out)
    assert info["loop"] is True and info["fps"] == 10 and info["size"] == 48 and info["frames"] == 12


def test_frames_is_the_count_written_loop_or_not_and_exports_repeat_byte_for_byte(painting_run, tmp_path):
    for name, loop in (("open.gif", []), ("loop.gif", ["--loop"]), ("again.gif", ["--loop"])):
        assert main(["interpolate", str(painting_run), "--seeds", "4", "5", "--frames", "7", *loop,
                     "--out", str(tmp_path / name)]) == 0
        assert played_ms(tmp_path / name) == 7 * 80
    assert (tmp_path / "loop.gif").read_bytes() == (tmp_path / "again.gif").read_bytes()
    assert (tmp_path / "loop.gif").read_bytes() != (tmp_path / "open.gif").read_bytes()


def test_an_mp4_walk_is_h264_with_its_frames_and_duration(painting_run, tmp_path):
    av = pytest.importorskip("av")
    outs = [tmp_path / "a.mp4", tmp_path / "b.mp4"]
    for out in outs:
        assert main(["interpolate", str(painting_run), "--seeds", "1", "9", "--loop", "--frames", "16", "--fps", "8",
                     "--size", "64", "--out", str(out)]) == 0
    with av.open(str(outs[0])) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and (stream.width, stream.height) == (64, 64)
        assert sum(1 for _ in container.decode(video=0)) == 16
        assert float(stream.duration * stream.time_base) == pytest.approx(2.0, abs=0.01)
        assert json.loads(container.metadata["comment"].partition(":")[2])["seeds"] == [1, 9]
    assert outs[0].read_bytes() == outs[1].read_bytes()


def test_timelapse_films_every_saved_snapshot(painting_run, tmp_path, capsys):
    out = tmp_path / "lapse.gif"
    assert main(["timelapse", str(painting_run), "--out", str(out), "--fps", "4"]) == 0
    assert "2-frame timelapse" in capsys.readouterr().out
    with Image.open(out) as im:
        assert im.n_frames == 2 and im.info["duration"] == 250
    assert read_png_info(out)["steps"] == [2, 4]


@pytest.mark.parametrize("argv, reason", [
    (["interpolate", "{run}", "--seeds", "1", "2", "--frames", "4", "--seconds", "1", "--out", "{tmp}/w.gif"],
     "not both"),
    (["interpolate", "{run}", "--seeds", "1", "2", "--out", "{tmp}/w.png"], "written as .gif or .webp or .mp4"),
    (["interpolate", "{run}", "--seeds", "1", "2", "3", "--frames", "2", "--out", "{tmp}/w.gif"], "cannot visit"),
    (["interpolate", "{run}", "--seeds", "1", "2", "--fps", "0", "--out", "{tmp}/w.gif"], "--fps 0"),
    (["interpolate", "{run}", "--seeds", "1", "2", "--size", "3", "--out", "{tmp}/w.gif"], "--size 3"),
    (["timelapse", "{run}", "--out", "{tmp}/t.png"], "t.png: a timelapse is written as"),
])
def test_bad_walk_requests_say_why(painting_run, tmp_path, argv, reason):
    args = [a.format(run=painting_run, tmp=tmp_path) for a in argv]
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code != 0
    assert reason in str(exc.value.code)


def test_a_timelapse_of_no_run_is_refused_with_the_reason(tmp_path, capsys):
    assert main(["timelapse", str(tmp_path), "--out", str(tmp_path / "t.gif")]) == 2
    assert "is not a GAN Studio run" in capsys.readouterr().err
