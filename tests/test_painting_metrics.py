"""Weight-free painting metrics against cases with known answers."""
from __future__ import annotations

import time

import numpy as np
import torch

from studio.domains.painting.metrics import (
    copy_rate,
    diversity,
    nearest_neighbours,
    painting_metrics,
    sliced_wasserstein,
)


def _paintings(n: int, size: int = 32, seed: int = 0) -> np.ndarray:
    """Smooth pictures of one family: a coloured rectangle on a tinted ground."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, 3, size, size), np.uint8)
    for i in range(n):
        ground = rng.integers(150, 230, 3)
        out[i] = ground[:, None, None]
        x0, y0 = rng.integers(0, size // 2, 2)
        w, h = rng.integers(size // 4, size // 2, 2)
        out[i, :, y0 : y0 + h, x0 : x0 + w] = rng.integers(0, 120, 3)[:, None, None]
    return out


def test_swd_separates_same_distribution_from_noise():
    real = _paintings(128)
    other = _paintings(128, seed=1)
    noise = np.random.default_rng(2).integers(0, 256, real.shape, dtype=np.uint8)
    same = sliced_wasserstein(other, real)
    assert sliced_wasserstein(real, real) < 1e-6
    assert same * 5 < sliced_wasserstein(noise, real)
    assert sliced_wasserstein(torch.from_numpy(other), torch.from_numpy(real)) == same  # tensors welcome


def test_swd_is_cheap_enough_to_log_while_training():
    fake, real = _paintings(64, 64), _paintings(256, 64, seed=1)
    sliced_wasserstein(fake, real)
    started = time.perf_counter()
    sliced_wasserstein(fake, real)
    assert time.perf_counter() - started < 5  # ~0.3 s on an idle core; loose for shared machines


def test_diversity_is_zero_for_identical_samples_and_grows_with_variety():
    one = np.repeat(_paintings(1), 8, axis=0)
    assert diversity(one) == 0.0
    assert diversity(_paintings(8)) > 0.05


def test_nearest_neighbour_finds_an_exact_copy():
    real = _paintings(50)
    fake = np.concatenate([_paintings(3, seed=9), real[17:18]])
    indices, distances = nearest_neighbours(fake, real)
    assert indices[3] == 17 and distances[3] == 0.0
    assert (distances[:3] > 0).all()


def test_copy_rate_flags_copies_and_not_fresh_samples():
    real = _paintings(200)
    fresh = _paintings(40, seed=5)
    copies = real[:40].astype(np.int16) + np.random.default_rng(0).integers(-3, 4, real[:40].shape)
    copies = np.clip(copies, 0, 255).astype(np.uint8)  # memorised, with a little GAN noise
    idx, dist = nearest_neighbours(copies, real)
    assert copy_rate(dist, real, idx) == 1.0
    assert copy_rate(dist, real) == 1.0
    idx, dist = nearest_neighbours(fresh, real)
    assert copy_rate(dist, real, idx) <= 0.05


def test_painting_metrics_reports_the_four_figures():
    real = _paintings(64)
    figures = painting_metrics(_paintings(16, seed=3), real)
    assert set(figures) == {"swd", "diversity", "nn_distance", "copy_rate"}
    assert all(isinstance(v, float) and np.isfinite(v) for v in figures.values())
    collapsed = painting_metrics(np.repeat(real[:1], 16, axis=0), real)
    assert collapsed["diversity"] == 0.0 and collapsed["copy_rate"] == 1.0 and collapsed["nn_distance"] == 0.0


def test_reference_gives_the_same_figures_and_is_reused():
    from studio.core.domain import Corpus, ImportReport
    from studio.domains.painting.metrics import PaintingReference, reference_for

    real = _paintings(64)
    fake = _paintings(16, seed=3)
    reference = PaintingReference(real)
    assert reference.metrics(fake) == painting_metrics(fake, real)
    assert painting_metrics(fake, reference) == painting_metrics(fake, real)
    corpus = Corpus(torch.from_numpy(real), {"size": 32, "channels": 3}, "abc", ImportReport("x"))
    assert reference_for(corpus) is reference_for(corpus)


def test_swd_ranks_blur_and_colour_drift_behind_fresh_samples():
    real, fresh = _paintings(128), _paintings(64, seed=1)
    shifted = np.clip(fresh.astype(int) + np.array([40, -20, 0])[None, :, None, None], 0, 255).astype(np.uint8)
    f = fresh.astype(np.float32)
    blurred = ((f + np.roll(f, 1, 2) + np.roll(f, 1, 3) + np.roll(f, (1, 1), (2, 3))) / 4).astype(np.uint8)
    swd_fresh = sliced_wasserstein(fresh, real)
    assert swd_fresh < sliced_wasserstein(blurred, real)
    assert swd_fresh < sliced_wasserstein(shifted, real)
