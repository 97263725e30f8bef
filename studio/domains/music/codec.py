"""MIDI <-> piano-roll: reading songs (mido), cutting them into phrases of any metre, writing clips back as MIDI.

Reading never trusts a file: every problem becomes a :class:`MidiProblem`
whose message names it (the importer puts that in its report).  The grid is
counted in beats, so tempo changes move nothing: they only set the tempo a
phrase is played at.  Where bar lines fall is metres.py's job, which part
plays which role is roles.py's, and how a phrase of any metre sits in the
nets' fixed number of steps is layout.py's.
"""
from __future__ import annotations

import io
import json
import struct
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from studio.core.files import write_atomically
from studio.domains.music.grid import GridTally
from studio.domains.music.keys import estimate_key, pitch_class_weights, shift_to_c
from studio.domains.music.layout import Layout, phrase_bars
from studio.domains.music.metres import read_sections
from studio.domains.music.roles import DRUM_CHANNEL, RolePart, assign_parts
from studio.domains.music.roll import (
    BEATS_PER_BAR,
    DEFAULT_PROGRAMS,
    DRUMS,
    MERGED_ROLES,
    MULTI_ROLES,
    Clip,
    concat_clips,
    track_notes,
)

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Bigger files are refused from their size alone (a song is rarely over 1 MB)."""
MAX_TRACKS = 1000
"""Refused from the header alone: a real arrangement has tens of tracks."""
TEMPO_RANGE_BPM = (20.0, 400.0)
"""A song whose typical tempo lies outside is treated as broken timing."""
WRITE_TICKS_PER_BEAT = 480  # divisible by every supported grid (4, 12, 24 steps per beat)
INFO_PREFIX = "gan-studio "
SUPPORTED_GRIDS = (1, 2, 3, 4, 6, 8, 12, 16, 24)
"""Steps per beat whose factors (2s and 3s) the nets can upsample to; 4, 12 and 24 are the usual ones."""
AUTO = "auto"
"""``steps_per_beat`` chosen per folder from what its notes need (grid.py)."""
KEY_OPTIONS = ("keep", "normalise")

GM_PROGRAM_NAMES: tuple[str, ...] = (
    "Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano", "Honky-tonk Piano",
    "Electric Piano 1", "Electric Piano 2", "Harpsichord", "Clavinet", "Celesta", "Glockenspiel", "Music Box",
    "Vibraphone", "Marimba", "Xylophone", "Tubular Bells", "Dulcimer", "Drawbar Organ", "Percussive Organ",
    "Rock Organ", "Church Organ", "Reed Organ", "Accordion", "Harmonica", "Tango Accordion", "Nylon Guitar",
    "Steel Guitar", "Jazz Guitar", "Clean Guitar", "Muted Guitar", "Overdriven Guitar", "Distortion Guitar",
    "Guitar Harmonics", "Acoustic Bass", "Fingered Bass", "Picked Bass", "Fretless Bass", "Slap Bass 1",
    "Slap Bass 2", "Synth Bass 1", "Synth Bass 2", "Violin", "Viola", "Cello", "Contrabass",
    "Tremolo Strings", "Pizzicato Strings", "Orchestral Harp", "Timpani", "String Ensemble 1",
    "String Ensemble 2", "Synth Strings 1", "Synth Strings 2", "Choir Aahs", "Voice Oohs", "Synth Voice",
    "Orchestra Hit", "Trumpet", "Trombone", "Tuba", "Muted Trumpet", "French Horn", "Brass Section",
    "Synth Brass 1", "Synth Brass 2", "Soprano Sax", "Alto Sax", "Tenor Sax", "Baritone Sax", "Oboe",
    "English Horn", "Bassoon", "Clarinet", "Piccolo", "Flute", "Recorder", "Pan Flute", "Blown Bottle",
    "Shakuhachi", "Whistle", "Ocarina", "Square Lead", "Sawtooth Lead", "Calliope Lead", "Chiff Lead",
    "Charang Lead", "Voice Lead", "Fifths Lead", "Bass + Lead", "New Age Pad", "Warm Pad", "Polysynth Pad",
    "Choir Pad", "Bowed Pad", "Metallic Pad", "Halo Pad", "Sweep Pad", "Rain", "Soundtrack", "Crystal",
    "Atmosphere", "Brightness", "Goblins", "Echoes", "Sci-fi", "Sitar", "Banjo", "Shamisen", "Koto",
    "Kalimba", "Bagpipe", "Fiddle", "Shanai", "Tinkle Bell", "Agogo", "Steel Drums", "Woodblock",
    "Taiko Drum", "Melodic Tom", "Synth Drum", "Reverse Cymbal", "Guitar Fret Noise", "Breath Noise",
    "Seashore", "Bird Tweet", "Telephone Ring", "Helicopter", "Applause", "Gunshot",
)
"""The 128 General MIDI instruments, indexed by 0-based program number (what a user picks per track)."""


def program_name(program: int) -> str:
    """The General MIDI instrument of a 0-based program, as musicians number it ("74 Flute")."""
    program = max(0, min(127, int(program)))
    return f"{program + 1} {GM_PROGRAM_NAMES[program]}"


class MidiProblem(Exception):
    """A file (or the whole of one) that cannot become phrases; the message says why."""


# ------------------------------------------------------------------ options
@dataclass(frozen=True)
class RollOptions:
    """How MIDI is turned into rolls: the grid, the pitch window, the tracks and the augmentation."""

    steps_per_beat: int = 4
    bars: int = 4
    lowest: int = 24  # C1
    pitches: int = 84  # up to B7
    roles: str = "merged"  # merged: one piano track | multi: drums, bass, chords, melody
    drums: bool = True  # multi only: keep the drum track
    transpose: int = 3  # real_batch shifts whole phrases by up to this many semitones
    key: str = "keep"  # keep | normalise: each file moved to C major / A minor by its estimated key

    @classmethod
    def from_dict(cls, options: dict[str, Any]) -> "RollOptions":
        """Validated options; a bad value is the caller's mistake and raises ``ValueError`` with the fix.

        ``steps_per_beat`` must be a number here: a folder's "auto" is resolved
        by the importer (:class:`~studio.domains.music.grid.GridTally`) first.
        """
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(options) - known - {"max_phrases"}
        if unknown:
            raise ValueError(f"unknown music import options: {', '.join(sorted(unknown))}")
        roles = str(options.get("roles", "merged"))
        grid = options.get("steps_per_beat", 4)
        if grid == AUTO:
            raise ValueError('steps_per_beat "auto" is chosen from a folder: import the folder, or give a number')
        opts = cls(
            steps_per_beat=int(grid),
            bars=int(options.get("bars", 4)),
            lowest=int(options.get("lowest", 24)),
            pitches=int(options.get("pitches", 84)),
            roles=roles,
            drums=bool(options.get("drums", roles == "multi")) and roles == "multi",
            transpose=int(options.get("transpose", 3)),
            key=str(options.get("key", "keep")),
        )
        if opts.steps_per_beat not in SUPPORTED_GRIDS:
            raise ValueError(f"steps_per_beat must be one of {SUPPORTED_GRIDS}, got {opts.steps_per_beat}")
        if not 1 <= opts.bars <= 64:
            raise ValueError(f"bars must be between 1 and 64, got {opts.bars}")
        if opts.pitches < 12 or opts.lowest < 0 or opts.lowest + opts.pitches > 128:
            raise ValueError(
                f"the pitch window {opts.lowest}..{opts.lowest + opts.pitches - 1} must hold at least an "
                "octave inside MIDI's 0..127"
            )
        if roles not in ("merged", "multi"):
            raise ValueError(f"roles must be 'merged' or 'multi', got {roles!r}")
        if not 0 <= opts.transpose <= 12:
            raise ValueError(f"transpose must be between 0 and 12 semitones, got {opts.transpose}")
        if opts.key not in KEY_OPTIONS:
            raise ValueError(f"key must be one of {', '.join(KEY_OPTIONS)}, got {opts.key!r}")
        return opts

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @property
    def role_names(self) -> tuple[str, ...]:
        if self.roles == "merged":
            return MERGED_ROLES
        return MULTI_ROLES if self.drums else tuple(r for r in MULTI_ROLES if r != DRUMS)

    @property
    def phrase_steps(self) -> int:
        return self.bars * BEATS_PER_BAR * self.steps_per_beat


# ------------------------------------------------------------------- reading
@dataclass
class Part:
    """The notes one instrument plays: one (track, channel, program) of a file."""

    track: int
    channel: int
    program: int
    name: str
    notes: np.ndarray  # int64, n x 3: start tick, end tick, MIDI pitch
    has_program: bool = True  # False: no program change came before its notes (the default piano, not a choice)


@dataclass
class Song:
    ticks_per_beat: int
    midi_type: int
    tempos: list[tuple[int, int]]  # (tick, microseconds per beat), sorted
    metres: list[tuple[int, int, int]]  # (tick, numerator, denominator), sorted
    parts: list[Part]

    @property
    def end_tick(self) -> int:
        ends = [int(p.notes[:, 1].max()) for p in self.parts if len(p.notes)]
        return max(ends, default=0)

    @property
    def note_count(self) -> int:
        return sum(len(p.notes) for p in self.parts)


def _describe_foreign(head: bytes) -> str:
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "a WAV audio file renamed to .mid (audio cannot be read as notes)"
    if head[:3] == b"ID3" or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "an MP3 audio file renamed to .mid (audio cannot be read as notes)"
    if head[:4] in (b"OggS", b"fLaC"):
        return "an Ogg/FLAC audio file renamed to .mid (audio cannot be read as notes)"
    if head[:4] == b"PK\x03\x04":
        return "a ZIP archive renamed to .mid: unpack it first"
    return "not a MIDI file: wrong header (no 'MThd' at the start)"


def _unwrap_rmid(data: bytes) -> bytes:
    """RIFF-wrapped MIDI (.rmi) -> the plain Standard MIDI File inside."""
    pos = 12
    while pos + 8 <= len(data):
        kind, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if kind == b"data":
            return data[pos + 8:pos + 8 + size]
        pos += 8 + size + (size & 1)
    raise MidiProblem("RIFF MIDI (.rmi) without a 'data' chunk")


def check_header(data: bytes) -> tuple[int, int, int]:
    """(type, tracks, ticks per beat) from the first 14 bytes, refusing what should not be parsed."""
    if data[:4] != b"MThd":
        raise MidiProblem(_describe_foreign(data[:16]))
    if len(data) < 14:
        raise MidiProblem("truncated: the file ends inside the MIDI header")
    length, midi_type, tracks, division = struct.unpack(">IHHh", data[4:14])
    if length < 6:
        raise MidiProblem(f"corrupt MIDI header (length {length}, expected 6)")
    if midi_type == 2:
        raise MidiProblem("MIDI type 2 (independent sequences) is not supported")
    if midi_type not in (0, 1):
        raise MidiProblem(f"corrupt MIDI header: unknown type {midi_type}")
    if tracks > MAX_TRACKS:
        raise MidiProblem(f"too large: {tracks} tracks (limit {MAX_TRACKS})")
    if division <= 0:
        raise MidiProblem("SMPTE time code timing is not supported (only beat-based MIDI files)")
    return midi_type, tracks, division


def read_song(path: str | Path) -> Song:
    """Parses one MIDI file; raises :class:`MidiProblem` (never anything else) for a bad one."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size == 0:
            raise MidiProblem("empty file (0 bytes)")
        if size > MAX_FILE_BYTES:
            raise MidiProblem(f"too large: {size / 2**20:.1f} MB (limit {MAX_FILE_BYTES // 2**20} MB)")
        data = path.read_bytes()
    except MidiProblem:
        raise
    except OSError as err:
        raise MidiProblem(f"unreadable: {err.strerror or err}") from None
    return parse_song(data)


