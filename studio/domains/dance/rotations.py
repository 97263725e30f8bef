"""Rotation conversions for motion data, vectorised over any leading shape (numpy only).

BVH stores joint rotations as Euler angles in degrees, in a per-joint order,
applied intrinsically: channels ``Zrotation Xrotation Yrotation`` mean
``R = Rz @ Rx @ Ry``.  The nets learn the continuous 6-D representation
(Zhou et al. 2019: the first two columns of the matrix), because Euler angles
and quaternions have jumps that a generator cannot draw.  Quaternions
(w, x, y, z) are here for slerp when clips are resampled.
"""
from __future__ import annotations

import numpy as np

AXES = {"X": 0, "Y": 1, "Z": 2}
ORDERS = ("XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX")


def axis_rotation(axis: str, degrees: np.ndarray) -> np.ndarray:
    """Rotation matrices (..., 3, 3) about one coordinate axis by ``degrees``."""
    a = np.radians(np.asarray(degrees, dtype=np.float64))
    c, s = np.cos(a), np.sin(a)
    i = AXES[axis]
    j, k = (i + 1) % 3, (i + 2) % 3
    out = np.zeros(a.shape + (3, 3))
    out[..., i, i] = 1.0
    out[..., j, j] = c
    out[..., k, k] = c
    out[..., j, k] = -s
    out[..., k, j] = s
    return out


def euler_to_matrix(degrees: np.ndarray, order: str) -> np.ndarray:
    """(..., 3) angles in the order's axis sequence -> (..., 3, 3); ``order`` "ZXY" means Rz @ Rx @ Ry."""
    order = order.upper()
    if order not in ORDERS:
        raise ValueError(f"unknown Euler order {order!r}; one of {', '.join(ORDERS)}")
    degrees = np.asarray(degrees, dtype=np.float64)
    m = axis_rotation(order[0], degrees[..., 0])
    m = m @ axis_rotation(order[1], degrees[..., 1])
    return m @ axis_rotation(order[2], degrees[..., 2])


def matrix_to_euler(matrix: np.ndarray, order: str) -> np.ndarray:
    """(..., 3, 3) -> (..., 3) degrees in ``order``; at gimbal lock the third angle is set to 0."""
    order = order.upper()
    if order not in ORDERS:
        raise ValueError(f"unknown Euler order {order!r}; one of {', '.join(ORDERS)}")
    i, j, k = (AXES[c] for c in order)
    s = 1.0 if (j - i) % 3 == 1 else -1.0  # +1 for cyclic orders (XYZ, YZX, ZXY)
    m = np.asarray(matrix, dtype=np.float64)
    sin_b = np.clip(s * m[..., i, k], -1.0, 1.0)
    beta = np.arcsin(sin_b)
    locked = np.abs(sin_b) > 1.0 - 1e-9
    alpha = np.where(locked, np.arctan2(s * m[..., k, j], m[..., j, j]),
                     np.arctan2(-s * m[..., j, k], m[..., k, k]))
    gamma = np.where(locked, 0.0, np.arctan2(-s * m[..., i, j], m[..., i, i]))
    return np.degrees(np.stack([alpha, beta, gamma], axis=-1))


def matrix_to_6d(matrix: np.ndarray) -> np.ndarray:
    """(..., 3, 3) -> (..., 6): the first column then the second."""
    m = np.asarray(matrix)
    return np.concatenate([m[..., :, 0], m[..., :, 1]], axis=-1)


def sixd_to_matrix(sixd: np.ndarray) -> np.ndarray:
    """(..., 6) -> (..., 3, 3) by Gram-Schmidt, so any six numbers a generator draws give a true rotation."""
    x = np.asarray(sixd, dtype=np.float64)
    a1, a2 = x[..., :3], x[..., 3:6]
    b1 = a1 / np.maximum(np.linalg.norm(a1, axis=-1, keepdims=True), 1e-8)
    a2 = a2 - np.sum(b1 * a2, axis=-1, keepdims=True) * b1
    b2 = a2 / np.maximum(np.linalg.norm(a2, axis=-1, keepdims=True), 1e-8)
    b3 = np.cross(b1, b2)
    return np.stack([b1, b2, b3], axis=-1)


