"""Edited or damaged run folders and model files are refused in one line, before any net is allocated."""
import json
import math
import pickle
import shutil
from pathlib import Path

import pytest
import torch

from studio.cli import main
from studio.core import validation
from studio.core.checkpoints import CheckpointError, list_checkpoints
from studio.core.model import load_model, load_model_file, shipped_model_path
from studio.core.validation import DescriptionError, read_header
from toy_domain import write_toy_folder
from studio.domains import get_domain

BIG = 10**8  # elements: a real tensor this large means the nets were built from the tampered numbers


@pytest.fixture
def run(tmp_path, toy_domain):
    run = tmp_path / "run"
    data = write_toy_folder(tmp_path / "data")
    assert main(["train", "toy", str(data), "--out", str(run), "--steps", "10", "--seed", "1"]) == 0
    return run


@pytest.fixture
def allocations(monkeypatch):
    """Sizes of real (not meta-device) tensors asked of torch's factories; a huge one fails the test at once."""
    sizes: list[int] = []

    def watch(name: str) -> None:
        original = getattr(torch, name)

        def factory(*args, **kwargs):
            shape = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list, torch.Size)) else args
            if all(isinstance(n, int) for n in shape) and torch.device(kwargs.get("device") or
                                                                        torch.get_default_device()).type != "meta":
                sizes.append(math.prod(shape))
                assert sizes[-1] < BIG, f"torch.{name} asked for {sizes[-1]:,} elements"
            return original(*args, **kwargs)

        monkeypatch.setattr(torch, name, factory)

    for name in ("empty", "zeros", "ones", "randn", "rand"):
        watch(name)
    return sizes


def edit_run(run: Path, change) -> None:
    config = json.loads((run / "run.json").read_text())
    change(config)
    (run / "run.json").write_text(json.dumps(config))


