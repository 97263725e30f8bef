"""Turns a folder of pictures into one N x 3 x S x S uint8 tensor, and says what it left out.

Artists' folders are messy: phone photos lying on their side, transparent
PNGs, palette GIFs, CMYK scans, 16-bit TIFFs, half-copied files, a text file
someone renamed to ``.png``.  Each file either becomes one square training
image or one line in the report naming its problem; nothing here raises for
a bad file.
"""
from __future__ import annotations

import io
import os
import re
import statistics
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from studio.core.domain import CancelFn, Corpus, ImportReport, ProgressFn
from studio.core.folder_import import FileProblem, FolderRecipe, Listing, import_with

if TYPE_CHECKING:
    import torch

DOMAIN = "painting"

IMPORTER_VERSION = 1
"""Part of the cache key: bump it when the pixels an import produces change."""

MAX_PIXELS = 120_000_000
"""Largest picture decoded (a 108 MP phone photo fits).  Bigger ones are refused from
their header alone: a 30000 x 30000 PNG would need gigabytes before it could be shrunk."""

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".apng", ".webp", ".bmp", ".dib", ".tif", ".tiff", ".gif"}
)
UNSUPPORTED_SUFFIXES = {
    ".heic": "HEIC/HEIF photos are not supported: export them as JPEG or PNG",
    ".heif": "HEIC/HEIF photos are not supported: export them as JPEG or PNG",
    ".avif": "AVIF images are not supported: export them as JPEG, PNG or WebP",
    ".svg": "vector (SVG) images are not supported: export them as PNG",
    ".psd": "Photoshop files are not supported: export them as PNG",
    ".cr2": "camera RAW files are not supported: export them as JPEG or TIFF",
    ".cr3": "camera RAW files are not supported: export them as JPEG or TIFF",
    ".nef": "camera RAW files are not supported: export them as JPEG or TIFF",
    ".arw": "camera RAW files are not supported: export them as JPEG or TIFF",
    ".dng": "camera RAW files are not supported: export them as JPEG or TIFF",
    ".orf": "camera RAW files are not supported: export them as JPEG or TIFF",
    ".raf": "camera RAW files are not supported: export them as JPEG or TIFF",
    ".rw2": "camera RAW files are not supported: export them as JPEG or TIFF",
}
class _UnsupportedMode(ValueError):
    """A colour mode Pillow cannot turn into RGB (LAB, HSV...)."""


@dataclass
class _Decoded:
    """The outcome of reading one file: pixels, or the reason there are none."""

    pixels: np.ndarray | None = None
    reason: str = ""
    source_size: tuple[int, int] = (0, 0)
    image_format: str = ""


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _icc_to_srgb(im: Image.Image) -> Image.Image | None:
    """Colour-managed conversion of RGB/CMYK pictures that carry a profile (Display P3 photos, Adobe RGB
    and CMYK scans), so the net learns the colours the artist sees; None when there is none to apply."""
    icc = im.info.get("icc_profile")
    if not icc or im.mode not in ("RGB", "CMYK"):
        return None
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(im, source, _SRGB, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None  # a broken profile only costs colour accuracy


def _to_rgb(im: Image.Image) -> Image.Image:
    """Any Pillow mode -> 8-bit sRGB, transparency composited over white (an artist's blank canvas)."""
    managed = _icc_to_srgb(im)
    if managed is not None:
        return managed
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        arr = np.asarray(im, dtype=np.float32)
        if im.mode == "F" and arr.size and float(arr.max()) <= 1.0:
            arr = arr * 255.0
        elif im.mode.startswith("I;16") or (arr.size and float(arr.max()) > 255.0):
            arr = arr / 257.0
        im = Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8), "L")
    has_alpha = im.mode in ("RGBA", "LA", "La", "RGBa", "PA") or (
        im.mode in ("P", "L", "RGB") and "transparency" in im.info
    )
    if has_alpha:
        rgba = im.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(canvas, rgba).convert("RGB")
    if im.mode == "RGB":
        return im
    try:
        return im.convert("RGB")
    except ValueError as err:
        raise _UnsupportedMode(f"unsupported colour mode {im.mode}") from err


def _square(im: Image.Image, size: int) -> Image.Image:
    """Short side to ``size`` and centre crop, in one resample of the central square."""
    w, h = im.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    box = (left, top, left + side, top + side)
    if side == size:
        return im.crop(box)
    return im.resize((size, size), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)


def _open_checked(path: Path, size: int) -> tuple[Image.Image | None, str]:
    """Opens the header only and refuses what should not be decoded."""
    im = Image.open(path)
    w, h = im.size
    if w * h > MAX_PIXELS:
        im.close()
        return None, (
            f"refused as a possible decompression bomb: {w} x {h} = {w * h / 1e6:.0f} megapixels "
            f"(limit {MAX_PIXELS / 1e6:.0f})"
        )
    if min(w, h) < (size + 1) // 2:
        im.close()
        return None, f"too small: {w} x {h} px (needs a short side of at least {(size + 1) // 2} px for size {size})"
    return im, ""


def _bomb_reason(err: Exception) -> str:
    """Pillow refused the header itself (far over its own limit); say how big it claimed to be."""
    found = re.search(r"\((\d+) pixels\)", str(err))
    claimed = f"{int(found.group(1)) / 1e6:.0f} megapixels" if found else "a huge size"
    return f"refused as a possible decompression bomb: the header claims {claimed} (limit {MAX_PIXELS / 1e6:.0f})"


