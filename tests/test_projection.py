"""Placing a picture: the optimiser beats random seeds, repeats itself, can be stopped, and its CLI contracts hold."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image

from painting_runs import train_noise_run
from studio.cli import main
from studio.core.latent import seeds_to_z
from studio.core.latent_extension import extended, feature_size
from studio.core.model import load_model
from studio.core.projection import (ProjectionCancelled, ProjectionSettings, distances, load_placement, project,
                                    save_placement)
from studio.domains import get_domain
from studio.domains.painting.codec import read_png_info
from studio.domains.painting.projection import load_target, picture_distance

QUICK = ProjectionSettings(seeds=32, starts=2, steps=60, report_every=20)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    return train_noise_run(tmp_path_factory.mktemp("projection"), seed=3, steps=(3,))


@pytest.fixture(scope="module")
def model(tiny_run):
    return load_model(tiny_run, get_domain)


def reachable_target(model) -> torch.Tensor:
    """A picture the generator can make, from a latent that is no seed's: the optimiser can find it, chance cannot."""
    z = np.random.default_rng(99).standard_normal((1, model.z_dim)).astype(np.float32) * 1.2
    with torch.no_grad():
        return model.generator(torch.from_numpy(z)).float()


def test_projection_beats_the_best_of_many_random_seeds(model):
    target = reachable_target(model)
    random_best = distances(model, seeds_to_z(list(range(10_000, 10_500)), model.z_dim), target).min()
    result = project(model, target, QUICK)
    assert result.distance < 0.5 * random_best
    assert result.distance < result.seed_distance
    again = distances(model, result.z[None], target)[0]  # the latent returned is the one whose distance is told
    assert again == pytest.approx(result.distance, rel=1e-4, abs=1e-6)


def test_the_same_inputs_give_the_same_latent_and_progress_improves(model):
    target = reachable_target(model)
    seen = []
    first = project(model, target, QUICK, progress=seen.append)
    second = project(model, target, QUICK)
    np.testing.assert_array_equal(first.z, second.z)
    assert [p.step for p in seen] == [20, 40, 60]
    assert all(b.distance <= a.distance for a, b in zip(seen, seen[1:]))
    assert seen[-1].output.shape == (1, 3, 32, 32) and seen[-1].distance == first.distance


def test_the_latent_extension_gets_closer_than_z_alone_and_its_distance_is_the_rendered_one(model):
    target = torch.from_numpy(np.random.default_rng(4).uniform(-1, 1, (1, 3, 32, 32)).astype(np.float32))
    seen = []
    result = project(model, target, replace(QUICK, extension_steps=40), progress=seen.append)
    assert result.extension is not None and result.distance < 0.95 * result.z_distance
    assert [p.step for p in seen] == [20, 40, 60, 80, 100] and seen[-1].extension is not None
    with extended(model.generator, torch.from_numpy(result.extension[None])):
        assert distances(model, result.z[None], target)[0] == pytest.approx(result.distance, rel=1e-5)
    assert distances(model, result.z[None], target)[0] == pytest.approx(result.z_distance, rel=1e-3)
    assert len(result.record()["extension"]) == result.extension.size


def test_a_placement_can_be_stopped(model):
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 5

    with pytest.raises(ProjectionCancelled):
        project(model, reachable_target(model), QUICK, cancel=cancel)


def test_picture_distance_is_zero_only_for_the_same_picture_and_sees_structure():
    rng = np.random.default_rng(0)
    a = torch.from_numpy(rng.uniform(-1, 1, (1, 3, 16, 16)).astype(np.float32))
    assert float(picture_distance(a, a)[0]) == 0.0
    flat = a.mean(dim=(2, 3), keepdim=True).expand_as(a)  # same average colour, no structure
    assert float(picture_distance(flat, a)[0]) > 0.3


def test_a_file_that_is_not_a_picture_is_refused_by_name(tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    with pytest.raises(ValueError, match="notes.png"):
        load_target(bad, 32)


def test_placements_are_kept_with_the_run_and_read_back(model, tmp_path):
    result = project(model, reachable_target(model), ProjectionSettings(seeds=8, starts=1, steps=5))
    path = save_placement(tmp_path, "my picture.png", result, step=3)
    assert path.parent.name == "placements" and path.name == "my-picture-step3.json"
    z, record = load_placement(path, model.z_dim)
    np.testing.assert_allclose(z, result.z, atol=1e-6)
    assert record["source"] == "my picture.png" and record["distance"] == pytest.approx(result.distance, abs=1e-6)
    with pytest.raises(ValueError, match="size"):
        load_placement(path, model.z_dim + 1)


def test_cli_project_writes_the_reconstruction_with_its_latent(tiny_run, tmp_path, capsys):
    picture = tmp_path / "mine.jpg"
    Image.fromarray(np.random.default_rng(5).integers(0, 256, (40, 56, 3), dtype=np.uint8)).save(picture)
    out = tmp_path / "placed.png"
    assert main(["project", str(tiny_run), str(picture), "--out", str(out), "--steps", "20",
                 "--extension-steps", "20"]) == 0
    printed = capsys.readouterr().out
    info = read_png_info(out)
    assert f"distance {info['distance']:.4f}" in printed
    assert len(info["latent"]) == 128 and info["placed"].endswith("mine.jpg") and info["steps"] == 20
    model = load_model(tiny_run, get_domain)
    extension = np.asarray(info["extension"], np.float32)
    assert extension.size == feature_size(model.generator, model.z_dim, model.device) and np.abs(extension).max() > 0
    again = model.render_exactly(np.asarray(info["latent"], np.float32)[None], extension=extension[None])[0]
    np.testing.assert_array_equal(np.asarray(Image.open(out).convert("RGB")), again)
    kept = list((tiny_run / "placements").glob("mine-step*.json"))
    assert kept and json.loads(kept[0].read_text())["source"] == str(picture)


def test_cli_project_names_a_bad_picture(tiny_run, tmp_path, capsys):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG broken")
    assert main(["project", str(tiny_run), str(bad), "--out", str(tmp_path / "x.png")]) == 2
    assert "broken.png" in capsys.readouterr().err


def test_cli_interpolates_between_two_pictures(tiny_run, tmp_path, capsys):
    pictures = []
    for i in range(2):
        pictures.append(tmp_path / f"p{i}.png")
        Image.fromarray(np.full((32, 32, 3), 60 + 120 * i, np.uint8)).save(pictures[-1])
    out = tmp_path / "walk.gif"
    assert main(["interpolate", str(tiny_run), "--images", *map(str, pictures), "--frames", "5",
                 "--place-steps", "10", "--out", str(out)]) == 0
    assert "5-frame walk through pictures p0.png p1.png" in capsys.readouterr().out
    with Image.open(out) as im:
        assert im.n_frames == 5
    info = read_png_info(out)
    assert [p.rsplit("/", 1)[-1] for p in info["images"]] == ["p0.png", "p1.png"] and len(info["latents"]) == 2
    with pytest.raises(SystemExit, match="one of them"):
        main(["interpolate", str(tiny_run), "--images", *map(str, pictures), "--seeds", "1", "2", "--out", str(out)])
