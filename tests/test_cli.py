"""The command-line contract, on the tiny test domain (each medium's own files: test_cli_media.py)."""
import json

import numpy as np
import pytest

from studio.cli import main
from studio.core.model import load_model
from toy_domain import write_toy_folder
from studio.domains import get_domain


@pytest.fixture
def data_dir(tmp_path, toy_domain):
    return write_toy_folder(tmp_path / "data")


def test_train_then_resume_to_more_steps(tmp_path, data_dir, capsys):
    run = tmp_path / "run"
    assert main(["train", "toy", str(data_dir), "--out", str(run), "--steps", "10", "--seed", "2"]) == 0
    assert main(["train", "toy", str(data_dir), "--out", str(run), "--steps", "20"]) == 0
    err = capsys.readouterr().err
    assert "resumed from step-0000010.json" in err and "finished at step 20" in err
    assert json.loads((run / "run.json").read_text())["steps"] == 20


def test_sample_is_reproducible_and_writes_files(tmp_path, data_dir):
    run = tmp_path / "run"
    main(["train", "toy", str(data_dir), "--out", str(run), "--steps", "10"])
    assert main(["sample", str(run), "--count", "3", "--seed", "7", "--out", str(tmp_path / "a")]) == 0
    assert main(["sample", str(run), "--count", "3", "--seed", "7", "--out", str(tmp_path / "b")]) == 0
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == ["toy-seed7.json", "toy-seed8.json", "toy-seed9.json"]
    for name in names:
        a = json.loads((tmp_path / "a" / name).read_text())
        b = json.loads((tmp_path / "b" / name).read_text())
        assert a["pixels"] == b["pixels"] and a["seed"] == int(name[8:-5])
        assert len(a["latent"]) == 8


def test_interpolate_writes_a_walk(tmp_path, data_dir):
    run = tmp_path / "run"
    main(["train", "toy", str(data_dir), "--out", str(run), "--steps", "10"])
    out = tmp_path / "walk.json"
    assert main(["interpolate", str(run), "--seeds", "1", "2", "3", "--frames", "9", "--out", str(out)]) == 0
    walk = json.loads(out.read_text())
    assert len(walk["images"]) == 9 and walk["seeds"] == [1, 2, 3] and walk["frames"] == 9
    model = load_model(run, get_domain)
    first, middle, last = model.render_seeds([1, 2, 3])
    assert np.array_equal(np.array(walk["images"][0]), first)
    assert np.array_equal(np.array(walk["images"][4]), middle)
    assert np.array_equal(np.array(walk["images"][8]), last)


def test_import_reports_and_exit_codes(tmp_path, data_dir, capsys):
    (data_dir / "broken.json").write_text("{not json")
    assert main(["import", "toy", str(data_dir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["items"] == 24 and report["skipped"][0]["path"].endswith("broken.json")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["import", "toy", str(empty)]) == 1
    assert main(["import", "toy", str(tmp_path / "missing")]) == 2


def test_errors_are_messages_not_tracebacks(tmp_path, toy_domain, capsys):
    assert main(["sample", str(tmp_path / "nowhere"), "--count", "1", "--out", str(tmp_path / "o")]) == 2
    assert "not a GAN Studio run" in capsys.readouterr().err


def test_export_model_round_trips_in_half_precision(tmp_path, data_dir):
    from studio.core.model import load_model_file

    run = tmp_path / "run"
    main(["train", "toy", str(data_dir), "--out", str(run), "--steps", "10"])
    assert main(["export-model", str(run), "--out", str(tmp_path / "toy-model.safetensors"), "--note", "hi"]) == 0
    shipped = load_model_file(tmp_path / "toy-model.safetensors", get_domain)
    original = load_model(run, get_domain)
    assert shipped.step == 10 and shipped.domain.name == "toy"
    a, b = shipped.render_seeds([1, 2]), original.render_seeds([1, 2])
    assert all(np.abs(x.astype(int) - y.astype(int)).max() <= 2 for x, y in zip(a, b))
    assert json.loads((tmp_path / "toy-model.json").read_text())["note"] == "hi"
