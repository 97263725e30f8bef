"""DiffAugment-style differentiable augmentation on whole batches (Zhao et al. 2020 idea).

Applied to real and fake batches alike, in both D and G steps, so D cannot
memorise a small folder.  Works on any N x C x H x W tensor: images, and
piano-rolls treated as one-channel pictures over time x pitch.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _uniform(n: int, like: torch.Tensor, generator: torch.Generator, low: float, high: float) -> torch.Tensor:
    r = torch.rand(n, 1, 1, 1, generator=generator, device=generator.device)
    return (low + (high - low) * r).to(like.device, like.dtype)


def color(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random brightness, saturation and contrast per sample."""
    n = x.shape[0]
    x = x + _uniform(n, x, generator, -0.5, 0.5)
    if x.shape[1] > 1:
        mean = x.mean(dim=1, keepdim=True)
        x = (x - mean) * _uniform(n, x, generator, 0.0, 2.0) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * _uniform(n, x, generator, 0.5, 1.5) + mean


def translation(x: torch.Tensor, generator: torch.Generator, ratio: float = 0.125, axes: str = "hw") -> torch.Tensor:
    """Shifts each sample by up to ``ratio`` of its size, zero-padding what comes in."""
    n, _, h, w = x.shape
    dev = generator.device
    sh = int(h * ratio + 0.5) if "h" in axes else 0
    sw = int(w * ratio + 0.5) if "w" in axes else 0
    ty = torch.randint(-sh, sh + 1, (n, 1, 1), generator=generator, device=dev).to(x.device)
    tx = torch.randint(-sw, sw + 1, (n, 1, 1), generator=generator, device=dev).to(x.device)
    gy, gx = torch.meshgrid(
        torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij"
    )
    gy = (gy.unsqueeze(0) + ty + 1).clamp(0, h + 1)
    gx = (gx.unsqueeze(0) + tx + 1).clamp(0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1])
    flat = padded.reshape(n, x.shape[1], -1)
    index = (gy * (w + 2) + gx).reshape(n, 1, -1).expand(-1, x.shape[1], -1)
    return flat.gather(2, index).reshape_as(x)


def cutout(x: torch.Tensor, generator: torch.Generator, ratio: float = 0.5) -> torch.Tensor:
    """Blanks one random rectangle, ``ratio`` of each side, per sample."""
    n, _, h, w = x.shape
    dev = generator.device
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = torch.randint(0, h, (n, 1, 1), generator=generator, device=dev).to(x.device) - ch // 2
    left = torch.randint(0, w, (n, 1, 1), generator=generator, device=dev).to(x.device) - cw // 2
    gy = torch.arange(h, device=x.device).view(1, h, 1)
    gx = torch.arange(w, device=x.device).view(1, 1, w)
    inside = (gy >= top) & (gy < top + ch) & (gx >= left) & (gx < left + cw)
    return x * (~inside).unsqueeze(1).to(x.dtype)


_OPS = {"color": color, "translation": translation, "cutout": cutout}


def diff_augment(x: torch.Tensor, policy: str, generator: torch.Generator) -> torch.Tensor:
    """Applies the comma-separated ``policy`` ops in order (the trainer decides how many samples get them)."""
    names = [name.strip() for name in policy.split(",") if name.strip()]
    if not names:
        return x
    out = x
    for name in names:
        try:
            op = _OPS[name]
        except KeyError:
            raise ValueError(f"unknown augmentation {name!r}; known: {', '.join(_OPS)}") from None
        out = op(out, generator)
    return out
