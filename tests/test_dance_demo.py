"""The built-in dance demo: takes of the studio's own figure that dance on the beat without skating."""
from __future__ import annotations

import numpy as np
import pytest

from studio.domains.dance.bvh import read_bvh
from studio.domains.dance.corpus import import_motion
from studio.domains.dance.demo import dance_take, write_demo_folder


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "cache"))


def test_demo_folder_is_written_once_and_the_same_every_time(tmp_path):
    first = write_demo_folder(tmp_path / "a", count=3)
    files = sorted(first.glob("*.bvh"))
    assert [f.name for f in files] == ["demo-00-92bpm.bvh", "demo-01-100bpm.bvh", "demo-02-108bpm.bvh"]
    stamps = [f.stat().st_mtime_ns for f in files]
    write_demo_folder(first, count=3)
    assert [f.stat().st_mtime_ns for f in files] == stamps  # kept, so the import cache holds
    again = write_demo_folder(tmp_path / "b", count=3)
    assert [f.read_bytes() for f in files] == [f.read_bytes() for f in sorted(again.glob("*.bvh"))]
    motion = read_bvh(files[1])
    assert motion.skeleton.joints == 21 and motion.fps == pytest.approx(30.0)


@pytest.mark.parametrize("seed, tempo", [(1, 92), (2, 120), (3, 140)])
def test_the_figure_dances_on_the_beat_with_planted_feet(seed, tempo):
    motion, moves = dance_take(seed, tempo)
    assert len(moves) == 12 and len(set(moves)) >= 3
    sk = motion.skeleton
    positions = motion.positions()
    toes = [sk.names.index("LeftToe"), sk.names.index("RightToe")]
    heights = positions[:, toes, 1]
    assert heights.min() > -0.5  # never through the floor
    down = (heights[1:] < 1.0) & (heights[:-1] < 1.0)
    speed = np.linalg.norm(np.diff(positions[:, toes], axis=0), axis=-1) * motion.fps
    assert down.mean() > 0.5 and speed[down].mean() < 3.0  # cm/s while on the floor: no skating
    assert (~down).sum() > 20  # and the feet do leave it: the figure steps
    pelvis = positions[:, 0, 1] - positions[:, 0, 1].mean()
    spectrum = np.abs(np.fft.rfft(pelvis))
    peak = np.fft.rfftfreq(len(pelvis), 1.0 / motion.fps)[spectrum.argmax()]
    assert peak == pytest.approx(tempo / 60.0, abs=0.05)  # the body bobs once a beat
    hands = positions[:, [sk.names.index("LeftHand"), sk.names.index("RightHand")]]
    assert (hands - hands.mean(axis=0)).std() > 5.0  # the arms move (cm)


def test_demo_folder_imports_as_windows(tmp_path):
    folder = write_demo_folder(tmp_path / "demo", count=2)
    corpus = import_motion(folder, {"window_seconds": 4.0, "hop_seconds": 2.0, "fps": 20})
    assert corpus.report.summary().startswith("2 of 2 files imported")
    assert corpus.data.shape[1:] == (4 + 6 * 21, 80) and corpus.data.shape[0] >= 2 * 2 * 10
