"""The MIDI importer against files made here with mido (and a few made byte by byte)."""
from __future__ import annotations

import struct
import time
from pathlib import Path

import mido
import numpy as np
import pytest
import torch

from studio.core.domain import ImportCancelled
from studio.domains import get_domain
from studio.domains.music.demo import write_demo_folder

DOMAIN = get_domain("music")
TPB = 480
STEP = TPB // 4  # one 16th note at the default grid


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "cache"))


def notes_track(notes, channel=0, program=0, name="", tempo=None, metres=()):
    """A track from (start_step, length_steps, pitch) notes on the 16th grid; metres as (step, num, den)."""
    events = []
    for step, num, den in metres:
        events.append((step * STEP, 0, mido.MetaMessage("time_signature", numerator=num, denominator=den)))
    if tempo is not None:
        events.append((0, 0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo))))
    for start, length, pitch in notes:
        events.append((start * STEP, 2, mido.Message("note_on", channel=channel, note=pitch, velocity=90)))
        events.append(((start + length) * STEP, 1, mido.Message("note_off", channel=channel, note=pitch)))
    events.sort(key=lambda e: (e[0], e[1]))
    track = mido.MidiTrack()
    if name:
        track.append(mido.MetaMessage("track_name", name=name, time=0))
    track.append(mido.Message("program_change", channel=channel, program=program, time=0))
    now = 0
    for tick, _, msg in events:
        track.append(msg.copy(time=tick - now))
        now = tick
    return track


def save(path: Path, tracks, midi_type=1) -> Path:
    midi = mido.MidiFile(type=midi_type, ticks_per_beat=TPB)
    midi.tracks.extend(tracks)
    path.parent.mkdir(parents=True, exist_ok=True)
    midi.save(str(path))
    return path


def melody(bars=4, pitch=60):
    """One quarter note per beat, rising within an octave."""
    return [(b * 4, 3, pitch + (b % 8)) for b in range(bars * 4)]


def imp(folder, **options):
    return DOMAIN.import_folder(folder, options)


def reasons(corpus) -> dict[str, str]:
    return {Path(s.path).name: s.reason for s in corpus.report.skipped}


def test_type_0_and_1_import_and_type_2_is_refused(tmp_path):
    save(tmp_path / "one.mid", [notes_track(melody(8), tempo=100)])
    save(tmp_path / "zero.mid", [notes_track(melody(4))], midi_type=0)
    save(tmp_path / "two.mid", [notes_track(melody(4)), notes_track(melody(4))], midi_type=2)
    corpus = imp(tmp_path)
    assert corpus.report.items == 3
    assert corpus.data.shape == (3, 1, 64, 84) and corpus.data.dtype == torch.uint8
    assert set(torch.unique(corpus.data).tolist()) == {0, 1}
    assert "type 2" in reasons(corpus)["two.mid"]
    assert corpus.report.details["files"]["one.mid"]["phrases"] == 2
    assert corpus.meta["roles"] == ["piano"] and corpus.meta["steps_per_beat"] == 4


def test_notes_land_on_the_right_cells_despite_tempo_changes(tmp_path):
    track = notes_track([(0, 4, 60), (6, 2, 64), (16, 16, 67)], tempo=90)
    # Tempo changes in the middle of the first bar and again later: the grid is in beats, not seconds.
    track.insert(2, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(140), time=0))
    save(tmp_path / "t.mid", [track, notes_track([(60, 4, 48)], tempo=None)])
    corpus = imp(tmp_path, lowest=24, pitches=84)
    roll = corpus.data[0, 0].numpy()
    assert roll[0:4, 60 - 24].all() and roll[4, 60 - 24] == 0
    assert roll[6:8, 64 - 24].all() and not roll[5, 64 - 24] and not roll[8, 64 - 24]
    assert roll[16:32, 67 - 24].all()
    assert roll[60:64, 48 - 24].all()
    assert roll.sum() == 4 + 2 + 16 + 4


