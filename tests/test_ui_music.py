"""The music tab's own controls, driven as a musician would, on a model trained for two steps.

The model is untrained, so its notes are what its probabilities say: that is
enough to see the threshold, the instruments, the tempo and the exports at
work.  Headless machines have no sound card: Play must say so, not crash.
"""
from __future__ import annotations

import json
import wave
from pathlib import Path

import mido
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from studio.domains.music.codec import read_info
from studio.domains.music.roll import Clip
from studio.domains.music.synth import read_wav_info
from studio.ui.audio_player import NO_DEVICE, AudioPlayer, encode, load_backend
from studio.domains.music.qt.controls import SAMPLE_RATE, MusicControls
from ui_helpers import WAIT_MS, button, close_window, only_media, open_with_controls, save_to
from studio.domains import get_domain



def _train(data: Path, run: Path, preset: str) -> Path:
    from studio.core.session import TrainingSession

    overrides = {"batch_size": 4, "sample_every": 1, "metrics_every": 100, "checkpoint_every": 100}
    session = TrainingSession.create(run, get_domain("music"), data, preset=preset, steps=2, seed=0, device="cpu",
                                     overrides=overrides)
    assert session.run() == "finished"
    return run


@pytest.fixture(scope="module")
def music_run(tmp_path_factory):
    """Two demo songs (8 four-bar phrases) and a band run trained two steps on them, sampled at every step."""
    from studio.domains.music.demo import write_demo_folder

    root = tmp_path_factory.mktemp("music")
    data = write_demo_folder(root / "demo", count=2)
    return data, _train(data, root / "run", "cpu-small")


def _window(qtbot, tmp_path, monkeypatch, data: Path):
    """The window with only the music tab, its folder opened before the demo could be offered."""
    only_media(monkeypatch, tmp_path, "music")
    return open_with_controls(qtbot, "music", MusicControls, data)


def _open_model(qtbot, tab, run: Path) -> None:
    assert tab.training.open_run(run)
    qtbot.waitUntil(lambda: tab.model is not None and tab.explorer.current_artifact() is not None, timeout=WAIT_MS)
    qtbot.waitUntil(tab.explorer.render_is_current, timeout=WAIT_MS)


def _rendered(qtbot, explorer) -> Clip:
    qtbot.waitUntil(explorer.render_is_current, timeout=WAIT_MS)
    return explorer.current_artifact()


def _sound_available() -> bool:
    media, _ = load_backend()
    return media is not None and not media.QMediaDevices.defaultAudioOutput().isNull()


def test_threshold_sampling_and_instrument_rows(qtbot, tmp_path, monkeypatch, themed, music_run, screenshot_dir):
    data, run = music_run
    window, tab, controls = _window(qtbot, tmp_path, monkeypatch, data)
    sound, bar, explorer = controls.sound, controls.bar, tab.explorer

    # before any model, the tracks come from the imported corpus; drums have no instrument to choose
    qtbot.waitUntil(lambda: sound.roles() == ["drums", "bass", "chords", "melody"], timeout=WAIT_MS)
    meta = tab.dataset.corpus().meta
    assert set(sound.program_combos) == {"bass", "chords", "melody"}
    assert sound.programs() == meta["programs"]
    assert sound.program_combos["bass"].currentText() == "34 Fingered Bass"
    assert sound.tempo_spin.value() == round(meta["tempo"])
    assert not bar.play_button.isEnabled() and not bar.wav_button.isEnabled()

    _open_model(qtbot, tab, run)
    assert bar.play_button.isEnabled() and bar.wav_button.isEnabled()
    bar.threshold_slider.setValue(bar.threshold_slider.minimum())
    loose = _rendered(qtbot, explorer)
    assert explorer.options()["threshold"] == pytest.approx(0.05) and bar.threshold_label.text() == "0.05"
    bar.threshold_slider.setValue(30)
    strict = _rendered(qtbot, explorer)
    assert explorer.options()["threshold"] == pytest.approx(0.30)
    assert loose.note_count() > strict.note_count(), "a higher threshold keeps fewer notes"
    assert (strict.roll.any(axis=-1) <= loose.roll.any(axis=-1)).all(), \
        "every step of a track sounding at 0.30 sounded at 0.05 (the fitted repeat guard may move pitches)"

    bar.sample_check.setChecked(True)
    assert not bar.threshold_slider.isEnabled() and bar.reroll_button.isEnabled()
    first = _rendered(qtbot, explorer)
    assert explorer.options()["sampling"] == "bernoulli"
    bar.reroll_button.click()
    second = _rendered(qtbot, explorer)
    assert explorer.options()["seed"] == 1
    assert not np.array_equal(first.roll, second.roll), "another sampling seed draws other notes"
    bar.sample_check.setChecked(False)
    assert bar.threshold_slider.isEnabled() and explorer.options()["sampling"] == "threshold"
    bar.threshold_slider.setValue(12)
    _rendered(qtbot, explorer)
    qtbot.wait(100)
    window.grab().save(str(screenshot_dir / "ui_music_tab.png"))
    explorer.grab().save(str(screenshot_dir / "ui_music_explorer.png"))
    sound.grab().save(str(screenshot_dir / "ui_music_sound_panel.png"))
    close_window(window)


