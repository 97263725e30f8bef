"""The small dialog in front of a walk export: format, frame rate, duration, size and loop.

The same choices as ``studio interpolate``'s ``--fps``, ``--seconds``,
``--frames``, ``--size`` and ``--loop``; frames, rate and duration are kept
consistent (frames = rate × duration), and a domain whose walks are not
pictures (a MIDI of phrases, a text file) is asked for frames and loop only.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QLabel,
                               QSpinBox, QVBoxLayout, QWidget)

from studio.core.animation import ANIMATION_SUFFIXES, DEFAULT_FPS, MAX_FPS, MIN_FPS

FORMAT_NAMES = {".gif": "GIF (animated)", ".webp": "WebP (animated)", ".mp4": "MP4 (H.264 video)",
                ".mid": "MIDI (phrases one after another)", ".txt": "Text (one line a frame)"}
MAX_FRAMES = 6000


@dataclass(frozen=True)
class WalkSettings:
    """What a walk export was asked for; recorded in the file's info."""

    suffix: str
    frames: int = 60
    fps: float = DEFAULT_FPS
    size: int | None = None  # the longest side in pixels; None: as rendered
    loop: bool = True


class WalkExportDialog(QDialog):
    """Asks for a :class:`WalkSettings`; ``min_frames`` is the number of anchors the walk must visit."""

    def __init__(self, suffixes: tuple[str, ...], settings: WalkSettings, min_frames: int = 2,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export walk")
        self._animated = all(s in ANIMATION_SUFFIXES for s in suffixes)
        self._syncing = False

        self.format_box = QComboBox()
        has_av = importlib.util.find_spec("av") is not None
        for suffix in suffixes:
            self.format_box.addItem(FORMAT_NAMES.get(suffix, suffix.lstrip(".").upper()), suffix)
            if suffix == ".mp4" and not has_av:  # say why rather than fail after rendering
                item = self.format_box.model().item(self.format_box.count() - 1)
                item.setEnabled(False)
                item.setToolTip("MP4 needs PyAV: pip install 'gan-studio[video]'")
        index = self.format_box.findData(settings.suffix)
        self.format_box.setCurrentIndex(max(0, index))
        self.format_box.setEnabled(len(suffixes) > 1)

        self.fps_spin = QDoubleSpinBox()
        self.fps_spin.setRange(MIN_FPS, MAX_FPS)
        self.fps_spin.setDecimals(1)
        self.fps_spin.setSuffix(" fps")
        self.fps_spin.setValue(settings.fps)
        self.fps_spin.setToolTip("Frames a second: 12.5 is a GIF's usual pace, 24–30 a film's")
        self.seconds_spin = QDoubleSpinBox()
        self.seconds_spin.setRange(0.1, MAX_FRAMES / MIN_FPS)
        self.seconds_spin.setDecimals(1)
        self.seconds_spin.setSuffix(" s")
        self.seconds_spin.setToolTip("How long one pass of the walk plays")
        self.frames_spin = QSpinBox()
        self.frames_spin.setRange(max(2, min_frames), MAX_FRAMES)
        self.frames_spin.setSuffix(" frames")
        self.frames_spin.setValue(settings.frames)
        self.frames_spin.setToolTip("Frames written, loop or not (a loop does not repeat its first frame)")
        self.size_spin = QSpinBox()
        self.size_spin.setRange(0, 2048)
        self.size_spin.setSingleStep(64)
        self.size_spin.setSpecialValueText("as rendered")
        self.size_spin.setSuffix(" px")
        self.size_spin.setValue(settings.size or 0)
        self.size_spin.setToolTip("Longest side of the pictures; larger than rendered is smoothly enlarged")
        self.loop_box = QCheckBox("Loop back to the start, eased at each anchor (no seam)")
        self.loop_box.setChecked(settings.loop)
        self.summary = QLabel()
        self.summary.setObjectName("hintLabel")

        form = QFormLayout()
        form.addRow("Format", self.format_box)
        if self._animated:
            form.addRow("Frame rate", self.fps_spin)
            form.addRow("Duration", self.seconds_spin)
        form.addRow("Frames", self.frames_spin)
        if self._animated:
            form.addRow("Size", self.size_spin)
        form.addRow("", self.loop_box)
        for widget in (self.fps_spin, self.seconds_spin, self.size_spin):
            widget.setVisible(self._animated)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export…")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)

        self.fps_spin.valueChanged.connect(lambda _: self._sync_frames())
        self.seconds_spin.valueChanged.connect(lambda _: self._sync_frames())
        self.frames_spin.valueChanged.connect(lambda _: self._sync_seconds())
        self.loop_box.toggled.connect(lambda _: self._update_summary())
        self.size_spin.valueChanged.connect(lambda _: self._update_summary())
        self.format_box.currentIndexChanged.connect(lambda _: self._update_summary())
        self._sync_seconds()

    def settings(self) -> WalkSettings:
        return WalkSettings(suffix=str(self.format_box.currentData()), frames=self.frames_spin.value(),
                            fps=round(self.fps_spin.value(), 1), size=self.size_spin.value() or None,
                            loop=self.loop_box.isChecked())

    def _sync_frames(self) -> None:
        """Rate or duration moved: the frames follow (frames = rate × duration)."""
        if not self._syncing:
            self._syncing = True
            self.frames_spin.setValue(round(self.fps_spin.value() * self.seconds_spin.value()))
            self._syncing = False
        self._update_summary()

    def _sync_seconds(self) -> None:
        """Frames moved: the duration follows at the same rate."""
        if not self._syncing:
            self._syncing = True
            self.seconds_spin.setValue(self.frames_spin.value() / self.fps_spin.value())
            self._syncing = False
        self._update_summary()

    def _update_summary(self) -> None:
        s = self.settings()
        parts = [f"{s.frames} frames"]
        if self._animated:
            parts.append(f"{s.frames / s.fps:.1f} s at {s.fps:g} fps")
            parts.append(f"{s.size} px" if s.size else "rendered size")
        parts.append("loops without a seam" if s.loop else "plays once, first anchor to last")
        self.summary.setText("  ·  ".join(parts))
