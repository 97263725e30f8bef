"""The painting tab with the real painting domain: a trained run opened, explored, compared and exported."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from ui_helpers import WAIT_MS, button, close_window, only_media, open_window, save_to
from studio.domains import get_domain


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """A cpu-32 run of four steps on a dozen pictures, made once for the module."""
    from studio.core.session import TrainingSession

    root = tmp_path_factory.mktemp("painting-tab")
    data = root / "pictures"
    data.mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):
        pixels = np.zeros((40, 40, 3), np.uint8)
        pixels[:] = rng.integers(0, 256, 3)
        pixels[10:30, 10:30] = rng.integers(0, 256, 3)
        Image.fromarray(pixels).save(data / f"square-{i:02d}.png")
    overrides = {"batch_size": 8, "sample_every": 2, "metrics_every": 4, "checkpoint_every": 4}
    session = TrainingSession.create(root / "run", get_domain("painting"), data, preset="cpu-32", steps=4, seed=1,
                                     device="cpu", overrides=overrides)
    assert session.run() == "finished", session.error
    return data, root / "run"


@pytest.fixture
def painting_tab(qtbot, tmp_path, monkeypatch, themed):
    only_media(monkeypatch, tmp_path, "painting")
    window, tab = open_window(qtbot, "painting")
    yield window, tab
    close_window(window)


def test_export_keeps_the_seed_and_the_nearest_training_picture_is_shown(
        qtbot, painting_tab, trained_run, tmp_path, monkeypatch, screenshot_dir):
    from studio.domains.painting.codec import read_png_info

    window, tab = painting_tab
    data, run = trained_run
    tab.training.set_preset("cpu-32")
    tab.dataset.open_folder(str(data))
    qtbot.waitUntil(lambda: tab.corpus is not None and tab.training.start_button.isEnabled(), timeout=WAIT_MS)
    assert tab.training.open_run(run)
    qtbot.waitUntil(lambda: tab.model is not None and tab.gallery.snapshot_count() >= 1, timeout=WAIT_MS)

    explorer = tab.explorer
    explorer.set_corner_seed(0, 1234)
    explorer.set_position(0.0, 0.0)
    qtbot.waitUntil(lambda: explorer.render_is_current() and explorer.current_artifact() is not None,
                    timeout=WAIT_MS)
    target = tmp_path / "exports" / "mine.png"
    target.parent.mkdir()
    save_to(monkeypatch, target)
    button(explorer, "Export current…").click()
    info = read_png_info(target)
    assert info["seed"] == 1234 and len(info["latent"]) == tab.model.z_dim
    with Image.open(target) as png:
        assert png.size == (32, 32) and json.loads(png.text["gan-studio"])["seed"] == 1234
    assert np.array_equal(np.asarray(Image.open(target).convert("RGB")), explorer.current_artifact())

    tab.gallery.select_seed(2)
    qtbot.waitUntil(lambda: tab.neighbours.neighbour() is not None, timeout=WAIT_MS)
    neighbour = tab.neighbours.neighbour()
    assert 0 <= neighbour.index < 12 and neighbour.item.shape == (32, 32, 3)
    expected = tab.corpus.data[neighbour.index].numpy().transpose(1, 2, 0)
    assert np.array_equal(neighbour.item, expected)
    assert "RMS distance" in tab.neighbours.detail_label.text()
    assert tab.neighbours.isVisible()
    tab.gallery.grab().save(str(screenshot_dir / "painting_gallery_with_nearest.png"))
    window.grab().save(str(screenshot_dir / "painting_tab_opened_run.png"))


def test_the_nearest_training_picture_of_a_copy_is_flagged(trained_run):
    from studio.domains import get_domain

    domain = get_domain("painting")
    data, _ = trained_run
    corpus = domain.import_folder(data, domain.presets["cpu-32"].import_options)
    pictures = domain.preview_items(corpus.data[[3, 7]].numpy(), corpus.meta)
    noisy = np.clip(pictures[1].astype(int) + np.random.default_rng(1).integers(-60, 60, pictures[1].shape), 0, 255)
    exact, far = domain.nearest_training([pictures[0], noisy.astype(np.uint8)], corpus)
    assert exact.index == 3 and exact.copied and exact.distance == 0.0
    assert far.index == 7 and not far.copied and far.distance > 0.05
    bigger = np.asarray(Image.fromarray(pictures[0]).resize((64, 64), Image.Resampling.NEAREST))
    assert domain.nearest_training([bigger], corpus)[0].index == 3  # a run of another size still compares


def test_the_window_exports_a_looping_webp_like_the_command_line_and_a_timelapse(
        qtbot, painting_tab, trained_run, tmp_path, monkeypatch):
    from studio.cli import main

    window, tab = painting_tab
    _, run = trained_run
    assert tab.training.open_run(run)
    qtbot.waitUntil(lambda: tab.model is not None and tab.gallery.snapshot_count() >= 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: tab.timelapse_button.isEnabled() and tab.explorer._walk_button.isEnabled(), timeout=WAIT_MS)

    walk = tmp_path / "walk.webp"
    offered = save_to(monkeypatch, walk)
    button(tab.explorer, "Export walk…").click()
    dialog = tab.explorer.walk_dialog
    assert [dialog.format_box.itemData(i) for i in range(dialog.format_box.count())] == [".gif", ".webp", ".mp4"]
    dialog.format_box.setCurrentIndex(1)
    dialog.fps_spin.setValue(10)
    dialog.frames_spin.setValue(8)
    dialog.size_spin.setValue(48)
    dialog.accept()
    assert offered[-1].endswith("painting-walk.webp")
    qtbot.waitUntil(lambda: tab.last_export == walk, timeout=WAIT_MS)
    # the corners hold seeds 0, 1, 2, 3: the walk goes top-left, top-right, bottom-right, bottom-left and home
    cli = tmp_path / "cli.webp"
    assert main(["interpolate", str(run), "--seeds", "0", "1", "3", "2", "--loop", "--frames", "8", "--fps", "10",
                 "--size", "48", "--out", str(cli)]) == 0

    def frames(path):
        with Image.open(path) as im:
            return [np.asarray((im.seek(i), im.convert("RGB"))[1]) for i in range(im.n_frames)]

    assert len(frames(walk)) == len(frames(cli)) and all(np.array_equal(a, b) for a, b in zip(frames(walk), frames(cli)))

    lapse = tmp_path / "lapse.gif"
    offered = save_to(monkeypatch, lapse)
    tab.timelapse_button.click()
    assert offered[-1].endswith("run-timelapse.gif")
    qtbot.waitUntil(lambda: tab.last_export == lapse, timeout=WAIT_MS)
    with Image.open(lapse) as im:
        assert im.n_frames >= 1 and im.size[1] > im.size[0]  # the grid with its step caption under it
