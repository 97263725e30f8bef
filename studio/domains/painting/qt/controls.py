"""Painting's own control: "Paint to music…", the generic dialog with the music domain's synthesiser handed in
and the other tabs' current clips offered (through the tab API, not by importing music's code)."""
from __future__ import annotations

from PySide6.QtWidgets import QPushButton

from studio.ui.tab_api import TabApi

DEFAULT_SEEDS = [0, 1, 2, 3]


class PaintToMusicButton(QPushButton):
    """Opens Paint to music with the explorer's corner seeds as anchors and the run's direction names."""

    def __init__(self, api: TabApi) -> None:
        super().__init__("Paint to music…")
        self.setToolTip("A walk whose speed and direction follow a MIDI or WAV file, exported as an MP4 with "
                        "that music as its sound")
        self._api = api
        self.dialog = None
        self.clicked.connect(self.open_dialog)
        api.modelChanged.connect(lambda model: self.setEnabled(model is not None))
        self.setEnabled(api.model() is not None)

    def open_dialog(self):
        from studio.core.directions import DirectionsError, directions_for
        from studio.core.music_video import MUSIC_SUFFIXES
        from studio.domains import domain_names, get_domain
        from studio.domains.painting.qt.paint_to_music import PaintToMusicDialog

        model = self._api.model()
        if model is None:
            return None
        seeds = [s for s in self._api.explorer_record().get("seeds", []) if s is not None]
        try:
            directions, _ = directions_for(model, compute=False)
        except DirectionsError:
            directions = None
        names = [directions.name(i) for i in range(len(directions))] if directions is not None else None
        synthesiser = get_domain("music") if "music" in domain_names() else None
        self.dialog = PaintToMusicDialog(model, synthesiser, seeds if len(seeds) >= 2 else DEFAULT_SEEDS, names, self,
                                         self._api.offers(MUSIC_SUFFIXES))
        self.dialog.written.connect(lambda path: self._api.status(f"Wrote {path}"))
        self.dialog.open()
        return self.dialog


def install_controls(api: TabApi) -> PaintToMusicButton:
    button = PaintToMusicButton(api)
    api.add_control(button)
    return button
