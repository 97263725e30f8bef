"""Generator and discriminator over piano-rolls, after MuseGAN's "hybrid" model (Dong et al. 2018).

One z vector (so the generic latent explorer's slerp works) is split inside
G into a shared part, a temporal part that an MLP turns into one latent per
bar, and one part per track.  Each bar is generated from (shared, its bar
latent, every track's latent) by convolutions over time x octave (beats
are stretched to steps by repetition and a convolution, so notes start out
held rather than chopped into 16ths), then private per-track heads unfold
each octave into 12 semitones; a direct path from the bar latent adds a
pitch-class (harmony) bias per bar and track, and each track's pitch bias
starts at the corpus's own register (``meta["pitch_prior"]``).  Output:
N x tracks x steps x pitches in [-1, 1] (tanh; -1 is silence).  With
``binary`` G emits exact -1/+1 while training (deterministic binary neurons
with straight-through gradients, as in BinaryMuseGAN), so D cannot tell
fakes by their in-between values; in eval mode it returns the soft values,
which decode thresholds or samples.

D reads each bar the same way round (semitones -> octaves, then time down
to beats) beside a chroma stream (pitch classes per beat: the harmony), and
a phrase-level 1-D convolution across the bars, with a minibatch-deviation
feature, gives the logit.  With ``pack`` = 2 it judges each phrase together
with its neighbour in the batch (PacGAN), which a collapsed G cannot pass.
Spectral norm on every D layer for hinge loss; none for WGAN-GP.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from studio.domains.music.roll import BEATS_PER_BAR


def grid_factors(steps_per_beat: int) -> list[int]:
    """Upsampling factors from one cell per beat to ``steps_per_beat`` (3s first, then 2s)."""
    factors, rest = [], steps_per_beat
    for f in (3, 2):
        while rest % f == 0:
            factors.append(f)
            rest //= f
    if rest != 1:
        raise ValueError(f"steps_per_beat {steps_per_beat} must be a product of 2s and 3s")
    return factors


def split_z(z_dim: int, tracks: int) -> tuple[int, int, int]:
    """(shared, temporal, per-track) sizes; the shared part takes what does not divide evenly."""
    part = z_dim // (tracks + 2)
    if part < 1:
        raise ValueError(f"z_dim {z_dim} is too small for {tracks} tracks (needs at least {tracks + 2})")
    return z_dim - part * (tracks + 1), part, part


def _shape(meta: dict[str, Any]) -> tuple[int, int, int, int]:
    """(tracks, bars, steps per beat, pitches) of a corpus."""
    return len(meta["roles"]), int(meta["bars"]), int(meta["steps_per_beat"]), int(meta["pitches"])


class MusicGenerator(nn.Module):
    def __init__(self, z_dim: int, tracks: int, bars: int, steps_per_beat: int, pitches: int,
                 width: int = 16, bar_dim: int = 32, binary: bool = False, lowest: int = 24,
                 pitch_prior: Sequence[Sequence[float]] | None = None):
        super().__init__()
        self.binary = binary
        self.tracks, self.bars, self.pitches = tracks, bars, pitches
        self.octaves = math.ceil(pitches / 12)
        self.sizes = split_z(z_dim, tracks)
        shared, temporal, per_track = self.sizes
        self.temporal = nn.Sequential(
            nn.Linear(temporal, 4 * bar_dim), nn.LeakyReLU(0.2), nn.Linear(4 * bar_dim, bars * bar_dim), nn.Tanh()
        )
        self.bar_dim = bar_dim
        factors = grid_factors(steps_per_beat)
        channels = [width * 2 ** min(3, len(factors) - i) for i in range(len(factors) + 1)]
        latent = shared + bar_dim + tracks * per_track
        self.c0 = channels[0]
        self.fc = nn.Linear(latent, self.c0 * BEATS_PER_BAR * self.octaves)
        body: list[nn.Module] = [
            nn.BatchNorm2d(self.c0), nn.ReLU(),
            nn.Conv2d(self.c0, self.c0, 3, padding=1), nn.BatchNorm2d(self.c0), nn.ReLU(),
        ]
        for f, c_in, c_out in zip(factors, channels, channels[1:]):
            # Repeat, then convolve over 3 steps: every step of a beat starts with the same features, so notes
            # start out held.  A transposed convolution with kernel = stride gives each step its own random
            # weights, and G spent its first thousands of steps writing chopped-up notes.
            body += [nn.Upsample(scale_factor=(f, 1)), nn.Conv2d(c_in, c_out, (3, 1), padding=(1, 0)),
                     nn.BatchNorm2d(c_out), nn.ReLU()]
        self.body = nn.Sequential(*body)
        head = max(4, width)
        self.head = nn.Sequential(nn.Conv2d(channels[-1], tracks * head, 1), nn.BatchNorm2d(tracks * head), nn.ReLU())
        self.unfold = OctaveUnfold(tracks, head, pitches, pitch_prior)
        # Harmony per bar and track: a direct path from the latents to the 12 pitch classes, so one
        # choice of key or chord reaches every octave at once.
        self.harmony = nn.Linear(latent, tracks * 12)
        self.register_buffer("pitch_class", (lowest + torch.arange(pitches)) % 12, persistent=False)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        n = z.shape[0]
        shared, temporal, per_track = torch.split(z, [self.sizes[0], self.sizes[1], self.sizes[2] * self.tracks], 1)
        bar_latents = self.temporal(temporal).view(n, self.bars, self.bar_dim)
        fixed = torch.cat([shared, per_track], dim=1).unsqueeze(1).expand(-1, self.bars, -1)
        latent = torch.cat([fixed, bar_latents], dim=2).reshape(n * self.bars, -1)
        h = self.fc(latent).view(n * self.bars, self.c0, BEATS_PER_BAR, self.octaves)
        out = self.unfold(self.head(self.body(h)))  # (N*bars) x tracks x steps_per_bar x pitches
        harmony = self.harmony(latent).view(n * self.bars, self.tracks, 12)[..., self.pitch_class]
        out = out + harmony.unsqueeze(2)
        steps_per_bar = out.shape[2]
        out = out.reshape(n, self.bars, self.tracks, steps_per_bar, self.pitches).transpose(1, 2)
        soft = torch.tanh(out.reshape(n, self.tracks, self.bars * steps_per_bar, self.pitches))
        if self.binary and self.training:
            # Deterministic binary neurons (BinaryMuseGAN): D sees exact 0/1 notes like the real ones,
            # gradients pass straight through; sampling (eval) keeps the probabilities.
            return torch.where(soft > 0, 1.0, -1.0) + (soft - soft.detach())
        return soft


class OctaveUnfold(nn.Module):
    """Each track's private head: per step and octave, its features -> 12 semitone logits.

    A grouped transposed convolution written as one einsum (grouped
    convolutions are several times slower on CPU), plus a bias per track and
    pitch that starts at the corpus's own note frequencies (``pitch_prior``,
    the share of steps each pitch sounds in each track): G begins silent but
    already knows each track's register, which a learning rate of 2e-4 would
    take thousands of steps to find.  Without a prior it starts at -2.
    """

    def __init__(self, tracks: int, features: int, pitches: int, pitch_prior: Sequence[Sequence[float]] | None = None):
        super().__init__()
        self.tracks, self.features, self.pitches = tracks, features, pitches
        self.weight = nn.Parameter(torch.randn(tracks, features, 12) / math.sqrt(features))
        bias = torch.full((tracks, 1, pitches), -2.0)
        if pitch_prior is not None:
            prior = torch.tensor(pitch_prior, dtype=torch.float32).clamp(1e-4, 0.45).view(tracks, 1, pitches)
            bias = torch.atanh(2 * prior - 1) - 0.5  # a little below the data: fresh features push up, not down
        self.bias = nn.Parameter(bias)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        n, _, steps, octaves = h.shape
        h = h.reshape(n, self.tracks, self.features, steps, octaves)
        out = torch.einsum("ntfso,tfk->ntsok", h, self.weight).reshape(n, self.tracks, steps, octaves * 12)
        return out[..., : self.pitches] + self.bias


class MusicDiscriminator(nn.Module):
    def __init__(self, tracks: int, bars: int, steps_per_beat: int, pitches: int,
                 width: int = 16, features: int = 64, sn: bool = True, pack: int = 1):
        super().__init__()
        norm = spectral_norm if sn else (lambda m: m)
        self.pack = pack
        tracks = tracks * pack
        self.bars, self.pitches, self.steps_per_beat = bars, pitches, steps_per_beat
        self.octaves = math.ceil(pitches / 12)
        factors = grid_factors(steps_per_beat)
        channels = [width * 2 ** min(3, i) for i in range(len(factors) + 1)]
        # Whole-phrase convolutions (kernel = stride along time, so bars never mix until the beat level).
        layers: list[nn.Module] = [norm(nn.Conv2d(tracks, channels[0], (1, 12), stride=(1, 12))), nn.LeakyReLU(0.2)]
        for f, c_in, c_out in zip(reversed(factors), channels, channels[1:]):
            layers += [norm(nn.Conv2d(c_in, c_out, (f, 1), stride=(f, 1))), nn.LeakyReLU(0.2)]
        self.c = channels[-1]
        layers += [norm(nn.Conv2d(self.c, self.c, 3, padding=1)), nn.LeakyReLU(0.2)]
        self.beats = nn.Sequential(*layers)
        self.bar = nn.Sequential(norm(nn.Linear(self.c * BEATS_PER_BAR * self.octaves, features)), nn.LeakyReLU(0.2))
        self.chroma = nn.Sequential(norm(nn.Linear(tracks * BEATS_PER_BAR * 12, features)), nn.LeakyReLU(0.2))
        self.phrase = nn.Sequential(
            norm(nn.Conv1d(2 * features + 1, features, 3, padding=1)), nn.LeakyReLU(0.2), nn.Flatten(),
            norm(nn.Linear(features * bars, 1)),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pack > 1:
            x = torch.cat([x] + [x.roll(k, 0) for k in range(1, self.pack)], dim=1)
        n, tracks, steps, pitches = x.shape
        if pitches < 12 * self.octaves:
            x = F.pad(x, (0, 12 * self.octaves - pitches), value=-1.0)
        beats = self.beats(x).reshape(n, self.c, self.bars, BEATS_PER_BAR, self.octaves)
        bar_feats = self.bar(beats.transpose(1, 2).reshape(n * self.bars, -1))
        chroma = ((x + 1.0) / 2.0).reshape(n, tracks, self.bars, BEATS_PER_BAR, self.steps_per_beat, -1, 12)
        chroma = chroma.mean(dim=(4, 5)).transpose(1, 2).reshape(n * self.bars, -1)  # pitch classes per beat
        feats = torch.cat([bar_feats, self.chroma(chroma)], dim=1)
        feats = feats.reshape(n, self.bars, -1).transpose(1, 2)  # N x features x bars
        return self.phrase(_with_batch_deviation(feats)).view(n)


def _with_batch_deviation(feats: torch.Tensor, group: int = 4) -> torch.Tensor:
    """Appends the mean standard deviation across a group of samples (ProGAN): a collapsed G shows it at 0."""
    n, c, length = feats.shape
    g = math.gcd(n, group)
    grouped = feats.view(g, n // g, c, length)
    dev = grouped.var(dim=0, unbiased=False).add(1e-8).sqrt().mean(dim=(1, 2))  # (n // g)
    dev = dev.view(1, n // g, 1, 1).expand(g, -1, 1, length).reshape(n, 1, length)
    return torch.cat([feats, dev], dim=1)


def build_generator(z_dim: int, meta: dict[str, Any], net: dict[str, Any]) -> MusicGenerator:
    tracks, bars, spb, pitches = _shape(meta)
    return MusicGenerator(z_dim, tracks, bars, spb, pitches,
                          width=int(net.get("g_width", net.get("width", 16))), bar_dim=int(net.get("bar_dim", 32)),
                          binary=bool(net.get("binary", False)), lowest=int(meta.get("lowest", 24)),
                          pitch_prior=meta.get("pitch_prior"))


def build_discriminator(meta: dict[str, Any], net: dict[str, Any]) -> MusicDiscriminator:
    tracks, bars, spb, pitches = _shape(meta)
    return MusicDiscriminator(tracks, bars, spb, pitches, width=int(net.get("d_width", net.get("width", 16))),
                              features=int(net.get("features", 64)), sn=bool(net.get("sn", True)),
                              pack=int(net.get("pack", 1)))
