"""Importing tune-book MIDI: metres, pick-ups, metre changes, the grid, roles by content, keys, broken headers."""
from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import mido
import numpy as np
import pytest

from studio.domains import get_domain
from studio.domains.music.codec import Part, RollOptions, Song, cut_phrases, midi_to_clips
from studio.domains.music.layout import LAYOUT_ROW, Layout, layout_indices, phrase_bars

DOMAIN = get_domain("music")
TPB = 480
EIGHTH = Fraction(1, 2)
DOWNBEAT = 72  # every bar's first note: a phrase that starts on a bar line starts with it


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "cache"))


def track(notes, channel=0, program: int | None = 0, name="", metres=(), tempos=()):
    """A track from (start, length, pitch) notes in quarters; metres as (quarter, num, den), tempos as (quarter, us)."""
    events = [(Fraction(q), 0, mido.MetaMessage("time_signature", numerator=n, denominator=d)) for q, n, d in metres]
    events += [(Fraction(q), 0, mido.MetaMessage("set_tempo", tempo=t)) for q, t in tempos]
    for start, length, pitch in notes:
        events.append((Fraction(start), 2, mido.Message("note_on", channel=channel, note=pitch, velocity=90)))
        events.append((Fraction(start) + Fraction(length), 1, mido.Message("note_off", channel=channel, note=pitch)))
    events.sort(key=lambda e: (e[0], e[1]))
    out = mido.MidiTrack()
    if name:
        out.append(mido.MetaMessage("track_name", name=name, time=0))
    if program is not None:
        out.append(mido.Message("program_change", channel=channel, program=program, time=0))
    now = 0
    for when, _, msg in events:
        tick = int(when * TPB)
        out.append(msg.copy(time=tick - now))
        now = tick
    return out


def save(path: Path, tracks) -> Path:
    midi = mido.MidiFile(type=1, ticks_per_beat=TPB)
    midi.tracks.extend(tracks)
    path.parent.mkdir(parents=True, exist_ok=True)
    midi.save(str(path))
    return path


def bars_of(num: int, den: int, count: int, start: Fraction) -> list[tuple[Fraction, Fraction, int]]:
    """``count`` bars from ``start``: a long note on each downbeat, then an 8th (tune-book rhythm)."""
    bar = Fraction(4 * num, den)
    notes = []
    for b in range(count):
        at = start + b * bar
        notes.append((at, bar - EIGHTH, DOWNBEAT))
        notes.append((at + bar - EIGHTH, EIGHTH, 62 + b % 5))
    return notes


def imp(folder, **options):
    return DOMAIN.import_folder(folder, {"roles": "multi", **options})


def lines(corpus, name: str) -> list[str]:
    return [s.reason for s in corpus.report.skipped if Path(s.path).name == name]


METRES = [(2, 4), (3, 4), (4, 4), (2, 2), (3, 8), (6, 8), (9, 8), (12, 8), (5, 4), (7, 8)]


@pytest.mark.parametrize("num,den", METRES)
def test_each_metre_with_a_pick_up_and_a_metre_change(tmp_path, num, den):
    second = (4, 4) if (num, den) == (3, 4) else (3, 4)
    first_bars = 2 * phrase_bars(Fraction(4 * num, den), 16)
    change = EIGHTH + first_bars * Fraction(4 * num, den)
    notes = [(Fraction(0), EIGHTH, 67)]  # the pick-up: an 8th before the first bar line
    notes += bars_of(num, den, first_bars, EIGHTH) + bars_of(*second, 4, change)
    save(tmp_path / "tune.mid", [track(notes, metres=[(0, num, den), (change, *second)])])
    corpus = imp(tmp_path)
    assert corpus.report.skipped == [] and corpus.report.items == 3
    meta = corpus.meta
    assert meta["roles"] == ["melody"] and meta["metre_track"] is True
    assert {(d["numerator"], d["denominator"]) for d in meta["layouts"]} == {(num, den), second}
    assert sum(d["share"] for d in meta["layouts"]) == pytest.approx(1.0)
    data = corpus.data.numpy()
    assert data.shape == (3, 2, 64, 84)
    layouts = [Layout.from_dict(d, meta["steps_per_beat"]) for d in meta["layouts"]]
    for roll, index in zip(data, layout_indices(data, meta)):
        layout = layouts[index]
        downbeats = np.flatnonzero(np.diff(np.concatenate([[0], roll[0, :, DOWNBEAT - 24]])) == 1)
        assert downbeats.tolist() == [int(b * layout.bar_steps) for b in range(layout.bars)], layout
        assert roll[0, layout.steps:].sum() == 0, "silence after the phrase's last bar"
        assert roll[1, :, LAYOUT_ROW + index].all()
    details = corpus.report.details
    used = [(d["metre"], d["phrases"]) for d in details["layouts"]]
    assert used == [(f"{num}/{den}", 2), (f"{second[0]}/{second[1]}", 1)]
    assert details["files_per_metre"] == {f"{num}/{den}": 1, f"{second[0]}/{second[1]}": 1}
    assert any("pick-up of 0.5 beats" in r for r in details["files"]["tune.mid"]["remarks"])


