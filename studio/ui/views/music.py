"""Music artifacts (piano-roll ``Clip`` objects) drawn as piano-roll pictures.

The picture itself comes from the music domain's ``roll_image`` so the
exported PNGs and the on-screen rolls look the same.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtGui import QPixmap

from studio.ui.views.painting import placeholder_pixmap, rgb_pixmap


class MusicView:
    """Clips are shown as their piano roll (time left to right, pitch bottom to top)."""

    def pixmap(self, artifact: Any, size: int) -> QPixmap:
        from studio.domains.music.roll import roll_image

        try:
            image = roll_image(artifact, 1)
        except (AttributeError, TypeError, ValueError) as exc:
            return placeholder_pixmap(size, f"cannot show\n{type(exc).__name__}")
        return rgb_pixmap(image, size)

    def caption(self, artifact: Any) -> str:
        notes = getattr(artifact, "notes", None)
        return f"{len(notes)} notes" if notes is not None else "clip"


VIEW = MusicView()
