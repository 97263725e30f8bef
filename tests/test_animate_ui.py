"""The Paint to music dialog: its knobs become the mapping, and its export is an MP4 with the music's sound."""
from __future__ import annotations

import pytest

from studio.core.model import load_shipped_model
from studio.domains import get_domain
from studio.domains.painting.qt.paint_to_music import PaintToMusicDialog
from test_animate import write_midi

WAIT_MS = 180_000


@pytest.fixture(scope="module")
def model():
    return load_shipped_model(get_domain("painting"))


def test_the_knobs_are_the_mapping_and_the_export_carries_the_music(qtbot, model, tmp_path, screenshot_dir, themed):
    av = pytest.importorskip("av")
    seconds = write_midi(tmp_path / "tune.mid", beats=4)
    dialog = PaintToMusicDialog(model, get_domain("music"), [7, 8, 9], ["0", "1", "sky"])
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.music_edit.setText(str(tmp_path / "tune.mid"))
    dialog.push_spin.setValue(5.0)
    dialog.loud_box.setCurrentText("sky")
    dialog.pitch_spin.setValue(0.0)
    dialog.phrase_spin.setValue(2.0)
    dialog.fps_spin.setValue(10.0)
    dialog.grab().save(str(screenshot_dir / "paint-to-music-dialog.png"))
    settings = dialog.settings()
    assert (settings.push, settings.loudness_direction, settings.pitch_amount, settings.phrase_beats) == \
        (5.0, "sky", 0.0, 2.0)
    assert dialog.seeds() == [7, 8, 9]
    dialog.loud_box.setCurrentText("0")  # the shipped model's directions are found on the worker (no run to keep them)
    out = tmp_path / "painted.mp4"
    with qtbot.waitSignal(dialog.written, timeout=WAIT_MS) as written:
        dialog.export(out)
        assert dialog.is_running() and not dialog.export_button.isEnabled()
    assert written.args == [str(out)]
    assert dialog.status.text() == f"Wrote {out}" and dialog.bar.value() == dialog.bar.maximum()
    with av.open(str(out)) as container:
        audio = container.streams.audio[0]
        assert abs(float(audio.duration * audio.time_base) - seconds) < 0.1


def test_bad_input_is_said_in_the_dialog(qtbot, model, tmp_path):
    dialog = PaintToMusicDialog(model, None, [1, 2])
    qtbot.addWidget(dialog)
    dialog.seeds_edit.setText("1 two")
    dialog.export(tmp_path / "x.mp4")
    assert "whole numbers" in dialog.status.text() and not dialog.is_running()
    dialog.seeds_edit.setText("1 2")
    write_midi(tmp_path / "tune.mid", beats=2)
    dialog.music_edit.setText(str(tmp_path / "tune.mid"))
    dialog.export(tmp_path / "x.mp4")  # no synthesiser handed in: a MIDI cannot be sounded
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=WAIT_MS)
    assert "synthesiser" in dialog.status.text() and not (tmp_path / "x.mp4").exists()


def test_the_painting_tab_offers_both_and_its_explorer_fits_a_small_screen(qtbot, tmp_path, monkeypatch, screenshot_dir,
                                                                    themed):
    from studio.domains.painting.qt.controls import PaintToMusicButton
    from ui_helpers import close_window, only_media, open_window

    only_media(monkeypatch, tmp_path, "painting")
    window, tab = open_window(qtbot, "painting", size=(1280, 800))
    qtbot.waitUntil(lambda: tab.model is not None, timeout=WAIT_MS)  # the shipped model, before any training
    button = tab.findChild(PaintToMusicButton)
    qtbot.waitUntil(lambda: button.isEnabled() and tab.explorer._place_button.isVisible(), timeout=WAIT_MS)
    assert tab._right.horizontalScrollBar().maximum() == 0  # the explorer's column takes both without scrolling
    tab.explorer.set_corner_seed(1, 42)
    dialog = button.open_dialog()
    assert dialog.seeds()[:2] == [0, 42] and dialog.loud_box.currentText() == "0"
    window.grab().save(str(screenshot_dir / "painting-tab-place-and-music.png"))
    dialog.reject()
    close_window(window)


def test_the_music_tabs_current_clip_is_offered_without_painting_importing_music(qtbot, tmp_path, monkeypatch,
                                                                                  screenshot_dir):
    from studio.domains.painting.qt.controls import PaintToMusicButton
    from ui_helpers import close_window, only_media, open_window

    only_media(monkeypatch, tmp_path, "painting", "music")
    (tmp_path / "empty").mkdir()
    window, painting = open_window(qtbot, "painting", folder=tmp_path / "empty")
    qtbot.waitUntil(lambda: painting.model is not None, timeout=60_000)
    paint_button = painting.findChild(PaintToMusicButton)
    alone = paint_button.open_dialog()
    assert not alone.offer_actions and alone.offers_button.isHidden()  # the music tab is not built: nothing offered
    alone.reject()

    music = window.domain_tabs["music"]
    music.dataset.open_folder(str(tmp_path / "empty"))
    window.tabs.setCurrentWidget(music)
    qtbot.waitUntil(lambda: music.explorer.current_artifact() is not None, timeout=60_000)
    window.tabs.setCurrentWidget(painting)
    dialog = paint_button.open_dialog()
    label = "the Music tab's explorer result"
    assert list(dialog.offer_actions) == [label] and not dialog.offers_button.isHidden()
    dialog.offer_actions[label].trigger()
    dialog.grab().save(str(screenshot_dir / "paint-to-music-from-a-tab.png"))
    clip = dialog.music_edit.text()
    assert clip.endswith("music-current.mid") and dialog.status.text() == f"Painting to {label}"
    with open(clip, "rb") as written:
        assert written.read(4) == b"MThd"
    dialog.reject()
    close_window(window)
