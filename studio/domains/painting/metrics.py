"""Weight-free quality figures for generated pictures, cheap enough to log while training on a CPU.

FID and KID need downloaded Inception weights; these need nothing:

- ``swd``: sliced Wasserstein distance between multi-scale 7 x 7 patches of
  the fakes and the reals (Karras et al. 2018, ProGAN), x 1e3, lower = closer.
- ``diversity``: how different the samples are from each other (collapse -> 0).
- ``nn_distance`` and ``copy_rate``: how close samples come to a training
  picture, the alarm for a net that memorised a small folder.

Everything is numpy (no torch import), and tensors are accepted as they come.
"""
from __future__ import annotations

from typing import Any

import numpy as np

PATCH = 7
SMALLEST_LEVEL = 16
THUMB = 32
_BINOMIAL = np.array([1.0, 4.0, 6.0, 4.0, 1.0], dtype=np.float32) / 16.0


def _as_nchw_u8(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.ndim != 4:
        raise ValueError(f"expected N x C x H x W pictures, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        raise ValueError(f"expected uint8 pictures, got {arr.dtype}")
    return arr


def _blur(x: np.ndarray, gain: float = 1.0) -> np.ndarray:
    """Separable 5-tap binomial filter over the last two axes, edges reflected."""
    k = _BINOMIAL * gain
    p = np.pad(x, [(0, 0), (0, 0), (2, 2), (0, 0)], mode="reflect")
    x = sum(k[i] * p[:, :, i : i + x.shape[2]] for i in range(5))
    p = np.pad(x, [(0, 0), (0, 0), (0, 0), (2, 2)], mode="reflect")
    return sum(k[i] * p[:, :, :, i : i + x.shape[3]] for i in range(5))


def _upsample(x: np.ndarray) -> np.ndarray:
    n, c, h, w = x.shape
    up = np.zeros((n, c, 2 * h, 2 * w), dtype=x.dtype)
    up[:, :, ::2, ::2] = x
    return _blur(up, gain=2.0)


def laplacian_pyramid(images: np.ndarray) -> list[np.ndarray]:
    """Band-pass levels, finest first, down to 16 px; the last level is the low-pass rest."""
    g = images.astype(np.float32) / 255.0
    levels: list[np.ndarray] = []
    while min(g.shape[2:]) >= 2 * SMALLEST_LEVEL and min(g.shape[2:]) % 2 == 0:
        small = _blur(g)[:, :, ::2, ::2]
        levels.append(g - _upsample(small))
        g = small
    levels.append(g)
    return levels


def _patches(level: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """7 x 7 patches at ``draws`` (count x 3 uniforms: picture, row, column), as count x C x 7 x 7.

    Both sets use the same draws, so two identical sets give identical patches
    and an SWD of exactly 0 rather than a sampling-noise floor.
    """
    n, c, h, w = level.shape
    idx = (draws[:, 0] * n).astype(np.int64)[:, None, None, None]
    ys = (draws[:, 1] * (h - PATCH + 1)).astype(np.int64)[:, None, None, None] + np.arange(PATCH)[None, None, :, None]
    xs = (draws[:, 2] * (w - PATCH + 1)).astype(np.int64)[:, None, None, None] + np.arange(PATCH)[None, None, None, :]
    return level[idx, np.arange(c)[None, :, None, None], ys, xs]


def _sliced_distance(a: np.ndarray, b: np.ndarray, directions: np.ndarray) -> float:
    pa = np.sort(a.reshape(len(a), -1) @ directions, axis=0)
    pb = np.sort(b.reshape(len(b), -1) @ directions, axis=0)
    return float(np.abs(pa - pb).mean())


def sliced_wasserstein(
    fake_u8: Any, real_u8: Any, patches: int = 4096, projections: int = 256, seed: int = 0
) -> float:
    """ProGAN's SWD on Laplacian-pyramid patches, averaged over levels, x 1e3 (lower = better).

    Unlike ProGAN, both sets are normalised with the *real* patches' per-channel
    mean and spread, so a generator whose colours drift is penalised too.
    Deterministic for a given ``seed``.
    """
    fake, real = _as_nchw_u8(fake_u8), _as_nchw_u8(real_u8)
    if fake.shape[1:] != real.shape[1:]:
        raise ValueError(f"fake {fake.shape[1:]} and real {real.shape[1:]} pictures differ in shape")
    if min(fake.shape[2:]) < PATCH:
        raise ValueError(f"pictures must be at least {PATCH} px for patch statistics")
    rng = np.random.default_rng(seed)
    dim = fake.shape[1] * PATCH * PATCH
    directions = rng.standard_normal((dim, projections)).astype(np.float32)
    directions /= np.linalg.norm(directions, axis=0, keepdims=True)
    total = []
    for lf, lr in zip(laplacian_pyramid(fake), laplacian_pyramid(real)):
        draws = rng.random((patches, 3))
        pf, pr = _patches(lf, draws), _patches(lr, draws)
        mean = pr.mean(axis=(0, 2, 3), keepdims=True)
        std = pr.std(axis=(0, 2, 3), keepdims=True) + 1e-6
        total.append(_sliced_distance((pf - mean) / std, (pr - mean) / std, directions))
    return 1e3 * float(np.mean(total))


def thumbnails(images_u8: Any, side: int = THUMB) -> np.ndarray:
    """N x D float32 rows of box-filtered thumbnails in [0, 1] (about ``side`` px), for distances."""
    x = _as_nchw_u8(images_u8)
    n, c, h, w = x.shape
    f = max(1, min(h, w) // side)
    h2, w2 = (h // f) * f, (w // f) * f
    x = x[:, :, :h2, :w2].astype(np.float32).reshape(n, c, h2 // f, f, w2 // f, f).mean(axis=(3, 5))
    return (x / 255.0).reshape(n, -1)


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise squared L2 by one matmul (|a|^2 + |b|^2 - 2ab), clipped at 0 against rounding."""
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return np.maximum(d, 0.0)


def _nearest(query: np.ndarray, bank: np.ndarray, exclude_self: bool = False, block: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Index of and RMS pixel distance to each query row's nearest bank row, in bank blocks to bound memory."""
    best = np.full(len(query), np.inf, dtype=np.float64)
    index = np.zeros(len(query), dtype=np.int64)
    for start in range(0, len(bank), block):
        d = _squared_distances(query, bank[start : start + block])
        if exclude_self:
            rows = np.arange(len(query))
            cols = rows - start
            inside = (cols >= 0) & (cols < d.shape[1])
            d[rows[inside], cols[inside]] = np.inf
        j = d.argmin(axis=1)
        better = d[np.arange(len(query)), j] < best
        best[better] = d[np.arange(len(query)), j][better]
        index[better] = j[better] + start
    # Exact distances for the chosen pairs: the matmul form loses the zero of an exact copy to rounding.
    exact = np.sqrt(((query - bank[index]) ** 2).mean(axis=1)) if len(bank) else np.full(len(query), np.inf)
    return index, exact


def nearest_neighbours(fake_u8: Any, real_u8: Any) -> tuple[np.ndarray, np.ndarray]:
    """For each sample, the index of the closest training picture and the RMS pixel distance to it (0..1)."""
    return _nearest(thumbnails(fake_u8), thumbnails(real_u8))


def diversity(fake_u8: Any) -> float:
    """Mean RMS pixel distance between pairs of samples (0..1): 0 when every sample is the same picture."""
    t = thumbnails(fake_u8)
    n = len(t)
    if n < 2:
        return 0.0
    d = np.sqrt(_squared_distances(t, t) / t.shape[1])
    return float(d[np.triu_indices(n, k=1)].mean())


COPY_RATIO = 0.4
"""A sample is a copy when it is closer to its nearest training picture than this share of that
picture's own distance to *its* nearest neighbour in the set.  Calibrating per neighbour matters:
smooth pictures (skies, colour fields) sit much closer together than busy ones, so one global
threshold would call fresh skies copies and miss copied busy pictures."""


def neighbour_spacing(real_u8: Any, which: np.ndarray | None = None) -> np.ndarray:
    """Distance from training pictures ``which`` (default all) to their nearest *other* training picture."""
    bank = thumbnails(real_u8)
    chosen = np.arange(len(bank)) if which is None else np.unique(np.asarray(which, dtype=np.int64))
    if len(bank) < 2:
        return np.full(len(chosen), np.inf)
    # Queries first in the bank lets exclude_self skip each one's own row.
    order = np.concatenate([chosen, np.setdiff1d(np.arange(len(bank)), chosen)])
    _, spacing = _nearest(bank[chosen], bank[order], exclude_self=True)
    if which is None:
        return spacing
    return spacing[np.searchsorted(chosen, np.asarray(which, dtype=np.int64))]


def copy_rate(distances: np.ndarray, real_u8: Any, indices: np.ndarray | None = None) -> float:
    """Share of samples that look copied from the training set (0..1): the memorisation alarm.

    With the ``indices`` from :func:`nearest_neighbours` each sample is judged
    against the spacing around its own neighbour (see ``COPY_RATIO``); without
    them, against the median spacing of a sample of the training set.
    """
    distances = np.asarray(distances, dtype=np.float64)
    if distances.size == 0:
        return 0.0
    if indices is not None:
        limit = COPY_RATIO * neighbour_spacing(real_u8, indices)
    else:
        n = len(real_u8)
        sample = np.random.default_rng(0).choice(n, size=min(n, 256), replace=False)
        limit = COPY_RATIO * float(np.median(neighbour_spacing(real_u8, sample)))
    return float((distances <= limit).mean())


def painting_metrics(fake_u8: Any, real_u8: Any, max_real_swd: int = 512, seed: int = 0) -> dict[str, float]:
    """The figures logged while training: swd (x1e3), diversity, nn_distance (mean), copy_rate.

    SWD compares against a fixed random subset of at most ``max_real_swd``
    reals (its cost grows with them); the copy check looks at all of them.
    """
    fake, real = _as_nchw_u8(fake_u8), _as_nchw_u8(real_u8)
    rng = np.random.default_rng(seed)
    subset = real if len(real) <= max_real_swd else real[np.sort(rng.choice(len(real), max_real_swd, replace=False))]
    indices, distances = nearest_neighbours(fake, real)
    return {
        "swd": sliced_wasserstein(fake, subset, seed=seed),
        "diversity": diversity(fake),
        "nn_distance": float(distances.mean()),
        "copy_rate": copy_rate(distances, real, indices),
    }
