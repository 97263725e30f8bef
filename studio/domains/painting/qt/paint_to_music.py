"""Paint to music…: the knobs of core/music_drive.py's mapping, and the export of the video on a worker.

The same choices as ``studio animate``'s flags.  A MIDI file is sounded by
the music domain's synthesiser, which this dialog hands down to core (core
never looks a domain up); the export can be stopped between frames.
Another tab's current clip comes as an offer (TabApi.offers): a label and a
routine that writes the clip to a file, so painting never imports music.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QComboBox, QDialog, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QMenu, QProgressBar, QPushButton, QSpinBox, QToolButton, QVBoxLayout,
                               QWidget)

from studio.core.latent import seeds_to_z
from studio.core.music_drive import DriveSettings
from studio.core.music_video import MUSIC_SUFFIXES, MusicVideoCancelled, paint_to_music, read_music
from studio.ui.offered_files import OfferedFiles
from studio.workers.background import run_in_background

DIRECTION_CHOICES = 8  # directions offered before the run's own are found (their names are their indices)
DEFAULT_FPS = 25.0


class _Relay(QObject):
    progressed = Signal(int, int)


class PaintToMusicDialog(QDialog):
    """Music file, anchors and the mapping's knobs; Export writes an MP4 with the music as its sound."""

    written = Signal(str)

    def __init__(self, model: Any, synthesiser: Any, seeds: list[int], direction_names: list[str] | None = None,
                 parent: QWidget | None = None,
                 offers: dict[str, Callable[[Path], Path | None]] | None = None) -> None:
        """``offers``: music from elsewhere (another tab's current clip), by label, each written on request."""
        super().__init__(parent)
        self.setWindowTitle("Paint to music")
        self.setMinimumWidth(480)
        self._model, self._synthesiser = model, synthesiser
        self._stop = threading.Event()
        self._running = False
        self._relay = _Relay(self)
        self._relay.progressed.connect(self._show_progress)
        defaults = DriveSettings()
        names = direction_names or [str(i) for i in range(DIRECTION_CHOICES)]

        self.music_edit = QLineEdit()
        self.music_edit.setPlaceholderText("a MIDI (.mid) or WAV (.wav) file")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self.choose_music)
        self._offered = OfferedFiles()  # where offered clips are written, while the dialog is open
        self.offer_actions: dict[str, QAction] = {}
        self.offers_button = QToolButton()
        self.offers_button.setText("From a tab")
        self.offers_button.setToolTip("Paint to what another tab shows now (written to a temporary file)")
        self.offers_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.offers_button)
        for label, write in (offers or {}).items():
            action = menu.addAction(label[:1].upper() + label[1:])
            action.triggered.connect(lambda _checked=False, lb=label, w=write: self.use_offer(lb, w))
            self.offer_actions[label] = action
        self.offers_button.setMenu(menu)
        self.offers_button.setMinimumWidth(self.offers_button.sizeHint().width() + 12)  # room for the arrow
        self.offers_button.setVisible(bool(offers))
        self.seeds_edit = QLineEdit(" ".join(str(s) for s in seeds))
        self.seeds_edit.setToolTip("The anchors, in turn: each phrase travels from one to the next")
        self.push_spin = self._spin(0.0, 20.0, defaults.push, "Speed on the strongest onset over the speed between "
                                                              "onsets (0: the walk ignores onsets)")
        self.loud_box = self._directions(names, defaults.loudness_direction)
        self.loud_spin = self._spin(-5.0, 5.0, defaults.loudness_amount, "Standard deviations between the quietest "
                                                                         "and the loudest moment (0: off)")
        self.pitch_box = self._directions(names, defaults.pitch_direction)
        self.pitch_spin = self._spin(-5.0, 5.0, defaults.pitch_amount, "Standard deviations for an octave above the "
                                                                       "piece's average pitch (0: off)")
        self.phrase_spin = self._spin(1.0, 256.0, defaults.phrase_beats, "Beats from one anchor to the next "
                                                                         "(a WAV counts beats at 120 bpm)")
        self.smooth_spin = self._spin(0.0, 2.0, defaults.smoothing_s, "Seconds over which loudness and pitch are "
                                                                      "smoothed, so the picture breathes")
        self.fps_spin = self._spin(1.0, 60.0, DEFAULT_FPS, "Frames a second")
        self.size_spin = QSpinBox()
        self.size_spin.setRange(0, 4096)
        self.size_spin.setSpecialValueText("as rendered")
        self.size_spin.setSuffix(" px")
        self.size_spin.setToolTip("Longest side of the video")

        music_row = QHBoxLayout()
        music_row.addWidget(self.music_edit, 1)
        music_row.addWidget(browse)
        music_row.addWidget(self.offers_button)
        form = QFormLayout()
        form.addRow("Music", music_row)
        form.addRow("Anchor seeds", self.seeds_edit)
        form.addRow("Onsets push", self.push_spin)
        form.addRow("Loudness steers along", self._pair(self.loud_box, self.loud_spin))
        form.addRow("Pitch steers along", self._pair(self.pitch_box, self.pitch_spin))
        form.addRow("Beats a phrase", self.phrase_spin)
        form.addRow("Smoothing (s)", self.smooth_spin)
        form.addRow("Frame rate", self.fps_spin)
        form.addRow("Size", self.size_spin)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.status = QLabel("Onsets push the walk forward, loudness and pitch steer it along the directions, "
                             "each phrase moves to the next anchor.")
        self.status.setWordWrap(True)
        self.export_button = QPushButton("Export MP4…")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.choose_output)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self._stop.set)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self._update_buttons()

    @staticmethod
    def _spin(low: float, high: float, value: float, tip: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(low, high)
        spin.setDecimals(2)
        spin.setSingleStep(0.25)
        spin.setValue(value)
        spin.setToolTip(tip)
        return spin

    @staticmethod
    def _directions(names: list[str], chosen: str) -> QComboBox:
        box = QComboBox()
        box.addItems(names)
        box.setEditable(True)  # a name given later in the explorer works too
        box.setCurrentText(names[int(chosen)] if chosen.isdigit() and int(chosen) < len(names) else chosen)
        box.setToolTip("A direction of the run (its name, or its index: 0 is the strongest)")
        return box

    @staticmethod
    def _pair(box: QComboBox, spin: QDoubleSpinBox) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(box, 1)
        layout.addWidget(spin)
        return row

    # ----------------------------------------------------------------- reading the knobs
    def settings(self) -> DriveSettings:
        return DriveSettings(push=self.push_spin.value(), loudness_direction=self.loud_box.currentText().strip(),
                             loudness_amount=self.loud_spin.value(),
                             pitch_direction=self.pitch_box.currentText().strip(),
                             pitch_amount=self.pitch_spin.value(), phrase_beats=self.phrase_spin.value(),
                             smoothing_s=self.smooth_spin.value())

    def seeds(self) -> list[int]:
        """The anchor seeds; ValueError says what is wrong with the text."""
        try:
            seeds = [int(word) for word in self.seeds_edit.text().replace(",", " ").split()]
        except ValueError:
            raise ValueError("anchor seeds are whole numbers, such as 0 1 2 3") from None
        if len(seeds) < 2:
            raise ValueError("give at least two anchor seeds")
        return seeds

    # ----------------------------------------------------------------- export
    def choose_music(self) -> None:
        patterns = " ".join(f"*{s}" for s in MUSIC_SUFFIXES)
        name, _ = QFileDialog.getOpenFileName(self, "Music to paint to", "", f"Music ({patterns});;All files (*)")
        if name:
            self.music_edit.setText(name)

    def use_offer(self, label: str, write: Callable[[Path], Path | None]) -> None:
        """Writes an offered clip to this dialog's temporary folder and paints to that file."""
        path = self._offered.take(label, write, self.status.setText)
        if path is None:
            return
        self.music_edit.setText(str(path))
        self.status.setText(f"Painting to {label}")

    def choose_output(self) -> None:
        folder = Path(self._model.run_path) / "exports" if self._model.run_path is not None else Path.home()
        start = folder / f"{Path(self.music_edit.text() or 'music').stem}.mp4"
        name, _ = QFileDialog.getSaveFileName(self, "Export MP4", str(start), "MP4 video (*.mp4)")
        if name:
            self.export(Path(name).with_suffix(".mp4"))

    def export(self, out: str | Path) -> None:
        """Reads the music and renders the video on a worker; ``written`` tells the path."""
        if self._running:
            return
        try:
            seeds, settings = self.seeds(), self.settings()
        except ValueError as exc:
            self.status.setText(str(exc))
            return
        music_path, fps = self.music_edit.text().strip(), self.fps_spin.value()
        if not music_path:
            self.status.setText("Choose a MIDI or WAV file to paint to")
            return
        size = self.size_spin.value() or None
        model, synthesiser, relay, stop = self._model, self._synthesiser, self._relay, self._stop
        info = model.info(seeds=seeds, fps=fps, size=size)

        def work() -> Path | None:
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            music = read_music(music_path, fps, synthesiser)
            anchors = list(seeds_to_z(seeds, model.z_dim))
            try:
                return paint_to_music(model, music, anchors, settings, out, info, relay.progressed.emit, stop.is_set)
            except MusicVideoCancelled:
                return None

        self._stop.clear()
        self._running = True
        self.status.setText(f"Reading {Path(music_path).name}…")
        self._update_buttons()
        run_in_background(work, self._finished, self._failed, name="paint-to-music", owner=self)

    def _show_progress(self, done: int, total: int) -> None:
        self.bar.setRange(0, total)
        self.bar.setValue(done)
        self.status.setText(f"Painting frame {done} of {total}")

    def _finished(self, path: Path | None) -> None:
        self._running = False
        self.status.setText(f"Wrote {path}" if path is not None else "Stopped; nothing was written")
        self._update_buttons()
        if path is not None:
            self.written.emit(str(path))

    def _failed(self, text: str) -> None:
        self._running = False
        self.status.setText(f"Could not paint to the music: {text}")
        self._update_buttons()

    def is_running(self) -> bool:
        return self._running

    def reject(self) -> None:
        self._stop.set()
        super().reject()

    def _update_buttons(self) -> None:
        self.export_button.setEnabled(not self._running)
        self.stop_button.setEnabled(self._running)
