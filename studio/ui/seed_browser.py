"""A page of seeds at a time, to find a start for the explorer (StyleGAN3's visualizer does the same).

Pages render on their own :class:`RenderThread` with the explorer's model,
ψ and options, newest page only, so paging quickly never queues renders and
never blocks the window. Any seed goes to any corner of the explorer.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QPaintEvent, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (QDialog, QGridLayout, QHBoxLayout, QLabel, QMenu, QPushButton, QSizePolicy, QSpinBox,
                               QVBoxLayout, QWidget)

from studio.core.latent import seeds_to_z, truncate
from studio.ui.explorer import CORNER_ARROWS, CORNER_NAMES, MAX_SEED
from studio.ui.media import ArtifactView
from studio.workers.render_thread import Renderer, RenderThread



class SeedCell(QWidget):
    """One seed: its thumbnail over its number, outlined when selected; a click selects, right-click sends."""

    clicked = Signal()
    menuRequested = Signal(object)  # global position

    def __init__(self, thumb_px: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumb_px = thumb_px
        self.seed = 0
        self.pixmap: QPixmap | None = None
        self.selected = False
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def sizeHint(self) -> QSize:
        return QSize(self.thumb_px + 8, self.thumb_px + self.fontMetrics().height() + 12)

    def set_seed(self, seed: int) -> None:
        self.seed, self.pixmap, self.selected = seed, None, False
        self.setToolTip(f"seed {seed}: click to select, right-click to send it to a corner")
        self.update()

    def set_pixmap(self, pixmap: QPixmap | None) -> None:
        self.pixmap = pixmap
        self.update()

    def set_selected(self, selected: bool) -> None:
        self.selected = selected
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        elif event.button() == Qt.MouseButton.RightButton:
            self.menuRequested.emit(event.globalPosition().toPoint())

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        pal = self.palette()
        thumb = QRect(4, 4, self.thumb_px, self.thumb_px)
        if self.pixmap is not None:
            x = thumb.x() + (thumb.width() - self.pixmap.width()) // 2
            y = thumb.y() + (thumb.height() - self.pixmap.height()) // 2
            p.drawPixmap(x, y, self.pixmap)
        else:
            p.fillRect(thumb, pal.color(QPalette.ColorRole.Base))
        if self.selected:
            p.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 3))
            p.drawRect(thumb.adjusted(-1, -1, 1, 1))
        p.setPen(pal.color(QPalette.ColorRole.HighlightedText if self.selected else QPalette.ColorRole.WindowText))
        text = QRect(0, thumb.bottom() + 4, self.width(), self.fontMetrics().height() + 4)
        p.drawText(text, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, f"seed {self.seed}")


class SeedBrowser(QDialog):
    """``columns`` × ``rows`` seeds from a first seed; pages move by a whole grid."""

    sendToExplorer = Signal(int, int)  # seed, corner: the gallery's signal, so the tab wires both alike

    def __init__(self, parent: QWidget | None = None, columns: int = 4, rows: int = 4, thumb_px: int = 96) -> None:
        super().__init__(parent)
        self.setWindowTitle("Seed browser")
        self._columns, self._rows, self._thumb_px = columns, rows, thumb_px
        self._view: ArtifactView | None = None
        self._z_dim = 0
        self._psi = 1.0
        self._options: dict[str, Any] = {}
        self._has_renderer = False
        self._generation = 0
        self._shown_generation = -1
        self._thread = RenderThread(parent=self)
        self._thread.rendered.connect(self._on_rendered)
        self._thread.failed.connect(lambda text: self._status.setText(text))

        self._first = QSpinBox()
        self._first.setRange(0, MAX_SEED)
        self._first.setPrefix("from seed ")
        self._first.setToolTip("The first seed on the page; type any number to jump there")
        self._first.valueChanged.connect(lambda _: self._request_page())
        self._previous = QPushButton("◀ Previous")
        self._previous.clicked.connect(lambda: self.show_page(self.first_seed() - self.page_size()))
        self._next = QPushButton("Next ▶")
        self._next.clicked.connect(lambda: self.show_page(self.first_seed() + self.page_size()))
        self._status = QLabel()
        self._status.setObjectName("hintLabel")

        self._selected: int | None = None  # index on the page
        self.cells: list[SeedCell] = []
        grid = QGridLayout()
        grid.setSpacing(6)
        for i in range(columns * rows):
            cell = SeedCell(thumb_px)
            cell.clicked.connect(lambda k=i: self._select_index(k))
            cell.menuRequested.connect(lambda pos, k=i: self._cell_menu(k).exec(pos))
            grid.addWidget(cell, *divmod(i, columns))
            self.cells.append(cell)

        self._send_buttons = []
        send = QHBoxLayout()
        send.addWidget(QLabel("Send the selected seed to"))
        for corner, (name, arrow) in enumerate(zip(CORNER_NAMES, CORNER_ARROWS)):
            button = QPushButton(f"{arrow} {name}")
            button.setToolTip(f"Put the selected seed at the explorer's {name} corner (right-click a seed: the same)")
            button.clicked.connect(lambda _=False, c=corner: self.send_selected(c))
            send.addWidget(button)
            self._send_buttons.append(button)
        send.addStretch(1)

        paging = QHBoxLayout()
        paging.addWidget(self._previous)
        paging.addWidget(self._first)
        paging.addWidget(self._next)
        paging.addStretch(1)
        paging.addWidget(self._status)
        layout = QVBoxLayout(self)
        layout.addLayout(paging)
        layout.addLayout(grid)
        layout.addLayout(send)
        self._label_cells()
        self._update_send()

    # ---------------------------------------------------------------- public API
    def set_view(self, view: ArtifactView | None) -> None:
        self._view = view

    def set_renderer(self, renderer: Renderer | None, z_dim: int) -> None:
        self._has_renderer = renderer is not None
        self._z_dim = int(z_dim)
        self._thread.set_renderer(renderer)
        self._request_page()

    def set_look(self, psi: float, options: dict[str, Any]) -> None:
        """The explorer's ψ and decode options, so a seed looks here as it will at a corner."""
        self._psi, self._options = float(psi), dict(options)
        self._request_page()

    def page_size(self) -> int:
        return self._columns * self._rows

    def first_seed(self) -> int:
        return self._first.value()

    def page_seeds(self) -> list[int]:
        return [self.first_seed() + i for i in range(self.page_size())]

    def show_page(self, first_seed: int) -> None:
        self._first.setValue(int(np.clip(first_seed, 0, MAX_SEED - self.page_size())))

    def select(self, seed: int) -> None:
        index = seed - self.first_seed()
        if 0 <= index < self.page_size():
            self._select_index(index)

    def selected_seed(self) -> int | None:
        return None if self._selected is None else self.first_seed() + self._selected

    def send_selected(self, corner: int) -> None:
        seed = self.selected_seed()
        if seed is not None:
            self.sendToExplorer.emit(seed, corner)
            self._status.setText(f"seed {seed} → {CORNER_NAMES[corner]}")

    def page_is_shown(self) -> bool:
        """True when the thumbnails are those of the page on screen (nothing newer is on its way)."""
        return self._shown_generation == self._generation

    def shutdown(self) -> None:
        self._thread.shutdown()

    # ---------------------------------------------------------------- rendering
    def _request_page(self) -> None:
        self._label_cells()
        self._generation += 1
        if not self._has_renderer or self._z_dim <= 0:
            self._status.setText("no model to render with")
            return
        z = truncate(seeds_to_z(self.page_seeds(), self._z_dim), self._psi)
        self._thread.request(z, dict(self._options), self._generation)

    def _on_rendered(self, generation: Any, artifacts: list, ms: float) -> None:
        if generation != self._generation or self._view is None:
            return
        self._shown_generation = generation
        for cell, artifact in zip(self.cells, artifacts):
            cell.set_pixmap(self._view.pixmap(artifact, self._thumb_px))
        self._status.setText(f"{len(artifacts)} seeds in {ms:.0f} ms")

    def _label_cells(self) -> None:
        self._selected = None  # a new page starts with nothing selected
        for cell, seed in zip(self.cells, self.page_seeds()):
            cell.set_seed(seed)
        self._previous.setEnabled(self.first_seed() > 0)
        self._update_send()

    def _update_send(self) -> None:
        for button in self._send_buttons:
            button.setEnabled(self.selected_seed() is not None)

    def _select_index(self, index: int) -> None:
        self._selected = index
        for i, cell in enumerate(self.cells):
            cell.set_selected(i == index)
        self._update_send()

    def _cell_menu(self, index: int) -> QMenu:
        self._select_index(index)
        menu = QMenu(self)
        for corner, (name, arrow) in enumerate(zip(CORNER_NAMES, CORNER_ARROWS)):
            menu.addAction(f"{arrow} Send to the {name} corner").triggered.connect(
                lambda _=False, c=corner: self.send_selected(c))
        return menu
