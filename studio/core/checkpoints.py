"""Checkpoints as safetensors + JSON, written atomically, read with fallback.

Loading a checkpoint never runs code from it (no pickle), and its safetensors
header is checked before any tensor is read (validation.py).  Every file is
written to a temporary name and moved into place with ``os.replace``; the
JSON (written last) records the tensor file's SHA-256, so a truncated or
damaged checkpoint is detected and the previous one is used instead.  A
process killed between the two writes leaves a tensor file without its JSON;
the next :func:`prune` removes it.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from studio.core.files import write_atomically, write_text_atomically
from studio.core.validation import DescriptionError, Expected, check_tensors, read_header

_NAME = re.compile(r"^step-(\d{7,})\.json$")
_TENSORS = re.compile(r"^step-(\d{7,})\.safetensors$")


class CheckpointError(RuntimeError):
    """No usable checkpoint could be read; the message lists each file and why."""


@dataclass
class Checkpoint:
    path: Path
    step: int
    tensors: dict[str, torch.Tensor]
    info: dict[str, Any]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # newer files that were damaged


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_checkpoint(folder: str | Path, step: int, tensors: dict[str, torch.Tensor], info: dict[str, Any]) -> Path:
    """Writes ``step-NNNNNNN.safetensors`` and ``.json``; raises OSError (e.g. disk full) leaving older files intact."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"step-{step:07d}"
    tensor_path = folder / f"{stem}.safetensors"
    json_path = folder / f"{stem}.json"
    cpu = {k: v.detach().to("cpu").clone().contiguous() for k, v in tensors.items()}
    had_description = json_path.exists()
    write_atomically(tensor_path, lambda p: save_file(cpu, str(p)))
    record = dict(info, step=step, tensors=tensor_path.name, sha256=_sha256(tensor_path))
    try:
        write_text_atomically(json_path, json.dumps(record, indent=1))
    except OSError:
        if not had_description:
            tensor_path.unlink(missing_ok=True)  # no JSON will ever vouch for it
        raise
    return json_path


def list_checkpoints(folder: str | Path) -> list[tuple[int, Path]]:
    """(step, json path) of every checkpoint in ``folder``, oldest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for p in folder.iterdir():
        m = _NAME.match(p.name)
        if m:
            found.append((int(m.group(1)), p))
    return sorted(found)


def read_checkpoint(json_path: str | Path, expected: Expected | None = None) -> Checkpoint:
    """Reads and verifies one checkpoint; raises CheckpointError with the reason.

    ``expected`` (validation.Plan.expected) names the tensors the caller's nets will
    hold; their shapes and dtypes in the header must match before anything is loaded.
    """
    from safetensors.torch import load_file

    json_path = Path(json_path)
    try:
        info = json.loads(json_path.read_text("utf-8"))
        name, step = info["tensors"], int(info["step"])
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise CheckpointError(f"{json_path}: unreadable checkpoint description ({exc})") from exc
    tensor_path = json_path.with_name(str(name))
    if not tensor_path.is_file():
        raise CheckpointError(f"{tensor_path}: tensor file is missing")
    try:
        read_header(tensor_path)
        if expected:
            check_tensors(tensor_path, expected)
    except DescriptionError as exc:
        raise CheckpointError(str(exc)) from exc
    if info.get("sha256") and _sha256(tensor_path) != info["sha256"]:
        raise CheckpointError(f"{tensor_path}: contents do not match the checksum (damaged or truncated)")
    try:
        tensors = load_file(str(tensor_path))
    except Exception as exc:  # safetensors raises its own error types for bad headers
        raise CheckpointError(f"{tensor_path}: cannot be read ({exc})") from exc
    return Checkpoint(json_path, step, tensors, info)


def load_latest(folder: str | Path, expected: Expected | None = None) -> Checkpoint | None:
    """The newest readable checkpoint, falling back past damaged ones (listed in ``skipped``)."""
    skipped: list[tuple[str, str]] = []
    for _, json_path in reversed(list_checkpoints(folder)):
        try:
            ckpt = read_checkpoint(json_path, expected)
        except CheckpointError as exc:
            skipped.append((str(json_path), str(exc)))
            continue
        ckpt.skipped = skipped
        return ckpt
    if skipped:
        raise CheckpointError("no usable checkpoint: " + "; ".join(reason for _, reason in skipped))
    return None


def prune(folder: str | Path, keep: int = 3) -> None:
    """Deletes all but the newest ``keep`` checkpoints, and tensor files older than the newest that no JSON vouches for."""
    found = list_checkpoints(folder)
    for _, json_path in found[:-keep] if keep > 0 else []:
        tensor_path = json_path.with_suffix(".safetensors")
        json_path.unlink(missing_ok=True)
        tensor_path.unlink(missing_ok=True)
    if not found:
        return
    newest = found[-1][0]
    for path in Path(folder).iterdir():
        m = _TENSORS.match(path.name)
        if m and int(m.group(1)) < newest and not path.with_suffix(".json").exists():
            path.unlink(missing_ok=True)


def flatten_optimizer(state: dict[str, Any], prefix: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Splits an optimiser ``state_dict`` into tensors (for safetensors) and plain values (for JSON)."""
    tensors: dict[str, torch.Tensor] = {}
    plain: dict[str, Any] = {"param_groups": state["param_groups"], "state": {}}
    for index, values in state["state"].items():
        entry: dict[str, Any] = {}
        for key, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{prefix}.{index}.{key}"] = value
            else:
                entry[key] = value
        plain["state"][str(index)] = entry
    return tensors, plain


