"""Plays a mono float buffer through Qt Multimedia, or says plainly why it cannot.

Qt Multimedia is imported on the first :meth:`AudioPlayer.play`, not with
the window: it loads FFmpeg and the system's sound library (libpulse on
Linux), which a machine may lack, and a headless CI machine has no output
device either.  In both cases ``play`` returns False and emits
``unavailable`` with a message ("No audio output device…") for the status
bar; it never raises.

The buffer is converted once to whatever format the device takes (the
clip's own rate in float or 16-bit where supported, else the device's
preferred rate, channel count and sample type) and handed to a
``QAudioSink`` through a ``QBuffer``; the sink pulls from it on its own, so
playback costs the GUI thread nothing.
"""
from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, Signal

NO_DEVICE = "No audio output device"

_backend: tuple[ModuleType | None, str] | None = None


def load_backend() -> tuple[ModuleType | None, str]:
    """``(QtMultimedia, "")``, or ``(None, reason)`` when it cannot be loaded; imported once, then cached.

    Safe to call from a worker thread, so the first import (a tenth of a
    second or more) can happen while the audio is rendered.
    """
    global _backend
    if _backend is None:
        try:
            from PySide6 import QtMultimedia
        except ImportError as exc:  # a missing system sound library (libpulse.so.0...) shows up here
            _backend = (None, f"{NO_DEVICE}: Qt Multimedia cannot load ({exc})")
        else:
            _backend = (QtMultimedia, "")
    return _backend


def encode(audio: np.ndarray, sample_rate: int, target_rate: int, channels: int, sample_format: str) -> bytes:
    """Mono float audio in [-1, 1] -> interleaved frames at ``target_rate`` for a device.

    ``sample_format`` is a ``QAudioFormat.SampleFormat`` name: "Float",
    "Int16", "Int32" or "UInt8".  A different rate is reached by linear
    interpolation (good enough for a preview; exports keep the true rate).
    """
    mono = np.clip(np.asarray(audio, np.float64).reshape(-1), -1.0, 1.0)
    if target_rate != sample_rate and len(mono):
        count = max(1, int(round(len(mono) * target_rate / sample_rate)))
        mono = np.interp(np.arange(count) * (sample_rate / target_rate), np.arange(len(mono)), mono)
    frames = np.repeat(mono[:, None], max(1, int(channels)), axis=1)
    if sample_format == "Float":
        return frames.astype("<f4").tobytes()
    if sample_format == "Int16":
        return np.round(frames * 32767).astype("<i2").tobytes()
    if sample_format == "Int32":
        return np.round(frames * 2147483647).astype("<i4").tobytes()
    if sample_format == "UInt8":
        return np.round(frames * 127 + 128).astype(np.uint8).tobytes()
    raise ValueError(f"unsupported sample format {sample_format!r}")


class AudioPlayer(QObject):
    """One sound at a time: :meth:`play` replaces what is playing, :meth:`stop` ends it.

    ``playingChanged(bool)`` follows the output (True from the start, False
    when the buffer has drained, on stop or on a device error);
    ``unavailable(str)`` says why a ``play`` was refused or broke off.
    """

    playingChanged = Signal(bool)
    unavailable = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sink: Any = None
        self._buffer: QBuffer | None = None
        self._playing = False

    def is_playing(self) -> bool:
        return self._playing

    def known_unavailable(self) -> str:
        """Why nothing can ever play in this process ("" while that is not known): skips useless renders."""
        if _backend is None:
            return ""
        return _backend[1]

    def play(self, audio: np.ndarray, sample_rate: int) -> bool:
        """Starts playing ``audio`` (mono float32 at ``sample_rate``); False, with ``unavailable``, if it cannot."""
        self.stop()
        media, reason = load_backend()
        device = media.QMediaDevices.defaultAudioOutput() if media is not None else None
        if device is None or device.isNull():
            self.unavailable.emit(reason or NO_DEVICE)
            return False
        fmt = self._format_for(media, device, int(sample_rate))
        data = encode(audio, int(sample_rate), fmt.sampleRate(), fmt.channelCount(), fmt.sampleFormat().name)
        self._buffer = QBuffer(self)
        self._buffer.setData(QByteArray(data))
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self._sink = media.QAudioSink(device, fmt, self)
        # a slot without parameters: PySide6 6.11 cannot hand the QAudio::State argument to Python
        self._sink.stateChanged.connect(self._on_state_changed)
        self._sink.start(self._buffer)
        if self._sink.error().name != "NoError":
            message = f"{NO_DEVICE}: {device.description()} cannot play ({self._sink.error().name})"
            self.stop()
            self.unavailable.emit(message)
            return False
        self._set_playing(True)
        return True

    def stop(self) -> None:
        sink, buffer = self._sink, self._buffer
        self._sink = self._buffer = None
        if sink is not None:
            sink.stateChanged.disconnect()
            sink.stop()
            sink.deleteLater()
        if buffer is not None:
            buffer.close()
            buffer.deleteLater()
        self._set_playing(False)

    @staticmethod
    def _format_for(media: ModuleType, device: Any, sample_rate: int) -> Any:
        """The clip's rate, mono, in float or 16-bit if the device takes it; else the device's own format."""
        fmt = media.QAudioFormat()
        fmt.setSampleRate(sample_rate)
        fmt.setChannelCount(1)
        for sample_format in (media.QAudioFormat.SampleFormat.Float, media.QAudioFormat.SampleFormat.Int16):
            fmt.setSampleFormat(sample_format)
            if device.isFormatSupported(fmt):
                return fmt
        return device.preferredFormat()

    def _on_state_changed(self) -> None:
        if self._sink is None:
            return
        state = self._sink.state()
        if state.name == "IdleState":  # the whole buffer has been played
            self.stop()
        elif state.name == "StoppedState" and self._sink.error().name != "NoError":
            message = f"Playback stopped: {self._sink.error().name}"
            self.stop()
            self.unavailable.emit(message)

    def _set_playing(self, playing: bool) -> None:
        if playing != self._playing:
            self._playing = playing
            self.playingChanged.emit(playing)
