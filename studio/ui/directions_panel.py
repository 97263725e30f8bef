"""The explorer's "Directions" panel: the latent space's principal directions as sliders.

Directions are found on a worker (core/directions.py takes a second or two on
a CPU) when the user asks, and read back from the run for a checkpoint that
already has them.  Each slider is in standard deviations; each row shows a
strip of three thumbnails at -2, 0 and +2 around the pad's current blend,
rendered off the GUI thread.  A name typed over the index is saved with the run.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSizePolicy, QSlider,
                               QVBoxLayout, QWidget)

from studio.core.directions import (Directions, DirectionsError, directions_for, find_directions,
                                    save_directions)
from studio.core.latent import truncate
from studio.ui.media import ArtifactView
from studio.workers.background import LatestOnly

SLIDER_STEPS = 100  # slider ticks per standard deviation
SLIDER_RANGE = 3  # -3 .. +3 standard deviations
STRIP_VALUES = (-2.0, 0.0, 2.0)
STRIP_PX = 30


class _DirectionRow:
    """Name, slider, value and preview strip of one direction: cells of the panel's grid."""

    def __init__(self, index: int, panel: "DirectionsPanel") -> None:
        self.index = index
        self.name = QLineEdit()
        self.name.setPlaceholderText(str(index))
        self.name.setFixedWidth(self.name.fontMetrics().horizontalAdvance("M" * 7))
        self.name.setToolTip("Name this direction (saved with the run); --edit NAME=VALUE uses the name, "
                             "or the index until it has one")
        self.name.editingFinished.connect(lambda: panel.rename(index, self.name.text()))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(-SLIDER_RANGE * SLIDER_STEPS, SLIDER_RANGE * SLIDER_STEPS)
        self.slider.setMinimumWidth(80)
        self.slider.setToolTip("Move along this direction, in standard deviations")
        self.slider.valueChanged.connect(lambda _value: panel.slider_moved(index))
        self.value = QLabel()
        self.value.setMinimumWidth(self.value.fontMetrics().horizontalAdvance("−3.00") + 4)
        self.value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.thumbs = [QLabel() for _ in STRIP_VALUES]
        for thumb, at in zip(self.thumbs, STRIP_VALUES):
            thumb.setFixedSize(STRIP_PX, STRIP_PX)
            thumb.setObjectName("directionThumb")
            thumb.setToolTip(f"{at:+g} standard deviations along this direction")
        self.strip = QWidget()
        strip = QHBoxLayout(self.strip)
        strip.setContentsMargins(0, 0, 0, 0)
        strip.setSpacing(2)
        for thumb in self.thumbs:
            strip.addWidget(thumb)
        self.show_value()

    def sd(self) -> float:
        return self.slider.value() / SLIDER_STEPS

    def show_value(self) -> None:
        self.value.setText(f"{self.sd():+.2f}".replace("-", "−"))


