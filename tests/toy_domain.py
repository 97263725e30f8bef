"""A deliberately tiny domain (8x8 grey bars) that exercises the generic pipeline quickly.

It is real code trained for real, just small: the core's tests use it so they
do not depend on any one medium's nets.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from studio.core import corpus_cache
from studio.core.augment import diff_augment
from studio.core.domain import Corpus, DomainBase, ImportReport, ModelContext, Preset


class ToyDomain(DomainBase):
    name = "toy"
    title = "Toy"
    artifact_suffix = ".json"
    walk_suffix = ".json"
    presets = {
        "tiny": Preset(
            name="tiny", description="8x8 bars", z_dim=8, batch_size=8, lr_g=1e-3, lr_d=1e-3,
            steps=20, sample_every=5, metrics_every=10, checkpoint_every=10, augment="translation",
            ema_beta=0.9, import_options={"size": 8},
        )
    }

    def default_preset(self, device_type: str) -> str:
        return "tiny"

    def import_folder(self, folder, options, progress=None, cancel=None) -> Corpus:
        folder = Path(folder)
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        fingerprint = corpus_cache.folder_fingerprint(self.name, folder, files, options)
        cached = corpus_cache.load_cached(self.name, fingerprint)
        if cached is not None:
            return cached
        report = ImportReport(str(folder), files_seen=len(files))
        rows = []
        for path in files:
            try:
                values = json.loads(path.read_text())
                rows.append(np.asarray(values, np.uint8).reshape(1, 8, 8))
                report.imported.append(str(path))
            except (ValueError, OSError) as exc:
                report.skip(path, f"not a toy file ({exc})")
        report.items = len(rows)
        data = torch.from_numpy(np.stack(rows)) if rows else torch.zeros(0, 1, 8, 8, dtype=torch.uint8)
        corpus = Corpus(data, {"size": 8}, fingerprint, report)
        corpus_cache.store(self.name, corpus)
        return corpus

    def demo_corpus_folder(self, target) -> Path:
        return write_toy_folder(Path(target))

    def build_generator(self, preset: Preset, meta: dict[str, Any]) -> nn.Module:
        return nn.Sequential(nn.Linear(preset.z_dim, 32), nn.ReLU(), nn.Linear(32, 64), nn.Tanh(), nn.Unflatten(1, (1, 8, 8)))

    def build_discriminator(self, preset: Preset, meta: dict[str, Any]) -> nn.Module:
        return nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1), nn.Flatten(0))

    def real_batch(self, batch: torch.Tensor, meta, train: bool) -> torch.Tensor:
        return batch.float() / 127.5 - 1.0

    def augment(self, x, policy, generator):
        return diff_augment(x, policy, generator)

    def decode(self, output: torch.Tensor, ctx: ModelContext) -> list[np.ndarray]:
        return [np.round((o[0].cpu().numpy() + 1) * 127.5).astype(np.uint8) for o in output]

    def reference_metrics(self, corpus) -> dict[str, float]:
        return {"mean_gap": 0.05, "not_logged": 1.0}

    def preview_items(self, rows: np.ndarray, meta) -> list[np.ndarray]:
        return [row[0] for row in rows]

    def metrics(self, output, corpus, ctx) -> dict[str, float]:
        real = corpus.data.float().mean() / 127.5 - 1
        return {"mean_gap": float((output.mean() - real).abs())}

    def save_artifact(self, artifact, path, info) -> Path:
        Path(path).write_text(json.dumps({"pixels": np.asarray(artifact).tolist(), **info}))
        return Path(path)

    def save_walk(self, artifacts: Sequence[Any], path, info) -> Path:
        Path(path).write_text(json.dumps({"images": [np.asarray(a).tolist() for a in artifacts], **info}))
        return Path(path)

    save_grid = save_walk


def write_toy_folder(target: Path, count: int = 24) -> Path:
    """Vertical bars at random columns: trivially learnable, clearly not noise."""
    target.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        img = np.zeros((8, 8), np.uint8)
        img[:, rng.integers(0, 8)] = 255
        (target / f"bar{i:03d}.json").write_text(json.dumps(img.tolist()))
    return target


DOMAIN = ToyDomain()
