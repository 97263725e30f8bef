"""Latent explorer and its render thread, driven by a real numpy renderer."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QCheckBox

from studio.core.latent import bilinear, seed_to_z, walk
from studio.domains.music.roll import Clip
from studio.ui.explorer import BOTTOM_RIGHT, TOP_LEFT, TOP_RIGHT, Explorer
from studio.ui.gallery import Gallery
from studio.ui.media import view_for
from studio.workers.render_thread import RenderThread

pytestmark = pytest.mark.usefixtures("themed")

Z_DIM = 12


class BandRenderer:
    """z -> 24x24 image of vertical colour bands whose brightness follows z; records what it was asked."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.calls: list[tuple[np.ndarray, dict]] = []
        self.lock = threading.Lock()

    @staticmethod
    def image(z: np.ndarray) -> np.ndarray:
        levels = np.clip(128 + 50 * z[:Z_DIM], 0, 255).astype(np.uint8)
        bands = np.stack([levels, levels[::-1], np.roll(levels, 4)], axis=1)  # Z_DIM x 3
        return np.repeat(np.repeat(bands[None], 24, axis=0), 2, axis=1)

    def __call__(self, z: np.ndarray, options: dict) -> list:
        with self.lock:
            self.calls.append((z.copy(), dict(options)))
        if self.delay_s:
            time.sleep(self.delay_s)
        if options.get("explode"):
            raise RuntimeError("the model exploded")
        return [self.image(row) for row in z]


@pytest.fixture
def explorer(qtbot, request, screenshot_dir):
    ex = Explorer()
    ex.set_view(view_for("painting"))
    ex.resize(900, 560)
    ex.show()
    yield ex
    _shot(ex, qtbot, screenshot_dir / f"explorer_{request.node.name.removeprefix('test_')}.png")
    ex.close()
    assert not ex._thread.is_running()  # closing the explorer stops its render thread
    ex.deleteLater()


def _shown_matches_current(ex: Explorer) -> bool:
    art = ex.current_artifact()
    return art is not None and np.array_equal(art, BandRenderer.image(ex.current_latent()))


def _pad_point(ex: Explorer, u: float, v: float) -> QPoint:
    return ex.pad.point_at(u, v).toPoint()


def _shot(widget, qtbot, path) -> None:
    qtbot.wait(30)
    widget.grab().save(str(path))


def test_dragging_on_the_pad_changes_the_preview(explorer, qtbot):
    renderer = BandRenderer()
    explorer.set_renderer(renderer, Z_DIM)
    qtbot.waitUntil(lambda: _shown_matches_current(explorer), timeout=3000)
    centre = explorer.current_artifact().copy()

    pad = explorer.pad
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=_pad_point(explorer, 0.5, 0.5))
    for t in np.linspace(0.5, 0.9, 8):
        qtbot.mouseMove(pad, _pad_point(explorer, t, 1 - t))
    with qtbot.waitSignal(explorer.released) as released:
        qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=_pad_point(explorer, 0.9, 0.1))
    u, v = pad.position()
    assert abs(u - 0.9) < 0.01 and abs(v - 0.1) < 0.01
    expected = bilinear([seed_to_z(s, Z_DIM) for s in range(4)], u, v)
    np.testing.assert_allclose(explorer.current_latent(), expected, atol=1e-6)
    qtbot.waitUntil(lambda: _shown_matches_current(explorer), timeout=3000)
    assert not np.array_equal(explorer.current_artifact(), centre)
    # released() carries the artifact of the position let go at, once it is rendered
    np.testing.assert_array_equal(released.args[0], BandRenderer.image(explorer.current_latent()))
    # corner thumbnails were rendered with the corner latents
    assert any(len(z) == 5 for z, _ in renderer.calls)
    assert "ms" in explorer._status.text()


def test_rapid_requests_render_far_fewer_times_and_end_on_the_last_position(explorer, qtbot):
    renderer = BandRenderer(delay_s=0.02)
    explorer.set_renderer(renderer, Z_DIM)
    positions = np.linspace(0, 1, 200)
    for t in positions:
        explorer.set_position(t, t * t)
    qtbot.waitUntil(lambda: _shown_matches_current(explorer), timeout=5000)
    stats = explorer.render_stats()
    assert stats["requests"] >= 200
    assert stats["renders"] < stats["requests"] / 5, stats
    assert explorer.pad.position() == (1.0, 1.0)
    last_z = renderer.calls[-1][0][0]
    np.testing.assert_allclose(last_z, explorer.current_latent())


