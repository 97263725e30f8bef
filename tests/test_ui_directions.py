"""The explorer's Directions panel on a tiny real painting run: sliders steer the preview, names stay with the run."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from painting_runs import train_noise_run
from studio.cli import main
from studio.core.directions import directions_path
from studio.core.model import load_model
from studio.domains.painting.codec import read_png_info
from studio.ui.explorer import Explorer
from studio.ui.media import view_for
from ui_helpers import close_window, open_window, only_media, save_to
from studio.domains import get_domain

pytestmark = pytest.mark.usefixtures("themed")
WAIT_MS = 20_000


@pytest.fixture(scope="module")
def painting_run(tmp_path_factory):
    return train_noise_run(tmp_path_factory.mktemp("ui-directions"), seed=3)


def _explorer(qtbot, model) -> Explorer:
    ex = Explorer()
    qtbot.addWidget(ex)
    ex.set_view(view_for("painting"))
    ex.directions.set_model(model)
    ex.set_renderer(lambda z, options: model.render(z, options), model.z_dim, source=f"step {model.step}")
    ex.resize(520, 820)
    ex.show()
    ex.show_directions()
    return ex


def _settled(ex: Explorer, qtbot) -> np.ndarray:
    qtbot.waitUntil(ex.render_is_current, timeout=WAIT_MS)
    return np.asarray(ex.current_artifact()).copy()


def test_sliders_steer_the_preview_and_names_persist_after_reopening(painting_run, qtbot, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(painting_run, run)
    model = load_model(run, get_domain)
    ex = _explorer(qtbot, model)
    panel = ex.directions
    assert panel.directions() is None and panel.find_button.isVisible()
    panel.find_button.click()
    qtbot.waitUntil(lambda: panel.directions() is not None, timeout=WAIT_MS)
    assert directions_path(run, model.step).is_file() and not panel.find_button.isVisible()
    qtbot.waitUntil(lambda: all(p is not None for p in panel.strip_pixmaps(0)), timeout=WAIT_MS)
    strip = [p.toImage() for p in panel.strip_pixmaps(0)]
    assert strip[0] != strip[2]  # -2 and +2 standard deviations look different

    before = _settled(ex, qtbot)
    panel.set_value(0, 3.0)
    assert panel.edits() == {"0": 3.0}
    after = _settled(ex, qtbot)
    assert not np.array_equal(before, after)
    moved = np.asarray(model.render(np.atleast_2d(ex.current_latent()))[0], np.int16)
    # the preview is the steered latent (rendered in a batch with the corners: a level apart at most)
    assert np.abs(after.astype(np.int16) - moved).max() <= 1

    panel._rows[0].name.setText("glow")
    panel._rows[0].name.editingFinished.emit()
    info = ex.current_info()
    assert info["edits"] == {"glow": 3.0} and info["seed"] is None and info["directions_step"] == model.step
    ex.close()

    again = _explorer(qtbot, load_model(run, get_domain))  # the run reopened
    assert again.directions.directions() is not None
    assert again.directions.directions().name(0) == "glow" and again.directions.edits() == {}
    assert main(["sample", str(run), "--count", "1", "--edit", "glow=3", "--out", str(tmp_path / "g.png")]) == 0
    assert read_png_info(tmp_path / "g.png")["edits"] == {"glow": 3.0}
    again.close()


def test_window_screenshot_with_direction_sliders(painting_run, qtbot, tmp_path, monkeypatch):
    """The whole window at 1400 x 900 with the panel in the pad's place: every slider fits, the pad comes back whole."""
    only_media(monkeypatch, tmp_path, "painting")
    run = tmp_path / "run"
    shutil.copytree(painting_run, run)
    window, tab = open_window(qtbot, "painting")
    tab.open_run_history(str(run))
    qtbot.waitUntil(lambda: tab.model is not None and tab.explorer.render_is_current(), timeout=WAIT_MS)
    ex = tab.explorer
    pad_size = ex.pad.size()
    ex.show_directions()
    ex.directions.find_button.click()
    qtbot.waitUntil(lambda: ex.directions.directions() is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: all(p is not None for p in ex.directions.strip_pixmaps(7)), timeout=WAIT_MS)
    ex.directions.set_value(1, -1.5)
    qtbot.waitUntil(ex.render_is_current, timeout=WAIT_MS)
    scroll = ex._directions_scroll
    assert not ex.pad.isVisible() and not scroll.verticalScrollBar().isVisible()  # all eight rows in the pad's place
    assert scroll.width() >= pad_size.width()
    save_to(monkeypatch, tmp_path / "steered.png")
    ex._current_button.click()
    qtbot.waitUntil(lambda: (tmp_path / "steered.png").exists(), timeout=WAIT_MS)
    assert read_png_info(tmp_path / "steered.png")["edits"] == {"1": -1.5}
    shots = Path("/tmp/shots")
    shots.mkdir(exist_ok=True)
    qtbot.wait(50)
    window.grab().save(str(shots / "explorer_directions.png"))
    ex.show_directions(False)
    qtbot.waitUntil(lambda: ex.pad.isVisible(), timeout=WAIT_MS)
    assert ex.pad.size() == pad_size and ex.directions.edits() == {"1": -1.5}  # the pad as it was; edits kept
    close_window(window)