def unflatten_optimizer(tensors: dict[str, torch.Tensor], plain: dict[str, Any], prefix: str) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {int(i): dict(v) for i, v in plain["state"].items()}
    head = prefix + "."
    for name, value in tensors.items():
        if name.startswith(head):
            index, key = name[len(head):].split(".", 1)
            state.setdefault(int(index), {})[key] = value
    return {"state": state, "param_groups": plain["param_groups"]}


def load_optimizer(optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], plain: dict[str, Any],
                   prefix: str) -> None:
    """Loads what :func:`flatten_optimizer` saved, each moment laid out in memory like its parameter.

    safetensors stores tensors contiguous, so the moments of a channels_last
    parameter came back in another layout; torch's fused Adam walks a
    parameter and its moments as flat memory and then paired unrelated
    elements, and a resumed painting run drifted from one never stopped.
    """
    optimizer.load_state_dict(unflatten_optimizer(tensors, plain, prefix))
    for param, state in optimizer.state.items():
        for key, value in state.items():
            if isinstance(value, torch.Tensor) and value.shape == param.shape and value.stride() != param.stride():
                state[key] = torch.empty_like(param, dtype=value.dtype).copy_(value)


def module_tensors(module: torch.nn.Module, prefix: str) -> dict[str, torch.Tensor]:
    return {f"{prefix}.{k}": v for k, v in module.state_dict().items()}


def load_module(module: torch.nn.Module, tensors: dict[str, torch.Tensor], prefix: str) -> None:
    """Loads ``prefix``'s tensors into ``module``; CheckpointError when they were written for other nets (a run
    saved by a version of the studio whose nets have since grown or changed shape)."""
    head = prefix + "."
    state = {k[len(head):]: v for k, v in tensors.items() if k.startswith(head)}
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    reshaped = sorted(k for k in set(expected) & set(state) if expected[k].shape != state[k].shape)
    if missing or extra or reshaped:
        parts = [f"{label} {', '.join(keys[:3])}{' …' if len(keys) > 3 else ''}"
                 for label, keys in (("lacks", missing), ("has unknown", extra), ("has other shapes for", reshaped))
                 if keys]
        raise CheckpointError(f"the saved {prefix} was written for other nets than this version of the studio "
                              f"builds ({'; '.join(parts)}): train a new run on the same folder")
    module.load_state_dict(state)
