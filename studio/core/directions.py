"""Directions you can steer: the principal directions of a generator's latent space (the GANSpace idea).

z is an isotropic Gaussian, so PCA on z itself finds nothing: every direction
of z has the same spread.  What differs is how much each direction moves the
*generator*: sample many latents, take the activations of G's first block,
find their principal components there, and then ask which direction of z
leads to each component.  That last step is a least-squares regression from
the activation-PCA coordinates back to z (GANSpace's own way for nets whose
first layer is not invertible), rather than PCA on z weighted by activations:
it uses every sample once, is one ``lstsq`` call, and keeps the order of the
components, so direction 0 is the one that moves G's early features most.
The regressed directions are made orthonormal in that order (QR), so sliders
do not undo each other.  A slider's unit is the spread of the sampled latents
along its direction (about 1 for Gaussian z), so "+2" means two standard
deviations whatever the model.

Stored with the run as ``<run>/directions/step-NNNNNNN.json``; a direction's
name is its index ("0" is the strongest) until the user names it.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from studio.core.files import write_text_atomically
from studio.core.validation import DescriptionError, read_description

if TYPE_CHECKING:  # torch loads when directions are found, not when the window (which imports this) opens
    import torch

DEFAULT_COUNT = 8
DEFAULT_SAMPLES = 2000
SAMPLE_SEED = 20240917  # the latents the directions are found from: the same checkpoint gives the same directions
BATCH = 250
MAX_COUNT = 64
FOLDER = "directions"


class _Captured(Exception):
    """Ends a forward pass once the early activations are read."""


class DirectionsError(ValueError):
    """Directions that cannot be found, read or applied; the message names the file or the direction."""


@dataclass
class Directions:
    """k orthonormal z-directions, strongest first, with their spread and the names the user gave them."""

    vectors: np.ndarray  # (k, z_dim) float64, orthonormal rows
    sigma: np.ndarray  # (k,) spread of the sampled latents along each direction: a slider's unit
    share: np.ndarray  # (k,) share of the early activations' variance each principal component explains
    step: int
    names: list[str | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.names) < len(self.vectors):
            self.names = list(self.names) + [None] * (len(self.vectors) - len(self.names))

    def __len__(self) -> int:
        return len(self.vectors)

    def name(self, index: int) -> str:
        """The user's name, or the index until there is one."""
        return self.names[index] or str(index)

    def index(self, name: str) -> int:
        """The direction called ``name`` (a user's name, or an index not shadowed by one)."""
        for i in range(len(self)):
            if self.names[i] == name:
                return i
        if name.isdigit() and int(name) < len(self):
            return int(name)
        known = ", ".join(self.name(i) for i in range(len(self)))
        raise DirectionsError(f"no direction named {name!r} at step {self.step} (known: {known})")

    def rename(self, index: int, name: str | None) -> None:
        """Names a direction; an empty name goes back to the index. Names are unique and are not another's index."""
        name = (name or "").strip() or None
        if name is not None:
            clash = [i for i in range(len(self)) if i != index and (self.names[i] == name or
                                                                      (name == str(i) and self.names[i] is None))]
            if clash:
                raise DirectionsError(f"{name!r} already names direction {clash[0]}")
        self.names[index] = name

    def offset(self, edits: Mapping[str, float]) -> np.ndarray:
        """The z-offset of ``edits`` (name -> value in standard deviations)."""
        total = np.zeros(self.vectors.shape[1], np.float64)
        for name, value in edits.items():
            i = self.index(str(name))
            total += float(value) * self.sigma[i] * self.vectors[i]
        return total.astype(np.float32)

    def apply(self, z: np.ndarray, edits: Mapping[str, float]) -> np.ndarray:
        """Every latent of ``z`` (N, z_dim) moved by ``edits``."""
        return (np.asarray(z, np.float32) + self.offset(edits)).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "names": list(self.names), "sigma": [float(s) for s in self.sigma],
                "share": [float(s) for s in self.share], "vectors": [[float(v) for v in row] for row in self.vectors]}


def early_module(generator: "torch.nn.Module") -> "torch.nn.Module":
    """The module whose output counts as G's early activations.

    A generator names it in ``early_module`` (a submodule path); otherwise its
    first child module is used, which for most nets is the layer z enters.
    """
    name = getattr(generator, "early_module", None)
    if name:
        return generator.get_submodule(name)
    children = list(generator.children())
    if not children:
        raise DirectionsError(f"{type(generator).__name__} has no submodules whose activations could be read")
    return children[0]


def early_activations(generator: "torch.nn.Module", z: np.ndarray, device: "torch.device") -> np.ndarray:
    """(N, D) activations of the early module for the latents ``z``, in fixed-size batches under exact_inference."""
    import torch

    from studio.core.exact import exact_inference

    module = early_module(generator)
    captured: list[torch.Tensor] = []

    def hook(_module: "torch.nn.Module", _inputs: Any, output: Any) -> None:
        captured.append((output[0] if isinstance(output, (tuple, list)) else output).detach().float().flatten(1).cpu())
        raise _Captured  # the rest of G is not needed: a 128 px generator costs what a 32 px one does

    handle = module.register_forward_hook(hook)
    try:
        with exact_inference(device):
            for start in range(0, len(z), BATCH):
                try:
                    generator(torch.tensor(z[start:start + BATCH], dtype=torch.float32, device=device))
                except _Captured:
                    pass
    finally:
        handle.remove()
    return torch.cat(captured).numpy().astype(np.float64)


