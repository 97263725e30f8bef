"""Motions out: BVH files with the export's info, clips joined into one take, clips laid onto beats, pictures.

An artifact of this medium is a :class:`~studio.domains.dance.skeleton.Motion` on the corpus's own
skeleton, so every export opens in Blender, Maya or a game engine as the capture it learned from.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from studio.domains.dance.bvh import write_bvh
from studio.domains.dance.figure import frame_image, project
from studio.domains.dance.rotations import matrix_to_6d, sixd_to_matrix
from studio.domains.dance.skeleton import Motion

INFO_PREFIX = "gan-studio: "
"""Start of the BVH comment line holding the export's JSON (seed, latent, run, step)."""
BLEND_SECONDS = 0.25
"""How long a join between two clips is smoothed on each side."""
MAX_INFO_LINES = 64


def info_comment(info: dict[str, Any]) -> str:
    return INFO_PREFIX + json.dumps(info, ensure_ascii=False, separators=(",", ":"), default=str)


def save_bvh(motion: Motion, path: str | Path, info: dict[str, Any]) -> Path:
    """The motion as BVH with ``info`` on a comment line after ``HIERARCHY`` (Blender skips it)."""
    return write_bvh(path, motion, [info_comment(info)])


def read_info(path: str | Path) -> dict[str, Any]:
    """The info an export wrote (empty when the file has none)."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        for _, line in zip(range(MAX_INFO_LINES), handle):
            text = line.strip()
            if text.startswith("# " + INFO_PREFIX):
                return json.loads(text[2 + len(INFO_PREFIX):])
    return {}


def _ease(n: int) -> np.ndarray:
    """Weights from 1 at a join to 0 ``n`` frames away (smoothstep), nearest frame first."""
    t = np.arange(n, dtype=np.float64) / max(n, 1)
    return 1.0 - t * t * (3.0 - 2.0 * t)


def _velocity(x: np.ndarray, at_end: bool) -> np.ndarray:
    if len(x) < 2:
        return np.zeros_like(x[0])
    return x[-1] - x[-2] if at_end else x[1] - x[0]


def _close_gap(a: np.ndarray, b: np.ndarray, n: int) -> None:
    """Moves the end of ``a`` and the start of ``b`` (in place) so the step across the join is the mean of
    the steps on either side; the correction fades out over ``n`` frames each way."""
    k = min(n, len(a), len(b))
    step = (_velocity(a, True) + _velocity(b, False)) / 2.0
    gap = (b[0] - a[-1] - step) / 2.0
    weights = _ease(k).reshape((k,) + (1,) * (a.ndim - 1))
    a[-k:] += (weights * gap)[::-1]
    b[:k] -= weights * gap


def _path(motion: Motion) -> np.ndarray:
    """A copy of the (T, 3) translation that carries the body: the root's, or the pelvis's when a fixed root sits
    above it with the pelvis's own position channels (features.features_to_motion writes such motions)."""
    if motion.translations is not None:
        return np.array(motion.translations[:, motion.skeleton.pelvis()], np.float64)
    return np.array(motion.root_positions, np.float64)


def _with_path(motion: Motion, rotations: np.ndarray, path: np.ndarray, translations: np.ndarray | None) -> Motion:
    """A motion like ``motion`` with new frames: ``path`` goes where :func:`_path` read it."""
    if translations is None:
        return Motion(motion.skeleton, motion.frame_time, rotations, path)
    translations = np.array(translations, np.float64)
    translations[:, motion.skeleton.pelvis()] = path
    root = np.broadcast_to(motion.root_positions[0], (len(rotations), 3)).copy()
    return Motion(motion.skeleton, motion.frame_time, rotations, root, translations)


