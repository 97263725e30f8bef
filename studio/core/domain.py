"""The contract between the generic pipeline and a domain (painting, music, text).

The trainer, the run folders, the CLI and every UI panel are written once and
talk to a domain only through the objects below, so that a new medium is one
new folder under ``studio/domains`` and one line in its registry.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol, Sequence

if TYPE_CHECKING:  # torch is imported lazily so the window opens fast
    import numpy as np
    import torch
    from torch import nn

ProgressFn = Callable[[int, int, str], None]
"""Called as ``progress(done, total, current_file)`` during long imports."""

CancelFn = Callable[[], bool]
"""Returns True when the user asked to abandon the current import."""


class ImportCancelled(Exception):
    """The user abandoned an import; nothing was cached and the previous corpus stays."""


@dataclass
class SkippedFile:
    """A file (or part of one) left out of a corpus, with a reason a person can act on."""

    path: str
    reason: str


@dataclass
class ImportReport:
    """What an import took and what it left out, shown in the dataset panel and by ``studio import``."""

    folder: str
    files_seen: int = 0
    imported: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    items: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    from_cache: bool = False

    def skip(self, path: str | Path, reason: str) -> None:
        self.skipped.append(SkippedFile(str(path), reason))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ImportReport":
        skipped = [SkippedFile(**s) for s in data.get("skipped", [])]
        fields = {k: v for k, v in data.items() if k != "skipped"}
        return cls(skipped=skipped, **fields)

    def parts_left_out(self) -> int:
        """Lines about sections of files that were imported (a bar in 1/8 inside a song that gave phrases)."""
        imported = set(self.imported)
        return sum(1 for s in self.skipped if s.path in imported)

    def summary(self) -> str:
        """One line; sections left out of imported files are counted apart, so "all imported" reads true."""
        parts = self.parts_left_out()
        text = (
            f"{len(self.imported)} of {self.files_seen} files imported, "
            f"{self.items} training items, {len(self.skipped) - parts} skipped"
        )
        if parts:
            text += f", {parts} {'section' if parts == 1 else 'sections'} of imported files left out"
        return text + (" (from cache)" if self.from_cache else "")


@dataclass
class Corpus:
    """A whole training set held as one tensor, so the hot loop never touches files.

    ``data`` is stored compactly in the domain's own layout (uint8 pixels, 0/1
    piano-roll cells, int16 character ids, float16 motion features); the
    domain turns batches of it into float tensors in G's output space with
    :meth:`Domain.real_batch`.  ``meta`` is JSON-serialisable and holds what
    the nets and codec need (image size, pitch range, vocabulary...).
    """

    data: "torch.Tensor"
    meta: dict[str, Any]
    fingerprint: str
    report: ImportReport


@dataclass
class Preset:
    """One named training recipe: nets, optimiser, loss, augmentation, import options."""

    name: str
    description: str
    z_dim: int = 128
    batch_size: int = 32
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    loss: str = "hinge"  # hinge | nonsat | wgan-gp
    d_steps: int = 1
    gp_weight: float = 10.0  # for wgan-gp
    r1_gamma: float = 0.0  # R1 penalty on real data, every ``r1_every`` D steps
    r1_every: int = 16
    ema_beta: float = 0.999
    ema_start: int = 0  # steps before the EMA starts averaging (copies G until then)
    augment: str = ""  # comma list understood by Domain.augment, e.g. "color,translation,cutout"
    augment_p: float = 1.0
    steps: int = 2000  # default length of a run
    sample_every: int = 100  # fixed-seed grid every N steps (and at most every few seconds in the UI)
    metrics_every: int = 250
    checkpoint_every: int = 500
    device_kind: str = "cpu"  # cpu | gpu: which device the preset was tuned for
    mixed_precision: bool = False  # bfloat16 autocast where the device has it natively (devices.autocast)
    channels_last: bool = False  # CUDA only
    net: dict[str, Any] = field(default_factory=dict)
    import_options: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["betas"] = list(self.betas)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Preset":
        data = dict(data)
        data["betas"] = tuple(data.get("betas", (0.5, 0.999)))
        return cls(**data)


@dataclass
class ModelContext:
    """Everything a domain needs to turn generator output into artifacts."""

    preset: Preset
    meta: dict[str, Any]
    device: "torch.device"
    aux: dict[str, "nn.Module"] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)  # decode options from the UI (threshold, temperature...)


class Pretrainer(Protocol):
    """An optional first phase run before the GAN (the text autoencoder).

    After ``total_steps`` steps the trainer encodes the whole corpus once with
    :meth:`encode` and the GAN learns to imitate those codes.  The trainer asks
    :meth:`gan_alongside` whether the GAN should also train during the phase
    (ARAE): then every step is handed the critic and followed by GAN steps on
    :meth:`gan_batch`, and a fresh GAN starts on the final codes.
    """

    title: str  # what the phase trains, as a sentence names it ("the autoencoder")
    total_steps: int
    modules: dict[str, "nn.Module"]  # saved in checkpoints, handed to decode as ModelContext.aux

    def gan_alongside(self) -> int:
        """Critic steps the GAN takes after each of this phase's steps; 0 when it waits for the phase to end."""

    def gan_batch(self) -> "torch.Tensor | None":
        """With :meth:`gan_alongside`: the GAN's real data for the step after this phase's last one."""

    def step(self, real: "torch.Tensor", critic: "nn.Module | None" = None) -> dict[str, float]:
        """One optimisation step on a real batch (pulled toward the ``critic``'s view if given); figures to plot."""

    def batch_index(self, counter: int, seed: int) -> "torch.Tensor":
        """Rows of the corpus for the ``counter``-th batch of the whole run (all processes counted), a
        function of ``(counter, seed)`` alone so a resumed run continues the same order."""

    def encode(self, real: "torch.Tensor") -> "torch.Tensor":
        """Maps a real batch to the GAN's data space (no gradients)."""

    def optimizer_state(self) -> dict[str, Any]:
        """The optimiser's ``state_dict`` (checkpointed with the modules)."""

    def load_optimizer_state(self, state: dict[str, Any]) -> None:
        ...


