"""Random draws for sampled decoding that belong to the line, not to the batch it was decoded in.

One random generator shared by a batch hands each line the numbers its
position in the batch gets, so seed 5 sampled alone (an export, the explorer)
read differently from seed 5 in the gallery or in ``studio sample``: the
seed did not bring a line back.  Here every draw is a hash of the sampling
seed, the characters the line has written so far and a coarse fingerprint of
its code (which side of sixteen fixed hyperplanes it lies on), turned into
Gumbel noise: the most likely character after adding it is an exact sample
at the temperature (the Gumbel-max trick).  Lines of different codes draw
independently; a code moved a little under the mouse keeps its fingerprint,
and so its draws, so the explorer's line changes where the model's
probabilities do, not at every pixel.
"""
from __future__ import annotations

import torch

PRIME = 2_147_483_647  # 2**31 - 1: every product below stays inside int64
MULTIPLIERS = (48_271, 69_621, 16_807)
FINGERPRINT_BITS = 16
FINGERPRINT_SEED = 20_261_122


def _mix(x: torch.Tensor) -> torch.Tensor:
    """A deterministic scramble of non-negative int64 values into [0, PRIME)."""
    x = x % PRIME
    for m in MULTIPLIERS:
        x = (x * m) % PRIME
        x = x ^ (x >> 13)
    return x


def _fingerprint(codes: torch.Tensor) -> torch.Tensor:
    """Which side of FINGERPRINT_BITS fixed random hyperplanes each code lies on, as an integer per row."""
    gen = torch.Generator().manual_seed(FINGERPRINT_SEED)
    planes = torch.randn(codes.shape[1], FINGERPRINT_BITS, generator=gen).to(codes.device, codes.dtype)
    sides = (codes @ planes > 0).long()
    return (sides << torch.arange(FINGERPRINT_BITS, device=codes.device)).sum(dim=1)


class LineDraws:
    """Picks each line's next character at ``temperature`` from noise keyed by (seed, code, prefix)."""

    def __init__(self, codes: torch.Tensor, seed: int, temperature: float) -> None:
        self.temperature = max(1e-3, float(temperature))
        self.keys = _mix(_fingerprint(codes) + (int(seed) % PRIME) * 1_000_003)

    def __call__(self, logp: torch.Tensor) -> torch.Tensor:
        chars = torch.arange(logp.shape[1], device=logp.device)
        uniform = (_mix(self.keys.unsqueeze(1) * logp.shape[1] + chars).double() + 0.5) / PRIME
        gumbel = -torch.log(-torch.log(uniform)).to(logp.dtype)
        token = (logp / self.temperature + gumbel).argmax(dim=1)
        self.keys = _mix(self.keys * 1_000_003 + token + 1)
        return token
