"""Painting artifacts (uint8 H×W×3 arrays) drawn as they are."""
from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtGui import QPixmap

from studio.ui.pixmaps import rgb_pixmap


class PaintingView:
    """Images are shown as they are."""

    def pixmap(self, artifact: Any, size: int) -> QPixmap:
        return rgb_pixmap(artifact, size)

    def caption(self, artifact: Any) -> str:
        shape = np.shape(artifact)
        return f"{shape[1]}×{shape[0]} px" if len(shape) >= 2 else "image"


VIEW = PaintingView()
