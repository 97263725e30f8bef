"""The narrow surface a medium's controls get of the tab they join (``install_controls(api)`` in its ``qt`` package).

Controls see the model and decode options, a few signals (model, corpus,
explorer preview, gallery selection, quality figures), places to add their
widgets, and one export routine; never the tab's panels.  So the tab can be
rearranged without touching any medium, and a medium cannot come to depend
on the tab's internals.

Media meet through files, never through each other's code: a tab offers its
explorer's current artifact written to a file on request, and the window
lets each tab see the other tabs' offers (:meth:`TabApi.offers`), so
painting can paint to the music tab's clip without importing music.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from studio.workers.background import readable_error, run_in_background

if TYPE_CHECKING:
    from studio.core.domain import Domain
    from studio.ui.domain_tab import DomainTab

PLACES = ("explorer", "side", "gallery")
"""Where :meth:`TabApi.add_control` puts a widget: under the explorer's ψ, in the left column under training,
or in the gallery's header."""


@dataclass(frozen=True)
class Figures:
    """The newest quality figures of the run on screen: its step and the values :meth:`Domain.metrics` logged."""

    step: int
    values: dict[str, float]


def latest_figures(run_dir: str) -> Figures | None:
    """The last quality figures a run logged (reads metrics.jsonl, so it runs on a worker)."""
    from studio.core.runs import RunDir

    records = [r for r in RunDir.open(run_dir).read_metrics() if r.get("kind") == "quality"]
    if not records:
        return None
    last = records[-1]
    values = {k: float(v) for k, v in last.items()
              if k not in ("step", "kind", "metrics_s") and isinstance(v, (int, float)) and not isinstance(v, bool)}
    return Figures(int(last.get("step", 0)), values)


