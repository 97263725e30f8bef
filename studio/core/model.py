"""A trained generator ready to render: what the explorer, gallery and CLI sample from.

Loads the EMA generator (and any auxiliary nets, like the text decoder) from
a run's newest readable checkpoint; only the tensors, never code.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from studio.core import checkpoints as ck
from studio.core.devices import pick_device
from studio.core.files import write_atomically, write_text_atomically
from studio.core.domain import Domain, DomainResolver, ModelContext, Preset
from studio.core.exact import aligned_input, exact_inference
from studio.core.latent import seeds_to_z, truncate
from studio.core.latent_extension import extended
from studio.core.runs import RUN_FILE, RunDir
from studio.core.validation import Plan, check_tensors, plan_model_file, plan_run, read_description


class Model:
    """EMA-G of one checkpoint plus the domain's codec."""

    def __init__(self, domain: Domain, preset: Preset, meta: dict[str, Any], generator: torch.nn.Module,
                 aux: dict[str, torch.nn.Module], device: torch.device, step: int, run_path: Path | None):
        self.domain = domain
        self.preset = preset
        self.meta = meta
        self.generator = generator.eval().requires_grad_(False)
        self.aux = aux
        self.device = device
        self.step = step
        self.run_path = run_path
        self.decode_defaults: dict[str, Any] = {}  # fitted to this model when its run stopped (load_model)
        self._cpu: Model | None = None  # on_cpu's copy of a model that lives on a GPU

    @property
    def z_dim(self) -> int:
        return self.preset.z_dim

    def decode_options(self, asked: dict[str, Any] | None = None) -> dict[str, Any]:
        """The model's own decode defaults with what a caller asks for on top: what actually decodes."""
        return {**self.decode_defaults, **(asked or {})}

    def context(self, options: dict[str, Any] | None = None) -> ModelContext:
        return ModelContext(self.preset, self.meta, self.device, aux=self.aux, options=self.decode_options(options))

    @torch.no_grad()
    def generate(self, z: np.ndarray) -> torch.Tensor:
        batch = torch.from_numpy(np.ascontiguousarray(z, np.float32)).to(self.device)
        return self.generator(batch).float()

    def render(self, z: np.ndarray, options: dict[str, Any] | None = None) -> list[Any]:
        """Latents (N, z_dim) to artifacts in one batch, fast (the explorer); ``options["psi"]`` applies truncation."""
        z, options = self._truncated(z, options)
        with torch.random.fork_rng(devices=[]):
            return self.domain.decode(self.generate(z), self.context(options))

    def render_seeds(self, seeds: list[int], options: dict[str, Any] | None = None) -> list[Any]:
        return self.render(seeds_to_z(seeds, self.z_dim), options)

    def render_exactly(self, z: np.ndarray, options: dict[str, Any] | None = None,
                       extension: np.ndarray | None = None) -> list[Any]:
        """What every export writes: each latent rendered alone under :func:`exact_inference`.

        Alone, so a seed's file is the same whichever seeds were exported with
        it; a little slower than :meth:`render`, which is why the explorer keeps that.
        ``extension`` (N, D) is a placed picture's latent extension (core/latent_extension.py), one row per latent.
        """
        z, options = self._truncated(z, options)
        context = self.context(options)
        artifacts: list[Any] = []
        with exact_inference(self.device):
            for i, row in enumerate(z):
                offset = None if extension is None else aligned_input(extension[i], self.device)
                with extended(self.generator, offset):
                    artifacts += self.domain.decode(self.generator(aligned_input(row, self.device)).float(), context)
        return artifacts

    def render_seeds_exactly(self, seeds: list[int], options: dict[str, Any] | None = None) -> list[Any]:
        return self.render_exactly(seeds_to_z(seeds, self.z_dim), options)

    def _truncated(self, z: np.ndarray, options: dict[str, Any] | None) -> tuple[np.ndarray, dict[str, Any]]:
        """(N, z_dim) float32 latents with ``options["psi"]``'s truncation applied, and the other options."""
        options = dict(options or {})
        psi = float(options.pop("psi", 1.0))
        z = np.asarray(z, np.float32).reshape(-1, self.z_dim)
        return (truncate(z, psi) if psi != 1.0 else z), options

    def on_cpu(self) -> "Model":
        """This model on the CPU (itself when already there), made once: where the window's exports render,
        as ``studio sample`` does by default, so both write the same files."""
        if self.device.type == "cpu":
            return self
        if self._cpu is None:
            cpu = torch.device("cpu")
            aux = {name: copy.deepcopy(module).to(cpu) for name, module in self.aux.items()}
            self._cpu = Model(self.domain, self.preset, self.meta, copy.deepcopy(self.generator).to(cpu), aux, cpu,
                              self.step, self.run_path)
            self._cpu.decode_defaults = self.decode_defaults
        return self._cpu

    def info(self, seed: int | None = None, latent: np.ndarray | None = None, **extra: Any) -> dict[str, Any]:
        """What every export carries, so a result can be found again."""
        record: dict[str, Any] = {
            "domain": self.domain.name,
            "preset": self.preset.name,
            "step": self.step,
            "run": str(Path(self.run_path).resolve()) if self.run_path else None,  # the same however it was named
        }
        if seed is not None:
            record["seed"] = int(seed)
        if latent is not None:
            record["latent"] = [round(float(v), 6) for v in np.asarray(latent).ravel()]
        record.update(extra)
        return record