def test_truncation_slider_scales_the_latent(explorer, qtbot):
    explorer.set_renderer(BandRenderer(), Z_DIM)
    explorer.set_position(0.3, 0.6)
    before = explorer.current_latent()
    explorer._psi_slider.setValue(50)
    np.testing.assert_allclose(explorer.current_latent(), 0.5 * before, atol=1e-6)
    assert explorer.current_info()["psi"] == 0.5
    assert "0.50" in explorer._psi_label.text()
    qtbot.waitUntil(lambda: _shown_matches_current(explorer), timeout=3000)
    explorer.set_psi(1.2)
    assert explorer._psi_slider.value() == 120


def test_corners_take_seeds_from_the_gallery_and_latents_directly(explorer, qtbot):
    explorer.set_renderer(BandRenderer(), Z_DIM)
    gallery = Gallery()
    qtbot.addWidget(gallery)
    gallery.sendToExplorer.connect(explorer.take_seed)
    gallery.sendToExplorer.emit(1234, TOP_RIGHT)
    assert explorer._boxes[TOP_RIGHT].spin.value() == 1234
    explorer.set_position(1.0, 0.0)
    np.testing.assert_allclose(explorer.current_latent(), seed_to_z(1234, Z_DIM))
    info = explorer.current_info()
    assert info["seed"] == 1234 and info["seeds"][TOP_RIGHT] == 1234
    assert len(info["latent"]) == Z_DIM

    explorer._boxes[TOP_LEFT].spin.setValue(77)  # typing a seed
    explorer.set_position(0.0, 0.0)
    np.testing.assert_allclose(explorer.current_latent(), seed_to_z(77, Z_DIM))
    explorer._boxes[TOP_LEFT].dice.click()
    assert explorer.corner_seeds()[TOP_LEFT] != 77

    mine = np.linspace(-1, 1, Z_DIM).astype(np.float32)
    explorer.set_corner_latent(BOTTOM_RIGHT, mine, "my line")
    explorer.set_position(1.0, 1.0)
    np.testing.assert_allclose(explorer.current_latent(), mine, atol=1e-6)
    info = explorer.current_info()
    assert info["corner_labels"][BOTTOM_RIGHT] == "my line" and info["seeds"][BOTTOM_RIGHT] is None
    with pytest.raises(ValueError):
        explorer.set_corner_latent(0, np.zeros(3), "wrong size")
    qtbot.waitUntil(lambda: _shown_matches_current(explorer), timeout=3000)


def test_exports_emit_the_artifact_walk_and_info(explorer, qtbot):
    assert not explorer._current_button.isEnabled()
    explorer.set_renderer(BandRenderer(), Z_DIM)
    explorer.set_position(0.25, 0.75)
    qtbot.waitUntil(lambda: _shown_matches_current(explorer), timeout=3000)
    with qtbot.waitSignal(explorer.exportCurrent) as sig:
        explorer._current_button.click()
    artifact, info = sig.args
    np.testing.assert_array_equal(artifact, BandRenderer.image(explorer.current_latent()))
    assert info["u"] == 0.25 and info["v"] == 0.75 and info["seeds"] == [0, 1, 2, 3]

    explorer._walk_button.click()
    dialog = explorer.walk_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.frames_spin.setValue(9)
    with qtbot.waitSignal(explorer.exportWalk) as sig:
        dialog.accept()
    latents, info = sig.args
    assert latents.shape == (9, Z_DIM)
    corners = [seed_to_z(s, Z_DIM) for s in (0, 1, 3, 2)]  # TL → TR → BR → BL, and back to TL
    np.testing.assert_allclose(latents, walk(corners, 9, loop=True, eased=True), atol=1e-6)
    assert info["frames"] == 9 and info["loop"] is True and info["walk"][-1] == "top-left"


def test_options_and_domain_controls_reach_the_renderer(explorer, qtbot):
    renderer = BandRenderer()
    explorer.set_renderer(renderer, Z_DIM)
    box = QCheckBox("Loop")
    explorer.add_control(box)
    assert box.parent() is not None
    explorer.set_options({"threshold": 0.3})
    qtbot.waitUntil(lambda: bool(renderer.calls) and renderer.calls[-1][1] == {"threshold": 0.3}, timeout=3000)
    assert explorer.options() == {"threshold": 0.3}


