"""A per-layer latent extension: an offset added to the generator's early features, beside z.

z enters the studio's generators at their first layer only, so a picture
that G never drew from any z can be reached by moving z only so far
(docs/experiments/2026-12-06-projection.md).  Style-based generators give
inversion more room with a latent per layer (Image2StyleGAN's W+, Abdal et
al. 2019); these nets have one input, so the room is made where z has just
become features: the output of the early module that core/directions.py
reads (a 4x4 map for a painting G).  Placement learns the offset with a
penalty that keeps it near zero, and it travels with z in the placement
record and the exported file, so a reconstruction renders again the same.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from studio.core.directions import early_module

if TYPE_CHECKING:
    import torch

DECIMALS = 6  # what a record keeps of each number: a rendered extension is rounded to it first


def feature_size(generator: "torch.nn.Module", z_dim: int, device: "torch.device") -> int:
    """How many numbers an extension of ``generator`` has: the size of one latent's early features."""
    import torch

    seen: list[int] = []

    def hook(_module: Any, _inputs: Any, output: Any) -> None:
        seen.append(int(output[0].numel()))

    handle = early_module(generator).register_forward_hook(hook)
    try:
        with torch.no_grad():
            generator(torch.zeros(1, z_dim, device=device))
    finally:
        handle.remove()
    return seen[0]


@contextmanager
def extended(generator: "torch.nn.Module", offset: "torch.Tensor | None") -> Iterator[None]:
    """While inside, ``generator``'s early features get ``offset`` added: (1, D) for every latent, or (N, D)."""
    if offset is None:
        yield
        return

    def hook(_module: Any, _inputs: Any, output: "torch.Tensor") -> "torch.Tensor":
        return output + offset.to(output).reshape(-1, *output.shape[1:])

    handle = early_module(generator).register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()


def as_recorded(values: np.ndarray) -> np.ndarray:
    """``values`` as a record stores them (rounded to :data:`DECIMALS`), in float32: what renders and re-renders."""
    return np.round(np.asarray(values, np.float64), DECIMALS).astype(np.float32)

