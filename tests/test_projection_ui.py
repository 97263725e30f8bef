"""The Place picture dialog: it improves while you watch, never on the GUI thread, stops, and places on a corner."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from studio.core.model import load_shipped_model
from studio.core.projection import ProjectionSettings
from studio.domains import get_domain
from studio.domains.painting.demo import paint
from studio.domains.painting.qt import VIEW
from studio.ui.place_picture import PlacePictureDialog

CORNERS = ["top-left", "top-right", "bottom-left", "bottom-right"]
WAIT_MS = 60_000


@pytest.fixture(scope="module")
def model():
    return load_shipped_model(get_domain("painting"))


@pytest.fixture
def picture(tmp_path):
    path = tmp_path / "my painting.png"
    Image.fromarray(paint(250, 96, 0)[1]).save(path)
    return path


def test_placement_improves_while_you_watch_and_goes_to_a_corner(qtbot, model, picture, screenshot_dir, themed):
    settings = ProjectionSettings(seeds=16, starts=2, steps=40, report_every=5)
    dialog = PlacePictureDialog(model, VIEW, CORNERS, corner=2, settings=settings)
    qtbot.addWidget(dialog)
    dialog.show()
    workers = []
    dialog._relay.progressed.connect(lambda *_: workers.append(threading.current_thread()),
                                     Qt.ConnectionType.DirectConnection)  # runs where the progress is emitted
    dialog.start(picture)
    assert dialog.is_running() and not dialog.place_button.isEnabled()
    qtbot.waitUntil(lambda: dialog._best is not None and dialog._best.step >= 10, timeout=WAIT_MS)
    assert dialog.result_label.pixmap() is not None and not dialog.result_label.pixmap().isNull()
    dialog.grab().save(str(screenshot_dir / "place-picture-in-progress.png"))
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=WAIT_MS)
    assert threading.main_thread() not in workers  # the search ran on a worker
    assert "Placed my painting.png: distance" in dialog.status.text()
    assert (model.run_path is None) or list((model.run_path / "placements").glob("*.json"))
    with qtbot.waitSignal(dialog.placed) as placed:
        dialog.place_button.click()
    corner, z, label = placed.args
    assert corner == 2 and label == "placed my painting.png"
    np.testing.assert_array_equal(z, dialog.result.z)


def test_stop_keeps_the_best_so_far_and_a_bad_file_is_named(qtbot, model, picture, tmp_path):
    dialog = PlacePictureDialog(model, VIEW, CORNERS, settings=ProjectionSettings(seeds=8, starts=1, steps=400,
                                                                                 report_every=2))
    qtbot.addWidget(dialog)
    bad = tmp_path / "broken.jpg"
    bad.write_text("no picture")
    dialog.start(bad)
    assert "broken.jpg" in dialog.status.text() and not dialog.is_running()
    dialog.start(picture)
    qtbot.waitUntil(lambda: dialog._best is not None, timeout=WAIT_MS)
    dialog.stop_button.click()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=WAIT_MS)
    assert dialog.result is None and dialog.status.text().startswith("Stopped at step")
    assert dialog.place_button.isEnabled()
    with qtbot.waitSignal(dialog.placed) as placed:
        dialog.place_button.click()
    np.testing.assert_array_equal(placed.args[1], dialog._best.z)


def test_a_picture_dropped_on_a_corner_of_the_pad_is_placed_there(qtbot, model, picture):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    from studio.ui.explorer import Explorer

    explorer = Explorer()
    qtbot.addWidget(explorer)
    explorer.set_view(VIEW)
    explorer.directions.set_model(model)
    explorer.set_renderer(lambda z, options: model.render(z, options), model.z_dim, source="demo")
    explorer.resize(900, 600)
    explorer.show()
    qtbot.waitUntil(lambda: explorer._place_button.isVisible(), timeout=WAIT_MS)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(picture))])
    rect = explorer.pad.pad_rect()
    at = QPointF(rect.right() - 5, rect.bottom() - 5)  # the bottom-right quarter
    drop = QDropEvent(at, Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    explorer.pad.dropEvent(drop)  # Qt delivers a drop only inside a real drag, which offscreen has none of
    dialog = explorer.place_dialog
    assert dialog is not None and dialog.is_running() and dialog.corner_box.currentIndex() == 3
    qtbot.waitUntil(lambda: dialog._best is not None, timeout=WAIT_MS)
    dialog.stop()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=WAIT_MS)
    dialog.place_button.click()
    anchor = explorer.state().anchors[3]
    assert anchor.label == "placed my painting.png"
    np.testing.assert_array_equal(anchor.z, dialog._best.z)
    assert explorer.current_info()["corner_labels"][3] == "placed my painting.png"
    explorer.shutdown()
