"""Weight-free quality figures for generated pictures, cheap enough to log while training on a CPU.

FID and KID need downloaded Inception weights; these need nothing:

- ``swd``: sliced Wasserstein distance between multi-scale 7 x 7 patches of
  the fakes and the reals (Karras et al. 2018, ProGAN), x 1e3, lower = closer.
- ``diversity``: how different the samples are from each other (collapse -> 0).
- ``nn_distance`` and ``copy_rate``: how close samples come to a training
  picture, the alarm for a net that memorised a small folder.

Everything is numpy (no torch import); tensors are accepted as they come.
What the figures need from the training set is gathered once in a
:class:`PaintingReference`, so logging during training only pays for the fakes.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from studio.core.domain import Corpus

PATCH = 7
SMALLEST_LEVEL = 16
THUMB = 32
COPY_RATIO = 0.4
"""A sample is a copy when it is closer to its nearest training picture than this share of that
picture's own distance to *its* nearest neighbour in the set.  Judging per neighbour matters:
smooth pictures (skies, colour fields) sit much closer together than busy ones, so one global
threshold would call fresh skies copies and miss copied busy pictures."""

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


# --- sliced Wasserstein distance -----------------------------------------------------------


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


@dataclass
class _SwdLevel:
    draws: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    sorted_real: np.ndarray  # patches x projections, each column sorted


@dataclass
class _SwdReal:
    """The real side of the SWD, which stays the same all run: patch draws, normalisation, sorted projections."""

    shape: tuple[int, ...]
    directions: np.ndarray
    levels: list[_SwdLevel]

    def distance(self, fake: np.ndarray) -> float:
        if fake.shape[1:] != self.shape:
            raise ValueError(f"fake {fake.shape[1:]} and real {self.shape} pictures differ in shape")
        total = []
        for level, band in zip(self.levels, laplacian_pyramid(fake)):
            pf = (_patches(band, level.draws) - level.mean) / level.std
            projected = np.sort(pf.reshape(len(pf), -1) @ self.directions, axis=0)
            total.append(float(np.abs(projected - level.sorted_real).mean()))
        return 1e3 * float(np.mean(total))


def _swd_real(real: np.ndarray, patches: int, projections: int, seed: int) -> _SwdReal:
    """Unlike ProGAN, fakes are normalised with the *real* patches' per-channel mean and spread,
    so a generator whose colours drift is penalised too."""
    if min(real.shape[2:]) < PATCH:
        raise ValueError(f"pictures must be at least {PATCH} px for patch statistics")
    rng = np.random.default_rng(seed)
    directions = rng.standard_normal((real.shape[1] * PATCH * PATCH, projections)).astype(np.float32)
    directions /= np.linalg.norm(directions, axis=0, keepdims=True)
    levels = []
    for band in laplacian_pyramid(real):
        draws = rng.random((patches, 3))
        pr = _patches(band, draws)
        mean = pr.mean(axis=(0, 2, 3), keepdims=True)
        std = pr.std(axis=(0, 2, 3), keepdims=True) + 1e-6
        projected = np.sort(((pr - mean) / std).reshape(patches, -1) @ directions, axis=0)
        levels.append(_SwdLevel(draws, mean, std, projected))
    return _SwdReal(tuple(real.shape[1:]), directions, levels)


def sliced_wasserstein(
    fake_u8: Any, real_u8: Any, patches: int = 4096, projections: int = 256, seed: int = 0
) -> float:
    """ProGAN's SWD on Laplacian-pyramid 7 x 7 patches, averaged over levels, x 1e3 (lower = better).

    Deterministic for a given ``seed``; identical sets give exactly 0.
    """
    return _swd_real(_as_nchw_u8(real_u8), patches, projections, seed).distance(_as_nchw_u8(fake_u8))


# --- distances between whole pictures -----------------------------------------------------


def thumbnails(images_u8: Any, side: int = THUMB) -> np.ndarray:
    """N x D float32 rows of box-filtered thumbnails in [0, 1] (about ``side`` px), for distances."""
    x = _as_nchw_u8(images_u8)
    n, c, h, w = x.shape
    f = max(1, min(h, w) // side)
    h2, w2 = (h // f) * f, (w // f) * f
    # Summing in uint32 avoids a float copy of the whole (possibly large) training set.
    sums = x[:, :, :h2, :w2].reshape(n, c, h2 // f, f, w2 // f, f).sum(axis=(3, 5), dtype=np.uint32)
    return (sums.astype(np.float32) / (255.0 * f * f)).reshape(n, -1)


def _nearest(
    query: np.ndarray, bank: np.ndarray, exclude: np.ndarray | None = None, block: int = 4096
) -> tuple[np.ndarray, np.ndarray]:
    """Index of and RMS pixel distance to each query row's nearest bank row (bank row ``exclude[i]``
    not allowed for query i), by blocks of matmuls to bound memory."""
    best = np.full(len(query), np.inf)
    index = np.zeros(len(query), dtype=np.int64)
    rows = np.arange(len(query))
    q_norm = (query * query).sum(1)[:, None]
    for start in range(0, len(bank), block):
        part = bank[start : start + block]
        d = q_norm + (part * part).sum(1)[None, :] - 2.0 * (query @ part.T)
        if exclude is not None:
            cols = exclude - start
            inside = (cols >= 0) & (cols < len(part))
            d[rows[inside], cols[inside]] = np.inf
        j = d.argmin(axis=1)
        better = d[rows, j] < best
        best[better] = d[rows, j][better]
        index[better] = j[better] + start
    if not len(bank):
        return index, best
    # Exact distances for the chosen pairs: the matmul form loses the zero of an exact copy to rounding.
    exact = np.sqrt(((query - bank[index]) ** 2).mean(axis=1)).astype(np.float64)
    exact[~np.isfinite(best)] = np.inf  # nothing allowed to compare with
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
    # Row by row rather than by one matmul, whose rounding would leave a collapsed batch above 0.
    total = sum(float(np.sqrt(((t[i + 1 :] - t[i]) ** 2).mean(axis=1)).sum()) for i in range(n - 1))
    return total / (n * (n - 1) / 2)


# --- the training set, gathered once ------------------------------------------------------


class PaintingReference:
    """What the figures need from a training set, computed once: thumbnails, the SWD's real side,
    and (filled in as samples land near them) each training picture's distance to its neighbour."""

    def __init__(self, real_u8: Any, max_real_swd: int = 512, seed: int = 0) -> None:
        real = _as_nchw_u8(real_u8)
        if not len(real):
            raise ValueError("the training set is empty")
        rng = np.random.default_rng(seed)
        subset = real
        if len(real) > max_real_swd:  # the SWD's cost grows with the reals; a fixed sample is enough
            subset = real[np.sort(rng.choice(len(real), max_real_swd, replace=False))]
        self.count = len(real)
        self.thumbs = thumbnails(real)
        self.swd_real = _swd_real(subset, patches=4096, projections=256, seed=seed)
        self._spacing = np.full(len(real), np.nan)
        self._lock = threading.Lock()

    def spacing(self, which: np.ndarray) -> np.ndarray:
        """Distance from training pictures ``which`` to their nearest *other* training picture."""
        which = np.asarray(which, dtype=np.int64)
        with self._lock:
            missing = np.unique(which[np.isnan(self._spacing[which])])
            if len(missing):
                if self.count < 2:
                    self._spacing[missing] = np.inf
                else:
                    self._spacing[missing] = _nearest(self.thumbs[missing], self.thumbs, exclude=missing)[1]
            return self._spacing[which]

    def nearest(self, fake_u8: Any) -> tuple[np.ndarray, np.ndarray]:
        return _nearest(thumbnails(fake_u8), self.thumbs)

    def copy_flags(self, indices: np.ndarray, distances: np.ndarray) -> np.ndarray:
        return np.asarray(distances) <= COPY_RATIO * self.spacing(indices)

    def metrics(self, fake_u8: Any) -> dict[str, float]:
        fake = _as_nchw_u8(fake_u8)
        indices, distances = self.nearest(fake)
        return {
            "swd": self.swd_real.distance(fake),
            "diversity": diversity(fake),
            "nn_distance": float(distances.mean()),
            "copy_rate": float(self.copy_flags(indices, distances).mean()),
        }


