"""Pose-keypoint JSON (dancers filmed on video, run through a pose estimator) -> motion on a fixed body.

Two layouts are read:

- OpenPose's, a folder of one file per frame (``<clip>_000000000012_keypoints.json``)
  whose ``people[0].pose_keypoints_2d`` (or ``_3d``) is a flat x, y, confidence
  list; :func:`openpose_clips` groups such files into clips.
- one file per clip: ``{"fps": 30, "frames": [{"keypoints": [[x, y, c], ...]}, ...]}``,
  ``{"keypoints": [[[x, y, z], ...], ...]}`` or a bare list of frames, each frame
  a list of points, a flat list, or MediaPipe-style ``landmarks`` objects
  (``{"x", "y", "z", "visibility"}``).

The joint set is known by its count: COCO-17, OpenPose BODY-25 and COCO-18,
MediaPipe's 33.
A third value per point is a confidence when all of them lie in [0, 1],
otherwise a depth.  Points below :data:`MIN_CONFIDENCE` (or at 0, 0) are
missing and filled in from the frames around them.

What is derived, and so only as good as the guess: every set maps onto one
16-joint body (:func:`keypoint_skeleton`, the pelvis and neck as midpoints)
whose bone lengths are the clip's medians, scaled so the body stands
:data:`BODY_HEIGHT` cm; its rest pose is a T-pose.  Rotations are the
smallest turns that lay each limb bone along its observed direction (so a
limb's twist about itself is not known and stays zero); the pelvis and
chest are rigid frames fitted to the spine and the hip or shoulder line.  2-D
keypoints give a flat figure in the picture plane (no depth is invented);
the picture's up becomes +Y and the lowest ankles the floor.  Files give no
frame rate unless they carry ``fps``; :data:`DEFAULT_FPS` is assumed.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable

import numpy as np

from studio.core.files import checked_size
from studio.core.folder_import import FileProblem
from studio.domains.dance.rotations import align, turn_between
from studio.domains.dance.skeleton import Motion, Skeleton

MAX_KEYPOINT_BYTES = 256 << 20
MIN_CONFIDENCE = 0.1
DEFAULT_FPS = 30.0
BODY_HEIGHT = 170.0  # cm
MAX_MISSING = 0.5  # a joint missing in more of the frames than this leaves the clip unreadable

COCO17 = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow",
          "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee",
          "left_ankle", "right_ankle")
BODY25 = ("nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow", "left_wrist",
          "mid_hip", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle", "right_eye",
          "left_eye", "right_ear", "left_ear", "left_big_toe", "left_small_toe", "left_heel", "right_big_toe",
          "right_small_toe", "right_heel")
COCO18 = ("nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow", "left_wrist",
          "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle", "right_eye", "left_eye",
          "right_ear", "left_ear")
MEDIAPIPE33 = ("nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
               "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
               "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky",
               "left_index", "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee",
               "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel", "left_foot_index",
               "right_foot_index")
JOINT_SETS = {17: ("COCO-17", COCO17), 25: ("BODY-25", BODY25), 18: ("COCO-18", COCO18),
              33: ("MediaPipe-33", MEDIAPIPE33)}

# The body every set maps onto: name, parent, rest direction (T-pose, Y up, facing +Z, left on +X).
BODY = [
    ("Pelvis", "", (0, 0, 0)), ("LeftHip", "Pelvis", (1, 0, 0)), ("LeftKnee", "LeftHip", (0, -1, 0)),
    ("LeftAnkle", "LeftKnee", (0, -1, 0)), ("RightHip", "Pelvis", (-1, 0, 0)), ("RightKnee", "RightHip", (0, -1, 0)),
    ("RightAnkle", "RightKnee", (0, -1, 0)), ("Neck", "Pelvis", (0, 1, 0)), ("Head", "Neck", (0, 1, 0)),
    ("LeftShoulder", "Neck", (1, 0, 0)), ("LeftElbow", "LeftShoulder", (1, 0, 0)),
    ("LeftWrist", "LeftElbow", (1, 0, 0)), ("RightShoulder", "Neck", (-1, 0, 0)),
    ("RightElbow", "RightShoulder", (-1, 0, 0)), ("RightWrist", "RightElbow", (-1, 0, 0)),
]
_BODY_NAMES = [n for n, _, _ in BODY]
_PARENTS = np.array([_BODY_NAMES.index(p) if p else -1 for _, p, _ in BODY])
_REST_DIRS = np.array([d for _, _, d in BODY], dtype=np.float64)
_SOURCES = {  # body joint <- keypoints averaged (the first list that a set has all of)
    "Pelvis": [["mid_hip"], ["left_hip", "right_hip"]],
    "LeftHip": [["left_hip"]], "LeftKnee": [["left_knee"]], "LeftAnkle": [["left_ankle"]],
    "RightHip": [["right_hip"]], "RightKnee": [["right_knee"]], "RightAnkle": [["right_ankle"]],
    "Neck": [["neck"], ["left_shoulder", "right_shoulder"]],
    "Head": [["nose"], ["left_ear", "right_ear"]],
    "LeftShoulder": [["left_shoulder"]], "LeftElbow": [["left_elbow"]], "LeftWrist": [["left_wrist"]],
    "RightShoulder": [["right_shoulder"]], "RightElbow": [["right_elbow"]], "RightWrist": [["right_wrist"]],
}
_FRAME_FILE = re.compile(r"^(.*?)_?(\d+)_keypoints\.json$", re.IGNORECASE)


class KeypointError(FileProblem):
    """A keypoint file that cannot become motion; the message is the reason, for the import report."""


def keypoint_skeleton(lengths: np.ndarray | None = None) -> Skeleton:
    """The fixed 15-joint body, with bone ``lengths`` (per joint, from its parent; default: average proportions)."""
    if lengths is None:
        lengths = np.array([0, 10, 44, 42, 10, 44, 42, 52, 22, 18, 28, 25, 18, 28, 25], dtype=np.float64)
    offsets = _REST_DIRS * np.asarray(lengths, dtype=np.float64)[:, None]
    six = ("Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation")
    channels = [six] + [("Zrotation", "Xrotation", "Yrotation")] * (len(BODY) - 1)
    return Skeleton(list(_BODY_NAMES), _PARENTS.copy(), offsets, channels)


def openpose_frame(path: Path) -> tuple[tuple[Path, str], int] | None:
    """For an OpenPose per-frame file, its clip (folder and name) and frame number; None for any other file."""
    match = _FRAME_FILE.match(path.name)
    return ((path.parent, match.group(1)), int(match.group(2))) if match else None


def _load(path: Path) -> Any:
    checked_size(path, MAX_KEYPOINT_BYTES, KeypointError)
    try:
        return json.loads(path.read_bytes())
    except OSError as err:
        raise KeypointError(f"cannot be read ({err.strerror or err})") from None
    except (ValueError, RecursionError) as err:
        raise KeypointError(f"not JSON ({str(err)[:80]})") from None


def _landmarks(points: list[Any]) -> np.ndarray:
    """Points written as objects (MediaPipe's landmarks: x, y, z and a visibility) -> (K, 2..4)."""
    keys = [k for k in ("x", "y", "z") if k in points[0]]
    score = next((k for k in ("visibility", "score", "confidence", "presence") if k in points[0]), None)
    if keys[:2] != ["x", "y"]:
        raise KeypointError("keypoint objects without x and y")
    try:
        return np.array([[p[k] for k in keys] + ([p[score]] if score else []) for p in points], dtype=np.float64)
    except (KeyError, TypeError):
        raise KeypointError("keypoint objects that do not all have the same fields") from None


def _frame_points(frame: Any) -> np.ndarray | None:
    """One frame's points (K, 2..4) as floats, or None when the frame has no person."""
    if isinstance(frame, dict):
        people = frame.get("people")
        if people is not None:
            if not people:
                return None
            person = people[0]
            for key in ("pose_keypoints_3d", "pose_keypoints_2d", "keypoints"):
                if key in person:
                    flat = np.asarray(person[key], dtype=np.float64)
                    return flat.reshape(-1, 4 if key.endswith("3d") else 3)
            raise KeypointError("a person without pose_keypoints_2d")
        key = next((k for k in ("keypoints", "landmarks", "pose", "joints", "points") if k in frame), None)
        if key is None:
            raise KeypointError(f"a frame without keypoints (keys: {', '.join(list(frame)[:6])})")
        frame = frame[key]
        if isinstance(frame, dict):
            raise KeypointError(f"the frame's {key!r} is not a list of points")
    if isinstance(frame, list) and frame and isinstance(frame[0], dict):
        return _landmarks(frame)
    points = np.asarray(frame, dtype=np.float64)
    if points.ndim == 1:
        if not len(points):
            return None
        for width in (3, 2):
            if len(points) % width == 0 and len(points) // width in JOINT_SETS:
                return points.reshape(-1, width)
        raise KeypointError(f"a flat frame of {len(points)} numbers fits no known joint set")
    if points.ndim != 2 or not 2 <= points.shape[1] <= 4:
        raise KeypointError(f"a frame of shape {points.shape} is not a list of 2-D or 3-D points")
    return points


def _frames_of(data: Any) -> tuple[list[Any], float | None]:
    fps = None
    if isinstance(data, dict):
        value = data.get("fps", data.get("frame_rate"))
        fps = float(value) if isinstance(value, (int, float)) else None
        for key in ("frames", "keypoints", "poses", "annotations"):
            if isinstance(data.get(key), list):
                return data[key], fps
        if "people" in data:
            return [data], fps
        raise KeypointError("no 'frames' or 'keypoints' list in the file")
    if isinstance(data, list):
        return data, fps
    raise KeypointError("the file holds no list of frames")


def _stack(frames: list[np.ndarray | None]) -> tuple[np.ndarray, str]:
    """(T, K, 3) positions with NaN where missing (depth 0 for 2-D points), and the joint set's name."""
    shapes = {f.shape for f in frames if f is not None}
    if not shapes:
        raise KeypointError("no person in any frame")
    if len(shapes) > 1:
        raise KeypointError(f"frames hold different point counts: {sorted(s[0] for s in shapes)}")
    count, width = shapes.pop()
    if count not in JOINT_SETS:
        raise KeypointError(f"{count} points per frame is no known joint set "
                            f"({', '.join(name for name, _ in JOINT_SETS.values())})")
    seen_frames = [f for f in frames if f is not None]
    if not all(np.all(np.isfinite(f)) for f in seen_frames):
        raise KeypointError("a frame has a NaN or infinite value")
    values = np.stack(seen_frames)
    confident = width == 4 or (width == 3 and bool(np.all((values[..., 2] >= 0) & (values[..., 2] <= 1))))
    dims = 3 if width == 4 or (width == 3 and not confident) else 2
    out = np.full((len(frames), count, 3), np.nan)
    for t, f in enumerate(frames):
        if f is None:
            continue
        xyz = np.zeros((count, 3))
        xyz[:, :dims] = f[:, :dims]
        seen = f[:, -1] >= MIN_CONFIDENCE if confident else np.ones(count, dtype=bool)
        seen &= np.any(xyz != 0, axis=1)
        out[t, seen] = xyz[seen]
    return out, JOINT_SETS[count][0]


def _body_positions(points: np.ndarray, set_name: str) -> np.ndarray:
    """(T, 15, 3) body joints from the set's points, gaps filled over time."""
    names = next(names for n, names in JOINT_SETS.values() if n == set_name)
    index = {n: k for k, n in enumerate(names)}
    frames = len(points)
    body = np.full((frames, len(BODY), 3), np.nan)
    for j, name in enumerate(_BODY_NAMES):
        source = next((s for s in _SOURCES[name] if all(k in index for k in s)), None)
        if source is None:
            raise KeypointError(f"{set_name} has no keypoint for {name}")
        body[:, j] = np.mean([points[:, index[k]] for k in source], axis=0)
    t = np.arange(frames)
    for j, name in enumerate(_BODY_NAMES):
        seen = ~np.isnan(body[:, j, 0])
        if seen.mean() < 1.0 - MAX_MISSING:
            raise KeypointError(f"the {name} is missing in {100 * (1 - seen.mean()):.0f}% of the frames")
        for axis in range(3):
            body[:, j, axis] = np.interp(t, t[seen], body[seen, j, axis])
    return body


def _upright(body: np.ndarray) -> np.ndarray:
    """Positions turned so the body's mean spine points +Y (its left staying on the picture's right, as a figure
    facing the camera has it), scaled to BODY_HEIGHT cm, the lowest ankles at 0."""
    spine = (body[:, 7] - body[:, 0]).mean(axis=0)
    if spine[1] < 0:  # picture or camera coordinates (y down): half a turn about X keeps the picture's left-right
        body, spine = body * [1.0, -1.0, -1.0], spine * [1.0, -1.0, -1.0]
    body = body @ align(spine[None, :], np.array([[0.0, 1.0, 0.0]])).T
    lengths = _median_lengths(body)
    standing = lengths[7] + lengths[8] + (lengths[2] + lengths[3] + lengths[5] + lengths[6]) / 2
    if standing <= 0:
        raise KeypointError("the body has no size (every point in one place)")
    body = body * (BODY_HEIGHT / (standing * 1.08))  # the head's keypoint sits below its top
    floor = np.percentile(np.minimum(body[:, 3, 1], body[:, 6, 1]), 5)
    return body - np.array([0.0, floor, 0.0])


def _median_lengths(body: np.ndarray) -> np.ndarray:
    lengths = np.zeros(len(BODY))
    for j in range(1, len(BODY)):
        lengths[j] = np.median(np.linalg.norm(body[:, j] - body[:, _PARENTS[j]], axis=-1))
    for left, right in ((1, 4), (2, 5), (3, 6), (9, 12), (10, 13), (11, 14)):
        lengths[left] = lengths[right] = (lengths[left] + lengths[right]) / 2
    return lengths


def _frame(primary: np.ndarray, across: np.ndarray) -> np.ndarray:
    """Rotations (T, 3, 3) whose Y axis is ``primary`` and X axis ``across`` made perpendicular to it (world X
    where ``across`` vanishes: hips seen edge-on in a 2-D picture)."""
    y = primary / np.maximum(np.linalg.norm(primary, axis=-1, keepdims=True), 1e-9)
    x = across - np.sum(across * y, axis=-1, keepdims=True) * y
    flat = np.linalg.norm(x, axis=-1) < 1e-6 * np.maximum(np.linalg.norm(across, axis=-1), 1.0)
    fallback = np.array([1.0, 0.0, 0.0]) - y[..., :1] * y
    x = np.where(flat[..., None], fallback, x)
    x = x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)
    return np.stack([x, y, np.cross(x, y)], axis=-1)