def test_a_failing_renderer_reports_and_the_thread_keeps_serving(explorer, qtbot):
    explorer.set_renderer(BandRenderer(), Z_DIM)
    with qtbot.waitSignal(explorer.renderFailed) as sig:
        explorer.set_options({"explode": True})
    assert "exploded" in sig.args[0]
    assert "exploded" in explorer._status.text()
    explorer.set_options({"explode": False})
    qtbot.waitUntil(lambda: _shown_matches_current(explorer), timeout=3000)


def test_render_thread_keeps_only_the_newest_request(qtbot):
    renderer = BandRenderer(delay_s=0.05)
    thread = RenderThread(renderer)
    got = []
    thread.rendered.connect(lambda tag, arts, ms: got.append(tag))
    for i in range(30):
        thread.request(np.full((1, Z_DIM), i, np.float32), {}, tag=i)
    qtbot.waitUntil(lambda: bool(got) and got[-1] == 29, timeout=3000)
    assert len(got) <= 3 and got == sorted(got)
    assert thread.is_current()
    thread.set_renderer(None)
    thread.request(np.zeros((1, Z_DIM), np.float32), {}, tag="waits")
    qtbot.wait(100)
    assert got[-1] == 29 and not thread.is_current()  # no renderer: the request waits instead of failing
    thread.shutdown()
    assert not thread.is_running()


def test_explorer_with_music_and_text_views(qtbot, screenshot_dir):
    rng = np.random.default_rng(1)

    def music(z: np.ndarray, options: dict) -> list:
        clips = []
        for row in z:
            roll = np.zeros((1, 32, 36), np.uint8)
            for start in range(0, 32, 2):
                pitch = int(np.clip(18 + 6 * row[start % Z_DIM] + rng.normal(), 0, 35))
                roll[0, start: start + 2 - (start % 4 == 2), pitch] = 1
            clips.append(Clip(roll=roll, roles=["melody"], programs=[73]))
        return clips

    words = "the moon over quiet water hums a silver song of night and wind".split()

    def text(z: np.ndarray, options: dict) -> list:
        return [" ".join(words[int(abs(x) * 7) % len(words)] for x in row[:8]) for row in z]

    for name, renderer in (("music", music), ("text", text)):
        ex = Explorer()
        qtbot.addWidget(ex)
        ex.set_view(view_for(name))
        ex.resize(900, 520)
        ex.show()
        ex.set_renderer(renderer, Z_DIM)
        ex.set_position(0.35, 0.4)
        qtbot.waitUntil(lambda: ex.current_artifact() is not None and ex.thumbnails_are_current(), timeout=3000)
        _shot(ex, qtbot, screenshot_dir / f"explorer_{name}.png")
        ex.shutdown()


def test_without_a_model_the_explorer_waits_politely(qtbot, screenshot_dir):
    ex = Explorer()
    qtbot.addWidget(ex)
    ex.resize(900, 520)
    ex.show()
    ex.set_position(0.2, 0.2)
    assert ex.current_artifact() is None
    assert not ex._walk_button.isEnabled()
    assert "no model" in ex._status.text()
    _shot(ex, qtbot, screenshot_dir / "explorer_empty.png")
    ex.shutdown()


def test_tall_space_stacks_pad_over_preview_with_seed_boxes_hugging_the_pad(explorer, qtbot):
    explorer.set_renderer(BandRenderer(), Z_DIM)
    explorer.resize(460, 900)  # a wide layout's minimum is wider: the first resize switches to stacking...
    qtbot.wait(20)
    explorer.resize(460, 900)  # ...whose smaller minimum lets the second one fit, as a scroll area would
    assert explorer.width() == 460
    qtbot.waitUntil(lambda: _shown_matches_current(explorer), timeout=3000)
    qtbot.wait(30)
    pad = explorer.pad.geometry()
    assert pad.width() == pad.height()
    pad_global = explorer.pad.mapTo(explorer, explorer.pad.rect().topLeft())
    preview_global = explorer.preview.mapTo(explorer, explorer.preview.rect().topLeft())
    assert preview_global.y() > pad_global.y() + pad.height() - 1  # stacked, not side by side
    top_box, bottom_box = explorer._boxes[TOP_LEFT].geometry(), explorer._boxes[2].geometry()
    assert 0 <= pad.top() - top_box.bottom() <= 10 and 0 <= bottom_box.top() - pad.bottom() <= 10