def refusal(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def sample_argv(run: Path, tmp_path: Path) -> list[str]:
    return ["sample", str(run), "--count", "2", "--out", str(tmp_path / "out")]


def test_tampered_z_dim_is_refused_before_allocating(run, tmp_path, capsys, allocations):
    capsys.readouterr()
    edit_run(run, lambda c: c["preset"].update(z_dim=10_000_000))
    err = refusal(capsys, sample_argv(run, tmp_path))
    assert "run.json" in err and "z_dim = 10,000,000 is out of range" in err
    assert max(allocations, default=0) < BIG
    err = refusal(capsys, ["train", "toy", str(tmp_path / "data"), "--out", str(run), "--steps", "20"])
    assert "z_dim" in err


def test_nets_beyond_the_size_budget_are_refused_on_the_meta_device(run, tmp_path, capsys, allocations, monkeypatch):
    """A size no declared limit covers is still caught: the nets are built on the meta device and weighed."""
    monkeypatch.setitem(validation.PRESET_LIMITS, "z_dim", (1, 10**9))
    capsys.readouterr()
    edit_run(run, lambda c: c["preset"].update(z_dim=50_000_000))
    err = refusal(capsys, sample_argv(run, tmp_path))
    assert "describes nets of 6.0 GiB" in err and str(run / "run.json") in err
    assert max(allocations, default=0) < BIG


def test_a_tensor_shape_other_than_the_nets_is_refused(run, tmp_path, capsys, allocations):
    capsys.readouterr()
    edit_run(run, lambda c: c["preset"].update(z_dim=16))
    err = refusal(capsys, sample_argv(run, tmp_path))
    assert ".safetensors: tensor G_ema.0.weight has shape [32, 8], the nets its description builds hold [32, 16]" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("damage, reason", [
    (lambda c: "{not json", "not valid JSON"),
    (lambda c: json.dumps({k: v for k, v in c.items() if k != "corpus"}), "missing key 'corpus'"),
    (lambda c: json.dumps(dict(c, preset={k: v for k, v in c["preset"].items() if k != "name"})),
     "missing key 'preset.name'"),
    (lambda c: json.dumps(dict(c, preset=dict(c["preset"], batch_size=-8))), "batch_size = -8 is negative"),
    (lambda c: json.dumps(dict(c, preset=dict(c["preset"], lr_g="fast"))), "preset.lr_g should be a finite number"),
    (lambda c: json.dumps(dict(c, preset=dict(c["preset"], shiny=1))), "unknown preset setting 'shiny'"),
    (lambda c: json.dumps(dict(c, domain="sculpture")), "unknown domain 'sculpture'"),
    (lambda c: "[1, 2]", "expected a JSON object"),
])
def test_damaged_run_descriptions_are_refused_in_one_line(run, tmp_path, capsys, damage, reason):
    config = json.loads((run / "run.json").read_text())
    (run / "run.json").write_text(damage(config))
    capsys.readouterr()
    err = refusal(capsys, sample_argv(run, tmp_path))
    assert str(run / "run.json") in err and reason in err


def test_a_tensor_of_the_wrong_dtype_is_refused(run):
    from safetensors.torch import load_file, save_file

    json_path = list_checkpoints(run / "checkpoints")[-1][1]
    record = json.loads(json_path.read_text())
    tensor_path = json_path.with_name(record["tensors"])
    tensors = load_file(str(tensor_path))
    tensors["G_ema.0.weight"] = tensors["G_ema.0.weight"].double()
    save_file(tensors, str(tensor_path))
    record["sha256"] = ""  # as someone re-saving the file would leave it: only the header can tell
    json_path.write_text(json.dumps(record))
    with pytest.raises(CheckpointError, match=r"tensor G_ema\.0\.weight is F64, the nets hold F32"):
        load_model(run, get_domain, checkpoint=json_path)


@pytest.fixture
def model_file(tmp_path) -> Path:
    source = shipped_model_path("painting")
    target = tmp_path / "shared.safetensors"
    shutil.copy(source, target)
    shutil.copy(source.with_suffix(".json"), target.with_suffix(".json"))
    return target


def test_a_domain_declares_its_own_limits(model_file, allocations):
    record = json.loads(model_file.with_suffix(".json").read_text())
    record["meta"]["size"] = -64
    model_file.with_suffix(".json").write_text(json.dumps(record))
    with pytest.raises(DescriptionError, match=r"shared\.json: meta\.size = -64 is negative"):
        load_model_file(model_file, get_domain)


def test_a_pickle_renamed_safetensors_is_refused_without_running(model_file, tmp_path):
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    model_file.write_bytes(pickle.dumps({"G_ema.weight": Payload()}))
    with pytest.raises(DescriptionError, match="shared.safetensors: not a safetensors file"):
        load_model_file(model_file, get_domain)
    torch.save({"G_ema.weight": torch.zeros(2)}, model_file)  # torch's own zip of pickles
    with pytest.raises(DescriptionError, match="not a safetensors file"):
        load_model_file(model_file, get_domain)
    assert not marker.exists()


def test_a_header_promising_more_than_the_file_holds_is_refused(tmp_path):
    header = json.dumps({"w": {"dtype": "F32", "shape": [100_000, 100_000], "data_offsets": [0, 16]}}).encode()
    path = tmp_path / "liar.safetensors"
    path.write_bytes(len(header).to_bytes(8, "little") + header + bytes(16))
    with pytest.raises(DescriptionError, match="the header's entry for w is inconsistent"):
        read_header(path)


def test_the_window_opens_a_tampered_run_with_the_reason_and_no_model(run, allocations):
    from studio.ui.run_history import load_run_history

    edit_run(run, lambda c: c["preset"].update(z_dim=10_000_000))
    history = load_run_history(str(run))
    assert history.model is None and len(history.steps)  # the curves still show; the model is refused
    assert any("run.json: preset.z_dim = 10,000,000 is out of range" in note for note in history.notes)
    assert max(allocations, default=0) < BIG


def test_resuming_checks_the_critic_too(run, tmp_path, capsys):
    from safetensors.torch import load_file, save_file

    json_path = list_checkpoints(run / "checkpoints")[-1][1]
    record = json.loads(json_path.read_text())
    tensor_path = json_path.with_name(record["tensors"])
    tensors = load_file(str(tensor_path))
    tensors["D.1.weight"] = torch.zeros(33, 64)
    save_file(tensors, str(tensor_path))
    json_path.write_text(json.dumps(dict(record, sha256="")))
    capsys.readouterr()
    err = refusal(capsys, ["train", "toy", str(tmp_path / "data"), "--out", str(run), "--steps", "20"])
    assert "tensor D.1.weight has shape [33, 64], the nets its description builds hold [32, 64]" in err
