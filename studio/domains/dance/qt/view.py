"""Dance artifacts (``Motion`` clips) drawn as a moving stick figure with QPainter.

The geometry (camera, framing, floor grid, the root's trail) comes from ``figure.py``, the same as
the GIF and WebP exports use; here it is only stroked.  The view is animated: the gallery and the
explorer ask for ``frame_count`` and draw ``pixmap(artifact, size, frame)`` on a timer at ``fps``.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap, QPolygonF

from studio.domains.dance.figure import BACKGROUND, CAMERAS, FLOOR, MIDDLE, TRAIL, Scene, project
from studio.ui.pixmaps import placeholder_pixmap

SCENES_KEPT = 64
"""Projected clips kept (a gallery page and the explorer's), so a frame costs strokes, not kinematics."""
PLAYBACK_FPS = 20.0


class DanceView:
    """A clip is a stick figure on a floor grid, its root's path drawn behind it; ``camera`` is front or side."""

    fps = PLAYBACK_FPS

    def __init__(self) -> None:
        self.camera = CAMERAS[0]
        self._scenes: OrderedDict[tuple[int, int, str], tuple[Any, Scene]] = OrderedDict()

    def set_camera(self, camera: str) -> None:
        if camera not in CAMERAS:
            raise ValueError(f"unknown camera {camera!r}; one of {', '.join(CAMERAS)}")
        self.camera = camera

    def frame_count(self, artifact: Any) -> int:
        """Frames at the view's rate, so a clip captured at any rate plays in real time."""
        try:
            return max(1, int(round(artifact.frames * self.fps / artifact.fps)))
        except (AttributeError, TypeError, ValueError, ZeroDivisionError):
            return 1

    def _clip_frame(self, artifact: Any, frame: int) -> int:
        return int(round(int(frame) * artifact.fps / self.fps)) % max(1, int(artifact.frames))

    def _scene(self, artifact: Any, size: int) -> Scene:
        key = (id(artifact), size, self.camera)
        hit = self._scenes.get(key)
        if hit is not None and hit[0] is artifact:
            self._scenes.move_to_end(key)
            return hit[1]
        scene = project(artifact, size, size, self.camera)
        self._scenes[key] = (artifact, scene)  # the artifact is kept so its id cannot be reused meanwhile
        while len(self._scenes) > SCENES_KEPT:
            self._scenes.popitem(last=False)
        return scene

    def pixmap(self, artifact: Any, size: int, frame: int = 0) -> QPixmap:
        size = max(8, int(size))
        try:
            scene = self._scene(artifact, size)
        except (AttributeError, TypeError, ValueError, IndexError) as exc:
            return placeholder_pixmap(size, f"cannot show\n{type(exc).__name__}")
        pix = QPixmap(size, size)
        pix.fill(QColor(*BACKGROUND))
        painter = QPainter(pix)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(*FLOOR), 1))
        for a, b in scene.floor:
            painter.drawLine(QPointF(*a), QPointF(*b))
        frame = self._clip_frame(artifact, frame)
        width = max(1.5, size / 70)
        if frame > 0:
            painter.setPen(QPen(QColor(*TRAIL), max(1.0, width / 2)))
            painter.drawPolyline(QPolygonF([QPointF(*p) for p in scene.trail[: frame + 1]]))
        joints = scene.joints[frame]
        for (parent, child), colour in zip(scene.bones, scene.colours):
            pen = QPen(QColor(*colour), width)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(pen)
            painter.drawLine(QPointF(*joints[parent]), QPointF(*joints[child]))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(*MIDDLE))
        painter.drawEllipse(QPointF(*joints[scene.pelvis]), width, width)
        painter.end()
        return pix

    def caption(self, artifact: Any) -> str:
        try:
            return f"{artifact.frames / artifact.fps:.1f} s at {artifact.fps:g} fps · {artifact.skeleton.joints} joints"
        except (AttributeError, TypeError, ValueError, ZeroDivisionError):
            return "clip"


VIEW = DanceView()