def find_directions(generator: "torch.nn.Module", z_dim: int, device: "torch.device", step: int,
                    count: int = DEFAULT_COUNT, samples: int = DEFAULT_SAMPLES) -> Directions:
    """The ``count`` strongest directions of ``generator``'s latent space (see the module's docstring)."""
    count = max(1, min(int(count), z_dim, MAX_COUNT))
    z = np.random.default_rng(SAMPLE_SEED).standard_normal((samples, z_dim))
    acts = early_activations(generator, z.astype(np.float32), device)
    acts -= acts.mean(axis=0)
    components, variance = _principal_axes(acts, count)
    coords = acts @ components.T  # (N, k) activation-PCA coordinates
    regressed, *_ = np.linalg.lstsq(coords, z - z.mean(axis=0), rcond=None)  # (k, z_dim): z per unit coordinate
    q, r = np.linalg.qr(regressed.T)  # orthonormal, in the components' order
    vectors = (q * np.sign(np.where(np.diag(r) == 0, 1.0, np.diag(r)))).T
    sigma = np.std(z @ vectors.T, axis=0)
    return Directions(vectors, sigma, variance / (float(np.sum(acts ** 2)) or 1.0), int(step))


def _principal_axes(centred: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``count`` leading principal axes (k, D) of centred rows and the variance along each, summed over rows.

    Randomised (torch.pca_lowrank, a few power iterations): a full SVD of
    2,000 x 3,000 activations takes tens of seconds on two cores, this well
    under one; its random start is seeded, so the axes are the same every time.
    """
    import torch

    from studio.core.exact import exact_inference

    with torch.random.fork_rng(devices=[]), exact_inference(torch.device("cpu")):
        torch.manual_seed(SAMPLE_SEED)
        _, singular, axes = torch.pca_lowrank(torch.from_numpy(centred), q=min(count + 8, *centred.shape),
                                              center=False, niter=4)
    return axes[:, :count].T.numpy(), singular[:count].numpy() ** 2


def directions_path(run_path: str | Path, step: int) -> Path:
    return Path(run_path) / FOLDER / f"step-{int(step):07d}.json"


def save_directions(directions: Directions, run_path: str | Path) -> Path:
    path = directions_path(run_path, directions.step)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(path, json.dumps(directions.to_dict(), indent=1, ensure_ascii=False))
    return path


def load_directions(path: str | Path, z_dim: int) -> Directions:
    """Directions from a file, checked: shapes, finite numbers, names; a DirectionsError names the file."""
    path = Path(path)
    try:
        data = read_description(path)
    except DescriptionError as exc:
        raise DirectionsError(str(exc)) from exc
    try:
        vectors = np.asarray(data["vectors"], np.float64)
        sigma = np.asarray(data["sigma"], np.float64)
        share = np.asarray(data.get("share", [0.0] * len(sigma)), np.float64)
        step = data["step"]
        names = data.get("names") or []
    except (KeyError, TypeError, ValueError) as exc:
        raise DirectionsError(f"{path}: not a directions file ({exc})") from exc
    k = len(vectors)
    if vectors.ndim != 2 or not 1 <= k <= MAX_COUNT or vectors.shape[1] != z_dim:
        raise DirectionsError(f"{path}: directions of shape {vectors.shape}, expected (1..{MAX_COUNT}, {z_dim})")
    if sigma.shape != (k,) or share.shape != (k,) or not isinstance(step, int) or step < 0:
        raise DirectionsError(f"{path}: sigma, share and step do not match {k} directions")
    if not (np.isfinite(vectors).all() and np.isfinite(sigma).all() and np.isfinite(share).all()):
        raise DirectionsError(f"{path}: holds numbers that are not finite")
    if not isinstance(names, list) or len(names) > k or not all(n is None or isinstance(n, str) for n in names):
        raise DirectionsError(f"{path}: names must be a list of at most {k} texts or nulls")
    if not np.allclose(vectors @ vectors.T, np.eye(k), atol=1e-4):
        raise DirectionsError(f"{path}: the directions are not orthonormal")
    return Directions(vectors, sigma, share, step, list(names))


def directions_for(model: Any, compute: bool = True) -> tuple[Directions | None, bool]:
    """The saved directions of ``model``'s checkpoint, else (``compute``) found now and saved with the run.

    Returns the directions (None when there are none and ``compute`` is False) and whether they were computed.
    """
    if model.run_path is not None:
        path = directions_path(model.run_path, model.step)
        if path.is_file():
            return load_directions(path, model.z_dim), False
    if not compute:
        return None, False
    found = find_directions(model.generator, model.z_dim, model.device, model.step)
    if model.run_path is not None:
        save_directions(found, model.run_path)
    return found, True


def parse_edits(items: Sequence[str] | None) -> dict[str, float]:
    """``NAME=VALUE`` pairs from ``--edit`` (VALUE in standard deviations), in the order given."""
    edits: dict[str, float] = {}
    for item in items or []:
        name, sep, value = item.rpartition("=")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not sep or not name.strip() or not math.isfinite(number):
            raise DirectionsError(f"--edit {item!r}: expected NAME=VALUE with VALUE in standard deviations, e.g. 0=2")
        edits[name.strip()] = edits.get(name.strip(), 0.0) + number
    return edits
