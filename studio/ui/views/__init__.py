"""How each medium's artifacts are drawn: the only per-domain code the generic panels need.

The gallery, the explorer and the export dialogs hold artifacts as opaque
objects (an image array, a piano-roll ``Clip``, a string) and ask a view for
pixels and a caption, so a new domain adds one small module here.
"""
from __future__ import annotations

import importlib
from typing import Any, Protocol

from PySide6.QtGui import QPixmap

VIEW_MODULES: dict[str, str] = {
    "painting": "studio.ui.views.painting",
    "music": "studio.ui.views.music",
    "text": "studio.ui.views.text",
}


class ArtifactView(Protocol):
    """Draws one domain's artifacts.

    A view may also set ``textual = True`` when its caption is the artifact
    itself (text): small previews then list captions instead of pictures.
    """

    def pixmap(self, artifact: Any, size: int) -> QPixmap:
        """A picture of the artifact fitting in a ``size`` × ``size`` square (aspect kept)."""

    def caption(self, artifact: Any) -> str:
        """A short description for tooltips and captions."""


def view_for(domain_name: str) -> ArtifactView:
    """The view exported as ``VIEW`` by the named module (imported on first use)."""
    try:
        module_path = VIEW_MODULES[domain_name]
    except KeyError:
        raise ValueError(f"no view for domain {domain_name!r}; known: {', '.join(VIEW_MODULES)}") from None
    return importlib.import_module(module_path).VIEW
