"""One medium's workspace: dataset and training on the left, samples and curves in the middle, the explorer right.

The tab is the same for every medium.  This widget builds and arranges the
generic panels and forwards what the user does; the models, run history,
reference figures and exports behind them live in its
:class:`~studio.ui.tab_controller.TabController`, which works on worker
threads so the window never freezes.  A domain's own controls come from its
``qt`` package (:mod:`studio.ui.media`) and see only the :class:`TabApi`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (QFileDialog, QLabel, QMessageBox, QPushButton, QScrollArea, QSplitter, QVBoxLayout,
                               QWidget)

from studio.core.runs import is_run
from studio.ui.dataset_panel import DatasetPanel
from studio.ui.explorer import Explorer
from studio.ui.gallery import Gallery
from studio.ui.media import controls_installer, view_for
from studio.ui.neighbour_view import NeighbourView
from studio.ui.run_history import RunHistory, records_to_series
from studio.ui.tab_api import TabApi
from studio.ui.tab_controller import TabController
from studio.ui.training_panel import TrainingPanel

MIN_CENTRE_WIDTH = 360
MIN_GALLERY_WIDTH = 400  # what the explorer leaves the samples when it widens to keep its buttons on one line
MIN_EXPLORER_WIDTH = 400
EXPLORER_SHARE = 0.38  # of the tab's width, the explorer's at first (520 px of a 1400 px window)
EXPLORER_START_MAX = 640
DEMO_DELAY_MS = 300
PLOTS_DELAY_MS = 150  # after the first paint: the curves' library takes a second to load


class _Scroll(QScrollArea):
    """A column that scrolls rather than forcing the window wider than the screen.

    ``horizontal=False``: the column is never narrower than its controls and
    only scrolls up and down (the left column).  ``horizontal=True``: the
    splitter may make it narrower than its contents, which then scroll
    sideways instead of overflowing.
    """

    def __init__(self, widget: QWidget, horizontal: bool, minimum_width: int = 0) -> None:
        super().__init__()
        self._horizontal = horizontal
        self._minimum_width = minimum_width
        self.setWidget(widget)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        if not horizontal:
            self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def minimumSizeHint(self) -> QSize:
        if self._horizontal:
            return QSize(min(self._minimum_width, self.widget().minimumSizeHint().width()), 120)
        width = self.widget().minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width()
        return QSize(width, 120)

    def content_width(self) -> int:
        """The width at which the contents need no scrolling."""
        extra = 0 if self._horizontal else self.verticalScrollBar().sizeHint().width()
        return self.widget().minimumSizeHint().width() + extra


class DomainTab(QWidget):
    """Dataset + training | gallery + plots | explorer, for one domain."""

    statusMessage = Signal(str, int)  # text, milliseconds (0: until replaced)
    deviceDescribed = Signal(str)
    settingsChanged = Signal()
    referencesChanged = Signal(dict)  # the imported corpus's own figures, once worked out
    modelChanged = Signal(object)  # the model the explorer now renders with

    def __init__(self, domain_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.domain_name = domain_name
        self.view = view_for(domain_name)
        self._demo_checked = False
        self._last_seeds: list[int] = []

        self.dataset = DatasetPanel(domain_name, self.view)
        self.training = TrainingPanel(domain_name)
        self.gallery = Gallery()
        self.controller = TabController(domain_name, self.training.run_dir, self.gallery.current_step, self)
        self.domain = self.controller.domain
        self._plots: Any = None  # pyqtgraph loads on first use: the window shows sooner
        self._plots_placeholder = QLabel("Losses and quality figures are drawn here while the model trains")
        self._plots_placeholder.setObjectName("placeholderLabel")
        self._plots_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._plots_placeholder.setWordWrap(True)
        self.explorer = Explorer()
        self.neighbours = NeighbourView()
        self.gallery.set_view(self.view)
        self.explorer.set_view(self.view)
        self.neighbours.set_view(self.view)
        self.explorer.set_walk_suffixes(self.domain.walk_suffixes)
        self.export_grid_button = QPushButton("Export grid…")
        self.export_grid_button.setToolTip("Save the samples on screen as one file")
        self.export_grid_button.setEnabled(False)
        self.export_grid_button.clicked.connect(self.export_grid)
        self.timelapse_button = QPushButton("Timelapse…")
        self.timelapse_button.setToolTip("Save the samples through the whole of training as a video or GIF, "
                                         "one frame per saved snapshot")
        self.timelapse_button.setEnabled(False)
        self.timelapse_button.clicked.connect(self.export_timelapse)
        self._side = QVBoxLayout()

        self._build_layout()
        self._connect()
        self.dataset.set_import_options(self.training.current_preset().import_options)
        self.api = TabApi(self)
        install = controls_installer(domain_name)
        if install is not None:
            install(self.api)

    # ----------------------------------------------------------------- the controller's state, read here
    @property
    def model(self) -> Any:
        """The model the explorer renders with (None before there is one)."""
        return self.controller.model

    @property
    def corpus(self) -> Any:
        """The imported Corpus, once the dataset panel has one."""
        return self.controller.corpus

    @property
    def references(self) -> dict[str, float]:
        """The corpus's own figures: dashed lines, and a medium's alarms."""
        return self.controller.references

    @property
    def last_export(self) -> Path | None:
        return self.controller.last_export

    @property
    def last_error(self) -> str | None:
        return self.controller.last_error

    # ----------------------------------------------------------------- layout
    def _build_layout(self) -> None:
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 4, 0)
        left_layout.addWidget(self.dataset)
        left_layout.addWidget(self.training, 1)
        left_layout.addLayout(self._side)
        self._left_layout = left_layout
        self._left = _Scroll(left, horizontal=False)

        if self.domain.grid_picture is not None:  # a domain with pictures to film
            self.gallery.add_header_widget(self.timelapse_button)
        self.gallery.add_header_widget(self.export_grid_button)
        self.gallery.add_footer_widget(self.neighbours)

        samples = QWidget()  # banners (a domain's alarms) over the gallery, where the eye already is
        samples_layout = QVBoxLayout(samples)
        samples_layout.setContentsMargins(0, 0, 0, 0)
        samples_layout.setSpacing(4)
        self._banners = QVBoxLayout()
        samples_layout.addLayout(self._banners)
        self._gallery_scroll = _Scroll(self.gallery, horizontal=True, minimum_width=MIN_CENTRE_WIDTH)
        samples_layout.addWidget(self._gallery_scroll, 1)
        self.centre = QSplitter(Qt.Orientation.Vertical)
        self.centre.addWidget(samples)
        self.centre.addWidget(self._plots_placeholder)
        self.centre.setSizes([480, 380])
        self.centre.setChildrenCollapsible(False)
        self._right = _Scroll(self.explorer, horizontal=True, minimum_width=MIN_EXPLORER_WIDTH)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self._left)
        self.splitter.addWidget(self.centre)
        self.splitter.addWidget(self._right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self._sizes_restored = False  # True once the user's (or the saved) column widths apply
        self.splitter.splitterMoved.connect(self._keep_user_sizes)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.splitter)

    def _initial_sizes(self) -> None:
        """Left column at its natural width, the explorer a good third of the tab (wide enough for its buttons on
        one line where the samples keep their least width), the samples and curves the rest."""
        total = self.splitter.width() - 2 * self.splitter.handleWidth()
        left = self._left.content_width()
        one_line = min(self.explorer.sizeHint().width(), total - left - MIN_GALLERY_WIDTH)
        right = max(self._right.content_width(), min(max(int(total * EXPLORER_SHARE), one_line), EXPLORER_START_MAX))
        self.splitter.setSizes([left, max(MIN_CENTRE_WIDTH, total - left - right), right])

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if not self._sizes_restored and self.isVisible():
            self._initial_sizes()  # the columns keep their proportions until the user moves a handle

    def _keep_user_sizes(self) -> None:
        self._sizes_restored = True

    @property
    def plots(self) -> Any:
        """The live curves (:class:`studio.ui.plots.LivePlots`), built when first needed."""
        return self.ensure_plots()

    def ensure_plots(self) -> Any:
        if self._plots is None:
            from studio.ui.plots import DEFAULT_LABELS, DEFAULT_PANELS, LivePlots

            figures = self.domain.figure_panels
            if figures:
                labels = {**DEFAULT_LABELS, **self.domain.figure_labels}
                self._plots = LivePlots({**DEFAULT_PANELS, **figures}, labels, only_listed=True)
            else:
                self._plots = LivePlots()
            self.centre.replaceWidget(self.centre.indexOf(self._plots_placeholder), self._plots)
            self._plots_placeholder.deleteLater()
        return self._plots

    def _build_plots(self) -> None:
        if not self.controller.shutting_down:
            self.ensure_plots()

    def add_side_widget(self, widget: QWidget) -> None:
        """Room under the training panel for a domain's extra controls."""
        self._side.addWidget(widget)

    def add_banner(self, widget: QWidget) -> None:
        """Room above the samples for what the artist must not miss (the text tab's collapse alarm)."""
        self._banners.addWidget(widget)

    def _connect(self) -> None:
        controller = self.controller
        controller.statusMessage.connect(self.statusMessage)
        controller.failed.connect(self._show_error_box)
        controller.modelChanged.connect(self._show_model)
        controller.historyLoaded.connect(self._show_history)
        controller.referencesChanged.connect(self._on_references)
        controller.neighbourFound.connect(self.neighbours.show_neighbour)
        controller.demoReady.connect(self._on_demo_ready)
        self.dataset.corpusReady.connect(self._on_corpus)
        self.dataset.importStarted.connect(lambda folder: self.training.set_data_folder(None, 0))
        self.dataset.demoRequested.connect(self.prepare_demo)
        self.training.presetChanged.connect(self._on_preset)
        self.training.runStarted.connect(self._on_run_started)
        self.training.runOpened.connect(self.open_run_history)
        self.training.log.connect(self._on_log)
        self.training.samples.connect(self._on_samples)
        self.training.metrics.connect(self._on_metrics)
        self.training.checkpoint.connect(lambda payload: controller.reload_model())
        self.training.weights.connect(controller.use_live_weights)
        self.training.finished.connect(self._on_finished)
        self.gallery.sendToExplorer.connect(lambda seed, corner: self.explorer.set_corner_seed(corner, seed))
        self.gallery.exportRequested.connect(self.export_seed)
        self.gallery.selected.connect(self.find_nearest_training)
        self.explorer.exportCurrent.connect(self.export_current)
        self.explorer.exportWalk.connect(self.export_walk)
        self.explorer.renderFailed.connect(lambda text: self.statusMessage.emit(text, 5000))

    # ----------------------------------------------------------------- state for the settings file
    def state(self) -> dict[str, Any]:
        return {
            "folder": self.dataset.folder() or "",
            "run": self.training.run_dir() or "",
            "preset": self.training.preset_name(),
            "splitter": self.splitter.saveState(),
            "centre": self.centre.saveState(),
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Reopens what the last session had: preset, folder (imported again) and run (history shown)."""
        if state.get("preset"):
            self.training.set_preset(str(state["preset"]))
        for key, splitter in (("splitter", self.splitter), ("centre", self.centre)):
            if state.get(key):
                self._sizes_restored = splitter.restoreState(state[key]) or self._sizes_restored
        folder = str(state.get("folder") or "")
        if folder and Path(folder).is_dir():
            self.dataset.open_folder(folder)
        run = str(state.get("run") or "")
        if run and is_run(run):
            self.training.open_run(run)

    # ----------------------------------------------------------------- demo data and the shipped model
    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._sizes_restored:
            self._initial_sizes()
        if not self._demo_checked:
            self._demo_checked = True
            QTimer.singleShot(DEMO_DELAY_MS, self, self._offer_demo)  # with self as context: never after closing
            QTimer.singleShot(DEMO_DELAY_MS, self, self.controller.offer_shipped_model)
            QTimer.singleShot(PLOTS_DELAY_MS, self, self._build_plots)

    def _offer_demo(self) -> None:
        if not self.controller.shutting_down and self.dataset.folder() is None:
            self.prepare_demo()

    def demo_folder(self) -> Path:
        return self.controller.demo_folder()

    def prepare_demo(self) -> None:
        """Writes the built-in demo data (once, on a worker) and opens it, so Start works at once."""
        self.dataset.summary_label.setText("Preparing the demo data…")
        self.controller.prepare_demo()

    def _on_demo_ready(self, folder: str) -> None:
        chosen = self.dataset.folder()
        if chosen is None or chosen == folder or chosen == str(self.demo_folder()):
            self.dataset.open_folder(folder)

    # ----------------------------------------------------------------- training signals
    def _on_corpus(self, corpus: Any, folder: str) -> None:
        self.neighbours.clear()
        self.controller.set_corpus(corpus)
        self.training.set_data_folder(folder, corpus.report.items)
        if corpus.report.items:
            self.gallery.set_placeholder(
                f"Press Start to train on the {corpus.report.items:,} items of “{Path(folder).name}”.\n\n"
                "The same seeds are sampled every few seconds: watch them turn from noise into your material.")
        # the skipped-files table shares spare height with the messages only when it has rows
        self._left_layout.setStretchFactor(self.dataset, 1 if corpus.report.skipped else 0)
        self.settingsChanged.emit()

    def _on_references(self, figures: dict[str, float]) -> None:
        self._apply_references()
        self.referencesChanged.emit(figures)

    def _apply_references(self) -> None:
        """Dashed corpus lines for the figures being plotted (a line alone would open an empty panel)."""
        shown = set(self.plots.series_names())
        for name, value in self.references.items():
            if name in shown and self.plots.reference_line(name) is None:
                self.plots.set_reference(name, value)

    def find_nearest_training(self, seed: int, artifact: Any) -> None:
        """Looks up the training item closest to the selected sample (on a worker) and shows the pair."""
        if self.controller.find_nearest_training(seed, artifact):
            self.neighbours.show_pending(seed)

    def _on_preset(self, name: str) -> None:
        self.dataset.set_import_options(self.domain.presets[name].import_options)
        self.settingsChanged.emit()

    def _on_run_started(self, payload: dict) -> None:
        self.deviceDescribed.emit(payload["device"])
        self.controller.run_started()
        if payload["step"] == 0:
            self.plots.clear()
            self.gallery.clear()
            self.neighbours.clear()
            self.export_grid_button.setEnabled(False)
            self.timelapse_button.setEnabled(False)
        self.gallery.set_placeholder("Training has started: the first samples arrive in a few seconds…")
        if self.model is None:
            self.explorer.set_idle_text("The explorer opens on the model as soon as the first samples are drawn…")
        self.statusMessage.emit(f"Training {Path(payload['run']).name} on {payload['device']}", 5000)
        self.settingsChanged.emit()

    def _on_log(self, records: list) -> None:
        steps, series = records_to_series(records)
        if len(steps):
            self.plots.add_points(steps, series)

    def _on_metrics(self, payload: dict) -> None:
        values = {k: np.array([float(v)]) for k, v in payload["values"].items()}
        self.plots.add_points(np.array([float(payload["step"])]), values)
        self._apply_references()

    def _on_samples(self, payload: dict) -> None:
        self._last_seeds = list(payload["seeds"])
        self.gallery.add_snapshot(payload["step"], payload["artifacts"], payload["seeds"])
        self.export_grid_button.setEnabled(True)
        self.timelapse_button.setEnabled(self.training.run_dir() is not None)

    def _on_finished(self, payload: dict) -> None:
        status = payload.get("status")
        if status == "failed":
            self.statusMessage.emit(f"Training failed: {self.training.last_error() or 'see the messages'}", 0)
        else:
            self.statusMessage.emit(f"Training {status} at step {payload.get('step', 0):,}", 8000)
        self.settingsChanged.emit()

    # ----------------------------------------------------------------- models and history
    def reload_model(self) -> None:
        """Loads the run's newest checkpoint on a worker; the explorer switches to it when ready."""
        self.controller.reload_model()

    def _show_model(self, model: Any, source: str) -> None:
        self.explorer.directions.set_model(model)
        self.explorer.set_renderer(lambda z, options: model.render(z, options), model.preset.z_dim, source=source)
        self.modelChanged.emit(model)

    def open_run_history(self, path: str) -> None:
        """Shows a reopened run: curves, sample snapshots (decoded on a worker) and its model."""
        self.controller.open_run_history(path)

    def _show_history(self, history: RunHistory) -> None:
        self.plots.clear()
        if len(history.steps):
            self.plots.load_history(history.steps, history.series)
            self._apply_references()
        self.gallery.clear()
        for step, artifacts, seeds in history.snapshots:
            self.gallery.add_snapshot(step, artifacts, seeds)
            self._last_seeds = list(seeds)
        self.export_grid_button.setEnabled(bool(history.snapshots))
        self.timelapse_button.setEnabled(bool(history.snapshots))
        for note in history.notes:
            self.training.add_message(note)

    # ----------------------------------------------------------------- exports: where to, then the controller
    def exports_folder(self) -> Path:
        return self.controller.exports_folder()

    def ask_save_path(self, title: str, name: str, suffix: str) -> Path | None:
        """The save dialog, starting in the run's exports folder; the suffix is added when left out."""
        folder = self.exports_folder()
        folder.mkdir(parents=True, exist_ok=True)
        chosen, _ = QFileDialog.getSaveFileName(self, title, str(folder / f"{name}{suffix}"),
                                                f"{suffix.lstrip('.').upper()} files (*{suffix});;All files (*)")
        if not chosen:
            return None
        path = Path(chosen)
        return path if path.suffix else path.with_suffix(suffix)

    def export_info(self, seed: int | None = None, latent: Any = None, **extra: Any) -> dict[str, Any]:
        """What the export carries: the model's description, or the run's while no model is loaded yet."""
        return self.controller.export_info(seed=seed, latent=latent, **extra)

    def exact_explorer_artifact(self, info: dict[str, Any]) -> Any:
        """The explorer's result as exports write it (at a corner, from the seed's own latent, like ``sample``)."""
        return self.controller.exact_explorer_artifact(info)

    def export_seed(self, seed: int, artifact: Any) -> None:
        """A gallery sample, saved with its seed and latent."""
        path = self.ask_save_path("Export sample", f"{self.domain_name}-seed{seed}", self.domain.artifact_suffix)
        if path is not None:
            self.controller.export_seed(path, seed, artifact, self.gallery.current_step(),
                                        self.training.current_preset().z_dim)

    def export_current(self, artifact: Any, info: dict) -> None:
        """The explorer's artifact, with its anchors, blend position and latent."""
        seed = info.get("seed")
        name = f"{self.domain_name}-seed{seed}" if seed is not None else f"{self.domain_name}-blend"
        path = self.ask_save_path("Export explorer result", name, self.domain.artifact_suffix)
        if path is not None:
            self.controller.export_current(path, artifact, info)

    def export_walk(self, latents: Any, info: dict) -> None:
        """Renders the walk's latents with the model on a worker, then saves it."""
        if self.model is None:
            self.show_error("Export walk", "There is no trained model to render the walk with yet")
            return
        suffix = info.get("suffix") or self.domain.walk_suffix
        path = self.ask_save_path("Export walk", f"{self.domain_name}-walk", suffix)
        if path is not None:
            self.controller.export_walk(path, latents, info)

    def export_grid(self) -> None:
        """The gallery's snapshot on screen as one file."""
        artifacts = self.gallery.current_artifacts()
        if not artifacts:
            return
        step = self.gallery.current_step()
        path = self.ask_save_path("Export grid", f"{self.domain_name}-grid-step{step}", self.domain.artifact_suffix)
        if path is not None:
            self.controller.export_grid(path, artifacts, list(self._last_seeds), step)

    def export_timelapse(self) -> None:
        """The run's saved gallery snapshots as one animation, written on a worker."""
        run = self.training.run_dir()
        if run is None:
            return
        path = self.ask_save_path("Export timelapse", f"{Path(run).name}-timelapse", self.domain.walk_suffix)
        if path is not None:
            self.controller.export_timelapse(path, run)

    def exported(self, path: Any) -> None:
        """Remembers and announces a written export (domain controls' exports come here too)."""
        self.controller.exported(path)

    def show_error(self, title: str, text: str) -> None:
        """A failure the user must see: in the status bar and a non-blocking message box."""
        self.controller.show_error(title, text)

    def _show_error_box(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # ----------------------------------------------------------------- shutdown
    def is_training(self) -> bool:
        return self.training.is_training()

    def shutdown(self) -> None:
        """Stops training with a checkpoint, cancels an import and ends the render thread."""
        self.controller.shutting_down = True
        self.training.stop_and_wait()
        self.dataset.shutdown()
        self.explorer.shutdown()
