"""The walk export dialog and the seed browser, driven as a user would, with a real numpy renderer."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from studio.core.latent import seed_to_z
from studio.ui.explorer import BOTTOM_RIGHT, TOP_RIGHT, Explorer
from studio.ui.media import view_for
from studio.ui.walk_export import WalkExportDialog, WalkSettings
from studio.domains import get_domain

pytestmark = pytest.mark.usefixtures("themed")

Z_DIM = 10


def band_renderer(z: np.ndarray, options: dict) -> list:
    """z -> a 32x32 picture whose colour follows the latent (distinct seeds look distinct)."""
    colours = np.clip(128 + 60 * z[:, :3], 0, 255).astype(np.uint8)
    return [np.broadcast_to(c, (32, 32, 3)).copy() for c in colours]


@pytest.fixture
def explorer(qtbot):
    ex = Explorer()
    qtbot.addWidget(ex)
    ex.set_view(view_for("painting"))
    ex.set_walk_suffixes((".gif", ".webp", ".mp4"))
    ex.set_renderer(band_renderer, Z_DIM)
    ex.resize(900, 560)
    ex.show()
    yield ex
    ex.shutdown()


def test_the_dialog_keeps_frames_rate_and_duration_together(qtbot, screenshot_dir):
    dialog = WalkExportDialog((".gif", ".webp", ".mp4"), WalkSettings(".webp", frames=60, fps=12.5), min_frames=4)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.format_box.currentData() == ".webp" and dialog.seconds_spin.value() == pytest.approx(4.8)
    dialog.fps_spin.setValue(25)  # the duration stays, the frames follow
    assert dialog.frames_spin.value() == 120
    dialog.seconds_spin.setValue(2)
    assert dialog.frames_spin.value() == 50
    dialog.frames_spin.setValue(75)  # the rate stays, the duration follows
    assert dialog.seconds_spin.value() == pytest.approx(3.0)
    dialog.size_spin.setValue(256)
    dialog.format_box.setCurrentIndex(dialog.format_box.findData(".mp4"))
    dialog.loop_box.setChecked(False)
    assert dialog.settings() == WalkSettings(".mp4", frames=75, fps=25.0, size=256, loop=False)
    assert "75 frames" in dialog.summary.text() and "plays once" in dialog.summary.text()
    qtbot.wait(30)
    dialog.grab().save(str(screenshot_dir / "walk_export_dialog.png"))
    dialog.frames_spin.setValue(1)
    assert dialog.frames_spin.value() == 4  # a walk visits its four corners at least


def test_a_domain_whose_walks_are_not_pictures_is_asked_frames_and_loop_only(qtbot):
    dialog = WalkExportDialog((".mid",), WalkSettings(".mid", frames=8), min_frames=4)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.fps_spin.isVisible() and not dialog.size_spin.isVisible() and dialog.frames_spin.isVisible()
    assert not dialog.format_box.isEnabled()
    assert dialog.settings().suffix == ".mid" and dialog.settings().frames == 8


def test_the_explorer_exports_the_dialogs_walk(explorer, qtbot):
    explorer.open_walk_dialog()
    dialog = explorer.walk_dialog
    dialog.format_box.setCurrentIndex(dialog.format_box.findData(".mp4"))
    dialog.fps_spin.setValue(10)
    dialog.seconds_spin.setValue(1.6)
    with qtbot.waitSignal(explorer.exportWalk) as sig:
        dialog.accept()
    latents, info = sig.args
    assert latents.shape == (16, Z_DIM)
    assert info["suffix"] == ".mp4" and info["fps"] == 10 and info["frames"] == 16 and info["loop"] is True
    assert explorer.walk_settings.suffix == ".mp4"  # the next dialog starts from the last choice
    explorer.open_walk_dialog()
    assert explorer.walk_dialog.format_box.currentData() == ".mp4" and explorer.walk_dialog.frames_spin.value() == 16
    explorer.walk_dialog.reject()


def test_the_seed_browser_pages_and_sends_a_seed_to_a_corner(explorer, qtbot, screenshot_dir):
    browser = explorer.open_seed_browser()
    assert browser.page_seeds()[:3] == [0, 1, 2] and browser.page_size() == 16
    qtbot.waitUntil(browser.page_is_shown, timeout=5000)
    browser._next.click()
    assert browser.first_seed() == 16 and browser.cells[0].seed == 16
    qtbot.waitUntil(browser.page_is_shown, timeout=5000)
    assert browser.cells[5].pixmap is not None
    assert browser.selected_seed() is None and not browser._send_buttons[0].isEnabled()
    qtbot.mouseClick(browser.cells[5], Qt.MouseButton.LeftButton)
    assert browser.selected_seed() == 21
    browser._send_buttons[TOP_RIGHT].click()
    assert explorer.corner_seeds()[TOP_RIGHT] == 21
    np.testing.assert_allclose(explorer.walk_latents(4, loop=False)[1], seed_to_z(21, Z_DIM), atol=1e-6)
    browser._cell_menu(2).actions()[BOTTOM_RIGHT].trigger()  # right-click a seed: the same four corners
    assert explorer.corner_seeds()[BOTTOM_RIGHT] == 18
    browser.show_page(1000)
    assert browser.cells[0].seed == 1000 and browser.selected_seed() is None
    qtbot.waitUntil(browser.page_is_shown, timeout=5000)
    explorer.set_psi(0.5)  # the browser draws seeds as the corners will show them
    qtbot.waitUntil(browser.page_is_shown, timeout=5000)
    browser.show_page(16)
    browser.select(21)
    qtbot.waitUntil(browser.page_is_shown, timeout=5000)
    qtbot.wait(30)
    browser.grab().save(str(screenshot_dir / "seed_browser.png"))


def test_the_seed_browser_with_the_shipped_painting_model(qtbot, screenshot_dir):
    from studio.core.model import load_shipped_model

    model = load_shipped_model(get_domain("painting"))
    if model is None:
        pytest.skip("no shipped painting model")
    ex = Explorer()
    qtbot.addWidget(ex)
    ex.set_view(view_for("painting"))
    ex.set_renderer(lambda z, options: model.render(z, options), model.z_dim)
    browser = ex.open_seed_browser()
    browser.show_page(32)
    browser.select(37)
    qtbot.waitUntil(browser.page_is_shown, timeout=10_000)
    assert len({cell.pixmap.toImage().pixel(40, 40) for cell in browser.cells}) > 8  # seeds look different
    browser._send_buttons[0].click()
    assert ex.corner_seeds()[0] == 37
    qtbot.wait(30)
    browser.grab().save(str(screenshot_dir / "seed_browser_painting.png"))
    ex.shutdown()
