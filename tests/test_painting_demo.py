"""The built-in demo paintings: deterministic, complete, real pictures, written once."""
from __future__ import annotations

import numpy as np
from PIL import Image

from studio.domains.painting.demo import STYLES, paint, write_demo_folder


def test_demo_folder_is_complete_deterministic_and_written_once(tmp_path):
    a = write_demo_folder(tmp_path / "a", count=12, size=32, seed=3)
    b = write_demo_folder(tmp_path / "b", count=12, size=32, seed=3)
    files = sorted(a.glob("*.png"))
    assert len(files) == 12
    for f in files:
        with Image.open(f) as im:
            assert im.format == "PNG" and im.size == (32, 32) and im.mode == "RGB"
        assert f.read_bytes() == (b / f.name).read_bytes()
    stamp = files[0].stat().st_mtime_ns
    write_demo_folder(a, count=12, size=32, seed=3)
    assert files[0].stat().st_mtime_ns == stamp  # complete: nothing rewritten
    files[3].unlink()
    write_demo_folder(a, count=12, size=32, seed=3)
    assert files[3].exists()  # incomplete: repaired
    write_demo_folder(a, count=8, size=32, seed=3)
    assert len(list(a.glob("*.png"))) == 8  # another recipe replaces the old files


def test_seeds_and_styles_differ():
    assert not np.array_equal(paint(0, 32, seed=0)[1], paint(0, 32, seed=1)[1])
    styles = {paint(i, 32)[0] for i in range(len(STYLES))}
    assert styles == set(STYLES)


def test_paintings_are_pictures_not_noise():
    for i in range(8):
        _, pixels = paint(i, 48)
        assert pixels.shape == (48, 48, 3) and pixels.dtype == np.uint8
        x = pixels.astype(np.float32)
        assert x.std() > 10  # something is drawn
        neighbour_diff = np.abs(np.diff(x, axis=1)).mean()
        assert neighbour_diff < 0.25 * np.abs(x - x.mean(axis=(0, 1))).mean() + 4  # smooth areas, not noise


def test_demo_folder_imports_cleanly(tmp_path, monkeypatch):
    from studio.domains.painting.corpus import import_images

    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "cache"))
    folder = write_demo_folder(tmp_path / "demo", count=8, size=48)
    corpus = import_images(folder, {"size": 32})
    assert corpus.report.items == 8 and not corpus.report.skipped
    assert corpus.data.shape == (8, 3, 32, 32)
