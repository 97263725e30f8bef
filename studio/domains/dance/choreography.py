"""Dance to music: a MIDI file's beats choose the beat latents and the timing of a take of clips.

G draws a clip as eight beats (nets.py).  For a piece of music, clip ``c`` covers the music's beats
``8c`` to ``8c + 8``: its frames are moved so each of G's beats lands on one of the music's
(codec.on_beats), whatever the tempo and its changes, and the clips are joined into one take.  One
clip latent (from the seed) keeps the dancer's style through the piece; the beat latents follow the
bar — one step pattern per position in the bar, repeated bar after bar as a dancer repeats a
step — each scaled by how busy that beat of the music is, so accented beats move more.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from studio.domains.dance.beats import BeatTrack, write_music_wav
from studio.domains.dance.codec import join, on_beats, save_bvh
from studio.domains.dance.skeleton import Motion

if TYPE_CHECKING:
    from studio.core.model import Model

ACCENT_RANGE = (0.75, 1.25)
"""How far a beat's latent is scaled by how busy the beat is: a quiet beat moves less, never stops."""


def clip_beats(track: BeatTrack, beats: int, clips: int) -> list[np.ndarray]:
    """For each clip, the ``beats + 1`` beat times it spans (the last is where the next one starts)."""
    times = track.times
    needed = clips * beats + 1
    if len(times) < needed:
        last = times[-1] - times[-2]
        times = np.append(times, times[-1] + last * np.arange(1, needed - len(times) + 1))
    return [times[c * beats: c * beats + beats + 1] for c in range(clips)]


def clips_for(track: BeatTrack, beats: int) -> int:
    return max(1, math.ceil((len(track.times) - 1) / beats))


def music_latents(track: BeatTrack, latent: np.ndarray, net: dict[str, Any], seed: int = 0) -> np.ndarray:
    """(clips, z_dim) latents for the whole piece: ``latent``'s clip part (the dancer's style) in every clip,
    beat latents from the bar (one step pattern per position, drawn from ``seed``) and the accents."""
    from studio.domains.dance.nets import latent_split

    latent = np.asarray(latent, np.float32).ravel()
    clip_dim, beats, beat_dim = latent_split(len(latent), net)
    clips = clips_for(track, beats)
    z = np.repeat(latent[None], clips, axis=0)
    pattern = np.random.default_rng(seed).standard_normal((track.beats_per_bar, beat_dim))
    low, high = ACCENT_RANGE
    for c in range(clips):
        for b in range(beats):
            m = c * beats + b
            accent = track.accents[m] if m < len(track.accents) else 0.0
            scale = low + (high - low) * min(1.0, accent / 2.0)
            start = clip_dim + b * beat_dim
            z[c, start:start + beat_dim] = pattern[m % track.beats_per_bar] * scale
    return z.astype(np.float32)


def lay_on_music(clips: Sequence[Motion], track: BeatTrack, beats: int) -> Motion:
    """Clips one after another on the music's beats (cycling the clips when the music is longer), as one take."""
    count = clips_for(track, beats)
    spans = clip_beats(track, beats, count)
    return join([on_beats(clips[c % len(clips)], beats, spans[c]) for c in range(count)])


def choreograph(model: "Model", track: BeatTrack, latent: np.ndarray, options: dict[str, Any] | None = None,
                seed: int = 0) -> Motion:
    """The whole piece danced by ``model`` in the style of ``latent`` (a z, such as the explorer's)."""
    from studio.domains.dance.nets import BEATS

    clips = model.render_exactly(music_latents(track, latent, model.preset.net, seed), options)
    return lay_on_music(clips, track, BEATS)


def export_dance(take: Motion, track: BeatTrack, path: str | Path, info: dict[str, Any]) -> tuple[Path, Path]:
    """The take as BVH and the music as a WAV of the same name beside it."""
    path = Path(path)
    bvh = save_bvh(take, path, info)
    return bvh, write_music_wav(track, path.with_suffix(".wav"))
