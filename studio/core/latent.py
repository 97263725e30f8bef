"""Seeds, noise vectors and the ways of moving between them.

Seeds are first-class: the same seed gives the same z on every machine, so a
sample can be found again from the number printed under it.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def seed_to_z(seed: int, z_dim: int) -> np.ndarray:
    """A standard-normal vector fixed by ``seed`` (numpy's PCG64, independent of torch and device)."""
    return np.random.default_rng(int(seed) & 0xFFFFFFFFFFFFFFFF).standard_normal(z_dim).astype(np.float32)


def seeds_to_z(seeds: Sequence[int], z_dim: int) -> np.ndarray:
    return np.stack([seed_to_z(s, z_dim) for s in seeds]) if len(seeds) else np.zeros((0, z_dim), np.float32)


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation, which keeps the norm typical of Gaussian z (linear paths dip toward 0)."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return ((1 - t) * a + t * b).astype(np.float32)
    cos = np.clip(np.dot(a / na, b / nb), -1.0, 1.0)
    omega = np.arccos(cos)
    if omega < 1e-6:
        return ((1 - t) * a + t * b).astype(np.float32)
    so = np.sin(omega)
    return (np.sin((1 - t) * omega) / so * a + np.sin(t * omega) / so * b).astype(np.float32)


def ease_in_out(t: float) -> float:
    """Cosine ease: a segment leaves its anchor and arrives at the next one at rest, so an anchor lingers."""
    return float((1.0 - np.cos(np.pi * float(t))) / 2.0)


def walk(anchors: Sequence[np.ndarray], frames: int, loop: bool = False, eased: bool = False) -> np.ndarray:
    """``frames`` latents along slerp segments (great circles) through the anchors in order.

    An open walk includes both ends. A ``loop`` adds the way back from the last
    anchor to the first and leaves out the repeated first frame, so a looping
    GIF or video has no seam: its last frame is one step before its first.
    ``eased`` slows each segment down at both of its anchors.
    """
    if len(anchors) < 2:
        raise ValueError("an interpolation walk needs at least two anchors")
    if frames < len(anchors):
        raise ValueError(f"{frames} frames cannot visit {len(anchors)} anchors")
    points = list(anchors) + ([anchors[0]] if loop else [])
    segments = len(points) - 1
    out = []
    for i in range(frames):
        pos = i / (frames if loop else frames - 1) * segments
        k = min(int(pos), segments - 1)
        t = pos - k
        out.append(slerp(points[k], points[k + 1], ease_in_out(t) if eased else t))
    return np.stack(out)


def bilinear(corners: Sequence[np.ndarray], u: float, v: float) -> np.ndarray:
    """Blend of four anchors (top-left, top-right, bottom-left, bottom-right) at pad position (u, v) in [0, 1]².

    Blending is done with slerp along each axis, so the centre of the pad is as
    "typical" a latent as its corners.
    """
    tl, tr, bl, br = corners
    u = float(np.clip(u, 0.0, 1.0))
    v = float(np.clip(v, 0.0, 1.0))
    top = slerp(tl, tr, u)
    bottom = slerp(bl, br, u)
    return slerp(top, bottom, v)


def truncate(z: np.ndarray, psi: float, mean: np.ndarray | None = None) -> np.ndarray:
    """Truncation trick: pulls z toward the mean (0 for Gaussian z) by ψ; ψ=1 leaves it alone."""
    centre = np.zeros_like(z) if mean is None else mean
    return (centre + psi * (z - centre)).astype(np.float32)
