"""The tab's controller works with no widget at all: models, reference figures, exports and demo data."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.ui.tab_controller import TabController
from toy_domain import write_toy_folder
from ui_helpers import WAIT_MS


@pytest.fixture
def controller(qapp, toy_domain, tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_RUNS", str(tmp_path / "runs"))
    return TabController("toy", run_dir=lambda: None, gallery_step=lambda: 40)


def test_without_a_model_an_export_records_the_run_and_the_step_on_screen(controller, tmp_path):
    info = controller.export_info(seed=3, latent=[0.5, 0.25], extra="kept")
    assert info == {"domain": "toy", "run": None, "step": 40, "seed": 3, "latent": [0.5, 0.25], "extra": "kept"}
    assert controller.exports_folder() == tmp_path / "runs" / "toy" / "exports"
    target = tmp_path / "bars.json"
    controller.export_current(target, [[1, 2]], {"seed": 3, "latent": [0.5, 0.25], "u": 0.0})
    assert controller.last_export == target and json.loads(target.read_text())
    errors = []
    controller.failed.connect(lambda title, text: errors.append(text))
    controller.export_current(tmp_path / "bars.json" / "inside-a-file.json", [[1]], {})
    assert controller.last_export == target and "inside-a-file.json" in controller.last_error
    assert errors == [controller.last_error]


def test_a_corpus_s_own_figures_and_the_demo_arrive_as_signals(controller, qtbot, tmp_path):
    corpus = controller.domain.import_folder(write_toy_folder(tmp_path / "data"), {})
    with qtbot.waitSignal(controller.referencesChanged, timeout=WAIT_MS) as figures:
        controller.set_corpus(corpus)
    assert controller.corpus is corpus and figures.args[0] == controller.references and controller.references
    with qtbot.waitSignal(controller.demoReady, timeout=WAIT_MS) as demo:
        controller.prepare_demo()
    assert Path(demo.args[0]) == controller.demo_folder() and len(list(controller.demo_folder().glob("*.json"))) == 24