def test_the_key_box_locks_the_rendered_phrase_to_a_key(qtbot, tmp_path, monkeypatch, themed, music_run):
    data, run = music_run
    window, tab, controls = _window(qtbot, tmp_path, monkeypatch, data)
    explorer, combo = tab.explorer, controls.bar.key_combo
    _open_model(qtbot, tab, run)
    controls.bar.threshold_slider.setValue(5)  # the untrained model then plays nearly every pitch

    def pitch_classes(clip: Clip) -> set[int]:
        return {(clip.lowest + int(r)) % 12 for t, role in enumerate(clip.roles) if role != "drums"
                for r in np.nonzero(clip.roll[t].any(axis=0))[0]}

    e_flat, c_minor = {3, 5, 7, 8, 10, 0, 2}, {0, 2, 3, 5, 7, 8, 10, 11}
    free = _rendered(qtbot, explorer)
    assert combo.currentText() == "Any key" and explorer.options()["key"] is None
    assert pitch_classes(free) - e_flat and pitch_classes(free) - c_minor, "the demo's key is neither"
    combo.setCurrentIndex(combo.findData("Eb"))
    assert combo.currentText() == "Eb major" and explorer.options()["key"] == "Eb"
    locked = _rendered(qtbot, explorer)
    assert locked is not free and pitch_classes(locked) and pitch_classes(locked) <= e_flat
    drums = free.roles.index("drums")
    assert np.array_equal(locked.roll[drums], free.roll[drums]), "the drums play as before"
    combo.setCurrentIndex(combo.findData("Cm"))
    assert combo.currentText() == "C minor" and explorer.options()["key"] == "Cm"
    assert pitch_classes(_rendered(qtbot, explorer)) <= c_minor
    combo.setCurrentIndex(0)
    assert explorer.options()["key"] is None
    assert np.array_equal(_rendered(qtbot, explorer).roll, free.roll)
    close_window(window)


