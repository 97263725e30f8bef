"""A medium's Qt side, found through the domain registry: the view that draws its artifacts and its controls.

The gallery, the explorer and the export dialogs hold artifacts as opaque
objects (an image array, a piano-roll ``Clip``, a string) and ask a view for
pixels and a caption.  Each medium keeps its view and controls in
``studio/domains/<name>/qt``, so the registry line that adds a medium adds
its Qt side too; a medium without a view fails loudly here, never as an
empty gallery.
"""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable, Protocol

from PySide6.QtGui import QPixmap

from studio.domains import qt_module_name

if TYPE_CHECKING:
    from studio.ui.tab_api import TabApi


class ArtifactView(Protocol):
    """Draws one domain's artifacts.

    A view may also set ``textual = True`` when its caption is the artifact
    itself (text): small previews then list captions instead of pictures.
    An animated view (motion) sets ``fps: float``, gives ``frame_count(artifact)``
    and takes ``pixmap(artifact, size, frame=0)``; the gallery and the
    explorer then loop its artifacts (:class:`studio.ui.frame_clock.FrameClock`).
    """

    def pixmap(self, artifact: Any, size: int) -> QPixmap:
        """A picture of the artifact fitting in a ``size`` × ``size`` square (aspect kept)."""

    def caption(self, artifact: Any) -> str:
        """A short description for tooltips and captions."""


def view_fps(view: ArtifactView | None) -> float:
    """The frame rate an animated view plays at; 0 for a still one."""
    if view is None or not callable(getattr(view, "frame_count", None)):
        return 0.0
    return max(0.0, float(getattr(view, "fps", 0.0) or 0.0))


def draw(view: ArtifactView, artifact: Any, size: int, tick: int = 0) -> QPixmap:
    """The artifact's picture; for an animated view, frame ``tick`` of its loop (still views ignore ``tick``)."""
    if view_fps(view) <= 0:
        return view.pixmap(artifact, size)
    frames = max(1, int(view.frame_count(artifact)))  # type: ignore[attr-defined]
    return view.pixmap(artifact, size, tick % frames)  # type: ignore[call-arg]


class MediumError(ImportError):
    """A medium's Qt side is missing or incomplete (no ``VIEW``, a view without ``pixmap``)."""


def qt_package(domain_name: str) -> ModuleType:
    """The medium's ``qt`` package, checked: it exports a ``VIEW`` that can draw and caption artifacts."""
    module_path = qt_module_name(domain_name)
    try:
        module = importlib.import_module(module_path)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_path.startswith(exc.name):
            raise MediumError(f"the {domain_name} medium has no Qt package {module_path} "
                              "(its view and controls)") from exc
        raise
    view = getattr(module, "VIEW", None)
    missing = [name for name in ("pixmap", "caption") if not callable(getattr(view, name, None))]
    if view is None or missing:
        what = "exports no VIEW" if view is None else f"has a VIEW without {', '.join(missing)}"
        raise MediumError(f"{module_path} {what}: the gallery and explorer cannot draw {domain_name} artifacts")
    installer = getattr(module, "install_controls", None)
    if installer is not None and not callable(installer):
        raise MediumError(f"{module_path}.install_controls is not a function")
    return module


def view_for(domain_name: str) -> ArtifactView:
    """The medium's view (its ``qt`` package imported on first use)."""
    return qt_package(domain_name).VIEW


def controls_installer(domain_name: str) -> Callable[["TabApi"], Any] | None:
    """The medium's ``install_controls(api)``, or None for a medium with no controls of its own."""
    return getattr(qt_package(domain_name), "install_controls", None)
