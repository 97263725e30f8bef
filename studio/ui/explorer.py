"""The latent explorer: drag over a 2-D pad whose corners hold four anchors and see the blend live.

As in StyleGAN3's visualizer, the latent under the mouse is the bilinear
(slerp) blend of the four corner latents, pulled toward the mean by the
truncation ψ; renders go through a :class:`RenderThread` that only ever
renders the newest position. Corner anchors are seeds (so any sample in the
gallery can be sent to a corner) or latents given directly (an encoded line
of text, a projected picture).  Where the explorer stands is one immutable
:class:`~studio.core.explorer_state.ExplorerState`; each render carries the
state it was asked for, so what is on screen is compared with what was asked.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (QCloseEvent, QColor, QDragEnterEvent, QDropEvent, QKeyEvent, QMouseEvent, QPainter,
                           QPaintEvent, QPalette, QPen, QPixmap, QRadialGradient, QResizeEvent)
from PySide6.QtWidgets import (QBoxLayout, QFrame, QHBoxLayout, QLabel, QLayout, QPushButton, QScrollArea,
                               QSizePolicy, QSlider, QSpinBox, QStackedWidget, QToolButton, QVBoxLayout, QWidget)

from studio.core.explorer_state import (BOTTOM_LEFT, BOTTOM_RIGHT, CORNER_NAMES, MAX_SEED, TOP_LEFT, TOP_RIGHT,
                                         WALK_ORDER, ExplorerState)
from studio.ui.directions_panel import DirectionsPanel
from studio.ui.flow_row import flow_row
from studio.ui.frame_clock import FrameClock
from studio.ui.media import ArtifactView, draw
from studio.ui.rows import slider_row
from studio.ui.walk_export import WalkExportDialog, WalkSettings
from studio.workers.render_thread import Renderer, RenderThread

if TYPE_CHECKING:
    from studio.ui.place_picture import PlacePictureDialog
    from studio.ui.seed_browser import SeedBrowser

CORNER_ARROWS = ["↖", "↗", "↙", "↘"]
CORNER_COLOURS = [QColor("#4c9bff"), QColor("#ff8a4c"), QColor("#3fcf8e"), QColor("#c77dff")]
CORNER_THUMB_PX = 128
TOP_SPACING = 12  # between the pad and the preview


@dataclass(frozen=True)
class _RenderTag:
    """What a render request was for: the state asked for, and whether its batch carries the corner anchors."""

    state: ExplorerState
    with_corners: bool


class LatentPad(QWidget):
    """A square pad with a crosshair at (u, v) ∈ [0, 1]²; corners show their anchors' thumbnails."""

    moved = Signal(float, float)
    released = Signal()
    fileDropped = Signal(int, str)  # the corner nearest the drop, the local file's path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self._u, self._v = 0.5, 0.5
        self._thumbs: list[QPixmap | None] = [None] * 4
        self._labels = [""] * 4
        self._dragging = False
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(220, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Drag to blend the four corner anchors; arrow keys nudge (Shift: larger steps)")

    def sizeHint(self) -> QSize:
        return QSize(360, 360)

    def position(self) -> tuple[float, float]:
        return self._u, self._v

    def set_position(self, u: float, v: float) -> None:
        self._u, self._v = float(np.clip(u, 0, 1)), float(np.clip(v, 0, 1))
        self.update()

    def set_corner_label(self, corner: int, label: str) -> None:
        self._labels[corner] = label
        self.update()

    def set_corner_thumb(self, corner: int, thumb: QPixmap | None) -> None:
        self._thumbs[corner] = thumb
        self.update()

    def pad_rect(self) -> QRectF:
        """The square drawing area, centred in the widget."""
        side = min(self.width(), self.height()) - 2
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def point_at(self, u: float, v: float) -> QPointF:
        r = self.pad_rect()
        return QPointF(r.left() + u * r.width(), r.top() + v * r.height())

    # ---------------------------------------------------------------- input
    def _move_to(self, pos: QPointF) -> None:
        r = self.pad_rect()
        self.set_position((pos.x() - r.left()) / r.width(), (pos.y() - r.top()) / r.height())
        self.moved.emit(self._u, self._v)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._dragging = True
            self._move_to(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._dragging:
            self._move_to(event.position())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._dragging:
            self._dragging = False
            self._move_to(event.position())
            self.released.emit()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """A file dropped on the pad is placed on the corner of the quarter it fell in."""
        files = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            r, pos = self.pad_rect(), event.position()
            corner = int(pos.x() > r.center().x()) + 2 * int(pos.y() > r.center().y())
            event.acceptProposedAction()
            self.fileDropped.emit(corner, files[0])

    def keyPressEvent(self, event: QKeyEvent) -> None:
        step = 0.1 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 0.01
        moves = {Qt.Key.Key_Left: (-step, 0), Qt.Key.Key_Right: (step, 0),
                 Qt.Key.Key_Up: (0, -step), Qt.Key.Key_Down: (0, step)}
        delta = moves.get(Qt.Key(event.key()))
        if delta is None:
            super().keyPressEvent(event)
            return
        self.set_position(self._u + delta[0], self._v + delta[1])
        self.moved.emit(self._u, self._v)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        arrows = (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down)
        if event.key() in arrows and not event.isAutoRepeat():
            self.released.emit()
        super().keyReleaseEvent(event)

    # ---------------------------------------------------------------- drawing
    def paintEvent(self, event: QPaintEvent) -> None:
        pal = self.palette()
        r = self.pad_rect()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.setPen(QPen(pal.color(QPalette.ColorRole.Mid), 1))
        p.setBrush(pal.color(QPalette.ColorRole.Base))
        p.drawRoundedRect(r, 10, 10)
        self._paint_tints(p, r)
        self._paint_grid(p, r, pal)
        for corner in range(4):
            self._paint_corner(p, r, corner, pal)
        self._paint_crosshair(p, r, pal)
        if self.hasFocus():
            p.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 1.5))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(r.adjusted(1, 1, -1, -1), 9, 9)
        p.end()

    def _paint_tints(self, p: QPainter, r: QRectF) -> None:
        """Each corner's colour fades toward the centre: a hint of whose anchor dominates where."""
        p.setPen(Qt.PenStyle.NoPen)
        for corner, colour in enumerate(CORNER_COLOURS):
            centre = QPointF(r.left() + (corner % 2) * r.width(), r.top() + (corner // 2) * r.height())
            grad = QRadialGradient(centre, r.width() * 0.85)
            inner, outer = QColor(colour), QColor(colour)
            inner.setAlpha(46)
            outer.setAlpha(0)
            grad.setColorAt(0, inner)
            grad.setColorAt(1, outer)
            p.setBrush(grad)
            p.drawRoundedRect(r, 10, 10)

    def _paint_grid(self, p: QPainter, r: QRectF, pal: QPalette) -> None:
        colour = pal.color(QPalette.ColorRole.Text)
        for i in range(1, 10):
            colour.setAlpha(38 if i == 5 else 16)
            p.setPen(QPen(colour, 1))
            x = r.left() + r.width() * i / 10
            y = r.top() + r.height() * i / 10
            p.drawLine(QPointF(x, r.top() + 1), QPointF(x, r.bottom() - 1))
            p.drawLine(QPointF(r.left() + 1, y), QPointF(r.right() - 1, y))

    def _paint_corner(self, p: QPainter, r: QRectF, corner: int, pal: QPalette) -> None:
        side = max(36.0, r.width() * 0.22)
        inset = 8.0
        right, bottom = corner % 2, corner // 2
        box = QRectF(r.right() - inset - side if right else r.left() + inset,
                     r.bottom() - inset - side if bottom else r.top() + inset, side, side)
        thumb = self._thumbs[corner]
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(pal.color(QPalette.ColorRole.Window))
        p.drawRoundedRect(box, 6, 6)
        if thumb is not None and not thumb.isNull():
            scaled = thumb.size().scaled(box.size().toSize(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRectF(0, 0, scaled.width(), scaled.height())
            target.moveCenter(box.center())
            p.drawPixmap(target, thumb, QRectF(thumb.rect()))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(CORNER_COLOURS[corner], 2))
        p.drawRoundedRect(box, 6, 6)
        label = self._labels[corner]
        if label:
            metrics = p.fontMetrics()
            text = metrics.elidedText(label, Qt.TextElideMode.ElideRight, int(side * 1.6))
            height = metrics.height() + 4
            width = metrics.horizontalAdvance(text) + 10
            tag = QRectF(box.right() - width if right else box.left(),
                         box.top() - height - 3 if bottom else box.bottom() + 3, width, height)
            p.setPen(Qt.PenStyle.NoPen)
            background = QColor(pal.color(QPalette.ColorRole.Window))
            background.setAlpha(210)
            p.setBrush(background)
            p.drawRoundedRect(tag, 4, 4)
            p.setPen(pal.color(QPalette.ColorRole.Text))
            p.drawText(tag, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_crosshair(self, p: QPainter, r: QRectF, pal: QPalette) -> None:
        c = self.point_at(self._u, self._v)
        accent = QColor(pal.color(QPalette.ColorRole.Highlight))
        accent.setAlpha(120)
        p.setPen(QPen(accent, 1, Qt.PenStyle.DashLine))
        p.drawLine(QPointF(c.x(), r.top() + 2), QPointF(c.x(), r.bottom() - 2))
        p.drawLine(QPointF(r.left() + 2, c.y()), QPointF(r.right() - 2, c.y()))
        accent.setAlpha(255)
        p.setPen(QPen(QColor(255, 255, 255, 230), 2))
        p.setBrush(accent)
        p.drawEllipse(c, 7, 7)


class _PadPanel(QWidget):
    """The pad with its corner seed boxes right above and below it, whatever the shape of the space."""

    GAP = 6

    def __init__(self, pad: LatentPad, boxes: list["_CornerBox"], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pad, self._boxes = pad, boxes
        for child in (pad, *boxes):  # the pad first, so it comes first in the focus chain
            child.setParent(self)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def _box_size(self) -> QSize:
        hints = [b.minimumSizeHint().expandedTo(b.sizeHint()) for b in self._boxes]
        return QSize(max(h.width() for h in hints), max(h.height() for h in hints))

    def minimumSizeHint(self) -> QSize:
        box = self._box_size()
        pad = self._pad.minimumSize()
        return QSize(max(pad.width(), 2 * box.width() + self.GAP), pad.height() + 2 * (box.height() + self.GAP))

    def sizeHint(self) -> QSize:
        box = self._box_size()
        side = self._pad.sizeHint().width()
        return QSize(max(side, 2 * box.width() + self.GAP), side + 2 * (box.height() + self.GAP))

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:  # a box grew (it shows a latent's name)
            self.updateGeometry()
            self._place()
        return super().event(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._place()
        super().resizeEvent(event)

    def _place(self) -> None:
        box = self._box_size()
        rows = 2 * (box.height() + self.GAP)
        side = max(1, min(self.width(), self.height() - rows))
        row_width = min(self.width(), max(side, 2 * box.width() + self.GAP))
        x = (self.width() - row_width) // 2
        y = max(0, (self.height() - side - rows) // 2)
        half = (row_width - self.GAP) // 2
        pad_y = y + box.height() + self.GAP
        bottom_y = pad_y + side + self.GAP
        self._pad.setGeometry((self.width() - side) // 2, pad_y, side, side)
        self._boxes[TOP_LEFT].setGeometry(x, y, half, box.height())
        self._boxes[TOP_RIGHT].setGeometry(x + row_width - half, y, half, box.height())
        self._boxes[BOTTOM_LEFT].setGeometry(x, bottom_y, half, box.height())
        self._boxes[BOTTOM_RIGHT].setGeometry(x + row_width - half, bottom_y, half, box.height())


class ArtifactPreview(QWidget):
    """The large picture of the artifact under the mouse, redrawn at the widget's size (looping, if animated)."""

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._view: ArtifactView | None = None
        self._artifact: Any = None
        self._pixmap: QPixmap | None = None
        self._placeholder = placeholder
        self.clock = FrameClock(self)
        self.clock.ticked.connect(self._refresh)
        self.setMinimumSize(220, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(360, 360)

    def set_view(self, view: ArtifactView | None) -> None:
        self._view = view
        self.clock.set_view(view)
        self._refresh()

    def set_artifact(self, artifact: Any) -> None:
        self._artifact = artifact
        self.clock.set_content(artifact is not None)
        self._refresh()
        if self._view is not None and artifact is not None:
            self.setToolTip(self._view.caption(artifact))

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.update()

    def _frame(self) -> QRectF:
        """The square the preview is drawn in, centred in the widget."""
        side = min(self.width(), self.height()) - 1
        frame = QRectF(0, 0, side, side)
        frame.moveCenter(QRectF(self.rect()).center())
        return frame

    def _side(self) -> int:
        return max(16, int(self._frame().width()) - 20)

    def _refresh(self) -> None:
        has = self._view is not None and self._artifact is not None
        self._pixmap = draw(self._view, self._artifact, self._side(), self.clock.tick) if has else None
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._refresh()
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        pal = self.palette()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        frame = self._frame()
        p.setPen(QPen(pal.color(QPalette.ColorRole.Mid), 1))
        p.setBrush(pal.color(QPalette.ColorRole.Base))
        p.drawRoundedRect(frame, 10, 10)
        if self._pixmap is None:
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            p.drawText(frame.adjusted(16, 16, -16, -16),
                       Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._placeholder)
        else:
            target = QRectF(0, 0, self._pixmap.width(), self._pixmap.height())
            target.moveCenter(QRectF(self.rect()).center())
            p.drawPixmap(target.topLeft(), self._pixmap)
        p.end()


class _CornerBox(QWidget):
    """Seed spin box and dice button for one corner."""

    seedChosen = Signal(int)

    def __init__(self, corner: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.corner = corner
        self.badge = QLabel(f"{CORNER_ARROWS[corner]} seed" if corner % 2 == 0 else f"seed {CORNER_ARROWS[corner]}")
        colour = CORNER_COLOURS[corner].name()
        self.badge.setStyleSheet(f"color: {colour}; font-weight: 600;")
        self.badge.setToolTip(f"The {CORNER_NAMES[corner]} corner of the pad")
        self.spin = QSpinBox()
        self.spin.setRange(0, MAX_SEED)
        self.spin.setKeyboardTracking(False)
        self.spin.setAccelerated(True)
        # as wide as the largest seed and its arrows, no wider, so two boxes fit over a pad in a narrow column
        self.spin.setFixedWidth(self.spin.fontMetrics().horizontalAdvance(str(MAX_SEED)) + 40)
        self.spin.setToolTip(f"Seed of the {CORNER_NAMES[corner]} anchor (the same seed gives the same sample)")
        self.spin.valueChanged.connect(self.seedChosen)
        self.dice = QToolButton()
        self.dice.setText("⚄")
        self.dice.setToolTip(f"Random seed for the {CORNER_NAMES[corner]} anchor")
        self.dice.clicked.connect(lambda: self.spin.setValue(random.randrange(MAX_SEED + 1)))
        self.note = QLabel()
        self.note.setVisible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        widgets = [self.badge, self.spin, self.dice, self.note]
        if corner % 2:  # right-hand corners read from the pad's edge inward
            widgets.reverse()
            layout.addStretch(1)
        for w in widgets:
            layout.addWidget(w)
        if corner % 2 == 0:
            layout.addStretch(1)

    def show_seed(self, seed: int) -> None:
        self.spin.blockSignals(True)
        self.spin.setValue(seed)
        self.spin.blockSignals(False)
        self.note.setVisible(False)
        self.spin.setVisible(True)

    def show_latent(self, label: str) -> None:
        """The label takes the seed box's place, elided to its width, so a long line never widens the pad."""
        width = self.spin.width()
        self.note.setFixedWidth(width)
        self.note.setText(self.note.fontMetrics().elidedText(f"«{label}»", Qt.TextElideMode.ElideRight, width))
        self.note.setToolTip(f"This corner holds a latent set directly: {label}\n"
                             "Roll the dice or send a seed from the gallery to replace it")
        self.spin.setVisible(False)
        self.note.setVisible(True)


class Explorer(QWidget):
    """Latent pad + corner seeds + ψ + large preview + export buttons.

    The tab calls :meth:`set_renderer` when a model is loaded, connects
    ``exportCurrent`` / ``exportWalk`` to its save dialogs, and may add its
    own controls with :meth:`add_control`. Call :meth:`shutdown` on close.
    """

    exportCurrent = Signal(object, dict)
    exportWalk = Signal(object, dict)
    released = Signal(object)
    previewChanged = Signal(object)
    renderFailed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = ExplorerState()
        self._view: ArtifactView | None = None
        self._artifact: Any = None
        self._has_renderer = False
        self._thumbs_look: tuple[Any, ...] | None = None  # the look (ExplorerState.look) the corner thumbnails show
        self._last_ms: float | None = None
        self._source = ""
        self._release_pending = False  # released() waits for the render of the position let go at

        self._thread = RenderThread(parent=self)
        self._thread.rendered.connect(self._on_rendered)
        self._thread.failed.connect(self._on_failed)

        self.pad = LatentPad()
        self.pad.moved.connect(self._on_pad_moved)
        self.pad.released.connect(self._on_pad_released)
        self._idle_text = "Train or open a model to explore its latent space"
        self.preview = ArtifactPreview(self._idle_text)
        self._boxes = [_CornerBox(i) for i in range(4)]
        for box in self._boxes:
            box.seedChosen.connect(lambda seed, c=box.corner: self.set_corner_seed(c, seed))
            box.show_seed(self._state.anchors[box.corner].seed)

        self._psi_slider = QSlider(Qt.Orientation.Horizontal)
        self._psi_slider.setRange(0, 150)
        self._psi_slider.setValue(100)
        self._psi_slider.setMinimumWidth(120)
        self._psi_slider.setToolTip("Truncation ψ: below 1 pulls samples toward the average (safer, less varied); "
                                    "above 1 exaggerates them")
        self._psi_slider.valueChanged.connect(lambda value: self.set_psi(value / 100))
        self._psi_label = QLabel("ψ 1.00")
        self._psi_label.setMinimumWidth(self._psi_label.fontMetrics().horizontalAdvance("ψ 0.00") + 4)
        self._status = QLabel()
        self._status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._status.setToolTip("Blend position (u across, v down) and the last render time")

        self._renderer: Renderer | None = None
        self._walk_suffixes: tuple[str, ...] = (".gif",)
        self.walk_settings = WalkSettings(".gif")
        self.walk_dialog: WalkExportDialog | None = None
        self.seed_browser: SeedBrowser | None = None
        self._walk_button = QPushButton("Export walk…")
        self._walk_button.setToolTip("Export a walk through the corners: top-left → top-right → bottom-right → "
                                     "bottom-left, and back to top-left when it loops; format, rate, length and "
                                     "size in the next dialog")
        self._walk_button.clicked.connect(self.open_walk_dialog)
        self._browse_button = QPushButton("Browse seeds…")
        self._browse_button.setToolTip("Page through a grid of seeds and send any of them to a corner")
        self._browse_button.clicked.connect(self.open_seed_browser)
        self.place_dialog: PlacePictureDialog | None = None
        self._place_button = QPushButton("Place picture…")
        self._place_button.setToolTip("Find your own picture in the latent space and put it on a corner "
                                      "(or drop a picture file on a corner of the pad)")
        self._place_button.clicked.connect(lambda: self.open_place_dialog())
        self.pad.fileDropped.connect(lambda corner, path: self.open_place_dialog(path, corner))
        self._current_button = QPushButton("Export current…")
        self._current_button.setObjectName("primaryButton")  # what the explorer is for: keeping a find
        self._current_button.setToolTip("Export the artifact under the crosshair, with its latent")
        self._current_button.clicked.connect(self._export_current)

        self.directions = DirectionsPanel()
        self.directions.editsChanged.connect(self._request_render)
        self.directions.found.connect(self._update_base)
        self._directions_scroll = QScrollArea()
        self._directions_scroll.setWidget(self.directions)
        self._directions_scroll.setWidgetResizable(True)
        self._directions_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._directions_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._directions_button = QPushButton("Directions")
        self._directions_button.setCheckable(True)
        self._directions_button.setToolTip("Sliders along the principal directions of the latent space "
                                           "(found from the model's early activations) in the pad's place, to "
                                           "steer the blend; press again for the pad")
        self._directions_button.toggled.connect(self.show_directions)

        self._controls_row = QWidget()  # a domain's own controls; hidden until one is added
        self._controls = QHBoxLayout(self._controls_row)
        self._controls.setContentsMargins(0, 0, 0, 0)
        self._controls.setSpacing(8)
        self._controls.addStretch(1)
        self._controls_row.setVisible(False)
        self._build_layout()
        self._corners_changed()
        self._update_buttons()

    def _build_layout(self) -> None:
        self._pad_panel = _PadPanel(self.pad, self._boxes)
        self._pad_stack = QStackedWidget()  # the pad, or the directions' sliders in its place: neither is squeezed
        self._pad_stack.addWidget(self._pad_panel)
        self._pad_stack.addWidget(self._directions_scroll)
        self._preview_column = QWidget()
        right = QVBoxLayout(self._preview_column)
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(4)
        right.addWidget(self.preview, 1)
        right.addWidget(self._status, 0, Qt.AlignmentFlag.AlignHCenter)

        self._top = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self._top.setSpacing(TOP_SPACING)
        self._top.addWidget(self._pad_stack, 1)
        self._top.addWidget(self._preview_column, 1)

        knobs = slider_row("Truncation", self._psi_slider, self._psi_label)
        exports, exports_flow = flow_row()  # wraps in a narrow column rather than widening it
        exports_flow.addWidget(self._browse_button)
        exports_flow.addWidget(self._walk_button)
        exports_flow.addWidget(self._directions_button)
        exports_flow.addWidget(self._current_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(8)
        # the arrangement, not the layout, decides the minimum size (see minimumSizeHint)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        layout.addLayout(self._top, 1)
        layout.addLayout(knobs)
        layout.addWidget(self._controls_row)
        layout.addWidget(exports)

    def _below_top(self, width: int | None = None) -> int:
        """Height of the rows under the pad and preview, with the margins and spacing around them; at
        ``width`` (the explorer's), rows that wrap count every line they take."""
        layout = self.layout()
        margins = layout.contentsMargins()
        rows = [layout.itemAt(i) for i in range(1, layout.count())]
        shown = [item for item in rows if not item.isEmpty()]
        inner = None if width is None else width - margins.left() - margins.right()

        def height(item: Any) -> int:
            if inner is not None and item.hasHeightForWidth():
                return item.heightForWidth(inner)
            return item.sizeHint().height()

        return margins.top() + margins.bottom() + sum(height(item) for item in shown) + layout.spacing() * len(shown)

    def _side_width(self) -> int:
        """The least width at which pad and preview fit side by side."""
        margins = self.layout().contentsMargins()
        return (self._pad_panel.minimumSizeHint().width() + TOP_SPACING
                + self._preview_column.minimumSizeHint().width() + margins.left() + margins.right())

    def best_direction(self, size: QSize) -> QBoxLayout.Direction:
        """Side by side when that gives pad and preview larger squares than stacking them, else stacked."""
        margins = self.layout().contentsMargins()
        width = size.width() - margins.left() - margins.right()
        height = size.height() - self._below_top(size.width())
        seeds = self._pad_panel.minimumSizeHint().height() - self.pad.minimumHeight()  # the seed rows
        caption = self._preview_column.minimumSizeHint().height() - self.preview.minimumHeight()
        if size.width() <= self._side_width():
            return QBoxLayout.Direction.TopToBottom
        half_width = (width - TOP_SPACING) / 2
        across = min(half_width, height - seeds, height - caption)
        half_height = (height - TOP_SPACING) / 2
        stacked = min(width, half_height - seeds, half_height - caption)
        return QBoxLayout.Direction.LeftToRight if across > stacked else QBoxLayout.Direction.TopToBottom

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        """The arrangement (:meth:`_balance`) shares the height itself; a wrapping row must not make the
        column ask for the layout's own height for its width, which counts pad and preview at full size."""
        return False

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt's name)
        return -1

    def minimumSizeHint(self) -> QSize:
        """The current arrangement's minimum, so a narrow column switches to stacking instead of scrolling."""
        margins = self.layout().contentsMargins()
        pad, preview = self._pad_panel.minimumSizeHint(), self._preview_column.minimumSizeHint()
        below = [self.layout().itemAt(i) for i in range(1, self.layout().count())]
        rows_width = max(item.minimumSize().width() for item in below if not item.isEmpty())
        if self._top.direction() == QBoxLayout.Direction.LeftToRight:
            top = QSize(pad.width() + TOP_SPACING + preview.width(), max(pad.height(), preview.height()))
        else:
            top = QSize(max(pad.width(), preview.width()), pad.height() + TOP_SPACING + preview.height())
        return QSize(max(top.width(), rows_width) + margins.left() + margins.right(),
                     top.height() + self._below_top())

    def resizeEvent(self, event: QResizeEvent) -> None:
        direction = self.best_direction(event.size())
        if direction != self._top.direction():
            self._top.setDirection(direction)
            self.updateGeometry()  # the minimum size changed with the direction
        self._balance(event.size())
        super().resizeEvent(event)

    def _balance(self, size: QSize) -> None:
        """Stacked, the height is shared so that the pad and the preview come out as equal squares."""
        if self._top.direction() == QBoxLayout.Direction.LeftToRight:
            self._top.setStretch(0, 1)
            self._top.setStretch(1, 1)
            return
        seeds = self._pad_panel.minimumSizeHint().height() - self.pad.minimumHeight()
        caption = self._preview_column.minimumSizeHint().height() - self.preview.minimumHeight()
        side = max(1, (size.height() - self._below_top(size.width()) - TOP_SPACING - seeds - caption) // 2)
        self._top.setStretch(0, side + seeds)
        self._top.setStretch(1, side + caption)

    # ---------------------------------------------------------------- public API
    def set_renderer(self, renderer: Renderer | None, z_dim: int, source: str = "") -> None:
        """Uses a new model (None: none loaded); corner seeds are kept and re-expanded to ``z_dim``.

        ``source`` says which model it is ("step 1,200"), shown under the preview.
        """
        self._state = self._state.with_z_dim(int(z_dim))
        self._thumbs_look = None  # another model: the corners are drawn again even where the look is the same
        self._source = source if renderer is not None else ""
        for box, anchor in zip(self._boxes, self._state.anchors):
            if anchor.label is None:
                box.show_seed(anchor.seed)
        self._has_renderer = renderer is not None
        self._renderer = renderer
        self._thread.set_renderer(renderer)
        if self.seed_browser is not None:
            self.seed_browser.set_renderer(renderer, self._state.z_dim)
        self.preview.set_placeholder("Rendering…" if self._has_renderer else self._idle_text)
        self._corners_changed()

    def set_idle_text(self, text: str) -> None:
        """What the preview says while there is no model (training has started, say)."""
        self._idle_text = text
        if not self._has_renderer:
            self.preview.set_placeholder(text)

    def set_walk_suffixes(self, suffixes: tuple[str, ...]) -> None:
        """The file types the tab's domain writes walks as (its usual one first), offered by the export dialog."""
        self._walk_suffixes = tuple(suffixes)
        if self.walk_settings.suffix not in self._walk_suffixes:
            self.walk_settings = WalkSettings(self._walk_suffixes[0], self.walk_settings.frames,
                                              self.walk_settings.fps, self.walk_settings.size, self.walk_settings.loop)

    def set_view(self, view: ArtifactView) -> None:
        self._view = view
        self.preview.set_view(view)
        self.directions.set_view(view)
        self._corners_changed()

    def set_corner_seed(self, corner: int, seed: int) -> None:
        """Puts a seed's sample at a corner."""
        self._state = self._state.with_seed(corner, seed)
        self._boxes[corner].show_seed(self._state.anchors[corner].seed)
        self._corners_changed()

    def take_seed(self, seed: int, corner: int) -> None:
        """Slot for the gallery's ``sendToExplorer(seed, corner)`` (its arguments come in that order)."""
        self.set_corner_seed(corner, seed)

    def set_corner_latent(self, corner: int, z: np.ndarray, label: str) -> None:
        """Puts a latent given directly at a corner (an encoded line, a projected picture)."""
        self._state = self._state.with_latent(corner, z, label)
        self._boxes[corner].show_latent(label)
        self._corners_changed()

    def corner_seeds(self) -> list[int | None]:
        return self._state.seeds()

    def state(self) -> ExplorerState:
        """Where the explorer stands now: anchors, pad position, ψ and decode options."""
        return self._state

    def set_position(self, u: float, v: float) -> None:
        self.pad.set_position(u, v)
        self._on_pad_moved(*self.pad.position())

    def _on_pad_moved(self, u: float, v: float) -> None:
        self._state = self._state.with_position(u, v)
        self._request_render()

    def set_psi(self, psi: float) -> None:
        self._state = self._state.with_psi(psi)
        self._psi_label.setText(f"ψ {self._state.psi:.2f}")
        value = round(self._state.psi * 100)
        if self._psi_slider.value() != value:
            self._psi_slider.blockSignals(True)
            self._psi_slider.setValue(value)
            self._psi_slider.blockSignals(False)
        self._look_changed()

    def set_options(self, options: dict[str, Any]) -> None:
        """Merges decode options (threshold, temperature...) and re-renders."""
        self._state = self._state.with_options(options)
        self._look_changed()

    def options(self) -> dict[str, Any]:
        return dict(self._state.options)

    def _look_changed(self) -> None:
        """ψ or the options moved: everything drawn again, the open seed browser too."""
        if self.seed_browser is not None:
            self.seed_browser.set_look(self._state.psi, self.options())
        self._corners_changed()

    def add_control(self, widget: QWidget, stretch: int = 0) -> None:
        """Adds a domain's own control (play button, threshold slider...) in a row of their own under ψ.

        A control with ``stretch`` takes the row's spare width (a slider lining up with ψ's).
        """
        self._controls.insertWidget(self._controls.count() - 1, widget, stretch)
        if stretch:
            self._controls.setStretch(self._controls.count() - 1, 0)
        self._controls_row.setVisible(True)
        self.updateGeometry()

    def show_directions(self, shown: bool = True) -> None:
        """Shows the Directions panel in the pad's place (or the pad again); the blend and the edits stay."""
        if self._directions_button.isChecked() != shown:
            self._directions_button.setChecked(shown)  # comes back here through toggled
            return
        self._pad_stack.setCurrentWidget(self._directions_scroll if shown else self._pad_panel)
        self._update_base()

    def directions_shown(self) -> bool:
        return self._pad_stack.currentWidget() is self._directions_scroll

    def _update_base(self) -> None:
        """The directions' preview strips follow the blend when the pad is let go, a corner or ψ changes."""
        if self.directions_shown() and self._state.z_dim > 0:
            self.directions.set_base(self._state.blend(), self._state.psi, self.options())

    def current_latent(self) -> np.ndarray:
        """The blend under the crosshair, moved along the directions' sliders, then truncated by ψ."""
        return self._state.latent(self.directions.offset())

    def current_artifact(self) -> Any:
        return self._artifact

    def current_info(self) -> dict[str, Any]:
        """What an export records: anchors, blend position, ψ, options and the latent itself."""
        return self._state.record(self.directions.offset(), self.directions.record())

    def walk_latents(self, frames: int, loop: bool = True) -> np.ndarray:
        """The exported walk: top-left → top-right → bottom-right → bottom-left (→ top-left, eased, when it
        loops), moved along the directions' sliders and truncated by ψ, as the preview shows it."""
        return self._state.walk_latents(frames, loop, self.directions.offset())

    def status_text(self) -> str:
        """The line under the preview: blend position, which model, render time."""
        return self._status.text()

    def render_is_current(self) -> bool:
        """True when the preview shows the latest position, ψ, options and model (nothing newer is on its way)."""
        return self._thread.is_current()

    def thumbnails_are_current(self) -> bool:
        """True when the pad's corner thumbnails show the current anchors, ψ, options and model."""
        return self._thumbs_look is not None and self._thumbs_look == self._state.look()

    def render_stats(self) -> dict[str, int]:
        return self._thread.stats()

    def shutdown(self) -> None:
        """Stops the render threads; call before the explorer is destroyed."""
        self._thread.shutdown()
        self.directions.shutdown()
        if self.seed_browser is not None:
            self.seed_browser.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    # ---------------------------------------------------------------- rendering
    def _corners_changed(self) -> None:
        self._update_base()
        for i, anchor in enumerate(self._state.anchors):
            self.pad.set_corner_label(i, anchor.label or f"seed {anchor.seed}")
        self._request_render()

    def _request_render(self) -> None:
        self._update_status()
        state = self._state
        if not self._has_renderer or state.z_dim <= 0:
            return
        with_corners = not self.thumbnails_are_current()
        batch = [state.latent(self.directions.offset())] + (state.corner_latents() if with_corners else [])
        self._thread.request(np.stack(batch), dict(state.options), _RenderTag(state, with_corners))

    def _on_rendered(self, tag: _RenderTag, artifacts: list, ms: float) -> None:
        if not artifacts:
            return
        if tag.with_corners and len(artifacts) >= 5:
            self._thumbs_look = tag.state.look()
            for i in range(4):
                thumb = self._view.pixmap(artifacts[1 + i], CORNER_THUMB_PX) if self._view else None
                self.pad.set_corner_thumb(i, thumb)
        self._artifact = artifacts[0]
        self.preview.set_artifact(self._artifact)
        if self._release_pending and self._thread.is_current():
            self._release_pending = False
            self.released.emit(self._artifact)
        self._last_ms = ms
        self._update_status()
        self._update_buttons()
        self.previewChanged.emit(self._artifact)

    def _on_pad_released(self) -> None:
        self._update_base()
        if self._has_renderer and not self._thread.is_current():
            self._release_pending = True
        else:
            self.released.emit(self._artifact)

    def _on_failed(self, message: str) -> None:
        self._status.setText(message)
        self._status.setToolTip(message)
        if self._artifact is None:  # never leave "Rendering…" standing when nothing will come
            self.preview.set_placeholder(message)
        self.renderFailed.emit(message)

    def _update_status(self) -> None:
        text = f"u {self._state.u:.2f}  ·  v {self._state.v:.2f}"
        if not self._has_renderer:
            text += "  ·  no model"
        elif self._source:
            text += f"  ·  {self._source}"
        if self._has_renderer and self._last_ms is not None:
            text += f"  ·  {self._last_ms:.0f} ms" if self._last_ms >= 10 else f"  ·  {self._last_ms:.1f} ms"
        self._status.setText(text)
        self._status.setToolTip("Blend position (u across, v down) and the last render time")

    def _update_buttons(self) -> None:
        self._current_button.setEnabled(self._artifact is not None)
        self._walk_button.setEnabled(self._has_renderer)
        self._browse_button.setEnabled(self._has_renderer)
        model = self.directions.model()
        if model is not None and model.domain.projection_target is not None and self._place_button.parent() is None:
            self.add_control(self._place_button)  # in the controls row, only where a medium can place a file

    # ---------------------------------------------------------------- exports
    def _export_current(self) -> None:
        if self._artifact is not None:
            self.exportCurrent.emit(self._artifact, self.current_info())

    def open_walk_dialog(self) -> WalkExportDialog:
        """The export dialog (window-modal, not blocking); accepting it exports the walk it describes."""
        dialog = WalkExportDialog(self._walk_suffixes, self.walk_settings, len(WALK_ORDER), self)
        dialog.accepted.connect(lambda: self.export_walk(dialog.settings()))
        dialog.finished.connect(dialog.deleteLater)
        self.walk_dialog = dialog
        dialog.open()
        return dialog

    def export_walk(self, settings: WalkSettings) -> None:
        """Emits ``exportWalk`` with the walk's latents and what the file records (the settings among it)."""
        self.walk_settings = settings
        info = self.current_info()
        names = [CORNER_NAMES[i] for i in WALK_ORDER] + ([CORNER_NAMES[WALK_ORDER[0]]] if settings.loop else [])
        info.update({"walk": names, "frames": settings.frames, "loop": settings.loop, "fps": settings.fps,
                     "size": settings.size, "suffix": settings.suffix})
        self.exportWalk.emit(self.walk_latents(settings.frames, settings.loop), info)

    def open_place_dialog(self, path: str | None = None, corner: int = 0) -> "PlacePictureDialog | None":
        """Place picture…: the search runs on a worker in a dialog and its result goes to a corner; a ``path``
        starts it at once."""
        from studio.ui.place_picture import PlacePictureDialog

        model = self.directions.model()
        if model is None or model.domain.projection_target is None or (
                self.place_dialog is not None and self.place_dialog.is_running()):
            return None
        dialog = PlacePictureDialog(model, self._view, list(CORNER_NAMES), corner, parent=self)
        dialog.placed.connect(self.set_corner_latent)
        dialog.finished.connect(self._place_dialog_closed)
        self.place_dialog = dialog
        dialog.open()
        if path is not None:
            dialog.start(path)
        return dialog

    def _place_dialog_closed(self) -> None:
        if self.place_dialog is not None:
            self.place_dialog.deleteLater()
            self.place_dialog = None

    def open_seed_browser(self) -> SeedBrowser:
        """The seed browser (one, kept), rendering with the explorer's model; its seeds go to the corners."""
        from studio.ui.seed_browser import SeedBrowser  # it draws on this module's corner names

        if self.seed_browser is None:
            self.seed_browser = SeedBrowser(self)
            self.seed_browser.sendToExplorer.connect(lambda seed, corner: self.set_corner_seed(corner, seed))
        self.seed_browser.set_view(self._view)
        self.seed_browser.set_renderer(self._renderer, self._state.z_dim)
        self.seed_browser.set_look(self._state.psi, self.options())
        self.seed_browser.show()
        self.seed_browser.raise_()
        return self.seed_browser
