"""Refuses a run folder or model file that describes impossible nets, before anything is allocated.

``run.json`` and a model's ``.json`` are data that a person can edit and a disk
can damage, and the nets are built from them: a ``z_dim`` of 10,000,000 asks
for 80 GB.  So what they describe is checked first, against declared bounds
(the generic preset fields here, a domain's own sizes in its ``limits``), then
the nets are built on torch's ``meta`` device (shapes, no memory) and their
size and tensor shapes are compared with the safetensors header, read as JSON
from the file's first bytes.  Every refusal is one :class:`DescriptionError`
line naming the file and the reason.
"""
from __future__ import annotations

import json
import math
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from studio.core.domain import Domain, DomainResolver, Preset

if TYPE_CHECKING:
    from torch import nn

PRESET_LIMITS: dict[str, tuple[int, int]] = {
    "z_dim": (1, 4096),
    "batch_size": (1, 4096),
    "d_steps": (1, 64),
    "r1_every": (1, 1_000_000),
    "ema_start": (0, 100_000_000),
    "steps": (0, 100_000_000),
    "sample_every": (1, 100_000_000),
    "metrics_every": (1, 100_000_000),
    "checkpoint_every": (1, 100_000_000),
}
"""Bounds of the generic preset fields; a domain declares its own net and data sizes in ``Domain.limits``."""

MAX_NET_BYTES = 4 << 30
"""Generator, critic and auxiliary nets together; the largest shipped preset holds well under 1 % of it."""

MAX_HEADER_BYTES = 100 << 20
"""safetensors' own limit on the header's JSON."""

SAFETENSORS_DTYPES = {
    "float32": "F32", "float16": "F16", "bfloat16": "BF16", "float64": "F64",
    "int64": "I64", "int32": "I32", "int16": "I16", "int8": "I8", "uint8": "U8", "bool": "BOOL",
}
_ITEM_BYTES = {"F64": 8, "I64": 8, "U64": 8, "F32": 4, "I32": 4, "U32": 4, "F16": 2, "BF16": 2, "I16": 2, "U16": 2,
               "I8": 1, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1}


class DescriptionError(ValueError):
    """A run or model description (JSON or tensor file) that cannot be used; the message names the file."""


Expected = dict[str, tuple[tuple[int, ...], str]]
"""Tensor name -> (shape, safetensors dtype) that the nets will hold."""


@dataclass
class Plan:
    """What a checked description will build: the domain, its recipe and data description, and the tensors."""

    domain: Domain
    preset: Preset
    meta: dict[str, Any]
    expected: Expected  # G_ema.* and aux.*: what sampling loads
    training: Expected  # and G.*, D.*: what resuming training loads


def read_description(path: str | Path) -> dict[str, Any]:
    """A JSON object from ``path``, or a DescriptionError saying why it is not one."""
    path = Path(path)
    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise DescriptionError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    except ValueError as exc:
        raise DescriptionError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise DescriptionError(f"{path}: expected a JSON object, found {type(data).__name__}")
    return data


def plan_run(config: Mapping[str, Any], path: str | Path, domains: DomainResolver) -> Plan:
    """Checks a run's ``run.json`` (already parsed) and plans its nets; ``domains`` resolves the name it records."""
    corpus = _field(config, "corpus", dict, path)
    _check_int(config, "steps", (0, PRESET_LIMITS["steps"][1]), path, "")
    return _plan(config, _field(corpus, "meta", dict, path, "corpus."), path, domains)


def plan_model_file(record: Mapping[str, Any], path: str | Path, domains: DomainResolver) -> Plan:
    """Checks a model file's ``.json`` (already parsed) and plans its nets; ``domains`` resolves its domain."""
    _check_int(record, "step", (0, PRESET_LIMITS["steps"][1]), path, "")
    return _plan(record, _field(record, "meta", dict, path), path, domains)


def check_tensors(path: str | Path, expected: Expected, half_ok: bool = False) -> None:
    """Compares the safetensors header of ``path`` with what the nets hold, reading only the header.

    Tensors the nets do not hold (the critic, optimiser state) may be present; ``half_ok``
    accepts float16 for float32 weights (model files are stored in half precision).
    """
    header = read_header(path)
    for name, (shape, dtype) in expected.items():
        if name not in header:
            raise DescriptionError(f"{path}: tensor {name} is missing")
        found_shape, found_dtype = header[name]
        if found_shape != shape:
            raise DescriptionError(f"{path}: tensor {name} has shape {list(found_shape)}, "
                                   f"the nets its description builds hold {list(shape)}")
        if found_dtype != dtype and not (half_ok and dtype == "F32" and found_dtype == "F16"):
            raise DescriptionError(f"{path}: tensor {name} is {found_dtype}, the nets hold {dtype}")