def test_running_status_and_velocity_zero_note_off(tmp_path):
    def var(n):
        out = [n & 0x7F]
        n >>= 7
        while n:
            out.insert(0, (n & 0x7F) | 0x80)
            n >>= 7
        return bytes(out)

    body = b""
    for beat in range(16):  # 4 bars of quarter notes: one status byte, then running status; vel-0 offs
        pitch = 60 + beat % 5
        on = bytes([0x90, pitch, 100]) if beat == 0 else bytes([pitch, 100])
        body += var(0 if beat == 0 else TPB // 4) + on + var(TPB * 3 // 4) + bytes([pitch, 0])
    body += var(0) + b"\xff\x2f\x00"
    data = b"MThd" + struct.pack(">IHHH", 6, 0, 1, TPB) + b"MTrk" + struct.pack(">I", len(body)) + body
    (tmp_path / "rs.mid").write_bytes(data)
    corpus = imp(tmp_path)
    assert corpus.report.items == 1, reasons(corpus)
    roll = corpus.data[0, 0].numpy()
    for beat in range(16):
        pitch = 60 + beat % 5 - 24
        assert roll[beat * 4: beat * 4 + 3, pitch].all(), beat
        assert roll[beat * 4 + 3, pitch] == 0
    assert roll.sum() == 16 * 3


def test_overlapping_and_unterminated_notes(tmp_path):
    track = mido.MidiTrack([
        mido.Message("note_on", note=60, velocity=90, time=0),
        mido.Message("note_on", note=60, velocity=90, time=4 * STEP),  # re-struck while still sounding
        mido.Message("note_off", note=60, time=4 * STEP),
        mido.Message("note_off", note=60, time=0),  # a second off for the same key: ignored
        mido.Message("note_off", note=61, time=0),  # an off with no on: ignored
        mido.Message("note_on", note=72, velocity=90, time=0),  # never switched off
        mido.Message("note_on", note=50, velocity=90, time=56 * STEP),
        mido.Message("note_off", note=50, time=4 * STEP),
    ])
    save(tmp_path / "o.mid", [track])
    corpus = imp(tmp_path)
    roll = corpus.data[0, 0].numpy()
    c = 60 - 24
    assert roll[0:3, c].all() and roll[3, c] == 0, "a re-struck pitch leaves a one-step gap"
    assert roll[4:8, c].all() and roll[8:, c].sum() == 0
    assert roll[8:64, 72 - 24].all(), "an unterminated note lasts to the end of its track"
    assert roll[:, 61 - 24].sum() == 0


def test_drums_channel_roles_and_drums_only(tmp_path):
    drums = notes_track([(s, 1, 36 if s % 8 == 0 else 42) for s in range(0, 64, 2)], channel=9)
    bass = notes_track([(b * 16, 15, 36) for b in range(4)], channel=1, program=33)
    chords = notes_track([(b * 16, 15, p) for b in range(4) for p in (60, 64, 67)], channel=2, program=0)
    lead = notes_track(melody(4, 72), channel=3, program=81)
    save(tmp_path / "band.mid", [drums, bass, chords, lead])
    save(tmp_path / "beat.mid", [notes_track([(s, 1, 38) for s in range(0, 64, 4)], channel=9)])
    multi = imp(tmp_path, roles="multi")
    assert multi.meta["roles"] == ["drums", "bass", "chords", "melody"]
    assert multi.meta["programs"][1:] == [33, 0, 81]
    band = multi.data[0].numpy()
    assert band[0, ::2, 36 - 24].sum() + band[0, ::2, 42 - 24].sum() == 32
    assert band[0].sum() == 32, "drum hits are single steps"
    assert band[1, :, 36 - 24].sum() == 60 and band[2].sum() == 180 and band[3].sum() == 48
    assert multi.report.items == 2  # the drum loop is a phrase of its own
    merged = imp(tmp_path, roles="merged")
    assert "drums only" in reasons(merged)["beat.mid"]
    assert merged.data.shape[1] == 1 and merged.data[0, 0, :, 36 - 24].sum() == 60
    no_drums = imp(tmp_path, roles="multi", drums=False)
    assert no_drums.meta["roles"] == ["bass", "chords", "melody"]
    assert "drums only" in reasons(no_drums)["beat.mid"]


def test_a_waltz_and_a_metre_change_give_layouts_and_a_metre_track(tmp_path):
    save(tmp_path / "waltz.mid", [notes_track([(s, 3, 60) for s in range(0, 96, 4)], metres=[(0, 3, 4)])])
    # 8 bars of 4/4, then 8 bars of 3/4.
    mixed = notes_track([(s, 3, 62) for s in range(0, 128 + 96, 4)], metres=[(0, 4, 4), (128, 3, 4)])
    save(tmp_path / "mixed.mid", [mixed])
    corpus = imp(tmp_path)
    assert corpus.report.skipped == []
    assert corpus.report.details["files"]["waltz.mid"] == {**corpus.report.details["files"]["waltz.mid"],
                                                           "phrases": 2, "metres": ["3/4"]}
    assert corpus.report.details["files"]["mixed.mid"]["phrases"] == 4
    assert corpus.meta["layouts"] == [{"numerator": 3, "denominator": 4, "bars": 4, "share": 0.666667},
                                      {"numerator": 4, "denominator": 4, "bars": 4, "share": 0.333333}]
    assert corpus.meta["metre_track"] and corpus.data.shape == (6, 2, 64, 84)
    waltz = corpus.data[4, 0].numpy()  # files in name order: mixed.mid gave the first four
    assert waltz[:48].sum() == 12 * 3 and not waltz[48:].any(), "4 bars of 3/4, then silence"


def test_bad_files_are_reported_and_the_rest_imports(tmp_path):
    good = save(tmp_path / "good.mid", [notes_track(melody(4))])
    data = good.read_bytes()
    (tmp_path / "truncated.mid").write_bytes(data[: len(data) - 20])
    (tmp_path / "text.mid").write_bytes(b"hello, this is not music at all\n" * 4)
    (tmp_path / "empty.mid").write_bytes(b"")
    (tmp_path / "audio.mid").write_bytes(b"RIFF" + struct.pack("<I", 36) + b"WAVEfmt " + bytes(64))
    save(tmp_path / "slow.mid", [notes_track(melody(4), tempo=4)])
    save(tmp_path / "short.mid", [notes_track(melody(1))])
    save(tmp_path / "silent.mid", [mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000)])])
    header = b"MThd" + struct.pack(">IHHH", 6, 1, 1001, TPB)
    (tmp_path / "tracks.mid").write_bytes(header + b"MTrk" + bytes(8))
    with open(tmp_path / "huge.mid", "wb") as f:  # sparse: 21 MB that must not be read
        f.write(data)
        f.truncate(21 * 2**20)
    started = time.perf_counter()
    corpus = imp(tmp_path)
    assert time.perf_counter() - started < 10
    r = reasons(corpus)
    assert corpus.report.imported == [str(good)] and corpus.report.items == 1
    assert "truncated" in r["truncated.mid"]
    assert "wrong header" in r["text.mid"]
    assert "0 bytes" in r["empty.mid"]
    assert "WAV" in r["audio.mid"]
    assert "absurd tempo" in r["slow.mid"]
    assert "too short" in r["short.mid"]
    assert "no notes" in r["silent.mid"]
    assert "too large" in r["tracks.mid"] and "1001 tracks" in r["tracks.mid"]
    assert "too large" in r["huge.mid"] and "MB" in r["huge.mid"]
    assert corpus.report.files_seen == 10


