"""The key lock: decoding keeps pitched tracks to a key's scale, from the domain and from the command line."""
from __future__ import annotations

import mido
import numpy as np
import pytest
import torch

from studio.cli import main
from studio.domains.music.codec import read_info
from studio.domains.music.domain import DOMAIN
from studio.domains.music.key_lock import key_choices, parse_key
from studio.domains.music.roll import DRUMS

LOWEST = 36  # row 0 is C2
BLACK = {1, 3, 6, 8, 10}


def _meta(roles=(DRUMS, "bass", "melody")) -> dict:
    return {"steps_per_beat": 4, "lowest": LOWEST, "roles": list(roles), "bars": 1, "pitches": 24,
            "programs": [0] * len(roles)}


def _pitch_classes(roll: np.ndarray) -> set[int]:
    return {(LOWEST + int(r)) % 12 for r in np.nonzero(roll.any(axis=0))[0]}


@pytest.mark.parametrize("name,expected", [
    ("C", (0, "major")), ("Am", (9, "minor")), ("F#m", (6, "minor")), ("Bb", (10, "major")),
    ("Eb minor", (3, "minor")), ("C#", (1, "major")), ("DM", (2, "major")), ("none", None), (None, None),
])
def test_key_names_as_musicians_write_them(name, expected):
    assert parse_key(name) == expected


@pytest.mark.parametrize("name", ["H", "Cx", "C dorian", "13"])
def test_an_unknown_key_is_named_in_the_error(name):
    with pytest.raises(ValueError, match=f"unknown key '{name}'"):
        parse_key(name)


def test_every_offered_key_reads_back():
    choices = key_choices()
    assert len(choices) == 24 and ("A minor", "Am") in choices and ("C major", "C") in choices
    assert all(parse_key(value) is not None for _, value in choices)


def test_key_c_leaves_no_black_key_in_pitched_tracks_and_drums_untouched():
    everything = torch.full((2, 3, 16, 24), 0.8)  # every cell sounds without the lock
    free = DOMAIN.binarise(everything, {}, _meta())
    locked = DOMAIN.binarise(everything, {"key": "C"}, _meta())
    for t in (1, 2):
        assert _pitch_classes(free[0, t]) & BLACK and not _pitch_classes(locked[0, t]) & BLACK
        assert _pitch_classes(locked[0, t]) == {0, 2, 4, 5, 7, 9, 11}
    assert np.array_equal(locked[:, 0], free[:, 0]), "drums name instruments, not pitches"
    minor = DOMAIN.binarise(everything, {"key": "Am"}, _meta())
    assert _pitch_classes(minor[0, 2]) == {9, 11, 0, 2, 4, 5, 7, 8}, "A minor with its leading note G#"
    assert np.array_equal(DOMAIN.binarise(everything, {"key": "none"}, _meta()), free)


def test_the_lock_only_removes_notes_from_the_same_draws():
    generator = torch.Generator().manual_seed(3)
    output = torch.rand((4, 3, 16, 24), generator=generator) * 2 - 1
    options = {"sampling": "bernoulli", "seed": 5}
    free = DOMAIN.binarise(output, options, _meta())
    locked = DOMAIN.binarise(output, {**options, "key": "G"}, _meta())
    allowed = np.array([(LOWEST + r) % 12 != 5 and (LOWEST + r) % 12 not in BLACK - {6} for r in range(24)])
    expected = free.copy()
    expected[:, 1:, :, ~allowed] = 0
    assert np.array_equal(locked, expected), "G major: F becomes F#, the other draws stay as they were"


def test_the_lock_needs_the_corpus_and_a_real_key():
    with pytest.raises(ValueError, match="pitch range"):
        DOMAIN.binarise(torch.zeros(1, 1, 4, 24), {"key": "C"})
    with pytest.raises(ValueError, match="unknown key 'X'"):
        DOMAIN.binarise(torch.zeros(1, 3, 4, 24), {"key": "X"}, _meta())


def test_sample_and_interpolate_with_a_key_on_the_command_line(tmp_path, capsys):
    from studio.domains.music.demo import write_demo_folder

    data = write_demo_folder(tmp_path / "demo", count=2)
    run = tmp_path / "run"
    assert main(["train", "music", str(data), "--out", str(run), "--steps", "2", "--batch", "4"]) == 0
    out = tmp_path / "in-a.mid"
    assert main(["sample", str(run), "--count", "4", "--out", str(out), "--option", "key=Am",
                 "--option", "threshold=0.05"]) == 0
    assert read_info(out)["options"]["key"] == "Am"
    walk = tmp_path / "walk.mid"
    assert main(["interpolate", str(run), "--seeds", "1", "2", "--frames", "3", "--out", str(walk),
                 "--option", "key=Am", "--option", "threshold=0.05"]) == 0
    assert read_info(walk)["options"]["key"] == "Am"
    for path in (out, walk):
        pitched = {m.note % 12 for track in mido.MidiFile(str(path)).tracks for m in track
                   if m.type == "note_on" and m.velocity > 0 and m.channel != 9}
        assert pitched and pitched <= {9, 11, 0, 2, 4, 5, 7, 8}, "only A minor's notes outside the drum channel"
    capsys.readouterr()
    assert main(["sample", str(run), "--count", "1", "--out", str(tmp_path / "x"), "--option", "key=H"]) == 2
    assert "unknown key 'H'" in capsys.readouterr().err
