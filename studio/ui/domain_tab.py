"""One medium's workspace: dataset and training on the left, samples and curves in the middle, the explorer right.

The tab is the same for painting, music and text: it wires the generic
panels together and does the work between them (loading models, reading a
run's history, exports) on worker threads, so the window never freezes.
A domain's own controls come from its ``qt`` package (:mod:`studio.ui.media`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (QFileDialog, QLabel, QMessageBox, QPushButton, QScrollArea, QSplitter, QVBoxLayout,
                               QWidget)

from studio.core.latent import seed_to_z
from studio.core.runs import default_runs_root, is_run
from studio.domains import get_domain
from studio.ui.dataset_panel import DatasetPanel
from studio.ui.explorer import Explorer
from studio.ui.gallery import Gallery
from studio.ui.media import controls_installer, view_for
from studio.ui.neighbour_view import NeighbourView
from studio.ui.tab_api import TabApi
from studio.ui.training_panel import TrainingPanel
from studio.workers.background import LatestOnly, readable_error, run_in_background

NOT_PLOTTED = {"step", "phase", "kind", "metrics_s"}
MAX_HISTORY_SNAPSHOTS = 100
MIN_CENTRE_WIDTH = 360
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


def records_to_series(records: list[dict[str, Any]]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Logged records -> steps and one array per numeric key (NaN where a record lacks the key)."""
    rows = [r for r in records if isinstance(r.get("step"), (int, float))]
    steps = np.array([r["step"] for r in rows], np.float64)
    names: dict[str, None] = {}
    for r in rows:
        for key, value in r.items():
            if key not in NOT_PLOTTED and isinstance(value, (int, float)) and not isinstance(value, bool):
                names[key] = None
    series = {}
    for name in names:
        values = [r.get(name) for r in rows]
        series[name] = np.array([v if isinstance(v, (int, float)) else np.nan for v in values], np.float64)
    return steps, series


@dataclass
class RunHistory:
    """What a reopened run shows: its curves, its sample snapshots and its newest model (if any)."""

    path: str
    steps: np.ndarray
    series: dict[str, np.ndarray]
    snapshots: list[tuple[int, list[Any], list[int]]] = field(default_factory=list)
    model: Any = None
    notes: list[str] = field(default_factory=list)


def load_run_history(path: str, max_snapshots: int = MAX_HISTORY_SNAPSHOTS) -> RunHistory:
    """Reads metrics, decodes sample snapshots and loads the newest model; runs on a worker thread."""
    import torch

    from studio.core.checkpoints import CheckpointError
    from studio.core.domain import ModelContext, Preset
    from studio.core.model import load_model
    from studio.core.runs import RunDir

    run = RunDir.open(path)
    steps, series = records_to_series(run.read_metrics())
    history = RunHistory(path, steps, series)
    try:
        history.model = load_model(path, get_domain, device="auto")
    except (CheckpointError, OSError, ValueError, RuntimeError) as exc:
        history.notes.append(str(exc))
    samples = run.list_samples()
    if len(samples) > max_snapshots:
        keep = np.unique(np.linspace(0, len(samples) - 1, max_snapshots).round().astype(int))
        samples = [samples[i] for i in keep]
    if history.model is not None:
        domain, ctx = history.model.domain, history.model.context()
    else:
        config = run.read_config()
        domain = get_domain(config["domain"])
        ctx = ModelContext(Preset.from_dict(config["preset"]), config["corpus"]["meta"], torch.device("cpu"))
    for step, sample_path in samples:
        try:
            outputs, seeds = RunDir.load_samples(sample_path)
            with torch.no_grad():
                artifacts = domain.decode(torch.from_numpy(outputs).to(ctx.device), ctx)
        except Exception as exc:  # a damaged or undecodable snapshot is left out, the rest still shows
            history.notes.append(f"{sample_path.name}: cannot be shown ({exc})")
            continue
        history.snapshots.append((step, artifacts, seeds))
    return history