def test_a_short_first_section_is_a_pick_up(tmp_path):
    """Tune books often write the pick-up as a bar of its own short metre (1/8) before the real one."""
    notes = [(Fraction(0), EIGHTH, 67)] + bars_of(6, 8, 8, EIGHTH)
    save(tmp_path / "jig.mid", [track(notes, metres=[(0, 1, 8), (EIGHTH, 6, 8)])])
    corpus = imp(tmp_path)
    assert corpus.report.items == 2 and corpus.meta["metre_track"] is False
    assert corpus.meta["layouts"] == [{"numerator": 6, "denominator": 8, "bars": 4, "share": 1.0}]
    assert corpus.data[:, 0, 0, DOWNBEAT - 24].all()
    assert corpus.report.details["files"]["jig.mid"]["remarks"] == ["pick-up of 0.5 beats in 1/8 before the first bar"]


def test_a_one_track_folder_is_melody_alone_whatever_its_program(tmp_path):
    for k, program in enumerate((0, 33, 40)):  # piano, bass, violin
        save(tmp_path / f"t{k}.mid", [track(bars_of(4, 4, 4, Fraction(0)), program=program)])
    corpus = imp(tmp_path)
    assert corpus.meta["roles"] == ["melody"] and corpus.data.shape == (3, 1, 64, 84)
    assert corpus.meta["role_usage"] == {"melody": 3 * 8}
    assert corpus.report.details["roles_dropped"] == ["drums", "bass", "chords"]
    assert corpus.meta["programs"] == [0]


def test_drums_come_from_channel_ten_only(tmp_path):
    beat = [(Fraction(q, 2), EIGHTH, 36 if q % 4 == 0 else 42) for q in range(32)]
    save(tmp_path / "loop.mid", [track(beat, channel=9)])
    corpus = imp(tmp_path)
    assert corpus.meta["roles"] == ["drums"] and corpus.data.shape[1] == 1
    save(tmp_path / "named.mid", [track(bars_of(4, 4, 4, Fraction(0)), name="drums", channel=0)])
    both = imp(tmp_path)
    assert both.meta["roles"] == ["drums", "melody"], "a track named drums on channel 1 plays pitches"


def test_a_piano_part_without_program_change_is_split_by_range(tmp_path):
    bass = [(Fraction(4 * b), Fraction(4), 36 + 2 * (b % 3)) for b in range(4)]
    chords = [(Fraction(4 * b + q), Fraction(1), p) for b in range(4) for q in range(4) for p in (60, 64, 67)]
    save(tmp_path / "piano.mid", [track(bass + chords, program=None)])
    corpus = imp(tmp_path)
    assert corpus.meta["roles"] == ["bass", "chords"]
    roll = corpus.data[0].numpy()
    assert roll[0, :, 36 - 24].sum() > 0 and roll[0, :, 60 - 24:].sum() == 0
    assert roll[1, :, : 60 - 24].sum() == 0 and roll[1].sum() == 3 * (15 * 3 + 4)  # a re-struck quarter leaves a step
    save(tmp_path / "chosen.mid", [track(bass + chords, program=0)])
    chosen = imp(tmp_path)
    assert chosen.report.details["files"]["chosen.mid"]["phrases"] == 1
    assert chosen.meta["roles"] == ["bass", "chords"]
    assert chosen.data[1, 0, :, 36 - 24].sum() > 0, "a piano chosen by program change stays one chords part"


