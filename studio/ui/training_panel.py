"""Training settings, the run controls and progress; owns the tab's :class:`TrainingThread`.

The thread's signals are re-emitted from this panel, so the tab wires the
plots, gallery and explorer once, whichever run (new or reopened) is going.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox,
                               QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy, QSpinBox, QTextEdit, QToolButton,
                               QVBoxLayout, QWidget)

from studio.core.domain import Preset
from studio.core.runs import RUN_FILE, default_runs_root, is_run
from studio.core.steps import preset_total_steps, run_steps

PHASE_LABELS = {"pretrain": "autoencoder", "gan": "GAN"}
MAX_SEED = 2**31 - 1
SPIN_MIN_WIDTH = 64


def format_eta(seconds: float | None) -> str:
    """h:mm:ss, or "–" while the rate is unknown."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "–"
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def new_run_path(domain_name: str, preset_name: str, root: Path | None = None) -> Path:
    """``<runs>/<domain>/<YYYYmmdd-HHMMSS>-<preset>``, made unique if two runs start in one second."""
    base = (root or default_runs_root()) / domain_name
    stem = f"{time.strftime('%Y%m%d-%H%M%S')}-{preset_name}"
    path, n = base / stem, 2
    while path.exists():
        path, n = base / f"{stem}-{n}", n + 1
    return path


def run_progress(run_dir: str | Path) -> tuple[dict[str, Any], int]:
    """A run's config and the step of its newest checkpoint (0 if none; both phases counted), read without torch."""
    run = Path(run_dir)
    config = json.loads((run / RUN_FILE).read_text("utf-8"))
    step = 0
    for path in sorted((run / "checkpoints").glob("step-*.json"), reverse=True):
        try:
            step = int(json.loads(path.read_text("utf-8")).get("step", 0))
            break
        except (OSError, ValueError):
            continue
    return config, step


def _control(text: str) -> QToolButton:
    """A run control: a tool button, so four fit in a row of the narrow left column."""
    button = QToolButton()
    button.setText(text)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return button


class _MessageLog(QTextEdit):
    """Read-only log; a small preferred height so the left column fits, growing with spare room."""

    def __init__(self) -> None:
        super().__init__()
        self.setReadOnly(True)

    def sizeHint(self) -> QSize:
        return QSize(240, 80)


