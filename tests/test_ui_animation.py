"""Animated views loop their artifacts in the gallery and the explorer's big view, only while they are seen."""
from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import QTabWidget, QWidget

from studio.ui.explorer import ArtifactPreview, Explorer
from studio.ui.gallery import Gallery
from studio.ui.media import draw, view_fps

COLOURS = ["#d04040", "#40d040", "#4040d0"]


class Flicker:
    """A toy animated view: an artifact is a number of frames, frame i a flat colour."""

    fps = 50.0

    def __init__(self) -> None:
        self.drawn: list[int] = []

    def frame_count(self, artifact: Any) -> int:
        return int(artifact)

    def pixmap(self, artifact: Any, size: int, frame: int = 0) -> QPixmap:
        self.drawn.append(frame)
        pix = QPixmap(size, size)
        pix.fill(QColor(COLOURS[frame % len(COLOURS)]))
        return pix

    def caption(self, artifact: Any) -> str:
        return f"{artifact} frames"


class Still:
    def pixmap(self, artifact: Any, size: int) -> QPixmap:
        pix = QPixmap(size, size)
        pix.fill(QColor("#808080"))
        return pix

    def caption(self, artifact: Any) -> str:
        return "still"


def _colour(pix: QPixmap | None) -> str:
    assert pix is not None
    return pix.toImage().pixelColor(2, 2).name()


def test_a_still_view_is_drawn_once_and_an_animated_one_loops_its_frames(qapp):
    flicker = Flicker()
    assert view_fps(Still()) == 0 and view_fps(flicker) == 50.0
    assert _colour(draw(Still(), 1, 8, tick=5)) == "#808080"
    assert [_colour(draw(flicker, 3, 8, tick)) for tick in range(5)] == COLOURS + COLOURS[:2]
    assert _colour(draw(flicker, 2, 8, tick=2)) == COLOURS[0]  # a two-frame clip loops after two


def test_gallery_thumbnails_loop_while_the_gallery_is_on_screen(qtbot):
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    gallery = Gallery()
    gallery.set_view(Flicker())
    tabs.addTab(gallery, "samples")
    tabs.addTab(QWidget(), "elsewhere")
    tabs.resize(500, 400)
    tabs.show()
    qtbot.waitExposed(tabs)
    assert not gallery.is_animating()  # nothing to show yet
    gallery.add_snapshot(10, [3, 3], [0, 1])
    assert gallery.is_animating()
    seen = set()
    qtbot.waitUntil(lambda: seen.add(_colour(gallery.thumbnail(0))) or len(seen) == 3, timeout=3000)

    tabs.setCurrentIndex(1)  # another tab: the timer stops and no frame is drawn off screen
    assert not gallery.is_animating()
    tick = gallery._clock.tick
    qtbot.wait(100)
    assert gallery._clock.tick == tick
    tabs.setCurrentIndex(0)
    assert gallery.is_animating()
    gallery.clear()
    assert not gallery.is_animating()


def test_a_still_view_starts_no_timer(qtbot):
    gallery = Gallery()
    qtbot.addWidget(gallery)
    gallery.set_view(Still())
    gallery.show()
    gallery.add_snapshot(1, [np.zeros((4, 4, 3), np.uint8)], [5])
    assert not gallery.is_animating()


def test_the_explorer_s_big_view_loops_the_artifact_under_the_crosshair(qtbot):
    ex = Explorer()
    qtbot.addWidget(ex)
    flicker = Flicker()
    ex.set_view(flicker)
    ex.resize(900, 520)
    ex.show()
    preview: ArtifactPreview = ex.preview
    assert not preview.clock.is_running()  # no model, nothing to loop
    ex.set_renderer(lambda z, options: [3] * len(z), 4)
    qtbot.waitUntil(lambda: ex.current_artifact() == 3, timeout=3000)
    assert preview.clock.is_running()
    frames = set()
    qtbot.waitUntil(lambda: frames.update(flicker.drawn[-3:]) or frames == {0, 1, 2}, timeout=3000)
    ex.hide()
    assert not preview.clock.is_running()
    ex.shutdown()
