"""The music tab's own controls: how G's output becomes notes, which instruments play them, and listening.

Three pieces go into the generic tab:

- under the explorer's ψ slider, a :class:`DecodeBar`: the note threshold
  (or Bernoulli sampling with a re-roll), the key the notes keep to, Play /
  Stop and Export WAV;
- in the left column, a :class:`SoundPanel`: tempo and one General MIDI
  instrument per track of the model (or, before there is one, of the
  imported corpus), and whether clicks and pad releases play at once;
- a ▶ button in the gallery's header that plays the selected sample.

Every decode choice goes through the tab API's ``set_options``, so the
explorer re-renders with it and its exports (MIDI, walks, WAV) carry it.
Gallery samples stay as the trainer decoded them; only the instruments and
tempo chosen here are applied when one is played.  Audio is synthesised on
a worker (newest request only) and played by :class:`AudioPlayer`.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton,
                               QSlider, QSpinBox, QToolButton, QVBoxLayout, QWidget)

from studio.domains.music.codec import GM_PROGRAM_NAMES, program_name
from studio.domains.music.domain import DEFAULT_THRESHOLD
from studio.domains.music.key_lock import key_choices
from studio.domains.music.roll import DRUMS, ROLE_COLOURS, Clip, gm_family
from studio.ui.audio_player import AudioPlayer, load_backend
from studio.ui.rows import slider_row
from studio.ui.tab_api import TabApi
from studio.workers.background import LatestOnly

SAMPLE_RATE = 44100  # exports at CD rate; previews play the same buffer
THRESHOLD_PERCENT = (5, 95)
TEMPO_RANGE = (30, 300)
OTHER_ROLE_COLOUR = (200, 200, 210)


class DecodeBar(QWidget):
    """Threshold / sampling / key on one row, Play / Stop / Export WAV on the next: the explorer's music row."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.threshold_slider = QSlider(Qt.Orientation.Horizontal)
        self.threshold_slider.setRange(*THRESHOLD_PERCENT)
        self.threshold_slider.setValue(round(DEFAULT_THRESHOLD * 100))
        self.threshold_slider.setMinimumWidth(100)
        self.threshold_slider.setToolTip("A cell sounds when G gives it a probability above this: "
                                         "higher means fewer, surer notes")
        self.threshold_label = QLabel()
        self.threshold_label.setMinimumWidth(self.threshold_label.fontMetrics().horizontalAdvance("0.00") + 4)
        self.sample_check = QCheckBox("Sample")
        self.sample_check.setToolTip("Draw each note at random with the probability G gives it (Bernoulli) "
                                     "instead of cutting at the threshold")
        self.reroll_button = QToolButton()
        self.reroll_button.setText("⚄")
        self.reroll_button.setToolTip("Draw the notes again (another sampling seed)")
        self.reroll_button.setEnabled(False)
        self.key_combo = QComboBox()
        self.key_combo.addItem("Any key", None)
        for label, value in key_choices():
            self.key_combo.addItem(label, value)
        self.key_combo.setMaxVisibleItems(25)
        self.key_combo.setToolTip("Keep the pitched tracks to this key's scale, so the phrase fits a song in it "
                                  "(a minor key keeps its raised 7th; drums are never changed)")
        self.play_button = QPushButton("▶ Play")
        self.play_button.setToolTip("Play the phrase under the crosshair with the built-in synthesizer")
        self.stop_button = QPushButton("■ Stop")
        self.stop_button.setToolTip("Stop playback")
        self.status_label = QLabel()
        self.status_label.setObjectName("phaseLabel")
        self.status_label.setMinimumWidth(40)
        self.wav_button = QPushButton("Export WAV…")
        self.wav_button.setToolTip("Save the phrase under the crosshair as audio (16-bit WAV), with its seed")
        for button in (self.play_button, self.stop_button, self.wav_button):
            button.setEnabled(False)

        notes = slider_row("Threshold", self.threshold_slider, self.threshold_label, self.sample_check,
                           self.reroll_button, self.key_combo)
        sound = QHBoxLayout()
        sound.setSpacing(8)
        sound.addWidget(self.play_button)
        sound.addWidget(self.stop_button)
        sound.addWidget(self.status_label, 1)
        sound.addWidget(self.wav_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(notes)
        layout.addLayout(sound)
        self.show_threshold(DEFAULT_THRESHOLD)

    def threshold(self) -> float:
        return self.threshold_slider.value() / 100

    def show_threshold(self, value: float) -> None:
        self.threshold_label.setText(f"{value:.2f}")

    def show_status(self, text: str) -> None:
        self.status_label.setText(self.status_label.fontMetrics().elidedText(
            text, Qt.TextElideMode.ElideRight, max(40, self.status_label.width())))
        self.status_label.setToolTip(text)


class SoundPanel(QGroupBox):
    """Tempo and one General MIDI instrument per track; emits only what the user changes."""

    tempoChanged = Signal(float)
    programsChanged = Signal(list)
    resetRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Sound", parent)
        self._roles: list[str] = []
        self._drum_programs: dict[int, int] = {}  # track index -> program kept for drum tracks (no combo)
        self.program_combos: dict[str, QComboBox] = {}

        self.tempo_spin = QSpinBox()
        self.tempo_spin.setRange(*TEMPO_RANGE)
        self.tempo_spin.setSuffix(" BPM")
        self.tempo_spin.setValue(120)  # until a corpus or model says its own, not the range's 30
        self.tempo_spin.setKeyboardTracking(False)
        self.tempo_spin.setToolTip("Tempo of what you play and export (the corpus's typical tempo at first)")
        self.tempo_spin.valueChanged.connect(lambda bpm: self.tempoChanged.emit(float(bpm)))
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Back to the instruments and tempo of the training corpus")
        self.reset_button.clicked.connect(self.resetRequested)
        self.autoplay_check = QCheckBox("Play on click and release")
        self.autoplay_check.setChecked(True)
        self.autoplay_check.setToolTip("Play a gallery sample when you select it, and the explorer's phrase "
                                       "when you let go of the pad")
        self._empty = QLabel("Instruments appear once a corpus or model is loaded")
        self._empty.setObjectName("placeholderLabel")
        self._empty.setWordWrap(True)

        tempo = QHBoxLayout()
        tempo.addWidget(self.tempo_spin, 1)
        tempo.addWidget(self.reset_button)
        self._form = QFormLayout()  # tempo, then one row per track (rebuilt when the tracks change)
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self._form.addRow("Tempo", tempo)
        layout = QVBoxLayout(self)
        layout.setSpacing(6)
        layout.addLayout(self._form)
        layout.addWidget(self._empty)
        layout.addWidget(self.autoplay_check)

    def roles(self) -> list[str]:
        return list(self._roles)

    def set_tracks(self, roles: Sequence[str], programs: Sequence[int]) -> None:
        """One row per track (drums get no instrument choice: General MIDI plays them as a kit)."""
        while self._form.rowCount() > 1:
            self._form.removeRow(1)
        self._roles = list(roles)
        self.program_combos = {}
        self._drum_programs = {}
        for index, (role, program) in enumerate(zip(roles, programs)):
            if role == DRUMS:
                self._drum_programs[index] = int(program)
                kit = QLabel("General MIDI drum kit")
                kit.setToolTip("Drums play on MIDI channel 10, where notes choose the drums, not an instrument")
                self._form.addRow(_role_label(role), kit)
                continue
            combo = _program_combo(role)
            combo.currentIndexChanged.connect(lambda _: self.programsChanged.emit(self.programs()))
            self.program_combos[role] = combo
            self._form.addRow(_role_label(role), combo)
        self.show_programs(programs)
        self._empty.setVisible(not self._roles)

    def programs(self) -> list[int]:
        """One program per track, in track order."""
        return [self._drum_programs[i] if role == DRUMS else int(self.program_combos[role].currentData())
                for i, role in enumerate(self._roles)]

    def show_programs(self, programs: Sequence[int]) -> None:
        """Shows the given programs without emitting ``programsChanged``."""
        for role, program in zip(self._roles, programs):
            combo = self.program_combos.get(role)
            if combo is not None:
                combo.blockSignals(True)
                combo.setCurrentIndex(combo.findData(int(program) & 127))
                combo.setToolTip(f"Instrument of the {role} track ({gm_family(program)})")
                combo.blockSignals(False)

    def show_tempo(self, bpm: float) -> None:
        self.tempo_spin.blockSignals(True)
        self.tempo_spin.setValue(round(bpm))
        self.tempo_spin.blockSignals(False)


def _role_label(role: str) -> QLabel:
    """The track's name with a swatch in its piano-roll colour."""
    r, g, b = ROLE_COLOURS.get(role, OTHER_ROLE_COLOUR)
    return QLabel(f'<span style="color: rgb({r},{g},{b});">■</span> {role}')


def _program_combo(role: str) -> QComboBox:
    """The 128 General MIDI instruments, a separator between families; item data is the 0-based program."""
    combo = QComboBox()
    combo.setObjectName(f"program-{role}")
    combo.setMaxVisibleItems(24)
    for program in range(len(GM_PROGRAM_NAMES)):
        if program and program % 8 == 0:
            combo.insertSeparator(combo.count())
        combo.addItem(program_name(program), program)
        combo.setItemData(combo.count() - 1, gm_family(program), Qt.ItemDataRole.ToolTipRole)
    return combo


def with_sound(clip: Clip, programs: Sequence[int] | None, tempo: float | None) -> Clip:
    """The clip with the chosen instruments and tempo (each kept as it is when not chosen or not fitting)."""
    if programs is not None and len(programs) == len(clip.roles):
        clip = clip.with_programs(programs)
    if tempo is not None:
        clip = replace(clip, roll=clip.roll, tempo=float(tempo))
    return clip


class MusicControls(QObject):
    """Wires the bar, the panel and the player to one music tab (find it with ``tab.findChild(MusicControls)``)."""

    def __init__(self, api: TabApi) -> None:
        super().__init__(api)
        self.api = api
        self.bar = DecodeBar()
        self.sound = SoundPanel()
        self.gallery_play_button = QPushButton("▶ Play")
        self.gallery_play_button.setToolTip("Play the selected sample")
        self.gallery_play_button.setEnabled(False)
        self.player = AudioPlayer(self)
        self._renders = LatestOnly("audio-music", owner=self)
        self._rendered: tuple[Clip, np.ndarray] | None = None  # the last clip synthesised, and its audio
        self._sampling_seed = 0
        self._defaults_of: tuple[str, int] | None = None  # the model whose own threshold the slider last took

        api.add_control(self.bar, stretch=1)
        api.add_control(self.sound, place="side")
        api.add_control(self.gallery_play_button, place="gallery")
        self._connect()
        api.set_options({"threshold": DEFAULT_THRESHOLD, "sampling": "threshold", "seed": 0, "key": None})

    def _connect(self) -> None:
        bar, sound, api = self.bar, self.sound, self.api
        bar.threshold_slider.valueChanged.connect(lambda value: self.set_threshold(value / 100))
        bar.sample_check.toggled.connect(self.set_sampling)
        bar.reroll_button.clicked.connect(self.reroll)
        bar.key_combo.currentIndexChanged.connect(lambda _: self.set_key(bar.key_combo.currentData()))
        bar.play_button.clicked.connect(self.play_explorer)
        bar.stop_button.clicked.connect(self.stop)
        bar.wav_button.clicked.connect(self.export_wav)
        sound.tempoChanged.connect(lambda bpm: api.set_options({"tempo": bpm}))
        sound.programsChanged.connect(lambda programs: api.set_options({"programs": programs}))
        sound.resetRequested.connect(self.reset_sound)
        self.gallery_play_button.clicked.connect(self.play_gallery_selection)
        self.player.playingChanged.connect(self._on_playing)
        self.player.unavailable.connect(self._tell)
        api.previewChanged.connect(self._on_preview)
        api.released.connect(self._on_released)
        api.gallerySelected.connect(self._on_gallery_selected)
        api.corpusChanged.connect(lambda meta: self.sync_tracks())

    # ----------------------------------------------------------------- decoding
    def set_threshold(self, value: float) -> None:
        self.bar.show_threshold(value)
        self.api.set_options({"threshold": float(value)})

    def set_sampling(self, on: bool) -> None:
        self.bar.threshold_slider.setEnabled(not on)
        self.bar.reroll_button.setEnabled(on)
        self.api.set_options({"sampling": "bernoulli" if on else "threshold"})

    def set_key(self, key: str | None) -> None:
        """Locks the explorer's notes to ``key`` ("C", "Am"; None for any key)."""
        self.api.set_options({"key": key})

    def reroll(self) -> None:
        self._sampling_seed += 1
        self.api.set_options({"seed": self._sampling_seed})

    def reset_sound(self) -> None:
        """Forgets the chosen instruments and tempo: the model's (or corpus's) own come back."""
        meta = self._meta()
        if meta is not None:
            self.sound.show_programs(meta["programs"])
            self.sound.show_tempo(float(meta.get("tempo", 120.0)))
        self.api.set_options({"programs": None, "tempo": None})

    def _meta(self) -> dict[str, Any] | None:
        """Roles, programs and tempo of what the explorer renders: the model's, else the imported corpus's."""
        model = self.api.model()
        return model.meta if model is not None else self.api.corpus_meta()

    def sync_tracks(self) -> None:
        """Rebuilds the instrument rows when the tracks change; untouched choices follow the new defaults.

        Chosen programs that no longer fit (another model with other tracks)
        are dropped from the explorer's options, so its next render plays the
        new model's own instruments rather than a list meant for other tracks.
        """
        meta = self._meta()
        if meta is None or "roles" not in meta:
            return
        options = self.api.options()
        roles, programs = list(meta["roles"]), [int(p) for p in meta["programs"]]
        if roles != self.sound.roles():
            self.sound.set_tracks(roles, programs)
            if options.get("programs") is not None:
                self.api.set_options({"programs": None})
        elif options.get("programs") is None:
            self.sound.show_programs(programs)
        if options.get("tempo") is None:
            self.sound.show_tempo(float(meta.get("tempo", 120.0)))

    def use_model_threshold(self) -> None:
        """Shows a newly rendered model's own threshold (fitted when its run stopped, else the usual one) on the
        slider and decodes with it; once per model, so a threshold the user then sets stands."""
        model = self.api.model()
        if model is None or (str(model.run_path), model.step) == self._defaults_of:
            return
        self._defaults_of = (str(model.run_path), model.step)
        value = float(model.decode_defaults.get("threshold", DEFAULT_THRESHOLD))
        slider = self.bar.threshold_slider
        slider.blockSignals(True)
        slider.setValue(round(value * 100))
        slider.blockSignals(False)
        self.set_threshold(value)

    def _on_preview(self, artifact: Any) -> None:
        self.sync_tracks()
        self.use_model_threshold()
        has = isinstance(artifact, Clip)
        self.bar.play_button.setEnabled(has)
        self.bar.wav_button.setEnabled(has)

    # ----------------------------------------------------------------- playback
    def play_explorer(self) -> None:
        """Plays the explorer's current phrase (decoded with every option of this panel)."""
        clip = self.api.explorer_artifact()
        if isinstance(clip, Clip):
            self.play(clip, "the explorer's phrase")

    def play_gallery_selection(self) -> None:
        seed, artifact = self.api.gallery_selection()
        if seed is not None and isinstance(artifact, Clip):
            self._play_gallery(seed, artifact)

    def _play_gallery(self, seed: int, clip: Clip) -> None:
        options = self.api.options()
        self.play(with_sound(clip, options.get("programs"), options.get("tempo")), f"seed {seed}")

    def play(self, clip: Clip, what: str = "") -> None:
        """Synthesises ``clip`` on a worker (only the newest request runs), then plays it."""
        reason = self.player.known_unavailable()
        if reason:
            self._tell(reason)
            return
        self.player.stop()
        cached = self._rendered
        if cached is not None and cached[0] is clip:
            self._start(clip, cached[1], what)
            return
        self.bar.stop_button.setEnabled(True)
        self.bar.show_status("preparing…")
        domain = self.api.domain

        def synthesise() -> np.ndarray:  # on the worker, which also takes Qt Multimedia's slow first import
            load_backend()
            return domain.render_audio(clip, SAMPLE_RATE)

        self._renders.submit(synthesise, lambda audio: self._start(clip, audio, what),
                             lambda text: self._tell(f"Could not play {what or 'the phrase'}: {text}"))

    def _start(self, clip: Clip, audio: np.ndarray, what: str) -> None:
        self._rendered = (clip, audio)
        if self.player.play(audio, SAMPLE_RATE):
            self.bar.show_status(f"playing {what}, {len(audio) / SAMPLE_RATE:.1f} s" if what else "playing")

    def stop(self) -> None:
        self._renders.cancel()
        self.player.stop()
        self.bar.show_status("")
        self.bar.stop_button.setEnabled(False)

    def _on_playing(self, playing: bool) -> None:
        self.bar.stop_button.setEnabled(playing)
        if not playing:
            self.bar.show_status("")

    def _on_released(self, artifact: Any) -> None:
        if self.sound.autoplay_check.isChecked() and isinstance(artifact, Clip):
            self.play(artifact, "the explorer's phrase")

    def _on_gallery_selected(self, seed: int, artifact: Any) -> None:
        self.gallery_play_button.setEnabled(isinstance(artifact, Clip))
        if self.sound.autoplay_check.isChecked() and isinstance(artifact, Clip):
            self._play_gallery(seed, artifact)

    def _tell(self, text: str) -> None:
        self.bar.stop_button.setEnabled(self.player.is_playing())
        self.bar.show_status(text)
        self.api.status(text)

    # ----------------------------------------------------------------- export
    def export_wav(self) -> None:
        """The explorer's phrase as a WAV, synthesised and written on a worker, with the explorer's record."""
        clip = self.api.explorer_artifact()
        if not isinstance(clip, Clip):
            return
        info = self.api.explorer_record()
        seed = info.get("seed")
        extra = {k: v for k, v in info.items() if k not in ("seed", "latent")}
        record = self.api.export_record(seed=seed, latent=info.get("latent"), sample_rate=SAMPLE_RATE, **extra)
        domain, exact = self.api.domain, self.api.exact_artifact

        def write(path: Path) -> Path:
            from studio.domains.music.synth import write_wav

            # the phrase rendered again as every export is, not the preview's batch
            return write_wav(domain.render_audio(exact(info), SAMPLE_RATE), path, SAMPLE_RATE, record)

        name = f"music-seed{seed}" if seed is not None else "music-blend"
        self.api.export("Export WAV", name, ".wav", write, background=True)


def install_controls(api: TabApi) -> MusicControls:
    """Adds the music controls to the generic tab."""
    return MusicControls(api)