class DirectionsPanel(QWidget):
    """Sliders along the principal directions of the loaded model; ``editsChanged`` when one moves."""

    editsChanged = Signal()
    found = Signal()  # directions shown (found now or read from the run)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model: Any = None
        self._directions: Directions | None = None
        self._view: ArtifactView | None = None
        self._rows: list[_DirectionRow] = []
        self._base: tuple[np.ndarray, float, dict[str, Any]] | None = None
        self._finder = LatestOnly("directions", owner=self)
        self._strips = LatestOnly("direction-strips", owner=self)
        self.find_button = QPushButton("Find directions")
        self.find_button.setToolTip("Find the principal directions of this model's latent space from its early "
                                    "activations over 2,000 samples (a second or two on a CPU)")
        self.find_button.clicked.connect(self.find)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("All sliders back to 0")
        self.reset_button.clicked.connect(self.reset)
        self.status = QLabel("No model")
        self.status.setObjectName("hintLabel")
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(self.find_button)
        header.addWidget(self.status, 1)
        header.addWidget(self.reset_button)
        self._grid = QGridLayout()
        self._grid.setHorizontalSpacing(6)
        self._grid.setVerticalSpacing(2)
        self._grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addLayout(self._grid)
        self.hint = QLabel("Type a name over a number to name its direction (saved with the run, and usable as "
                           "studio sample --edit NAME=VALUE). Each strip shows −2, 0 and +2 around the blend.")
        self.hint.setObjectName("hintLabel")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        layout.addStretch(1)  # rows stay under the header however tall the pad's place is
        self._update_controls()

    # ---------------------------------------------------------------- model and directions
    def set_view(self, view: ArtifactView | None) -> None:
        self._view = view

    def model(self) -> Any:
        """The model the explorer renders with (None when none is loaded)."""
        return self._model

    def set_model(self, model: Any) -> None:
        """A new model: its saved directions are shown when its checkpoint has them, else the rows are cleared."""
        previous, self._model = self._model, model
        self._finder.cancel()
        directions = None
        note = "No model" if model is None else f"Find the directions of step {model.step:,}"
        if model is not None:
            try:
                directions, _ = directions_for(model, compute=False)
            except DirectionsError as exc:
                note = str(exc)
        kept = self._directions
        if directions is None and kept is not None and model is not None and previous is not None \
                and previous.run_path is not None and previous.run_path == model.run_path:
            # the same run's newer weights (live, while it trains): the sliders stay until the user finds again
            self.status.setText(f"{len(kept)} directions of step {kept.step:,}; the model is at step {model.step:,}")
            self.find_button.setText("Find again")
            self._update_controls(stale=True)
            return
        self.find_button.setText("Find directions")
        self._show(directions, note)

    def find(self) -> None:
        """Finds the model's directions on a worker; they are saved with the run and shown as sliders."""
        model = self._model
        if model is None:
            return
        self.status.setText("Finding directions…")
        self.find_button.setEnabled(False)

        def work() -> Directions:
            found = find_directions(model.generator, model.z_dim, model.device, model.step)
            if model.run_path is not None:
                save_directions(found, model.run_path)
            return found

        self._finder.submit(work, lambda found: self._found(model, found), self._failed)

    def _found(self, model: Any, found: Directions) -> None:
        if model is self._model:
            self._show(found, "")

    def _failed(self, text: str) -> None:
        self.status.setText(f"Could not find directions: {text}")
        self._update_controls(stale=True)

    def _show(self, directions: Directions | None, note: str) -> None:
        self._directions = directions
        for row in self._rows:
            for widget in (row.name, row.slider, row.value, row.strip):
                self._grid.removeWidget(widget)
                widget.deleteLater()
        self._rows = []
        if directions is not None:
            for i in range(len(directions)):
                self._add_row(i, directions)
            saved = "" if self._model is not None and self._model.run_path is not None else " (not saved: no run)"
            note = note or f"{len(directions)} directions of step {directions.step:,}{saved}"
        self.status.setText(note)
        self.status.setToolTip(note)
        self._update_controls()
        self._render_strips()
        self.editsChanged.emit()
        if directions is not None:
            self.found.emit()

    def _add_row(self, i: int, directions: Directions) -> None:
        row = _DirectionRow(i, self)
        row.name.setText(directions.names[i] or "")
        row.name.setToolTip(f"{row.name.toolTip()}\n{directions.share[i]:.1%} of the early activations' variance")
        self._grid.addWidget(row.name, i, 0)
        self._grid.addWidget(row.slider, i, 1)
        self._grid.addWidget(row.value, i, 2)
        self._grid.addWidget(row.strip, i, 3)
        self._rows.append(row)

    def rename(self, index: int, name: str) -> None:
        """Names direction ``index`` and saves the names with the run; a clash keeps the old name."""
        directions = self._directions
        if directions is None or index >= len(directions):
            return
        try:
            directions.rename(index, name)
        except DirectionsError as exc:
            self.status.setText(str(exc))
            self._rows[index].name.setText(directions.names[index] or "")
            return
        if self._model is not None and self._model.run_path is not None:
            save_directions(directions, self._model.run_path)
        self.editsChanged.emit()  # exports record names

    # ---------------------------------------------------------------- edits
    def directions(self) -> Directions | None:
        return self._directions

    def set_value(self, index: int, sd: float) -> None:
        self._rows[index].slider.setValue(round(sd * SLIDER_STEPS))

    def slider_moved(self, index: int) -> None:
        self._rows[index].show_value()
        self.editsChanged.emit()

    def reset(self) -> None:
        for row in self._rows:
            row.slider.blockSignals(True)
            row.slider.setValue(0)
            row.slider.blockSignals(False)
            row.show_value()
        self.editsChanged.emit()

    def edits(self) -> dict[str, float]:
        """The directions moved away from 0, by name, in standard deviations."""
        if self._directions is None:
            return {}
        return {self._directions.name(r.index): r.sd() for r in self._rows if r.slider.value() != 0}

    def offset(self) -> np.ndarray | None:
        """The z-offset of the sliders, or None while they are all at 0."""
        edits = self.edits()
        return self._directions.offset(edits) if edits and self._directions is not None else None

    def record(self) -> dict[str, Any]:
        """What an export carries about the edits (nothing while every slider is at 0)."""
        edits = self.edits()
        if not edits or self._directions is None:
            return {}
        return {"edits": edits, "directions_step": self._directions.step}

    # ---------------------------------------------------------------- preview strips
    def set_base(self, z: np.ndarray, psi: float, options: dict[str, Any] | None = None) -> None:
        """The pad's blend (before ψ) the strips are drawn around, with the explorer's decode options."""
        self._base = (np.asarray(z, np.float32).copy(), float(psi), dict(options or {}))
        self._render_strips()

    def _render_strips(self) -> None:
        directions, model, base = self._directions, self._model, self._base
        if directions is None or model is None or base is None or self._view is None:
            return
        z, psi, options = base
        latents = np.stack([truncate(z + at * directions.sigma[i] * directions.vectors[i], psi)
                            for i in range(len(directions)) for at in STRIP_VALUES]).astype(np.float32)
        self._strips.submit(lambda: model.render(latents, options), lambda art: self._show_strips(directions, art))

    def _show_strips(self, directions: Directions, artifacts: list) -> None:
        if directions is not self._directions or self._view is None:
            return
        per_row = len(STRIP_VALUES)
        for row in self._rows:
            for k, thumb in enumerate(row.thumbs):
                pixmap: QPixmap = self._view.pixmap(artifacts[row.index * per_row + k], STRIP_PX)
                thumb.setPixmap(pixmap)

    def strip_pixmaps(self, index: int) -> list[QPixmap | None]:
        """The strip's thumbnails of one direction (None where none is drawn yet)."""
        return [t.pixmap() if not t.pixmap().isNull() else None for t in self._rows[index].thumbs]

    def _update_controls(self, stale: bool = False) -> None:
        self.find_button.setEnabled(self._model is not None and not self._finder.busy())
        self.find_button.setVisible(self._directions is None or stale)  # a checkpoint's directions are found once
        self.reset_button.setEnabled(bool(self._rows))
        self.hint.setVisible(bool(self._rows))

    def shutdown(self) -> None:
        self._finder.cancel()
        self._strips.cancel()

