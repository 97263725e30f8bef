"""Place picture…: the artist's own file, found in the latent space on a worker while they watch.

The dialog shows the target, the best reconstruction so far and its
distance, improving every few steps; Stop ends the search (what was found
so far is kept and can still be placed).  The search is core/projection.py,
so any medium whose domain can read a target file gets the same dialog.
When it ends, the placement is kept with the run and ``placed`` hands the
latent to a corner of the explorer.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QComboBox, QDialog, QFileDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton,
                               QVBoxLayout, QWidget)

from studio.core.projection import (Projection, ProjectionCancelled, ProjectionProgress, ProjectionSettings,
                                    project, save_placement)
from studio.ui.media import ArtifactView
from studio.workers.background import run_in_background

PREVIEW_PX = 192
PICTURE_FILTER = "Pictures (*.png *.jpg *.jpeg *.webp *.bmp *.gif *.tif *.tiff);;All files (*)"


class _Relay(QObject):
    """Carries the worker's progress to the GUI thread (a queued signal: the receiver lives there)."""

    progressed = Signal(object, object)  # ProjectionProgress, its decoded artifact


class PlacePictureDialog(QDialog):
    """Chooses a file and a corner, runs the projection on a worker, shows it improve, places the result."""

    placed = Signal(int, object, str)  # corner, latent (np.ndarray), label

    def __init__(self, model: Any, view: ArtifactView | None, corner_names: list[str], corner: int = 0,
                 settings: ProjectionSettings = ProjectionSettings(), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Place picture")
        self._model, self._view, self._settings = model, view, settings
        self._path: Path | None = None
        self._stop = threading.Event()
        self._running = False
        self.result: Projection | None = None
        self._best: ProjectionProgress | None = None
        self._relay = _Relay(self)
        self._relay.progressed.connect(self._show_progress)

        self.target_label = self._picture_box("Choose a picture")
        self.result_label = self._picture_box("The closest the model can make")
        self.corner_box = QComboBox()
        for name in corner_names:
            self.corner_box.addItem(name)
        self.corner_box.setCurrentIndex(corner)
        self.corner_box.setToolTip("The corner of the pad the placed picture goes to")
        self.status = QLabel("Choose a picture of your own: the model finds the latent closest to it.")
        self.status.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, settings.steps)
        self.bar.setTextVisible(False)
        self.choose_button = QPushButton("Choose picture…")
        self.choose_button.clicked.connect(self.choose)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("End the search now; the best found so far can still be placed")
        self.stop_button.clicked.connect(self.stop)
        self.place_button = QPushButton("Place on corner")
        self.place_button.setDefault(True)
        self.place_button.clicked.connect(self.place)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)

        pictures = QHBoxLayout()
        for title, label in (("Your picture", self.target_label), ("Placed", self.result_label)):
            column = QVBoxLayout()
            heading = QLabel(title)
            heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
            column.addWidget(heading)
            column.addWidget(label)
            pictures.addLayout(column)
        corner_row = QHBoxLayout()
        corner_row.addWidget(QLabel("Corner"))
        corner_row.addWidget(self.corner_box, 1)
        buttons = QHBoxLayout()
        for button in (self.choose_button, self.stop_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.place_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(pictures)
        layout.addLayout(corner_row)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self._update_buttons()

    @staticmethod
    def _picture_box(placeholder: str) -> QLabel:
        label = QLabel(placeholder)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setFixedSize(PREVIEW_PX, PREVIEW_PX)
        label.setWordWrap(True)
        label.setStyleSheet("QLabel { border: 1px solid palette(mid); }")
        return label

    # ------------------------------------------------------------------ flow
    def choose(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Place picture", "", PICTURE_FILTER)
        if name:
            self.start(name)

    def start(self, path: str | Path) -> None:
        """Reads ``path`` as the model's target and starts the search on a worker (never on the GUI thread)."""
        if self._running:
            return
        path = Path(path)
        try:
            target = self._model.domain.projection_target(path, self._model.meta)
        except ValueError as exc:
            self.status.setText(str(exc))
            return
        self._path, self.result, self._best = path, None, None
        self.target_label.setPixmap(QPixmap(str(path)).scaled(
            PREVIEW_PX, PREVIEW_PX, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
        self.result_label.setText("Searching…")
        self._stop.clear()
        self._running = True
        self.bar.setValue(0)
        self.status.setText(f"Placing {path.name}: scoring {self._settings.seeds} seeds…")
        self._update_buttons()
        model, settings, relay, stop = self._model, self._settings, self._relay, self._stop

        def report(progress: ProjectionProgress) -> None:  # on the worker: decoding is cheap, drawing is not
            artifact = model.domain.decode(progress.output, model.context())[0]
            relay.progressed.emit(progress, artifact)

        def work() -> Projection | None:
            try:
                result = project(model, target, settings, progress=report, cancel=stop.is_set)
            except ProjectionCancelled:
                return None
            if model.run_path is not None:
                save_placement(model.run_path, path, result, model.step)
            return result

        run_in_background(work, self._finished, self._failed, name="place-picture", owner=self)

    def stop(self) -> None:
        self._stop.set()

    def place(self) -> None:
        """Hands the result (or the best so far, after Stop) to the chosen corner and closes."""
        z = self.result.z if self.result is not None else (self._best.z if self._best is not None else None)
        if z is None or self._path is None:
            return
        self.placed.emit(self.corner_box.currentIndex(), np.asarray(z, np.float32), f"placed {self._path.name}")
        self.accept()

    def reject(self) -> None:
        self._stop.set()
        super().reject()

    # -------------------------------------------------------------- results
    def _show_progress(self, progress: ProjectionProgress, artifact: Any) -> None:
        self._best = progress
        self.bar.setValue(progress.step)
        self.status.setText(f"Placing {self._path.name if self._path else ''}: step {progress.step} of "
                            f"{progress.total}, distance {progress.distance:.4f}")
        if self._view is not None:
            self.result_label.setPixmap(self._view.pixmap(artifact, PREVIEW_PX))
        self._update_buttons()

    def _finished(self, result: Projection | None) -> None:
        self._running = False
        if result is not None:
            self.result = result
            self.bar.setValue(self.bar.maximum())
            self.status.setText(f"Placed {self._path.name if self._path else ''}: distance {result.distance:.4f} "
                                f"(the best of {self._settings.seeds} seeds: {result.seed_distance:.4f}), "
                                f"{result.seconds:.1f} s; kept with the run")
        elif self._best is not None:
            self.status.setText(f"Stopped at step {self._best.step}: distance {self._best.distance:.4f}")
        else:
            self.status.setText("Stopped before the first result")
        self._update_buttons()

    def _failed(self, text: str) -> None:
        self._running = False
        self.status.setText(f"Could not place the picture: {text}")
        self._update_buttons()

    def is_running(self) -> bool:
        return self._running

    def _update_buttons(self) -> None:
        self.choose_button.setEnabled(not self._running)
        self.stop_button.setEnabled(self._running)
        self.place_button.setEnabled(self.result is not None or (not self._running and self._best is not None))