def parse_song(data: bytes) -> Song:
    """Bytes of a Standard MIDI File (or RIFF .rmi) -> :class:`Song`."""
    import mido

    if data[:4] == b"RIFF" and data[8:12] == b"RMID":
        data = _unwrap_rmid(data)
    midi_type, _, _ = check_header(data)
    try:
        midi = mido.MidiFile(file=io.BytesIO(data), clip=True)
    except EOFError:
        raise MidiProblem("truncated: the file ends in the middle of a track") from None
    except Exception as err:  # mido signals damage with many types (KeySignatureError, ValueError, ...)
        raise MidiProblem(f"corrupt MIDI data: {err or type(err).__name__}") from None
    return _song_from_midi(midi, midi_type)


def _song_from_midi(midi: Any, midi_type: int) -> Song:
    tpb = int(midi.ticks_per_beat)
    tempos: list[tuple[int, int]] = []
    metres: list[tuple[int, int, int]] = []
    parts: list[Part] = []
    for index, track in enumerate(midi.tracks):
        tick = 0
        name = ""
        programs = [0] * 16
        chosen = [False] * 16  # a program change was seen on the channel
        open_notes: dict[tuple[int, int], tuple[int, int]] = {}  # (channel, pitch) -> (start, program)
        notes: dict[tuple[int, int], list[tuple[int, int, int]]] = defaultdict(list)  # (channel, program)
        for msg in track:
            tick += msg.time
            kind = msg.type
            if kind == "note_on" and msg.velocity > 0:
                key = (msg.channel, msg.note)
                if key in open_notes:  # re-struck before its note-off: the old note ends here
                    start, program = open_notes[key]
                    notes[(msg.channel, program)].append((start, tick, msg.note))
                open_notes[key] = (tick, programs[msg.channel])
            elif kind == "note_off" or kind == "note_on":  # note-on with velocity 0 is a note-off
                key = (msg.channel, msg.note)
                if key in open_notes:
                    start, program = open_notes.pop(key)
                    notes[(msg.channel, program)].append((start, tick, msg.note))
            elif kind == "program_change":
                programs[msg.channel] = msg.program
                chosen[msg.channel] = True
            elif kind == "set_tempo":
                tempos.append((tick, int(msg.tempo)))
            elif kind == "time_signature":
                metres.append((tick, int(msg.numerator), int(msg.denominator)))
            elif kind == "track_name" and not name:
                name = str(msg.name).strip()
        for (channel, pitch), (start, program) in open_notes.items():
            # Never switched off: it lasts to the end of its track, and at least a beat.
            notes[(channel, program)].append((start, max(tick, start + tpb), pitch))
        for (channel, program), found in sorted(notes.items()):
            parts.append(Part(index, channel, program, name, np.array(sorted(found), dtype=np.int64), chosen[channel]))
    return Song(tpb, midi_type, sorted(tempos), _sorted_unique(metres), parts)


