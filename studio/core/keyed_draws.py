"""Random numbers keyed by what is being decoded, not by its place in a batch.

A generator shared by a batch hands each sample the numbers of its position,
so a seed sampled alone (an export, the explorer) came out differently than
the same seed in the gallery or from ``studio sample``.  Here the numbers for
a sample are a hash of the sampling seed and a coarse fingerprint of the
sample's own model output: which side of 24 fixed random hyperplanes it
lies on, enough planes that different samples draw independently
(docs/experiments/2026-12-06-tuning-history.md); a latent moved a little
under the mouse keeps its fingerprint, so the explorer re-rolls where the
output crosses a plane, not at every pixel.
Integers stay below 2**31 before each product, so nothing overflows int64.
"""
from __future__ import annotations

from functools import lru_cache

import torch

PRIME = 2_147_483_647  # 2**31 - 1
MULTIPLIERS = (48_271, 69_621, 16_807)
FINGERPRINT_BITS = 24
FINGERPRINT_SEED = 20_261_122
SEED_STRIDE = 1_000_003


def mix(x: torch.Tensor) -> torch.Tensor:
    """A deterministic scramble of non-negative int64 values into [0, PRIME)."""
    x = x % PRIME
    for m in MULTIPLIERS:
        x = (x * m) % PRIME
        x = x ^ (x >> 13)
    return x


@lru_cache(maxsize=8)
def _planes(dim: int) -> torch.Tensor:
    """The fixed hyperplanes for outputs of ``dim`` numbers (made once per size)."""
    gen = torch.Generator().manual_seed(FINGERPRINT_SEED + dim)
    return torch.randn(dim, FINGERPRINT_BITS, generator=gen)


def sample_keys(outputs: torch.Tensor, seed: int) -> torch.Tensor:
    """One key per sample (row of ``outputs``, any shape after the first): its fingerprint and the seed."""
    flat = outputs.reshape(outputs.shape[0], -1).float()
    planes = _planes(flat.shape[1]).to(flat.device)
    sides = (flat @ planes > 0).long()
    fingerprint = (sides << torch.arange(FINGERPRINT_BITS, device=flat.device)).sum(dim=1)
    return mix(fingerprint + (int(seed) % PRIME) * SEED_STRIDE)


def uniforms(keys: torch.Tensor, count: int) -> torch.Tensor:
    """(N, count) float64 in (0, 1): the numbers each key draws."""
    cells = torch.arange(count, device=keys.device)
    return (mix(keys.unsqueeze(1) * count + cells).double() + 0.5) / PRIME
