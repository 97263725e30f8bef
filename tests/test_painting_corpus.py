"""The painting importer on a folder as messy as an artist's: every good picture in, every bad file named."""
from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from studio.core.domain import ImportCancelled
from studio.domains.painting.corpus import import_images

SIZE = 32


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "cache"))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes whose header claims a huge picture: decoding it would take gigabytes."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1000)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def _noise(w: int, h: int, seed: int = 0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8))


def _reason(corpus, name: str) -> str:
    reasons = [s.reason for s in corpus.report.skipped if Path(s.path).name == name]
    assert reasons, f"{name} not in the report: {corpus.report.skipped}"
    return reasons[0]


def _row(corpus, name: str) -> np.ndarray:
    names = [Path(p).name for p in corpus.report.imported]
    return corpus.data[names.index(name)].numpy().transpose(1, 2, 0)


@pytest.fixture
def messy(tmp_path) -> Path:
    root = tmp_path / "pictures"
    (root / "nested" / "deeper").mkdir(parents=True)
    (root / ".hidden-dir").mkdir()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(root / "red.jpg", quality=95)
    Image.new("RGB", (40, 40), (30, 200, 30)).save(root / "nested" / "green.png")
    Image.new("RGB", (50, 70), (30, 30, 200)).save(root / "nested" / "deeper" / "blue.webp", lossless=True)
    Image.new("RGB", (40, 40), (10, 20, 30)).save(root / "plain.bmp")
    Image.new("RGB", (40, 40), (90, 80, 70)).save(root / "scan.tiff")
    Image.new("RGBA", (40, 40), (0, 0, 0, 0)).save(root / "transparent.png")
    Image.new("L", (40, 40), 128).save(root / "grey.png")
    Image.fromarray(np.full((40, 40), 65535, np.uint16)).save(root / "deep16.png")
    Image.new("CMYK", (40, 40), (0, 255, 255, 0)).save(root / "cmyk.jpg")
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.new("RGB", (40, 40), (200, 30, 30)).save(root / "tagged.png", icc_profile=srgb)
    Image.new("RGB", (40, 40), (200, 30, 30)).save(root / "badprofile.png", icc_profile=b"not a profile")
    frames = [Image.new("P", (40, 40), i) for i in (3, 7)]
    for f in frames:
        f.putpalette([c for i in range(256) for c in ((255, 255, 0) if i == 3 else (0, 0, 0))])
    frames[0].save(root / "anim.gif", save_all=True, append_images=frames[1:])
    # A phone photo stored sideways: left half red, right half blue, EXIF says "rotate 90 clockwise".
    sideways = Image.new("RGB", (96, 48), (255, 0, 0))
    sideways.paste((0, 0, 255), (48, 0, 96, 48))
    exif = Image.Exif()
    exif[0x0112] = 6
    sideways.save(root / "rotated.jpg", exif=exif, quality=95)

    (root / "empty.png").write_bytes(b"")
    (root / "notes.jpg").write_text("this is a text file with an image name")
    (root / "readme.txt").write_text("hello")
    buf = io.BytesIO()
    _noise(80, 80).save(buf, format="PNG")
    (root / "truncated.png").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    buf = io.BytesIO()
    _noise(80, 80, 1).save(buf, format="JPEG", quality=90)
    (root / "truncated.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    Image.new("RGB", (1, 1)).save(root / "dot.png")
    Image.new("RGB", (100, 12)).save(root / "strip.png")
    (root / "bomb.png").write_bytes(_png_claiming(30000, 30000))
    (root / "big.png").write_bytes(_png_claiming(12000, 11000))  # under Pillow's own limit, over ours
    (root / "holiday.heic").write_bytes(b"\0\0\0\x18ftypheic")
    (root / ".DS_Store").write_bytes(b"\0" * 10)
    (root / "Thumbs.db").write_bytes(b"\0" * 10)
    Image.new("RGB", (40, 40)).save(root / ".hidden-dir" / "secret.png")
    Image.new("RGB", (40, 40)).save(root / "._appledouble.png")
    return root


GOOD = {
    "red.jpg", "green.png", "blue.webp", "plain.bmp", "scan.tiff", "transparent.png", "grey.png",
    "deep16.png", "cmyk.jpg", "anim.gif", "rotated.jpg", "tagged.png", "badprofile.png",
}


def test_messy_folder_imports_good_pictures_and_names_every_bad_file(messy):
    started = time.perf_counter()
    corpus = import_images(messy, {"size": SIZE})
    assert time.perf_counter() - started < 10  # the 30000 x 30000 header must not be decoded

    assert {Path(p).name for p in corpus.report.imported} == GOOD
    assert corpus.data.shape == (len(GOOD), 3, SIZE, SIZE)
    assert str(corpus.data.dtype) == "torch.uint8"
    assert corpus.meta == {"size": SIZE, "channels": 3}
    assert corpus.report.items == len(GOOD)
    assert not corpus.report.from_cache

    assert "empty" in _reason(corpus, "empty.png")
    assert "not an image" in _reason(corpus, "notes.jpg")
    assert "not an image file type" in _reason(corpus, "readme.txt")
    assert "truncated" in _reason(corpus, "truncated.png")
    assert "truncated" in _reason(corpus, "truncated.jpg")
    assert "too small" in _reason(corpus, "dot.png") and "1 x 1" in _reason(corpus, "dot.png")
    assert "100 x 12" in _reason(corpus, "strip.png")
    assert "decompression bomb" in _reason(corpus, "bomb.png")
    assert "12000 x 11000" in _reason(corpus, "big.png")
    assert "HEIC" in _reason(corpus, "holiday.heic")
    skipped_names = {Path(s.path).name for s in corpus.report.skipped}
    assert not skipped_names & {".DS_Store", "Thumbs.db", "secret.png", "._appledouble.png"}
    assert corpus.report.details["ignored_hidden_or_system"] >= 4
    assert corpus.report.details["source_short_side"]["min"] == 40


def test_colour_modes_become_the_colours_a_person_sees(messy):
    corpus = import_images(messy, {"size": SIZE})
    red, cmyk = _row(corpus, "red.jpg"), _row(corpus, "cmyk.jpg")
    assert np.abs(red[SIZE // 2, SIZE // 2].astype(int) - (200, 30, 30)).max() < 8
    assert np.abs(cmyk[SIZE // 2, SIZE // 2].astype(int) - (255, 0, 0)).max() < 12
    assert (_row(corpus, "transparent.png") == 255).all()  # over white, not black
    assert (_row(corpus, "deep16.png") == 255).all()  # 16-bit white stays white, not clipped noise
    assert np.abs(_row(corpus, "grey.png").astype(int) - 128).max() <= 1
    assert tuple(_row(corpus, "anim.gif")[5, 5]) == (255, 255, 0)  # the first frame
    for name in ("tagged.png", "badprofile.png"):  # colour-managed or, if the profile is junk, as stored
        assert np.abs(_row(corpus, name).astype(int) - (200, 30, 30)).max() <= 2


def test_exif_orientation_is_applied(messy):
    rotated = _row(import_images(messy, {"size": SIZE}), "rotated.jpg").astype(int)
    top, bottom = rotated[2, SIZE // 2], rotated[-3, SIZE // 2]
    assert top[0] > 200 and top[2] < 60, top  # the left (red) half is now on top
    assert bottom[2] > 200 and bottom[0] < 60, bottom


def test_resize_keeps_the_centre_of_the_short_side(tmp_path):
    folder = tmp_path / "wide"
    folder.mkdir()
    wide = Image.new("RGB", (300, 100), (0, 0, 0))
    wide.paste((255, 255, 255), (100, 0, 200, 100))  # white centre third
    wide.save(folder / "wide.png")
    corpus = import_images(folder, {"size": SIZE})
    assert corpus.data.shape == (1, 3, SIZE, SIZE)
    assert corpus.data.float().mean() > 250


def test_second_import_comes_from_the_cache_with_equal_data(messy):
    first = import_images(messy, {"size": SIZE})
    second = import_images(messy, {"size": SIZE})
    assert second.report.from_cache
    assert second.fingerprint == first.fingerprint
    assert (second.data == first.data).all()
    assert second.report.imported == first.report.imported
    assert len(second.report.skipped) == len(first.report.skipped)
    other_size = import_images(messy, {"size": 16})
    assert not other_size.report.from_cache and other_size.data.shape[-1] == 16
    Image.new("RGB", (40, 40), (1, 2, 3)).save(messy / "new.png")
    changed = import_images(messy, {"size": SIZE})
    assert not changed.report.from_cache and changed.report.items == first.report.items + 1


def test_vanished_and_unreadable_files_are_reported(messy, monkeypatch):
    from studio.core import folder_import

    listing = folder_import.list_folder
    ghost = messy / "ghost.png"

    def with_ghost(folder, recipe):
        result = listing(folder, recipe)
        result.files.append(ghost)  # listed, then deleted before it was read
        return result

    real_open = Image.open

    def locked_open(fp, *args, **kwargs):
        if Path(str(fp)).name == "green.png":
            raise PermissionError(13, "Permission denied", str(fp))
        return real_open(fp, *args, **kwargs)

    monkeypatch.setattr(folder_import, "list_folder", with_ghost)
    monkeypatch.setattr(Image, "open", locked_open)
    corpus = import_images(messy, {"size": SIZE})
    assert "vanished" in _reason(corpus, "ghost.png")
    assert "permission denied" in _reason(corpus, "green.png")
    assert corpus.report.items == len(GOOD) - 1


def test_progress_is_reported_and_cancel_stops_without_caching(messy):
    calls = []
    import_images(messy, {"size": 24}, progress=lambda done, total, path: calls.append((done, total)))
    assert calls and calls[-1][0] == calls[-1][1]
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)

    with pytest.raises(ImportCancelled):
        import_images(messy, {"size": 20}, cancel=lambda: True)
    assert not import_images(messy, {"size": 20}).report.from_cache


def test_empty_and_missing_folders(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    corpus = import_images(empty, {"size": SIZE})
    assert corpus.report.items == 0 and corpus.data.shape == (0, 3, SIZE, SIZE)
    with pytest.raises(NotADirectoryError):
        import_images(tmp_path / "nowhere", {"size": SIZE})