def matrix_to_quaternion(matrix: np.ndarray) -> np.ndarray:
    """(..., 3, 3) -> unit quaternions (..., 4) as (w, x, y, z) with w >= 0."""
    m = np.asarray(matrix, dtype=np.float64)
    # Shepperd's method: start from the largest of the four squared components, so no division is near zero.
    diag = np.stack([m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2],
                     m[..., 0, 0] - m[..., 1, 1] - m[..., 2, 2],
                     -m[..., 0, 0] + m[..., 1, 1] - m[..., 2, 2],
                     -m[..., 0, 0] - m[..., 1, 1] + m[..., 2, 2]], axis=-1)
    best = np.argmax(diag, axis=-1)
    big = np.sqrt(np.maximum(1.0 + np.take_along_axis(diag, best[..., None], -1)[..., 0], 1e-12)) * 2.0
    m21_12, m02_20, m10_01 = m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1]
    m21p12, m02p20, m10p01 = m[..., 2, 1] + m[..., 1, 2], m[..., 0, 2] + m[..., 2, 0], m[..., 1, 0] + m[..., 0, 1]
    candidates = np.stack([
        np.stack([big / 4, m21_12 / big, m02_20 / big, m10_01 / big], -1),
        np.stack([m21_12 / big, big / 4, m10p01 / big, m02p20 / big], -1),
        np.stack([m02_20 / big, m10p01 / big, big / 4, m21p12 / big], -1),
        np.stack([m10_01 / big, m02p20 / big, m21p12 / big, big / 4], -1),
    ], axis=-2)
    q = np.take_along_axis(candidates, best[..., None, None], -2)[..., 0, :]
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    return np.where(q[..., :1] < 0, -q, q)


def quaternion_to_matrix(q: np.ndarray) -> np.ndarray:
    """(..., 4) quaternions (w, x, y, z), normalised here -> (..., 3, 3)."""
    q = np.asarray(q, dtype=np.float64)
    q = q / np.maximum(np.linalg.norm(q, axis=-1, keepdims=True), 1e-12)
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
        np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
        np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
    ], axis=-2)


def slerp(q0: np.ndarray, q1: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Spherical interpolation between unit quaternions (..., 4) at fractions ``t`` (broadcast on the leading shape)."""
    q0, q1 = np.asarray(q0, dtype=np.float64), np.asarray(q1, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)[..., None]
    dot = np.sum(q0 * q1, axis=-1, keepdims=True)
    q1 = np.where(dot < 0, -q1, q1)  # the short way round
    dot = np.abs(dot)
    theta = np.arccos(np.clip(dot, -1.0, 1.0))
    sin = np.sin(theta)
    near = sin < 1e-6
    w0 = np.where(near, 1.0 - t, np.sin((1.0 - t) * theta) / np.where(near, 1.0, sin))
    w1 = np.where(near, t, np.sin(t * theta) / np.where(near, 1.0, sin))
    out = w0 * q0 + w1 * q1
    return out / np.linalg.norm(out, axis=-1, keepdims=True)


def yaw_rotation(radians: np.ndarray) -> np.ndarray:
    """Rotations (..., 3, 3) about the up axis (+Y) by ``radians``: +Z turns toward +X."""
    return axis_rotation("Y", np.degrees(radians))


def turn_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotations (..., 3, 3) taking unit vectors ``a`` onto unit vectors ``b`` (..., 3); opposite
    vectors get half a turn about an axis across them."""
    b = np.asarray(b, dtype=np.float64)
    a = np.broadcast_to(np.asarray(a, dtype=np.float64), b.shape)
    axis = np.cross(a, b)
    s = np.linalg.norm(axis, axis=-1)
    c = np.sum(a * b, axis=-1)
    helper = np.where(np.abs(a[..., :1]) < 0.9, [1.0, 0.0, 0.0], [0.0, 1.0, 0.0])
    across = np.cross(a, helper)
    flip = (s < 1e-9) & (c < 0)
    n = np.where(flip[..., None], across, axis)
    n = n / np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-12)
    s = np.where(flip, 0.0, s)
    c = np.where(flip, -1.0, c)
    k = np.zeros(b.shape[:-1] + (3, 3))
    k[..., 0, 1], k[..., 0, 2], k[..., 1, 2] = -n[..., 2], n[..., 1], -n[..., 0]
    k[..., 1, 0], k[..., 2, 0], k[..., 2, 1] = n[..., 2], -n[..., 1], n[..., 0]
    return np.eye(3) + s[..., None, None] * k + (1.0 - c)[..., None, None] * (k @ k)


def align(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The rotation (3, 3) taking the vectors ``source`` (n, 3) nearest onto ``target`` (Kabsch; the smallest
    turn for a single vector)."""
    source, target = np.asarray(source, dtype=np.float64), np.asarray(target, dtype=np.float64)
    if len(source) == 1:
        a, b = source[0], target[0]
        return turn_between(a / max(float(np.linalg.norm(a)), 1e-12), b / max(float(np.linalg.norm(b)), 1e-12))
    u, _, vt = np.linalg.svd(target.T @ source)
    d = np.sign(np.linalg.det(u @ vt)) or 1.0
    return u @ np.diag([1.0, 1.0, d]) @ vt
