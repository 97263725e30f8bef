"""Gallery of fixed-seed samples (history slider, favourites, explorer hand-off) and the artifact views."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from studio.domains.music.roll import Clip
from studio.ui.gallery import MAX_SNAPSHOTS, Gallery, approx_bytes, snapshot_limit, thin_snapshots
from studio.ui.media import view_for

pytestmark = pytest.mark.usefixtures("themed")

SEEDS = list(range(100, 112))


def _image(seed: int, step: int, size: int = 16) -> np.ndarray:
    """A picture that changes with seed (hue) and step (sharpness), like a model getting better."""
    rng = np.random.default_rng(seed)
    colour = rng.integers(40, 255, 3)
    yy, xx = np.mgrid[0:size, 0:size]
    blob = ((xx - size / 2) ** 2 + (yy - size / 2) ** 2) < (size / 3) ** 2
    noise = rng.integers(0, 255, (size, size, 3)) * max(0.0, 1 - step / 1000)
    img = np.where(blob[..., None], colour, 30) * min(1.0, step / 1000) + noise
    return np.clip(img, 0, 255).astype(np.uint8)


def _snapshot(step: int) -> list[np.ndarray]:
    return [_image(s, step) for s in SEEDS]


@pytest.fixture
def gallery(qtbot, request, screenshot_dir):
    g = Gallery(thumbnail_size=80)
    g.set_view(view_for("painting"))
    g.resize(640, 420)
    g.show()
    yield g
    _shot(g, qtbot, screenshot_dir / f"gallery_{request.node.name.removeprefix('test_')}.png")
    g.close()
    g.deleteLater()


def _click(qtbot, gallery, seed, double=False):
    lst = gallery._list
    row = SEEDS.index(seed)
    rect = lst.visualItemRect(lst.item(row))
    point = rect.center()
    qtbot.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton, pos=point)
    if double:  # a real double-click is press, release, double-click
        qtbot.mouseDClick(lst.viewport(), Qt.MouseButton.LeftButton, pos=point)


def _shot(widget, qtbot, path) -> None:
    qtbot.wait(30)
    widget.grab().save(str(path))


def test_history_slider_moves_back_and_newest_follows_again(gallery, qtbot):
    for step in (100, 400, 900):
        gallery.add_snapshot(step, _snapshot(step), SEEDS)
    assert gallery.current_step() == 900
    gallery.show_snapshot(0)
    assert gallery.current_step() == 100
    assert gallery.current_artifacts()[3] is not None
    np.testing.assert_array_equal(gallery.current_artifacts()[3], _image(SEEDS[3], 100))
    gallery.add_snapshot(1200, _snapshot(1200), SEEDS)
    assert gallery.current_step() == 100  # the user is looking back: a new snapshot does not yank the view
    gallery.show_snapshot(gallery.snapshot_count() - 1)
    gallery.add_snapshot(1500, _snapshot(1500), SEEDS)
    assert gallery.current_step() == 1500
    _click(qtbot, gallery, SEEDS[2])


def test_memory_is_bounded_by_thinning_old_snapshots(gallery):
    for step in range(0, 600 * 10, 10):
        gallery.add_snapshot(step, [np.zeros((4, 4, 3), np.uint8)] * 2, [1, 2])
    steps = gallery.snapshot_steps()
    assert len(steps) <= MAX_SNAPSHOTS
    assert steps[0] == 0 and steps[-1] == 5990
    assert steps == sorted(steps)
    assert np.all(np.diff(steps[-50:]) == 10)  # the recent past is kept at full resolution
    assert thin_snapshots(list(range(10)), limit=20) == list(range(10))


def test_big_snapshots_keep_fewer_and_a_resumed_run_replaces_redone_steps(gallery):
    big = [np.zeros((256, 256, 3), np.uint8)] * 64  # 12.6 MB a snapshot
    assert snapshot_limit(sum(approx_bytes(a) for a in big)) < 30
    for step in range(0, 100):
        gallery.add_snapshot(step, big, list(range(64)))
    assert gallery.snapshot_count() < 30
    assert approx_bytes("abc") > 0
    gallery.clear()
    for step in (100, 200, 300, 400):
        gallery.add_snapshot(step, _snapshot(step), SEEDS)
    gallery.add_snapshot(250, _snapshot(250), SEEDS)  # resumed from the checkpoint at step 200
    assert gallery.snapshot_steps() == [100, 200, 250]
    gallery.add_snapshot(250, _snapshot(250), SEEDS)  # the same step twice (equal steps, array artifacts)
    assert gallery.snapshot_steps() == [100, 200, 250]


def test_favourites_by_double_click_and_star(gallery, qtbot, screenshot_dir):
    gallery.add_snapshot(500, _snapshot(500), SEEDS)
    with qtbot.waitSignal(gallery.favouritesChanged) as sig:
        _click(qtbot, gallery, SEEDS[4], double=True)
    assert sig.args == [[SEEDS[4]]]
    _click(qtbot, gallery, SEEDS[7], double=True)
    assert gallery.favourites() == [SEEDS[4], SEEDS[7]]

    lst = gallery._list
    cell = lst.visualItemRect(lst.item(SEEDS.index(SEEDS[4])))
    star = lst.itemDelegate().star_rect(cell).center()
    qtbot.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton, pos=star)
    assert gallery.favourites() == [SEEDS[7]]
    gallery.toggle_favourite(SEEDS[0])
    _shot(gallery, qtbot, screenshot_dir / "gallery_favourites.png")

    gallery._only_favourites.setChecked(True)
    visible = [lst.item(r).data(Qt.ItemDataRole.UserRole) for r in range(lst.count()) if not lst.item(r).isHidden()]
    assert visible == [SEEDS[0], SEEDS[7]]
    gallery.add_snapshot(600, _snapshot(600), SEEDS)  # the filter and favourites survive new snapshots
    visible = [lst.item(r).data(Qt.ItemDataRole.UserRole) for r in range(lst.count()) if not lst.item(r).isHidden()]
    assert visible == [SEEDS[0], SEEDS[7]]
    gallery.set_favourites([5, 6])
    assert gallery.favourites() == [5, 6]


def test_selection_send_to_explorer_and_export(gallery, qtbot):
    gallery.add_snapshot(300, _snapshot(300), SEEDS)
    with qtbot.waitSignal(gallery.selected) as sig:
        _click(qtbot, gallery, SEEDS[5])
    assert sig.args[0] == SEEDS[5]
    np.testing.assert_array_equal(sig.args[1], _image(SEEDS[5], 300))

    actions = gallery._send_button.menu().actions()
    assert [a.text() for a in actions] == ["Top-left corner", "Top-right corner", "Bottom-left corner",
                                           "Bottom-right corner"]
    with qtbot.waitSignal(gallery.sendToExplorer) as sig:
        actions[1].trigger()
    assert sig.args == [SEEDS[5], 1]

    with qtbot.waitSignal(gallery.exportRequested) as sig:
        gallery._export_button.click()
    assert sig.args[0] == SEEDS[5]
    np.testing.assert_array_equal(sig.args[1], _image(SEEDS[5], 300))

    gallery.add_snapshot(700, _snapshot(700), SEEDS)
    assert gallery.selected_seed() == SEEDS[5]  # the selection follows the seed across snapshots

    menu = gallery.context_menu_for(SEEDS[8])
    texts = [a.text() for a in menu.actions()]
    assert texts[0] == "Add to favourites" and "Send to explorer" in texts and "Export…" in texts
    with qtbot.waitSignal(gallery.sendToExplorer) as sig:
        next(a for a in menu.actions() if a.menu()).menu().actions()[3].trigger()
    assert sig.args == [SEEDS[8], 3]
    gallery.clear()
    assert gallery.snapshot_count() == 0 and gallery.current_step() is None
    assert not gallery._export_button.isEnabled()


def test_music_and_text_views_in_the_gallery(qtbot, screenshot_dir):
    rng = np.random.default_rng(0)
    clips = []
    for _ in range(6):
        roll = np.zeros((2, 64, 48), np.uint8)
        for start in range(0, 64, 4):
            pitch = rng.integers(10, 40)
            roll[1, start: start + 3, pitch] = 1
            roll[0, start, rng.integers(0, 8)] = 1
        clips.append(Clip(roll=roll, roles=["drums", "melody"], programs=[0, 73]))
    music = Gallery(thumbnail_size=120)
    music.set_view(view_for("music"))
    music.add_snapshot(50, clips, list(range(6)))
    music.resize(520, 380)
    qtbot.addWidget(music)
    music.show()
    _shot(music, qtbot, screenshot_dir / "gallery_music.png")
    assert "notes" in view_for("music").caption(clips[0])

    lines = ["Shall I compare thee to a summer's day?", "床前明月光，疑是地上霜。", "", "x" * 200,
             "Rough winds do shake the darling buds of May", "and summer's lease hath all too short a date"]
    text = Gallery(thumbnail_size=120)
    text.set_view(view_for("text"))
    text.add_snapshot(50, lines, list(range(6)))
    text.resize(520, 380)
    qtbot.addWidget(text)
    text.show()
    _shot(text, qtbot, screenshot_dir / "gallery_text.png")


def test_views_draw_pixels_crisply_and_survive_bad_input(qtbot):
    painting = view_for("painting")
    checker = np.zeros((4, 4, 3), np.uint8)
    checker[::2, ::2] = 255
    checker[1::2, 1::2] = 255
    image = painting.pixmap(checker, 64).toImage()
    assert (image.width(), image.height()) == (64, 64)
    assert image.pixelColor(3, 3).red() == 255 and image.pixelColor(19, 3).red() == 0  # crisp 16-px cells
    wide = painting.pixmap(np.zeros((10, 40, 3), np.uint8), 80)
    assert (wide.width(), wide.height()) == (80, 20)
    assert not painting.pixmap(np.float32([[0.5]]), 10).isNull()
    assert not painting.pixmap("not an image", 32).isNull()
    assert not view_for("music").pixmap("not a clip", 32).isNull()
    card = view_for("text").pixmap("hello world", 96)
    assert (card.width(), card.height()) == (96, 96)
    assert view_for("painting").caption(checker) == "4×4 px"
    with pytest.raises(ValueError):
        view_for("sculpture")
