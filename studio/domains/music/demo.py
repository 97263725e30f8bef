"""The built-in demo corpus: pop-style songs the project composes itself, so the Music tab works out of the box.

Each file is 16 bars of 4/4 in one key: a four-chord progression (I-V-vi-IV
and friends, or minor ones) played four times by chords, bass and drums,
with a melody that answers its own first two bars and ends on a chord tone.
Styles (how chords, bass, drums and melody move) vary per file, from a
seeded generator, so the same seed always writes the same bytes.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.core.files import write_atomically
from studio.domains.music.codec import DRUM_CHANNEL

TPB = 480
STEP = TPB // 4  # the demo is written on a 16th-note grid
BAR = 16  # steps

KEYS = {"C": 0, "G": 7, "D": 2, "F": 5, "A": 9, "E": 4, "Bb": 10, "Eb": 3}
MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
# Scale degrees (0-based) of each bar's chord root.
PROGRESSIONS = {
    "major": [(0, 4, 5, 3), (5, 3, 0, 4), (0, 5, 3, 4), (0, 3, 4, 3), (1, 4, 0, 0), (0, 3, 5, 4)],
    "minor": [(0, 5, 2, 6), (0, 3, 4, 0), (0, 5, 3, 4), (0, 6, 5, 6)],
}
CHORD_PROGRAMS = (0, 4, 48, 89, 24)  # piano, e-piano, strings, warm pad, nylon guitar
SUSTAINED_CHORD_PROGRAMS = (48, 89, 16)  # strings, warm pad, organ
BASS_PROGRAMS = (33, 34, 38)  # fingered, picked, synth bass
MELODY_PROGRAMS = (73, 80, 65, 56, 71)  # flute, square lead, alto sax, trumpet, clarinet
MELODY_RHYTHMS = (  # one bar each: (onset step, length in steps)
    ((0, 4), (4, 2), (6, 2), (8, 6), (14, 2)),
    ((0, 2), (2, 2), (4, 4), (10, 2), (12, 4)),
    ((0, 6), (6, 2), (8, 4), (12, 4)),
    ((2, 2), (4, 2), (6, 4), (12, 2), (14, 2)),
    ((0, 3), (3, 3), (6, 2), (8, 8)),
    ((0, 2), (2, 2), (4, 2), (6, 2), (8, 4), (12, 4)),
)
KICK, SNARE, CLOSED_HAT, OPEN_HAT, CRASH = 36, 38, 42, 46, 49


@dataclass
class _Song:
    name: str
    tempo: float
    tracks: dict[str, tuple[int, int, list[tuple[int, int, int]]]]  # role -> (channel, program, notes)


def _chord(root_degree: int, scale: tuple[int, ...], tonic: int, seventh: bool) -> list[int]:
    """Pitch classes of the triad (or seventh chord) built on a scale degree, as semitones above the tonic."""
    degrees = [root_degree, root_degree + 2, root_degree + 4] + ([root_degree + 6] if seventh else [])
    return [tonic + scale[d % 7] + 12 * (d // 7) for d in degrees]


def _voice_near(chord: list[int], centre: int) -> list[int]:
    """The chord's tones each moved to the octave nearest ``centre`` (smooth voice leading)."""
    return sorted(p + 12 * round((centre - p) / 12) for p in chord)


