"""The Dance domain: what the generic pipeline calls (see ``studio/core/domain.py``).

Corpus rows are windows of features.py's channels (pelvis height and ground velocity, turning speed,
6-D joint rotations); G's output space is those channels standardised by the corpus's own mean and
spread (``meta["channel_mean"]``, ``meta["channel_std"]``, added at import), so a channel that
barely moves weighs as much to D as one that swings.  Artifacts are ``Motion`` clips on the corpus's
skeleton.  torch is imported inside the methods: listing tabs and presets stays fast.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from studio.core.domain import CancelFn, Corpus, DomainBase, ModelContext, Neighbour, Preset, ProgressFn
from studio.domains.dance.presets import DEFAULTS, PRESETS

if TYPE_CHECKING:
    import torch
    from torch import nn

    from studio.domains.dance.features import Rig
    from studio.domains.dance.metrics import Kinematics, Reference
    from studio.domains.dance.skeleton import Motion

STD_FLOOR = 0.05
"""Channels steadier than this (a joint the capture never turns) are not blown up by standardising."""
WALK_SIZE = 320  # px, a GIF or WebP walk's side when the export names none


def channel_stats(data: np.ndarray) -> tuple[list[float], list[float]]:
    """Per-channel mean and (floored) standard deviation of N x channels x frames windows."""
    if not len(data):
        return [], []
    mean = data.mean(axis=(0, 2))
    std = np.maximum(data.std(axis=(0, 2)), STD_FLOOR)
    return [round(float(v), 6) for v in mean], [round(float(v), 6) for v in std]


def rig_of(meta: dict[str, Any]) -> "Rig":
    from studio.domains.dance.features import Rig

    return Rig.from_dict(meta["rig"])


def to_motions(windows: np.ndarray, meta: dict[str, Any]) -> list["Motion"]:
    """N x channels x frames feature windows (corpus units) -> clips on the corpus's skeleton."""
    from studio.domains.dance.features import features_to_motion

    rig = rig_of(meta)
    fps = float(meta["fps"])
    return [features_to_motion(np.nan_to_num(w), rig, fps) for w in np.asarray(windows, np.float64)]


def kinematics(motions: Sequence["Motion"], meta: dict[str, Any]) -> "Kinematics":
    """Clips of the corpus's skeleton, ready for metrics.py (positions by forward kinematics)."""
    from studio.domains.dance.metrics import Kinematics
    from studio.domains.dance.skeleton import foot_joints, skeleton_height

    skeleton = motions[0].skeleton
    frames = min(m.frames for m in motions)
    positions = np.stack([m.positions()[:frames] for m in motions])
    rotations = np.stack([m.rotations[:frames] for m in motions])
    return Kinematics(positions, rotations, float(meta["fps"]), foot_joints(skeleton), skeleton_height(skeleton),
                      skeleton.pelvis())


_REFERENCES: OrderedDict[str, tuple["Reference", np.ndarray]] = OrderedDict()
_REFERENCES_LOCK = threading.Lock()
MAX_REFERENCE = 2048
"""Corpus windows the figures and the copy check compare with (a fixed sample of bigger folders)."""


def reference_for(corpus: Corpus) -> tuple["Reference", np.ndarray]:
    """The corpus's metrics reference and the corpus rows it holds, built once per corpus (two kept)."""
    from studio.domains.dance.metrics import build_reference

    with _REFERENCES_LOCK:
        hit = _REFERENCES.get(corpus.fingerprint)
        if hit is None:
            data = np.asarray(corpus.data, np.float64)
            rows = np.arange(len(data))
            if len(rows) > MAX_REFERENCE:
                rows = np.sort(np.random.default_rng(0).choice(len(rows), MAX_REFERENCE, replace=False))
            hit = (build_reference(kinematics(to_motions(data[rows], corpus.meta), corpus.meta)), rows)
            _REFERENCES[corpus.fingerprint] = hit
            while len(_REFERENCES) > 2:
                _REFERENCES.popitem(last=False)
        _REFERENCES.move_to_end(corpus.fingerprint)
        return hit


