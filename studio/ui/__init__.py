"""Qt widgets of the studio.

The style sheet names its small pictures (spin-box chevrons, the check mark)
as ``icons:<file>``; the prefix is registered here so they are found
whatever the working directory, as soon as any widget module is imported.
"""
from pathlib import Path

from PySide6.QtCore import QDir

ICONS = Path(__file__).resolve().parent.parent.parent / "resources" / "icons"

if str(ICONS) not in QDir.searchPaths("icons"):
    QDir.addSearchPath("icons", str(ICONS))