def _sorted_unique(events: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """One event per tick (the last one read wins), in time order."""
    return sorted({tick: (tick, *rest) for tick, *rest in events}.values())


# ---------------------------------------------------------------- cutting
@dataclass
class PhraseCut:
    """What one song gave: phrases (tracks x steps x pitches), their layouts, and why the rest was left out."""

    rolls: list[np.ndarray] = field(default_factory=list)
    layouts: list[Layout] = field(default_factory=list)  # each phrase's metre and bars
    tempos: list[float] = field(default_factory=list)  # bpm at each phrase's start
    programs: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    skipped_parts: list[str] = field(default_factory=list)  # report lines: what was read differently or left out
    remarks: list[str] = field(default_factory=list)  # details worth keeping (pick-ups, a padded last bar)
    reason: str = ""  # why nothing was taken, when nothing was
    empty_phrases: int = 0
    key: tuple[int, str] = (0, "major")  # estimated from the pitched notes before any normalisation
    shift: int = 0  # semitones the pitched notes were moved (key normalisation)


def typical_bpm(song: Song) -> float:
    """The tempo the song spends most beats in (120 when it sets none, as MIDI says)."""
    if not song.tempos:
        return 120.0
    end = max(song.end_tick, song.tempos[-1][0] + 1)
    spans: Counter = Counter()
    changes = song.tempos if song.tempos[0][0] == 0 else [(0, 500_000)] + song.tempos
    for (tick, tempo), nxt in zip(changes, changes[1:] + [(end, 0)]):
        spans[tempo] += max(0, nxt[0] - tick)
    tempo = spans.most_common(1)[0][0] if sum(spans.values()) else changes[-1][1]
    return 60_000_000 / max(1, tempo)


def _bpm_at(song: Song, tick: int) -> float:
    tempo = 500_000
    for t, value in song.tempos:
        if t > tick:
            break
        tempo = value
    return 60_000_000 / max(1, tempo)


def _without_zero_tempos(song: Song, lines: list[str]) -> Song:
    """A tempo of 0 stops time, which no player can do: such events are dropped with a report line."""
    zero = [t for t, tempo in song.tempos if tempo <= 0]
    if not zero:
        return song
    beats = ", ".join(f"{t / song.ticks_per_beat:g}" for t in zero[:3]) + (" ..." if len(zero) > 3 else "")
    lines.append(f"tempo 0 at beat {beats} ignored (the tempo before it holds)")
    return replace(song, tempos=[(t, tempo) for t, tempo in song.tempos if tempo > 0])


def _fold_into(pitches: np.ndarray, lowest: int, count: int) -> np.ndarray:
    """Pitches outside the window moved by whole octaves into it (a low bass E1 stays an E)."""
    top = lowest + count - 1
    up = np.maximum(0, -((pitches - lowest) // 12))
    pitches = pitches + 12 * up
    down = np.maximum(0, (pitches - top + 11) // 12)
    return pitches - 12 * down


@dataclass
class _TrackNotes:
    start: np.ndarray  # steps, sorted
    end: np.ndarray
    row: np.ndarray
    longest: int


def song_key(parts: Sequence[RolePart]) -> tuple[int, str]:
    """The key of a song's pitched notes, weighted by duration (see keys.py)."""
    pitched = [p.notes for p in parts if p.role != DRUMS and len(p.notes)]
    if not pitched:
        return 0, "major"
    notes = np.concatenate(pitched)
    return estimate_key(pitch_class_weights(notes[:, 2], notes[:, 1] - notes[:, 0]))


def _quantised(parts: Sequence[RolePart], tpb: int, opts: RollOptions, shift: int
               ) -> tuple[dict[int, _TrackNotes], dict[str, Counter]]:
    """Notes per track on the step grid (pitched ones moved by ``shift``); also the programs heard per role."""
    ticks_per_step = tpb / opts.steps_per_beat
    roles = opts.role_names
    gathered: dict[int, list[np.ndarray]] = defaultdict(list)
    programs: dict[str, Counter] = defaultdict(Counter)
    for part in parts:
        notes = part.notes
        pitch = notes[:, 2]
        if part.role == DRUMS:
            keep = (pitch >= opts.lowest) & (pitch < opts.lowest + opts.pitches)
            notes, pitch = notes[keep], pitch[keep]
        else:
            pitch = _fold_into(pitch + shift, opts.lowest, opts.pitches)
        start = np.floor(notes[:, 0] / ticks_per_step + 0.5).astype(np.int64)
        end = np.maximum(np.floor(notes[:, 1] / ticks_per_step + 0.5).astype(np.int64), start + 1)
        if part.role == DRUMS:
            end = start + 1
        gathered[roles.index(part.role)].append(np.stack([start, end, pitch - opts.lowest], axis=1))
        programs[part.role][part.program] += len(notes)
    tracks = {}
    for index, chunks in gathered.items():
        arr = np.concatenate(chunks)
        if not len(arr):
            continue
        arr = arr[np.argsort(arr[:, 0], kind="stable")]
        tracks[index] = _TrackNotes(arr[:, 0], arr[:, 1], arr[:, 2], int((arr[:, 1] - arr[:, 0]).max()))
    return tracks, programs


def _rasterise(notes: _TrackNotes, w0: int, steps: int, pitches: int, drums: bool) -> np.ndarray:
    """One track's steps x pitches window; pitched notes get a gap before a re-struck pitch."""
    lo = np.searchsorted(notes.start, w0 - notes.longest, side="left")
    hi = np.searchsorted(notes.start, w0 + steps, side="left")
    start, end, row = notes.start[lo:hi], notes.end[lo:hi], notes.row[lo:hi]
    inside = end > w0
    start, end, row = start[inside] - w0, end[inside] - w0, row[inside]
    onsets = np.zeros((steps, pitches), dtype=bool)
    struck = start >= 0
    onsets[start[struck], row[struck]] = True
    if drums:
        return onsets.astype(np.uint8)
    level = np.zeros((steps + 1, pitches), dtype=np.int32)
    np.add.at(level, (np.maximum(start, 0), row), 1)
    np.add.at(level, (np.minimum(end, steps), row), -1)
    on = np.cumsum(level, axis=0)[:steps] > 0
    gap = on[:-1] & onsets[1:] & ~onsets[:-1]
    on[:-1] &= ~gap
    return on.astype(np.uint8)


def _phrase_starts(bars: int, layout: Layout) -> tuple[list[int], int]:
    """Bar numbers (0-based, in the section) where phrases start, and the bars the last one holds.

    Whole phrases follow each other; a section too short for one still gives
    one when it holds at least half a phrase (a short tune is a phrase that
    ends early), silent after its last bar.
    """
    whole = bars // layout.bars
    if whole:
        return [k * layout.bars for k in range(whole)], layout.bars
    if bars and 2 * bars >= layout.bars:
        return [0], bars
    return [], 0


def _pitched_steps(tracks: dict[int, _TrackNotes], opts: RollOptions) -> tuple[np.ndarray, np.ndarray]:
    """Onsets and lengths in steps of every pitched note: the evidence for where bar lines fall."""
    pitched = [n for t, n in tracks.items() if opts.role_names[t] != DRUMS] or list(tracks.values())
    return np.concatenate([n.start for n in pitched]), np.concatenate([n.end - n.start for n in pitched])


def cut_phrases(song: Song, opts: RollOptions) -> PhraseCut:
    """Cuts a song into phrases of whole bars of its metres (layout.py), each starting on a bar line."""
    cut = PhraseCut()
    if song.note_count == 0:
        cut.reason = "no notes"
        return cut
    song = _without_zero_tempos(song, cut.skipped_parts)
    bpm = typical_bpm(song)
    low, high = TEMPO_RANGE_BPM
    if not low <= bpm <= high:
        cut.reason = f"absurd tempo: {bpm:.3g} bpm (expected {low:.0f}-{high:.0f}); the timing is probably broken"
        return cut
    parts, dropped_drums = assign_parts(song.parts, opts)
    cut.key = song_key(parts)
    cut.shift = shift_to_c(*cut.key) if opts.key == "normalise" else 0
    tracks, cut.programs = _quantised(parts, song.ticks_per_beat, opts, cut.shift)
    if not tracks:
        cut.reason = (
            "drums only, and drums are off (choose the multi-track roles to keep them)"
            if dropped_drums else "no notes in the pitch range"
        )
        return cut
    spb, phrase = opts.steps_per_beat, opts.phrase_steps
    reading = read_sections(song, spb, *_pitched_steps(tracks, opts))
    cut.skipped_parts += reading.lines
    cut.remarks += reading.remarks
    unusable: list[str] = []  # sections that gave no phrase, and why
    for section in reading.sections:
        layout = Layout(section.numerator, section.denominator, phrase_bars(section.bar_quarters, 4 * opts.bars), spb)
        bars = section.bars(spb)
        where = f"bars {section.first_bar}-{section.first_bar + bars - 1} in {section.name}"
        if layout.bars == 0:
            unusable.append(f"{where}: a bar is longer than a phrase of {opts.bars} bars of 4/4")
            continue
        starts, held = _phrase_starts(bars, layout)
        if not starts:
            unusable.append(f"{where}: too short, a phrase needs {layout.bars} bars of {section.name}")
            continue
        bar = section.bar_steps(spb)
        for first in starts:
            w0 = section.start + first * bar
            roll = np.stack([
                _rasterise(tracks[t], w0, phrase, opts.pitches, role == DRUMS) if t in tracks
                else np.zeros((phrase, opts.pitches), np.uint8)
                for t, role in enumerate(opts.role_names)
            ])
            roll[:, held * bar:] = 0  # silence after the phrase's last bar: the next bars belong elsewhere
            if not roll.any():
                cut.empty_phrases += 1
                continue
            cut.rolls.append(roll)
            cut.layouts.append(layout)
            cut.tempos.append(_bpm_at(song, int(w0 * song.ticks_per_beat / spb)))
    if not cut.rolls:
        cut.reason = "; ".join(unusable) or "no notes inside whole phrases"
    else:
        cut.skipped_parts += unusable
    return cut


def choose_programs(roles: Sequence[str], heard: dict[str, Counter]) -> list[int]:
    """The program most notes of each role were played with (the merged piano track stays a piano)."""
    return [
        heard[r].most_common(1)[0][0] if heard.get(r) and r not in MERGED_ROLES else DEFAULT_PROGRAMS.get(r, 0)
        for r in roles
    ]


def midi_to_clips(path: str | Path, options: dict[str, Any] | None = None,
                  roles: Sequence[str] | None = None) -> list[Clip]:
    """Every phrase of one MIDI file as a Clip (raises :class:`MidiProblem` for a bad file).

    ``roles`` keeps those tracks only, in that order (a corpus's roles: the
    ones its folder uses); a ``steps_per_beat`` of "auto" is chosen from this file.
    """
    options = dict(options or {})
    song = read_song(path)
    if options.get("steps_per_beat") == AUTO:
        tally = GridTally()
        tally.add(song)
        options["steps_per_beat"] = tally.choice()
    opts = RollOptions.from_dict(options)
    cut = cut_phrases(song, opts)
    if cut.reason:
        raise MidiProblem(cut.reason)
    names = list(roles) if roles is not None else list(opts.role_names)
    missing = [r for r in names if r not in opts.role_names]
    if missing:
        raise ValueError(f"roles {', '.join(missing)} are not among the import's roles {', '.join(opts.role_names)}")
    keep = [opts.role_names.index(r) for r in names]
    programs = choose_programs(names, cut.programs)
    return [
        Clip(roll[keep], opts.steps_per_beat, opts.lowest, names, programs, tempo)
        for roll, tempo in zip(cut.rolls, cut.tempos)
    ]


# ------------------------------------------------------------------ writing
def _channels(roles: Sequence[str]) -> list[int]:
    free = [c for c in range(16) if c != DRUM_CHANNEL]
    out, k = [], 0
    for role in roles:
        if role == DRUMS:
            out.append(DRUM_CHANNEL)
        else:
            out.append(free[k % len(free)])
            k += 1
    return out


def append_notes(track: Any, events: list[tuple[int, int, int]], channel: int, velocity: int) -> int:
    """Appends (tick, 1 for on / 0 for off, pitch) events to a mido track as delta-timed messages, offs
    before ons at a shared tick (so a re-struck pitch is two notes); returns the last event's tick."""
    import mido

    now = 0
    for tick, on, pitch in sorted(events):
        kind = "note_on" if on else "note_off"
        track.append(mido.Message(kind, channel=channel, note=pitch, velocity=velocity if on else 0,
                                  time=tick - now))
        now = tick
    return now


def clip_to_midi(clip: Clip, info: dict[str, Any] | None = None) -> Any:
    """A type-1 ``mido.MidiFile``: a tempo track carrying ``info`` as text and the clip's time signatures
    (one at each change of metre), then one track per role."""
    import mido

    tps = WRITE_TICKS_PER_BEAT // clip.steps_per_beat
    midi = mido.MidiFile(type=1, ticks_per_beat=WRITE_TICKS_PER_BEAT)
    conductor = mido.MidiTrack()
    conductor.append(mido.MetaMessage("track_name", name="GAN Studio", time=0))
    conductor.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(max(1.0, clip.tempo)), time=0))
    if info:
        text = INFO_PREFIX + json.dumps(info, ensure_ascii=True, sort_keys=True, default=str)
        conductor.append(mido.MetaMessage("text", text=text, time=0))
    now = 0
    for start, _, bar in clip.metre_spans():  # the clip's metre, and each change of a piece joined from clips
        # the metronome clicks once per felt beat: a dotted quarter (36 MIDI clocks) in 6/8
        clocks = int(24 * bar.beat_steps / clip.steps_per_beat)
        conductor.append(mido.MetaMessage("time_signature", numerator=bar.numerator, denominator=bar.denominator,
                                          clocks_per_click=clocks, time=start * tps - now))
        now = start * tps
    midi.tracks.append(conductor)
    velocity = int(np.clip(clip.velocity, 1, 127))
    for t, (role, program, channel) in enumerate(zip(clip.roles, clip.programs, _channels(clip.roles))):
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=role, time=0))
        track.append(mido.Message("program_change", channel=channel, program=int(program) & 127, time=0))
        events = []  # (tick, 0 for off / 1 for on, pitch): offs sort first at a shared tick
        for note in track_notes(clip.roll[t], role == DRUMS):
            pitch = clip.lowest + note.row
            if 0 <= pitch <= 127:
                events.append((note.start * tps, 1, pitch))
                events.append((note.end * tps, 0, pitch))
        now = append_notes(track, events, channel, velocity)
        # every track ends at the phrase's end, so a DAW sees whole bars even after a silent last bar
        track.append(mido.MetaMessage("end_of_track", time=max(0, clip.roll.shape[1] * tps - now)))
        midi.tracks.append(track)
    return midi


