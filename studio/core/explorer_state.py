"""Where the explorer stands: four corner anchors, the pad position, truncation ψ and the decode options.

A plain, immutable value: every change makes a new state, so a render
request can carry the state it was asked for and the explorer compares what
is on screen with what was asked, instead of keeping counters and flags.
The latent math is here, without Qt, so exports and the command line can
reproduce what the explorer shows.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import numpy as np

from studio.core.latent import bilinear, seed_to_z, truncate, walk

TOP_LEFT, TOP_RIGHT, BOTTOM_LEFT, BOTTOM_RIGHT = range(4)
CORNER_NAMES = ["top-left", "top-right", "bottom-left", "bottom-right"]
CORNER_UV = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)]
WALK_ORDER = [TOP_LEFT, TOP_RIGHT, BOTTOM_RIGHT, BOTTOM_LEFT]  # a loop comes back to top-left
MAX_SEED = 2**31 - 1
PSI_RANGE = (0.0, 1.5)


@dataclass(frozen=True, eq=False)
class Anchor:
    """One corner: a seed, or a latent given directly (an encoded line, a projected picture) with its label."""

    seed: int
    z: np.ndarray
    label: str | None = None  # set when the anchor is a latent given directly, not a seed


@dataclass(frozen=True, eq=False)
class ExplorerState:
    """The explorer's anchors, pad position (u across, v down, in [0, 1]), ψ, decode options and latent size."""

    anchors: tuple[Anchor, ...] = field(
        default_factory=lambda: tuple(Anchor(i, np.zeros(0, np.float32)) for i in range(4)))
    u: float = 0.5
    v: float = 0.5
    psi: float = 1.0
    options: Mapping[str, Any] = field(default_factory=dict)
    z_dim: int = 0

    # ------------------------------------------------------------ changes (each a new state)
    def with_z_dim(self, z_dim: int) -> "ExplorerState":
        """For a model with latents of ``z_dim``: seed anchors are expanded again, and so is a given latent
        that does not fit (it then falls back to its corner's seed)."""
        anchors = tuple(a if a.label is not None and a.z.shape == (z_dim,) else Anchor(a.seed, seed_to_z(a.seed, z_dim))
                        for a in self.anchors)
        return replace(self, anchors=anchors, z_dim=int(z_dim))

    def with_seed(self, corner: int, seed: int) -> "ExplorerState":
        seed = int(seed) & MAX_SEED
        return self._with_anchor(corner, Anchor(seed, seed_to_z(seed, self.z_dim)))

    def with_latent(self, corner: int, z: np.ndarray, label: str) -> "ExplorerState":
        """A latent given directly at a corner; ValueError when it does not fit the model's latent size."""
        z = np.asarray(z, np.float32).reshape(-1)
        if self.z_dim and z.shape != (self.z_dim,):
            raise ValueError(f"latent of size {z.size} for a model with z_dim {self.z_dim}")
        return self._with_anchor(corner, Anchor(self.anchors[corner].seed, z.copy(), label))

    def with_position(self, u: float, v: float) -> "ExplorerState":
        return replace(self, u=float(np.clip(u, 0, 1)), v=float(np.clip(v, 0, 1)))

    def with_psi(self, psi: float) -> "ExplorerState":
        return replace(self, psi=float(np.clip(psi, *PSI_RANGE)))

    def with_options(self, options: Mapping[str, Any]) -> "ExplorerState":
        """Decode options merged over the current ones (threshold, temperature…)."""
        return replace(self, options={**self.options, **options})

    def _with_anchor(self, corner: int, anchor: Anchor) -> "ExplorerState":
        anchors = list(self.anchors)
        anchors[corner] = anchor
        return replace(self, anchors=tuple(anchors))

    # ------------------------------------------------------------ what it describes
    def seeds(self) -> list[int | None]:
        """Each corner's seed; None where the corner holds a latent given directly."""
        return [a.seed if a.label is None else None for a in self.anchors]

    def labels(self) -> list[str | None]:
        return [a.label for a in self.anchors]

    def corner(self) -> int | None:
        """The corner the pad position is exactly at, if any."""
        position = (self.u, self.v)
        return CORNER_UV.index(position) if position in CORNER_UV else None

    def blend(self) -> np.ndarray:
        """The bilinear (slerp) blend of the four anchors at the pad position, before ψ."""
        return bilinear([a.z for a in self.anchors], self.u, self.v)

    def latent(self, offset: np.ndarray | None = None) -> np.ndarray:
        """The blend, moved by ``offset`` (the directions' sliders), then truncated by ψ."""
        blend = self.blend()
        return truncate(blend if offset is None else blend + offset, self.psi)

    def corner_latents(self) -> list[np.ndarray]:
        """The four anchors truncated by ψ, as the pad's corner thumbnails show them."""
        return [truncate(a.z, self.psi) for a in self.anchors]

    def look(self) -> tuple[Any, ...]:
        """What the corner thumbnails depend on: equal looks need no new thumbnails."""
        return (self.anchors, self.psi, dict(self.options), self.z_dim)

    def walk_latents(self, frames: int, loop: bool = True, offset: np.ndarray | None = None) -> np.ndarray:
        """top-left → top-right → bottom-right → bottom-left (→ top-left, eased, when it loops), moved by
        ``offset`` and truncated by ψ."""
        latents = walk([self.anchors[i].z for i in WALK_ORDER], frames, loop=loop, eased=loop)
        return truncate(latents if offset is None else latents + offset, self.psi)

    def record(self, offset: np.ndarray | None = None, edits: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """What an export records: anchors, blend position, ψ, options, the latent and any directions' edits.

        ``seed`` is kept only when the result is exactly that seed's sample (at
        a corner, ψ 1, no edits), so ``studio sample`` gives the same file."""
        seeds = self.seeds()
        corner = self.corner()
        edits = dict(edits or {})
        return {
            "seed": seeds[corner] if corner is not None and self.psi == 1.0 and not edits else None,
            "seeds": seeds,
            "corner_labels": self.labels(),
            "u": self.u,
            "v": self.v,
            "psi": self.psi,
            "options": dict(self.options),
            "latent": [float(x) for x in self.latent(offset)],
            **edits,
        }
