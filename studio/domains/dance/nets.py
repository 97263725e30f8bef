"""Generator and discriminator over windows of motion: N x channels x frames (features.py's layout).

G splits its z into one clip latent and one small latent per beat (:data:`BEATS` of them, each
``net["beat_dim"]`` long, the clip latent taking the rest), so a walk through z can keep a dancer's
style while the beats change, and "Dance to music" can give each of the music's beats its own.
The beat latents form a sequence at one cell per beat, which repeated upsampling and temporal
convolutions (each block modulated by the clip latent, FiLM-style) unfold to half the frame rate;
a last linear interpolation doubles it.  Writing at half rate makes G's output smooth by
construction: a convolution at full rate can (and early in training does) jitter from frame to
frame, which the eye sees at once and which feet skating on the floor makes worse.  The blocks
normalise each frame across channels (pixel norm), never each channel over time: instance norm
gives every feature unit variance over the window, so a pose that should hold still sways.

D reads the frames beside their velocities (frame-to-frame differences; with ``net["d_accel"]``
their accelerations too), since what betrays
generated motion is mostly in how it moves (jitter, sliding, frozen limbs), through strided
temporal convolutions with spectral norm (hinge loss), and a minibatch standard-deviation
feature that lets it see a G that plays the same move for every z.
"""
from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


BEATS = 8
"""Beats in a window: every clip is eight beats long, so clips follow one another on any music's beats."""


def latent_split(z_dim: int, net: dict[str, Any]) -> tuple[int, int, int]:
    """(clip latent size, beats, beat latent size) of a z of ``z_dim``; the clip latent is what is left."""
    beats, beat_dim = BEATS, int(net.get("beat_dim", 8))
    clip_dim = z_dim - beats * beat_dim
    if clip_dim < 1:
        raise ValueError(f"z_dim {z_dim} leaves no clip latent beside {beats} beat latents of {beat_dim}")
    return clip_dim, beats, beat_dim


def _block_lengths(beats: int, length: int) -> list[int]:
    """Sequence lengths from one cell per beat up to ``length``, about doubling each time."""
    sizes = [beats]
    while sizes[-1] * 2 < length:
        sizes.append(sizes[-1] * 2)
    sizes.append(length)
    return sizes


class PixelNorm(nn.Module):
    """Each frame's features scaled to unit mean square across channels (ProGAN's pixel norm, along time)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-8)


class _Block(nn.Module):
    """Upsample (linear) to a length, two temporal convolutions, each normalised then shifted by the clip latent."""

    def __init__(self, width_in: int, width: int, clip_dim: int, kernel: int):
        super().__init__()
        pad = kernel // 2
        self.conv1 = nn.Conv1d(width_in, width, kernel, padding=pad, padding_mode="replicate")
        self.conv2 = nn.Conv1d(width, width, kernel, padding=pad, padding_mode="replicate")
        self.norm1 = PixelNorm()
        self.norm2 = PixelNorm()
        self.film = nn.Linear(clip_dim, 4 * width)
        self.skip = nn.Conv1d(width_in, width, 1) if width_in != width else nn.Identity()

    def forward(self, x: torch.Tensor, clip: torch.Tensor, length: int) -> torch.Tensor:
        x = F.interpolate(x, size=length, mode="linear", align_corners=True)
        g1, b1, g2, b2 = self.film(clip).unsqueeze(-1).chunk(4, dim=1)
        h = F.leaky_relu(self.norm1(self.conv1(x)) * (1 + g1) + b1, 0.2)
        h = F.leaky_relu(self.norm2(self.conv2(h)) * (1 + g2) + b2, 0.2)
        return h + self.skip(x)


class DanceGenerator(nn.Module):
    """z (N, z_dim) -> motion features (N, channels, frames), in the corpus's normalised units."""

    def __init__(self, z_dim: int, channels: int, frames: int, net: dict[str, Any]):
        super().__init__()
        self.clip_dim, self.beats, self.beat_dim = latent_split(z_dim, net)
        width = int(net.get("g_width", 128))
        kernel = int(net.get("kernel", 5))
        self.frames = frames
        self.low = max(self.beats, math.ceil(frames / int(net.get("out_stride", 2))))
        self.width = width
        self.start = nn.Linear(self.clip_dim, width * self.beats)
        self.beat_in = nn.Conv1d(self.beat_dim, width, 1)
        lengths = _block_lengths(self.beats, self.low)
        self.lengths = lengths[1:]
        self.blocks = nn.ModuleList(_Block(width, width, self.clip_dim, kernel) for _ in self.lengths)
        self.out = nn.Conv1d(width, channels, kernel, padding=kernel // 2, padding_mode="replicate")

    def split(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The clip latent (N, clip_dim) and the beat latents (N, beat_dim, beats) of a batch of z."""
        clip = z[:, : self.clip_dim]
        beats = z[:, self.clip_dim: self.clip_dim + self.beats * self.beat_dim]
        return clip, beats.reshape(-1, self.beats, self.beat_dim).transpose(1, 2)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        clip, beats = self.split(z)
        x = self.start(clip).view(-1, self.width, self.beats) + self.beat_in(beats)
        for block, length in zip(self.blocks, self.lengths):
            x = block(x, clip, length)
        return F.interpolate(self.out(x), size=self.frames, mode="linear", align_corners=True)


class DanceDiscriminator(nn.Module):
    """motion features (N, channels, frames) -> logits (N,), judging poses and their velocities together."""

    def __init__(self, channels: int, frames: int, net: dict[str, Any]):
        super().__init__()
        width = int(net.get("d_width", 128))
        layers = int(net.get("d_layers", 4))
        self.velocity_scale = float(net.get("d_velocity", 4.0))
        self.accel_scale = float(net.get("d_accel", 0.0))
        inputs = channels * (2 + (self.accel_scale > 0))
        convs: list[nn.Module] = [spectral_norm(nn.Conv1d(inputs, width, 3, padding=1))]
        for _ in range(layers - 1):
            convs.append(spectral_norm(nn.Conv1d(width, width, 4, stride=2, padding=1)))
        self.convs = nn.ModuleList(convs)
        self.head = spectral_norm(nn.Linear(width + 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        velocity = F.pad(x[:, :, 1:] - x[:, :, :-1], (0, 1))
        parts = [x, velocity * self.velocity_scale]  # differences are small next to poses: scaled to a like range
        if self.accel_scale > 0:
            parts.append(F.pad(velocity[:, :, 1:-1] - velocity[:, :, :-2], (1, 1)) * self.accel_scale)
        h = torch.cat(parts, dim=1)
        for conv in self.convs:
            h = F.leaky_relu(conv(h), 0.2)
        pooled = h.mean(dim=2)
        spread = pooled.std(dim=0, unbiased=False).mean().expand(pooled.shape[0], 1)  # minibatch deviation
        return self.head(torch.cat([pooled, spread], dim=1)).squeeze(1)


def build_generator(z_dim: int, channels: int, frames: int, net: dict[str, Any]) -> DanceGenerator:
    return DanceGenerator(z_dim, channels, frames, net)


def build_discriminator(channels: int, frames: int, net: dict[str, Any]) -> DanceDiscriminator:
    return DanceDiscriminator(channels, frames, net)
