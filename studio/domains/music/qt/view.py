"""Music artifacts (piano-roll ``Clip`` objects) drawn as piano-roll pictures.

The picture itself comes from the music domain's ``roll_image`` (bar lines
and beats of each clip's own metre) so the exported PNGs and the on-screen
rolls look the same.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from PySide6.QtGui import QPixmap

from studio.ui.pixmaps import placeholder_pixmap, rgb_pixmap


class MusicView:
    """Clips are shown as their piano roll (time left to right, pitch bottom to top)."""

    def pixmap(self, artifact: Any, size: int) -> QPixmap:
        from studio.domains.music.roll import roll_image

        try:
            # a few screen pixels per cell lets roll_image mark note starts; rgb_pixmap then fits it exactly
            scale = int(np.clip(size // max(artifact.steps, artifact.pitches, 1), 1, 8))
            image = roll_image(artifact, scale)
        except (AttributeError, TypeError, ValueError) as exc:
            return placeholder_pixmap(size, f"cannot show\n{type(exc).__name__}")
        return rgb_pixmap(image, size)

    def caption(self, artifact: Any) -> str:
        try:
            return (f"{artifact.bars:g} bars of {artifact.metre_name} · {artifact.note_count()} notes · "
                    f"{', '.join(artifact.roles)}")
        except (AttributeError, TypeError, ValueError):
            return "clip"


VIEW = MusicView()
