"""Weight-free quality figures of generated motion against the corpus's own.

Every figure is computed on joint positions from forward kinematics (N clips x T frames x J joints
x 3, y up) and local joint rotations, in body heights and seconds, so a corpus captured in
centimetres and one in metres read alike:

- ``skate``: the feet's horizontal speed while they touch the floor (body heights a second) —
  sliding feet are what makes generated motion look fake first;
- ``limits``: the share of joint-frames whose rotation leaves the range the corpus's poses span
  (per joint and axis of the rotation vector, the corpus's 0.5-99.5 percentiles, with a 3 degree margin);
- ``jerk``: the mean magnitude of the third derivative of joint positions (smoothness);
- ``fd``: Fréchet distance between Gaussians fitted to kinematic features of each clip (per joint:
  mean speed, mean acceleration, spread of the pose around its mean);
- ``diversity``: mean pose distance between pairs of clips;
- ``copy_rate``: share of clips whose nearest training window is closer than a copy would be
  (half the median distance between distinct corpus windows).

:func:`corpus_metrics` gives the corpus's own values for the dashed reference lines: its ``fd``
is the distance between two random halves of it, its ``copy_rate`` that of each window against
the rest.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CONTACT_HEIGHT = 0.03
"""A foot touches the floor when it is within this share of the body's height of its lowest point in the clip."""
COPY_FRACTION = 0.5
"""A clip copies a training window when closer than this share of the median distance between distinct windows."""
LIMIT_PERCENTILES = (0.5, 99.5)
LIMIT_MARGIN = 0.05
"""Radians (about 3 degrees) a rotation may pass the corpus's range before it counts: a joint the corpus never
turns would otherwise count every frame of a sample that barely moves it."""
MAX_REFERENCE = 512
"""Corpus windows compared with (a fixed sample): the copy check and statistics stay fast on big folders."""
POSE_FRAMES = 16
"""Frames (evenly spread) of each window that pose distances compare: enough to tell movements apart."""


@dataclass
class Kinematics:
    """Clips of one skeleton, ready to measure: world positions, local rotations and what reads them."""

    positions: np.ndarray  # N x T x J x 3
    rotations: np.ndarray  # N x T x J x 3 x 3
    fps: float
    feet: list[int]  # joints that touch the floor
    height: float  # the skeleton's standing height, the unit of every distance
    pelvis: int = 0  # the joint that carries the body (a fixed root may sit above it)


def rotation_vectors(rotations: np.ndarray) -> np.ndarray:
    """... x 3 x 3 rotation matrices -> ... x 3 axis-angle vectors (the log map)."""
    trace = np.trace(rotations, axis1=-2, axis2=-1)
    angle = np.arccos(np.clip((trace - 1.0) / 2.0, -1.0, 1.0))
    axis = np.stack([rotations[..., 2, 1] - rotations[..., 1, 2], rotations[..., 0, 2] - rotations[..., 2, 0],
                     rotations[..., 1, 0] - rotations[..., 0, 1]], axis=-1)
    sin = np.sin(angle)[..., None]
    scale = np.where(np.abs(sin) > 1e-6, angle[..., None] / (2.0 * np.where(np.abs(sin) > 1e-6, sin, 1.0)), 0.5)
    return axis * scale


def foot_skating(k: Kinematics) -> float:
    """Mean horizontal foot speed over the frames each foot is in contact (body heights a second)."""
    if not k.feet or k.positions.shape[1] < 2:
        return 0.0
    feet = k.positions[:, :, k.feet] / k.height  # N x T x F x 3
    floor = feet[..., 1].min(axis=1, keepdims=True)
    contact = (feet[:, 1:, :, 1] - floor) < CONTACT_HEIGHT
    speed = np.linalg.norm(np.diff(feet[..., [0, 2]], axis=1), axis=-1) * k.fps
    return float(speed[contact].mean()) if contact.any() else 0.0


def jerk(k: Kinematics) -> float:
    """Mean magnitude of the positions' third time derivative (body heights per second cubed)."""
    if k.positions.shape[1] < 4:
        return 0.0
    third = np.diff(k.positions / k.height, n=3, axis=1) * k.fps ** 3
    return float(np.linalg.norm(third, axis=-1).mean())


def limit_bounds(rotations: np.ndarray) -> np.ndarray:
    """Per joint and axis, the low and high percentiles of the rotation vectors: 2 x J x 3."""
    vectors = rotation_vectors(rotations).reshape(-1, rotations.shape[-3], 3)
    return np.percentile(vectors, LIMIT_PERCENTILES, axis=0)


def limit_violations(rotations: np.ndarray, bounds: np.ndarray) -> float:
    """Share of joint-frames with a rotation-vector component outside ``bounds`` (from :func:`limit_bounds`)."""
    vectors = rotation_vectors(rotations)
    outside = (vectors < bounds[0] - LIMIT_MARGIN) | (vectors > bounds[1] + LIMIT_MARGIN)
    return float(outside.any(axis=-1).mean())