class TabApi(QObject):
    """What a medium's controls may use of their tab."""

    modelChanged = Signal(object)  # the model the explorer now renders with (a studio.core.model.Model)
    corpusChanged = Signal(object)  # the imported corpus's meta (dict)
    previewChanged = Signal(object)  # the explorer's artifact, after every render
    released = Signal(object)  # the explorer's artifact, once the pad is let go and that position rendered
    gallerySelected = Signal(int, object)  # seed, artifact of the sample the user selected
    figuresChanged = Signal(object)  # the newest Figures; None when a new run has none yet
    referencesChanged = Signal(dict)  # the corpus's own figures, once worked out

    def __init__(self, tab: "DomainTab") -> None:
        super().__init__(tab)
        self._tab = tab
        self._figures: Figures | None = None
        self._neighbours: Callable[[], list["TabApi"]] = list
        tab.modelChanged.connect(self.modelChanged)
        tab.dataset.corpusReady.connect(lambda corpus, folder: self.corpusChanged.emit(corpus.meta))
        tab.explorer.previewChanged.connect(self.previewChanged)
        tab.explorer.released.connect(self.released)
        tab.gallery.selected.connect(self.gallerySelected)
        tab.referencesChanged.connect(self.referencesChanged)
        tab.training.metrics.connect(
            lambda payload: self._set_figures(Figures(int(payload.get("step", 0)), dict(payload.get("values") or {}))))
        tab.training.runStarted.connect(lambda payload: payload.get("step", 0) == 0 and self._set_figures(None))
        tab.training.runOpened.connect(self._on_run_opened)

    # ----------------------------------------------------------------- what is on screen
    @property
    def domain(self) -> "Domain":
        return self._tab.domain

    def model(self) -> Any:
        """The model the explorer renders with, or None before there is one."""
        return self._tab.model

    def corpus_meta(self) -> dict[str, Any] | None:
        """The imported corpus's meta (tracks, vocabulary…), or None before an import."""
        corpus = self._tab.dataset.corpus()
        return corpus.meta if corpus is not None else None

    def options(self) -> dict[str, Any]:
        """The explorer's decode options."""
        return self._tab.explorer.options()

    def set_options(self, options: dict[str, Any]) -> None:
        """Merges decode options; the explorer renders again with them and its exports record them."""
        self._tab.explorer.set_options(options)

    def explorer_artifact(self) -> Any:
        return self._tab.explorer.current_artifact()

    def explorer_record(self) -> dict[str, Any]:
        """What an export of the explorer's artifact records: anchors, blend, ψ, options, latent."""
        return self._tab.explorer.current_info()

    def place_anchor(self, corner: int, z: Any, label: str) -> None:
        """Puts a latent at a corner of the pad and moves there; ValueError if it does not fit the model."""
        from studio.core.explorer_state import CORNER_UV

        self._tab.explorer.set_corner_latent(corner, z, label)
        self._tab.explorer.set_position(*CORNER_UV[corner])

    def gallery_selection(self) -> tuple[int | None, Any]:
        """Seed and artifact of the selected gallery sample ((None, None) when none is)."""
        return self._tab.gallery.selected_seed(), self._tab.gallery.selected_artifact()

    def figures(self) -> Figures | None:
        return self._figures

    def references(self) -> dict[str, float]:
        """The corpus's own values of the quality figures ({} until worked out)."""
        return dict(self._tab.references)

    # ----------------------------------------------------------------- what tabs share
    def current_file(self, folder: str | Path) -> Path | None:
        """The explorer's current artifact written into ``folder`` as an export is (with its record); None
        while there is none.  Other tabs ask for it through :meth:`offers`."""
        artifact = self.explorer_artifact()
        if artifact is None:
            return None
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        record = self.explorer_record()
        info = self.export_record(latent=record.get("latent"), explorer=record)
        return Path(self.domain.save_artifact(artifact, folder / f"{self.domain.name}-current"
                                                                 f"{self.domain.artifact_suffix}", info))

    def set_neighbours(self, neighbours: Callable[[], list["TabApi"]]) -> None:
        """The window tells each tab how to find the others' APIs (the tabs built so far)."""
        self._neighbours = neighbours

    def offers(self, suffixes: tuple[str, ...]) -> dict[str, Callable[[Path], Path | None]]:
        """The other tabs' current artifacts whose files end in one of ``suffixes``, by a label for a menu
        ("the Music tab's explorer result"): each writes its file into a folder when called."""
        return {f"the {api.domain.title} tab's explorer result": api.current_file
                for api in self._neighbours() if api is not self and api.domain.artifact_suffix in suffixes
                and api.explorer_artifact() is not None}

    # ----------------------------------------------------------------- adding to the tab
    def add_control(self, widget: QWidget, stretch: int = 0, place: str = "explorer") -> None:
        """Adds a widget at one of :data:`PLACES`; ``stretch`` lets an explorer control take spare width."""
        if place == "explorer":
            self._tab.explorer.add_control(widget, stretch=stretch)
        elif place == "side":
            self._tab.add_side_widget(widget)
        elif place == "gallery":
            self._tab.gallery.add_header_widget(widget)
        else:
            raise ValueError(f"unknown place {place!r}; use one of {', '.join(PLACES)}")

    def add_banner(self, widget: QWidget) -> None:
        """Room above the samples for what the artist must not miss (an alarm)."""
        self._tab.add_banner(widget)

    def status(self, text: str, ms: int = 8000) -> None:
        """A message in the window's status bar (``ms`` 0: until replaced)."""
        self._tab.statusMessage.emit(text, ms)

    # ----------------------------------------------------------------- exports
    def export_record(self, seed: int | None = None, latent: Any = None, **extra: Any) -> dict[str, Any]:
        """What an export carries: the model's description with the seed, latent and anything added."""
        return self._tab.export_info(seed=seed, latent=latent, **extra)

    def exact_artifact(self, record: dict[str, Any]) -> Any:
        """The explorer's result rendered again exactly as every export is (on the CPU, like ``studio sample``).

        It runs the model: call it inside an export's ``write``."""
        return self._tab.exact_explorer_artifact(record)

    def export(self, title: str, name: str, suffix: str, write: Callable[[Path], Path | None], *,
               background: bool = False, failed: Callable[[str], None] | None = None) -> Path | None:
        """Asks where (in the run's exports folder), then ``write(path)``; reported in the status bar.

        ``background`` writes on a worker (a synthesis, many renders), and the
        path is announced when written; otherwise the written path is
        returned.  A failure goes to ``failed`` ("Could not write …: reason")
        when given, else to a message box; None when the user cancelled or the
        write failed."""
        path = self._tab.ask_save_path(title, name, suffix)
        if path is None:
            return None
        if failed is None:
            def fail(reason: str) -> None:
                self._tab.show_error("Export failed", f"Could not write {path}:\n{reason}")
        else:
            def fail(reason: str) -> None:
                failed(f"Could not write {path}: {reason}")
        if background:
            self.status(f"Writing {path.name}…", 0)
            run_in_background(lambda: write(path), lambda written: self._tab.exported(written or path),
                              fail, name=f"export-{self._tab.domain_name}", owner=self)
            return None
        try:
            written = Path(write(path) or path)
        except Exception as exc:  # a full disk or a bad name is a message, never a crash
            fail(readable_error(exc))
            return None
        self._tab.exported(written)
        return written

    # ----------------------------------------------------------------- figures
    def _set_figures(self, figures: Figures | None) -> None:
        self._figures = figures
        self.figuresChanged.emit(figures)

    def _on_run_opened(self, path: str) -> None:
        """A reopened run shows its last logged figures until training sends newer ones."""
        self._set_figures(None)
        run_in_background(lambda: latest_figures(path), self._history_figures, name="run-figures", owner=self)

    def _history_figures(self, figures: Figures | None) -> None:
        if figures is not None and self._figures is None:
            self._set_figures(figures)
