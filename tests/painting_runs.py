"""Tiny painting runs the CLI and window tests train themselves: a few cpu-32 steps on noise pictures."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from studio.cli import main


def train_noise_run(root: Path, seed: int, steps: tuple[int, ...] = (3,), pictures: int = 8,
                    run_name: str = "run") -> Path:
    """A run on ``pictures`` random 32 px pictures, trained to each of ``steps`` in turn (one session each,
    so every session's stop saves a gallery snapshot)."""
    data = root / "pictures"
    data.mkdir()
    rng = np.random.default_rng(seed)
    for i in range(pictures):
        Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(data / f"p{i}.png")
    run = root / run_name
    for target in steps:
        assert main(["train", "painting", str(data), "--out", str(run), "--steps", str(target),
                     "--preset", "cpu-32", "--batch", "4", "--seed", str(seed + 1)]) == 0
    return run