def test_instruments_and_tempo_reach_the_exported_midi(qtbot, tmp_path, monkeypatch, themed, music_run):
    data, run = music_run
    window, tab, controls = _window(qtbot, tmp_path, monkeypatch, data)
    explorer, sound = tab.explorer, controls.sound
    _open_model(qtbot, tab, run)
    explorer.set_corner_seed(0, 7)
    explorer.set_position(0.0, 0.0)  # at the top-left corner: the export is that seed's phrase
    controls.bar.threshold_slider.setValue(10)

    melody = sound.program_combos["melody"]
    melody.setCurrentIndex(melody.findData(73))
    sound.tempo_spin.setValue(90)
    clip = _rendered(qtbot, explorer)
    assert clip.programs[clip.roles.index("melody")] == 73 and clip.tempo == 90
    assert explorer.options()["programs"] == sound.programs()

    target = tmp_path / "exports" / "phrase.mid"
    target.parent.mkdir()
    offered = save_to(monkeypatch, target)
    button(explorer, "Export current…").click()
    assert Path(offered[-1]).name == "music-seed7.mid"
    midi = mido.MidiFile(str(target))
    programs = {track.name: [m.program for m in track if m.type == "program_change"] for track in midi.tracks}
    assert programs["melody"] == [73] and programs["bass"] == [tab.model.meta["programs"][1]]
    tempos = [m.tempo for track in midi.tracks for m in track if m.type == "set_tempo"]
    assert tempos == [mido.bpm2tempo(90)]
    info = read_info(target)
    assert info["seed"] == 7 and info["options"]["programs"][3] == 73 and info["options"]["threshold"] == 0.1

    sound.reset_button.click()
    clip = _rendered(qtbot, explorer)
    assert clip.programs == tab.model.meta["programs"] and clip.tempo == pytest.approx(tab.model.meta["tempo"])
    assert melody.currentData() == tab.model.meta["programs"][3]
    assert explorer.options()["programs"] is None

    # instruments chosen for the band do not fit a piano model: its tracks replace them and it renders
    melody.setCurrentIndex(melody.findData(80))
    _rendered(qtbot, explorer)
    piano = _train(data, tmp_path / "piano-run", "cpu-piano")
    assert tab.training.open_run(piano)
    qtbot.waitUntil(lambda: sound.roles() == ["piano"], timeout=WAIT_MS)
    clip = _rendered(qtbot, explorer)
    assert clip.roles == ["piano"] and tab.model.meta["roles"] == ["piano"]
    assert explorer.options()["programs"] is None and set(sound.program_combos) == {"piano"}
    close_window(window)