@dataclass
class Neighbour:
    """The training item closest to a sample: the copy check an artist can look at."""

    index: int  # row of the corpus
    item: Any  # an artifact like the sample's (picture, clip, line)
    distance: float  # 0 = identical; the domain's own scale
    label: str  # how close, in words ("RMS distance 0.08")
    copied: bool = False  # close enough to count as a copy in the domain's copy rate


DomainResolver = Callable[[str], "Domain"]
"""A domain name (as run folders and model files record it) -> its Domain; ValueError naming the known ones.

The CLI and the window pass the registry's ``studio.domains.get_domain``: core never looks a domain up itself."""


class Domain(Protocol):
    """What a medium supplies; see DESIGN.md's table.  No Qt here."""

    name: str  # "painting"
    title: str  # "Painting"
    artifact_suffix: str  # ".png", ".mid", ".txt"
    walk_suffix: str  # ".gif", ".mid", ".txt"
    walk_suffixes: tuple[str, ...]
    """Optional: every file type :meth:`save_walk` writes, ``walk_suffix`` first (a picture domain's GIF, WebP and
    MP4)."""
    presets: dict[str, Preset]
    figure_panels: dict[str, list[str]]
    """Optional: plot panel title -> the :meth:`metrics` figures it draws, for figures of different scales.
    Figures left out are still logged to metrics.jsonl but not drawn (a per-track breakdown, say)."""
    figure_labels: dict[str, str]
    """Optional: legend text for the figures ("empty bars" for "EB")."""
    limits: dict[str, tuple[int, int]]
    """Optional: bounds of the sizes a run may describe, keyed "net.<key>" or "meta.<key>" ("meta.size": (8, 1024));
    a run or model file outside them is refused before its nets are built (core/validation.py)."""

    def default_preset(self, device_type: str) -> str:
        """The preset to offer first on a device type ("cpu", "cuda", "mps")."""

    def import_folder(
        self,
        folder: str | Path,
        options: dict[str, Any],
        progress: ProgressFn | None = None,
        cancel: CancelFn | None = None,
    ) -> Corpus:
        """Reads a folder recursively; never raises for a bad file (it goes in the report)."""

    def demo_corpus_folder(self, target: str | Path) -> Path:
        """Writes (once) the built-in demo data the project generates itself; returns the folder."""

    def build_generator(self, preset: Preset, meta: dict[str, Any]) -> "nn.Module":
        """``G(z) -> output``, z of shape (N, preset.z_dim)."""

    def build_discriminator(self, preset: Preset, meta: dict[str, Any]) -> "nn.Module":
        """``D(x) -> logits (N,)``.  A D with ``forward_with_aux(x) -> (logits, aux_loss)``
        gets that used on real batches (FastGAN-style self-supervision)."""

    def pretrainer(self, preset: Preset, corpus: Corpus, device: "torch.device") -> Pretrainer | None:
        """The first phase of a two-phase medium, or None; the trainer sets its ``total_steps`` to the run's share."""

    def pretrain_steps(self, preset: Preset) -> int:
        """Optional, with :meth:`pretrainer`: the first phase's length ``preset`` asks for, without torch.

        A run's steps count both phases (core/steps.py); this sets how a given
        number of steps is shared between them."""

    def aux_modules(self, preset: Preset, meta: dict[str, Any]) -> dict[str, "nn.Module"]:
        """Fresh (untrained) auxiliary nets, named as in the pretrainer's ``modules``; {} for most domains.

        Loading a model for sampling builds these and fills them from a checkpoint.
        """

    def real_batch(self, batch: "torch.Tensor", meta: dict[str, Any], train: bool) -> "torch.Tensor":
        """Integer corpus rows -> float tensor in G's output space (data augmentation when train)."""

    def augment(self, x: "torch.Tensor", policy: str, generator: "torch.Generator") -> "torch.Tensor":
        """Differentiable augmentation applied to real and fake alike (DiffAugment)."""

    def decode(self, output: "torch.Tensor", ctx: ModelContext) -> list[Any]:
        """G output -> artifacts (uint8 HxWx3 arrays, note rolls, strings)."""

    def metrics(self, output: "torch.Tensor", corpus: Corpus, ctx: ModelContext) -> dict[str, float]:
        """Weight-free quality figures of a batch of samples against the corpus."""

    def save_artifact(self, artifact: Any, path: str | Path, info: dict[str, Any]) -> Path:
        """Exports one artifact; ``info`` (seed, latent, run, step) is embedded or written beside."""

    def save_walk(self, artifacts: Sequence[Any], path: str | Path, info: dict[str, Any]) -> Path:
        """Exports an interpolation walk (animated GIF, WebP or MP4 by ``path``'s extension, one MIDI of phrases,
        a text file). ``info`` records the export's ``fps`` and ``size`` (longest side, px), and picture
        domains play and scale the walk by them."""

    def save_grid(self, artifacts: Sequence[Any], path: str | Path, info: dict[str, Any]) -> Path:
        """Exports many artifacts as one file (a PNG grid, a MIDI of phrases, a text file)."""

    def grid_picture(self, artifacts: Sequence[Any]) -> "np.ndarray":
        """Optional (None where a medium has no pictures): many artifacts as one H x W x 3 uint8 picture, the
        frame of a training timelapse."""

    def preview_items(self, rows: "np.ndarray", meta: dict[str, Any]) -> list[Any]:
        """Corpus rows (the integer layout the corpus stores) -> artifacts, for the dataset panel's thumbnails."""

    def nearest_training(self, artifacts: Sequence[Any], corpus: Corpus) -> list[Neighbour]:
        """Optional (None where a medium has no distance): the closest training item to each sample, so the
        artist can see whether the model copies."""

    def reference_metrics(self, corpus: Corpus) -> dict[str, float]:
        """The corpus's own values of the figures :meth:`metrics` logs ({} when none make sense);
        drawn as dashed reference lines beside the samples' curves."""

    def calibrate_decoding(self, generate: Callable[[list[int]], "torch.Tensor"], corpus: Corpus,
                           ctx: ModelContext) -> dict[str, Any]:
        """Optional: decode options fitted to the run when training stops (the text domain's phrasing weight).

        ``generate(seeds)`` gives EMA-G's outputs.  The options are kept in the
        run's last checkpoint and become its model's defaults, under whatever
        a caller asks for."""

    def projection_target(self, path: str | Path, meta: dict[str, Any]) -> "torch.Tensor":
        """Optional: a file of the medium -> a (1, ...) target in G's output space, for placing the user's own
        work in the latent space (core/projection.py); ValueError names a file it cannot read."""

    def projection_loss(self, output: "torch.Tensor", target: "torch.Tensor") -> "torch.Tensor":
        """Optional: per sample, how far G's ``output`` is from ``target`` (no downloaded weights); default MSE."""

    def synthesise_notes(self, notes: Sequence[Any], seconds: float, sample_rate: int) -> "np.ndarray":
        """Optional: mono audio of ``seconds`` for notes timed in seconds (core/music_drive.Note), the sound
        track of a walk painted to a MIDI file."""


