"""The dance tab: import a folder of takes made here, train a few steps, see figures in the gallery and the
explorer, turn the camera, and dance a MIDI file."""
from __future__ import annotations

import numpy as np
import pytest
from dance_takes import dance
from test_dance_cli import midi_file
from ui_helpers import WAIT_MS, close_window, only_media, open_window, save_to

from studio.domains.dance.bvh import read_bvh, write_bvh


@pytest.fixture
def dance_tab(qtbot, tmp_path, monkeypatch, themed):
    only_media(monkeypatch, tmp_path, "dance")
    folder = tmp_path / "takes"
    folder.mkdir()
    for seed in range(3):
        write_bvh(folder / f"take{seed}.bvh", dance(30.0, 6.0, seed=seed))
    window, tab = open_window(qtbot, "dance")
    yield window, tab, folder
    close_window(window)


def _drawn(pixmap) -> bool:
    """Whether a pixmap shows more than its background (the figure's light strokes)."""
    image = pixmap.toImage()
    colours = {image.pixelColor(x, y).lightness() for x in range(0, image.width(), 3)
               for y in range(0, image.height(), 3)}
    return max(colours) > 150


def test_train_gallery_explorer_camera_and_dance_to_music(qtbot, dance_tab, tmp_path, monkeypatch,
                                                          screenshot_dir):
    from studio.domains.dance.qt.controls import DanceBar
    from studio.domains.dance.qt.view import VIEW
    from studio.domains.dance.skeleton import Motion

    window, tab, folder = dance_tab
    tab.dataset.open_folder(str(folder))
    qtbot.waitUntil(lambda: tab.corpus is not None and tab.training.start_button.isEnabled(), timeout=WAIT_MS)
    assert tab.corpus.report.items > 0
    panel = tab.training
    panel.steps_spin.setValue(1_000_000)
    panel.start()
    qtbot.waitUntil(lambda: tab.gallery.snapshot_count() >= 1 and tab.model is not None, timeout=WAIT_MS * 3)
    qtbot.waitUntil(lambda: isinstance(tab.explorer.current_artifact(), Motion), timeout=WAIT_MS)
    window.grab().save(str(screenshot_dir / "dance_tab_training.png"))
    panel.stop()
    qtbot.waitUntil(lambda: not panel.is_training(), timeout=WAIT_MS)

    clip = tab.explorer.current_artifact()
    assert VIEW.frame_count(clip) == clip.frames == tab.corpus.meta["frames"]
    clock = tab.explorer.preview.clock
    assert clock.is_running()  # the explorer plays the clip
    start = clock.tick
    qtbot.waitUntil(lambda: clock.tick >= start + 3, timeout=WAIT_MS)
    first, middle = VIEW.pixmap(clip, 160, 0), VIEW.pixmap(clip, 160, clip.frames // 2)
    assert _drawn(first) and first.toImage() != middle.toImage()  # the figure moves from frame to frame
    tab.gallery.grab().save(str(screenshot_dir / "dance_gallery.png"))
    tab.explorer.grab().save(str(screenshot_dir / "dance_explorer.png"))

    bar = tab.findChild(DanceBar)
    assert bar is not None and bar.music_button.isEnabled()
    front = VIEW.pixmap(clip, 160, 5).toImage()
    bar.camera_combo.setCurrentIndex(1)
    assert VIEW.camera == "side" and tab.explorer.options()["camera"] == "side"
    assert VIEW.pixmap(clip, 160, 5).toImage() != front
    tab.explorer.grab().save(str(screenshot_dir / "dance_explorer_side.png"))
    bar.camera_combo.setCurrentIndex(0)

    song = midi_file(tmp_path / "song.mid", bpm=100, beats=12)
    target = tmp_path / "exports" / "danced.bvh"
    target.parent.mkdir()
    save_to(monkeypatch, target)
    bar.dance_to_music(str(song))
    qtbot.waitUntil(lambda: target.with_suffix(".wav").exists() and target.exists(), timeout=WAIT_MS)
    take = read_bvh(target)
    assert take.frames * take.frame_time == pytest.approx(16 * 60 / 100, abs=0.1)  # two clips of eight beats
    assert np.isfinite(take.rotations).all()


def test_the_music_tabs_current_clip_is_danced_without_dance_importing_music(qtbot, tmp_path, monkeypatch,
                                                                            screenshot_dir):
    from studio.domains.dance.qt.controls import DanceBar

    only_media(monkeypatch, tmp_path, "dance", "music")
    (tmp_path / "empty").mkdir()
    window, dance_tab = open_window(qtbot, "dance", folder=tmp_path / "empty")
    qtbot.waitUntil(lambda: dance_tab.model is not None, timeout=WAIT_MS)
    bar = dance_tab.findChild(DanceBar)
    bar._fill_music_menu()
    assert [a.text() for a in bar.music_menu.actions()] == ["A MIDI file…"]  # the music tab has no clip yet

    music = window.domain_tabs["music"]
    music.dataset.open_folder(str(tmp_path / "empty"))
    window.tabs.setCurrentWidget(music)
    qtbot.waitUntil(lambda: music.explorer.current_artifact() is not None, timeout=WAIT_MS)
    window.tabs.setCurrentWidget(dance_tab)
    bar._fill_music_menu()
    actions = bar.music_menu.actions()
    assert [a.text() for a in actions] == ["A MIDI file…", "The Music tab's explorer result"]
    bar.music_menu.grab().save(str(screenshot_dir / "dance_to_music_menu.png"))
    target = tmp_path / "exports" / "to-the-clip.bvh"
    target.parent.mkdir()
    save_to(monkeypatch, target)
    actions[1].trigger()
    qtbot.waitUntil(lambda: target.exists() and target.with_suffix(".wav").exists(), timeout=WAIT_MS)
    take = read_bvh(target)
    assert take.frames > 0 and np.isfinite(take.rotations).all()
    assert target.with_suffix(".wav").read_bytes()[:4] == b"RIFF"
    close_window(window)
