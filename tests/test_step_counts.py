"""``--steps N`` is the number the progress bar counts to, both phases of a text run included."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.cli import build_parser, main
from studio.core.checkpoints import list_checkpoints
from studio.core.steps import preset_total_steps, run_steps, split_steps
from studio.domains import get_domain

TEXT = get_domain("text")


@pytest.fixture
def verse(tmp_path) -> Path:
    folder = tmp_path / "verse"
    folder.mkdir()
    (folder / "lines.txt").write_text("\n".join(f"the {a} owl sings of {b}" for a in ("grey", "white", "small")
                                                for b in ("rain", "snow", "moss", "dusk")), "utf-8")
    return folder


def _checkpoint(run: Path) -> dict:
    step, path = list_checkpoints(run / "checkpoints")[-1]
    return json.loads(Path(path).read_text())


def test_text_steps_count_both_phases_and_resume_up_to_n(tmp_path, verse, capsys):
    run = tmp_path / "run"
    assert main(["train", "text", str(verse), "--out", str(run), "--steps", "20", "--batch", "8"]) == 0
    err = capsys.readouterr().err
    assert "step 0 of 20" in err and "finished at step 20" in err
    config = json.loads((run / "run.json").read_text())
    pretrain = round(20 * 2400 / 4400)  # cpu-small's own split: 2,400 autoencoder and 2,000 GAN steps
    assert config["steps"] == 20 and config["pretrain_steps"] == pretrain
    info = _checkpoint(run)
    assert (info["step"], info["pre_step"], info["gan_step"]) == (20, pretrain, 20 - pretrain)

    assert main(["train", "text", str(verse), "--out", str(run), "--steps", "26"]) == 0
    assert "finished at step 26" in capsys.readouterr().err
    info = _checkpoint(run)
    assert (info["step"], info["pre_step"], info["gan_step"]) == (26, pretrain, 26 - pretrain)

    assert main(["train", "text", str(verse), "--out", str(run), "--steps", "30", "--pretrain-steps", "3"]) == 2
    assert "--pretrain-steps applies to a new run" in capsys.readouterr().err
    assert _checkpoint(run)["step"] == 26


def test_pretrain_steps_set_the_first_phase_and_the_progress_events_end_at_n(tmp_path, verse):
    from studio.core.session import TrainingSession

    base = TEXT.presets["cpu-small"]
    overrides = {"batch_size": 8, "net": {**base.net, "hidden": 32, "code_dim": 16, "emb_dim": 16, "g_hidden": 32,
                                          "d_hidden": 32}}
    session = TrainingSession.create(tmp_path / "run", get_domain("text"), verse, steps=12, pretrain_steps=5, device="cpu",
                                     overrides=overrides)
    events: list[tuple[str, dict]] = []
    assert session.run(lambda event: events.append((event.kind, event.payload()))) == "finished"
    progress = [p for kind, p in events if kind == "progress"]
    assert {p["total"] for p in progress} == {12} and progress[-1]["step"] == 12
    phases = [(p["phase"], p["step"]) for kind, p in events if kind == "phase"]
    assert phases == [("pretrain", 0), ("gan", 5)]
    assert (session.trainer.pre_step, session.trainer.gan_step) == (5, 7)


def test_bad_splits_are_refused_with_a_message(tmp_path, verse, capsys):
    preset = TEXT.presets["cpu-small"]
    assert split_steps(TEXT, preset) == (2400, 4400)
    assert split_steps(TEXT, preset, 2) == (1, 2)
    assert split_steps(TEXT, preset, pretrain=100) == (100, 2100)
    for total, pretrain in ((1, None), (10, 10), (10, 0)):
        with pytest.raises(ValueError, match="at least one step of each"):
            split_steps(TEXT, preset, total, pretrain)
    painting = get_domain("painting")
    assert split_steps(painting, painting.presets["cpu-32"], 7) == (0, 7)
    run = tmp_path / "run"
    assert main(["train", "painting", str(verse), "--out", str(run), "--steps", "5", "--pretrain-steps", "2"]) == 2
    assert "one phase" in capsys.readouterr().err and not run.exists()
    assert main(["train", "text", str(verse), "--out", str(run), "--steps", "8", "--pretrain-steps", "8"]) == 2
    assert "at least one step of each" in capsys.readouterr().err


def test_a_run_from_before_keeps_its_gan_only_count():
    preset = TEXT.presets["cpu-small"]
    assert run_steps({"steps": 2000}, TEXT, preset) == (2400, 4400)  # no pretrain_steps: GAN steps alone
    assert run_steps({"steps": 20, "pretrain_steps": 11}, TEXT, preset) == (11, 20)


def test_help_says_what_steps_count():
    train = next(a for a in build_parser()._subparsers._group_actions[0].choices.values() if a.prog.endswith("train"))
    text = " ".join(train.format_help().split())
    assert "the number the progress bar counts to" in text and "--pretrain-steps M" in text


def test_the_steps_box_shows_the_presets_whole_run_and_a_runs_total(qtbot, tmp_path, verse):
    from studio.core.session import TrainingSession
    from studio.ui.training_panel import TrainingPanel

    panel = TrainingPanel("text")
    qtbot.addWidget(panel)
    assert panel.preset_name() == "cpu-small" and panel.steps_spin.value() == 4400
    panel.set_preset("gpu-large")
    assert panel.steps_spin.value() == preset_total_steps(TEXT, TEXT.presets["gpu-large"]) == 40000

    base = TEXT.presets["cpu-small"]
    overrides = {"batch_size": 8, "net": {**base.net, "hidden": 32, "code_dim": 16, "emb_dim": 16, "g_hidden": 32,
                                          "d_hidden": 32}}
    run = tmp_path / "run"
    assert TrainingSession.create(run, get_domain("text"), verse, steps=9, pretrain_steps=4, device="cpu",
                                  overrides=overrides).run() == "finished"
    assert panel.open_run(run)
    assert panel.steps_spin.value() == 9 and panel.progress.value() == panel.progress.maximum() == 9
    assert "step 9 of 9" in panel.run_label.text()
    launched: list[dict] = []
    panel._launch = launched.append  # what Continue would ask the training thread for
    panel.steps_spin.setValue(5)  # at or below the run's step: that many more
    panel.continue_run()
    assert launched[-1]["steps"] == 14
