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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from studio.core import corpus_cache
from studio.core.domain import CancelFn, Corpus, ImportCancelled, ImportReport, ProgressFn

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
# Files operating systems, photo apps and NAS boxes leave next to pictures: listing them
# as "skipped" would bury the lines that matter.
SYSTEM_FILE_NAMES = frozenset({"thumbs.db", "ehthumbs.db", "desktop.ini", "icon\r", ".ds_store"})
SYSTEM_SUFFIXES = frozenset({".db", ".ini", ".lnk", ".url", ".xmp", ".aae", ".thm", ".tmp", ".part", ".crdownload"})
SYSTEM_DIR_NAMES = frozenset({"__macosx", "@eadir", "$recycle.bin", "system volume information", "__pycache__"})


class _UnsupportedMode(ValueError):
    """A colour mode Pillow cannot turn into RGB (LAB, HSV...)."""


@dataclass
class _Decoded:
    """The outcome of reading one file: pixels, or the reason there are none."""

    pixels: np.ndarray | None = None
    reason: str = ""
    source_size: tuple[int, int] = (0, 0)
    image_format: str = ""


@dataclass
class _Listing:
    files: list[Path]
    ignored: int
    unreadable_dirs: list[tuple[str, str]]


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def _is_system_file(name: str) -> bool:
    lower = name.lower()
    return lower in SYSTEM_FILE_NAMES or Path(lower).suffix in SYSTEM_SUFFIXES or lower.startswith("~$")


def _list_files(folder: Path) -> _Listing:
    """Every visible file under ``folder`` in a stable order; hidden and system entries are only counted."""
    files: list[Path] = []
    ignored = 0
    unreadable: list[tuple[str, str]] = []

    def on_error(err: OSError) -> None:
        unreadable.append((err.filename or str(folder), f"unreadable folder: {err.strerror or err}"))

    for root, dirs, names in os.walk(folder, onerror=on_error):
        kept = sorted(d for d in dirs if not _is_hidden(d) and d.lower() not in SYSTEM_DIR_NAMES)
        ignored += len(dirs) - len(kept)
        dirs[:] = kept
        for name in sorted(names):
            if _is_hidden(name) or _is_system_file(name):
                ignored += 1
            else:
                files.append(Path(root) / name)
    return _Listing(files, ignored, unreadable)


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


def _decoded_in_order(files: list[Path], size: int, cancel: CancelFn | None) -> Iterator[tuple[Path, _Decoded]]:
    """Decodes on a few threads (Pillow releases the GIL while decoding), yielding in file order."""
    if _workers() == 1 or len(files) < 4:
        for path in files:
            if cancel is not None and cancel():
                raise ImportCancelled("import cancelled")
            yield path, _decode(path, size)
        return
    pool = ThreadPoolExecutor(max_workers=_workers(), thread_name_prefix="painting-import")
    try:
        for path, result in zip(files, pool.map(lambda p: _decode(p, size), files)):
            if cancel is not None and cancel():
                raise ImportCancelled("import cancelled")
            yield path, result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


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
    """Imports every picture under ``folder`` as a ``size`` x ``size`` RGB square (row i = ``report.imported[i]``).

    A folder already imported with the same files and options comes back from
    the cache at once (``report.from_cache``).  Raises ``NotADirectoryError``
    when ``folder`` is not a folder and :class:`ImportCancelled` on cancel.
    """
    import torch

    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise NotADirectoryError(f"not a folder: {folder}")
    size = _size_option(options)
    listing = _list_files(folder)
    key_options = {**options, "size": size, "importer_version": IMPORTER_VERSION}
    fingerprint = corpus_cache.folder_fingerprint(DOMAIN, folder, listing.files, key_options)
    cached = corpus_cache.load_cached(DOMAIN, fingerprint)
    if cached is not None:
        if progress is not None:
            progress(len(listing.files), len(listing.files), "")
        return cached

    report = ImportReport(folder=str(folder), files_seen=len(listing.files))
    for path, reason in listing.unreadable_dirs:
        report.skip(path, reason)
    candidates: list[Path] = []
    for path in listing.files:
        suffix = path.suffix.lower()
        if suffix in IMAGE_SUFFIXES:
            candidates.append(path)
        elif suffix in UNSUPPORTED_SUFFIXES:
            report.skip(path, UNSUPPORTED_SUFFIXES[suffix])
        else:
            report.skip(path, f"not an image file type ({suffix or 'no extension'})")

    pixels = np.empty((len(candidates), size, size, 3), dtype=np.uint8)
    sources: list[tuple[int, int]] = []
    formats: Counter = Counter()
    done = len(listing.files) - len(candidates)
    with warnings.catch_warnings():
        # MAX_PIXELS decides; set here, on the calling thread, because the filter list is
        # process-wide and entering catch_warnings on the decoding threads would race.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        for path, result in _decoded_in_order(candidates, size, cancel):
            if result.pixels is None:
                report.skip(path, result.reason)
            else:
                pixels[len(report.imported)] = result.pixels
                report.imported.append(str(path))
                sources.append(result.source_size)
                formats[result.image_format or "unknown"] += 1
            done += 1
            if progress is not None:
                progress(done, len(listing.files), str(path))

    report.items = len(report.imported)
    report.details = _details(size, sources, formats, listing.ignored)
    data = torch.from_numpy(np.ascontiguousarray(pixels[: report.items].transpose(0, 3, 1, 2)))
    corpus = Corpus(data=data, meta={"size": size, "channels": 3}, fingerprint=fingerprint, report=report)
    corpus_cache.store(DOMAIN, corpus)
    return corpus
