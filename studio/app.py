"""The GUI entry: application, theme, icon and main window, visible within seconds.

torch takes seconds to import, so nothing on the way to ``window.show()``
imports it; the window asks for devices on a worker thread once shown.
``GAN_STUDIO_EXIT_AFTER_SHOW=1`` quits right after the window is shown and
prints how long that took from process start (the startup test uses it).
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Sequence

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

_IMPORTED_AT = time.monotonic()
RESOURCES = Path(__file__).resolve().parent.parent / "resources"
EXIT_AFTER_SHOW_ENV = "GAN_STUDIO_EXIT_AFTER_SHOW"

THEME = {
    "window": "#1d1f23",
    "base": "#16181b",
    "alternate": "#1b1d21",
    "button": "#2a2d33",
    "text": "#e3e1dc",
    "dim": "#8b8f98",
    "mid": "#3a3e46",
    "highlight": "#6f95d9",
    "highlighted_text": "#ffffff",
    "link": "#8fb0ea",
}
"""The calm dark palette the style sheet is written for (plots and custom-painted widgets read the palette)."""


def seconds_since_process_start() -> float:
    """From the kernel's record of when this process began (Linux), else since this module was imported."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _IMPORTED_AT


def dark_palette() -> QPalette:
    c = {k: QColor(v) for k, v in THEME.items()}
    pal = QPalette()
    R = QPalette.ColorRole
    for role, colour in (
        (R.Window, c["window"]), (R.WindowText, c["text"]), (R.Base, c["base"]),
        (R.AlternateBase, c["alternate"]), (R.ToolTipBase, c["button"]), (R.ToolTipText, c["text"]),
        (R.Text, c["text"]), (R.Button, c["button"]), (R.ButtonText, c["text"]), (R.BrightText, QColor("#ff6b6b")),
        (R.Highlight, c["highlight"]), (R.HighlightedText, c["highlighted_text"]), (R.Link, c["link"]),
        (R.Mid, c["mid"]), (R.Dark, QColor("#111215")), (R.Light, QColor("#3c4048")),
        (R.PlaceholderText, c["dim"]),
    ):
        pal.setColor(role, colour)
    disabled = QPalette.ColorGroup.Disabled
    for role in (R.Text, R.WindowText, R.ButtonText):
        pal.setColor(disabled, role, QColor("#6b6f78"))
    pal.setColor(disabled, R.Button, QColor("#24272c"))
    return pal


def apply_theme(app: QApplication) -> None:
    """Fusion + the dark palette + resources/style.qss (the plots read the palette when they are built)."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    qss = RESOURCES / "style.qss"
    try:
        app.setStyleSheet(qss.read_text("utf-8"))
    except OSError:
        pass  # an install without the resources folder still works, in the palette's colours
    icon = RESOURCES / "icons" / "studio.svg"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))


def main(argv: Sequence[str] | None = None) -> int:
    from studio.xcb_check import advice, missing_packages

    missing = missing_packages()
    if missing:
        print(advice(missing), file=sys.stderr)  # Qt would abort the process with a less helpful message
        return 1
    args = list(sys.argv if argv is None else [sys.argv[0], *argv])
    app = QApplication.instance() or QApplication(args)
    app.setApplicationName("GAN Studio")
    app.setOrganizationName("GAN Studio")
    app.setApplicationDisplayName("GAN Studio")
    apply_theme(app)

    from studio.ui.main_window import MainWindow

    window = MainWindow()
    window.show()
    if os.environ.get(EXIT_AFTER_SHOW_ENV) == "1":
        def report_and_quit() -> None:
            print(f"GAN Studio window shown after {seconds_since_process_start():.2f} s", flush=True)
            window.close()
            app.quit()

        QTimer.singleShot(0, report_and_quit)
    code = app.exec()
    from studio.workers.background import wait_all

    wait_all()
    return code
