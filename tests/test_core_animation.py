"""Walks worth exporting: seamless loops, eased anchors, and GIF / WebP / MP4 written and read back."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

from studio.core import latent
from studio.core.animation import write_animation
from studio.domains.painting.codec import read_png_info


def _on_sphere(seeds: tuple[int, ...], dim: int) -> list[np.ndarray]:
    """Anchors of one norm, so a slerp segment moves at an even pace and steps can be compared."""
    return [z / np.linalg.norm(z) * np.sqrt(dim) for z in (latent.seed_to_z(s, dim) for s in seeds)]


def test_a_loop_closes_without_repeating_its_first_frame():
    anchors = _on_sphere((3, 5, 8), 64)
    frames = 30
    path = latent.walk(anchors, frames, loop=True)
    assert path.shape == (frames, 64)
    assert np.allclose(path[0], anchors[0], atol=1e-5)
    assert not np.allclose(path[-1], anchors[0], atol=1e-3)  # the first frame is not written twice
    closing = np.linalg.norm(path[0] - path[-1])
    last_step = np.linalg.norm(path[-1] - path[-2])
    assert closing == pytest.approx(last_step, rel=1e-3)  # the seam is one ordinary step of the way back
    for k, anchor in enumerate(anchors):  # every anchor is visited, evenly spaced
        assert np.allclose(path[k * frames // 3], anchor, atol=1e-5)
    norms = np.linalg.norm(path, axis=1)
    assert norms.min() > 0.99 * np.sqrt(64)  # great circles: no dip toward 0


def test_an_eased_loop_is_the_open_walk_home_without_its_last_frame():
    anchors = [latent.seed_to_z(s, 16) for s in (1, 2, 3, 4)]
    loop = latent.walk(anchors, 24, loop=True, eased=True)
    home = latent.walk(anchors + [anchors[0]], 25, eased=True)
    np.testing.assert_allclose(loop, home[:-1], atol=1e-6)
    assert np.allclose(home[-1], anchors[0], atol=1e-5)  # the frame after the loop's last is its first


def test_easing_lingers_at_the_anchors_and_an_open_walk_keeps_both_ends():
    a, b = _on_sphere((1, 2), 32)
    plain = latent.walk([a, b], 11)
    eased = latent.walk([a, b], 11, eased=True)
    assert np.allclose(plain[-1], b, atol=1e-5) and np.allclose(eased[-1], b, atol=1e-5)
    plain_steps = np.linalg.norm(np.diff(plain, axis=0), axis=1)
    eased_steps = np.linalg.norm(np.diff(eased, axis=0), axis=1)
    assert plain_steps.max() - plain_steps.min() < 1e-3 * plain_steps.mean()  # even speed
    assert eased_steps[0] < 0.3 * eased_steps[5] and eased_steps[-1] < 0.3 * eased_steps[5]  # slow at both ends
    assert latent.ease_in_out(0) == 0 and latent.ease_in_out(1) == 1 and latent.ease_in_out(0.5) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        latent.walk([a, b, a], 2, loop=True)


def _frames(n: int, side: int = 24) -> list[np.ndarray]:
    return [np.full((side, side + 8, 3), (i * 20 % 256, 255 - i * 20 % 256, 90), np.uint8) for i in range(n)]


def test_gif_has_every_frame_the_rate_and_the_info(tmp_path):
    path = write_animation(_frames(12), tmp_path / "walk.gif", 'gan-studio:{"seed":7}', fps=12.5, size=64)
    with Image.open(path) as im:
        assert im.n_frames == 12 and im.size == (64, 48)
        assert im.info.get("loop") == 0 and im.info.get("duration") == 80
        im.seek(5)
        middle = np.asarray(im.convert("RGB")).astype(int)
    assert np.abs(middle[24, 32] - (100, 155, 90)).max() < 24  # the shared palette keeps the colours
    assert read_png_info(path) == {"seed": 7}


def test_webp_is_read_back_with_its_frames_duration_and_info(tmp_path):
    path = write_animation(_frames(10), tmp_path / "walk.webp", 'gan-studio:{"seed":4}', fps=20, size=40)
    with Image.open(path) as im:
        assert im.format == "WEBP" and im.n_frames == 10 and im.size == (40, 30)
        total = 0
        for i in range(im.n_frames):
            im.seek(i)
            im.load()  # Pillow reads a WebP frame's duration as it decodes it
            total += im.info["duration"]
    assert total == 10 * 50  # 10 frames at 20 fps: half a second
    assert read_png_info(path) == {"seed": 4}


def test_mp4_is_read_back_with_its_frames_and_duration_and_is_byte_reproducible(tmp_path):
    av = pytest.importorskip("av")
    frames = _frames(15, side=20)
    first = write_animation(frames, tmp_path / "a.mp4", 'gan-studio:{"seed":1}', fps=10, size=33)
    again = write_animation(frames, tmp_path / "b.mp4", 'gan-studio:{"seed":1}', fps=10, size=33)
    with av.open(str(first)) as container:
        stream = container.streams.video[0]
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        assert container.metadata["comment"] == 'gan-studio:{"seed":1}'
        seconds = float(stream.duration * stream.time_base)
    assert len(decoded) == 15 and seconds == pytest.approx(1.5, abs=0.01)
    assert decoded[0].shape == (24, 34, 3)  # longest side 33, both sides even for H.264
    assert np.abs(decoded[7].astype(int)[13, 17] - (140, 115, 90)).max() < 12
    assert hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(again.read_bytes()).digest()


def test_bad_requests_name_the_file_and_the_reason(tmp_path):
    with pytest.raises(ValueError, match="walk.png"):
        write_animation(_frames(2), tmp_path / "walk.png")
    with pytest.raises(ValueError, match="frame rate"):
        write_animation(_frames(2), tmp_path / "walk.gif", fps=500)
    with pytest.raises(ValueError, match="same size"):
        write_animation([np.zeros((4, 4, 3), np.uint8), np.zeros((5, 5, 3), np.uint8)], tmp_path / "walk.gif")
