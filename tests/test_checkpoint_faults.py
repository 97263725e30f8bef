"""A full disk or a killed writer never costs the previous checkpoint, and leaves no stray files behind."""
import errno
import os
import re
import subprocess
import sys

import pytest
import safetensors.torch
import torch

from studio.core import checkpoints as ck
from studio.core.runs import RunDir
from studio.core.session import TrainingSession
from toy_domain import write_toy_folder
from studio.domains import get_domain


def tensors(value: float) -> dict[str, torch.Tensor]:
    return {"G_ema.weight": torch.full((4, 3), value), "D.weight": torch.full((2,), value)}


@pytest.fixture
def full_disk(monkeypatch):
    """safetensors writes half a file, then the disk is full (as from a given step on)."""
    original = safetensors.torch.save_file
    state = {"from_step": 0}

    def save_file(data, filename, metadata=None):
        step = re.search(r"step-(\d+)\.safetensors", str(filename))
        if step is None or int(step.group(1)) < state["from_step"]:
            return original(data, filename, metadata)
        with open(filename, "wb") as f:
            f.write(safetensors.torch.save(data)[:100])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(filename))

    monkeypatch.setattr(safetensors.torch, "save_file", save_file)
    return state


def files(folder):
    return sorted(p.name for p in folder.iterdir())


def test_a_full_disk_keeps_the_previous_checkpoint(tmp_path, full_disk):
    full_disk["from_step"] = 20
    ck.save_checkpoint(tmp_path, 10, tensors(1.0), {"note": "kept"})
    with pytest.raises(OSError) as raised:
        ck.save_checkpoint(tmp_path, 20, tensors(2.0), {})
    assert raised.value.errno == errno.ENOSPC
    assert files(tmp_path) == ["step-0000010.json", "step-0000010.safetensors"]
    latest = ck.load_latest(tmp_path)
    assert latest.step == 10 and torch.equal(latest.tensors["G_ema.weight"], tensors(1.0)["G_ema.weight"])


def test_a_full_disk_between_tensors_and_json_leaves_no_unpaired_file(tmp_path, monkeypatch):
    ck.save_checkpoint(tmp_path, 10, tensors(1.0), {})

    def no_space(path, text):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(ck, "write_text_atomically", no_space)
    with pytest.raises(OSError):
        ck.save_checkpoint(tmp_path, 20, tensors(2.0), {})
    assert files(tmp_path) == ["step-0000010.json", "step-0000010.safetensors"]
    assert ck.load_latest(tmp_path).step == 10


def test_training_on_a_full_disk_says_so_and_keeps_the_previous_checkpoint(tmp_path, toy_domain, full_disk):
    full_disk["from_step"] = 20
    session = TrainingSession.create(tmp_path / "run", get_domain("toy"), write_toy_folder(tmp_path / "data"), steps=30, seed=3,
                                     device="cpu", overrides={"checkpoint_every": 10})
    events = []
    session.run(lambda event: events.append((event.kind, event.payload())))
    messages = [p["text"] for kind, p in events if kind == "message" and "checkpoint" in p["text"]]
    folder = session.run_dir.checkpoints
    assert messages and messages[0] == (f"could not save a checkpoint in {folder}: No space left on device; "
                                        "the previous checkpoint is kept")
    assert ck.load_latest(folder).step == 10
    assert files(folder) == ["step-0000010.json", "step-0000010.safetensors"]


def test_files_left_by_a_killed_writer_are_removed(tmp_path):
    run = RunDir.create(tmp_path / "run", {"domain": "toy"})
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stray = run.checkpoints / f".step-0000020.safetensors.{int(dead.stdout)}-1.tmp"
    live = run.checkpoints / f".step-0000020.json.{os.getpid()}-1.tmp"  # a writer in this process, still at it
    stray.write_bytes(b"half")
    live.write_bytes(b"half")
    RunDir.open(run.path)
    assert not stray.exists() and live.exists()
    ck.save_checkpoint(run.checkpoints, 10, tensors(1.0), {})
    (run.checkpoints / "step-0000010.json").unlink()  # killed between the tensor file and its JSON
    ck.save_checkpoint(run.checkpoints, 20, tensors(2.0), {})
    ck.prune(run.checkpoints)
    assert not (run.checkpoints / "step-0000010.safetensors").exists()
    assert ck.load_latest(run.checkpoints).step == 20


def test_resumed_adam_moments_keep_their_parameters_layout(tmp_path):
    """A channels_last conv resumed from a checkpoint takes the same fused Adam step as one never stopped."""
    def conv():
        torch.manual_seed(0)
        return torch.nn.Conv2d(3, 4, 3).to(memory_format=torch.channels_last)

    def step(module, optimizer, seed):
        module.zero_grad()
        module(torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(seed))).square().mean().backward()
        optimizer.step()

    kept = conv()
    kept_opt = torch.optim.Adam(kept.parameters(), lr=0.01, fused=True)
    step(kept, kept_opt, 1)
    saved, plain = ck.flatten_optimizer(kept_opt.state_dict(), "opt")
    ck.save_checkpoint(tmp_path, 1, {**ck.module_tensors(kept, "net"), **saved}, {"opt": plain})
    loaded = ck.load_latest(tmp_path)
    resumed = conv()
    ck.load_module(resumed, loaded.tensors, "net")
    resumed_opt = torch.optim.Adam(resumed.parameters(), lr=0.01, fused=True)
    ck.load_optimizer(resumed_opt, loaded.tensors, loaded.info["opt"], "opt")
    step(kept, kept_opt, 2)
    step(resumed, resumed_opt, 2)
    assert torch.equal(kept.weight, resumed.weight)


def test_a_checkpoint_of_older_nets_is_refused_with_what_differs():
    """A run saved before the nets grew (a new layer, a wider one) says so instead of torch's key dump."""
    old = torch.nn.Sequential(torch.nn.Linear(3, 4))
    saved = ck.module_tensors(old, "G")
    grown = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    with pytest.raises(ck.CheckpointError, match=r"saved G was written for other nets.*lacks 1\.bias, 1\.weight"):
        ck.load_module(grown, saved, "G")
    wider = torch.nn.Sequential(torch.nn.Linear(3, 5))
    with pytest.raises(ck.CheckpointError, match=r"other shapes for 0\.bias, 0\.weight"):
        ck.load_module(wider, saved, "G")
    same = torch.nn.Sequential(torch.nn.Linear(3, 4))
    ck.load_module(same, saved, "G")
    assert torch.equal(same[0].weight, old[0].weight)
