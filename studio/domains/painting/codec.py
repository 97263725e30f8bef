"""Generator output -> pictures, and pictures -> files that remember where they came from.

Every exported PNG carries its seed and latent in a text chunk (a walk's GIF
in its comment, a WebP in its XMP packet: core/animation.py writes those), so an artist can drop a favourite back into the studio and find
it again.  Files are written to a temporary name and moved into place, so an
interrupted export never leaves half a picture under the real name.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from PIL import Image, PngImagePlugin

from studio.core.animation import INFO_KEY
from studio.core.files import write_atomically


def to_uint8(output: Any) -> np.ndarray:
    """G output (N x C x H x W floats in [-1, 1], tensor or array) -> N x 3 x H x W uint8, clamped and rounded."""
    if hasattr(output, "detach"):
        output = output.detach().float().cpu().numpy()
    arr = np.asarray(output, dtype=np.float32)
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4:
        raise ValueError(f"expected N x C x H x W generator output, got shape {arr.shape}")
    if arr.shape[1] == 1:
        arr = np.repeat(arr, 3, axis=1)
    arr = np.nan_to_num(arr[:, :3], nan=0.0, posinf=1.0, neginf=-1.0)  # a diverging net still shows something
    return np.rint(np.clip((arr + 1.0) * 127.5, 0.0, 255.0)).astype(np.uint8)


def to_images(output: Any) -> list[np.ndarray]:
    """G output -> one H x W x 3 uint8 array per sample (what the UI and exporters draw)."""
    return list(np.ascontiguousarray(to_uint8(output).transpose(0, 2, 3, 1)))


def resized(image: np.ndarray, size: int) -> np.ndarray:
    """An H×W×3 picture at ``size``×``size`` (unchanged when it already is), for comparing runs of other sizes."""
    if image.shape[0] == size and image.shape[1] == size:
        return image
    return np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.LANCZOS))


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "tolist"):  # torch tensors, without importing torch
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in picture info")


def info_json(info: dict[str, Any]) -> str:
    return json.dumps(info, default=_json_default, ensure_ascii=False, separators=(",", ":"))


def _as_pil(image: Any) -> Image.Image:
    if isinstance(image, Image.Image):
        return image.convert("RGB") if image.mode not in ("RGB", "L") else image
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        raise ValueError(f"expected a uint8 picture, got {arr.dtype}")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] != 3):
        raise ValueError(f"expected an H x W x 3 picture, got shape {arr.shape}")
    return Image.fromarray(np.ascontiguousarray(arr), "L" if arr.ndim == 2 else "RGB")


def _png_info(info: dict[str, Any]) -> PngImagePlugin.PngInfo:
    chunks = PngImagePlugin.PngInfo()
    chunks.add_itxt(INFO_KEY, info_json(info), zip=True)
    if "seed" in info and info["seed"] is not None:
        chunks.add_text("seed", str(info["seed"]))
    chunks.add_text("Software", "GAN Studio")
    return chunks


def save_png(image: Any, path: str | Path, info: dict[str, Any]) -> Path:
    """One picture as PNG with ``info`` in its text chunks (readable back with :func:`read_png_info`)."""
    pil = _as_pil(image)
    chunks = _png_info(info)
    return write_atomically(path, lambda tmp: pil.save(tmp, format="PNG", pnginfo=chunks))


def read_png_info(path: str | Path) -> dict[str, Any]:
    """The info stored in a PNG (text chunk), GIF (comment) or WebP (XMP); {} when there is none."""
    with Image.open(path) as im:
        text = dict(getattr(im, "text", {}) or {}) if im.format == "PNG" else {}
        comment = im.info.get("comment") or im.info.get("xmp") or b""
    raw = text.get(INFO_KEY)
    if raw is None and comment:
        decoded = comment.decode("utf-8", "replace") if isinstance(comment, bytes) else str(comment)
        prefix = INFO_KEY + ":"
        raw = decoded[len(prefix):] if decoded.startswith(prefix) else None
    if raw is not None:
        try:
            data = json.loads(raw)
            if isinstance(data, dict):
                return data
        except json.JSONDecodeError:
            pass
    if "seed" in text:
        try:
            return {"seed": int(text["seed"])}
        except ValueError:
            return {}
    return {}


def grid_image(images: Sequence[Any], columns: int | None = None, pad: int = 2, background: int = 24) -> Image.Image:
    """Pictures of one size side by side, ``columns`` wide (near-square by default), ``pad`` px apart and around."""
    pils = [_as_pil(im).convert("RGB") for im in images]
    if not pils:
        raise ValueError("a grid needs at least one picture")
    w, h = pils[0].size
    if any(p.size != (w, h) for p in pils):
        raise ValueError("all pictures in a grid must have the same size")
    cols = max(1, min(columns or math.ceil(math.sqrt(len(pils))), len(pils)))
    rows = math.ceil(len(pils) / cols)
    canvas = Image.new("RGB", (cols * (w + pad) + pad, rows * (h + pad) + pad), (background,) * 3)
    for i, pil in enumerate(pils):
        r, c = divmod(i, cols)
        canvas.paste(pil, (pad + c * (w + pad), pad + r * (h + pad)))
    return canvas


def save_grid_png(
    images: Sequence[Any], path: str | Path, info: dict[str, Any], columns: int | None = None, pad: int = 2
) -> Path:
    """Many pictures as one PNG grid; ``info`` (with e.g. the list of seeds) goes in its text chunk."""
    grid = grid_image(images, columns, pad)
    chunks = _png_info(info)
    return write_atomically(path, lambda tmp: grid.save(tmp, format="PNG", pnginfo=chunks))