def _motion(body: np.ndarray, fps: float) -> Motion:
    lengths = _median_lengths(body)
    skeleton = keypoint_skeleton(lengths)
    frames = len(body)
    world = np.zeros((frames, len(BODY), 3, 3))
    world[:, 0] = _frame(body[:, 7] - body[:, 0], body[:, 1] - body[:, 4])
    world[:, 7] = _frame(body[:, 8] - body[:, 7], body[:, 9] - body[:, 12])
    for j in range(1, len(BODY)):
        child = np.flatnonzero(_PARENTS == j)
        if j == 7:
            continue
        if len(child) == 1:
            bone = body[:, child[0]] - body[:, j]
            bone = bone / np.maximum(np.linalg.norm(bone, axis=-1, keepdims=True), 1e-9)
            world[:, j] = turn_between(_REST_DIRS[child[0]], bone)
        else:
            world[:, j] = world[:, _PARENTS[j]]  # a leaf (ankle, wrist, head): keeps its parent's turn
    local = world.copy()
    for j in range(1, len(BODY)):
        local[:, j] = np.swapaxes(world[:, _PARENTS[j]], -1, -2) @ world[:, j]
    return Motion(skeleton, 1.0 / fps, local, body[:, 0].copy())


def clip_from_points(frames: list[np.ndarray | None], fps: float | None = None) -> Motion:
    """A clip from each frame's points (None: nobody in that frame) at ``fps`` (DEFAULT_FPS when not given)."""
    if len(frames) < 2:
        raise KeypointError(f"{len(frames)} frame(s): too short to move")
    points, set_name = _stack(frames)
    body = _upright(_body_positions(points, set_name))
    return _motion(body, fps if fps and 1.0 <= fps <= 240.0 else DEFAULT_FPS)


def _numbers(read: Callable[[], Any]) -> Any:
    """Runs ``read``, turning what numpy says of non-numbers into the reason a person reads."""
    try:
        return read()
    except (TypeError, ValueError) as err:
        raise KeypointError(f"keypoints that are not numbers in a known layout ({str(err)[:80]})") from None


def read_keypoints(path: str | Path) -> Motion:
    """One clip file of keypoints; raises :class:`KeypointError` with the reason when it cannot."""
    frames, fps = _frames_of(_load(Path(path)))
    return _numbers(lambda: clip_from_points([_frame_points(f) for f in frames], fps))


def openpose_points(path: Path) -> np.ndarray | None:
    """The first person's points in one OpenPose frame file (None when nobody is in the frame)."""
    data = _load(path)
    if not isinstance(data, dict) or "people" not in data:
        raise KeypointError(f"{path.name} is not an OpenPose frame (no 'people')")
    return _numbers(lambda: _frame_points(data))


def read_openpose(paths: list[Path], fps: float = DEFAULT_FPS) -> Motion:
    """A clip from OpenPose's per-frame files (in frame order)."""
    return clip_from_points([openpose_points(p) for p in paths], fps)