def model_from_weights(run_dir: str, payload: dict[str, Any]) -> Any:
    """A :class:`Model` from live EMA weights sent while training (on a worker: it builds nets with torch).

    The run's ``run.json`` (written before training starts) gives the preset
    and corpus meta the nets are built for; the explorer renders on the CPU.
    """
    from studio.core.model import load_live_model

    return load_live_model(run_dir, get_domain, payload["tensors"], int(payload["step"]))


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
        self.domain = get_domain(domain_name)
        self.view = view_for(domain_name)
        self.model: Any = None
        self.corpus: Any = None  # the imported Corpus, once the dataset panel has one
        self.references: dict[str, float] = {}  # the corpus's own figures: dashed lines, and a medium's alarms
        self._models = LatestOnly(f"model-{domain_name}", owner=self)  # checkpoints and live weights, newest wins
        self._nearest = LatestOnly(f"nearest-{domain_name}", owner=self)
        self._history_generation = 0
        self._demo_checked = False
        self._shutting_down = False
        self._last_seeds: list[int] = []
        self.last_export: Path | None = None
        self.last_error: str | None = None

        self.dataset = DatasetPanel(domain_name, self.view)
        self.training = TrainingPanel(domain_name)
        self.gallery = Gallery()
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
        """Left column at its natural width, the explorer a good third of the tab, the samples and curves the rest."""
        total = self.splitter.width() - 2 * self.splitter.handleWidth()
        left = self._left.content_width()
        right = max(self._right.content_width(), min(int(total * EXPLORER_SHARE), EXPLORER_START_MAX))
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
        if not self._shutting_down:
            self.ensure_plots()

    def add_side_widget(self, widget: QWidget) -> None:
        """Room under the training panel for a domain's extra controls."""
        self._side.addWidget(widget)

    def add_banner(self, widget: QWidget) -> None:
        """Room above the samples for what the artist must not miss (the text tab's collapse alarm)."""
        self._banners.addWidget(widget)

    def _connect(self) -> None:
        self.dataset.corpusReady.connect(self._on_corpus)
        self.dataset.importStarted.connect(lambda folder: self.training.set_data_folder(None, 0))
        self.dataset.demoRequested.connect(self.prepare_demo)
        self.training.presetChanged.connect(self._on_preset)
        self.training.runStarted.connect(self._on_run_started)
        self.training.runOpened.connect(self.open_run_history)
        self.training.log.connect(self._on_log)
        self.training.samples.connect(self._on_samples)
        self.training.metrics.connect(self._on_metrics)
        self.training.checkpoint.connect(lambda payload: self.reload_model())
        self.training.weights.connect(self._on_weights)
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

    # ----------------------------------------------------------------- demo data
    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._sizes_restored:
            self._initial_sizes()
        if not self._demo_checked:
            self._demo_checked = True
            QTimer.singleShot(DEMO_DELAY_MS, self, self._offer_demo)  # with self as context: never after closing
            QTimer.singleShot(DEMO_DELAY_MS, self, self._offer_shipped_model)
            QTimer.singleShot(PLOTS_DELAY_MS, self, self._build_plots)

    def _offer_shipped_model(self) -> None:
        """Until a run has a model, the explorer plays with the model the studio ships for this medium."""
        if self._shutting_down or self.model is not None or self.training.run_dir():
            return

        def load() -> Any:
            from studio.core.model import load_shipped_model

            return load_shipped_model(self.domain)

        self._models.submit(load, self._use_shipped_model,
                            lambda text: self.statusMessage.emit(f"The built-in model could not be loaded: {text}",
                                                                 8000))

    def _use_shipped_model(self, model: Any) -> None:
        if model is None or self._shutting_down or self.model is not None or self.training.run_dir():
            return
        self.model = model
        self.explorer.directions.set_model(model)
        self.explorer.set_renderer(lambda z, options: model.render(z, options), model.preset.z_dim,
                                   source="built-in demo model")
        self.modelChanged.emit(model)

    def _offer_demo(self) -> None:
        if not self._shutting_down and self.dataset.folder() is None:
            self.prepare_demo()

    def demo_folder(self) -> Path:
        return default_runs_root().parent / "demo" / self.domain_name

    def prepare_demo(self) -> None:
        """Writes the built-in demo data (once, on a worker) and opens it, so Start works at once."""
        target = self.demo_folder()
        self.dataset.summary_label.setText("Preparing the demo data…")
        run_in_background(lambda: str(self.domain.demo_corpus_folder(target)), self._on_demo_ready,
                          lambda text: self.show_error("Demo data", f"Could not write the demo data in {target}: {text}"),
                          name=f"demo-{self.domain_name}", owner=self)

    def _on_demo_ready(self, folder: str) -> None:
        if self._shutting_down:
            return
        chosen = self.dataset.folder()
        if chosen is None or chosen == folder or chosen == str(self.demo_folder()):
            self.dataset.open_folder(folder)

    # ----------------------------------------------------------------- training signals
    def _on_corpus(self, corpus: Any, folder: str) -> None:
        self.corpus = corpus
        self.neighbours.clear()
        self.references = {}
        self.training.set_data_folder(folder, corpus.report.items)
        if corpus.report.items:
            run_in_background(lambda: self.domain.reference_metrics(corpus),
                              lambda figures: self._set_references(corpus, figures),
                              lambda text: self.statusMessage.emit(f"No reference figures for the data: {text}", 8000),
                              name=f"reference-{self.domain_name}", owner=self)
        if corpus.report.items:
            self.gallery.set_placeholder(
                f"Press Start to train on the {corpus.report.items:,} items of “{Path(folder).name}”.\n\n"
                "The same seeds are sampled every few seconds: watch them turn from noise into your material.")
        # the skipped-files table shares spare height with the messages only when it has rows
        self._left_layout.setStretchFactor(self.dataset, 1 if corpus.report.skipped else 0)
        self.settingsChanged.emit()

    def _set_references(self, corpus: Any, figures: dict[str, float]) -> None:
        if corpus is self.corpus and not self._shutting_down:
            self.references = dict(figures)
            self._apply_references()
            self.referencesChanged.emit(self.references)

    def _apply_references(self) -> None:
        """Dashed corpus lines for the figures being plotted (a line alone would open an empty panel)."""
        shown = set(self.plots.series_names())
        for name, value in self.references.items():
            if name in shown and self.plots.reference_line(name) is None:
                self.plots.set_reference(name, value)

    def find_nearest_training(self, seed: int, artifact: Any) -> None:
        """Looks up the training item closest to the selected sample (on a worker) and shows the pair."""
        corpus = self.corpus
        if corpus is None or artifact is None or self.domain.nearest_training is None:
            return
        self.neighbours.show_pending(seed)
        self._nearest.submit(lambda: self.domain.nearest_training([artifact], corpus)[0],
                             lambda neighbour: self.neighbours.show_neighbour(seed, artifact, neighbour),
                             lambda text: self.statusMessage.emit(f"Could not compare with the data: {text}", 8000))

    def _on_preset(self, name: str) -> None:
        self.dataset.set_import_options(self.domain.presets[name].import_options)
        self.settingsChanged.emit()

    def _on_run_started(self, payload: dict) -> None:
        self.deviceDescribed.emit(payload["device"])
        self._models.cancel()  # a load still running for the previous run is of no use now
        self._history_generation += 1
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
        run = self.training.run_dir()
        if not run:
            return

        def load() -> Any:
            from studio.core.model import load_model

            return load_model(run, get_domain, device="auto")

        self._models.submit(load, self._use_model,
                            lambda text: self.statusMessage.emit(f"Could not load the model: {text}", 8000))

    def _on_weights(self, payload: dict) -> None:
        """Fresh EMA weights from the training loop: the explorer shows them long before a checkpoint."""
        run = self.training.run_dir()
        if run:
            self._models.submit(lambda: model_from_weights(run, payload), self._use_model,
                                lambda text: self.statusMessage.emit(f"Could not use the live weights: {text}",
                                                                     8000))

    def _use_model(self, model: Any) -> None:
        if self._shutting_down:
            return
        current = self.model
        if (current is not None and current.run_path is not None and model.run_path is not None
                and Path(current.run_path) == Path(model.run_path) and model.step < current.step):
            return  # an older state of the run on screen
        self.model = model
        self.explorer.directions.set_model(model)
        self.explorer.set_renderer(lambda z, options: model.render(z, options), model.preset.z_dim,
                                   source=f"step {model.step:,}")
        self.modelChanged.emit(model)

    def open_run_history(self, path: str) -> None:
        """Shows a reopened run: curves, sample snapshots (decoded on a worker) and its model."""
        self._models.cancel()
        self._history_generation += 1
        generation = self._history_generation
        self.statusMessage.emit(f"Opening {Path(path).name}…", 0)
        run_in_background(lambda: load_run_history(path), lambda h: self._show_history(h, generation),
                          lambda text: self.show_error("Open run", f"Could not open {path}: {text}"),
                          name=f"history-{self.domain_name}", owner=self)

    def _show_history(self, history: RunHistory, generation: int) -> None:
        if generation != self._history_generation or self._shutting_down:
            return
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
        if history.model is not None:
            self.model = None  # another run: its model replaces whatever was shown, whatever the steps
            self._use_model(history.model)
        self.statusMessage.emit(f"Opened {Path(history.path).name}", 5000)

    # ----------------------------------------------------------------- exports
    def exports_folder(self) -> Path:
        run = self.training.run_dir()
        folder = Path(run) / "exports" if run else default_runs_root() / self.domain_name / "exports"
        return folder

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
        if self.model is not None:
            return self.model.info(seed=seed, latent=latent, **extra)
        info: dict[str, Any] = {"domain": self.domain_name, "run": self.training.run_dir(),
                                "step": self.gallery.current_step()}
        if seed is not None:
            info["seed"] = int(seed)
        if latent is not None:
            info["latent"] = [round(float(v), 6) for v in np.asarray(latent).ravel()]
        info.update(extra)
        return info

    def exact_artifacts(self, latents: Any, options: dict[str, Any] | None = None) -> list[Any]:
        """What the window's exports write: the model's exact renders (core/exact.py) on the CPU, as
        ``studio sample`` makes them, so a file exported here is the one the command line writes."""
        assert self.model is not None
        return self.model.on_cpu().render_exactly(np.asarray(latents, np.float32), options)

    def exact_explorer_artifact(self, info: dict[str, Any]) -> Any:
        """The explorer's result as exports write it (at a corner, from the seed's own latent, like ``sample``)."""
        assert self.model is not None
        seed = info.get("seed")
        latent = seed_to_z(seed, self.model.z_dim) if seed is not None else np.asarray(info["latent"], np.float32)
        return self.exact_artifacts(latent[None], info.get("options"))[0]

    def _snapshot_is_the_model(self, step: int) -> bool:
        """Whether the gallery's snapshot of ``step`` came from the loaded model, which can render it again exactly.

        A snapshot taken between checkpoints has no weights left to render it
        from: it is written as it was drawn during training."""
        return self.model is not None and self.model.step == step

    def export_seed(self, seed: int, artifact: Any) -> None:
        """A gallery sample, saved with its seed and latent."""
        z_dim = self.model.z_dim if self.model is not None else self.training.current_preset().z_dim
        path = self.ask_save_path("Export sample", f"{self.domain_name}-seed{seed}", self.domain.artifact_suffix)
        if path is None:
            return
        step = self.gallery.current_step()
        latent = seed_to_z(seed, z_dim)
        info = self.export_info(seed=seed, latent=latent, step=step)
        if self._snapshot_is_the_model(step):
            self._write(path, lambda: self.domain.save_artifact(self.exact_artifacts(latent[None])[0], path, info))
        else:
            self._write(path, lambda: self.domain.save_artifact(artifact, path, info))

    def export_current(self, artifact: Any, info: dict) -> None:
        """The explorer's artifact, with its anchors, blend position and latent."""
        seed = info.get("seed")
        name = f"{self.domain_name}-seed{seed}" if seed is not None else f"{self.domain_name}-blend"
        path = self.ask_save_path("Export explorer result", name, self.domain.artifact_suffix)
        if path is not None:
            extra = {k: v for k, v in info.items() if k not in ("seed", "latent")}
            full = self.export_info(seed=seed, latent=info.get("latent"), **extra)
            exact = (lambda: self.exact_explorer_artifact(info)) if self.model is not None else (lambda: artifact)
            self._write(path, lambda: self.domain.save_artifact(exact(), path, full))

    def export_walk(self, latents: Any, info: dict) -> None:
        """Renders the walk's latents with the model on a worker, then saves it."""
        if self.model is None:
            self.show_error("Export walk", "There is no trained model to render the walk with yet")
            return
        suffix = info.get("suffix") or self.domain.walk_suffix
        path = self.ask_save_path("Export walk", f"{self.domain_name}-walk", suffix)
        if path is None:
            return
        extra = {k: v for k, v in info.items() if k not in ("seed", "latent", "suffix")}
        full = self.model.info(**extra)
        options = dict(info.get("options") or {})
        self.statusMessage.emit(f"Rendering {len(latents)} frames…", 0)
        self._write_in_background(path, lambda: self.domain.save_walk(self.exact_artifacts(latents, options), path,
                                                                      full), "walk")

    def export_grid(self) -> None:
        """The gallery's snapshot on screen as one file."""
        artifacts = self.gallery.current_artifacts()
        if not artifacts:
            return
        step = self.gallery.current_step()
        path = self.ask_save_path("Export grid", f"{self.domain_name}-grid-step{step}", self.domain.artifact_suffix)
        if path is None:
            return
        seeds = list(self._last_seeds)
        info = self.export_info(step=step, seeds=seeds)
        if self._snapshot_is_the_model(step) and len(seeds) == len(artifacts):
            z_dim = self.model.z_dim
            self._write_in_background(path, lambda: self.domain.save_grid(
                self.exact_artifacts([seed_to_z(s, z_dim) for s in seeds]), path, info), "grid")
        else:
            self._write(path, lambda: self.domain.save_grid(artifacts, path, info))

    def export_timelapse(self) -> None:
        """The run's saved gallery snapshots as one animation (core/timelapse.py), written on a worker."""
        from studio.core.animation import DEFAULT_FPS
        from studio.core.timelapse import write_timelapse

        run = self.training.run_dir()
        if run is None:
            return
        path = self.ask_save_path("Export timelapse", f"{Path(run).name}-timelapse", self.domain.walk_suffix)
        if path is not None:
            self.statusMessage.emit("Making the timelapse…", 0)
            self._write_in_background(path, lambda: write_timelapse(run, path, get_domain, DEFAULT_FPS)[0], "timelapse")

    def _write_in_background(self, path: Path, save: Callable[[], Any], what: str) -> None:
        """Renders and writes on a worker (many exact renders take a moment); reported like :meth:`_write`."""
        run_in_background(save, lambda written: self.exported(written or path),
                          lambda text: self.show_error("Export failed", f"Could not write {path}:\n{text}"),
                          name=f"{what}-{self.domain_name}", owner=self)

    def _write(self, path: Path, save: Callable[[], Any]) -> None:
        try:
            written = save()
        except Exception as exc:  # a full disk or a bad name is shown, never a crash
            self.show_error("Export failed", f"Could not write {path}:\n{readable_error(exc)}")
            return
        self.exported(written or path)

    def exported(self, path: Any) -> None:
        """Remembers and announces a written export (domain controls call it after their own exports)."""
        self.last_export = Path(path)
        self.statusMessage.emit(f"Saved {path}", 10_000)

    def show_error(self, title: str, text: str) -> None:
        """A failure the user must see: in the status bar and a non-blocking message box."""
        self.last_error = text
        self.statusMessage.emit(text.replace("\n", " "), 10_000)
        if self._shutting_down:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # ----------------------------------------------------------------- shutdown
    def is_training(self) -> bool:
        return self.training.is_training()

    def shutdown(self) -> None:
        """Stops training with a checkpoint, cancels an import and ends the render thread."""
        self._shutting_down = True
        self.training.stop_and_wait()
        self.dataset.shutdown()
        self.explorer.shutdown()
