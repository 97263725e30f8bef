"""The text tab's own controls, driven as a writer would, on a model trained a few steps on English and Chinese lines."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from studio.domains.text.metrics import words
from studio.domains.text.options import DEFAULT_OPTIONS
from studio.domains.text.metrics import Alarm
from studio.domains.text.placement import line_problem
from studio.domains.text.qt.controls import DecodingControls, TextControls, health_text
from ui_helpers import WAIT_MS, close_window, only_media, open_with_controls
from studio.domains import get_domain

ANIMALS = ("cat", "dog", "owl", "fox", "hen", "elk")
PLACES = ("hill", "moor", "barn", "wood", "lake")
ZH_HEADS = ("白日", "青山", "明月", "春风")
ZH_TAILS = ("依山尽", "照水流", "入海来", "满江红", "落花香")
ENGLISH = [f"the {a} sleeps by the {p}" for a in ANIMALS for p in PLACES]
CHINESE = [h + t for h in ZH_HEADS for t in ZH_TAILS]


@pytest.fixture(scope="module")
def text_run(tmp_path_factory):
    """A data folder of 50 lines and a run trained on it for a few seconds (autoencoder, then GAN).

    Long enough that most samples are lines, so the screenshots show text rather than empty cards.
    """
    root = tmp_path_factory.mktemp("text-ui")
    folder = root / "data"
    folder.mkdir()
    (folder / "english.txt").write_text("\n".join(ENGLISH), "utf-8")
    (folder / "chinese.txt").write_text("\n".join(CHINESE), "utf-8")
    return folder, _train_tiny_text_run(root, folder, {"max_len": 32})


def _train_tiny_text_run(root, folder, import_options: dict):
    """A few seconds of a small cpu-small run on ``folder``: 150 autoencoder steps, then 40 GAN steps."""
    import torch

    from studio.core.session import TrainingSession
    from studio.domains.text import DOMAIN

    base = DOMAIN.presets["cpu-small"]
    overrides = {
        "z_dim": 8, "batch_size": 16, "sample_every": 10, "metrics_every": 20, "checkpoint_every": 1000,
        "net": {**base.net, "ae_steps": 150, "ae_lr": 1e-2, "emb_dim": 16, "hidden": 48, "code_dim": 16,
                "code_noise": 0.05, "g_hidden": 32, "d_hidden": 32},
        "import_options": {**base.import_options, **import_options},
    }
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # module fixtures run before conftest's per-test thread setting
    try:
        session = TrainingSession.create(root / "run", get_domain("text"), folder, steps=190, pretrain_steps=150,
                                         device="cpu", overrides=overrides)
        assert session.run() == "finished", session.error
    finally:
        torch.set_num_threads(threads)
    return root / "run"


@pytest.fixture
def text_env(tmp_path, monkeypatch, themed):
    """Only the text tab; private settings and runs."""
    only_media(monkeypatch, tmp_path, "text")
    return tmp_path


def _window(qtbot, folder: Path, size: tuple[int, int] = (1400, 900)):
    return open_with_controls(qtbot, "text", TextControls, folder, size)


def _with_model(qtbot, tab, run: Path) -> None:
    assert tab.training.open_run(run)
    qtbot.waitUntil(lambda: tab.model is not None and tab.dataset.corpus() is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: tab.explorer.current_artifact() is not None and tab.explorer.render_is_current(),
                    timeout=WAIT_MS)


def _plain(label) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", label.text())).strip()


def _shot(widget, folder: Path, name: str) -> None:
    assert widget.grab().save(str(folder / f"ui_text_{name}.png"))


def test_decoding_choices_reach_the_renderer_and_change_the_line(qtbot, text_env, text_run, monkeypatch):
    window, tab, controls = _window(qtbot, text_run[0])
    _with_model(qtbot, tab, text_run[1])
    seen: list[dict] = []
    real_render = tab.model.render

    def spy(z, options=None):
        seen.append(dict(options or {}))
        return real_render(z, options)

    monkeypatch.setattr(tab.model, "render", spy)
    explorer, decoding = tab.explorer, controls.decoding
    explorer.set_position(0.3, 0.6)
    qtbot.waitUntil(lambda: bool(seen) and explorer.render_is_current(), timeout=WAIT_MS)
    assert {k: seen[-1][k] for k in DEFAULT_OPTIONS} == DEFAULT_OPTIONS  # the studio's default decoding
    assert decoding.temperature.isVisible() and not decoding.beam.isVisible()
    decoding.set_decoding("greedy")
    qtbot.waitUntil(lambda: seen[-1]["decoding"] == "greedy" and explorer.render_is_current(), timeout=WAIT_MS)
    greedy = explorer.current_artifact()
    assert not decoding.temperature.isVisible() and not decoding.beam.isVisible()

    decoding.set_decoding("beam")
    decoding.beam.setValue(3)
    assert decoding.beam.isVisible() and not decoding.temperature.isVisible()
    qtbot.waitUntil(lambda: seen[-1].get("decoding") == "beam" and seen[-1].get("beam") == 3
                    and explorer.render_is_current(), timeout=WAIT_MS)
    assert isinstance(explorer.current_artifact(), str)

    decoding.set_decoding("sample")
    decoding.temperature.setValue(3.0)
    decoding.seed.setValue(11)
    assert decoding.temperature.isVisible() and decoding.seed.isVisible() and not decoding.beam.isVisible()
    qtbot.waitUntil(lambda: seen[-1] == {"decoding": "sample", "temperature": 3.0, "seed": 11, "beam": 3,
                                         "lexicon": True, "phrasing": DEFAULT_OPTIONS["phrasing"]}
                    and explorer.render_is_current(), timeout=WAIT_MS)
    hot = explorer.current_artifact()
    assert hot != greedy  # at temperature 3 the characters are drawn far from the most likely ones
    assert explorer.current_info()["options"]["temperature"] == 3.0
    assert set(words(hot)) <= set(tab.model.meta["lexicon"])  # even wild sampling spells the corpus's words
    assert decoding.lexicon.isEnabled() and decoding.phrasing.isEnabled()
    decoding.phrasing.setValue(0.0)
    qtbot.waitUntil(lambda: seen[-1]["phrasing"] == 0.0 and explorer.render_is_current(), timeout=WAIT_MS)
    decoding.lexicon.setChecked(False)
    qtbot.waitUntil(lambda: seen[-1]["lexicon"] is False and explorer.render_is_current(), timeout=WAIT_MS)
    assert not decoding.phrasing.isEnabled()  # phrasing walks the lexicon: without it there is none
    decoding.seed.stepUp()  # the next seed draws again
    qtbot.waitUntil(lambda: seen[-1]["seed"] == 12, timeout=WAIT_MS)
    close_window(window)


def test_word_controls_grey_out_for_models_that_cannot_use_them(qtbot):
    decoding = DecodingControls()
    qtbot.addWidget(decoding)
    decoding.show()
    decoding.set_model_words(lexicon=False, phrasing="characters")  # Chinese: no lexicon, character pairs
    assert not decoding.lexicon.isEnabled() and decoding.phrasing.isEnabled()
    assert "without spaces" in decoding.lexicon.toolTip() and "character pairs" in decoding.phrasing.toolTip()
    decoding.set_model_words(lexicon=False, phrasing=None)  # a Chinese run from before character pairs were kept
    assert not decoding.phrasing.isEnabled() and "older version" in decoding.phrasing.toolTip()
    decoding.set_model_words(lexicon=True, phrasing=None)  # a run from before word pairs were kept
    assert decoding.lexicon.isEnabled() and not decoding.phrasing.isEnabled()
    assert "older version" in decoding.phrasing.toolTip()
    decoding.set_model_words(lexicon=True, phrasing="words")
    assert decoding.phrasing.isEnabled()
    with qtbot.waitSignal(decoding.optionsChanged) as changed:
        decoding.lexicon.setChecked(False)
    assert changed.args[0]["lexicon"] is False and not decoding.phrasing.isEnabled()


def test_a_run_s_own_phrasing_fills_the_box_once_per_model(qtbot, text_env, text_run):
    window, tab, controls = _window(qtbot, text_run[0])
    _with_model(qtbot, tab, text_run[1])
    explorer, decoding = tab.explorer, controls.decoding
    assert decoding.phrasing.value() == DEFAULT_OPTIONS["phrasing"]  # this run fitted nothing: too few held out
    tab.model.decode_defaults = {"phrasing": 0.85}  # as load_model reads it from a run that fitted its weight
    explorer.set_position(0.2, 0.7)
    qtbot.waitUntil(lambda: decoding.phrasing.value() == 0.85 and explorer.render_is_current(), timeout=WAIT_MS)
    assert "own balance" in controls.message.text()
    decoding.phrasing.setValue(0.3)  # the writer's choice stands while the same model renders on
    explorer.set_position(0.6, 0.4)
    qtbot.waitUntil(lambda: explorer.render_is_current(), timeout=WAIT_MS)
    assert decoding.phrasing.value() == 0.3
    assert decoding.use_model_defaults(("another run", 10), {"phrasing": 1.2}) == 1.2  # another model: its own
    assert decoding.use_model_defaults(("another run", 10), {"phrasing": 1.2}) is None
    assert decoding.use_model_defaults(("a third", 5), {}) is None and decoding.phrasing.value() == 1.2
    close_window(window)


def test_my_lines_become_corner_anchors_and_bad_lines_are_messages(qtbot, text_env, text_run, screenshot_dir):
    window, tab, controls = _window(qtbot, text_run[0])
    controls.line_edit.setText("the owl sleeps by the lake")
    controls.place_button.click()  # no model yet
    assert controls.message.property("kind") == "error" and "no model yet" in controls.message.text()

    _with_model(qtbot, tab, text_run[1])
    explorer = tab.explorer
    controls.line_edit.setText("   ")
    controls.place_button.click()
    assert "empty" in controls.message.text() and controls.message.property("kind") == "error"
    controls.line_edit.setText("the zebra sleeps by the ßea")
    controls.place_button.click()
    text = controls.message.text()
    assert "“z”" in text and "“ß”" in text and "alphabet" in text
    controls.line_edit.setText("the owl sleeps by the lake " * 3)
    controls.place_button.click()
    assert "at most 32" in controls.message.text()
    assert explorer.current_info()["corner_labels"] == [None] * 4 and not controls.is_placing()

    line = "the owl sleeps by the lake"
    controls.line_edit.setText(line)
    controls.corner.setCurrentIndex(3)
    qtbot.keyClick(controls.line_edit, Qt.Key.Key_Return)
    assert controls.is_placing() and controls.message.text() == "Placing your line…"
    assert not controls.place_button.isEnabled()
    qtbot.waitUntil(lambda: not controls.is_placing(), timeout=WAIT_MS)
    assert controls.message.property("kind") == "ok", controls.message.text()
    assert "Placed at ↘ bottom-right" in controls.message.text()
    info = explorer.current_info()
    assert info["corner_labels"][3] == line and info["seeds"][3] is None
    assert (info["u"], info["v"]) == (1.0, 1.0) and len(info["latent"]) == 8
    assert explorer.pad._labels[3] == line
    qtbot.waitUntil(lambda: explorer.render_is_current(), timeout=WAIT_MS)
    assert isinstance(explorer.current_artifact(), str)

    controls.line_edit.setText(CHINESE[0])
    controls.corner.setCurrentIndex(1)
    controls.place_button.click()
    qtbot.waitUntil(lambda: not controls.is_placing(), timeout=WAIT_MS)
    assert explorer.current_info()["corner_labels"][1] == CHINESE[0], controls.message.text()
    qtbot.waitUntil(lambda: explorer.render_is_current(), timeout=WAIT_MS)
    _shot(window, screenshot_dir, "tab_with_my_lines")
    close_window(window)


def test_a_placed_line_keeps_the_explorer_in_its_column(qtbot, text_env, text_run):
    window, tab, controls = _window(qtbot, text_run[0])
    _with_model(qtbot, tab, text_run[1])
    controls.line_edit.setText("the owl sleeps by the lake")
    controls.place()
    qtbot.waitUntil(lambda: not controls.is_placing(), timeout=WAIT_MS)
    qtbot.wait(50)
    try:
        assert tab._right.horizontalScrollBar().maximum() == 0
    finally:
        close_window(window)


def test_collapse_and_copying_raise_a_red_banner_that_clears(qtbot, text_env, text_run, screenshot_dir):
    window, tab, controls = _window(qtbot, text_run[0])
    _with_model(qtbot, tab, text_run[1])
    health = controls.health
    qtbot.waitUntil(lambda: "self_bleu2" in controls.reference, timeout=WAIT_MS)
    own = controls.reference["self_bleu2"]
    assert own < 0.8
    qtbot.waitUntil(lambda: controls.latest is not None, timeout=WAIT_MS)  # the reopened run's last figures
    assert controls.latest.step == tab.model.step and health.isVisible()

    tab.training.metrics.emit({"step": 200, "values": {"self_bleu2": max(0.0, own - 0.1), "copied": 0.0}})
    assert health.property("state") == "ok"
    tab.training.metrics.emit({"step": 400, "values": {"self_bleu2": own + 0.2, "copied": 0.0, "bleu2": 0.5}})
    assert health.isVisible() and health.property("state") == "alarm"
    assert len(health.alarms()) == 1 and health.alarms()[0].startswith("collapse")
    assert "Mode collapse · step 400" in _plain(health) and f"{own:.3f}" in _plain(health)
    assert "#ff6b6b" in health.styleSheet()
    assert window.statusBar().currentMessage().startswith("Sample alarm: collapse")
    qtbot.wait(50)
    assert health.visibleRegion().boundingRect().height() == health.height()  # nothing cut off
    _shot(window, screenshot_dir, "tab_collapse_alarm")

    tab.training.metrics.emit({"step": 600, "values": {"self_bleu2": own, "copied": 0.4}})
    assert [a.split(":")[0] for a in health.alarms()] == ["copying"] and "40%" in _plain(health)
    assert "memorised" in health.toolTip()

    tab.training.metrics.emit({"step": 800, "values": {"self_bleu2": max(0.0, own - 0.1), "copied": 0.0}})
    assert health.property("state") == "ok" and health.alarms() == []
    assert _plain(health).startswith("✓") and "step 800" in _plain(health)
    assert "#ff6b6b" not in health.styleSheet()
    assert window.statusBar().currentMessage().startswith("Samples recovered at step 800")
    qtbot.wait(50)
    _shot(window, screenshot_dir, "tab_healthy")

    tab.training.runStarted.emit({"run": str(text_run[1]), "device": "CPU", "step": 0, "total": 10,
                                  "preset": "cpu-small"})
    assert not health.isVisible()  # a new run: the old figures no longer apply
    close_window(window)


def test_json_export_writes_text_latent_options_and_figures(qtbot, text_env, text_run, monkeypatch):
    window, tab, controls = _window(qtbot, text_run[0])
    _with_model(qtbot, tab, text_run[1])
    controls.decoding.set_decoding("beam")
    qtbot.waitUntil(lambda: tab.explorer.render_is_current(), timeout=WAIT_MS)
    tab.explorer.set_position(0.0, 0.0)
    qtbot.waitUntil(lambda: tab.explorer.render_is_current(), timeout=WAIT_MS)
    tab.training.metrics.emit({"step": 20, "values": {"self_bleu2": 0.3, "copied": 0.5, "bleu2": 0.4}})
    assert controls.json_button.isEnabled()

    target = text_env / "exports" / "line"
    target.parent.mkdir()
    offered: list[str] = []

    def answer(parent, title, default, filters):
        offered.append(default)
        return str(target), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(answer))
    controls.json_button.click()
    written = target.with_suffix(".json")
    record = json.loads(written.read_text("utf-8"))
    assert Path(offered[-1]).name == "text-seed0.json" and Path(offered[-1]).parent == text_run[1] / "exports"
    assert record["text"] == tab.explorer.current_artifact() and record["seed"] == 0
    assert len(record["latent"]) == 8 and record["step"] == tab.model.step
    assert record["options"]["decoding"] == "beam" and record["options"]["beam"] == 4
    assert record["metrics"] == {"step": 20, "self_bleu2": 0.3, "copied": 0.5, "bleu2": 0.4}
    assert record["alarms"][0].startswith("copying") and "self_bleu2" in record["reference"]
    assert tab.last_export == written and controls.message.property("kind") == "ok"

    (text_env / "a file").write_text("not a folder")
    bad = text_env / "a file" / "x.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a: (str(bad), "")))
    controls.json_button.click()
    assert controls.message.property("kind") == "error" and "a file" in controls.message.text()
    close_window(window)


def test_the_text_tab_fits_a_small_screen(qtbot, text_env, text_run, screenshot_dir):
    window, tab, controls = _window(qtbot, text_run[0], size=(1280, 800))
    _with_model(qtbot, tab, text_run[1])
    controls.decoding.set_decoding("sample")
    qtbot.wait(50)
    _shot(window, screenshot_dir, "tab_1280x800")
    assert tab._right.horizontalScrollBar().maximum() == 0
    for widget in (controls.place_button, controls.corner, controls.decoding.seed, controls.json_button,
                   controls.decoding.temperature):
        assert widget.isVisible() and widget.visibleRegion().boundingRect().width() == widget.width()
    assert tab.explorer.pad.width() >= 220
    _shot(window, screenshot_dir, "tab_1280x800")
    close_window(window)


@pytest.fixture(scope="module")
def chinese_run(tmp_path_factory):
    """A folder of 5+5 couplets only, and a run trained on it for a few seconds: character phrasing, a form."""
    import random

    root = tmp_path_factory.mktemp("text-ui-zh")
    folder = root / "couplets"
    folder.mkdir()
    rng = random.Random(0)
    half = lambda: rng.choice(ZH_HEADS) + rng.choice(ZH_TAILS)
    (folder / "couplets.txt").write_text("\n".join(f"{half()}，{half()}。" for _ in range(200)), "utf-8")
    return folder, _train_tiny_text_run(root, folder, {"max_len": 16, "min_count": 1})


def test_a_chinese_folder_has_character_phrasing_and_a_form_drift_banner(qtbot, text_env, chinese_run,
                                                                          screenshot_dir):
    window, tab, controls = _window(qtbot, chinese_run[0])
    _with_model(qtbot, tab, chinese_run[1])
    decoding, health = controls.decoding, controls.health
    assert not decoding.lexicon.isEnabled() and decoding.phrasing.isEnabled()  # character pairs need no lexicon
    qtbot.waitUntil(lambda: "form" in controls.reference, timeout=WAIT_MS)
    assert controls.reference["form"] == 1.0
    own = controls.reference["self_bleu2"]
    tab.training.metrics.emit({"step": 400, "values": {"self_bleu2": own, "copied": 0.0, "form": 0.6}})
    assert [a.split(":")[0] for a in health.alarms()] == ["form"]
    assert "Form drift · step 400" in _plain(health) and "60%" in _plain(health)
    assert "punctuation" in health.toolTip()
    tab.training.metrics.emit({"step": 600, "values": {"self_bleu2": own, "copied": 0.0, "form": 1.0}})
    assert health.alarms() == [] and "100% in the verse form" in _plain(health)
    qtbot.wait(50)
    _shot(window, screenshot_dir, "chinese")
    close_window(window)


def test_messages_name_what_is_wrong_without_a_window():
    meta = {"vocab": ["<pad>", "<s>", "</s>", "<unk>", *"abc 白日"], "max_len": 6}
    assert line_problem("ab 白", meta) is None
    assert "empty" in line_problem("  ", meta)
    assert "“d”" in line_problem("abd", meta) and "it out" in line_problem("abd", meta)
    assert "U+0009" in line_problem("a\tb", {**meta, "vocab": meta["vocab"][:-3]})
    assert "space" in line_problem("a b", {**meta, "vocab": meta["vocab"][:-3]})
    assert "at most 6" in line_problem("abcabca", meta)
    assert "no model" in line_problem("abc", None)
    ok = health_text(5, {"self_bleu2": 0.2, "copied": 0.0}, {}, [])
    assert "✓" in ok and "not known yet" in ok
    alarm = health_text(5, {}, {}, [Alarm("collapse", "self-BLEU-2 0.9 > 0.4 <sic>")])
    assert "Mode collapse" in alarm and "&lt;sic&gt;" in alarm


def test_a_json_record_alone_and_beside_the_text(tmp_path):
    from studio.domains.text.codec import save_json, save_text

    path = save_json("白日依山尽", tmp_path / "one.v2", {"seed": 3, "options": {"decoding": "beam"}})
    assert path.name == "one.v2.json"
    assert json.loads(path.read_text("utf-8")) == {"text": "白日依山尽", "seed": 3, "options": {"decoding": "beam"}}
    txt = save_text("a river runs", tmp_path / "two", {"seed": 4})
    assert json.loads(txt.with_suffix(".json").read_text("utf-8"))["text"] == "a river runs"
