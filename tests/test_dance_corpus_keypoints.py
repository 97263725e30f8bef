"""Pose-keypoint JSON (OpenPose folders, one-file clips; COCO-17, BODY-25) into motion, made here from demo takes."""
from __future__ import annotations

import json

import numpy as np
import pytest
from dance_takes import coco17_points, dance

from studio.domains.dance.bvh import write_bvh
from studio.domains.dance.corpus import import_motion
from studio.domains.dance.keypoints import (
    BODY25,
    COCO17,
    MEDIAPIPE33,
    KeypointError,
    openpose_frame,
    read_keypoints,
    read_openpose,
)


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "cache"))


def write_openpose(folder, points, name="dancer", confidence=None):
    """Per-frame OpenPose files of picture coordinates (x right, y down, pixels)."""
    folder.mkdir(parents=True, exist_ok=True)
    picture = np.stack([points[..., 0] * 2 + 640, 700 - points[..., 1] * 2], -1)
    for t, frame in enumerate(picture):
        c = np.full((len(frame), 1), 0.9) if confidence is None else confidence[t][:, None]
        flat = np.concatenate([frame, c], axis=1).ravel().tolist()
        (folder / f"{name}_{t:012d}_keypoints.json").write_text(json.dumps({"people": [{"pose_keypoints_2d": flat}]}))
    return sorted(folder.glob(f"{name}_*_keypoints.json"))


def unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def test_a_3d_clip_lays_every_limb_along_its_keypoints(tmp_path):
    points = coco17_points()
    path = tmp_path / "clip.json"
    path.write_text(json.dumps({"fps": 25, "frames": [{"keypoints": f.tolist()} for f in points]}))
    motion = read_keypoints(path)
    assert motion.frames == len(points) and motion.fps == pytest.approx(25.0) and motion.skeleton.joints == 15
    got = motion.positions()
    names = motion.skeleton.names
    for chain, keys in {("LeftHip", "LeftKnee", "LeftAnkle"): ("left_hip", "left_knee", "left_ankle"),
                        ("RightShoulder", "RightElbow", "RightWrist"): ("right_shoulder", "right_elbow", "right_wrist"),
                        ("LeftShoulder", "LeftElbow", "LeftWrist"): ("left_shoulder", "left_elbow", "left_wrist")}.items():
        made = [got[:, names.index(n)] for n in chain]
        seen = [points[:, COCO17.index(k)] for k in keys]
        # the bend at the middle joint (a knee, an elbow) is the keypoints' own, frame by frame
        bend = [np.sum(unit(p[0] - p[1]) * unit(p[2] - p[1]), axis=-1) for p in (seen, made)]
        np.testing.assert_allclose(bend[1], bend[0], atol=2e-3)
    assert 150 < np.ptp(got[..., 1]) < 220 and got[:, names.index("Head"), 1].mean() > got[:, 0, 1].mean()


def test_an_openpose_folder_is_one_upright_clip_with_its_left_on_the_left(tmp_path):
    files = write_openpose(tmp_path / "op", coco17_points(seconds=2.0))
    assert openpose_frame(files[3]) == ((tmp_path / "op", "dancer"), 3)
    assert openpose_frame(tmp_path / "notes.json") is None
    motion = read_openpose(files)
    p = motion.positions()
    names = motion.skeleton.names
    assert np.all(p[:, names.index("Head"), 1] > p[:, names.index("Pelvis"), 1])
    assert np.all(p[:, names.index("LeftHip"), 0] > p[:, names.index("RightHip"), 0])  # facing the camera
    assert np.allclose(p[..., 2], 0.0, atol=1e-6)  # 2-D stays flat: no depth is invented