def join(motions: Sequence[Motion], blend_seconds: float = BLEND_SECONDS) -> Motion:
    """Consecutive clips as one take: each starts where the last ended, its joins smoothed without moving time.

    Each clip's path is moved so it carries on from the previous clip's last step; around a join
    both sides are pulled halfway toward each other until the step across it is like its neighbours' (an
    offset fading out over ``blend_seconds``, in the 6-D rotation space), so the take keeps every clip's
    length and timing: beats stay on the beat.
    """
    if not motions:
        raise ValueError("a take needs at least one clip")
    first = motions[0]
    sixd = [matrix_to_6d(m.rotations) for m in motions]
    paths = [_path(m) for m in motions]
    for i in range(1, len(motions)):
        prev, cur = paths[i - 1], paths[i]
        step = prev[-1] - prev[-2] if len(prev) > 1 else np.zeros(3)
        shift = prev[-1] + step - cur[0]
        shift[1] = 0.0  # heights are the clips' own
        paths[i] = cur + shift
    n = max(1, round(blend_seconds / first.frame_time))
    for i in range(1, len(motions)):
        _close_gap(sixd[i - 1], sixd[i], n)
        _close_gap(paths[i - 1], paths[i], n)
    translations = None
    if first.translations is not None:
        translations = np.concatenate([m.translations if m.translations is not None
                                       else np.broadcast_to(m.skeleton.offsets, (m.frames,) + m.skeleton.offsets.shape)
                                       for m in motions])
    return _with_path(first, sixd_to_matrix(np.concatenate(sixd)), np.concatenate(paths), translations)


def resample(motion: Motion, frames: np.ndarray) -> Motion:
    """The motion read at fractional frame indices (linear in the 6-D rotation space and in position)."""
    frames = np.clip(np.asarray(frames, np.float64), 0.0, motion.frames - 1)
    low = np.floor(frames).astype(int)
    high = np.minimum(low + 1, motion.frames - 1)
    t = (frames - low)[:, None]

    def lerp(x: np.ndarray) -> np.ndarray:
        f = t.reshape((-1,) + (1,) * (x.ndim - 1))
        return x[low] * (1 - f) + x[high] * f

    translations = lerp(motion.translations) if motion.translations is not None else None
    return _with_path(motion, sixd_to_matrix(lerp(matrix_to_6d(motion.rotations))), lerp(_path(motion)), translations)


def on_beats(motion: Motion, beats: int, beat_times: np.ndarray) -> Motion:
    """A clip whose ``beats`` evenly spaced beats are moved onto ``beat_times`` (seconds, beats + 1 of them,
    the last where the next clip starts), at the clip's own frame rate."""
    beat_times = np.asarray(beat_times, np.float64)
    fps = motion.fps
    start, end = beat_times[0], beat_times[-1]
    seconds = start + np.arange(max(1, int(round((end - start) * fps)))) / fps
    beat = np.interp(seconds, beat_times, np.arange(len(beat_times), dtype=np.float64))
    return resample(motion, beat * motion.frames / beats)


def motion_frames(motion: Motion, size: int, camera: str = "front", fps: float | None = None) -> list[np.ndarray]:
    """The clip drawn frame by frame (``size`` px square), at ``fps`` (the clip's own rate when None)."""
    scene = project(motion, size, size, camera)
    step = motion.fps / fps if fps else 1.0
    picks = np.arange(0.0, motion.frames, step).astype(int)
    return [frame_image(scene, int(i)) for i in picks]


def grid_picture(motions: Sequence[Motion], size: int = 160, frame: int | None = None) -> np.ndarray:
    """Many clips side by side (at most 8 a row), each at ``frame`` (its middle when None)."""
    if not motions:
        return np.zeros((size, size, 3), np.uint8)
    cells = [frame_image(project(m, size, size), m.frames // 2 if frame is None else frame) for m in motions]
    columns = min(8, len(cells))
    rows = -(-len(cells) // columns)
    picture = np.zeros((rows * size, columns * size, 3), np.uint8)
    for i, cell in enumerate(cells):
        r, c = divmod(i, columns)
        picture[r * size:(r + 1) * size, c * size:(c + 1) * size] = cell
    return picture
