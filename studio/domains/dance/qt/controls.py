"""The dance tab's own controls: the camera the figures are seen from, and "Dance to music…".

The camera is a decode option (``camera``): the explorer renders again with it, the view draws every
figure from it (animated views redraw each frame, so the gallery turns too), and GIF or WebP walks
record and use it.  "Dance to music…" asks for a MIDI file, then for where to save, and on a worker
dances the whole piece in the style of the explorer's current latent (choreography.py), writing the
BVH and the music as a WAV beside it.  Its menu also offers what another tab shows now (the music tab's
current clip, through TabApi.offers), so dance never imports music.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QMenu, QToolButton, QWidget

from studio.domains.dance.figure import CAMERAS
from studio.domains.dance.qt.view import VIEW
from studio.ui.offered_files import OfferedFiles
from studio.ui.tab_api import TabApi

MIDI_SUFFIXES = (".mid", ".midi")
MIDI_FILTER = f"MIDI files ({' '.join('*' + suffix for suffix in MIDI_SUFFIXES)})"


class DanceBar(QWidget):
    """Camera choice and the "Dance to music…" button, on one row under the explorer."""

    def __init__(self, api: TabApi, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.api = api
        self.camera_combo = QComboBox()
        for camera in CAMERAS:
            self.camera_combo.addItem(camera.title(), camera)
        self.camera_combo.setToolTip("See the figures from the front or from their left side")
        self.music_button = QToolButton()
        self.music_button.setText("Dance to music…")
        self.music_button.setToolTip("Choose a MIDI file (or, from the arrow, another tab's current clip): the "
                                     "figure dances the whole piece on its beats, in the style of the explorer's "
                                     "motion; saved as BVH with the music as WAV beside it")
        self.music_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.music_menu = QMenu(self.music_button)
        self.music_menu.aboutToShow.connect(self._fill_music_menu)
        self.music_button.setMenu(self.music_menu)
        self.music_button.setEnabled(False)
        self._offered = OfferedFiles()  # where offered clips are written
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Camera"))
        layout.addWidget(self.camera_combo)
        layout.addStretch(1)
        layout.addWidget(self.music_button)
        self.camera_combo.currentIndexChanged.connect(self._camera_chosen)
        self.music_button.clicked.connect(lambda: self.dance_to_music())
        api.modelChanged.connect(lambda model: self.music_button.setEnabled(model is not None))
        self.music_button.setEnabled(api.model() is not None)

    def _camera_chosen(self) -> None:
        camera = self.camera_combo.currentData()
        VIEW.set_camera(camera)
        self.api.set_options({"camera": camera})

    def _fill_music_menu(self) -> None:
        """A MIDI file, then what the other tabs offer now (asked each time the menu opens)."""
        self.music_menu.clear()
        self.music_menu.addAction("A MIDI file…", lambda: self.dance_to_music())
        for label, write in self.api.offers(MIDI_SUFFIXES).items():
            self.music_menu.addAction(label[:1].upper() + label[1:],
                                      lambda lb=label, w=write: self.dance_to_offer(lb, w))

    def dance_to_offer(self, label: str, write: Callable[[Path], Path | None]) -> None:
        """Writes an offered clip to this bar's temporary folder, then dances to that file."""
        path = self._offered.take(label, write, self.api.status)
        if path is not None:
            self.dance_to_music(str(path))

    def dance_to_music(self, midi: str | None = None) -> None:
        """Reads the MIDI file's beats (asking for the file when not given), then exports the dance."""
        from studio.domains.dance.beats import BeatProblem, read_beats

        if self.api.model() is None:
            return
        if not midi:
            midi, _ = QFileDialog.getOpenFileName(self, "Dance to music", "", MIDI_FILTER)
            if not midi:
                return
        try:
            track = read_beats(midi)
        except BeatProblem as exc:
            self.api.status(str(exc))
            return
        record = self.api.explorer_record()
        latent = self._latent(record)
        options = dict(record.get("options") or {})
        info = self.api.export_record(latent=latent, music=str(midi), bpm=round(track.bpm, 2), options=options)
        model = self.api.model().on_cpu()

        def write(path: Path) -> Path:
            from studio.domains.dance.choreography import choreograph, export_dance

            take = choreograph(model, track, latent, options)
            return export_dance(take, track, path, info)[0]

        self.api.export("Dance to music", f"dance-{Path(midi).stem}", ".bvh", write, background=True)

    def _latent(self, record: dict[str, Any]) -> np.ndarray:
        from studio.core.latent import seed_to_z

        model = self.api.model()
        if record.get("latent") is not None:
            return np.asarray(record["latent"], np.float32)
        return seed_to_z(int(record.get("seed") or 0), model.z_dim)


def install_controls(api: TabApi) -> DanceBar:
    bar = DanceBar(api)
    api.add_control(bar, stretch=1)
    return bar
