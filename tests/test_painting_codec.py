"""Painting exports: pixels come out as the net meant them, and files remember their seed."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from studio.domains.painting.codec import read_png_info, save_grid_png, save_png, to_images, to_uint8


def _pictures(n: int, size: int = 16) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (size, size, 3), dtype=np.uint8) for _ in range(n)]


def test_to_images_clamps_and_rounds():
    out = torch.tensor([-2.0, -1.0, 0.0, 0.999, 5.0]).view(1, 1, 1, 5).repeat(2, 3, 1, 1)
    images = to_images(out.requires_grad_())
    assert len(images) == 2
    assert images[0].shape == (1, 5, 3) and images[0].dtype == np.uint8
    assert images[0][0, :, 0].tolist() == [0, 0, 128, 255, 255]
    assert to_uint8(torch.zeros(1, 1, 4, 4)).shape == (1, 3, 4, 4)  # grey nets still give RGB


def test_png_keeps_seed_and_latent(tmp_path):
    picture = _pictures(1)[0]
    info = {"seed": 1234, "latent": np.linspace(-1, 1, 8, dtype=np.float32), "run": "été", "step": 500}
    path = save_png(picture, tmp_path / "out" / "sample.png", info)
    assert path.exists() and not list(path.parent.glob(".*tmp"))
    with Image.open(path) as im:
        assert np.array_equal(np.asarray(im), picture)
        assert im.text["seed"] == "1234"
    back = read_png_info(path)
    assert back["seed"] == 1234 and back["run"] == "été" and back["step"] == 500
    assert np.allclose(back["latent"], info["latent"])


def test_plain_png_has_no_info(tmp_path):
    Image.new("RGB", (4, 4)).save(tmp_path / "plain.png")
    assert read_png_info(tmp_path / "plain.png") == {}


def test_grid_size_and_layout(tmp_path):
    pictures = _pictures(10)
    path = save_grid_png(pictures, tmp_path / "grid.png", {"seeds": list(range(10))})
    with Image.open(path) as im:
        assert im.size == (4 * 18 + 2, 3 * 18 + 2)  # 10 pictures -> 4 x 3, 2 px apart and around
        grid = np.asarray(im)
    assert np.array_equal(grid[2:18, 2 + 18 : 18 + 18], pictures[1])
    assert read_png_info(path)["seeds"] == list(range(10))
    with Image.open(save_grid_png(pictures, tmp_path / "row.png", {}, columns=10, pad=0)) as im:
        assert im.size == (160, 16)
    with pytest.raises(ValueError):
        save_grid_png([np.zeros((4, 4, 3), np.uint8), np.zeros((5, 5, 3), np.uint8)], tmp_path / "bad.png", {})


