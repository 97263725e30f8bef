"""Painting's side of placing a picture: the picture as a target, and how far a generated one is from it.

The distance needs no downloaded weights (no VGG, no LPIPS): an L1
distance of the pixels at four scales, so the large shapes and colours
count as much as the fine ones, plus an L1 distance of the Laplacian
pyramids (Bojanowski et al. 2018, "Optimizing the latent space of
generative networks", used the same "Lap1" loss to invert generators),
which compares edges and textures band by band: without it the search
settles for a blurred average colour, which pixels alone reward.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError

SCALES = 4
LAPLACIAN_WEIGHT = 1.0
_BLUR = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0


def load_target(path: str | Path, size: int) -> torch.Tensor:
    """A picture file as a 1 x 3 x size x size tensor in [-1, 1]: the centre square, resized (LANCZOS).

    A file that is not a picture raises ValueError naming the file and the reason.
    """
    path = Path(path)
    try:
        with Image.open(path) as im:
            im.load()
            rgb = im.convert("RGB")
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"{path}: cannot be read as a picture ({exc})") from None
    return picture_target(np.asarray(rgb), size)


def picture_target(picture: Any, size: int) -> torch.Tensor:
    """An H x W x 3 uint8 picture as a target: its centre square at ``size`` px, in [-1, 1]."""
    rgb = Image.fromarray(np.ascontiguousarray(np.asarray(picture, np.uint8))).convert("RGB")
    w, h = rgb.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    square = rgb.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.LANCZOS)
    pixels = torch.from_numpy(np.asarray(square, np.float32).copy()).permute(2, 0, 1)[None]
    return pixels / 127.5 - 1.0


def _blur(x: torch.Tensor) -> torch.Tensor:
    kernel = (_BLUR[:, None] * _BLUR[None, :]).to(x)
    weight = kernel.expand(x.shape[1], 1, 5, 5)
    return F.conv2d(F.pad(x, (2, 2, 2, 2), mode="reflect"), weight, groups=x.shape[1])


def laplacian_pyramid(x: torch.Tensor, levels: int) -> list[torch.Tensor]:
    """Band-pass levels, finest first, and the low-pass rest last (each level half the size of the one before)."""
    bands = []
    for _ in range(levels):
        if min(x.shape[-2:]) < 4:
            break
        low = F.avg_pool2d(_blur(x), 2)
        bands.append(x - F.interpolate(low, scale_factor=2, mode="nearest"))
        x = low
    return bands + [x]


def picture_distance(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per picture: multi-scale pixel L1 plus Laplacian-pyramid L1, both averaged over their levels.

    In G's [-1, 1] units; 0 only for the same picture.
    """
    target = target.expand_as(output)
    pixels = output.new_zeros(output.shape[0])
    a, b = output, target
    for level in range(SCALES):  # 8 px pictures (the smallest a run has) still have 4 scales: 8, 4, 2, 1
        if level:
            a, b = F.avg_pool2d(a, 2), F.avg_pool2d(b, 2)
        pixels = pixels + (a - b).abs().flatten(1).mean(dim=1)
    structure = output.new_zeros(output.shape[0])
    pairs = list(zip(laplacian_pyramid(output, SCALES), laplacian_pyramid(target, SCALES)))
    for band_out, band_target in pairs:  # a mean per level: each band counts alike, whatever its pixel count
        structure = structure + (band_out - band_target).abs().flatten(1).mean(dim=1)
    return pixels / SCALES + LAPLACIAN_WEIGHT * structure / len(pairs)