def test_grid_pitch_window_recursion_and_folding(tmp_path):
    save(tmp_path / "a" / "b" / "deep.midi", [notes_track([(0, 4, 60), (4, 4, 100), (8, 4, 20)] + melody(4, 62))])
    (tmp_path / "notes.txt").write_text("not a midi file, not counted")
    corpus = imp(tmp_path, steps_per_beat=12, lowest=36, pitches=48)
    assert corpus.data.shape == (1, 1, 192, 48)
    assert corpus.report.details["other_files_ignored"] == 1
    roll = corpus.data[0, 0].numpy()
    assert roll[0:12, 60 - 36].all()
    assert roll[12:24, 100 - 36 - 24].all(), "a note above the window comes down by octaves"
    assert roll[24:36, 20 - 36 + 24].all(), "a note below the window goes up by octaves"


def test_cache_makes_reopening_instant_and_options_change_the_key(tmp_path):
    write_demo_folder(tmp_path / "demo", count=4)
    first = imp(tmp_path / "demo", roles="multi")
    again = imp(tmp_path / "demo", roles="multi")
    assert not first.report.from_cache and again.report.from_cache
    assert torch.equal(first.data, again.data) and first.meta == again.meta
    assert again.report.details["reference_metrics"] == first.report.details["reference_metrics"]
    other = imp(tmp_path / "demo", roles="merged")
    assert not other.report.from_cache and other.data.shape[1] == 1


