"""Painting: folders of pictures -> square RGB tensors -> a GAN -> PNG, GIF walks and grids.

Only the recipes (``presets.py``) are imported with this module; torch, the
nets and the image code load on first use, so the window can list the tab
and its presets before torch is in memory.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from studio.core.domain import CancelFn, Corpus, DomainBase, ModelContext, Neighbour, Preset, ProgressFn
from studio.domains.painting.presets import DEFAULTS, PRESETS

if TYPE_CHECKING:
    from studio.core.animation import Soundtrack
    import numpy as np
    import torch
    from torch import nn


def _size(preset: Preset, meta: dict[str, Any]) -> int:
    """The corpus's picture size wins over the preset's, so a run always matches its data."""
    return int(meta.get("size") or preset.import_options.get("size", 64))


class PaintingDomain(DomainBase):
    name = "painting"
    title = "Painting"
    artifact_suffix = ".png"
    walk_suffix = ".gif"
    walk_suffixes = (".gif", ".webp", ".mp4")
    limits = {"meta.size": (8, 1024), "meta.channels": (1, 4), "net.g_width": (1, 1024), "net.d_width": (1, 1024),
              "net.g_cap": (1, 4096), "net.d_cap": (1, 4096), "net.g_convs": (1, 8), "net.d_kernel": (1, 9),
              "net.decoder_size": (8, 1024)}
    """Sizes a run or model file may describe (studio.core.validation checks them before building nets)."""
    figure_panels = {"distribution distance (lower is better)": ["swd"],
                     "variety and copying": ["diversity", "nn_distance", "copy_rate"]}
    figure_labels = {"swd": "sliced Wasserstein", "diversity": "diversity",
                     "nn_distance": "distance to nearest training picture", "copy_rate": "copied share"}

    def __init__(self) -> None:
        self.presets: dict[str, Preset] = dict(PRESETS)

    def default_preset(self, device_type: str) -> str:
        return DEFAULTS.get(device_type, DEFAULTS["cpu"])

    # ----------------------------------------------------------------- data
    def import_folder(
        self,
        folder: str | Path,
        options: dict[str, Any],
        progress: ProgressFn | None = None,
        cancel: CancelFn | None = None,
    ) -> Corpus:
        from studio.domains.painting.corpus import import_images

        return import_images(folder, options, progress, cancel)

    def demo_corpus_folder(self, target: str | Path) -> Path:
        from studio.domains.painting.demo import write_demo_folder

        return write_demo_folder(target)

    def real_batch(self, batch: "torch.Tensor", meta: dict[str, Any], train: bool) -> "torch.Tensor":
        """uint8 pixels -> [-1, 1]; in training half the pictures are mirrored (a free doubling of the folder)."""
        import torch

        x = batch.to(torch.float32) / 127.5 - 1.0
        if train:
            flip = torch.rand(x.shape[0], 1, 1, 1, device=x.device) < 0.5
            x = torch.where(flip, x.flip(-1), x)
        return x

    def augment(self, x: "torch.Tensor", policy: str, generator: "torch.Generator") -> "torch.Tensor":
        from studio.core.augment import diff_augment

        return diff_augment(x, policy, generator)

    # ----------------------------------------------------------------- nets
    def build_generator(self, preset: Preset, meta: dict[str, Any]) -> "nn.Module":
        from studio.domains.painting.nets import build_generator

        return build_generator(preset.net, preset.z_dim, _size(preset, meta))

    def build_discriminator(self, preset: Preset, meta: dict[str, Any]) -> "nn.Module":
        from studio.domains.painting.nets import build_discriminator

        return build_discriminator(preset.net, _size(preset, meta))

    # ------------------------------------------------------------- outputs
    def decode(self, output: "torch.Tensor", ctx: ModelContext) -> list["np.ndarray"]:
        from studio.domains.painting.codec import to_images

        return to_images(output)

    def metrics(self, output: "torch.Tensor", corpus: Corpus, ctx: ModelContext) -> dict[str, float]:
        """SWD, diversity and the copy check against (a fixed sample of at most 512 of) the corpus."""
        from studio.domains.painting.codec import to_uint8
        from studio.domains.painting.metrics import painting_metrics, reference_for

        return painting_metrics(to_uint8(output), reference_for(corpus))

    def nearest_training(self, artifacts: Sequence["np.ndarray"], corpus: Corpus) -> list[Neighbour]:
        """Each picture's closest training picture, by RMS distance of small thumbnails (as the copy rate)."""
        import numpy as np

        from studio.domains.painting.metrics import reference_for

        if not len(artifacts):
            return []
        from studio.domains.painting.codec import resized

        reference = reference_for(corpus)
        size = int(corpus.data.shape[-1])  # a run of another size is compared at the folder's size
        fake = np.stack([resized(np.asarray(a, np.uint8), size) for a in artifacts]).transpose(0, 3, 1, 2)
        indices, distances = reference.nearest(fake)
        copied = reference.copy_flags(indices, distances)
        rows = self.preview_items(corpus.data[indices].numpy(), corpus.meta)
        return [Neighbour(int(i), row, float(d), f"RMS distance {d:.3f}", bool(c))
                for i, row, d, c in zip(indices, rows, distances, copied)]

    def projection_target(self, path: str | Path, meta: dict[str, Any]) -> "torch.Tensor":
        """A picture file -> the 1 x 3 x size x size target a placement searches toward (its centre square)."""
        from studio.domains.painting.projection import load_target

        return load_target(path, int(meta.get("size", 64)))

    def projection_loss(self, output: "torch.Tensor", target: "torch.Tensor") -> "torch.Tensor":
        """Per picture: pixels at four scales plus a Laplacian-pyramid term (no downloaded weights)."""
        from studio.domains.painting.projection import picture_distance

        return picture_distance(output, target)

    def preview_items(self, rows: "np.ndarray", meta: dict[str, Any]) -> list["np.ndarray"]:
        """3×H×W (or 1×H×W) uint8 rows -> H×W×3 pictures."""
        import numpy as np

        images = np.moveaxis(np.asarray(rows, np.uint8), 1, -1)
        if images.shape[-1] == 1:
            images = np.repeat(images, 3, axis=-1)
        return [np.ascontiguousarray(image) for image in images]

    def save_artifact(self, artifact: Any, path: str | Path, info: dict[str, Any]) -> Path:
        from studio.domains.painting.codec import save_png

        return save_png(artifact, path, info)

    def save_walk(self, artifacts: Sequence[Any], path: str | Path, info: dict[str, Any],
                  audio: "Soundtrack | None" = None) -> Path:
        """GIF, WebP or MP4 by the extension; ``audio`` (Paint to music) becomes the MP4's sound track."""
        from studio.core.animation import DEFAULT_FPS, write_animation
        from studio.domains.painting.codec import INFO_KEY, info_json

        comment = INFO_KEY + ":" + info_json(info)
        return write_animation(artifacts, path, comment, info.get("fps") or DEFAULT_FPS, info.get("size"), audio)

    def grid_picture(self, artifacts: Sequence[Any]) -> Any:
        import numpy as np

        from studio.domains.painting.codec import grid_image

        return np.asarray(grid_image(artifacts))

    def save_grid(self, artifacts: Sequence[Any], path: str | Path, info: dict[str, Any]) -> Path:
        from studio.domains.painting.codec import save_grid_png

        return save_grid_png(artifacts, path, info)


DOMAIN = PaintingDomain()
