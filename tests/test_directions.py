"""Directions you can steer: found from a tiny real painting run, stored with it, and --edit on the command line."""
from __future__ import annotations

import json

import numpy as np
import pytest

from painting_runs import train_noise_run
from studio.cli import main
from studio.core.directions import (DirectionsError, directions_path, find_directions, load_directions,
                                    save_directions)
from studio.core.model import load_model
from studio.domains.painting.codec import read_png_info
from studio.domains import get_domain


@pytest.fixture(scope="module")
def painting_run(tmp_path_factory):
    return train_noise_run(tmp_path_factory.mktemp("directions"), seed=1)


@pytest.fixture(scope="module")
def model(painting_run):
    return load_model(painting_run, get_domain)


def test_directions_are_orthonormal_repeatable_and_move_the_image(model):
    first = find_directions(model.generator, model.z_dim, model.device, model.step, samples=600)
    again = find_directions(model.generator, model.z_dim, model.device, model.step, samples=600)
    assert len(first) == 8 and first.vectors.shape == (8, model.z_dim)
    np.testing.assert_allclose(first.vectors @ first.vectors.T, np.eye(8), atol=1e-9)
    assert np.array_equal(first.vectors, again.vectors) and np.array_equal(first.sigma, again.sigma)
    assert np.all(first.sigma > 0.5) and np.all(np.diff(first.share) <= 1e-12)  # strongest first
    z = np.random.default_rng(5).standard_normal((1, model.z_dim)).astype(np.float32)
    base = model.render_exactly(z)[0]
    moved = model.render_exactly(first.apply(z, {"0": 3.0}))[0]
    assert np.abs(np.asarray(moved, np.float32) - np.asarray(base, np.float32)).mean() > 0.1  # levels of 255: a 3-step G is nearly grey
    # the strongest direction moves G's early features more than a random unit direction does
    random_dir = np.random.default_rng(9).standard_normal(model.z_dim)
    random_dir /= np.linalg.norm(random_dir)
    from studio.core.directions import early_activations
    strong = early_activations(model.generator, (z + 3 * first.vectors[0]).astype(np.float32), model.device)
    weak = early_activations(model.generator, (z + 3 * random_dir).astype(np.float32), model.device)
    still = early_activations(model.generator, z, model.device)
    assert np.linalg.norm(strong - still) > np.linalg.norm(weak - still)


def test_names_are_saved_validated_and_unique(model, tmp_path):
    found = find_directions(model.generator, model.z_dim, model.device, 7, count=3, samples=300)
    found.rename(1, "warmth")
    with pytest.raises(DirectionsError, match="already names"):
        found.rename(2, "warmth")
    path = save_directions(found, tmp_path)
    assert path == directions_path(tmp_path, 7) and path.name == "step-0000007.json"
    loaded = load_directions(path, model.z_dim)
    assert loaded.name(0) == "0" and loaded.name(1) == "warmth" and loaded.index("warmth") == 1
    with pytest.raises(DirectionsError, match="no direction named 'cold'"):
        loaded.index("cold")
    record = json.loads(path.read_text())
    record["vectors"][0][0] = 5.0
    path.write_text(json.dumps(record))
    with pytest.raises(DirectionsError, match="not orthonormal"):
        load_directions(path, model.z_dim)
    with pytest.raises(DirectionsError, match=r"expected \(1..64, 3\)"):
        load_directions(path, 3)
    path.write_text("{")
    with pytest.raises(DirectionsError, match=str(path.name)):
        load_directions(path, model.z_dim)


def test_edit_changes_the_output_is_recorded_and_repeats_byte_for_byte(painting_run, model, tmp_path, capsys):
    plain, edited, again = (tmp_path / n for n in ("plain.png", "edited.png", "again.png"))
    assert main(["sample", str(painting_run), "--count", "2", "--seed", "4", "--out", str(plain)]) == 0
    assert main(["sample", str(painting_run), "--count", "2", "--seed", "4", "--edit", "0=2.5", "--edit", "1=-1",
                 "--out", str(edited)]) == 0
    assert "found the directions of step" in capsys.readouterr().err
    assert directions_path(painting_run, model.step).is_file()
    assert main(["sample", str(painting_run), "--count", "2", "--seed", "4", "--edit", "0=2.5", "--edit", "1=-1",
                 "--out", str(again)]) == 0
    assert "found the directions" not in capsys.readouterr().err  # read back from the run this time
    assert edited.read_bytes() == again.read_bytes() and edited.read_bytes() != plain.read_bytes()
    info = read_png_info(edited)
    assert info["edits"] == {"0": 2.5, "1": -1.0} and info["directions_step"] == model.step
    assert "edits" not in read_png_info(plain)

    walk = tmp_path / "walk.gif"
    assert main(["interpolate", str(painting_run), "--seeds", "1", "2", "--frames", "3", "--edit", "2=1",
                 "--out", str(walk)]) == 0
    assert read_png_info(walk)["edits"] == {"2": 1.0}


def test_unknown_or_malformed_edits_exit_2_with_one_line(painting_run, tmp_path, capsys):
    for edit, reason in (("smile=1", "no direction named 'smile'"), ("0=lots", "expected NAME=VALUE")):
        assert main(["sample", str(painting_run), "--count", "1", "--edit", edit,
                     "--out", str(tmp_path / "x.png")]) == 2
        err = capsys.readouterr().err
        assert reason in err and err.count("\n") == 1
    assert not (tmp_path / "x.png").exists()