def test_our_exports_read_back_by_track_name(tmp_path):
    named = [track(bars_of(4, 4, 4, Fraction(0)), name=role, channel=c, program=0)
             for c, role in enumerate(("bass", "chords", "melody"))]
    save(tmp_path / "export.mid", named)
    assert imp(tmp_path).meta["roles"] == ["bass", "chords", "melody"]


def test_grid_auto_picks_what_the_onsets_need(tmp_path):
    straight = tmp_path / "straight"
    save(straight / "a.mid", [track([(Fraction(q, 4), Fraction(1, 4), 60 + q % 7) for q in range(64)])])
    corpus = imp(straight)
    assert corpus.meta["steps_per_beat"] == 4 and corpus.data.shape[2] == 64
    assert corpus.report.details["grid"]["loss"]["4"] == 0.0
    triplets = tmp_path / "triplets"
    save(triplets / "t.mid", [track([(Fraction(q, 3), Fraction(1, 3), 60 + q % 5) for q in range(48)])])
    trip = imp(triplets)
    assert trip.meta["steps_per_beat"] == 6 and trip.data.shape[2] == 96
    loss = trip.report.details["grid"]["loss"]
    assert loss["4"] > 0.3 and loss["6"] == loss["12"] == 0.0
    save(triplets / "s.mid", [track([(Fraction(q, 4), Fraction(1, 4), 60 + q % 7) for q in range(64)])])
    assert imp(triplets).meta["steps_per_beat"] == 12, "triplets and 16ths together need 12"
    assert imp(triplets, steps_per_beat=4).meta["grid"] == {"steps_per_beat": 4, "chosen": "given"}


def test_key_normalisation_moves_a_g_major_tune_to_c(tmp_path):
    g_major = [67, 69, 71, 72, 74, 76, 78, 79]
    degrees = [0, 2, 4, 2, 0, 4, 7, 4, 3, 1, 6, 4, 0, 4, 7, 0]
    tune = [(Fraction(q), Fraction(1), g_major[i]) for q, i in enumerate(degrees)]
    save(tmp_path / "g.mid", [track(tune)])
    kept = imp(tmp_path)
    moved = imp(tmp_path, key="normalise")
    assert kept.report.details["files"]["g.mid"]["key"] == "G major" and kept.meta["keys"] == {"G major": 1}
    assert moved.report.details["files"]["g.mid"]["shifted"] == 5 and moved.meta["keys"] == {"G major": 1}
    assert moved.meta["key_normalised"] and not kept.meta["key_normalised"]
    assert np.array_equal(np.roll(kept.data.numpy(), 5, axis=-1), moved.data.numpy())
    pitch_classes = {(24 + r) % 12 for r in np.flatnonzero(moved.data[0, 0].numpy().any(axis=0))}
    assert pitch_classes <= {0, 2, 4, 5, 7, 9, 11} and 6 not in pitch_classes
    with pytest.raises(ValueError, match="key"):
        imp(tmp_path, key="D")


def _raw_time_signature(path: Path, numerator: int, exponent: int) -> None:
    """A file with a time signature mido would refuse to write (its denominator is 2**exponent)."""
    save(path, [track(bars_of(4, 4, 4, Fraction(0)), metres=[(0, 4, 4)])])
    data = path.read_bytes()
    at = data.index(b"\xff\x58\x04") + 3
    path.write_bytes(data[:at] + bytes([numerator, exponent]) + data[at + 2:])