def test_wav_export_and_play_without_a_sound_card(qtbot, tmp_path, monkeypatch, themed, music_run,
                                                 screenshot_dir):
    data, run = music_run
    window, tab, controls = _window(qtbot, tmp_path, monkeypatch, data)
    explorer, bar = tab.explorer, controls.bar
    _open_model(qtbot, tab, run)
    explorer.set_corner_seed(0, 11)
    explorer.set_position(0.0, 0.0)
    bar.threshold_slider.setValue(10)
    controls.sound.tempo_spin.setValue(100)
    clip = _rendered(qtbot, explorer)
    assert clip.note_count() > 0

    target = tmp_path / "exports" / "phrase"
    offered = save_to(monkeypatch, target)
    bar.wav_button.click()
    wav = target.with_suffix(".wav")
    qtbot.waitUntil(lambda: tab.last_export == wav, timeout=WAIT_MS)
    assert Path(offered[-1]).name == "music-seed11.wav"
    with wave.open(str(wav), "rb") as handle:
        assert handle.getframerate() == SAMPLE_RATE and handle.getnchannels() == 1
        seconds = handle.getnframes() / handle.getframerate()
        samples = np.frombuffer(handle.readframes(handle.getnframes()), "<i2")
    assert seconds == pytest.approx(clip.seconds + 0.5, abs=0.01) and clip.seconds == pytest.approx(16 * 0.6)
    assert np.abs(samples).max() > 10_000, "the phrase is audible"
    assert wav.stat().st_size - 8 == int.from_bytes(wav.read_bytes()[4:8], "little"), "RIFF size counts the comment"
    embedded, beside = read_wav_info(wav), json.loads(wav.with_name("phrase.wav.json").read_text())
    assert embedded == beside
    assert embedded["seed"] == 11 and embedded["options"]["tempo"] == 100 and len(embedded["latent"]) == 64
    assert embedded["step"] == tab.model.step and embedded["sample_rate"] == SAMPLE_RATE
    blocked = wav.with_name("phrase.wav.json") / "inside-a-file.wav"  # its folder is a file: cannot be written
    save_to(monkeypatch, blocked)
    bar.wav_button.click()
    qtbot.waitUntil(lambda: tab.last_error is not None, timeout=WAIT_MS)
    assert str(blocked) in tab.last_error and tab.last_export == wav

    # Play: either it plays, or (headless, no sound card) it says so in the status bar and the bar
    if _sound_available():
        with qtbot.waitSignal(controls.player.playingChanged, timeout=WAIT_MS, check_params_cb=bool):
            bar.play_button.click()
        bar.stop_button.click()
        assert not controls.player.is_playing()
    else:
        with qtbot.waitSignal(tab.statusMessage, timeout=WAIT_MS,
                              check_params_cb=lambda text, ms: text.startswith(NO_DEVICE)):
            bar.play_button.click()
        assert bar.status_label.toolTip().startswith(NO_DEVICE)
        assert window.statusBar().currentMessage().startswith(NO_DEVICE)
        assert not controls.player.is_playing() and not bar.stop_button.isEnabled()
        bar.grab().save(str(screenshot_dir / "ui_music_no_sound_card.png"))

        # letting go of the pad and clicking a gallery sample try to play too, and say the same
        pad, rect = explorer.pad, explorer.pad.pad_rect()
        with qtbot.waitSignal(tab.statusMessage, timeout=WAIT_MS,
                              check_params_cb=lambda text, ms: text.startswith(NO_DEVICE)):
            qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(int(rect.center().x()), int(rect.top() + 5)))
            qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(int(rect.center().x()), int(rect.top() + 5)))

    # a gallery sample plays with the chosen tempo; the player gets the synthesised phrase
    played: list[tuple[np.ndarray, int]] = []
    monkeypatch.setattr(controls.player, "play", lambda audio, rate: played.append((audio, rate)) or True)
    monkeypatch.setattr(controls.player, "known_unavailable", lambda: "")
    qtbot.waitUntil(lambda: tab.gallery.snapshot_count() > 0, timeout=WAIT_MS)
    tab.gallery.select_seed(3)
    qtbot.waitUntil(lambda: len(played) == 1, timeout=WAIT_MS)
    audio, rate = played[0]
    assert rate == SAMPLE_RATE and audio.dtype == np.float32
    assert len(audio) / rate == pytest.approx(16 * 0.6 + 0.5, abs=0.01), "4 bars at the chosen 100 BPM"
    assert controls.gallery_play_button.isEnabled()
    close_window(window)


def test_the_player_converts_for_the_device_and_refuses_politely(qtbot):
    ramp = np.linspace(-1.0, 1.0, 100, dtype=np.float32)
    stereo = np.frombuffer(encode(ramp, 100, 100, 2, "Int16"), "<i2").reshape(-1, 2)
    assert stereo.shape == (100, 2) and (stereo[:, 0] == stereo[:, 1]).all()
    assert stereo[0, 0] == -32767 and stereo[-1, 0] == 32767
    doubled = np.frombuffer(encode(ramp, 100, 200, 1, "Float"), "<f4")
    assert len(doubled) == 200 and np.all(np.diff(doubled) >= 0) and doubled[0] == -1.0
    assert set(np.frombuffer(encode(np.array([-1.0, 0.0, 1.0]), 8000, 8000, 1, "UInt8"), np.uint8)) == {1, 128, 255}
    with pytest.raises(ValueError, match="sample format"):
        encode(ramp, 100, 100, 1, "Unknown")

    player = AudioPlayer()
    if _sound_available():
        pytest.skip("this machine has a sound card: the refusal cannot be seen here")
    messages: list[str] = []
    player.unavailable.connect(messages.append)
    assert player.play(ramp, 22050) is False
    assert messages and messages[0].startswith(NO_DEVICE) and not player.is_playing()
    player.stop()  # stopping nothing is fine
