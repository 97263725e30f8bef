"""The text tab's own controls: decoding, "place my line" on the pad, sample-health alarms, JSON export.

:func:`install_controls` adds them to the generic tab through its narrow API.
Decode options go to the explorer, which re-renders with them; a typed line
is encoded and projected to a z on a worker thread
(:mod:`studio.domains.text.placement`), then becomes a corner anchor; the
quality figures training sends are compared with the corpus's own
(:func:`studio.domains.text.metrics.sample_alarms`) so that collapse and
copying raise an alarm where the writer looks, not only in a log.  Nothing
here imports torch at import time: the text tab is built when the window opens.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (QAbstractSpinBox, QCheckBox, QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QSizePolicy, QSpinBox, QVBoxLayout, QWidget)

from studio.domains.text.metrics import Alarm, sample_alarms
from studio.domains.text.options import DEFAULT_OPTIONS
from studio.domains.text.placement import Placement, line_problem, place_line
from studio.ui.explorer import CORNER_ARROWS, CORNER_COLOURS, CORNER_NAMES
from studio.ui.tab_api import Figures, TabApi
from studio.workers.background import run_in_background

DECODINGS = [
    ("greedy", "Greedy", "The most likely character at every step: steady, a little plain"),
    ("sample", "Sample", "Draw each character at the temperature: lower is safer, higher is wilder"),
    ("beam", "Beam", "Beam search: keep the best few lines at every step and pick the most likely whole line"),
]
LEXICON_TIP = ("Spell only words that occur in the training folder (languages written with spaces); "
               "off, the decoder may invent words")
PHRASING_TIP = ("How much the folder's word pairs weigh beside the model when it picks each character: "
                "0 leaves the model alone; higher reads more like the folder, and the lines grow more alike")
CHARACTER_PHRASING_TIP = ("How much the folder's character pairs weigh beside the model when it picks each "
                          "character: 0 leaves the model alone; higher reads more like the folder, and the lines "
                          "grow more alike")
MAX_SAMPLING_SEED = 99_999  # five digits keep the decoding row narrow enough for a 1280-px window
ALARM_TITLES = {"collapse": "Mode collapse", "copying": "Copying", "form": "Form drift"}
ALARM_HINTS = {
    "collapse": "the samples are more alike than real lines; try more text, a lower learning rate or an "
                "earlier checkpoint",
    "copying": "small corpora get memorised; add text or stop training earlier",
    "form": "fewer samples keep the folder's line length and punctuation than its own lines do; train longer "
            "or raise the phrasing weight",
}
MESSAGE_COLOURS = {"info": "#8b8f98", "busy": "#8fb0ea", "ok": "#7fd6a8", "error": "#ff6b6b"}
HEALTH_STYLES = {
    "ok": "QLabel { background: #1b2722; color: #bfe8d2; border: 1px solid #2f6b4f; border-radius: 6px; "
          "padding: 6px 8px; }",
    "alarm": "QLabel { background: #3a1f22; color: #ffdcd8; border: 1px solid #ff6b6b; border-radius: 6px; "
             "padding: 6px 8px; }",
}


# ----------------------------------------------------------------- the banner's words
def health_text(step: int, values: dict[str, float], reference: dict[str, float], found: list[Alarm]) -> str:
    """The banner's words (rich text): each alarm in bold with its figures, or the figures that say all is well."""
    if found:
        return "<br>".join(f"<b>⚠ {html.escape(ALARM_TITLES.get(a.kind, a.kind.capitalize()))}</b> · step {step:,}"
                           f"<br>{html.escape(a.detail)}" for a in found)
    parts = []
    if "self_bleu2" in values:
        own = reference.get("self_bleu2")
        corpus = f" (corpus {own:.2f})" if own is not None else " (the corpus's own figure is not known yet)"
        parts.append(f"self-BLEU-2 {values['self_bleu2']:.2f}{corpus}")
    if "copied" in values:
        parts.append(f"{values['copied']:.0%} copied")
    if "form" in values:
        parts.append(f"{values['form']:.0%} in the verse form")
    figures = "<br>" + html.escape(", ".join(parts)) if parts else ""
    return f"<b>✓ Samples look healthy</b> · step {step:,}{figures}"


