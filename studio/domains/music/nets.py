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

Phrases of any metre (layout.py): a folder of several layouts has one more
track, the metre track.  G draws each sample's layout from the last number
of its z (through the normal CDF against the folder's cumulative layout
shares, so the mix of metres follows the folder's and a fixed z always
means one metre), sees it as a one-hot beside every block latent and, step
by step, as the layout's structure (:func:`step_structure`: bar, beat and
inside rows, where the step stands in its beat and its bar, the layout)
scaling and shifting its step-level features (FiLM, Perez et al. 2018), so
"change note every eighth in 6/8, every quarter in 3/4" is a per-step gain
rather than something to find through the latents; and it writes the
metre track itself, exactly, as its last output track: it is the phrase's
structure, not music to learn.  Whatever the layout count, each role track
is silenced after its layout's last bar.  D reads one more track, and its
phrase features meet a learned vector of the layout it reads there
(projection).  A folder of one 4/4 layout builds the nets it always did.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from studio.domains.music.layout import (BAR_ROW, BEAT_ROW, INSIDE_ROW, LAYOUT_ROW, QUARTERS_PER_BLOCK,
                                          has_metre_track, layout_shares, layouts_of, structure_roll)

STRUCTURE_ROWS = (BAR_ROW, BEAT_ROW, INSIDE_ROW)
"""The metre track's rows G conditions its steps on (beside their phases and the layout, :func:`step_structure`)."""


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


def _phase(marks: np.ndarray, end: int, steps: int) -> np.ndarray:
    """Per step: how far it stands, 0 to 1, from the last step of ``marks`` to the next one (or ``end``); 0 outside."""
    phase = np.zeros(steps)
    edges = list(np.nonzero(marks)[0]) + [end]
    for start, stop in zip(edges, edges[1:]):
        phase[start:stop] = (np.arange(start, stop) - start) / max(stop - start, 1)
    return phase


def step_structure(rolls: np.ndarray) -> np.ndarray:
    """Layouts x steps x features float32: each layout's bar, beat and inside rows, the sine and cosine of
    each step's phase in its beat and in its bar (0 after the last bar), and the layout as a one-hot."""
    layouts, steps, _ = rolls.shape
    out = []
    for k, roll in enumerate(rolls):
        inside = roll[:, INSIDE_ROW].astype(np.float64)
        end = int(inside.sum())
        angles = [2 * np.pi * _phase(roll[:, row], end, steps) for row in (BEAT_ROW, BAR_ROW)]
        waves = [f(a) * inside for a in angles for f in (np.sin, np.cos)]
        onehot = np.zeros((steps, layouts))
        onehot[:, k] = 1.0
        out.append(np.concatenate([roll[:, list(STRUCTURE_ROWS)], np.stack(waves, axis=1), onehot], axis=1))
    return np.stack(out).astype(np.float32)


def split_z(z_dim: int, tracks: int) -> tuple[int, int, int]:
    """(shared, temporal, per-track) sizes; the shared part takes what does not divide evenly."""
    part = z_dim // (tracks + 2)
    if part < 1:
        raise ValueError(f"z_dim {z_dim} is too small for {tracks} tracks (needs at least {tracks + 2})")
    return z_dim - part * (tracks + 1), part, part


def _shape(meta: dict[str, Any]) -> tuple[int, int, int, int]:
    """(tracks, bars, steps per beat, pitches) of a corpus."""
    return len(meta["roles"]), int(meta["bars"]), int(meta["steps_per_beat"]), int(meta["pitches"])


@dataclass(frozen=True)
class Metres:
    """What G knows of a folder's layouts: each one's metre track (layouts x steps x pitches, 0/1), how often
    each occurs, and whether G writes the track (a folder of several layouts) or only keeps to the bars."""

    rolls: np.ndarray
    shares: tuple[float, ...]
    written: bool


def metres_of(meta: dict[str, Any]) -> Metres:
    """The layouts of a corpus as G draws and writes them (the same rolls the importer writes)."""
    steps = int(meta["bars"]) * QUARTERS_PER_BLOCK * int(meta["steps_per_beat"])
    pitches = int(meta["pitches"])
    rolls = np.stack([structure_roll(layout, k, steps, pitches) for k, layout in enumerate(layouts_of(meta))])
    return Metres(rolls, tuple(layout_shares(meta)), has_metre_track(meta))


