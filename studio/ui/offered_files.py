"""Where a control writes another tab's offered file (TabApi.offers) before using it.

Media meet through files: painting's "paint to music" and dance's "dance to
music" both take the music tab's current clip this way, so the folder, its
lifetime and the messages a user sees live here once.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable


class OfferedFiles:
    """A temporary folder, made on first use and removed with its owner, that offered files are written into."""

    def __init__(self) -> None:
        self._folder: tempfile.TemporaryDirectory | None = None

    def take(self, label: str, write: Callable[[Path], Path | None], report: Callable[[str], None]) -> Path | None:
        """The offer ``label`` written by ``write`` into the folder; None, after telling ``report`` why (a line for
        the user), when it cannot be."""
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="gan-studio-shared-")
        try:
            path = write(Path(self._folder.name))
        except (OSError, ValueError) as exc:
            report(f"Could not take {label}: {exc}")
            return None
        if path is None:
            report(f"There is no {label} now")
        return path
