"""The fixed-seed gallery: the same seeds sampled through training, so progress is visible.

Snapshots arrive every few seconds for hours, so only a bounded number is
kept (older ones are thinned, the first and the recent ones stay) and
thumbnails are drawn lazily, only for the snapshot on screen and only for
the cells Qt actually paints.  Animated artifacts (motion) loop in their
cells while the gallery is on screen.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from PySide6.QtCore import QEvent, QModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QMenu, QPushButton, QSlider, QStackedWidget, QStyle, QStyledItemDelegate,
                               QStyleOptionViewItem, QVBoxLayout, QWidget)

from studio.ui.flow_row import flow_row
from studio.ui.frame_clock import FrameClock
from studio.ui.media import ArtifactView, draw
from studio.ui.rows import slider_row

MAX_SNAPSHOTS = 200
MAX_SNAPSHOT_BYTES = 256 * 2**20  # big samples (many 256-px images) keep fewer snapshots
CORNER_LABELS = ["Top-left", "Top-right", "Bottom-left", "Bottom-right"]
STAR_COLOUR = QColor("#f2c94c")
SEED_ROLE = Qt.ItemDataRole.UserRole
CELL_PAD = 6


@dataclass(eq=False)  # compared by identity: artifacts may be arrays
class _Snapshot:
    step: int
    artifacts: list[Any]
    seeds: list[int]


def approx_bytes(artifact: Any) -> int:
    """Memory an artifact holds: arrays by size, objects by their array fields (a piano roll), else Python's size."""
    if isinstance(artifact, np.ndarray):
        return artifact.nbytes
    fields = getattr(artifact, "__dict__", None)
    if fields:
        return sum(v.nbytes for v in fields.values() if isinstance(v, np.ndarray)) + sys.getsizeof(artifact)
    return sys.getsizeof(artifact)