class DanceDomain(DomainBase):
    """Folders of motion capture in, clips of motion out (see the module docstrings of this package)."""

    name = "dance"
    title = "Dance"
    artifact_suffix = ".bvh"
    walk_suffix = ".bvh"
    walk_suffixes = (".bvh", ".gif", ".webp", ".mp4")
    limits = {"meta.frames": (2, 14400), "meta.channels": (10, 6148),
              "net.g_width": (1, 2048), "net.d_width": (1, 2048), "net.d_layers": (1, 8), "net.kernel": (1, 15),
              "net.beat_dim": (1, 256), "net.out_stride": (1, 8)}
    """Sizes a run or model file may describe (studio.core.validation checks them before building nets)."""
    figure_panels = {"movement (lower is better)": ["skate", "jerk", "limits"],
                     "distribution": ["fd", "diversity"], "copying": ["copy_rate"]}
    figure_labels = {"skate": "foot skating (heights/s)", "jerk": "jerk", "limits": "joint-limit violations",
                     "fd": "kinematic Fréchet distance", "diversity": "diversity", "copy_rate": "copied share"}

    def __init__(self) -> None:
        self.presets: dict[str, Preset] = dict(PRESETS)

    def default_preset(self, device_type: str) -> str:
        return DEFAULTS.get(device_type, DEFAULTS["cpu"])

    # ----------------------------------------------------------------- data
    def import_folder(self, folder: str | Path, options: dict[str, Any], progress: ProgressFn | None = None,
                      cancel: CancelFn | None = None) -> Corpus:
        """DA's import (corpus.py), with the channel statistics G's output space is standardised by."""
        from studio.domains.dance.corpus import import_motion

        corpus = import_motion(folder, options, progress, cancel)
        if "channel_mean" not in corpus.meta:
            mean, std = channel_stats(np.asarray(corpus.data, np.float64))
            corpus.meta.update(channel_mean=mean, channel_std=std)
        return corpus

    def demo_corpus_folder(self, target: str | Path) -> Path:
        from studio.domains.dance.demo import write_demo_folder

        return write_demo_folder(target)

    def _stats(self, meta: dict[str, Any], device: "torch.device") -> tuple["torch.Tensor", "torch.Tensor"]:
        import torch

        mean = torch.tensor(meta["channel_mean"], dtype=torch.float32, device=device).view(1, -1, 1)
        std = torch.tensor(meta["channel_std"], dtype=torch.float32, device=device).view(1, -1, 1)
        return mean, std

    def real_batch(self, batch: "torch.Tensor", meta: dict[str, Any], train: bool) -> "torch.Tensor":
        mean, std = self._stats(meta, batch.device)
        return (batch.float() - mean) / std

    def augment(self, x: "torch.Tensor", policy: str, generator: "torch.Generator") -> "torch.Tensor":
        """No differentiable augmentation: mirrored copies are in the corpus already (features.py), and a
        shifted window is another window of the same take, which the corpus's overlapping windows hold."""
        unknown = [name for name in (n.strip() for n in policy.split(",")) if name]
        if unknown:
            raise ValueError(f"unknown dance augmentation {unknown[0]!r}; the dance medium has none")
        return x

    # ----------------------------------------------------------------- nets
    def build_generator(self, preset: Preset, meta: dict[str, Any]) -> "nn.Module":
        from studio.domains.dance.nets import build_generator

        return build_generator(preset.z_dim, int(meta["channels"]), int(meta["frames"]), preset.net)

    def build_discriminator(self, preset: Preset, meta: dict[str, Any]) -> "nn.Module":
        from studio.domains.dance.nets import build_discriminator

        return build_discriminator(int(meta["channels"]), int(meta["frames"]), preset.net)

    # -------------------------------------------------------------- outputs
    def windows(self, output: "torch.Tensor", meta: dict[str, Any]) -> np.ndarray:
        """G output -> feature windows in the corpus's units (N x channels x frames)."""
        mean, std = self._stats(meta, output.device)
        return (output.detach().float() * std + mean).cpu().numpy()

    def decode(self, output: "torch.Tensor", ctx: ModelContext) -> list["Motion"]:
        return to_motions(self.windows(output, ctx.meta), ctx.meta)

    def metrics(self, output: "torch.Tensor", corpus: Corpus, ctx: ModelContext) -> dict[str, float]:
        from studio.domains.dance.metrics import dance_metrics

        reference, _ = reference_for(corpus)
        return dance_metrics(kinematics(self.decode(output, ctx), corpus.meta), reference)

    def reference_metrics(self, corpus: Corpus) -> dict[str, float]:
        if not len(corpus.data):
            return {}
        return dict(reference_for(corpus)[0].values)

    def nearest_training(self, artifacts: Sequence["Motion"], corpus: Corpus) -> list[Neighbour]:
        """Each clip's closest training window by pose distance (as the copy rate measures it)."""
        from studio.domains.dance.metrics import pose_vectors

        if not len(artifacts) or not len(corpus.data):
            return []
        reference, rows = reference_for(corpus)
        index, distances = reference.nearest(pose_vectors(kinematics(artifacts, corpus.meta)))
        found = rows[index]
        items = self.preview_items(np.asarray(corpus.data[found]), corpus.meta)
        return [Neighbour(int(i), item, float(d), f"pose distance {d:.3f} body heights",
                          bool(d < reference.copy_threshold)) for i, item, d in zip(found, items, distances)]

    def preview_items(self, rows: np.ndarray, meta: dict[str, Any]) -> list["Motion"]:
        return to_motions(np.asarray(rows, np.float64), meta)

    # --------------------------------------------------------------- export
    def save_artifact(self, artifact: "Motion", path: str | Path, info: dict[str, Any]) -> Path:
        from studio.domains.dance.codec import save_bvh

        return save_bvh(artifact, path, info)

    def save_walk(self, artifacts: Sequence["Motion"], path: str | Path, info: dict[str, Any]) -> Path:
        """One take of the clips with blended joins, as BVH or as a GIF / WebP / MP4 of the figure.

        With ``options["music"]`` (a MIDI file) the clips are laid on its beats, one after another for
        the whole piece, and the music is written beside as a WAV of the same name.
        """
        from studio.core.animation import write_animation
        from studio.domains.dance.codec import info_comment, join, motion_frames, save_bvh

        path = Path(path)
        options = info.get("options") or {}
        music = options.get("music")
        if music:
            from studio.domains.dance.beats import read_beats, write_music_wav
            from studio.domains.dance.choreography import lay_on_music
            from studio.domains.dance.nets import BEATS

            track = read_beats(music)
            take = lay_on_music(artifacts, track, BEATS)
            write_music_wav(track, path.with_suffix(".wav"))
        else:
            take = join(artifacts)
        if path.suffix.lower() == ".bvh":
            return save_bvh(take, path, info)
        fps = float(info.get("fps") or take.fps)
        frames = motion_frames(take, int(info.get("size") or WALK_SIZE), options.get("camera", "front"), fps)
        return write_animation(frames, path, info_comment(info), fps)

    def save_grid(self, artifacts: Sequence["Motion"], path: str | Path, info: dict[str, Any]) -> Path:
        """Many clips as one BVH take, one after another."""
        return self.save_walk(artifacts, path, info)

    def grid_picture(self, artifacts: Sequence["Motion"]) -> np.ndarray:
        from studio.domains.dance.codec import grid_picture

        return grid_picture(artifacts)


DOMAIN = DanceDomain()