def read_header(path: str | Path) -> dict[str, tuple[tuple[int, ...], str]]:
    """Name -> (shape, dtype) of a safetensors file: 8 bytes of little-endian length, then that much JSON.

    Every entry's byte range must lie in the file and match its shape and dtype, so a
    loader that trusts the header never reads past the file or allocates more than it holds.
    """
    path = Path(path)
    not_safetensors = f"{path}: not a safetensors file"
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            prefix = f.read(8)
            length = int.from_bytes(prefix, "little") if len(prefix) == 8 else -1
            if not 2 <= length <= min(size - 8, MAX_HEADER_BYTES):
                raise DescriptionError(f"{not_safetensors} (its first bytes are not a header length)")
            raw = json.loads(f.read(length).decode("utf-8"))
    except OSError as exc:
        raise DescriptionError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    except ValueError as exc:
        raise DescriptionError(f"{not_safetensors} (the header is not JSON: {exc})") from exc
    if not isinstance(raw, dict):
        raise DescriptionError(f"{not_safetensors} (the header is not a JSON object)")
    data_bytes = size - 8 - length
    header = {}
    for name, entry in raw.items():
        if name == "__metadata__":
            continue
        try:
            dtype, shape, (start, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
            ok = (dtype in _ITEM_BYTES and all(type(n) is int and n >= 0 for n in (*shape, start, end))
                  and start <= end <= data_bytes and end - start == math.prod(shape) * _ITEM_BYTES[dtype])
        except (TypeError, KeyError, ValueError):
            ok = False
        if not ok:
            raise DescriptionError(f"{not_safetensors} (the header's entry for {name} is inconsistent)")
        header[name] = (tuple(shape), dtype)
    return header


def _plan(description: Mapping[str, Any], meta: dict[str, Any], path: str | Path, domains: DomainResolver) -> Plan:
    name = _field(description, "domain", str, path)
    try:
        domain = domains(name)
    except ValueError as exc:  # the resolver's message names the known domains
        raise DescriptionError(f"{path}: {exc}") from exc
    preset = _preset(_field(description, "preset", dict, path), path)
    sections = {"net": preset.net, "meta": meta}
    for key, bounds in domain.limits.items():
        section, _, leaf = key.partition(".")
        if leaf in sections[section]:
            _check_int(sections[section], leaf, bounds, path, section + ".")
    nets = _meta_nets(domain, preset, meta, path)
    total = sum(t.numel() * t.element_size() for net in nets.values() for t in net.state_dict().values())
    if total > MAX_NET_BYTES:
        raise DescriptionError(f"{path}: describes nets of {total / 2**30:,.1f} GiB (at most "
                               f"{MAX_NET_BYTES / 2**30:.0f} GiB); the file is damaged or was edited")
    training: Expected = {}
    for prefix, net in {**nets, "G": nets["G_ema"]}.items():
        for key, tensor in net.state_dict().items():
            training[f"{prefix}.{key}"] = (tuple(tensor.shape), SAFETENSORS_DTYPES[str(tensor.dtype)[6:]])
    sampling = {name: kind for name, kind in training.items() if name.startswith(("G_ema.", "aux."))}
    return Plan(domain, preset, meta, sampling, training)


def _meta_nets(domain: Domain, preset: Preset, meta: dict[str, Any], path: str | Path) -> dict[str, "nn.Module"]:
    """The nets on torch's meta device: every shape, no memory."""
    import torch

    try:
        with torch.device("meta"):
            nets = {"G_ema": domain.build_generator(preset, meta), "D": domain.build_discriminator(preset, meta)}
            nets.update({f"aux.{k}": m for k, m in domain.aux_modules(preset, meta).items()})
    except KeyError as exc:
        raise DescriptionError(f"{path}: missing key {exc} needed to build the nets") from exc
    except Exception as exc:  # a domain's constructors raise whatever their arithmetic meets
        raise DescriptionError(f"{path}: describes nets that cannot be built ({type(exc).__name__}: {exc})") from exc
    return nets


def _preset(data: dict[str, Any], path: str | Path) -> Preset:
    known = {f.name: f for f in fields(Preset)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise DescriptionError(f"{path}: unknown preset setting {unknown[0]!r}")
    for name, f in known.items():
        if name not in data:
            if f.default is MISSING and f.default_factory is MISSING:
                raise DescriptionError(f"{path}: missing key 'preset.{name}'")
            continue
        if f.default is not MISSING:
            default = f.default
        else:
            default = f.default_factory() if f.default_factory is not MISSING else ""
        value = data[name]
        if name in PRESET_LIMITS:
            _check_int(data, name, PRESET_LIMITS[name], path, "preset.")
        elif isinstance(default, bool) or isinstance(default, (str, dict)):
            if type(value) is not type(default):
                raise DescriptionError(f"{path}: preset.{name} should be a {type(default).__name__}, found {value!r}")
        elif isinstance(default, float):
            if not _finite(value):
                raise DescriptionError(f"{path}: preset.{name} should be a finite number, found {value!r}")
        elif name == "betas":
            if not (isinstance(value, list) and len(value) == 2 and all(_finite(v) for v in value)):
                raise DescriptionError(f"{path}: preset.betas should be two numbers, found {value!r}")
    return Preset.from_dict(data)


def _finite(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def _field(data: Mapping[str, Any], key: str, kind: type, path: str | Path, where: str = "") -> Any:
    if key not in data:
        raise DescriptionError(f"{path}: missing key '{where}{key}'")
    value = data[key]
    if not isinstance(value, kind):
        raise DescriptionError(f"{path}: '{where}{key}' should be a {kind.__name__ if kind is not dict else 'JSON object'}")
    return value


def _check_int(data: Mapping[str, Any], key: str, bounds: tuple[int, int], path: str | Path, where: str) -> None:
    if key not in data:
        raise DescriptionError(f"{path}: missing key '{where}{key}'")
    value = data[key]
    low, high = bounds
    if type(value) is not int:
        raise DescriptionError(f"{path}: {where}{key} should be a whole number, found {value!r}")
    if not low <= value <= high:
        kind = "negative" if value < 0 else "out of range"
        raise DescriptionError(f"{path}: {where}{key} = {value:,} is {kind} (allowed {low:,} to {high:,})")
