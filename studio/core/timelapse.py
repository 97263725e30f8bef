"""The fixed-seed gallery through training, one frame per saved snapshot: how a run learned, as a film.

The frames come from ``<run>/samples/step-*.npz`` (what the session saves
every sample interval), so a timelapse needs no checkpoint and renders
nothing: it decodes what training drew, in step order, each frame captioned
with its step.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from studio.core.animation import ANIMATION_SUFFIXES, DEFAULT_FPS, INFO_KEY, write_animation
from studio.core.domain import DomainResolver, ModelContext
from studio.core.runs import RUN_FILE, RunDir
from studio.core.validation import plan_run, read_description

CAPTION_PX = 14


class TimelapseError(ValueError):
    """A run with nothing to film, a domain without pictures, or an output that is no animation."""


def timelapse_frames(run_dir: str | Path, domains: DomainResolver) -> tuple[list[int], list[np.ndarray], list[int]]:
    """(steps, captioned grid pictures, seeds) of every readable snapshot of the run, oldest first."""
    run = RunDir.open(run_dir)
    plan = plan_run(read_description(run.path / RUN_FILE), run.path / RUN_FILE, domains)
    grid_picture = plan.domain.grid_picture
    if grid_picture is None:
        raise TimelapseError(f"{run.path}: a {plan.domain.name} run has no pictures to make a timelapse of")
    ctx = ModelContext(plan.preset, plan.meta, torch.device("cpu"))
    steps: list[int] = []
    frames: list[np.ndarray] = []
    seeds: list[int] = []
    for step, path in run.list_samples():
        try:
            outputs, seeds = RunDir.load_samples(path)
            with torch.no_grad(), torch.random.fork_rng(devices=[]):
                picture = grid_picture(plan.domain.decode(torch.from_numpy(outputs), ctx))
        except Exception:  # a damaged snapshot is left out; the film goes on without it
            continue
        steps.append(step)
        frames.append(captioned(picture, f"step {step:,}"))
    if not frames:
        raise TimelapseError(f"{run.samples}: the run has no saved gallery snapshots yet; train it first")
    if len({f.shape for f in frames}) > 1:
        raise TimelapseError(f"{run.samples}: the snapshots have different sizes and cannot be one film")
    return steps, frames, seeds


def captioned(picture: np.ndarray, text: str) -> np.ndarray:
    """The picture with a dark band under it saying ``text`` (Pillow's built-in font: the same on every machine)."""
    top = Image.fromarray(np.ascontiguousarray(picture, np.uint8)).convert("RGB")
    canvas = Image.new("RGB", (top.width, top.height + CAPTION_PX), (24, 24, 24))
    canvas.paste(top, (0, 0))
    ImageDraw.Draw(canvas).text((4, top.height + 2), text, fill=(220, 220, 220), font=ImageFont.load_default(10))
    return np.asarray(canvas)


def write_timelapse(run_dir: str | Path, out: str | Path, domains: DomainResolver, fps: float = DEFAULT_FPS,
                    size: int | None = None) -> tuple[Path, int]:
    """Writes the run's timelapse as ``out``'s extension names; returns the file and its number of frames."""
    if Path(out).suffix.lower() not in ANIMATION_SUFFIXES:
        raise TimelapseError(f"{out}: a timelapse is written as {', '.join(ANIMATION_SUFFIXES)}")
    steps, frames, seeds = timelapse_frames(run_dir, domains)
    info = {"timelapse": str(Path(run_dir).resolve()), "steps": steps, "seeds": seeds, "fps": fps, "size": size}
    comment = INFO_KEY + ":" + json.dumps(info, separators=(",", ":"))
    return write_animation(frames, out, comment, fps, size), len(frames)