class MusicGenerator(nn.Module):
    def __init__(self, z_dim: int, tracks: int, bars: int, steps_per_beat: int, pitches: int,
                 width: int = 16, bar_dim: int = 32, binary: bool = False, lowest: int = 24,
                 pitch_prior: Sequence[Sequence[float]] | None = None, metres: Metres | None = None):
        super().__init__()
        self.binary = binary
        self.tracks, self.bars, self.pitches = tracks, bars, pitches
        self.octaves = math.ceil(pitches / 12)
        self.writes_metre = metres is not None and metres.written
        self.layouts = len(metres.shares) if self.writes_metre else 1
        # The last number of z draws the layout; the rest is split as for a folder of one metre.
        self.sizes = split_z(z_dim - 1 if self.writes_metre else z_dim, tracks)
        shared, temporal, per_track = self.sizes
        self.temporal = nn.Sequential(
            nn.Linear(temporal, 4 * bar_dim), nn.LeakyReLU(0.2), nn.Linear(4 * bar_dim, bars * bar_dim), nn.Tanh()
        )
        self.bar_dim = bar_dim
        factors = grid_factors(steps_per_beat)
        channels = [width * 2 ** min(3, len(factors) - i) for i in range(len(factors) + 1)]
        latent = shared + bar_dim + tracks * per_track + (self.layouts if self.writes_metre else 0)
        self.c0 = channels[0]
        self.fc = nn.Linear(latent, self.c0 * QUARTERS_PER_BLOCK * self.octaves)
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
        # Buffers made from the corpus meta, never saved: a checkpoint holds what an older one held.
        inside = None if metres is None else torch.from_numpy(metres.rolls[..., INSIDE_ROW] > 0)
        self.register_buffer("inside", None if inside is None or bool(inside.all()) else inside, persistent=False)
        if self.writes_metre:
            rolls = torch.from_numpy(metres.rolls).float()
            self.register_buffer("metre", rolls * 2.0 - 1.0, persistent=False)  # layouts x steps x pitches
            structure = torch.from_numpy(step_structure(metres.rolls))
            self.register_buffer("structure_rows", structure, persistent=False)  # layouts x steps x features
            cumulative = torch.tensor(np.cumsum(metres.shares), dtype=torch.float32)
            self.register_buffer("cumulative", cumulative, persistent=False)
            # Bar lines and beats fall inside blocks (3/4, 6/8): each step's features are scaled and shifted by
            # where it stands in its beat and bar of its layout; the last layer starts small, so G starts near unscaled.
            self.structure = nn.Sequential(nn.Conv2d(structure.shape[-1], channels[-1], 1), nn.ReLU(),
                                           nn.Conv2d(channels[-1], 2 * channels[-1], 1))
            with torch.no_grad():
                self.structure[-1].weight.mul_(0.1)
                self.structure[-1].bias.zero_()

    def layout_index(self, z: torch.Tensor) -> torch.Tensor:
        """Each sample's layout: its last z number's normal CDF against the cumulative shares (0 for one layout)."""
        if not self.writes_metre:
            return torch.zeros(z.shape[0], dtype=torch.long, device=z.device)
        u = 0.5 * (1.0 + torch.erf(z[:, -1].float() / math.sqrt(2.0)))
        return torch.searchsorted(self.cumulative, u.contiguous(), right=True).clamp(max=self.layouts - 1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        n = z.shape[0]
        index = self.layout_index(z)
        sizes = [self.sizes[0], self.sizes[1], self.sizes[2] * self.tracks]
        shared, temporal, per_track = torch.split(z[:, : sum(sizes)], sizes, 1)
        bar_latents = self.temporal(temporal).view(n, self.bars, self.bar_dim)
        parts = [shared, per_track]
        if self.writes_metre:
            parts.append(F.one_hot(index, self.layouts).to(shared.dtype))
        fixed = torch.cat(parts, dim=1).unsqueeze(1).expand(-1, self.bars, -1)
        latent = torch.cat([fixed, bar_latents], dim=2).reshape(n * self.bars, -1)
        h = self.body(self.fc(latent).view(n * self.bars, self.c0, QUARTERS_PER_BLOCK, self.octaves))
        if self.writes_metre:
            features = self.structure_rows.shape[-1]
            rows = self.structure_rows[index].view(n * self.bars, -1, features, 1).transpose(1, 2)
            scale, shift = self.structure(rows).chunk(2, dim=1)
            h = h * (1.0 + scale) + shift
        out = self.unfold(self.head(h))  # (N*bars) x tracks x steps_per_bar x pitches
        harmony = self.harmony(latent).view(n * self.bars, self.tracks, 12)[..., self.pitch_class]
        out = out + harmony.unsqueeze(2)
        steps_per_bar = out.shape[2]
        out = out.reshape(n, self.bars, self.tracks, steps_per_bar, self.pitches).transpose(1, 2)
        soft = torch.tanh(out.reshape(n, self.tracks, self.bars * steps_per_bar, self.pitches))
        if self.inside is not None:  # silence after the layout's last bar, as in every real phrase
            soft = torch.where(self.inside[index].view(n, 1, -1, 1), soft, -1.0)
        if self.binary and self.training:
            # Deterministic binary neurons (BinaryMuseGAN): D sees exact 0/1 notes like the real ones,
            # gradients pass straight through; sampling (eval) keeps the probabilities.
            soft = torch.where(soft > 0, 1.0, -1.0) + (soft - soft.detach())
        if self.writes_metre:
            soft = torch.cat([soft, self.metre[index].unsqueeze(1).to(soft.dtype)], dim=1)
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
                 width: int = 16, features: int = 64, sn: bool = True, pack: int = 1, layouts: int = 1):
        super().__init__()
        norm = spectral_norm if sn else (lambda m: m)
        self.pack = pack
        self.layouts, self.metre_track = layouts, tracks - 1
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
        self.bar = nn.Sequential(norm(nn.Linear(self.c * QUARTERS_PER_BLOCK * self.octaves, features)), nn.LeakyReLU(0.2))
        self.chroma = nn.Sequential(norm(nn.Linear(tracks * QUARTERS_PER_BLOCK * 12, features)), nn.LeakyReLU(0.2))
        self.phrase = nn.Sequential(
            norm(nn.Conv1d(2 * features + 1, features, 3, padding=1)), nn.LeakyReLU(0.2), nn.Flatten(),
            norm(nn.Linear(features * bars, 1)),
        )
        if layouts > 1:
            # Projection (Miyato & Koyama 2018): the phrase's features meet a learned vector of its layout, so
            # "eighths in 6/8, quarters in 3/4" is one product away, not something to find across octaves.
            self.project = norm(nn.Linear(layouts, features * bars, bias=False))

    def layout_weights(self, x: torch.Tensor) -> torch.Tensor:
        """N x layouts: each phrase's layout as read from the rows of its metre track (one-hot on exact rolls)."""
        rows = x[:, self.metre_track, :, LAYOUT_ROW:LAYOUT_ROW + self.layouts]
        return ((rows + 1.0) / 2.0).mean(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        layout = self.layout_weights(x) if self.layouts > 1 else None
        if self.pack > 1:
            x = torch.cat([x] + [x.roll(k, 0) for k in range(1, self.pack)], dim=1)
        n, tracks, steps, pitches = x.shape
        if pitches < 12 * self.octaves:
            x = F.pad(x, (0, 12 * self.octaves - pitches), value=-1.0)
        beats = self.beats(x).reshape(n, self.c, self.bars, QUARTERS_PER_BLOCK, self.octaves)
        bar_feats = self.bar(beats.transpose(1, 2).reshape(n * self.bars, -1))
        chroma = ((x + 1.0) / 2.0).reshape(n, tracks, self.bars, QUARTERS_PER_BLOCK, self.steps_per_beat, -1, 12)
        chroma = chroma.mean(dim=(4, 5)).transpose(1, 2).reshape(n * self.bars, -1)  # pitch classes per beat
        feats = torch.cat([bar_feats, self.chroma(chroma)], dim=1)
        feats = feats.reshape(n, self.bars, -1).transpose(1, 2)  # N x features x bars
        phrase = self.phrase[:-1](_with_batch_deviation(feats))
        logit = self.phrase[-1](phrase).view(n)
        if layout is not None:
            logit = logit + (self.project(layout) * phrase).sum(dim=1)
        return logit


def _with_batch_deviation(feats: torch.Tensor, group: int = 4) -> torch.Tensor:
    """Appends the mean standard deviation across a group of samples (ProGAN): a collapsed G shows it at 0."""
    n, c, length = feats.shape
    g = math.gcd(n, group)
    grouped = feats.view(g, n // g, c, length)
    dev = grouped.var(dim=0, unbiased=False).add(1e-8).sqrt().mean(dim=(1, 2))  # (n // g)
    dev = dev.view(1, n // g, 1, 1).expand(g, -1, 1, length).reshape(n, 1, length)
    return torch.cat([feats, dev], dim=1)


def build_generator(z_dim: int, meta: dict[str, Any], net: dict[str, Any]) -> MusicGenerator:
    """G for the roles the corpus uses (``meta["roles"]``), writing its metre track when it has one."""
    tracks, bars, spb, pitches = _shape(meta)
    return MusicGenerator(z_dim, tracks, bars, spb, pitches,
                          width=int(net.get("g_width", net.get("width", 16))), bar_dim=int(net.get("bar_dim", 32)),
                          binary=bool(net.get("binary", False)), lowest=int(meta.get("lowest", 24)),
                          pitch_prior=meta.get("pitch_prior"), metres=metres_of(meta))


def build_discriminator(meta: dict[str, Any], net: dict[str, Any]) -> MusicDiscriminator:
    """D over the roles and, for a folder of several layouts, the metre track after them."""
    tracks, bars, spb, pitches = _shape(meta)
    metre = has_metre_track(meta)
    return MusicDiscriminator(tracks + metre, bars, spb, pitches, width=int(net.get("d_width", net.get("width", 16))),
                              features=int(net.get("features", 64)), sn=bool(net.get("sn", True)),
                              pack=int(net.get("pack", 1)), layouts=len(layouts_of(meta)) if metre else 1)
