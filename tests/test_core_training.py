"""The generic trainer and session on the tiny test domain: real steps, real files."""
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from studio.core import checkpoints as ck
from studio.core.model import load_model
from studio.core.runs import RunDir
from studio.core.events import Failed, Logged, Message, Resumed, Samples, Weights
from studio.core.session import TrainControl, TrainingSession
from toy_domain import write_toy_folder
from studio.domains import get_domain


@pytest.fixture
def data_dir(tmp_path, toy_domain):
    return write_toy_folder(tmp_path / "data")


def _weights(session: TrainingSession) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in session.trainer.G.state_dict().items()}


def test_training_writes_a_complete_run(tmp_path, data_dir):
    events = []
    session = TrainingSession.create(tmp_path / "run", get_domain("toy"), data_dir, steps=20, seed=3, device="cpu")
    assert session.run(lambda event: events.append((event.kind, event.payload()))) == "finished"
    kinds = [k for k, _ in events]
    assert kinds[0] == "started" and kinds[-1] == "finished"
    for kind in ("log", "progress", "samples", "metrics", "checkpoint"):
        assert kind in kinds
    logged = [r for k, p in events if k == "log" for r in p["records"]]
    assert [r["step"] for r in logged] == list(range(1, 21))
    assert all(math.isfinite(r["d_loss"]) and math.isfinite(r["g_loss"]) for r in logged)
    run = RunDir(tmp_path / "run")
    config = run.read_config()
    assert config["domain"] == "toy" and config["corpus"]["items"] == 24 and "torch" in config["software"]
    assert [r for r in run.read_metrics() if r.get("kind") == "quality"]
    assert ck.list_checkpoints(run.checkpoints)[-1][0] == 20
    assert run.list_samples()


def test_resume_continues_the_same_curve(tmp_path, data_dir):
    straight = TrainingSession.create(tmp_path / "a", get_domain("toy"), data_dir, steps=20, seed=5, device="cpu")
    straight.run()
    half = TrainingSession.create(tmp_path / "b", get_domain("toy"), data_dir, steps=10, seed=5, device="cpu")
    half.run()
    resumed = TrainingSession.open(tmp_path / "b", get_domain, steps=20, device="cpu")
    assert resumed.trainer.step == 10
    resumed.run()
    a, b = _weights(straight), _weights(resumed)
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name
    steps = [r["step"] for r in RunDir(tmp_path / "b").read_metrics() if "d_loss" in r]
    assert steps == list(range(1, 21))


def test_stop_and_pause_from_another_thread(tmp_path, data_dir):
    control = TrainControl()
    seen = []

    def on_event(event):
        seen.append(event.kind)
        if isinstance(event, Logged) and event.records[-1]["step"] >= 3 and "paused" not in seen:
            control.pause()
            import threading

            threading.Timer(0.3, control.resume).start()
        if isinstance(event, Resumed):
            control.stop()

    session = TrainingSession.create(tmp_path / "run", get_domain("toy"), data_dir, steps=10_000, seed=0, device="cpu")
    assert session.run(on_event, control) == "stopped"
    assert "paused" in seen and "resumed" in seen
    step = session.trainer.step
    assert 3 <= step < 10_000
    assert ck.list_checkpoints(tmp_path / "run" / "checkpoints")[-1][0] == step


def test_damaged_checkpoint_falls_back_to_previous(tmp_path, data_dir):
    TrainingSession.create(tmp_path / "run", get_domain("toy"), data_dir, steps=20, seed=0, device="cpu").run()
    folder = tmp_path / "run" / "checkpoints"
    newest = folder / "step-0000020.safetensors"
    newest.write_bytes(newest.read_bytes()[:100])
    resumed = TrainingSession.open(tmp_path / "run", get_domain, device="cpu")
    assert resumed.trainer.step == 10
    assert any("step-0000020" in note and "damaged" in note for note in resumed.notes)
    model = load_model(tmp_path / "run", get_domain)
    assert model.step == 10


def test_full_disk_on_save_keeps_older_checkpoint(tmp_path, data_dir, monkeypatch):
    session = TrainingSession.create(tmp_path / "run", get_domain("toy"), data_dir, steps=10, seed=0, device="cpu")
    session.run()

    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("safetensors.torch.save_file", no_space)
    messages = []
    again = TrainingSession.open(tmp_path / "run", get_domain, steps=20, device="cpu")
    assert again.run(lambda e: messages.append(e.text) if isinstance(e, Message) else None) == "finished"
    assert any("No space left" in m and "previous checkpoint is kept" in m for m in messages)
    left = [p.name for p in (tmp_path / "run" / "checkpoints").iterdir()]
    assert "step-0000010.safetensors" in left and not any(n.endswith(".tmp") for n in left)


