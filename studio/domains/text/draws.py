"""Sampled decoding whose draws belong to the line, not to the batch it was decoded in.

Each step's noise comes from core.keyed_draws: a key per line made of the
sampling seed and its code's fingerprint, advanced by every character the
line writes, turned into Gumbel noise; the most likely character after
adding it is an exact sample at the temperature (the Gumbel-max trick).  So
a seed brings back its line whether decoded alone or among others.
"""
from __future__ import annotations

import torch

from studio.core.keyed_draws import SEED_STRIDE, mix, sample_keys, uniforms


class LineDraws:
    """Picks each line's next character at ``temperature`` from noise keyed by (seed, code, prefix)."""

    def __init__(self, codes: torch.Tensor, seed: int, temperature: float) -> None:
        self.temperature = max(1e-3, float(temperature))
        self.keys = sample_keys(codes, seed)

    def __call__(self, logp: torch.Tensor) -> torch.Tensor:
        gumbel = -torch.log(-torch.log(uniforms(self.keys, logp.shape[1]))).to(logp.dtype)
        token = (logp / self.temperature + gumbel).argmax(dim=1)
        self.keys = mix(self.keys * SEED_STRIDE + token + 1)
        return token