def _apply_orientation(im: Image.Image) -> None:
    """Turns phone photos upright; a garbled EXIF block leaves the picture as stored rather than lost."""
    try:
        ImageOps.exif_transpose(im, in_place=True)
    except (ValueError, KeyError, TypeError, SyntaxError, OSError):
        pass


def _decode(path: Path, size: int) -> _Decoded:
    """One file -> one size x size RGB array, or the reason why not (never raises for a bad file)."""
    try:
        if path.stat().st_size == 0:
            return _Decoded(reason="empty file (0 bytes)")
        im, reason = _open_checked(path, size)
        if im is None:
            return _Decoded(reason=reason)
        with im:
            source = im.size
            fmt = im.format or ""
            if fmt == "JPEG":
                im.draft("RGB", (2 * size, 2 * size))  # DCT scaling: decode 1/2..1/8 of the pixels
            im.load()
            _apply_orientation(im)
            if im.mode in ("RGB", "CMYK") and "transparency" not in im.info:
                # Resample first, so colour management works on size² pixels rather than megapixels.
                pixels = np.asarray(_to_rgb(_square(im, size)), dtype=np.uint8)
            else:  # palette, 16-bit and transparent pictures must become RGB before resampling
                pixels = np.asarray(_square(_to_rgb(im), size), dtype=np.uint8)
        return _Decoded(pixels=pixels, source_size=source, image_format=fmt)
    except FileNotFoundError:
        return _Decoded(reason="vanished during import (file not found)")
    except PermissionError:
        return _Decoded(reason="unreadable: permission denied")
    except IsADirectoryError:
        return _Decoded(reason="unreadable: is a folder")
    except UnidentifiedImageError:
        return _Decoded(reason="not an image: the contents are not a picture format Pillow can read")
    except Image.DecompressionBombError as err:
        return _Decoded(reason=_bomb_reason(err))
    except _UnsupportedMode as err:
        return _Decoded(reason=str(err))
    except MemoryError:
        return _Decoded(reason="too large to decode in the available memory")
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, KeyError, ZeroDivisionError) as err:
        # Pillow's plugins signal damaged data with any of these.
        text = str(err) or type(err).__name__
        if isinstance(err, OSError) and err.errno is not None:
            return _Decoded(reason=f"unreadable: {err.strerror or text}")
        return _Decoded(reason=f"damaged or truncated image: {text}")


def _size_option(options: dict[str, Any]) -> int:
    size = int(options.get("size", 64))
    if size < 8:
        raise ValueError(f"image size must be at least 8 px, got {size}")
    return size


def _workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def _other_reason(path: Path) -> str:
    """Every other visible file is listed: an artist who dropped a HEIC photo in the folder wants to know why."""
    suffix = path.suffix.lower()
    return UNSUPPORTED_SUFFIXES.get(suffix) or f"not an image file type ({suffix or 'no extension'})"


def _read(path: Path, size: int) -> _Decoded:
    decoded = _decode(path, size)
    if decoded.pixels is None:
        raise FileProblem(decoded.reason)
    return decoded


def _assemble(items: list[tuple[Path, Any]], report: ImportReport, listing: Listing,
              size: int) -> "tuple[torch.Tensor, dict[str, Any]]":
    """The pictures as one N x 3 x S x S block (row i = ``report.imported[i]``)."""
    import torch

    pixels = np.empty((len(items), size, size, 3), dtype=np.uint8)
    sources: list[tuple[int, int]] = []
    formats: Counter = Counter()
    for i, (path, decoded) in enumerate(items):
        pixels[i] = decoded.pixels
        items[i] = (path, None)  # each picture's own array goes as soon as it is in the block
        report.imported.append(str(path))
        sources.append(decoded.source_size)
        formats[decoded.image_format or "unknown"] += 1
    report.details = _details(size, sources, formats, listing.ignored)
    data = torch.from_numpy(np.ascontiguousarray(pixels.transpose(0, 3, 1, 2)))
    return data, {"size": size, "channels": 3}


def _details(size: int, sources: list[tuple[int, int]], formats: Counter, ignored: int) -> dict[str, Any]:
    shorts = [min(s) for s in sources]
    details: dict[str, Any] = {"size": size, "formats": dict(formats), "ignored_hidden_or_system": ignored}
    if shorts:
        details["source_short_side"] = {
            "min": min(shorts),
            "median": int(statistics.median(shorts)),
            "max": max(shorts),
        }
        details["upscaled"] = sum(1 for s in shorts if s < size)
    return details


def import_images(
    folder: str | Path,
    options: dict[str, Any],
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> Corpus:
    """Imports every picture under ``folder`` as a ``size`` x ``size`` RGB square (row i = ``report.imported[i]``),
    by the shared routine (core/folder_import.py): cached, reported, ``NotADirectoryError`` for a missing folder.
    """
    size = _size_option(options)
    recipe = FolderRecipe(
        DOMAIN, IMAGE_SUFFIXES, key={**options, "size": size, "importer_version": IMPORTER_VERSION},
        read=lambda path, reading: _read(path, size),
        assemble=lambda items, report, listing: _assemble(items, report, listing, size),
        other_reason=_other_reason, threads=_workers(),  # Pillow releases the GIL while it decodes
    )
    with warnings.catch_warnings():
        # MAX_PIXELS decides; set here, on the calling thread, because the filter list is
        # process-wide and entering catch_warnings on the decoding threads would race.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return import_with(folder, recipe, progress, cancel)