def test_demo_folder_imports_cleanly(tmp_path):
    folder = DOMAIN.demo_corpus_folder(tmp_path / "demo")
    corpus = imp(folder, roles="multi")
    assert corpus.report.skipped == []
    assert corpus.report.items == 4 * len(corpus.report.imported) == 96
    # every track plays in every phrase, and type-0 files (every 4th) sort into the same roles
    assert (corpus.data.flatten(2).amax(dim=2) == 1).all()
    prior = np.array(corpus.meta["pitch_prior"])
    assert prior.shape == (4, 84) and np.allclose(prior, corpus.data.double().mean(dim=(0, 2)).numpy(), atol=1e-5)
    reference = corpus.report.details["reference_metrics"]
    assert reference["EB"] == 0.0 and 0.5 < reference["PP.chords"] <= 1.0 and reference["PP.melody"] == 0.0


def test_cancel_and_bad_options(tmp_path):
    save(tmp_path / "x.mid", [notes_track(melody(4))])
    with pytest.raises(ImportCancelled):
        DOMAIN.import_folder(tmp_path, {}, cancel=lambda: True)
    with pytest.raises(ValueError, match="steps_per_beat"):
        imp(tmp_path, steps_per_beat=5)
    with pytest.raises(ValueError, match="roles"):
        imp(tmp_path, roles="orchestra")
    with pytest.raises(NotADirectoryError):
        imp(tmp_path / "x.mid")
    seen = []
    DOMAIN.import_folder(tmp_path, {"bars": 2}, progress=lambda *a: seen.append(a))
    assert seen[-1][:2] == (1, 1)


def test_real_batch_transposes_pitched_tracks_within_range_only(tmp_path):
    torch.manual_seed(0)
    meta = {"roles": ["drums", "melody"], "transpose": 3, "steps_per_beat": 4, "lowest": 24, "pitches": 84}
    rows = torch.zeros(64, 2, 64, 84, dtype=torch.uint8)
    rows[:, 0, ::4, 12] = 1  # kick
    rows[:, 1, :8, 40] = 1
    rows[:32, 1, 8:16, 82] = 1  # one step below the top: may go up by at most 1
    out = DOMAIN.real_batch(rows, meta, train=True)
    assert set(out.unique().tolist()) == {-1.0, 1.0}
    assert torch.equal(out[:, 0], rows[:, 0].float() * 2 - 1), "drums are never transposed"
    on = out[:, 1] > 0
    assert (on.sum(dim=(1, 2)) == rows[:, 1].sum(dim=(1, 2))).all(), "no note falls off the range"
    shifts = on[:, 0].float().argmax(dim=1) - 40
    assert shifts.abs().max() <= 3 and len(shifts.unique()) > 3
    assert shifts[:32].max() <= 1
    plain = DOMAIN.real_batch(rows, meta, train=False)
    assert torch.equal(plain, rows.float() * 2 - 1)