def test_missing_points_are_filled_and_a_mostly_missing_joint_is_refused(tmp_path):
    points = coco17_points(seconds=2.0)
    confidence = np.full(points.shape[:2], 0.9)
    confidence[10:14, COCO17.index("left_wrist")] = 0.0
    motion = read_openpose(write_openpose(tmp_path / "a", points, confidence=confidence))
    assert np.all(np.isfinite(motion.rotations))
    confidence[: len(points) * 7 // 10 + 1, COCO17.index("right_knee")] = 0.0
    with pytest.raises(KeypointError, match=r"RightKnee is missing in 7\d% of the frames"):
        read_openpose(write_openpose(tmp_path / "b", points, confidence=confidence))


def test_body25_flat_frames(tmp_path):
    coco = coco17_points(seconds=2.0)
    body = np.zeros((len(coco), 25, 3))
    for k, name in enumerate(BODY25):
        if name in COCO17:
            body[:, k, :2] = coco[:, COCO17.index(name), :2]
            body[:, k, 2] = 0.8
    body[:, BODY25.index("neck"), :2] = coco[:, [5, 6], :2].mean(axis=1)
    body[:, BODY25.index("mid_hip"), :2] = coco[:, [11, 12], :2].mean(axis=1)
    body[:, BODY25.index("neck"), 2] = body[:, BODY25.index("mid_hip"), 2] = 0.8
    path = tmp_path / "body25.json"
    path.write_text(json.dumps([f.ravel().tolist() for f in body]))
    motion = read_keypoints(path)
    assert motion.frames == len(coco) and motion.fps == pytest.approx(30.0)


def test_mediapipe_landmarks_in_picture_coordinates(tmp_path):
    coco = coco17_points(seconds=2.0)
    stand_in = {"eye": "eye", "ear": "ear", "pinky": "wrist", "index": "wrist", "thumb": "wrist", "heel": "ankle",
                "foot": "ankle"}
    frames = []
    for f in coco:
        marks = []
        for name in MEDIAPIPE33:
            side, _, part = name.partition("_")
            source = name if name in COCO17 else "nose" if side == "mouth" else \
                f"{side}_{next(v for k, v in stand_in.items() if part.startswith(k))}"
            x, y, z = f[COCO17.index(source)]
            marks.append({"x": 0.5 + x / 400, "y": 0.9 - y / 400, "z": -z / 400, "visibility": 0.95})
        frames.append({"landmarks": marks})
    path = tmp_path / "mediapipe.json"
    path.write_text(json.dumps({"fps": 30, "frames": frames}))
    motion = read_keypoints(path)
    p = motion.positions()
    names = motion.skeleton.names
    assert motion.frames == len(coco)
    assert np.all(p[:, names.index("Head"), 1] > p[:, names.index("Pelvis"), 1])
    assert np.all(p[:, names.index("LeftHip"), 0] > p[:, names.index("RightHip"), 0])


BAD = {
    "empty": ("", "empty"),
    "not_json": ("{frames: oops", "not JSON"),
    "no_frames": (json.dumps({"title": "x"}), "no 'frames'"),
    "odd_count": (json.dumps({"frames": [[[0, 0]] * 13] * 5}), "13 points per frame is no known joint set"),
    "nested": (json.dumps({"frames": [{"keypoints": {"keypoints": []}}] * 3}), "is not a list of points"),
    "objects": (json.dumps({"frames": [{"landmarks": [{"u": 1, "v": 2}] * 33}] * 3}), "without x and y"),
    "nobody": (json.dumps([{"people": []}] * 4), "no person"),
    "nan": (json.dumps({"frames": [[[float("nan"), 0, 0]] * 17] * 3}), "NaN"),
    "words": (json.dumps({"frames": [["a", "b"]] * 3}), "not numbers"),
    "one_frame": (json.dumps({"frames": [[[1, 2, 3]] * 17]}), "too short"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_keypoint_files_are_reported_with_their_reason(tmp_path, case):
    text, reason = BAD[case]
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(KeypointError, match=reason):
        read_keypoints(path)


def test_a_folder_of_keypoint_clips_imports_on_the_keypoint_body(tmp_path):
    folder = tmp_path / "video"
    write_openpose(folder / "take1", coco17_points(seconds=4.0, seed=1))
    write_openpose(folder / "take2", coco17_points(seconds=4.0, seed=2))
    write_openpose(folder / "take3", coco17_points(seconds=4.0)[:1], name="lonely")
    write_bvh(folder / "mocap.bvh", dance(30, seconds=4))
    (folder / "broken.json").write_text("[")
    corpus = import_motion(folder, {"window_seconds": 2.0, "hop_seconds": 1.0, "fps": 15})
    report = corpus.report
    frames = len(coco17_points(seconds=4.0))
    assert report.files_seen == 2 * frames + 3 and len(report.imported) == 2 * frames
    assert report.details["openpose_frame_files"] == 2 * frames + 1
    assert report.details["files"]["take1/dancer_000000000000_keypoints.json"]["frame_files"] == frames
    reasons = {s.path.rsplit("/", 1)[-1]: s.reason for s in report.skipped}
    assert "another skeleton" in reasons["mocap.bvh"] and "not JSON" in reasons["broken.json"]
    assert reasons["lonely_000000000000_keypoints.json"] == "1 frame(s): too short to move (an OpenPose clip of 1 frame)"
    assert corpus.meta["joints"] == 15 and corpus.data.shape[1:] == (4 + 6 * 15, 30)
