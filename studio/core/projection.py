"""Placing an artist's own work in the latent space: the z whose generated artifact is closest to it.

Any medium can be placed: the domain turns a file into a target in G's
output space (``projection_target``) and says how far an output is from it
(``projection_loss``, per sample, with no downloaded weights); everything
else is here.  The search is the classic one of GAN inversion without an
encoder: many seeds are scored, the few best are optimised together with
Adam (a learning rate that warms up and then decays on a cosine, and
latent noise that shrinks to nothing, as StyleGAN2's projector does, so
early steps explore and late ones settle), and the best of them wins.  A
small pull toward the Gaussian shell keeps the result a latent the pad can
blend with its other corners.

Where ``extension_steps`` asks for it, a second stage keeps the winning z
and learns a per-layer latent extension (core/latent_extension.py): an
offset on G's early features, held near zero by a penalty, which reaches
pictures that no z of a one-input generator draws.

Every number that decides the result (the seeds, the order of the batch,
the noise) is drawn from a generator seeded by ``ProjectionSettings.seed``,
so the same model, target and settings give the same latent every time.

Placements are saved with the run (``<run>/placements/<name>.json``), so a
picture placed once can be found again without projecting it again.
"""
from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from studio.core.files import write_text_atomically
from studio.core.latent import seeds_to_z
from studio.core.latent_extension import as_recorded, extended, feature_size
from studio.core.validation import DescriptionError, read_description

if TYPE_CHECKING:
    import torch

FOLDER = "placements"


class ProjectionCancelled(Exception):
    """The user stopped a placement; what was found so far was handed to the progress callback."""


@dataclass(frozen=True)
class ProjectionSettings:
    """How hard to search: ``seeds`` scored, the best ``starts`` optimised for ``steps`` Adam steps."""

    seeds: int = 256
    starts: int = 4
    steps: int = 300
    lr: float = 0.2
    noise: float = 0.3  # latent noise at the first step, in standard deviations; it decays to 0 by mid-run
    prior: float = 0.003  # weight of the pull of |z|² / z_dim toward 1 (the Gaussian shell)
    seed: int = 0
    report_every: int = 10  # steps between progress reports
    extension_steps: int = 0  # Adam steps of the latent extension after z's, z held; 0: z alone
    extension_lr: float = 0.05
    extension_penalty: float = 0.2  # weight of the extension's mean square, which keeps it near zero


RECONSTRUCTION = ProjectionSettings(extension_steps=200)
"""What ``studio project`` searches with: z, then the latent extension, since its reconstruction keeps both."""


@dataclass
class ProjectionProgress:
    """What a progress callback receives: the best latent so far and its distance (lower is closer)."""

    step: int
    total: int
    distance: float
    z: np.ndarray
    output: "torch.Tensor"  # G(z) of the best latent so far, (1, ...) on the CPU, for the UI to decode
    extension: np.ndarray | None = None  # the best latent extension so far, in its second stage


@dataclass
class Projection:
    """A placed target: its latent (and extension), its distance, and the best seed's distance it started from.

    ``z_distance`` is the distance of z alone, before any extension.
    """

    z: np.ndarray
    distance: float
    seed_distance: float
    seed: int
    steps: int
    seconds: float
    extension: np.ndarray | None = None
    z_distance: float | None = None

    def record(self) -> dict[str, Any]:
        """What an export or the run's placement file stores (a latent of plain floats)."""
        record: dict[str, Any] = {
            "latent": [round(float(v), 6) for v in self.z], "distance": round(self.distance, 6),
            "seed_distance": round(self.seed_distance, 6), "start_seed": self.seed, "steps": self.steps}
        if self.extension is not None:
            record["extension"] = [round(float(v), 6) for v in self.extension]
            record["z_distance"] = round(float(self.z_distance), 6)
        return record


ProgressCallback = Callable[[ProjectionProgress], None]


def distances(model: Any, z: np.ndarray, target: "torch.Tensor", batch: int = 64) -> np.ndarray:
    """The domain's distance from ``target`` of each latent's output (no gradients), batch by batch."""
    import torch

    target = target.to(model.device)
    out = []
    with torch.no_grad():
        for start in range(0, len(z), batch):
            chunk = torch.from_numpy(np.ascontiguousarray(z[start:start + batch], np.float32)).to(model.device)
            out.append(model.domain.projection_loss(model.generator(chunk).float(), target).cpu())
    return torch.cat(out).numpy().astype(np.float64)


