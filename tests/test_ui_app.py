"""The window and the generic domain tab, driven as a person would, on the tiny toy domain.

Every test gets its own settings file and runs folder; the toy domain trains
in milliseconds, so the whole file runs in well under a minute.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication

from studio.core import checkpoints as ck
from toy_domain import write_toy_folder
from ui_helpers import WAIT_MS, button, close_window, open_window, save_to
from studio.domains import get_domain

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def studio_env(tmp_path, monkeypatch, toy_domain, themed):
    """Only the toy tab, drawn with the painting view; private settings and runs; a quieter preset."""
    from studio import domains

    monkeypatch.setenv("GAN_STUDIO_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("GAN_STUDIO_RUNS", str(tmp_path / "runs"))
    monkeypatch.setattr(domains, "DOMAIN_MODULES", {"toy": "toy_medium"})
    tiny = toy_domain.presets["tiny"]
    monkeypatch.setitem(toy_domain.presets, "tiny", dataclasses.replace(
        tiny, sample_every=40, checkpoint_every=80, metrics_every=80, steps=200))
    return tmp_path


@pytest.fixture
def data_dir(tmp_path):
    folder = write_toy_folder(tmp_path / "data")
    (folder / "notes.txt").write_text("not a toy file")
    (folder / "broken.json").write_text("[1, 2")
    return folder


def _window(qtbot, size: tuple[int, int] | None = (1400, 900), domain: str = "toy"):
    return open_window(qtbot, domain, size)


def _open(qtbot, tab, folder) -> None:
    tab.dataset.open_folder(folder)
    qtbot.waitUntil(lambda: tab.training.start_button.isEnabled(), timeout=WAIT_MS)


def _checkpoint_steps(run: str | Path) -> list[int]:
    return [step for step, _ in ck.list_checkpoints(Path(run) / "checkpoints")]


def _shot(widget, folder: Path, name: str) -> Path:
    path = folder / f"ui_app_{name}.png"
    assert widget.grab().save(str(path))
    return path


def test_dataset_panel_reports_what_it_skipped(qtbot, studio_env, data_dir, screenshot_dir):
    window, tab = _window(qtbot)
    with qtbot.waitSignal(tab.dataset.corpusReady, timeout=WAIT_MS) as ready:
        tab.dataset.open_folder(data_dir)
    corpus, folder = ready.args
    assert folder == str(data_dir) and corpus.report.items == 24
    summary = tab.dataset.summary_label.text()
    assert summary.startswith("24 of 26 files imported") and "2 skipped" in summary
    table = tab.dataset.skipped
    assert table.rowCount() == 2 and tab.dataset.skipped.isVisible()
    names = {table.item(r, 0).text() for r in range(2)}
    assert names == {"notes.txt", "broken.json"}
    assert all(table.item(r, 0).toolTip().startswith(str(data_dir)) for r in range(2))
    assert all("not a toy file" in table.item(r, 1).text() for r in range(2))
    tab.dataset.copy_report()
    copied = QGuiApplication.clipboard().text()
    assert str(data_dir / "broken.json") in copied and "not a toy file" in copied
    assert tab.dataset.thumbnails.count() == 24
    assert tab.training.start_button.isEnabled()
    qtbot.waitUntil(lambda: not tab.dataset.is_importing(), timeout=WAIT_MS)
    qtbot.wait(50)
    _shot(tab.dataset, screenshot_dir, "dataset_panel")
    close_window(window)


def test_train_pause_resume_stop_explore_export_and_reopen(qtbot, studio_env, data_dir, monkeypatch,
                                                          screenshot_dir):
    window, tab = _window(qtbot)
    _open(qtbot, tab, data_dir)
    panel = tab.training
    panel.steps_spin.setValue(1_000_000)
    panel.start()
    qtbot.waitUntil(lambda: "d_loss" in tab.plots.series_names(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: panel.state() == "training", timeout=WAIT_MS)
    panel.pause()
    qtbot.waitUntil(lambda: panel.state() == "paused", timeout=WAIT_MS)
    assert panel.resume_button.isEnabled() and not panel.pause_button.isEnabled()
    panel.resume()
    qtbot.waitUntil(lambda: panel.state() == "training", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: tab.gallery.snapshot_count() >= 1 and tab.model is not None, timeout=WAIT_MS)
    assert "step" in panel.rate_label.text() or panel.progress.value() > 0
    qtbot.waitUntil(lambda: tab.explorer.current_artifact() is not None, timeout=WAIT_MS)  # not "Rendering…"
    _shot(window, screenshot_dir, "main_window_training")
    _shot(panel, screenshot_dir, "training_panel")
    run = panel.run_dir()
    assert run and Path(run).parent == studio_env / "runs" / "toy"
    panel.stop()
    qtbot.waitUntil(lambda: not panel.is_training(), timeout=WAIT_MS)
    stopped_at = _checkpoint_steps(run)[-1]
    steps, losses = tab.plots.series_data("d_loss")
    assert len(steps) > 0 and np.isfinite(losses).all() and steps[-1] <= stopped_at
    assert "stopped at step" in panel.messages_text()

    # the explorer shows the newest model, and a drag changes the picture
    tab.reload_model()
    qtbot.waitUntil(lambda: tab.model is not None and tab.model.step == stopped_at, timeout=WAIT_MS)
    explorer = tab.explorer
    qtbot.waitUntil(lambda: explorer.current_artifact() is not None, timeout=WAIT_MS)
    pad = explorer.pad
    first = np.array(explorer.current_artifact())
    rect = pad.pad_rect()
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(int(rect.left() + 3), int(rect.top() + 3)))
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(int(rect.right() - 3), int(rect.bottom() - 3)))
    qtbot.waitUntil(lambda: not np.array_equal(np.array(explorer.current_artifact()), first), timeout=WAIT_MS)
    assert pad.position()[0] > 0.9
    _shot(explorer, screenshot_dir, "explorer")
    _shot(tab.gallery, screenshot_dir, "gallery")
    _shot(tab.plots, screenshot_dir, "plots")

    tab.gallery.sendToExplorer.emit(42, 1)
    assert explorer.corner_seeds()[1] == 42

    # exports: the explorer's result, a gallery seed, the grid and a walk, each with its seed / latent
    target = studio_env / "exports" / "current.json"
    target.parent.mkdir()
    offered = save_to(monkeypatch, target)
    button(explorer, "Export current…").click()
    saved = json.loads(target.read_text())
    assert Path(offered[-1]).parent == Path(run) / "exports"
    assert len(saved["latent"]) == 8 and saved["step"] == stopped_at and "pixels" in saved
    assert tab.last_export == target
    assert str(target) in window.statusBar().currentMessage()

    tab.gallery.select_seed(3)
    offered = save_to(monkeypatch, studio_env / "exports" / "seed3")
    button(tab.gallery, "Export…").click()
    assert Path(offered[-1]).name == "toy-seed3.json"
    seed_file = json.loads((studio_env / "exports" / "seed3.json").read_text())
    assert seed_file["seed"] == 3 and len(seed_file["latent"]) == 8
    from studio.core.model import load_model

    assert tab.gallery.current_step() == stopped_at  # the model's own snapshot: rendered again as `sample` does
    assert seed_file["pixels"] == np.asarray(load_model(run, get_domain).render_seeds_exactly([3])[0]).tolist()

    grid = studio_env / "exports" / "grid.json"
    save_to(monkeypatch, grid)
    tab.export_grid_button.click()  # rendered again exactly, on a worker
    qtbot.waitUntil(lambda: tab.last_export == grid, timeout=WAIT_MS)
    assert len(json.loads(grid.read_text())["images"]) == 16

    walk = studio_env / "exports" / "walk.json"
    save_to(monkeypatch, walk)
    button(explorer, "Export walk…").click()
    explorer.walk_dialog.frames_spin.setValue(12)
    explorer.walk_dialog.accept()
    qtbot.waitUntil(walk.exists, timeout=WAIT_MS)
    assert len(json.loads(walk.read_text())["images"]) == 12

    # a failed export is reported, not raised
    save_to(monkeypatch, studio_env / "no such folder" / "x.json")
    button(explorer, "Export current…").click()
    assert "no such folder" in tab.last_error
    close_window(window)

    # a fresh window reopens the run: curves and samples come back; "Continue run" trains on
    window, tab = _window(qtbot)
    assert tab.training.run_dir() == run
    qtbot.waitUntil(lambda: tab.gallery.snapshot_count() >= 1 and tab.model is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "d_loss" in tab.plots.series_names(), timeout=WAIT_MS)
    history_steps, _ = tab.plots.series_data("d_loss")
    assert history_steps[-1] >= steps[-1] - 1
    assert tab.plots.x_range()[1] >= history_steps[-1]  # the step axis shows the whole history
    qtbot.waitUntil(lambda: tab.explorer.current_artifact() is not None, timeout=WAIT_MS)
    _shot(window, screenshot_dir, "main_window_reopened")
    tab.training.steps_spin.setValue(40)
    tab.training.continue_run()
    qtbot.waitUntil(lambda: not tab.training.is_training() and tab.training.state() == "idle", timeout=WAIT_MS)
    assert _checkpoint_steps(run)[-1] == stopped_at + 40
    assert "finished at step" in tab.training.messages_text()
    close_window(window)


@pytest.mark.parametrize("size", [(1400, 900), (1280, 800)])
def test_the_tab_fits_common_screens_without_sideways_scrolling(qtbot, studio_env, data_dir, screenshot_dir, size):
    window, tab = _window(qtbot, size=size)
    _open(qtbot, tab, data_dir)
    qtbot.wait(50)
    for column in (tab._left, tab._gallery_scroll, tab._right):
        assert column.horizontalScrollBar().maximum() == 0, type(column.widget()).__name__
    explorer = tab.explorer
    assert explorer.width() >= 420 and explorer.pad.width() >= 260 and explorer.preview.width() >= 260
    assert tab.gallery.width() >= 380
    _shot(window, screenshot_dir, f"main_window_{size[0]}x{size[1]}")
    close_window(window)


def test_live_weights_reach_the_explorer_long_before_the_first_checkpoint(qtbot, studio_env, data_dir, toy_domain,
                                                                         monkeypatch):
    monkeypatch.setitem(toy_domain.presets, "tiny",
                        dataclasses.replace(toy_domain.presets["tiny"], checkpoint_every=1_000_000))
    window, tab = _window(qtbot)
    _open(qtbot, tab, data_dir)
    tab.training.steps_spin.setValue(1_000_000)
    snapshots = []
    tab.training.samples.connect(lambda payload: snapshots.append(payload))
    tab.training.start()
    qtbot.waitUntil(lambda: tab.model is not None, timeout=WAIT_MS)
    run = tab.training.run_dir()
    assert _checkpoint_steps(run) == []  # the explorer's model came from the live weights
    model = tab.model
    assert model.step > 0 and Path(model.run_path) == Path(run)
    explorer = tab.explorer
    explorer.set_position(0.0, 0.0)  # the top-left corner: seed 0, as in the gallery
    qtbot.waitUntil(lambda: explorer.current_artifact() is not None and explorer.render_is_current(), timeout=WAIT_MS)
    assert explorer.current_info()["seed"] == 0 and f"step {model.step:,}" in explorer._status.text()
    sample = next(p for p in snapshots if p["step"] == model.step)
    shown = np.asarray(explorer.current_artifact(), np.int16)
    assert np.abs(shown - np.asarray(sample["artifacts"][sample["seeds"].index(0)], np.int16)).max() <= 1
    assert _checkpoint_steps(run) == []
    close_window(window)


def test_model_loads_keep_only_the_newest_request(qtbot):
    import threading

    from studio.workers.background import LatestOnly

    gate = threading.Event()
    ran, delivered = [], []

    def job(n):
        def work():
            ran.append(n)
            if n == 0:
                gate.wait(5)
            return n
        return work

    loader = LatestOnly("test")
    for n in range(4):  # 1 and 2 are replaced while 0 runs
        loader.submit(job(n), delivered.append)
    gate.set()
    qtbot.waitUntil(lambda: not loader.busy(), timeout=WAIT_MS)
    assert ran == [0, 3] and delivered == [0, 3]
    loader.submit(job(4), delivered.append)
    loader.cancel()  # another run opened: the running load's result is dropped
    qtbot.waitUntil(lambda: not loader.busy(), timeout=WAIT_MS)
    assert ran == [0, 3, 4] and delivered == [0, 3]


def test_closing_during_training_stops_with_a_checkpoint_and_remembers(qtbot, studio_env, data_dir):
    window, tab = _window(qtbot)
    _open(qtbot, tab, data_dir)
    tab.training.steps_spin.setValue(1_000_000)
    tab.training.start()
    qtbot.waitUntil(lambda: "d_loss" in tab.plots.series_names(), timeout=WAIT_MS)
    run = tab.training.run_dir()
    thread = tab.training._thread
    window.resize(1300, 700)
    close_window(window)
    assert thread.isFinished() and not tab.training.is_training()
    steps = _checkpoint_steps(run)
    assert steps and steps[-1] > 0

    settings = Path(os.environ["GAN_STUDIO_SETTINGS"]).read_text()
    assert "geometry" in settings and str(data_dir) in settings and Path(run).name in settings

    window, tab = _window(qtbot, size=None)
    assert tab.dataset.folder() == str(data_dir)
    assert tab.training.run_dir() == run and tab.training.preset_name() == "tiny"
    assert window.height() == 700  # the offscreen screen is 800 px wide, so only the height can come back as is
    close_window(window)


def test_every_tab_gets_its_own_folder_and_preset_back(qtbot, studio_env, tmp_path, monkeypatch):
    from studio import domains

    monkeypatch.setitem(domains.DOMAIN_MODULES, "toy2", "toy_medium")
    folders = {name: str(write_toy_folder(tmp_path / f"data-{name}")) for name in ("toy", "toy2")}
    window, _ = _window(qtbot)
    assert [tab.domain_name for tab in window.built_tabs()] == ["toy"]  # the others wait until chosen
    window.tabs.setCurrentIndex(1)
    assert [tab.domain_name for tab in window.built_tabs()] == ["toy", "toy2"]
    assert window.current_tab() is window.domain_tabs["toy2"]
    for name, folder in folders.items():
        _open(qtbot, window.domain_tabs[name], folder)
    close_window(window)
    window, _ = _window(qtbot)
    assert window.current_tab().domain_name == "toy2"  # the tab last looked at comes back first
    for name, folder in folders.items():
        assert window.domain_tabs[name].dataset.folder() == folder
        assert window.domain_tabs[name].training.preset_name() == "tiny"
    close_window(window)


def test_a_domain_can_add_its_own_controls(qtbot, studio_env, monkeypatch):
    from PySide6.QtWidgets import QCheckBox

    import toy_medium.qt

    seen: list = []

    def add_toggle(api):
        box = QCheckBox("Loud bars")
        box.toggled.connect(lambda on: api.set_options({"loud": on}))
        api.add_control(box)
        api.add_control(QCheckBox("Quiet side"), place="side")
        with pytest.raises(ValueError, match="unknown place"):
            api.add_control(QCheckBox("Lost"), place="nowhere")
        api.figuresChanged.connect(seen.append)

    monkeypatch.setattr(toy_medium.qt, "install_controls", add_toggle, raising=False)
    window, tab = _window(qtbot)
    box = next(b for b in tab.explorer.findChildren(QCheckBox) if b.text() == "Loud bars")
    box.setChecked(True)
    assert tab.explorer.options()["loud"] is True
    assert "Quiet side" in [b.text() for b in tab._left.findChildren(QCheckBox)]
    tab.training.metrics.emit({"step": 30, "values": {"mean_gap": 0.2}})
    assert seen[-1].step == 30 and seen[-1].values == {"mean_gap": 0.2} and tab.api.figures() is seen[-1]
    close_window(window)


def test_the_corpus_figures_become_dashed_lines_beside_the_samples(qtbot, studio_env, data_dir):
    window, tab = _window(qtbot)
    _open(qtbot, tab, data_dir)
    qtbot.waitUntil(lambda: bool(tab.references), timeout=WAIT_MS)
    tab.training.metrics.emit({"step": 10, "values": {"mean_gap": 0.4}})
    line = tab.plots.reference_line("mean_gap")
    assert line is not None and set(line.getData()[1]) == {0.05}
    assert "not_logged" not in tab.plots.series_names()  # a figure nobody plots opens no empty panel
    tab.plots.clear()  # a new run starts from a clean plot; the line comes back with its figures
    tab.training.metrics.emit({"step": 20, "values": {"mean_gap": 0.3}})
    assert tab.plots.reference_line("mean_gap") is not None
    close_window(window)


def test_first_launch_offers_the_demo_and_drops_open_folders(qtbot, studio_env, data_dir):
    window, tab = _window(qtbot)
    demo = studio_env / "demo" / "toy"
    qtbot.waitUntil(lambda: tab.dataset.folder() == str(demo) and tab.training.start_button.isEnabled(),
                    timeout=WAIT_MS)
    assert len(list(demo.glob("*.json"))) == 24

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(data_dir))])
    drop = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                      Qt.KeyboardModifier.NoModifier)
    window.dropEvent(drop)
    qtbot.waitUntil(lambda: tab.dataset.corpus() is not None and tab.dataset.folder() == str(data_dir),
                    timeout=WAIT_MS)
    assert tab.dataset.corpus().report.items == 24
    close_window(window)


def test_before_any_training_the_explorer_plays_with_the_built_in_model(qtbot, studio_env, data_dir, monkeypatch):
    from studio.cli import main
    from studio.core import model as model_module

    run = studio_env / "shipped-run"
    assert main(["train", "toy", str(data_dir), "--out", str(run), "--steps", "5"]) == 0
    shipped = studio_env / "models"
    assert main(["export-model", str(run), "--out", str(shipped / "toy-demo.safetensors")]) == 0
    monkeypatch.setattr(model_module, "shipped_models_folder", lambda: shipped)
    window, tab = _window(qtbot)
    qtbot.waitUntil(lambda: tab.model is not None and tab.explorer.current_artifact() is not None, timeout=WAIT_MS)
    assert tab.model.run_path is None and tab.model.step == 5
    assert "built-in demo model" in tab.explorer.status_text()
    _open(qtbot, tab, data_dir)
    tab.training.steps_spin.setValue(3)
    tab.training.start()  # a run of one's own replaces the built-in model as soon as it has weights
    qtbot.waitUntil(lambda: not tab.training.is_training() and tab.model is not None
                    and tab.model.run_path is not None, timeout=WAIT_MS)
    close_window(window)


def test_errors_are_shown_in_red_never_raised(qtbot, studio_env, data_dir, tmp_path):
    window, tab = _window(qtbot)
    _open(qtbot, tab, data_dir)
    panel = tab.training
    assert not panel.open_run(tmp_path)
    assert "not a GAN Studio run" in panel.last_error()
    panel.device_combo.addItem("cuda:7", "cuda:7")
    panel.device_combo.setCurrentIndex(panel.device_combo.count() - 1)
    panel.start()
    qtbot.waitUntil(lambda: not panel.is_training() and panel.last_error() is not None
                    and "cuda" in panel.last_error(), timeout=WAIT_MS)
    assert "#ff6b6b" in panel.messages.toHtml().lower()
    assert panel.start_button.isEnabled()

    missing = tmp_path / "gone"
    tab.dataset.open_folder(missing)
    qtbot.waitUntil(lambda: tab.dataset.error_label.text() != "", timeout=WAIT_MS)
    assert not panel.start_button.isEnabled()
    close_window(window)


@pytest.mark.parametrize("name", ["painting", "music", "text"])
def test_each_medium_opens_on_its_demo(qtbot, tmp_path, monkeypatch, themed, screenshot_dir, name):
    from studio import domains

    try:
        domains.get_domain(name)
    except Exception as exc:  # written by another engineer at the same time; its own tests cover it
        pytest.skip(f"the {name} domain cannot be loaded yet: {exc}")
    monkeypatch.setenv("GAN_STUDIO_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setenv("GAN_STUDIO_RUNS", str(tmp_path / "runs"))
    monkeypatch.setattr(domains, "DOMAIN_MODULES", {name: domains.DOMAIN_MODULES[name]})
    window, tab = _window(qtbot, domain=name)
    qtbot.waitUntil(lambda: tab.training.start_button.isEnabled(), timeout=90_000)
    assert tab.dataset.folder() == str(tmp_path / "demo" / name)
    assert tab.dataset.corpus().report.items > 0 and tab.dataset.thumbnails.count() > 0
    qtbot.wait(200)
    _shot(window, screenshot_dir, f"{name}_demo")
    close_window(window)


def test_window_appears_quickly_without_torch(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", GAN_STUDIO_EXIT_AFTER_SHOW="1",
               GAN_STUDIO_SETTINGS=str(tmp_path / "settings.ini"), GAN_STUDIO_RUNS=str(tmp_path / "runs"))
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "studio"], capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=120)
    wall = time.monotonic() - started
    assert out.returncode == 0, out.stderr
    match = re.search(r"window shown after ([\d.]+) s", out.stdout)
    assert match, out.stdout + out.stderr
    shown = float(match.group(1))
    print(f"\nwindow shown {shown:.2f} s after process start (whole run {wall:.2f} s)")
    assert shown < 6.0

    code = ("import sys\nfrom PySide6.QtWidgets import QApplication\napp = QApplication([])\n"
            "from studio.ui.main_window import MainWindow\nw = MainWindow(); w.show()\n"
            "print('torch' in sys.modules)\nw.close()\n")
    probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                           timeout=120)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip().splitlines()[-1] == "False"


def test_arguments_go_to_the_command_line(monkeypatch):
    import studio.__main__ as entry

    seen = []
    monkeypatch.setattr("studio.cli.main", lambda argv: seen.append(argv) or 7)
    assert entry.main(["--help-me"]) == 7 and seen == [["--help-me"]]