def test_broken_headers_each_give_a_line_and_never_crash(tmp_path):
    _raw_time_signature(tmp_path / "zero.mid", 0, 2)  # 0/4
    _raw_time_signature(tmp_path / "huge.mid", 13, 9)  # 13/512
    late = bars_of(4, 4, 4, Fraction(0))
    save(tmp_path / "late.mid", [track(late, metres=[(0, 4, 4), (16, 3, 4)])])  # after the last note
    save(tmp_path / "stop.mid", [track(late, tempos=[(0, 500_000), (4, 0)])])  # tempo 0
    open_bar = bars_of(4, 4, 4, Fraction(0)) + [(Fraction(16), Fraction(2), 60)] + bars_of(3, 4, 4, Fraction(18))
    save(tmp_path / "open.mid", [track(open_bar, metres=[(0, 4, 4), (18, 3, 4)])])  # the 5th bar never closes
    corpus = imp(tmp_path)
    assert len(corpus.report.imported) == 5
    assert "0/4" in lines(corpus, "zero.mid")[0] and "numerator 0" in lines(corpus, "zero.mid")[0]
    assert "read as 4/4" in lines(corpus, "huge.mid")[0] and "512" in lines(corpus, "huge.mid")[0]
    assert "after the last note: ignored" in lines(corpus, "late.mid")[0]
    assert "tempo 0" in lines(corpus, "stop.mid")[0]
    assert "never closes" in lines(corpus, "open.mid")[0] and "2 beats short" in lines(corpus, "open.mid")[0]
    assert corpus.report.details["files"]["open.mid"]["metres"] == ["3/4", "4/4"]
    assert corpus.report.details["files"]["late.mid"]["metres"] == ["4/4"]


