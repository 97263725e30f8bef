"""The clock that loops animated artifacts (motion) in one panel: one timer, running only while it is seen.

A panel owns one clock; the clock ticks at its view's ``fps`` while the
panel is shown and has something animated to show, and stops when the panel
is hidden (another tab, a collapsed column), so nothing draws off screen.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from studio.ui.media import ArtifactView, view_fps


class FrameClock(QObject):
    """Counts frames for ``widget`` at its view's rate; ``ticked`` asks the panel to draw the next frame."""

    ticked = Signal()

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self._widget = widget
        self._fps = 0.0
        self._has_content = False
        self.tick = 0  # frames since the clock was made; a panel shows frame ``tick % frame_count``
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._advance)
        widget.installEventFilter(self)

    def set_view(self, view: ArtifactView | None) -> None:
        self._fps = view_fps(view)
        self._update()

    def set_content(self, has_content: bool) -> None:
        """Whether the panel shows an artifact at all (an empty gallery needs no clock)."""
        self._has_content = bool(has_content)
        self._update()

    def is_running(self) -> bool:
        return self._timer.isActive()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._widget and event.type() in (QEvent.Type.Show, QEvent.Type.Hide):
            self._update()
        return False

    def _update(self) -> None:
        run = self._fps > 0 and self._has_content and self._widget.isVisible()
        if run:
            interval = max(1, round(1000 / self._fps))
            if not self._timer.isActive() or self._timer.interval() != interval:
                self._timer.start(interval)
        else:
            self._timer.stop()

    def _advance(self) -> None:
        self.tick += 1
        self.ticked.emit()