def load_model(run_dir: str | Path, domains: DomainResolver, device: str | None = "cpu",
               checkpoint: str | Path | None = None) -> Model:
    """The run's newest readable checkpoint (or the given one) as a :class:`Model`; ``domains`` resolves the run's."""
    run = RunDir.open(run_dir)
    plan = _plan_of_run(run, domains)
    ckpt = (ck.read_checkpoint(checkpoint, plan.expected) if checkpoint
            else ck.load_latest(run.checkpoints, plan.expected))
    if ckpt is None:
        raise ck.CheckpointError(f"{run.checkpoints}: the run has no checkpoint yet; train it first")
    model = model_from_tensors(plan.domain, plan.preset, plan.meta, ckpt.tensors, pick_device(device), ckpt.step,
                               run.path)
    model.decode_defaults = dict(ckpt.info.get("decode_defaults") or {})
    return model


def load_live_model(run_dir: str | Path, domains: DomainResolver, arrays: dict[str, np.ndarray], step: int) -> Model:
    """A CPU model from the numpy weights a training session sends its live viewers (session ``weights`` event)."""
    tensors = {name: torch.from_numpy(np.asarray(array)) for name, array in arrays.items()}
    run = RunDir.open(run_dir)
    plan = _plan_of_run(run, domains)
    return model_from_tensors(plan.domain, plan.preset, plan.meta, tensors, torch.device("cpu"), int(step), run.path)


def _plan_of_run(run: RunDir, domains: DomainResolver) -> Plan:
    """The nets the run's ``run.json`` describes, checked before anything is allocated."""
    return plan_run(read_description(run.path / RUN_FILE), run.path / RUN_FILE, domains)


def model_from_tensors(domain: Domain, preset: Preset, meta: dict[str, Any], tensors: dict[str, torch.Tensor],
                       device: torch.device, step: int, run_path: Path | None = None) -> Model:
    generator = domain.build_generator(preset, meta)
    ck.load_module(generator, tensors, "G_ema")
    aux = domain.aux_modules(preset, meta)
    for name, module in aux.items():
        ck.load_module(module, tensors, f"aux.{name}")
        aux[name] = module.to(device).eval().requires_grad_(False)
    return Model(domain, preset, meta, generator.to(device), aux, device, step, run_path)



MODEL_SUFFIX = ".safetensors"


def shipped_models_folder() -> Path:
    """``models/`` beside the package: the small generators the studio ships as defaults."""
    return Path(__file__).resolve().parent.parent.parent / "models"


def shipped_model_path(domain_name: str) -> Path | None:
    path = shipped_models_folder() / f"{domain_name}-demo{MODEL_SUFFIX}"
    return path if path.is_file() else None


def load_shipped_model(domain: Domain, device: str | None = "cpu") -> "Model | None":
    """The domain's built-in demo model (explored before any training), or None when none ships."""
    path = shipped_model_path(domain.name)
    return load_model_file(path, _only(domain), device) if path is not None else None


def _only(domain: Domain) -> DomainResolver:
    """Resolves ``domain``'s own name alone: a shipped model file naming another medium is refused."""
    def resolve(name: str) -> Domain:
        if name != domain.name:
            raise ValueError(f"a {name} model where a {domain.name} model was expected")
        return domain
    return resolve


def save_model_file(model: Model, path: str | Path, note: str = "") -> Path:
    """Writes EMA-G (and auxiliary nets) as one safetensors file + JSON: a model to share or ship.

    Weights are stored in half precision: these files are for sampling, and
    half the size matters for a model that travels with the program.
    """
    from safetensors.torch import save_file

    from studio.core.runs import software_versions

    path = Path(path).with_suffix(MODEL_SUFFIX)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = ck.module_tensors(model.generator, "G_ema")
    for name, module in model.aux.items():
        tensors.update(ck.module_tensors(module, f"aux.{name}"))
    half = {k: (v.half() if v.is_floating_point() else v).detach().cpu().contiguous().clone() for k, v in tensors.items()}
    write_atomically(path, lambda tmp: save_file(half, str(tmp)))
    record = {
        "domain": model.domain.name, "preset": model.preset.to_dict(), "meta": model.meta, "step": model.step,
        "decode_defaults": model.decode_defaults, "note": note, "software": software_versions(),
    }
    json_path = path.with_suffix(".json")
    write_text_atomically(json_path, json.dumps(record, indent=1, ensure_ascii=False))
    return path


def load_model_file(path: str | Path, domains: DomainResolver, device: str | None = "cpu") -> Model:
    """A model written by :func:`save_model_file` (only tensors and JSON are read); ``domains`` resolves its domain."""
    from safetensors.torch import load_file

    path = Path(path)
    json_path = path.with_suffix(".json")
    record = read_description(json_path)
    plan = plan_model_file(record, json_path, domains)
    check_tensors(path, plan.expected, half_ok=True)
    try:
        tensors = {k: (v.float() if v.is_floating_point() else v) for k, v in load_file(str(path)).items()}
    except (OSError, ValueError) as exc:
        raise ck.CheckpointError(f"{path}: cannot be read as a GAN Studio model ({exc})") from exc
    model = model_from_tensors(plan.domain, plan.preset, plan.meta, tensors, pick_device(device),
                               int(record["step"]), None)
    model.decode_defaults = dict(record.get("decode_defaults") or {})
    return model
