"""What the window tests share: a window with chosen media, closing it, answering save dialogs, finding buttons."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QPushButton

WAIT_MS = 20_000


def only_media(monkeypatch, tmp_path: Path, *names: str) -> None:
    """Private settings and runs folders, and only the named media's tabs."""
    from studio import domains

    monkeypatch.setenv("GAN_STUDIO_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("GAN_STUDIO_RUNS", str(tmp_path / "runs"))
    monkeypatch.setattr(domains, "DOMAIN_MODULES", {name: domains.DOMAIN_MODULES[name] for name in names})


def open_window(qtbot, domain: str, size: tuple[int, int] | None = (1400, 900), folder: str | Path | None = None):
    """The main window shown, and the named tab; ``folder`` is opened before the demo could be offered."""
    from studio.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    tab = window.domain_tabs[domain]
    if folder is not None:
        tab.dataset.open_folder(str(folder))
    if size:
        window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    return window, tab


def open_with_controls(qtbot, domain: str, controls_type: type, folder: str | Path,
                       size: tuple[int, int] = (1400, 900)):
    """The window, the named tab with ``folder`` opened, and the domain's own controls widget in it."""
    window, tab = open_window(qtbot, domain, size, folder=folder)
    controls = tab.findChild(controls_type)
    assert controls is not None
    return window, tab, controls


def close_window(window) -> None:
    """Closes as a user would and waits for every worker thread to end."""
    from studio.workers.background import wait_all

    window.close()
    assert wait_all(WAIT_MS)


def save_to(monkeypatch, path: Path) -> list[str]:
    """Answers the next save dialogs with ``path``; returns the default names the dialogs offered."""
    offered: list[str] = []

    def fake(parent, title, default, filters):
        offered.append(default)
        return str(path), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake))
    return offered


def button(widget, text: str) -> QPushButton:
    return next(b for b in widget.findChildren(QPushButton) if b.text() == text)
