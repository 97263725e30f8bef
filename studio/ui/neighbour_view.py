"""The selected sample beside the training item it is closest to: the copy check made visible.

A metric says "3 % of samples look copied"; an artist wants to see which
picture, phrase or line a sample came close to.  This strip shows the
selected sample, its nearest training item and how close they are, drawn by
the domain's view like every other artifact.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from studio.core.domain import Neighbour
from studio.ui.media import ArtifactView

THUMB_PX = 72


class NeighbourView(QWidget):
    """Sample ↔ closest training item, with the distance in words and a warning when it counts as a copy."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._view: ArtifactView | None = None
        self._neighbour: Neighbour | None = None
        self.sample_label = QLabel()
        self.item_label = QLabel()
        for label in (self.sample_label, self.item_label):
            label.setFixedSize(THUMB_PX, THUMB_PX)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        arrow = QLabel("↔")
        arrow.setObjectName("sectionLabel")
        self.title_label = QLabel("Closest in your data")
        self.title_label.setObjectName("sectionLabel")
        self.detail_label = QLabel()
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.title_label)
        text.addWidget(self.detail_label, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.sample_label)
        layout.addWidget(arrow)
        layout.addWidget(self.item_label)
        layout.addLayout(text, 1)
        self.setToolTip("The training item nearest to the selected sample: is the model inventing or copying?")
        self.hide()

    def set_view(self, view: ArtifactView) -> None:
        self._view = view

    def neighbour(self) -> Neighbour | None:
        return self._neighbour

    def show_pending(self, seed: int) -> None:
        self._neighbour = None
        self.sample_label.clear()
        self.item_label.clear()
        self.detail_label.setText(f"Looking for the training item nearest to seed {seed}…")
        self.setVisible(True)

    def show_neighbour(self, seed: int, sample: Any, neighbour: Neighbour) -> None:
        self._neighbour = neighbour
        if self._view is not None:
            self.sample_label.setPixmap(self._view.pixmap(sample, THUMB_PX))
            self.item_label.setPixmap(self._view.pixmap(neighbour.item, THUMB_PX))
            self.item_label.setToolTip(self._view.caption(neighbour.item))
        if neighbour.index < 0:
            self.detail_label.setText(f"seed {seed}: nothing in the training data resembles it")
        else:
            verdict = ("<span style='color:#ff8a65'>close enough to count as a copy</span>" if neighbour.copied
                       else "not a copy")
            self.detail_label.setText(f"seed {seed} ↔ training item {neighbour.index + 1:,}: "
                                      f"{neighbour.label} — {verdict}")
        self.setVisible(True)

    def clear(self) -> None:
        self._neighbour = None
        self.hide()