def root_relative(k: Kinematics) -> np.ndarray:
    """Positions minus the pelvis's ground position in each frame (height kept), in body heights."""
    centred = k.positions / k.height
    root = centred[:, :, k.pelvis:k.pelvis + 1].copy()
    root[..., 1] = 0.0
    return centred - root


def kinematic_features(k: Kinematics) -> np.ndarray:
    """N x 3J: per joint the mean speed, the mean acceleration and the spread of the pose."""
    pos = root_relative(k)
    velocity = np.diff(k.positions / k.height, axis=1) * k.fps
    speed = np.linalg.norm(velocity, axis=-1).mean(axis=1)
    accel = np.linalg.norm(np.diff(velocity, axis=1), axis=-1).mean(axis=1) * k.fps
    spread = np.linalg.norm(pos - pos.mean(axis=1, keepdims=True), axis=-1).mean(axis=1)
    return np.concatenate([speed, accel, spread], axis=1)


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two sets of feature rows (a small ridge keeps few rows stable)."""
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    ridge = 1e-6 * np.eye(a.shape[1])
    cov_a = (np.cov(a, rowvar=False) if len(a) > 1 else np.zeros((a.shape[1],) * 2)) + ridge
    cov_b = (np.cov(b, rowvar=False) if len(b) > 1 else np.zeros((b.shape[1],) * 2)) + ridge
    root_a = _sqrt_psd(cov_a)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0.0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2.0 * cross)


def pose_vectors(k: Kinematics) -> np.ndarray:
    """N x D root-relative poses at :data:`POSE_FRAMES` evenly spread frames: what pose distances compare."""
    pos = root_relative(k)
    frames = np.linspace(0, pos.shape[1] - 1, min(POSE_FRAMES, pos.shape[1])).round().astype(int)
    return pos[:, frames].reshape(len(pos), -1)


def pose_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """RMS joint distance (body heights) between every row of ``a`` and every row of ``b``: len(a) x len(b)."""
    joints = a.shape[1] / 3.0
    squared = (a ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None, :] - 2.0 * a @ b.T
    return np.sqrt(np.clip(squared, 0.0, None) / joints)


def diversity(poses: np.ndarray) -> float:
    """Mean pose distance between distinct clips."""
    if len(poses) < 2:
        return 0.0
    d = pose_distances(poses, poses)
    return float(d[~np.eye(len(poses), dtype=bool)].mean())


@dataclass
class Reference:
    """What samples are measured against, computed once per corpus."""

    features: np.ndarray  # kinematic features of the reference windows
    poses: np.ndarray  # their pose vectors
    bounds: np.ndarray  # joint-limit bounds, 2 x J x 3
    copy_threshold: float
    values: dict[str, float]  # the corpus's own figures

    def nearest(self, poses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index and pose distance of each row's nearest reference window."""
        d = pose_distances(poses, self.poses)
        index = d.argmin(axis=1)
        return index, d[np.arange(len(poses)), index]


def build_reference(k: Kinematics, seed: int = 0) -> Reference:
    """The statistics of corpus windows (at most :data:`MAX_REFERENCE`, a fixed sample) and their own figures."""
    features = kinematic_features(k)
    poses = pose_vectors(k)
    bounds = limit_bounds(k.rotations)
    n = len(poses)
    if n > 1:
        d = pose_distances(poses, poses)
        np.fill_diagonal(d, np.inf)
        nearest = d.min(axis=1)
        threshold = COPY_FRACTION * float(np.median(nearest))
        copy_rate = float((nearest < threshold).mean())
        half = np.random.default_rng(seed).permutation(n)
        fd = frechet_distance(features[half[: n // 2]], features[half[n // 2:]]) if n >= 4 else 0.0
    else:
        threshold, copy_rate, fd = 0.0, 0.0, 0.0
    values = {"skate": foot_skating(k), "limits": limit_violations(k.rotations, bounds), "jerk": jerk(k),
              "fd": fd, "diversity": diversity(poses), "copy_rate": copy_rate}
    return Reference(features, poses, bounds, threshold, values)


def dance_metrics(k: Kinematics, reference: Reference) -> dict[str, float]:
    """The samples' figures, keyed as :attr:`Reference.values`."""
    poses = pose_vectors(k)
    _, distances = reference.nearest(poses)
    return {"skate": foot_skating(k), "limits": limit_violations(k.rotations, reference.bounds), "jerk": jerk(k),
            "fd": frechet_distance(kinematic_features(k), reference.features), "diversity": diversity(poses),
            "copy_rate": float((distances < reference.copy_threshold).mean())}
