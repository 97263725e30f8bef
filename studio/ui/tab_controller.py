"""What one medium's tab does, without its widgets: models, run history, reference figures, exports, demo data.

The tab's layout (:class:`studio.ui.domain_tab.DomainTab`) builds the panels
and forwards what the user does; this object holds the state behind them
and does the slow work on worker threads (loading checkpoints and live
weights, decoding a run's snapshots, exact renders for exports), reporting
back through signals so that it never touches a widget.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QObject, Signal

from studio.core.latent import seed_to_z
from studio.core.runs import default_runs_root
from studio.domains import get_domain
from studio.ui.run_history import RunHistory, load_run_history, model_from_weights
from studio.workers.background import LatestOnly, readable_error, run_in_background


class TabController(QObject):
    """The state and the work of one domain's tab.

    ``run_dir()`` and ``gallery_step()`` are asked of the layout when needed
    (the training panel's run, the snapshot on screen)."""

    statusMessage = Signal(str, int)  # text, milliseconds (0: until replaced)
    failed = Signal(str, str)  # title, text: a failure the user must see
    modelChanged = Signal(object, str)  # the model now rendered with, and which it is ("step 1,200")
    historyLoaded = Signal(object)  # a RunHistory to show
    referencesChanged = Signal(dict)  # the imported corpus's own figures, once worked out
    neighbourFound = Signal(int, object, object)  # seed, sample, its nearest training item (Neighbour)
    demoReady = Signal(str)  # the built-in demo folder, written

    def __init__(self, domain_name: str, run_dir: Callable[[], str | None], gallery_step: Callable[[], int | None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.domain_name = domain_name
        self.domain = get_domain(domain_name)
        self.model: Any = None
        self.corpus: Any = None  # the imported Corpus, once the dataset panel has one
        self.references: dict[str, float] = {}  # the corpus's own figures: dashed lines, and a medium's alarms
        self.last_export: Path | None = None
        self.last_error: str | None = None
        self.shutting_down = False
        self._run_dir = run_dir
        self._gallery_step = gallery_step
        self._models = LatestOnly(f"model-{domain_name}", owner=self)  # checkpoints and live weights, newest wins
        self._nearest = LatestOnly(f"nearest-{domain_name}", owner=self)
        self._history_generation = 0

    # ----------------------------------------------------------------- models
    def reload_model(self) -> None:
        """Loads the run's newest checkpoint on a worker; the explorer switches to it when ready."""
        run = self._run_dir()
        if not run:
            return

        def load() -> Any:
            from studio.core.model import load_model

            return load_model(run, get_domain, device="auto")

        self._models.submit(load, self._use_model,
                            lambda text: self.statusMessage.emit(f"Could not load the model: {text}", 8000))

    def use_live_weights(self, payload: dict) -> None:
        """Fresh EMA weights from the training loop: the explorer shows them long before a checkpoint."""
        run = self._run_dir()
        if run:
            self._models.submit(lambda: model_from_weights(run, payload), self._use_model,
                                lambda text: self.statusMessage.emit(f"Could not use the live weights: {text}",
                                                                     8000))

    def offer_shipped_model(self) -> None:
        """Until a run has a model, the explorer plays with the model the studio ships for this medium."""
        if self.shutting_down or self.model is not None or self._run_dir():
            return

        def load() -> Any:
            from studio.core.model import load_shipped_model

            return load_shipped_model(self.domain)

        self._models.submit(load, self._use_shipped_model,
                            lambda text: self.statusMessage.emit(f"The built-in model could not be loaded: {text}",
                                                                 8000))

    def _use_shipped_model(self, model: Any) -> None:
        if model is None or self.shutting_down or self.model is not None or self._run_dir():
            return
        self._show_model(model, "built-in demo model")

    def _use_model(self, model: Any) -> None:
        if self.shutting_down:
            return
        current = self.model
        if (current is not None and current.run_path is not None and model.run_path is not None
                and Path(current.run_path) == Path(model.run_path) and model.step < current.step):
            return  # an older state of the run on screen
        self._show_model(model, f"step {model.step:,}")

    def _show_model(self, model: Any, source: str) -> None:
        self.model = model
        self.modelChanged.emit(model, source)

    def run_started(self) -> None:
        """A run (re)started: a model load for the previous run is of no use now, nor is its history."""
        self._models.cancel()
        self._history_generation += 1

    # ----------------------------------------------------------------- run history
    def open_run_history(self, path: str) -> None:
        """Reads a reopened run on a worker (curves, snapshots decoded, its model); ``historyLoaded`` shows it."""
        self._models.cancel()
        self._history_generation += 1
        generation = self._history_generation
        self.statusMessage.emit(f"Opening {Path(path).name}…", 0)
        run_in_background(lambda: load_run_history(path), lambda h: self._history_ready(h, generation),
                          lambda text: self.show_error("Open run", f"Could not open {path}: {text}"),
                          name=f"history-{self.domain_name}", owner=self)

    def _history_ready(self, history: RunHistory, generation: int) -> None:
        if generation != self._history_generation or self.shutting_down:
            return
        self.historyLoaded.emit(history)
        if history.model is not None:
            self.model = None  # another run: its model replaces whatever was shown, whatever the steps
            self._use_model(history.model)
        self.statusMessage.emit(f"Opened {Path(history.path).name}", 5000)

    # ----------------------------------------------------------------- the corpus
    def set_corpus(self, corpus: Any) -> None:
        """A newly imported corpus: its own reference figures are worked out on a worker."""
        self.corpus = corpus
        self.references = {}
        if corpus.report.items:
            run_in_background(lambda: self.domain.reference_metrics(corpus),
                              lambda figures: self._set_references(corpus, figures),
                              lambda text: self.statusMessage.emit(f"No reference figures for the data: {text}", 8000),
                              name=f"reference-{self.domain_name}", owner=self)

    def _set_references(self, corpus: Any, figures: dict[str, float]) -> None:
        if corpus is self.corpus and not self.shutting_down:
            self.references = dict(figures)
            self.referencesChanged.emit(self.references)

    def find_nearest_training(self, seed: int, artifact: Any) -> bool:
        """Looks up the training item closest to a sample on a worker; False when there is nothing to compare."""
        corpus = self.corpus
        if corpus is None or artifact is None or self.domain.nearest_training is None:
            return False
        self._nearest.submit(lambda: self.domain.nearest_training([artifact], corpus)[0],
                             lambda neighbour: self.neighbourFound.emit(seed, artifact, neighbour),
                             lambda text: self.statusMessage.emit(f"Could not compare with the data: {text}", 8000))
        return True

    # ----------------------------------------------------------------- demo data
    def demo_folder(self) -> Path:
        return default_runs_root().parent / "demo" / self.domain_name

    def prepare_demo(self) -> None:
        """Writes the built-in demo data (once, on a worker); ``demoReady`` gives its folder."""
        target = self.demo_folder()
        run_in_background(lambda: str(self.domain.demo_corpus_folder(target)),
                          lambda folder: None if self.shutting_down else self.demoReady.emit(folder),
                          lambda text: self.show_error("Demo data",
                                                       f"Could not write the demo data in {target}: {text}"),
                          name=f"demo-{self.domain_name}", owner=self)

    # ----------------------------------------------------------------- exports
    def exports_folder(self) -> Path:
        run = self._run_dir()
        return Path(run) / "exports" if run else default_runs_root() / self.domain_name / "exports"

    def export_info(self, seed: int | None = None, latent: Any = None, **extra: Any) -> dict[str, Any]:
        """What the export carries: the model's description, or the run's while no model is loaded yet."""
        if self.model is not None:
            return self.model.info(seed=seed, latent=latent, **extra)
        info: dict[str, Any] = {"domain": self.domain_name, "run": self._run_dir(), "step": self._gallery_step()}
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

    def snapshot_is_the_model(self, step: int | None) -> bool:
        """Whether the gallery's snapshot of ``step`` came from the loaded model, which can render it again exactly.

        A snapshot taken between checkpoints has no weights left to render it
        from: it is written as it was drawn during training."""
        return self.model is not None and self.model.step == step

    def export_seed(self, path: Path, seed: int, artifact: Any, step: int | None, preset_z_dim: int) -> None:
        """A gallery sample, saved with its seed and latent (of the preset's size while no model is loaded)."""
        latent = seed_to_z(seed, self.model.z_dim if self.model is not None else preset_z_dim)
        info = self.export_info(seed=seed, latent=latent, step=step)
        if self.snapshot_is_the_model(step):
            self.write(path, lambda: self.domain.save_artifact(self.exact_artifacts(latent[None])[0], path, info))
        else:
            self.write(path, lambda: self.domain.save_artifact(artifact, path, info))

    def export_current(self, path: Path, artifact: Any, info: dict) -> None:
        """The explorer's artifact, with its anchors, blend position and latent."""
        extra = {k: v for k, v in info.items() if k not in ("seed", "latent")}
        full = self.export_info(seed=info.get("seed"), latent=info.get("latent"), **extra)
        exact = (lambda: self.exact_explorer_artifact(info)) if self.model is not None else (lambda: artifact)
        self.write(path, lambda: self.domain.save_artifact(exact(), path, full))

    def export_walk(self, path: Path, latents: Any, info: dict) -> None:
        """Renders the walk's latents with the model on a worker, then saves it."""
        extra = {k: v for k, v in info.items() if k not in ("seed", "latent", "suffix")}
        full = self.model.info(**extra)
        options = dict(info.get("options") or {})
        self.statusMessage.emit(f"Rendering {len(latents)} frames…", 0)
        self.write_in_background(path, lambda: self.domain.save_walk(self.exact_artifacts(latents, options), path,
                                                                     full), "walk")

    def export_grid(self, path: Path, artifacts: list[Any], seeds: list[int], step: int | None) -> None:
        """A gallery snapshot as one file, rendered again exactly when the loaded model drew it."""
        info = self.export_info(step=step, seeds=seeds)
        if self.snapshot_is_the_model(step) and len(seeds) == len(artifacts):
            z_dim = self.model.z_dim
            self.write_in_background(path, lambda: self.domain.save_grid(
                self.exact_artifacts([seed_to_z(s, z_dim) for s in seeds]), path, info), "grid")
        else:
            self.write(path, lambda: self.domain.save_grid(artifacts, path, info))

    def export_timelapse(self, path: Path, run: str) -> None:
        """The run's saved gallery snapshots as one animation (core/timelapse.py), written on a worker."""
        from studio.core.animation import DEFAULT_FPS
        from studio.core.timelapse import write_timelapse

        self.statusMessage.emit("Making the timelapse…", 0)
        self.write_in_background(path, lambda: write_timelapse(run, path, get_domain, DEFAULT_FPS)[0], "timelapse")

    def write_in_background(self, path: Path, save: Callable[[], Any], what: str) -> None:
        """Renders and writes on a worker (many exact renders take a moment); reported like :meth:`write`."""
        run_in_background(save, lambda written: self.exported(written or path),
                          lambda text: self.show_error("Export failed", f"Could not write {path}:\n{text}"),
                          name=f"{what}-{self.domain_name}", owner=self)

    def write(self, path: Path, save: Callable[[], Any]) -> None:
        try:
            written = save()
        except Exception as exc:  # a full disk or a bad name is shown, never a crash
            self.show_error("Export failed", f"Could not write {path}:\n{readable_error(exc)}")
            return
        self.exported(written or path)

    def exported(self, path: Any) -> None:
        """Remembers and announces a written export (domain controls' exports come here too)."""
        self.last_export = Path(path)
        self.statusMessage.emit(f"Saved {path}", 10_000)

    def show_error(self, title: str, text: str) -> None:
        """A failure the user must see: in the status bar, and ``failed`` for a message box."""
        self.last_error = text
        self.statusMessage.emit(text.replace("\n", " "), 10_000)
        if not self.shutting_down:
            self.failed.emit(title, text)
