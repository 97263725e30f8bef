"""The dance importer on folders of BVH made here: windows, per-file report, skeletons, rates, bad files, cache."""
from __future__ import annotations

import numpy as np
import pytest
from dance_takes import dance

from studio.core.domain import ImportCancelled
from studio.domains.dance.bvh import write_bvh
from studio.domains.dance.corpus import import_motion
from studio.domains.dance.features import (
    FeatureOptions,
    Rig,
    canonical_frame,
    clip_windows,
    features_to_motion,
    motion_features,
    rig_for,
)
from studio.domains.dance.skeleton import Motion, Skeleton

OPTIONS = {"window_seconds": 2.0, "hop_seconds": 1.0, "fps": 30}


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "cache"))


def other_skeleton_take() -> Motion:
    sk = Skeleton(["root", "a", "b"], np.array([-1, 0, 1]), np.array([[0, 0, 0], [0, 1, 0], [0, 1, 0]]),
                  [("Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation"),
                   ("Zrotation", "Xrotation", "Yrotation"), ("Zrotation", "Xrotation", "Yrotation")])
    frames = 120
    return Motion(sk, 1 / 30, np.broadcast_to(np.eye(3), (frames, 3, 3, 3)).copy(), np.zeros((frames, 3)))


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "takes"
    (root / "sub").mkdir(parents=True)
    write_bvh(root / "a.bvh", dance(30, seconds=5, seed=1))
    write_bvh(root / "sub" / "b.bvh", dance(60, seconds=4, seed=2))
    write_bvh(root / "short.bvh", dance(30, seconds=1, seed=3))
    write_bvh(root / "other.bvh", other_skeleton_take())
    (root / "empty.bvh").write_bytes(b"")
    (root / "picture.bvh").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(300))
    (root / "notes.txt").write_text("not motion")
    return root


def test_imports_windows_and_reports_every_file(folder):
    corpus = import_motion(folder, OPTIONS)
    report = corpus.report
    # a.bvh: 151 frames -> windows at 0, 30, 60, 90 (+ mirrors); b.bvh at 60 fps -> 121 frames at 30 -> 0, 30, 60
    assert corpus.data.shape == (2 * (4 + 3), corpus.meta["channels"], 60)
    assert corpus.data.dtype.itemsize == 2
    assert report.files_seen == 6 and report.items == 14
    assert sorted(report.details["files"]) == ["a.bvh", "sub/b.bvh"]
    b = report.details["files"]["sub/b.bvh"]
    assert (b["frames"], b["fps"], b["joints"], b["windows"]) == (241, 60.0, 12, 6)
    assert report.details["frame_rates"] == {"30": 1, "60": 1}
    assert report.details["other_files_ignored"] == 1
    reasons = {s.path.rsplit("/", 1)[-1]: s.reason for s in report.skipped}
    assert "shorter than one 2 s window" in reasons["short.bvh"]
    assert "another skeleton (3 joints" in reasons["other.bvh"]
    assert "empty" in reasons["empty.bvh"] and "PNG" in reasons["picture.bvh"]
    assert report.summary().startswith("2 of 6 files imported, 14 training items, 4 skipped")


def test_windows_turn_back_into_the_takes_motion(folder):
    corpus = import_motion(folder, OPTIONS)
    rig = Rig.from_dict(corpus.meta["rig"])
    assert rig.skeleton.names[1] == "Hips" and corpus.meta["fps"] == 30 and corpus.meta["frames"] == 60
    take = dance(30, seconds=5, seed=1)
    expected = clip_windows(take, rig_for(take.skeleton, canonical_frame(take)), FeatureOptions(**OPTIONS))
    got = np.asarray(corpus.data[:8], dtype=np.float64)
    assert np.abs(got - expected).max() < 2e-3  # float16 storage
    motion = features_to_motion(got[0], rig, 30.0)
    assert motion.frames == 60 and motion.skeleton.joints == 12
    assert np.abs(motion_features(motion, rig) - got[0]).max() < 5e-3  # the stored window comes back


def test_a_full_corpus_leaves_the_rest_out(folder):
    corpus = import_motion(folder, {**OPTIONS, "max_windows": 5})
    assert corpus.data.shape[0] == 5
    reasons = {s.path.rsplit("/", 1)[-1]: s.reason for s in corpus.report.skipped}
    assert reasons["b.bvh"] == "left out: the corpus is full (5 windows)"


def test_cache_missing_folder_and_cancel(folder, tmp_path):
    first = import_motion(folder, OPTIONS)
    again = import_motion(folder, OPTIONS)
    assert again.report.from_cache and not first.report.from_cache
    assert again.data.shape == first.data.shape
    with pytest.raises(NotADirectoryError):
        import_motion(tmp_path / "nowhere", OPTIONS)
    with pytest.raises(ImportCancelled):
        import_motion(folder, {**OPTIONS, "hop_seconds": 0.5}, cancel=lambda: True)
    with pytest.raises(ValueError, match="window_seconds"):
        import_motion(folder, {"window_seconds": 0})


def test_an_empty_folder_gives_an_empty_corpus(tmp_path):
    corpus = import_motion(tmp_path, OPTIONS)
    assert corpus.data.shape[0] == 0 and corpus.report.items == 0
