"""Every medium's real tab, in the studio's own theme, fits a 1280 x 800 screen: no column scrolls sideways."""
from __future__ import annotations

import pytest

from studio.domains import domain_names
from ui_helpers import close_window, only_media, open_window


@pytest.mark.parametrize("name", domain_names())
def test_each_medium_fits_a_1280_screen_without_sideways_scrolling(qtbot, monkeypatch, tmp_path, screenshot_dir,
                                                                    name):
    from PySide6.QtWidgets import QApplication

    from studio.app import apply_theme

    app = QApplication.instance()
    style, sheet, palette = app.style().name(), app.styleSheet(), app.palette()
    apply_theme(app)  # the theme's padding is what makes a row too wide
    only_media(monkeypatch, tmp_path, name)
    window, tab = open_window(qtbot, name, size=(1280, 800))
    qtbot.wait(100)
    window.grab().save(str(screenshot_dir / f"fit_1280_{name}.png"))
    for column in (tab._left, tab._gallery_scroll, tab._right):
        assert column.horizontalScrollBar().maximum() == 0, (name, type(column.widget()).__name__)
    close_window(window)
    app.setStyleSheet(sheet)
    app.setPalette(palette)
    app.setStyle(style)
