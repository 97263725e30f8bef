"""Takes made here for the dance tests: a small upright body that walks a curve, sways and swings its limbs."""
from __future__ import annotations

import numpy as np

from studio.domains.dance.rotations import euler_to_matrix, yaw_rotation
from studio.domains.dance.skeleton import Motion, Skeleton

SIX = ("Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation")
THREE = ("Zrotation", "Xrotation", "Yrotation")
# An upright, symmetric body (Y up, facing +Z, left on +X) with a fixed joint above the hips.
JOINTS = [  # name, parent, offset
    ("Base", -1, (0, 0, 0)), ("Hips", 0, (0, 90, 0)), ("Spine", 1, (0, 25, 0)), ("Head", 2, (0, 30, 0)),
    ("LeftArm", 2, (18, 25, 0)), ("LeftHand", 4, (0, -50, 0)), ("RightArm", 2, (-18, 25, 0)),
    ("RightHand", 6, (0, -50, 0)), ("LeftUpLeg", 1, (10, 0, 0)), ("LeftFoot", 8, (0, -88, 0)),
    ("RightUpLeg", 1, (-10, 0, 0)), ("RightFoot", 10, (0, -88, 0)),
]


def body(baked: np.ndarray | None = None) -> tuple[Skeleton, np.ndarray | None]:
    names = [n for n, _, _ in JOINTS]
    parents = np.array([p for _, p, _ in JOINTS])
    offsets = np.array([o for _, _, o in JOINTS], dtype=float)
    if baked is not None:  # joint orients baked in, as many exporters do: the rest pose turns to nonsense
        offsets = np.stack([offsets[0]] + [baked[parents[j]].T @ offsets[j] for j in range(1, len(names))])
    channels = [SIX, SIX] + [THREE] * (len(names) - 2)
    return Skeleton(names, parents, offsets, channels, {3: np.array([0.0, 10.0, 0.0])}), baked


def dance(fps: float, seconds: float = 6.0, baked: bool = False, seed: int = 0) -> Motion:
    """A figure that walks a curve, sways and swings its limbs; the same motion at any frame rate."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * fps)) + 1) / fps
    orients = euler_to_matrix(rng.uniform(-180, 180, (len(JOINTS), 3)), "XYZ") if baked else None
    sk, _ = body(orients)
    j = len(JOINTS)
    angles = np.zeros((len(t), j, 3))
    for k in range(2, j):
        freq, phase = rng.uniform(0.5, 2.0, 3), rng.uniform(0, 2 * np.pi, 3)
        angles[:, k] = 30 * np.sin(2 * np.pi * freq * t[:, None] + phase)
    rotations = euler_to_matrix(angles, "ZXY")
    heading = 0.4 * t
    rotations[:, 1] = yaw_rotation(heading) @ euler_to_matrix(np.stack([5 * np.sin(3 * t), 0 * t, 0 * t], -1), "ZXY")
    rotations[:, 0] = np.eye(3)
    ground = np.stack([100 * (1 - np.cos(0.4 * t)), 90 + 3 * np.sin(4 * t), 100 * np.sin(0.4 * t)], -1)
    translations = np.broadcast_to(sk.offsets, (len(t), j, 3)).copy()
    translations[:, 1] = ground
    if orients is not None:
        parents = sk.parents
        rotations = np.stack([rotations[:, 0] @ orients[0] if k == 0 else
                              orients[parents[k]].T @ rotations[:, k] @ orients[k] for k in range(j)], axis=1)
        translations[:, 1] = np.einsum("ij,tj->ti", orients[0].T, ground)
    return Motion(sk, 1.0 / fps, rotations, np.zeros((len(t), 3)), translations)


def coco17_points(seconds: float = 6.0, seed: int = 5) -> np.ndarray:
    """(T, 17, 3) COCO-17 keypoints (cm, Y up) of a demo take at 30 fps, as a 3-D pose estimator would give them."""
    from studio.domains.dance.demo import dance_take
    from studio.domains.dance.keypoints import COCO17

    motion, _ = dance_take(seed, 120, bars=max(1, int(seconds * 2 / 4)))
    p = motion.positions()
    at = {n: p[:, k] for k, n in enumerate(motion.skeleton.names)}
    nose = at["Head"] + [0.0, 3.0, 10.0]
    points = {"nose": nose, "left_eye": nose + [3, 3, 0], "right_eye": nose + [-3, 3, 0],
              "left_ear": at["Head"] + [7, 0, 0], "right_ear": at["Head"] + [-7, 0, 0]}
    for side in ("left", "right"):
        big = side.capitalize()
        points.update({f"{side}_shoulder": at[big + "Arm"], f"{side}_elbow": at[big + "ForeArm"],
                       f"{side}_wrist": at[big + "Hand"], f"{side}_hip": at[big + "UpLeg"],
                       f"{side}_knee": at[big + "Leg"], f"{side}_ankle": at[big + "Foot"]})
    return np.stack([points[n] for n in COCO17], axis=1)
