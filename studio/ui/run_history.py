"""A reopened run's history: its curves, its sample snapshots decoded again, and its newest model.

Reading and decoding take torch and seconds, so :func:`load_run_history`
runs on a worker and hands the tab plain data.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from studio.domains import get_domain

NOT_PLOTTED = {"step", "phase", "kind", "metrics_s"}
MAX_HISTORY_SNAPSHOTS = 100


def records_to_series(records: list[dict[str, Any]]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Logged records -> steps and one array per numeric key (NaN where a record lacks the key)."""
    rows = [r for r in records if isinstance(r.get("step"), (int, float))]
    steps = np.array([r["step"] for r in rows], np.float64)
    names: dict[str, None] = {}
    for r in rows:
        for key, value in r.items():
            if key not in NOT_PLOTTED and isinstance(value, (int, float)) and not isinstance(value, bool):
                names[key] = None
    series = {}
    for name in names:
        values = [r.get(name) for r in rows]
        series[name] = np.array([v if isinstance(v, (int, float)) else np.nan for v in values], np.float64)
    return steps, series


@dataclass
class RunHistory:
    """What a reopened run shows: its curves, its sample snapshots and its newest model (if any)."""

    path: str
    steps: np.ndarray
    series: dict[str, np.ndarray]
    snapshots: list[tuple[int, list[Any], list[int]]] = field(default_factory=list)
    model: Any = None
    notes: list[str] = field(default_factory=list)


def load_run_history(path: str, max_snapshots: int = MAX_HISTORY_SNAPSHOTS) -> RunHistory:
    """Reads metrics, decodes sample snapshots and loads the newest model; runs on a worker thread."""
    import torch

    from studio.core.checkpoints import CheckpointError
    from studio.core.domain import ModelContext, Preset
    from studio.core.model import load_model
    from studio.core.runs import RunDir

    run = RunDir.open(path)
    steps, series = records_to_series(run.read_metrics())
    history = RunHistory(path, steps, series)
    try:
        history.model = load_model(path, get_domain, device="auto")
    except (CheckpointError, OSError, ValueError, RuntimeError) as exc:
        history.notes.append(str(exc))
    samples = run.list_samples()
    if len(samples) > max_snapshots:
        keep = np.unique(np.linspace(0, len(samples) - 1, max_snapshots).round().astype(int))
        samples = [samples[i] for i in keep]
    if history.model is not None:
        domain, ctx = history.model.domain, history.model.context()
    else:
        config = run.read_config()
        domain = get_domain(config["domain"])
        ctx = ModelContext(Preset.from_dict(config["preset"]), config["corpus"]["meta"], torch.device("cpu"))
    for step, sample_path in samples:
        try:
            outputs, seeds = RunDir.load_samples(sample_path)
            with torch.no_grad():
                artifacts = domain.decode(torch.from_numpy(outputs).to(ctx.device), ctx)
        except Exception as exc:  # a damaged or undecodable snapshot is left out, the rest still shows
            history.notes.append(f"{sample_path.name}: cannot be shown ({exc})")
            continue
        history.snapshots.append((step, artifacts, seeds))
    return history


def model_from_weights(run_dir: str, payload: dict[str, Any]) -> Any:
    """A :class:`Model` from live EMA weights sent while training (on a worker: it builds nets with torch).

    The run's ``run.json`` (written before training starts) gives the preset
    and corpus meta the nets are built for; the explorer renders on the CPU.
    """
    from studio.core.model import load_live_model

    return load_live_model(run_dir, get_domain, payload["tensors"], int(payload["step"]))
