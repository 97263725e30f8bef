"""Paint to music, end to end: a MIDI or WAV file in, a video of the model's walk with that music as its sound out.

The walk follows the music as core/music_drive.py maps it.  The sound of a
MIDI file comes from a synthesiser the caller hands down (the music
domain's, looked up by the app layer), so a painting run never makes core
import a domain; a WAV file is its own sound.  Frames are rendered exactly
(as every export is) in chunks, between which progress is told and a
cancel is honoured.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from studio.core.animation import Soundtrack
from studio.core.music_drive import DriveSettings, MusicFeatures, midi_features, music_walk, read_wav, wav_features

SAMPLE_RATE = 22050
MIDI_SUFFIXES = (".mid", ".midi")
MUSIC_SUFFIXES = MIDI_SUFFIXES + (".wav",)
CHUNK = 16  # frames rendered between progress reports


class MusicVideoCancelled(Exception):
    """The user stopped the export; nothing was written."""


@dataclass
class Music:
    """A piece read for painting: its per-frame features and the sound the video carries."""

    path: Path
    features: MusicFeatures
    sound: Soundtrack


def read_music(path: str | Path, fps: float, synthesiser: Any = None) -> Music:
    """A MIDI file (sounded by the ``synthesiser`` domain's ``synthesise_notes``) or a WAV file; ValueError names
    a bad file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in MIDI_SUFFIXES:
        features, notes = midi_features(path, fps)
        if synthesiser is None or synthesiser.synthesise_notes is None:
            raise ValueError(f"{path}: no synthesiser is available to sound a MIDI file; use a WAV file")
        audio = synthesiser.synthesise_notes(notes, features.seconds, SAMPLE_RATE)
        return Music(path, features, Soundtrack(audio, SAMPLE_RATE))
    if suffix == ".wav":
        samples, rate = read_wav(path)
        return Music(path, wav_features(samples, rate, fps), Soundtrack(samples, rate))
    raise ValueError(f"{path}: paint to a MIDI (.mid, .midi) or WAV (.wav) file, not {suffix or 'no extension'}")


def steered_directions(model: Any, settings: DriveSettings) -> Any:
    """The run's directions when the mapping steers along any (found now and saved with the run if missing)."""
    if not (settings.loudness_amount or settings.pitch_amount):
        return None
    from studio.core.directions import directions_for

    directions, _ = directions_for(model)
    for name in (settings.loudness_direction, settings.pitch_direction):
        directions.index(name)  # an unknown name fails here, before anything renders
    return directions


def paint_to_music(model: Any, music: Music, anchors: Sequence[np.ndarray], settings: DriveSettings,
                   out: str | Path, info: dict[str, Any],
                   progress: Callable[[int, int], None] | None = None,
                   cancel: Callable[[], bool] | None = None) -> Path:
    """Renders the walk ``music`` drives through ``anchors`` and writes it with the music's sound.

    ``info`` (what the file records) gets the mapping and the music's name;
    its ``fps`` and ``size`` set the video's.
    """
    latents = music_walk(anchors, music.features, settings, steered_directions(model, settings))
    frames: list[Any] = []
    for start in range(0, len(latents), CHUNK):
        if cancel is not None and cancel():
            raise MusicVideoCancelled("the export was stopped")
        frames += model.render_exactly(latents[start:start + CHUNK], info.get("options"))
        if progress is not None:
            progress(len(frames), len(latents))
    record = {**info, "music": music.path.name, "music_seconds": round(music.features.seconds, 3),
              "music_drive": settings.record(), "frames": len(frames)}
    return model.domain.save_walk(frames, out, record, audio=music.sound)