class DomainBase:
    """Every optional :class:`Domain` member with its default, so a domain class writes only what it has.

    Generic code reads these members directly, never with ``getattr``: a
    domain that subclasses this is complete by construction once it writes
    the required members.  The capabilities left ``None`` are ones the window
    offers only where they exist (a timelapse, the copy check, placing a file, sounding notes).
    """

    figure_panels: Mapping[str, list[str]] = MappingProxyType({})  # no panels: every figure on the default plots
    figure_labels: Mapping[str, str] = MappingProxyType({})
    limits: Mapping[str, tuple[int, int]] = MappingProxyType({})
    grid_picture: Callable[[Sequence[Any]], "np.ndarray"] | None = None
    nearest_training: Callable[[Sequence[Any], Corpus], list[Neighbour]] | None = None
    projection_target: Callable[[str | Path, dict[str, Any]], "torch.Tensor"] | None = None
    synthesise_notes: Callable[[Sequence[Any], float, int], "np.ndarray"] | None = None

    def projection_loss(self, output: "torch.Tensor", target: "torch.Tensor") -> "torch.Tensor":
        return (output - target).pow(2).flatten(1).mean(dim=1)

    @property
    def walk_suffixes(self) -> tuple[str, ...]:
        return (self.walk_suffix,)  # type: ignore[attr-defined]

    def pretrainer(self, preset: Preset, corpus: Corpus, device: "torch.device") -> Pretrainer | None:
        return None

    def pretrain_steps(self, preset: Preset) -> int:
        return 0

    def aux_modules(self, preset: Preset, meta: dict[str, Any]) -> dict[str, "nn.Module"]:
        return {}

    def reference_metrics(self, corpus: Corpus) -> dict[str, float]:
        return {}

    def calibrate_decoding(self, generate: Callable[[list[int]], "torch.Tensor"], corpus: Corpus,
                           ctx: ModelContext) -> dict[str, Any]:
        return {}