def _compose(index: int, rng: np.random.Generator, single_track: bool) -> _Song:
    key_name = list(KEYS)[index % len(KEYS)]
    tonic = KEYS[key_name]
    mode = "minor" if rng.random() < 0.3 else "major"
    scale = MAJOR if mode == "major" else MINOR
    progression = PROGRESSIONS[mode][int(rng.integers(len(PROGRESSIONS[mode])))]
    seventh = rng.random() < 0.3
    comp = ("whole", "quarters", "arpeggio", "offbeat")[int(rng.integers(4))]
    bass_style = ("whole", "quarters", "root-fifth", "syncopated")[int(rng.integers(4))]
    hats = 2 if rng.random() < 0.6 else 1
    rhythms = [MELODY_RHYTHMS[int(i)] for i in rng.choice(len(MELODY_RHYTHMS), 2, replace=False)]
    chords_n: list[tuple[int, int, int]] = []
    bass_n: list[tuple[int, int, int]] = []
    drum_n: list[tuple[int, int, int]] = []
    melody_n: list[tuple[int, int, int]] = []
    melody_pitch = 60 + tonic + 12 * (tonic < 5) - 12 * (tonic > 7)
    scale_pitches = [48 + tonic + scale[d % 7] + 12 * (d // 7) for d in range(28)]
    motif: list[int] = []
    for bar in range(16):
        t0 = bar * BAR
        degree = progression[bar % 4]
        tones = _chord(degree, scale, tonic, seventh)
        voiced = _voice_near(tones, 62)
        if comp == "whole":
            chords_n += [(t0, BAR - 1, p) for p in voiced]
        elif comp == "quarters":
            chords_n += [(t0 + b * 4, 3, p) for b in range(4) for p in voiced]
        elif comp == "arpeggio":
            order = voiced + voiced[1:-1][::-1]
            chords_n += [(t0 + 2 * i, 2, order[i % len(order)]) for i in range(8)]
        else:
            chords_n += [(t0 + 4 * b + 2, 2, p) for b in range(4) for p in voiced]
        root = 36 + (tones[0] % 12)
        fifth = root + 7
        if bass_style == "whole":
            bass_n.append((t0, BAR - 1, root))
        elif bass_style == "quarters":
            bass_n += [(t0 + 4 * b, 3, root) for b in range(4)]
        elif bass_style == "root-fifth":
            bass_n += [(t0 + 2 * i, 2, root if i % 4 < 2 else fifth) for i in range(8)]
        else:
            bass_n += [(t0, 3, root), (t0 + 3, 3, root), (t0 + 8, 2, fifth), (t0 + 11, 4, root + 12)]
        drum_n += [(t0 + s, 1, CLOSED_HAT) for s in range(0, BAR, hats) if s not in (14,) or bar % 4 != 3]
        drum_n += [(t0, 1, KICK), (t0 + 8, 1, KICK), (t0 + 4, 1, SNARE), (t0 + 12, 1, SNARE)]
        if bar % 2 == 1:
            drum_n.append((t0 + 10, 1, KICK))
        if bar % 4 == 0:
            drum_n.append((t0, 1, CRASH))
        if bar % 4 == 3:
            drum_n += [(t0 + 13, 1, SNARE), (t0 + 14, 1, SNARE), (t0 + 15, 1, SNARE), (t0 + 14, 1, OPEN_HAT)]
        # Melody: bars 1-2 make a motif, bar 3 repeats it (moved to the new chord), bar 4 cadences.
        rhythm = rhythms[bar % 2] if bar % 4 != 3 else ((0, 4), (4, 4), (8, 8))
        chord_pcs = {p % 12 for p in tones}
        for i, (onset, length) in enumerate(rhythm):
            if bar % 4 == 2 and i < len(motif):
                step = motif[i]
            else:
                step = int(rng.choice([-2, -1, -1, 1, 1, 2, 0, 3, -3]))
                if bar % 4 < 2:
                    motif.append(step)
            candidates = [p for p in scale_pitches if 60 <= p <= 84]
            nearest = min(candidates, key=lambda p: abs(p - melody_pitch))
            position = candidates.index(nearest) + step
            melody_pitch = candidates[int(np.clip(position, 0, len(candidates) - 1))]
            strong = onset in (0, 8) or (bar % 4 == 3 and i == len(rhythm) - 1)
            if strong and melody_pitch % 12 not in chord_pcs:
                melody_pitch = min((p for p in candidates if p % 12 in chord_pcs), key=lambda p: abs(p - melody_pitch))
            melody_n.append((t0 + onset, length, melody_pitch))
        if bar % 4 == 3:
            motif = []
    name = f"{index + 1:02d}-{key_name}-{mode}-{comp}"
    # Type-0 files lose the track names, so their chords get a program that says "chords" by itself.
    chord_programs = CHORD_PROGRAMS if not single_track else SUSTAINED_CHORD_PROGRAMS
    tempo = float(rng.integers(84, 133))
    return _Song(name, tempo, {
        "drums": (DRUM_CHANNEL, 0, drum_n),
        "bass": (1, BASS_PROGRAMS[int(rng.integers(len(BASS_PROGRAMS)))], bass_n),
        "chords": (2, chord_programs[int(rng.integers(len(chord_programs)))], chords_n),
        "melody": (0, MELODY_PROGRAMS[int(rng.integers(len(MELODY_PROGRAMS)))], melody_n),
    })


def _midi(song: _Song, single_track: bool):
    """A type-1 file (one track per part), or a type-0 one with every part merged, like many files found online."""
    import mido

    midi = mido.MidiFile(type=1, ticks_per_beat=TPB)
    conductor = mido.MidiTrack([
        mido.MetaMessage("track_name", name=song.name, time=0),
        mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(song.tempo), time=0),
        mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0),
    ])
    midi.tracks.append(conductor)
    for role, (channel, program, notes) in song.tracks.items():
        events = []
        for start, length, pitch in notes:
            velocity = 96 if (start % 4 == 0) else 80
            events.append((start * STEP, 1, pitch, velocity))
            events.append(((start + length) * STEP - (STEP // 4 if role == "drums" else 0), 0, pitch, 0))
        events.sort(key=lambda e: (e[0], e[1]))
        track = mido.MidiTrack([
            mido.MetaMessage("track_name", name=role.capitalize(), time=0),
            mido.Message("program_change", channel=channel, program=program, time=0),
        ])
        now = 0
        for tick, on, pitch, velocity in events:
            kind = "note_on" if on else "note_off"
            track.append(mido.Message(kind, channel=channel, note=pitch, velocity=velocity, time=tick - now))
            now = tick
        midi.tracks.append(track)
    if single_track:
        merged = mido.MidiFile(type=0, ticks_per_beat=TPB)
        merged.tracks.append(mido.merge_tracks(midi.tracks))
        return merged
    return midi


def write_demo_folder(target: str | Path, count: int = 24, seed: int = 0) -> Path:
    """Writes ``count`` demo songs into ``target`` (once: existing files are kept, so the import cache holds)."""
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        single_track = i % 4 == 3
        song = _compose(i, np.random.default_rng([seed, i]), single_track)
        path = target / f"{song.name}.mid"
        if path.exists():
            continue
        midi = _midi(song, single_track)
        write_atomically(path, lambda name, m=midi: m.save(filename=name))
    return target


TUNE_SCALE = (60, 62, 64, 65, 67, 69, 71, 72, 74, 76)  # C major from middle C


def write_tune(path: str | Path, numerator: int, denominator: int, bars: int, rng: np.random.Generator,
               per_unit: int = 1, program: int | None = None) -> Path:
    """A one-track tune as tune books export it: its time signature, ``per_unit`` notes to each unit of the
    metre (a quarter in 3/4, an eighth in 6/8) moving in steps and small leaps of C major, and no program
    change unless ``program`` is given (what the benches and tests of metres and melody folders need)."""
    import mido

    midi = mido.MidiFile(ticks_per_beat=TPB)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("time_signature", numerator=numerator, denominator=denominator, time=0))
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(100), time=0))
    if program is not None:
        track.append(mido.Message("program_change", program=program, time=0))
    length = TPB * 4 // denominator // per_unit
    index = int(rng.integers(len(TUNE_SCALE)))
    for _ in range(bars * numerator * per_unit):
        index = int(np.clip(index + rng.integers(-2, 3), 0, len(TUNE_SCALE) - 1))
        track.append(mido.Message("note_on", note=TUNE_SCALE[index], velocity=80, time=0))
        track.append(mido.Message("note_off", note=TUNE_SCALE[index], velocity=0, time=length))
    path = Path(path)
    midi.save(str(path))
    return path