def test_nan_guard_rolls_back_and_goes_on(tmp_path, data_dir):
    session = TrainingSession.create(tmp_path / "run", get_domain("toy"), data_dir, steps=15, seed=0, device="cpu")
    trainer = session.trainer
    real_step = trainer._gan_step
    calls = {"n": 0}

    def sometimes_nan():
        calls["n"] += 1
        figures = real_step()
        if calls["n"] == 6:
            with torch.no_grad():
                next(trainer.G.parameters()).fill_(float("nan"))
            figures["g_loss"] = float("nan")
        return figures

    trainer._gan_step = sometimes_nan
    messages = []
    assert session.run(lambda e: messages.append(e.text) if isinstance(e, Message) else None) == "finished"
    assert any("rolled back" in m for m in messages)
    assert all(torch.isfinite(p).all() for p in trainer.G.parameters())


def test_diverging_training_fails_with_a_message(tmp_path, data_dir):
    session = TrainingSession.create(tmp_path / "run", get_domain("toy"), data_dir, steps=50, seed=0, device="cpu")
    session.trainer._gan_step = lambda: {"d_loss": float("inf"), "g_loss": 0.0}
    errors = []
    assert session.run(lambda e: errors.append(e.text) if isinstance(e, Failed) else None) == "failed"
    assert errors and "diverged" in errors[0]


def test_model_renders_seeds_reproducibly(tmp_path, data_dir):
    TrainingSession.create(tmp_path / "run", get_domain("toy"), data_dir, steps=10, seed=0, device="cpu").run()
    model = load_model(tmp_path / "run", get_domain)
    first = model.render_seeds([4, 5])
    again = model.render_seeds([4, 5])
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[0], first[1])
    info = model.info(seed=4, latent=np.zeros(8))
    assert info["seed"] == 4 and len(info["latent"]) == 8 and info["step"] == 10


def test_create_refuses_an_empty_folder_and_an_existing_run(tmp_path, toy_domain, data_dir):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="nothing to train on"):
        TrainingSession.create(tmp_path / "r1", get_domain("toy"), empty, device="cpu")
    TrainingSession.create(tmp_path / "r2", get_domain("toy"), data_dir, steps=1, device="cpu")
    with pytest.raises(FileExistsError):
        TrainingSession.create(tmp_path / "r2", get_domain("toy"), data_dir, steps=1, device="cpu")


def test_checkpoint_files_hold_no_pickles(tmp_path, data_dir):
    TrainingSession.create(tmp_path / "run", get_domain("toy"), data_dir, steps=10, seed=0, device="cpu").run()
    json_path = ck.list_checkpoints(tmp_path / "run" / "checkpoints")[-1][1]
    info = json.loads(json_path.read_text())
    assert info["sha256"] and info["gan_step"] == 10
    header = Path(json_path.with_suffix(".safetensors")).read_bytes()[:8]
    assert int.from_bytes(header, "little") < 10_000_000


def test_live_viewers_get_weights_that_render_like_the_samples(tmp_path, data_dir):
    from studio.core.model import model_from_tensors

    session = TrainingSession.create(tmp_path / "run", get_domain("toy"), data_dir, steps=10, seed=0, device="cpu")
    session.sample_interval_s = 0.01
    weights, samples = [], {}

    def on_event(event):
        if isinstance(event, Weights):
            weights.append(event.payload())
        elif isinstance(event, Samples):
            samples[event.step] = event.payload()

    session.run(on_event)
    assert weights and all(isinstance(v, np.ndarray) for v in weights[0]["tensors"].values())
    first = weights[0]
    live = model_from_tensors(
        session.domain, session.preset, session.corpus.meta,
        {k: torch.from_numpy(v) for k, v in first["tensors"].items()}, torch.device("cpu"), first["step"],
    )
    shown = samples[first["step"]]
    assert np.array_equal(live.render_seeds([shown["seeds"][3]])[0], shown["artifacts"][3])


def test_resuming_on_a_changed_folder_goes_on_or_explains(tmp_path, data_dir):
    TrainingSession.create(tmp_path / "run", get_domain("toy"), data_dir, steps=10, seed=0, device="cpu").run()
    (data_dir / "extra.json").write_text(json.dumps(np.eye(8, dtype=int).tolist()))
    resumed = TrainingSession.open(tmp_path / "run", get_domain, steps=20, device="cpu")
    assert any("changed since this run began" in n for n in resumed.notes)
    assert resumed.run() == "finished" and resumed.corpus.data.shape[0] == 25
    config = json.loads((tmp_path / "run" / "run.json").read_text())
    config["corpus"]["shape"] = [3, 8, 8]
    (tmp_path / "run" / "run.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="start a new run"):
        TrainingSession.open(tmp_path / "run", get_domain, device="cpu")