def snapshot_limit(snapshot_bytes: int, max_count: int = MAX_SNAPSHOTS, max_bytes: int = MAX_SNAPSHOT_BYTES) -> int:
    """How many snapshots of this size to keep: the count cap, lowered so they fit the memory budget."""
    return max(8, min(max_count, max_bytes // max(1, snapshot_bytes)))


def thin_snapshots(snapshots: list, limit: int = MAX_SNAPSHOTS) -> list:
    """Drops every other snapshot of the older half once over ``limit``: history gets sparser with age.

    The first snapshot always stays, and so does the newer half at full resolution.
    """
    while len(snapshots) > limit:
        recent = limit // 2
        older, newer = snapshots[:-recent], snapshots[-recent:]
        snapshots = older[::2] + newer
    return snapshots


class _ThumbDelegate(QStyledItemDelegate):
    """Paints a cell: thumbnail, seed caption, favourite star, selection and hover frames."""

    def __init__(self, gallery: "Gallery") -> None:
        super().__init__(gallery)
        self._gallery = gallery

    def thumb_rect(self, cell: QRect) -> QRect:
        size = self._gallery.thumbnail_box()
        return QRect(cell.left() + (cell.width() - size.width()) // 2, cell.top() + CELL_PAD, size.width(),
                     size.height())

    def star_rect(self, cell: QRect) -> QRect:
        thumb = self.thumb_rect(cell)
        side = max(16, min(24, thumb.width() // 4))
        return QRect(thumb.right() - side - 2, thumb.top() + 2, side, side)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return self._gallery.cell_size()

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        pal = option.palette
        cell = option.rect.adjusted(2, 2, -2, -2)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        seed = index.data(SEED_ROLE)
        favourite = seed in self._gallery.favourite_set()
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if selected or hovered:
            fill = QColor(pal.color(QPalette.ColorRole.Highlight))
            fill.setAlpha(110 if selected else 40)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(fill)
            p.drawRoundedRect(cell, 8, 8)
        thumb = self.thumb_rect(option.rect)
        pix = self._gallery.thumbnail(index.row())
        if pix is not None:
            target = QRect(QPoint(0, 0), pix.size().scaled(thumb.size(), Qt.AspectRatioMode.KeepAspectRatio))
            target.moveCenter(thumb.center())
            p.drawPixmap(target, pix)
        if favourite:
            p.setPen(QColor(STAR_COLOUR))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(thumb.adjusted(-1, -1, 1, 1), 3, 3)
        if favourite or hovered:
            self._paint_star(p, self.star_rect(option.rect), favourite)
        caption = QRect(cell.left() + 2, thumb.bottom() + 3, cell.width() - 4, cell.bottom() - thumb.bottom() - 3)
        font = QFont(option.font)
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
        p.setFont(font)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        p.setPen(pal.color(role))
        text = p.fontMetrics().elidedText(f"seed {seed}", Qt.TextElideMode.ElideRight, caption.width())
        p.drawText(caption, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, text)
        p.restore()

    @staticmethod
    def _paint_star(p: QPainter, rect: QRect, filled: bool) -> None:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 140))
        p.drawEllipse(rect)
        font = p.font()
        font.setPixelSize(int(rect.height() * 0.75))
        p.setFont(font)
        p.setPen(STAR_COLOUR if filled else QColor(235, 235, 235))
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, "★" if filled else "☆")

    def editorEvent(self, event: QEvent, model: Any, option: QStyleOptionViewItem, index: QModelIndex) -> bool:
        if (event.type() == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton
                and self.star_rect(option.rect).contains(event.position().toPoint())):
            self._gallery.toggle_favourite(index.data(SEED_ROLE))
            return True
        return super().editorEvent(event, model, option, index)


class Gallery(QWidget):
    """Thumbnails of fixed-seed samples with a slider back through training.

    The newest snapshot is shown as it arrives unless the user has moved the
    slider back. Clicking selects, double-clicking (or the star) marks a
    favourite; the buttons and the context menu send the selected seed to a
    corner of the explorer or ask for an export.
    """

    sendToExplorer = Signal(int, int)
    exportRequested = Signal(int, object)
    selected = Signal(int, object)
    favouritesChanged = Signal(list)

    def __init__(self, parent: QWidget | None = None, thumbnail_size: int = 112) -> None:
        super().__init__(parent)
        self._snapshots: list[_Snapshot] = []
        self._shown: _Snapshot | None = None
        self._follow_newest = True
        self._view: ArtifactView | None = None
        self._favourites: dict[int, None] = {}  # insertion-ordered set
        self._thumb_size = thumbnail_size
        self._pixmaps: dict[int, tuple[int, QPixmap]] = {}  # row -> (clock tick it was drawn at, picture)
        self._clock = FrameClock(self)
        self._clock.ticked.connect(lambda: self._list.viewport().update())
        self._aspect = 1.0  # height / width of the shown artifacts' pictures, at most 1

        self._slider = QSlider(Qt.Orientation.Horizontal)
        self._slider.setRange(0, 0)
        self._slider.setPageStep(5)
        self._slider.setToolTip("Move back through training: the same seeds at earlier steps")
        self._slider.valueChanged.connect(self._on_slider)
        self._step_label = QLabel()
        self._step_label.setMinimumWidth(self._step_label.fontMetrics().horizontalAdvance("step 0,000,000  (000/000)"))
        self._step_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        self._list = QListWidget()
        self._list.setViewMode(QListWidget.ViewMode.IconMode)
        self._list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self._list.setMovement(QListWidget.Movement.Static)
        self._list.setUniformItemSizes(True)
        self._list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._list.setMouseTracking(True)
        self._list.setSpacing(2)
        self._list.setWordWrap(False)
        self._list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self._list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self._list.setItemDelegate(_ThumbDelegate(self))
        self._list.setToolTip("Click to select, double-click or click the star to mark a favourite; "
                              "right-click for more")
        self._list.itemSelectionChanged.connect(self._on_selection)
        self._list.itemDoubleClicked.connect(lambda item: self.toggle_favourite(item.data(SEED_ROLE)))
        self._list.customContextMenuRequested.connect(self._context_menu)
        self._list.setGridSize(self.cell_size())

        self._empty = QLabel("Samples of the same fixed seeds appear here as the model trains")
        self._empty.setObjectName("placeholderLabel")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setWordWrap(True)
        self._empty.setMargin(24)
        self._stack = QStackedWidget()
        self._stack.addWidget(self._empty)
        self._stack.addWidget(self._list)

        self._fav_button = QPushButton("☆ Favourite")
        self._fav_button.setToolTip("Mark the selected sample as a favourite (double-click does the same)")
        self._fav_button.clicked.connect(lambda: self.toggle_favourite(self.selected_seed()))
        self._send_button = QPushButton("Send to explorer")
        self._send_button.setToolTip("Put the selected seed at a corner of the latent explorer")
        self._send_button.setMenu(self._corner_menu(self))
        self._export_button = QPushButton("Export…")
        self._export_button.setToolTip("Save the selected sample with its seed")
        self._export_button.clicked.connect(self._request_export)
        self._only_favourites = QCheckBox("★ only")
        self._only_favourites.setToolTip("Show favourites only")
        self._only_favourites.toggled.connect(lambda _: self._apply_filter())
        self._size_slider = QSlider(Qt.Orientation.Horizontal)
        self._size_slider.setRange(48, 256)
        self._size_slider.setValue(thumbnail_size)
        self._size_slider.setFixedWidth(72)
        self._size_slider.setToolTip("Thumbnail size")
        self._size_slider.valueChanged.connect(self.set_thumbnail_size)

        title = QLabel("Samples")
        title.setObjectName("sectionLabel")
        title.setToolTip("The same seeds sampled as training goes on")
        size_icon = QLabel("▦")
        size_icon.setToolTip(self._size_slider.toolTip())
        size_control = QWidget()
        size_layout = QHBoxLayout(size_control)
        size_layout.setContentsMargins(4, 0, 0, 0)
        size_layout.setSpacing(8)
        size_layout.addWidget(size_icon)
        size_layout.addWidget(self._size_slider)
        header_controls, self._header_flow = flow_row()
        self._header_flow.addWidget(self._only_favourites)
        self._header_flow.addWidget(size_control)
        self._header = QHBoxLayout()
        self._header.setSpacing(8)
        self._header.addWidget(title, 0, Qt.AlignmentFlag.AlignTop)
        self._header.addStretch(1)
        self._header.addWidget(header_controls, 100)
        self._history_row = QWidget()  # the rows about samples hide while there are none
        top = slider_row("History", self._slider, self._step_label)
        top.setContentsMargins(0, 0, 0, 0)
        self._history_row.setLayout(top)
        self._actions_row = QWidget()
        bottom = QHBoxLayout(self._actions_row)
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.setSpacing(6)
        bottom.addWidget(self._fav_button)
        bottom.addWidget(self._send_button)
        bottom.addWidget(self._export_button)
        bottom.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(self._header)
        layout.addWidget(self._history_row)
        layout.addWidget(self._stack, 1)
        layout.addWidget(self._actions_row)
        self._layout = layout
        self._update_controls()

    # ----------------------------------------------------------------- public API
    def set_placeholder(self, text: str) -> None:
        """What the empty gallery says (the tab tells how to get samples for the folder it has)."""
        self._empty.setText(text)

    def add_header_widget(self, widget: QWidget) -> None:
        """Puts a control of the caller's (an export button) at the right end of the title row, which wraps
        onto a second line when the column is narrow."""
        self._header_flow.addWidget(widget)

    def add_footer_widget(self, widget: QWidget) -> None:
        """Puts a widget of the caller's (the nearest-training-item strip) under the action buttons."""
        self._layout.addWidget(widget)

    def set_view(self, view: ArtifactView) -> None:
        self._view = view
        self._clock.set_view(view)
        self._relayout()

    def is_animating(self) -> bool:
        """True while animated thumbnails loop (an animated view, samples shown, the gallery on screen)."""
        return self._clock.is_running()

    def add_snapshot(self, step: int, artifacts: Sequence[Any], seeds: Sequence[int]) -> None:
        """Keeps one set of fixed-seed samples; shown at once unless the user is looking back."""
        if len(artifacts) != len(seeds):
            raise ValueError(f"{len(artifacts)} artifacts for {len(seeds)} seeds")
        snapshot = _Snapshot(int(step), list(artifacts), [int(s) for s in seeds])
        # a run resumed from an earlier checkpoint replaces the snapshots it is redoing
        kept = [s for s in self._snapshots if s.step < snapshot.step] + [snapshot]
        limit = snapshot_limit(sum(approx_bytes(a) for a in snapshot.artifacts))
        self._snapshots = thin_snapshots(kept, limit)
        target = self._snapshots[-1] if self._follow_newest or self._shown is None else self._nearest(self._shown)
        self._slider.blockSignals(True)
        self._slider.setRange(0, len(self._snapshots) - 1)
        self._slider.setValue(self._snapshots.index(target))
        self._slider.blockSignals(False)
        self._show(target)

    def clear(self) -> None:
        """Forgets all snapshots (favourites stay: they are seeds, valid for the next run too)."""
        self._snapshots.clear()
        self._shown = None
        self._clock.set_content(False)
        self._follow_newest = True
        self._pixmaps.clear()
        self._list.clear()
        self._slider.blockSignals(True)
        self._slider.setRange(0, 0)
        self._slider.blockSignals(False)
        self._update_controls()

    def snapshot_count(self) -> int:
        return len(self._snapshots)

    def snapshot_steps(self) -> list[int]:
        return [s.step for s in self._snapshots]

    def show_snapshot(self, index: int) -> None:
        """Moves the history slider (as the user would)."""
        self._slider.setValue(index)

    def current_step(self) -> int | None:
        return None if self._shown is None else self._shown.step

    def current_artifacts(self) -> list[Any]:
        return [] if self._shown is None else list(self._shown.artifacts)

    def selected_seed(self) -> int | None:
        items = self._list.selectedItems()
        return items[0].data(SEED_ROLE) if items else None

    def selected_artifact(self) -> Any:
        items = self._list.selectedItems()
        return self._shown.artifacts[self._list.row(items[0])] if items and self._shown else None

    def select_seed(self, seed: int) -> None:
        for row in range(self._list.count()):
            item = self._list.item(row)
            if item.data(SEED_ROLE) == seed:
                self._list.setCurrentItem(item)
                return

    def favourites(self) -> list[int]:
        return list(self._favourites)

    def favourite_set(self) -> dict[int, None]:
        return self._favourites

    def set_favourites(self, seeds: Sequence[int]) -> None:
        """Restores favourites (a reopened run); does not emit ``favouritesChanged``."""
        self._favourites = dict.fromkeys(int(s) for s in seeds)
        self._apply_filter()
        self._update_controls()
        self._list.viewport().update()

    def toggle_favourite(self, seed: int | None) -> None:
        if seed is None:
            return
        if seed in self._favourites:
            del self._favourites[seed]
        else:
            self._favourites[seed] = None
        self._apply_filter()
        self._update_controls()
        self._list.viewport().update()
        self.favouritesChanged.emit(self.favourites())

    def thumbnail_size(self) -> int:
        return self._thumb_size

    def set_thumbnail_size(self, px: int) -> None:
        self._thumb_size = int(px)
        if self._size_slider.value() != px:
            self._size_slider.setValue(px)
        self._relayout()

    def _relayout(self) -> None:
        self._pixmaps.clear()
        first = self.thumbnail(0)
        if first is not None and first.width() > 0:
            self._aspect = min(1.0, first.height() / first.width())
        size = self.cell_size()
        self._list.setGridSize(size)
        for row in range(self._list.count()):
            self._list.item(row).setSizeHint(size)
        self._list.doItemsLayout()
        self._list.viewport().update()

    def thumbnail_box(self) -> QSize:
        """Thumbnail area: ``thumbnail_size`` wide, as tall as the artifacts' shape needs (wide piano rolls)."""
        return QSize(self._thumb_size, max(8, round(self._thumb_size * self._aspect)))

    def cell_size(self) -> QSize:
        caption = self.fontMetrics().height() + 6
        box = self.thumbnail_box()
        return QSize(box.width() + 2 * CELL_PAD, box.height() + CELL_PAD + caption + 4)

    def thumbnail(self, row: int) -> QPixmap | None:
        """The cell's picture, drawn on first paint and kept until the snapshot, the size or the frame changes."""
        if self._view is None or self._shown is None or row >= len(self._shown.artifacts):
            return None
        tick = self._clock.tick
        drawn = self._pixmaps.get(row)
        if drawn is None or (drawn[0] != tick and self._clock.is_running()):
            drawn = (tick, draw(self._view, self._shown.artifacts[row], self._thumb_size, tick))
            self._pixmaps[row] = drawn
        return drawn[1]

    # ----------------------------------------------------------------- internals
    def _nearest(self, snapshot: _Snapshot) -> _Snapshot:
        if snapshot in self._snapshots:
            return snapshot
        return min(self._snapshots, key=lambda s: abs(s.step - snapshot.step))

    def _on_slider(self, index: int) -> None:
        self._follow_newest = index == len(self._snapshots) - 1
        if 0 <= index < len(self._snapshots):
            self._show(self._snapshots[index])

    def _show(self, snapshot: _Snapshot) -> None:
        keep = self.selected_seed()
        self._shown = snapshot
        self._clock.set_content(bool(snapshot.artifacts))
        current = [self._list.item(r).data(SEED_ROLE) for r in range(self._list.count())]
        if current != snapshot.seeds:
            self._list.blockSignals(True)
            self._list.clear()
            for seed in snapshot.seeds:
                item = QListWidgetItem()
                item.setData(SEED_ROLE, seed)
                item.setSizeHint(self.cell_size())
                self._list.addItem(item)
            self._list.blockSignals(False)
            if keep is not None:
                self.select_seed(keep)
            self._apply_filter()
        for row in range(self._list.count()):
            item = self._list.item(row)
            if self._view is not None:
                item.setToolTip(f"seed {snapshot.seeds[row]}\n{self._view.caption(snapshot.artifacts[row])}")
        self._relayout()
        self._update_controls()

    def _apply_filter(self) -> None:
        only = self._only_favourites.isChecked()
        for row in range(self._list.count()):
            item = self._list.item(row)
            item.setHidden(only and item.data(SEED_ROLE) not in self._favourites)

    def _update_controls(self) -> None:
        has = self._shown is not None
        self._stack.setCurrentWidget(self._list if has else self._empty)
        self._history_row.setVisible(has)
        self._actions_row.setVisible(has)
        n = len(self._snapshots)
        if has:
            index = self._snapshots.index(self._shown) + 1 if self._shown in self._snapshots else n
            self._step_label.setText(f"step {self._shown.step:,}  ({index}/{n})")
        else:
            self._step_label.setText("no samples yet")
        self._slider.setEnabled(n > 1)
        seed = self.selected_seed()
        for button in (self._send_button, self._export_button, self._fav_button):
            button.setEnabled(seed is not None)
        self._fav_button.setText("★ Favourite" if seed in self._favourites else "☆ Favourite")

    def _on_selection(self) -> None:
        self._update_controls()
        seed = self.selected_seed()
        if seed is not None:
            self.selected.emit(seed, self.selected_artifact())

    def _corner_menu(self, parent: QWidget) -> QMenu:
        menu = QMenu("Send to explorer", parent)
        for corner, label in enumerate(CORNER_LABELS):
            action = QAction(f"{label} corner", menu)
            action.triggered.connect(lambda _=False, c=corner: self._send(c))
            menu.addAction(action)
        return menu

    def _send(self, corner: int) -> None:
        seed = self.selected_seed()
        if seed is not None:
            self.sendToExplorer.emit(seed, corner)

    def _request_export(self) -> None:
        seed = self.selected_seed()
        if seed is not None:
            self.exportRequested.emit(seed, self.selected_artifact())

    def context_menu_for(self, seed: int) -> QMenu:
        """The right-click menu for a seed (built on demand; separate so it can be tested without exec)."""
        self.select_seed(seed)
        menu = QMenu(self)
        fav = menu.addAction("Remove from favourites" if seed in self._favourites else "Add to favourites")
        fav.triggered.connect(lambda: self.toggle_favourite(seed))
        menu.addMenu(self._corner_menu(menu))
        menu.addSeparator()
        menu.addAction("Export…").triggered.connect(self._request_export)
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        item = self._list.itemAt(pos)
        if item is not None:
            self.context_menu_for(item.data(SEED_ROLE)).exec(self._list.viewport().mapToGlobal(pos))