def test_metres_no_grid_or_phrase_holds_are_reported_per_section():
    notes = np.array([[q * TPB // 4, (q + 1) * TPB // 4, 60 + q % 5] for q in range(128)], dtype=np.int64)
    part = Part(0, 0, 0, "", notes)
    for metre, expected in (((13, 7), "denominator 7"), ((7, 16), "do not fall on a grid of 6")):
        song = Song(TPB, 1, [], [(0, *metre)], [part])
        cut = cut_phrases(song, RollOptions(steps_per_beat=6, roles="multi"))
        assert expected in cut.skipped_parts[0] and "read as 4/4" in cut.skipped_parts[0]
        assert cut.layouts and all(layout.name == "4/4" for layout in cut.layouts)
    song = Song(TPB, 1, [], [(0, 32, 4)], [part])  # a 32/4 bar is longer than 4 bars of 4/4
    cut = cut_phrases(song, RollOptions(roles="multi"))
    assert "bars 1-1 in 32/4: a bar is longer than a phrase" in cut.reason


def test_one_file_reads_back_on_a_corpus_s_roles(tmp_path):
    path = save(tmp_path / "t.mid", [track(bars_of(6, 8, 4, Fraction(0)), program=40)])
    clips = midi_to_clips(path, {"roles": "multi", "steps_per_beat": "auto"}, roles=["melody"])
    assert len(clips) == 1 and clips[0].roles == ["melody"] and clips[0].roll.shape == (1, 64, 84)
    with pytest.raises(ValueError, match="piano"):
        midi_to_clips(path, {"roles": "multi"}, roles=["piano"])


def test_layouts_beyond_the_cap_are_left_out_rarest_first(tmp_path, monkeypatch):
    monkeypatch.setattr("studio.domains.music.corpus.MAX_LAYOUTS", 1)
    save(tmp_path / "a.mid", [track(bars_of(3, 4, 8, Fraction(0)), metres=[(0, 3, 4)])])
    save(tmp_path / "b.mid", [track(bars_of(6, 8, 4, Fraction(0)), metres=[(0, 6, 8)])])
    corpus = imp(tmp_path)
    assert corpus.meta["layouts"] == [{"numerator": 3, "denominator": 4, "bars": 4, "share": 1.0}]
    assert not corpus.meta["metre_track"] and corpus.report.items == 2
    assert "1 phrases in 6/8 left out" in lines(corpus, "b.mid")[0]
    assert [Path(p).name for p in corpus.report.imported] == ["a.mid"]


def test_off_beat_chords_and_a_lone_long_note_do_not_move_the_bar_lines(tmp_path):
    bass = [(Fraction(2 * q), Fraction(1), 36 + q % 3) for q in range(8)]
    skank = [(Fraction(q) + EIGHTH, Fraction(3, 8), p) for q in range(16) for p in (60, 64, 67)]  # every off-beat
    save(tmp_path / "offbeat.mid", [track(bass, channel=1, program=33), track(skank, channel=2, program=0)])
    save(tmp_path / "long.mid", [track([(Fraction(0), Fraction(1), 60), (Fraction(2), Fraction(12), 67),
                                        (Fraction(15), Fraction(1), 64)])])
    corpus = imp(tmp_path)
    remarks = [r for f in corpus.report.details["files"].values() for r in f["remarks"]]
    assert remarks == [], "no pick-up found in either"
    assert corpus.meta["roles"] == ["bass", "chords", "melody"]
    assert corpus.data[1, 0, 0, 36 - 24] == 1, "the bass's first note still opens the phrase (after long.mid's)"


def test_a_time_signature_restated_off_the_bar_lines_shows_where_they_are(tmp_path):
    """Flat quarters say nothing about bar lines; the 4/4 restated at beat 18 does: bars start at beat 2."""
    flat = [(Fraction(q), Fraction(1), 60 + q % 7) for q in range(34)]
    save(tmp_path / "restated.mid", [track(flat, metres=[(0, 4, 4), (18, 4, 4)])])
    corpus = imp(tmp_path)
    assert corpus.report.skipped == [] and corpus.report.items == 2
    assert corpus.report.details["files"]["restated.mid"]["remarks"] == ["pick-up of 2 beats before the first bar line"]
    assert corpus.data[0, 0, 0, 60 + 2 - 24] == 1, "the first phrase opens with the note on beat 2"


def test_grid_auto_counts_the_notes_of_a_metre_it_cannot_hold():
    """7/16 bars need 16ths: a triplet grid would lose the whole section, so the tally says so."""
    from studio.domains.music.grid import GridTally

    notes = np.array([[q * TPB // 4, (q + 1) * TPB // 4, 60] for q in range(0, 56, 2)], dtype=np.int64)
    tally = GridTally()
    tally.add(Song(TPB, 1, [], [(0, 7, 16)], [Part(0, 0, 0, "", notes)]))
    assert tally.losses()[6] == 1.0 and tally.losses()[4] == 0.0 and tally.choice() == 4


def test_a_string_quartet_s_lines_are_melody_chords_and_bass(tmp_path):
    lines_ = [(40, 76), (40, 69), (41, 62), (42, 48)]  # violins, viola, cello: one line each
    parts = [track([(Fraction(q), Fraction(1), pitch + q % 3) for q in range(16)], channel=c, program=program)
             for c, (program, pitch) in enumerate(lines_)]
    save(tmp_path / "quartet.mid", parts)
    corpus = imp(tmp_path)
    assert corpus.meta["roles"] == ["bass", "chords", "melody"]
    assert corpus.meta["programs"] == [42, 40, 40]
    bass, chords, melody = corpus.data[0].numpy()
    assert np.flatnonzero(bass.any(axis=0)).min() == 48 - 24 and np.flatnonzero(melody.any(axis=0)).min() == 76 - 24
    assert chords.sum(axis=1).max() == 2, "the inner voices share the chords track"


def test_a_last_bar_that_never_closes_is_padded(tmp_path):
    tune = bars_of(3, 4, 3, Fraction(0)) + [(Fraction(9), Fraction(1), 60)]  # the 4th bar stops after a beat
    save(tmp_path / "short.mid", [track(tune, metres=[(0, 3, 4)])])
    corpus = imp(tmp_path)
    assert corpus.report.items == 1 and corpus.report.skipped == []
    assert corpus.report.details["files"]["short.mid"]["remarks"] == ["last bar padded with 2 beats"]
    assert corpus.data[0, 0, 36:40, 60 - 24].sum() == 4 and not corpus.data[0, 0, 40:].any()


def test_the_command_line_import_takes_options_over_the_preset_s(tmp_path, capsys):
    from studio.cli import main

    save(tmp_path / "g.mid", [track(bars_of(6, 8, 4, Fraction(0)), metres=[(0, 6, 8)])])
    assert main(["import", "music", str(tmp_path), "--json", "--option", "steps_per_beat=12"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["details"]["grid"] == {"steps_per_beat": 12, "chosen": "given"}
    assert main(["import", "music", str(tmp_path), "--option", "key=D"]) == 2
    assert "key must be one of keep, normalise" in capsys.readouterr().err
