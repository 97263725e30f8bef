"""Dance to music reads its beats through core's one MIDI reader: tempo changes, the bar, busy beats, bad files."""
from __future__ import annotations

import mido
import numpy as np
import pytest

from studio.core.files import checked_size
from studio.core.music_drive import read_midi
from studio.domains.dance.beats import BeatProblem, read_beats


def song(path, first_bpm: float = 120.0, second_bpm: float = 60.0):
    """3/4 time: four beats at ``first_bpm`` (two notes on the first), then four at ``second_bpm``."""
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("time_signature", numerator=3, denominator=4))
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(first_bpm)))
    for beat in range(8):
        if beat == 4:
            track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(second_bpm)))
        notes = (60, 64) if beat == 0 else (60,)
        for note in notes:
            track.append(mido.Message("note_on", note=note, velocity=90, time=0))
        for i, note in enumerate(notes):
            track.append(mido.Message("note_off", note=note, velocity=0, time=480 if i == 0 else 0))
    midi.save(str(path))
    return path


def test_beats_follow_the_tempo_change_and_the_bar(tmp_path):
    track = read_beats(song(tmp_path / "song.mid"))
    assert track.beats_per_bar == 3
    assert np.diff(track.times)[:4] == pytest.approx([0.5] * 4)  # 120 bpm, then 60
    assert np.diff(track.times)[4:8] == pytest.approx([1.0] * 4)
    assert track.accents[0] == pytest.approx(2 * track.accents[1])  # the chord's beat is twice as busy
    assert len(track.notes) == 9 and track.notes[-1].start == pytest.approx(5.0) and track.duration == pytest.approx(6.0)
    assert track.times == pytest.approx(read_midi(tmp_path / "song.mid").beats)  # the same beats painting uses


@pytest.mark.parametrize("content, reason", [(b"", "empty"), (b"\x89PNG\r\n\x1a\n not music", "cannot be read")])
def test_a_file_that_is_not_music_says_why(tmp_path, content, reason):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(content)
    with pytest.raises(BeatProblem, match=reason) as err:
        read_beats(bad)
    assert str(bad) in str(err.value)


def test_checked_size_refuses_empty_large_and_missing_files(tmp_path):
    file = tmp_path / "take.bvh"
    file.write_bytes(b"x" * 2048)
    assert checked_size(file, 4096) == 2048
    with pytest.raises(ValueError, match="too large: 0 MB, the limit is 0 MB"):
        checked_size(file, 1024)
    with pytest.raises(KeyError, match="cannot be read"):
        checked_size(tmp_path / "missing.bvh", 4096, KeyError)
    file.write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        checked_size(file, 4096)