def project(model: Any, target: "torch.Tensor", settings: ProjectionSettings = ProjectionSettings(),
            progress: ProgressCallback | None = None, cancel: Callable[[], bool] | None = None) -> Projection:
    """The latent of ``model`` whose output is closest to ``target`` (1, ...) by the domain's distance.

    ``progress`` is called every ``report_every`` steps with the best so far;
    ``cancel`` returning True stops the search with :class:`ProjectionCancelled`.
    """
    import torch

    started = time.perf_counter()
    device = model.device
    target = target.to(device).float()
    rng = np.random.default_rng(settings.seed)
    seeds = [int(s) for s in rng.integers(0, 2**31 - 1, size=max(1, settings.seeds))]
    scores = distances(model, seeds_to_z(seeds, model.z_dim), target)
    order = np.argsort(scores, kind="stable")[:max(1, settings.starts)]
    start_z = seeds_to_z([seeds[i] for i in order], model.z_dim)
    z = torch.tensor(start_z, device=device, requires_grad=True)
    noise = torch.from_numpy(rng.standard_normal((settings.steps, *start_z.shape)).astype(np.float32)).to(device)
    optimiser = torch.optim.Adam([z], lr=settings.lr, betas=(0.9, 0.999))
    best_z, best = start_z[0].copy(), float(scores[order[0]])
    best_output: torch.Tensor | None = None
    total = settings.steps + settings.extension_steps
    for step in range(settings.steps):
        if cancel is not None and cancel():
            raise ProjectionCancelled("placement stopped")
        optimiser.param_groups[0]["lr"] = _learning_rate(settings, step)
        shake = settings.noise * max(0.0, 1.0 - step / (0.5 * settings.steps)) ** 2
        tried = z + shake * noise[step]
        output = model.generator(tried).float()
        loss = model.domain.projection_loss(output, target)
        i = int(torch.argmin(loss.detach()))
        if float(loss[i].detach()) < best:  # the latent scored, noise included: its output is the one just seen
            best, best_output = float(loss[i].detach()), output[i:i + 1].detach().cpu()
            best_z = tried.detach()[i].cpu().numpy().copy()
        shell = (z.pow(2).mean(dim=1) - 1.0).pow(2)
        optimiser.zero_grad(set_to_none=True)
        (loss + settings.prior * shell).sum().backward()
        optimiser.step()
        if progress is not None and ((step + 1) % settings.report_every == 0 or step + 1 == total):
            progress(ProjectionProgress(step + 1, total, best, best_z.copy(),
                                        best_output if best_output is not None else _output(model, best_z)))
    placed = Projection(best_z.astype(np.float32), best, float(scores[order[0]]), seeds[int(order[0])],
                        settings.steps, 0.0)
    if settings.extension_steps > 0:
        placed = _extend(model, target, placed, settings, progress, cancel)
    placed.seconds = time.perf_counter() - started
    return placed


def _extend(model: Any, target: "torch.Tensor", placed: Projection, settings: ProjectionSettings,
            progress: ProgressCallback | None, cancel: Callable[[], bool] | None) -> Projection:
    """The second stage: z held, an offset on G's early features learned from zero, penalised by its mean square.

    The result is rounded as its record is, and its distance measured after
    that rounding, so the distance told is the one a re-render gives.
    """
    import torch

    z = torch.from_numpy(placed.z[None]).to(model.device)
    offset = torch.zeros(1, feature_size(model.generator, model.z_dim, model.device), device=model.device,
                         requires_grad=True)
    optimiser = torch.optim.Adam([offset], lr=settings.extension_lr)
    stage = ProjectionSettings(steps=settings.extension_steps, lr=settings.extension_lr)
    best, best_offset = placed.distance, np.zeros(offset.shape[1], np.float32)
    total = settings.steps + settings.extension_steps
    for step in range(settings.extension_steps):
        if cancel is not None and cancel():
            raise ProjectionCancelled("placement stopped")
        optimiser.param_groups[0]["lr"] = _learning_rate(stage, step)
        with extended(model.generator, offset):
            output = model.generator(z).float()
        loss = model.domain.projection_loss(output, target)[0]
        if float(loss.detach()) < best:
            best, best_offset = float(loss.detach()), offset.detach()[0].cpu().numpy().copy()
        optimiser.zero_grad(set_to_none=True)
        (loss + settings.extension_penalty * offset.pow(2).mean()).backward()
        optimiser.step()
        done = settings.steps + step + 1
        if progress is not None and (done % settings.report_every == 0 or done == total):
            progress(ProjectionProgress(done, total, best, placed.z.copy(),
                                        _output(model, placed.z, best_offset), best_offset.copy()))
    recorded = as_recorded(best_offset)
    z_recorded = as_recorded(placed.z)
    with torch.no_grad(), extended(model.generator, torch.from_numpy(recorded[None])):
        distance = distances(model, z_recorded[None], target)[0]
    return Projection(z_recorded, float(distance), placed.seed_distance, placed.seed, settings.steps, 0.0,
                      recorded, placed.distance)


def _learning_rate(settings: ProjectionSettings, step: int) -> float:
    """A short warm-up, then a cosine down to nothing: large moves while exploring, small ones at the end."""
    t = step / max(1, settings.steps)
    warm = min(1.0, t / 0.05)
    return settings.lr * warm * 0.5 * (1.0 + math.cos(math.pi * t))


def _output(model: Any, z: np.ndarray, extension: np.ndarray | None = None) -> "torch.Tensor":
    import torch

    offset = None if extension is None else torch.from_numpy(extension[None]).to(model.device)
    with torch.no_grad(), extended(model.generator, offset):
        return model.generator(torch.from_numpy(z[None]).to(model.device)).float().cpu()


def placements_folder(run_path: str | Path) -> Path:
    return Path(run_path) / FOLDER


def placement_name(source: str | Path) -> str:
    """A file name for the run's record of a placed ``source``: its stem, in safe characters."""
    stem = re.sub(r"[^\w.-]+", "-", Path(source).stem).strip("-.") or "placed"
    return stem[:80]


def save_placement(run_path: str | Path, source: str | Path, projection: Projection, step: int) -> Path:
    """Keeps a placement with the run: where it came from, the checkpoint step and the latent."""
    path = placements_folder(run_path) / f"{placement_name(source)}-step{int(step)}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"source": str(source), "step": int(step), **projection.record()}
    write_text_atomically(path, json.dumps(record, indent=1, ensure_ascii=False))
    return path


def load_placement(path: str | Path, z_dim: int) -> tuple[np.ndarray, dict[str, Any]]:
    """A saved placement's latent (checked: its size and finite numbers) and its record."""
    path = Path(path)
    try:
        record = read_description(path)
    except DescriptionError as exc:
        raise ValueError(str(exc)) from exc
    try:
        z = np.asarray(record["latent"], np.float32)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: not a placement file ({exc})") from exc
    if z.shape != (z_dim,) or not np.isfinite(z).all():
        raise ValueError(f"{path}: a latent of shape {z.shape} with finite numbers was expected of size {z_dim}")
    return z, record