def health_tip(found: list[Alarm]) -> str:
    """What the banner's figures mean and, for each alarm, what to do about it."""
    from studio.domains.text.metrics import COPY_ALARM, FORM_MARGIN

    lines = [f"{ALARM_TITLES.get(a.kind, a.kind.capitalize())}: {ALARM_HINTS.get(a.kind, 'see the quality curves')}."
             for a in found]
    lines += ["Quality figures of a batch of samples against the training lines, drawn every few hundred steps.",
              "Collapse: the samples are more alike (self-BLEU-2) than the corpus's own lines.",
              f"Copying: more than {COPY_ALARM:.0%} of the samples are training lines.",
              f"Form drift: fewer samples than the corpus's own lines, by more than {FORM_MARGIN:.0%} of them, "
              "keep its line length and punctuation (verse folders)."]
    return "\n".join(lines)


# ----------------------------------------------------------------- widgets
def _spin_width(spin: QAbstractSpinBox, widest: str) -> int:
    """Room for the widest value and the arrows, no more, so the decoding row fits a narrow explorer."""
    return spin.fontMetrics().horizontalAdvance(widest) + 40


class WrappedLabel(QLabel):
    """Word-wrapped text that claims its height as a minimum rather than through height-for-width.

    One height-for-width child makes a resizable scroll area size its whole
    column to the preferred height for its width (the explorer then grows
    taller than the window and scrolls); a minimum height leaves the
    column's own arrangement in charge and still never cuts a line off.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def hasHeightForWidth(self) -> bool:
        return False

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        if self.text() and self.width() > 1:  # as tall as the text is at the current width, not at the hint's
            hint.setHeight(self.heightForWidth(self.width()))
        return hint

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        height = self.heightForWidth(max(1, self.width())) if self.text() else 0
        if height != self.minimumHeight():
            self.setMinimumHeight(max(0, height))


def _weight_spin(low: float, high: float, step: float, value: float, tip: str) -> QDoubleSpinBox:
    """A narrow two-decimal spin box that reports a value only once typing is done (each change re-renders)."""
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setDecimals(2)
    spin.setValue(value)
    spin.setKeyboardTracking(False)
    spin.setToolTip(tip)
    spin.setFixedWidth(_spin_width(spin, "0.00"))
    return spin


def _small_label(text: str, tip: str) -> QLabel:
    label = QLabel(text)
    label.setToolTip(tip)
    return label


class DecodingControls(QWidget):
    """Greedy / sample / beam with the knobs of the chosen method only (temperature and seed, or width)."""

    optionsChanged = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._phrasing_kind: str | None = "words"
        self._model_words: tuple[bool, str | None] | None = None
        self._defaults_of: tuple[str, int] | None = None  # the model whose own defaults were last taken
        self.method = QComboBox()
        for i, (key, title, tip) in enumerate(DECODINGS):
            self.method.addItem(title, key)
            self.method.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
        self.method.setToolTip("How the explorer turns a latent into characters")
        self.method.setCurrentIndex(self.method.findData(DEFAULT_OPTIONS["decoding"]))
        self.temperature = _weight_spin(0.05, 3.0, 0.05, DEFAULT_OPTIONS["temperature"],
                                        "Sampling temperature: below 1 keeps to likely characters, above 1 takes risks")
        self.seed = QSpinBox()
        self.seed.setRange(0, MAX_SAMPLING_SEED)
        self.seed.setKeyboardTracking(False)
        self.seed.setFixedWidth(_spin_width(self.seed, str(MAX_SAMPLING_SEED)))
        self.seed.setToolTip("Sampling seed: the same seed draws the same characters for the same latent; "
                             "step it to draw again")
        self.beam = QSpinBox()
        self.beam.setRange(1, 16)
        self.beam.setValue(DEFAULT_OPTIONS["beam"])
        self.beam.setKeyboardTracking(False)
        self.beam.setToolTip("Beam width: how many lines are kept at each step (1 is greedy; wider is slower)")
        self.beam.setFixedWidth(_spin_width(self.beam, "00"))

        self.lexicon = QCheckBox("Corpus words only")
        self.lexicon.setChecked(DEFAULT_OPTIONS["lexicon"])
        self.lexicon.setToolTip(LEXICON_TIP)
        self.phrasing = _weight_spin(0.0, 2.0, 0.1, DEFAULT_OPTIONS["phrasing"], PHRASING_TIP)
        self.phrasing_label = _small_label("Phrasing", PHRASING_TIP)

        self._sample_knobs = [_small_label("Temperature", self.temperature.toolTip()), self.temperature,
                              _small_label("Seed", self.seed.toolTip()), self.seed]
        self._beam_knobs = [_small_label("Width", self.beam.toolTip()), self.beam]
        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.setSpacing(4)
        layout = QHBoxLayout()
        layout.setSpacing(6)
        layout.addWidget(_small_label("Decoding", self.method.toolTip()))
        layout.addWidget(self.method)
        for widget in (*self._sample_knobs, *self._beam_knobs):
            layout.addWidget(widget)
        layout.addStretch(1)
        rows.addLayout(layout)
        words_row = QHBoxLayout()
        words_row.setSpacing(6)
        words_row.addWidget(self.lexicon)
        words_row.addSpacing(12)
        words_row.addWidget(self.phrasing_label)
        words_row.addWidget(self.phrasing)
        words_row.addStretch(1)
        rows.addLayout(words_row)

        self.method.currentIndexChanged.connect(self._changed)
        self.temperature.valueChanged.connect(self._changed)
        self.seed.valueChanged.connect(self._changed)
        self.beam.valueChanged.connect(self._changed)
        self.lexicon.toggled.connect(self._changed)
        self.phrasing.valueChanged.connect(self._changed)
        self._show_knobs()

    def options(self) -> dict[str, Any]:
        return {"decoding": self.method.currentData(), "temperature": round(self.temperature.value(), 4),
                "seed": self.seed.value(), "beam": self.beam.value(), "lexicon": self.lexicon.isChecked(),
                "phrasing": round(self.phrasing.value(), 4)}

    def set_decoding(self, key: str) -> None:
        index = self.method.findData(key)
        if index < 0:
            raise ValueError(f"unknown decoding {key!r}; use one of {', '.join(k for k, _, _ in DECODINGS)}")
        self.method.setCurrentIndex(index)

    def _show_knobs(self) -> None:
        key = self.method.currentData()
        for widget in self._sample_knobs:
            widget.setVisible(key == "sample")
        for widget in self._beam_knobs:
            widget.setVisible(key == "beam")
        words = self.lexicon.isChecked() and self.lexicon.isEnabled() and self._phrasing_kind == "words"
        phrased = words or self._phrasing_kind == "characters"  # character n-grams need no lexicon
        self.phrasing.setEnabled(phrased)
        self.phrasing_label.setEnabled(phrased)

    def set_model_words(self, lexicon: bool, phrasing: str | None) -> None:
        """Greys out what the model cannot do: no lexicon for unspaced languages, no phrasing without a model of it.

        ``phrasing`` is "words" (word pairs, with the lexicon), "characters"
        (character n-grams, scripts without spaces) or None (a run from an
        older version).  Called after every explorer render; it touches the
        widgets only when the model's abilities change.
        """
        if self._model_words == (lexicon, phrasing):
            return
        self._model_words = (lexicon, phrasing)
        self._phrasing_kind = phrasing
        self.lexicon.setEnabled(lexicon)
        self.lexicon.setToolTip(LEXICON_TIP if lexicon else
                                "This model's language is written without spaces: no words to keep to")
        tips = {"words": PHRASING_TIP, "characters": CHARACTER_PHRASING_TIP}
        self.phrasing.setToolTip(tips.get(phrasing or "", "This model keeps no phrasing of its folder "
                                                          "(a run from an older version)"))
        self._show_knobs()

    def use_model_defaults(self, model_key: tuple[str, int], defaults: dict[str, Any]) -> float | None:
        """Takes a model's own phrasing weight (fitted when its run stopped) once per model; returns it if taken.

        Once per model, so a weight the writer then sets stands while the same model renders on.
        """
        if "phrasing" not in defaults or model_key == self._defaults_of:
            return None
        self._defaults_of = model_key
        self.phrasing.setValue(float(defaults["phrasing"]))
        return self.phrasing.value()

    def _changed(self, *_: Any) -> None:
        self._show_knobs()
        self.optionsChanged.emit(self.options())


class SampleHealth(WrappedLabel):
    """A coloured banner: red with the alarms while samples collapse or copy, calm green once they recover."""

    alarmRaised = Signal(str)  # the alarms in plain words, when the banner turns red
    recovered = Signal(int)  # the step whose figures turned the banner green again

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sampleHealth")
        self.setTextFormat(Qt.TextFormat.RichText)
        self._alarms: list[Alarm] = []
        self.setVisible(False)

    def alarms(self) -> list[str]:
        """The alarms shown now, as "kind: detail" ("collapse: …", "copying: …"); [] when all is well."""
        return [str(alarm) for alarm in self._alarms]

    def show_figures(self, step: int, values: dict[str, float], reference: dict[str, float]) -> None:
        was_alarm = bool(self._alarms) and self.isVisible()
        self._alarms = sample_alarms(values, reference)
        state = "alarm" if self._alarms else "ok"
        self.setProperty("state", state)
        self.setStyleSheet(HEALTH_STYLES[state])
        self.setText(health_text(step, values, reference, self._alarms))
        self.setToolTip(health_tip(self._alarms))
        self.setVisible(True)
        if self._alarms and not was_alarm:
            self.alarmRaised.emit("; ".join(self.alarms()))
        elif was_alarm and not self._alarms:
            self.recovered.emit(step)

    def clear_figures(self) -> None:
        self._alarms = []
        self.setProperty("state", None)
        self.setVisible(False)


class TextControls(QWidget):
    """Decoding, "place my line" and JSON export under the explorer; the health banner above the samples."""

    def __init__(self, api: TabApi) -> None:
        super().__init__()
        self.api = api
        self.latest: Figures | None = api.figures()  # the newest quality figures
        self.reference: dict[str, float] = api.references()
        self._placing = False

        self.decoding = DecodingControls()
        self.line_edit = QLineEdit()
        self.line_edit.setPlaceholderText("Type any line…")
        self.line_edit.setToolTip("Your own line: encoded by the model and placed at a corner of the pad")
        self.line_edit.setMinimumWidth(80)
        self.corner = QComboBox()
        for i in range(4):
            self.corner.addItem(f"{CORNER_ARROWS[i]} {CORNER_NAMES[i]}", i)
            self.corner.setItemData(i, CORNER_COLOURS[i], Qt.ItemDataRole.ForegroundRole)
        self.corner.setToolTip("The corner of the pad your line goes to")
        self.place_button = QPushButton("Place line")
        self.place_button.setToolTip("Encode your line and put it at the chosen corner of the pad")
        self.message = WrappedLabel()
        self.message.setObjectName("textMessage")
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.json_button = QPushButton("Export JSON…")
        self.json_button.setToolTip("Save the line under the crosshair as JSON: text, seed and latent, decode "
                                    "options and the latest quality figures")
        self.json_button.setEnabled(False)
        self.health = SampleHealth()

        line_row = QHBoxLayout()
        line_row.setSpacing(6)
        line_row.addWidget(_small_label("Your line", self.line_edit.toolTip()))
        line_row.addWidget(self.line_edit, 1)
        line_row.addWidget(self.corner)
        line_row.addWidget(self.place_button)
        message_row = QHBoxLayout()
        message_row.setSpacing(6)
        message_row.addWidget(self.message, 1)
        message_row.addWidget(self.json_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.decoding)
        layout.addLayout(line_row)
        layout.addLayout(message_row)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

        self.decoding.optionsChanged.connect(api.set_options)
        self.place_button.clicked.connect(self.place)
        self.line_edit.returnPressed.connect(self.place)
        self.json_button.clicked.connect(self.export_json)
        api.previewChanged.connect(self._on_preview)
        api.referencesChanged.connect(self.use_reference)
        api.figuresChanged.connect(self.show_figures)
        self.health.alarmRaised.connect(lambda text: api.status(f"Sample alarm: {text}", 0))
        self.health.recovered.connect(
            lambda step: api.status(f"Samples recovered at step {step:,}: no alarm now", 8000))
        api.set_options(self.decoding.options())

    def _on_preview(self, artifact: Any) -> None:
        self.json_button.setEnabled(artifact is not None)
        model = self.api.model()
        meta = model.meta if model is not None else {}
        phrasing = "characters" if meta.get("char_ngrams") else "words" if meta.get("word_pairs") else None
        self.decoding.set_model_words(model is None or bool(meta.get("lexicon")),
                                      "words" if model is None else phrasing)
        if model is not None:
            taken = self.decoding.use_model_defaults((str(model.run_path), model.step), model.decode_defaults)
            if taken is not None:
                self.show_message(f"Phrasing {taken:.2f}: this run's own balance of likeness and variety, "
                                  "fitted to its held-out lines when training stopped", "ok")

    # ----------------------------------------------------------------- messages
    def show_message(self, text: str, kind: str = "info") -> None:
        """A line under the controls: progress, a result or a problem (never an exception)."""
        self.message.setText(text)
        self.message.setToolTip(text)
        self.message.setProperty("kind", kind)
        self.message.setStyleSheet(f"color: {MESSAGE_COLOURS[kind]};")

    # ----------------------------------------------------------------- place my line
    def place(self) -> None:
        """Encodes the typed line and projects it to a z on a worker; the corner takes it when done."""
        if self._placing:
            return
        text = self.line_edit.text().strip()
        model = self.api.model()
        problem = line_problem(text, model.meta if model is not None else None)
        if problem:
            self.show_message(problem, "error")
            return
        corner = int(self.corner.currentData())
        options = self.api.options()
        self._placing = True
        self.place_button.setEnabled(False)
        self.show_message("Placing your line…", "busy")
        run_in_background(lambda: place_line(model, text, options),
                          lambda placement: self._placed(placement, corner, text),
                          self._place_failed, name="text-place-line", owner=self)

    def _placed(self, placement: Placement, corner: int, text: str) -> None:
        self._done_placing()
        try:
            self.api.place_anchor(corner, placement.z, text)
        except ValueError as exc:  # another model (another z size) arrived while the line was being placed
            self.show_message(f"Could not place your line: {exc}. Place it again.", "error")
            return
        where = f"{CORNER_ARROWS[corner]} {CORNER_NAMES[corner]}"
        if placement.written == text:
            self.show_message(f"Placed at {where}: the model writes your line exactly.", "ok")
        else:
            far = (" It cannot write lines like yours yet: train longer, or on text closer to it."
                   if placement.is_far() else "")
            self.show_message(f"Placed at {where}. The nearest the model writes: “{placement.written}”.{far}", "ok")
        self.message.setToolTip(f"Cosine of the generator's output and your line's code: {placement.match:.2f} "
                                "(1 means the generator reaches your line exactly)")

    def _place_failed(self, text: str) -> None:
        self._done_placing()
        self.show_message(f"Could not place your line: {text}", "error")

    def _done_placing(self) -> None:
        self._placing = False
        self.place_button.setEnabled(True)

    def is_placing(self) -> bool:
        return self._placing

    # ----------------------------------------------------------------- sample health
    def use_reference(self, figures: dict[str, float]) -> None:
        """The corpus's own figures (held-out lines scored like samples), worked out by the tab on import."""
        self.reference = dict(figures)
        self._refresh_health()

    def show_figures(self, figures: Figures | None) -> None:
        """The banner follows the newest quality figures (None: a new run has none yet)."""
        self.latest = figures
        self._refresh_health()

    def _refresh_health(self) -> None:
        if self.latest is None:
            self.health.clear_figures()
        else:
            self.health.show_figures(self.latest.step, self.latest.values, self.reference)

    # ----------------------------------------------------------------- export
    def export_json(self) -> None:
        """The line under the crosshair as JSON: text, seed/latent, blend, decode options and figures."""
        from studio.domains.text.codec import save_json

        if self.api.explorer_artifact() is None:
            self.show_message("Nothing to export yet: the explorer has not drawn a line.", "error")
            return
        info = self.api.explorer_record()
        seed, latent = info.pop("seed", None), info.pop("latent", None)
        figures = None if self.latest is None else {"step": self.latest.step, **self.latest.values}
        record = self.api.export_record(seed=seed, latent=latent, **info, metrics=figures,
                                        reference=self.reference or None, alarms=self.health.alarms())
        exact = self.api.exact_artifact

        def write(path: Path) -> Path:
            # the line rendered again as every export is, not the preview's batch
            return save_json(str(exact({**info, "seed": seed, "latent": latent})), path, record)

        name = f"text-seed{seed}" if seed is not None else "text-blend"
        written = self.api.export("Export line as JSON", name, ".json", write, failed=self._export_failed)
        if written is not None:
            self.show_message(f"Saved {written.name}", "ok")

    def _export_failed(self, text: str) -> None:
        self.show_message(text, "error")
        self.api.status(text, 10_000)


def install_controls(api: TabApi) -> TextControls:
    """Adds the text controls to the generic tab: under the explorer, and the health banner above the samples."""
    controls = TextControls(api)
    api.add_control(controls, stretch=1)
    api.add_banner(controls.health)
    return controls
