"""Pictures in time: animated GIF, animated WebP or H.264 MP4, chosen by the output file's extension.

Any domain whose walks are pictures writes them here, as does the training
timelapse. Every writer is deterministic for the same frames and options
(MP4: one encoder thread and FFmpeg's bit-exact flags), so an export can be
made again byte for byte. MP4 needs PyAV (``pip install gan-studio[video]``),
imported only when an MP4 is asked for.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from PIL import Image

from studio.core.files import write_atomically

ANIMATION_SUFFIXES = (".gif", ".webp", ".mp4")
INFO_KEY = "gan-studio"
"""PNG text key, and GIF comment / WebP XMP / MP4 comment prefix, holding the JSON of seed, latent, run, step..."""
DEFAULT_FPS = 12.5  # 80 ms a frame: what walks played at before frame rates could be chosen
MAX_FPS = 60.0
MIN_FPS = 1.0


@dataclass(frozen=True)
class Soundtrack:
    """Mono float samples in [-1, 1] at ``rate`` Hz, starting with the first frame (an MP4's sound)."""

    samples: np.ndarray
    rate: int


class VideoUnavailable(RuntimeError):
    """MP4 was asked for but PyAV (which brings FFmpeg) cannot be imported."""


def fitted(frames: Sequence[Any], size: int | None, even: bool = False) -> list[Image.Image]:
    """The frames as RGB pictures whose longest side is ``size`` px (unchanged when None), sides even for H.264."""
    pils = [_as_rgb(frame) for frame in frames]
    if not pils:
        raise ValueError("an animation needs at least one frame")
    w, h = pils[0].size
    if any(p.size != (w, h) for p in pils):
        raise ValueError("all frames of an animation must have the same size")
    target = (w, h)
    if size:
        scale = int(size) / max(w, h)
        target = (max(1, round(w * scale)), max(1, round(h * scale)))
    if even:
        target = (max(2, target[0] + target[0] % 2), max(2, target[1] + target[1] % 2))
    if target != (w, h):
        pils = [p.resize(target, Image.Resampling.LANCZOS) for p in pils]
    return pils


def write_animation(frames: Sequence[Any], path: str | Path, comment: str = "", fps: float = DEFAULT_FPS,
                    size: int | None = None, audio: Soundtrack | None = None) -> Path:
    """Writes the frames (H x W x 3 uint8 arrays or PIL pictures) as the animation ``path``'s extension names.

    ``comment`` (the export's info) goes in the GIF comment, the WebP's XMP
    packet or the MP4's comment tag; ``size`` is the longest side in pixels.
    ``audio`` becomes an MP4's AAC sound track (GIF and WebP have none, so it is refused for them).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in ANIMATION_SUFFIXES:
        raise ValueError(f"{path}: an animation is written as {', '.join(ANIMATION_SUFFIXES)}, not {suffix or 'no extension'}")
    fps = float(fps)
    if not MIN_FPS <= fps <= MAX_FPS:
        raise ValueError(f"a frame rate of {fps:g} is outside {MIN_FPS:g}–{MAX_FPS:g} frames a second")
    if suffix == ".mp4":
        return _write_mp4(fitted(frames, size, even=True), path, comment, fps, audio)
    if audio is not None:
        raise ValueError(f"{path}: only an MP4 carries sound; choose a .mp4 file")
    pils = fitted(frames, size)
    frame_ms = max(20, round(1000 / fps))  # GIF players treat shorter frames as 100 ms
    if suffix == ".gif":
        return _write_gif(pils, path, comment, frame_ms)
    return write_atomically(path, lambda tmp: pils[0].save(
        tmp, format="WEBP", save_all=True, append_images=pils[1:], duration=frame_ms, loop=0, quality=90, method=4,
        xmp=comment.encode("utf-8")))


def _write_gif(frames: list[Image.Image], path: Path, comment: str, frame_ms: int) -> Path:
    """One shared palette for the whole walk (dithered), so colours do not flicker from frame to frame."""
    w, h = frames[0].size
    sample = frames[::max(1, len(frames) // 16)]  # a sample of frames is enough to cover the walk's colours
    mosaic = Image.new("RGB", (w, h * len(sample)))
    for i, frame in enumerate(sample):
        mosaic.paste(frame, (0, i * h))
    palette = mosaic.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    indexed = [f.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG) for f in frames]
    return write_atomically(path, lambda tmp: indexed[0].save(
        tmp, format="GIF", save_all=True, append_images=indexed[1:], duration=frame_ms, loop=0, disposal=1,
        optimize=False, comment=comment.encode("utf-8")))


def load_av() -> Any:
    """PyAV, or :class:`VideoUnavailable` with the one line that says how to get it."""
    try:
        import av
    except ImportError as exc:
        raise VideoUnavailable("MP4 export needs PyAV, which cannot be imported "
                               f"({exc}); install it with: pip install 'gan-studio[video]'") from exc
    return av


def _write_mp4(frames: list[Image.Image], path: Path, comment: str, fps: float, audio: Soundtrack | None) -> Path:
    av = load_av()
    rate = Fraction(fps).limit_denominator(1000)

    def write(tmp: Path) -> None:
        with av.open(str(tmp), mode="w", format="mp4", options={"fflags": "+bitexact"}) as container:
            stream = container.add_stream("libx264", rate=rate)
            stream.width, stream.height = frames[0].size
            stream.pix_fmt = "yuv420p"
            stream.codec_context.thread_count = 1  # several threads may split the work differently each time
            stream.options = {"crf": "18", "preset": "medium", "threads": "1", "flags": "+bitexact"}
            sound = _add_audio(av, container, audio) if audio is not None else None
            if comment:
                container.metadata["comment"] = comment
            for frame in frames:
                for packet in stream.encode(av.VideoFrame.from_ndarray(np.asarray(frame), format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
            if sound is not None:
                _encode_audio(av, container, sound, audio)

    return write_atomically(path, write)


AUDIO_CHUNK = 1024  # samples an AAC frame holds


def _add_audio(av: Any, container: Any, audio: Soundtrack) -> Any:
    stream = container.add_stream("aac", rate=int(audio.rate))
    stream.layout = "mono"
    stream.codec_context.thread_count = 1
    stream.options = {"b": "128k", "flags": "+bitexact"}
    return stream


def _encode_audio(av: Any, container: Any, stream: Any, audio: Soundtrack) -> None:
    """The samples in AAC-sized frames with their own time stamps, so the sound starts with the first picture."""
    samples = np.clip(np.asarray(audio.samples, np.float32).reshape(-1), -1.0, 1.0)
    for start in range(0, len(samples), AUDIO_CHUNK):
        chunk = samples[start:start + AUDIO_CHUNK]
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk[None]), format="fltp", layout="mono")
        frame.sample_rate = int(audio.rate)
        frame.pts = start
        frame.time_base = Fraction(1, int(audio.rate))
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def _as_rgb(frame: Any) -> Image.Image:
    if isinstance(frame, Image.Image):
        return frame.convert("RGB")
    arr = np.asarray(frame)
    if arr.dtype != np.uint8:
        raise ValueError(f"expected uint8 frames, got {arr.dtype}")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] != 3):
        raise ValueError(f"expected H x W x 3 frames, got shape {arr.shape}")
    return Image.fromarray(np.ascontiguousarray(arr), "L" if arr.ndim == 2 else "RGB").convert("RGB")