def neighbour_spacing(real_u8: Any, which: np.ndarray | None = None) -> np.ndarray:
    """Distance from training pictures ``which`` (default all) to their nearest *other* training picture."""
    thumbs = thumbnails(real_u8)
    which = np.arange(len(thumbs)) if which is None else np.asarray(which, dtype=np.int64)
    if len(thumbs) < 2:
        return np.full(len(which), np.inf)
    return _nearest(thumbs[which], thumbs, exclude=which)[1]


def copy_rate(distances: np.ndarray, real_u8: Any, indices: np.ndarray | None = None) -> float:
    """Share of samples that look copied from the training set (0..1): the memorisation alarm.

    With the ``indices`` from :func:`nearest_neighbours` each sample is judged
    against the spacing around its own neighbour (see ``COPY_RATIO``); without
    them, against the median spacing of (a sample of) the training set.
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


_REFERENCES: OrderedDict[str, PaintingReference] = OrderedDict()
_REFERENCES_LOCK = threading.Lock()


def reference_for(corpus: "Corpus") -> PaintingReference:
    """The corpus's reference, built on first use and kept (for the two latest corpora) by fingerprint."""
    with _REFERENCES_LOCK:
        ref = _REFERENCES.get(corpus.fingerprint)
        if ref is None:
            ref = PaintingReference(corpus.data)
            _REFERENCES[corpus.fingerprint] = ref
            while len(_REFERENCES) > 2:
                _REFERENCES.popitem(last=False)
        _REFERENCES.move_to_end(corpus.fingerprint)
        return ref


def painting_metrics(fake_u8: Any, real_u8: Any) -> dict[str, float]:
    """The figures logged while training: swd (x1e3), diversity, nn_distance (mean), copy_rate.

    ``real_u8`` may be the training pictures or, to skip the per-call set-up,
    a :class:`PaintingReference` (see :func:`reference_for`).
    """
    reference = real_u8 if isinstance(real_u8, PaintingReference) else PaintingReference(real_u8)
    return reference.metrics(fake_u8)