class TrainingPanel(QGroupBox):
    """Preset and settings, Start / Pause / Resume / Stop, Open run / Continue, progress and messages."""

    runStarted = Signal(dict)  # the session's "started" payload: run, device, step, total, preset
    runOpened = Signal(str)  # a run chosen with "Open run…" (to show its history and model)
    log = Signal(list)
    samples = Signal(dict)
    metrics = Signal(dict)
    checkpoint = Signal(dict)
    weights = Signal(dict)  # step, tensors: live EMA weights for the explorer
    finished = Signal(dict)  # status, step, run
    presetChanged = Signal(str)
    stateChanged = Signal(str)  # idle | starting | training | paused | stopping

    def __init__(self, domain_name: str, parent: QWidget | None = None) -> None:
        super().__init__("Training", parent)
        from studio.domains import get_domain

        self.domain_name = domain_name
        self.domain = get_domain(domain_name)
        self._thread: Any = None
        self._state = "idle"
        self._data_folder: str | None = None
        self._items = 0
        self._run: str | None = None
        self._last_error: str | None = None
        self._time_limit = QTimer(self)
        self._time_limit.setSingleShot(True)
        self._time_limit.timeout.connect(self._on_time_limit)

        self.preset_combo = QComboBox()
        for name, preset in self.domain.presets.items():
            self.preset_combo.addItem(name, name)
            self.preset_combo.setItemData(self.preset_combo.count() - 1, preset.description,
                                          Qt.ItemDataRole.ToolTipRole)
        self.preset_combo.currentIndexChanged.connect(self._on_preset)
        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(1, 10_000_000)
        self.steps_spin.setSingleStep(100)
        self.steps_spin.setGroupSeparatorShown(True)
        self.steps_spin.setToolTip("Steps to train to, as the progress bar counts them (studio train --steps): "
                                   "a text run's autoencoder and GAN share them as the preset does. For Continue, "
                                   "a number at or below the run's current step adds that many more")
        self.minutes_spin = QSpinBox()
        self.minutes_spin.setRange(0, 7 * 24 * 60)
        self.minutes_spin.setSuffix(" min")
        self.minutes_spin.setSpecialValueText("no limit")
        self.minutes_spin.setToolTip("Stop (with a checkpoint) after this many minutes, whatever the step count")
        self.batch_spin = QSpinBox()
        self.batch_spin.setRange(1, 4096)
        self.batch_spin.setToolTip("Items per step: larger is smoother but slower and needs more memory")
        self.lr_spin = QDoubleSpinBox()
        self.lr_spin.setDecimals(6)
        self.lr_spin.setRange(1e-6, 0.1)
        self.lr_spin.setSingleStep(1e-5)
        self.lr_spin.setToolTip("Generator learning rate; the discriminator keeps the preset's ratio to it")
        self.augment_check = QCheckBox("Augment")
        self.device_combo = QComboBox()
        self.device_combo.addItem("auto", "auto")
        self.device_combo.setToolTip("Where to train: auto picks a GPU when there is one")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, MAX_SEED)
        self.seed_spin.setToolTip("The same seed, data and settings give the same run")
        for spin in (self.steps_spin, self.minutes_spin, self.batch_spin, self.lr_spin, self.seed_spin):
            spin.setMinimumWidth(SPIN_MIN_WIDTH)  # the hint fits the largest value; the column is narrow

        self.start_button = _control("Start")
        self.start_button.setObjectName("primaryButton")
        self.start_button.setToolTip("Start a new run on the imported folder")
        self.start_button.clicked.connect(self.start)
        self.pause_button = _control("Pause")
        self.pause_button.clicked.connect(self.pause)
        self.resume_button = _control("Resume")
        self.resume_button.clicked.connect(self.resume)
        self.stop_button = _control("Stop")
        self.stop_button.setToolTip("Stop after the current step; a checkpoint is written first")
        self.stop_button.clicked.connect(self.stop)
        self.open_button = QPushButton("Open run…")
        self.open_button.setToolTip("Reopen an earlier run: see its curves, samples and model, and continue it")
        self.open_button.clicked.connect(self.choose_run)
        self.continue_button = QPushButton("Continue run")
        self.continue_button.setToolTip("Train the open run further from its newest checkpoint")
        self.continue_button.clicked.connect(self.continue_run)

        self.run_label = QLabel("No run yet")
        self.run_label.setObjectName("runLabel")
        self.run_label.setWordWrap(True)
        self.run_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("ready")
        self.rate_label = QLabel()
        self.phase_label = QLabel()
        self.phase_label.setObjectName("phaseLabel")
        self.messages = _MessageLog()
        self.messages.setObjectName("messages")
        self.messages.setPlaceholderText("Messages from training appear here")
        self.messages.setMinimumHeight(48)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        recipe = QHBoxLayout()
        recipe.addWidget(self.preset_combo, 1)
        recipe.addWidget(self.augment_check)
        form.addRow("Preset", recipe)
        length = QHBoxLayout()
        length.addWidget(self.steps_spin, 1)
        length.addWidget(self.minutes_spin, 1)
        form.addRow("Steps", length)
        sizes = QHBoxLayout()
        sizes.addWidget(self.batch_spin, 1)
        sizes.addWidget(QLabel("LR"))
        sizes.addWidget(self.lr_spin, 1)
        form.addRow("Batch", sizes)
        where = QHBoxLayout()
        where.addWidget(self.device_combo, 1)
        where.addWidget(QLabel("Seed"))
        where.addWidget(self.seed_spin, 1)
        form.addRow("Device", where)

        controls = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.resume_button, self.stop_button):
            controls.addWidget(button)
        runs = QHBoxLayout()
        runs.addWidget(self.open_button)
        runs.addWidget(self.continue_button)
        status = QHBoxLayout()
        status.addWidget(self.phase_label)
        status.addStretch(1)
        status.addWidget(self.rate_label)

        layout = QVBoxLayout(self)
        layout.setSpacing(6)
        layout.addLayout(form)
        layout.addLayout(controls)
        layout.addLayout(runs)
        layout.addWidget(self.run_label)
        layout.addWidget(self.progress)
        layout.addLayout(status)
        layout.addWidget(self.messages, 1)

        self.set_preset(self.domain.default_preset("cpu"))
        self._update_buttons()

    # ----------------------------------------------------------------- settings
    def preset_name(self) -> str:
        return self.preset_combo.currentData()

    def set_preset(self, name: str) -> None:
        index = self.preset_combo.findData(name)
        if index >= 0:
            self.preset_combo.setCurrentIndex(index)
            self._on_preset(index)

    def current_preset(self) -> Preset:
        return self.domain.presets[self.preset_name()]

    def set_devices(self, names: list[str]) -> None:
        """Fills the device list once torch has been asked what this machine has."""
        chosen = self.device_combo.currentData()
        self.device_combo.clear()
        for name in ["auto", *names]:
            self.device_combo.addItem(name, name)
        index = self.device_combo.findData(chosen)
        self.device_combo.setCurrentIndex(max(0, index))

    def overrides(self) -> dict[str, Any]:
        """The settings that differ from the preset, as ``Preset`` fields."""
        preset = self.current_preset()
        changes: dict[str, Any] = {}
        if self.batch_spin.value() != preset.batch_size:
            changes["batch_size"] = self.batch_spin.value()
        lr = self.lr_spin.value()
        if abs(lr - preset.lr_g) > 1e-12:
            changes["lr_g"] = lr
            changes["lr_d"] = lr * preset.lr_d / preset.lr_g if preset.lr_g else lr
        if preset.augment and not self.augment_check.isChecked():
            changes["augment"] = ""
        return changes

    def _on_preset(self, index: int) -> None:
        preset = self.current_preset()
        self.preset_combo.setToolTip(preset.description)
        self.steps_spin.setValue(preset_total_steps(self.domain, preset))
        self.batch_spin.setValue(preset.batch_size)
        self.lr_spin.setValue(preset.lr_g)
        self.augment_check.setEnabled(bool(preset.augment))
        self.augment_check.setChecked(bool(preset.augment))
        policy = preset.augment.replace(",", ", ") if preset.augment else "none in this preset"
        self.augment_check.setToolTip(f"Differentiable augmentation of real and generated items ({policy}): "
                                      "keeps a small folder from being memorised")
        self.presetChanged.emit(preset.name)

    # ----------------------------------------------------------------- state
    def state(self) -> str:
        return self._state

    def is_training(self) -> bool:
        return self._thread is not None

    def run_dir(self) -> str | None:
        return self._run

    def last_error(self) -> str | None:
        return self._last_error

    def set_data_folder(self, folder: str | None, items: int) -> None:
        self._data_folder = folder
        self._items = int(items)
        self._update_buttons()

    def messages_text(self) -> str:
        return self.messages.toPlainText()

    def add_message(self, text: str, error: bool = False) -> None:
        stamp = time.strftime("%H:%M:%S")
        colour = "#ff6b6b" if error else "#a9adb6"
        safe = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        weight = "font-weight:600;" if error else ""
        self.messages.append(f'<span style="color:{colour};{weight}">{stamp}  {safe}</span>')
        if error:
            self._last_error = text

    # ----------------------------------------------------------------- actions
    def start(self) -> None:
        """A new run on the imported folder with the settings shown."""
        if self._thread is not None or not self._data_folder:
            return
        run = new_run_path(self.domain_name, self.preset_name())
        self._launch({
            "mode": "new", "run_dir": str(run), "domain": self.domain_name, "data_dir": self._data_folder,
            "preset": self.preset_name(), "steps": self.steps_spin.value(), "seed": self.seed_spin.value(),
            "device": self.device_combo.currentData(), "overrides": self.overrides(),
        })

    def continue_run(self) -> None:
        """Resumes the open run up to ``steps``; a number at or below its current step adds that many more."""
        if self._thread is not None or not self._run:
            return
        try:
            _, step = run_progress(self._run)
        except (OSError, ValueError) as exc:
            self.add_message(f"cannot continue {self._run}: {exc}", error=True)
            return
        target = self.steps_spin.value()
        if target <= step:
            target = step + target
        device = self.device_combo.currentData()
        self._launch({"mode": "resume", "run_dir": self._run, "steps": target,
                      "device": None if device == "auto" else device})

    def pause(self) -> None:
        if self._thread is not None and self._state == "training":
            self._thread.pause()
            self.pause_button.setEnabled(False)

    def resume(self) -> None:
        if self._thread is not None and self._state == "paused":
            self._thread.resume()
            self.resume_button.setEnabled(False)

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop()
            self._time_limit.stop()
            self._set_state("stopping")

    def stop_and_wait(self, timeout_ms: int = 120_000) -> bool:
        """Stops training and blocks until the checkpoint is written (the window is closing)."""
        thread = self._thread
        if thread is None:
            return True
        thread.stop()
        if not thread.wait(timeout_ms):
            return False
        self._on_thread_finished(thread)
        return True

    def choose_run(self) -> None:
        start = Path(self._run).parent if self._run else default_runs_root() / self.domain_name
        folder = QFileDialog.getExistingDirectory(self, "Open a run folder", str(start))
        if folder:
            self.open_run(folder)

    def open_run(self, folder: str | Path) -> bool:
        """Makes ``folder`` the open run (history and model are shown by the tab); False if it is not one."""
        folder = str(folder)
        if self._thread is not None:
            self.add_message("stop training before opening another run", error=True)
            return False
        if not is_run(folder):
            self.add_message(f"{folder} is not a GAN Studio run (it has no {RUN_FILE})", error=True)
            return False
        try:
            config, step = run_progress(folder)
            _, target = run_steps(config, self.domain, Preset.from_dict(config["preset"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.add_message(f"{folder}: cannot read the run ({exc})", error=True)
            return False
        if config.get("domain") != self.domain_name:
            self.add_message(f"{folder} is a {config.get('domain')} run; open it in that tab", error=True)
            return False
        self._run = folder
        preset = config.get("preset_name")
        if preset in self.domain.presets:
            self.preset_combo.blockSignals(True)
            self.preset_combo.setCurrentIndex(self.preset_combo.findData(preset))
            self.preset_combo.blockSignals(False)
        self.steps_spin.setValue(target)
        self._show_run(folder, f"step {step:,} of {target:,}")
        self._set_progress(step, target)
        self.rate_label.clear()
        self.phase_label.clear()
        self.runOpened.emit(folder)
        self._update_buttons()
        return True

    # ----------------------------------------------------------------- the thread
    def _launch(self, request: dict[str, Any]) -> None:
        from studio.workers.trainer_thread import TrainingThread

        self._last_error = None
        thread = TrainingThread(request)
        thread.importProgress.connect(self._on_import_progress)
        thread.sessionReady.connect(self._on_session_ready)
        thread.log.connect(self.log)
        thread.samples.connect(self.samples)
        thread.metrics.connect(self.metrics)
        thread.checkpoint.connect(self.checkpoint)
        thread.weights.connect(self.weights)
        thread.progress.connect(self._on_progress)
        thread.phase.connect(self._on_phase)
        thread.message.connect(self.add_message)
        thread.failed.connect(self._on_failed)
        thread.paused.connect(self._on_paused)
        thread.resumed.connect(self._on_resumed)
        thread.done.connect(self._on_done)
        thread.finished.connect(self._on_thread_finished)
        self._thread = thread
        self._set_state("starting")
        self.progress.setRange(0, 0)
        self.rate_label.setText("preparing…")
        self.phase_label.clear()
        what = "continuing" if request["mode"] == "resume" else "starting a new run in"
        self.add_message(f"{what} {request['run_dir']}")
        thread.start()

    def _on_import_progress(self, done: int, total: int, current: str) -> None:
        self._set_progress(done, total, "file")
        self.rate_label.setText("reading the folder…")

    def _on_session_ready(self, payload: dict) -> None:
        self._run = payload["run"]
        self._show_run(self._run, f"{payload['preset']} on {payload['device']}")
        self._set_progress(payload["step"], payload["total"])
        self.rate_label.setText("")
        if self.minutes_spin.value() > 0:
            self._time_limit.start(self.minutes_spin.value() * 60_000)
        self._set_state("training")
        self.runStarted.emit(payload)

    def _on_progress(self, payload: dict) -> None:
        self._set_progress(payload["step"], payload["total"])
        rate = float(payload.get("steps_per_s") or 0.0)
        if rate > 0 and self._state != "paused":
            self.rate_label.setText(f"{rate:.2f} steps/s · ETA {format_eta(payload.get('eta_s'))}")

    def _on_phase(self, phase: str) -> None:
        self.phase_label.setText(f"phase: {PHASE_LABELS.get(phase, phase)}")

    def _on_time_limit(self) -> None:
        if self._thread is not None:
            self.add_message(f"time limit of {self.minutes_spin.value()} min reached; stopping")
            self.stop()

    def _on_done(self, payload: dict) -> None:
        status = payload.get("status", "")
        step = int(payload.get("step", 0))
        if status == "finished":
            self.add_message(f"finished at step {step:,}")
        elif status == "stopped":
            self.add_message(f"stopped at step {step:,}; checkpoint saved" if step else "stopped before training")
        self.finished.emit({**payload, "run": self._run})

    def _on_failed(self, text: str) -> None:
        self.add_message(text, error=True)

    def _on_paused(self, step: int) -> None:
        self._set_state("paused")

    def _on_resumed(self, step: int) -> None:
        self._set_state("training")

    def _on_thread_finished(self, thread: Any = None) -> None:
        thread = thread or self.sender()
        if thread is not self._thread:
            return
        self._thread = None
        self._time_limit.stop()
        self.rate_label.clear()
        if self.progress.maximum() == 0:  # ended before the session started: leave the busy look
            self.progress.setRange(0, 1)
            self.progress.setFormat("ready")
        thread.deleteLater()
        self._set_state("idle")

    # ----------------------------------------------------------------- display
    def _set_progress(self, value: int, total: int, what: str = "step") -> None:
        total = max(1, int(total))
        value = max(0, min(int(value), total))
        if self.progress.maximum() != total:
            self.progress.setRange(0, total)
        self.progress.setValue(value)
        self.progress.setFormat(f"{what} {value:,} / {total:,}")

    def _show_run(self, folder: str, detail: str) -> None:
        self.run_label.setText(f"Run {Path(folder).name} · {detail}")
        self.run_label.setToolTip(folder)

    def _set_state(self, state: str) -> None:
        self._state = state
        self._update_buttons()
        self.stateChanged.emit(state)

    def _update_buttons(self) -> None:
        busy = self._thread is not None
        state = self._state
        self.start_button.setEnabled(not busy and bool(self._data_folder) and self._items > 0)
        self.pause_button.setEnabled(state == "training")
        self.resume_button.setEnabled(state == "paused")
        self.stop_button.setEnabled(busy and state != "stopping")
        self.open_button.setEnabled(not busy)
        self.continue_button.setEnabled(not busy and self._run is not None)
        for widget in (self.preset_combo, self.steps_spin, self.batch_spin, self.lr_spin, self.device_combo,
                       self.seed_spin, self.minutes_spin):
            widget.setEnabled(not busy)
        self.augment_check.setEnabled(not busy and bool(self.current_preset().augment))