def write_midi(clips: Clip | Sequence[Clip], path: str | Path, info: dict[str, Any] | None = None) -> Path:
    """Writes one clip, or several as consecutive phrases, atomically; ``info`` also goes to ``<path>.json``."""
    path = Path(path)
    clip = clips if isinstance(clips, Clip) else concat_clips(clips)
    midi = clip_to_midi(clip, info)
    write_atomically(path, lambda name: midi.save(filename=name))
    if info:
        sidecar = path.with_name(path.name + ".json")
        payload = json.dumps(info, indent=2, ensure_ascii=False, default=str).encode("utf-8")
        write_atomically(sidecar, lambda name: Path(name).write_bytes(payload))
    return path


def read_info(path: str | Path) -> dict[str, Any]:
    """The ``info`` a file written by :func:`write_midi` carries in its text event ({} if none)."""
    import mido

    try:
        midi = mido.MidiFile(str(path), clip=True)
    except Exception as err:  # see parse_song
        raise MidiProblem(f"unreadable MIDI: {err or type(err).__name__}") from None
    for track in midi.tracks:
        for msg in track:
            if msg.type == "text" and msg.text.startswith(INFO_PREFIX):
                try:
                    return json.loads(msg.text[len(INFO_PREFIX):])
                except json.JSONDecodeError:
                    return {}
    return {}
