"""Run folders: what a user can open, copy and share.

```
<run>/run.json          config, corpus fingerprint and meta, software versions
<run>/metrics.jsonl     one line per logged step
<run>/checkpoints/      safetensors + JSON (see checkpoints.py)
<run>/samples/          fixed-seed outputs through time (step-NNNNNNN.npz)
<run>/directions/       steerable latent directions of a checkpoint (see directions.py)
<run>/exports/          what the user exported
```
"""
from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from studio.core.files import remove_stray_temporaries, write_atomically, write_text_atomically

RUN_FILE = "run.json"


def software_versions() -> dict[str, str]:
    import torch

    import studio

    return {
        "studio": studio.__version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
    }


def is_run(path: str | Path) -> bool:
    return (Path(path) / RUN_FILE).is_file()


def studio_folder() -> Path:
    """Where the window keeps runs and demo data: ``GAN Studio`` in the user's Documents folder.

    The Documents folder is the system's own (platformdirs: ``~/Documents`` on macOS
    and Windows, ``$XDG_DOCUMENTS_DIR`` on Linux) because runs are the artist's work,
    to find, back up and share.  A ``~/GAN Studio`` from earlier versions stays in use.
    """
    import platformdirs

    earlier = Path.home() / "GAN Studio"
    return earlier if earlier.is_dir() else Path(platformdirs.user_documents_dir()) / "GAN Studio"


def default_runs_root() -> Path:
    """``$GAN_STUDIO_RUNS`` or ``runs`` in :func:`studio_folder`: where the window puts new runs."""
    env = os.environ.get("GAN_STUDIO_RUNS")
    return Path(env) if env else studio_folder() / "runs"


class RunDir:
    """One run folder; every write is atomic or append-only, so a crash leaves a readable run."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def samples(self) -> Path:
        return self.path / "samples"

    @property
    def exports(self) -> Path:
        return self.path / "exports"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    @classmethod
    def create(cls, path: str | Path, config: dict[str, Any]) -> "RunDir":
        run = cls(path)
        if is_run(run.path):
            raise FileExistsError(f"{run.path} already holds a run")
        for sub in (run.path, run.checkpoints, run.samples, run.exports):
            sub.mkdir(parents=True, exist_ok=True)
        run.write_config(dict(config, created=time.strftime("%Y-%m-%dT%H:%M:%S"), software=software_versions()))
        return run

    @classmethod
    def open(cls, path: str | Path) -> "RunDir":
        run = cls(path)
        if not is_run(run.path):
            raise FileNotFoundError(f"{run.path} is not a GAN Studio run (no {RUN_FILE})")
        for sub in (run.path, run.checkpoints, run.samples, run.exports):
            sub.mkdir(parents=True, exist_ok=True)
            remove_stray_temporaries(sub)
        return run

    def read_config(self) -> dict[str, Any]:
        try:
            return json.loads((self.path / RUN_FILE).read_text("utf-8"))
        except ValueError as exc:
            raise ValueError(f"{self.path / RUN_FILE}: damaged run description ({exc})") from exc

    def write_config(self, config: dict[str, Any]) -> None:
        write_text_atomically(self.path / RUN_FILE, json.dumps(config, indent=2, ensure_ascii=False))

    def append_metrics(self, records: Iterable[dict[str, Any]]) -> None:
        lines = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records)
        if lines:
            with open(self.metrics_path, "a", encoding="utf-8") as f:
                f.write(lines)

    def read_metrics(self) -> list[dict[str, Any]]:
        """Every logged record; a line cut short by a crash is ignored."""
        if not self.metrics_path.exists():
            return []
        records = []
        with open(self.metrics_path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    records.append(json.loads(line))
                except ValueError:
                    continue
        return records

    def truncate_metrics(self, after_step: int) -> None:
        """Drops records past ``after_step`` so a resumed run continues one curve, not two overlapping ones."""
        kept = [r for r in self.read_metrics() if r.get("step", 0) <= after_step]
        write_text_atomically(self.metrics_path, "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in kept))

    def save_samples(self, step: int, outputs: np.ndarray, seeds: list[int]) -> Path:
        def write(tmp: Path) -> None:
            with open(tmp, "wb") as f:
                np.savez_compressed(f, outputs=outputs.astype(np.float16), seeds=np.asarray(seeds, np.int64))

        return write_atomically(self.samples / f"step-{step:07d}.npz", write)

    def list_samples(self) -> list[tuple[int, Path]]:
        found = []
        for p in self.samples.glob("step-*.npz"):
            stem = p.name[len("step-"):-len(".npz")]
            if stem.isdigit():
                found.append((int(stem), p))
        return sorted(found)

    @staticmethod
    def load_samples(path: str | Path) -> tuple[np.ndarray, list[int]]:
        with np.load(path) as data:
            return data["outputs"].astype(np.float32), [int(s) for s in data["seeds"]]
