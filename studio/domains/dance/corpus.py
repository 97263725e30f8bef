"""Turns a folder of motion (BVH, pose-keypoint JSON) into one windows x channels x frames tensor, and says what
it left out.

The shared import routine (core/folder_import.py) walks, caches and reports;
this module reads.  Each file is read, resampled to the options' frame rate
and cut into windows (features.py) as soon as it is read, so memory holds
windows, not takes.  OpenPose's per-frame files are gathered and become one
clip per folder and name when all are read (keypoints.py says what is
derived from keypoints); such a clip's report line names its first file.

A folder trains on one skeleton: the skeleton (joint names and tree) most
clips share.  Clips of another skeleton are reported and left out rather
than retargeted, because retargeting between unknown skeletons guesses, and
a wrong guess teaches the model broken motion without a word.  Performers
of different sizes on the same skeleton are fine: root motion is measured in
each file's own skeleton heights.

The windows are stored as float16 in feature units (rotations in 6-D lie in
[-1, 1]; float16 keeps them to about 0.03 degrees); the meta holds the rig
(skeleton + canonical frame) and rate that turn a window back into motion.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from studio.core.domain import CancelFn, Corpus, ImportReport, ProgressFn
from studio.core.folder_import import FileProblem, FolderRecipe, Listing, Reading, import_with
from studio.domains.dance.bvh import read_bvh
from studio.domains.dance.features import FeatureOptions, Rig, canonical_frame, clip_windows, rig_for
from studio.domains.dance.keypoints import clip_from_points, openpose_frame, openpose_points, read_keypoints
from studio.domains.dance.skeleton import Motion

if TYPE_CHECKING:
    import torch

DOMAIN = "dance"
IMPORTER_VERSION = 4
"""Part of the cache key: bump it when the windows an import produces change."""
MOTION_SUFFIXES = frozenset({".bvh", ".json"})
MAX_CORPUS_BYTES = 1 << 30
"""The corpus tensor stays under this; later files are reported as left out."""


def read_motion(path: Path) -> Motion:
    """One BVH or keypoint-clip file as a motion; raises :class:`BvhError` or :class:`KeypointError` (both
    :class:`FileProblem`) with the reason when it cannot."""
    return read_keypoints(path) if path.suffix.lower() == ".json" else read_bvh(path)


@dataclass
class _Frame:
    """One OpenPose frame file's points, waiting for the rest of its clip."""

    clip: tuple[Path, str]
    number: int
    points: np.ndarray | None


@dataclass
class _Clip:
    """A clip's windows (float16) and its report line."""

    signature: tuple
    info: dict[str, Any]
    windows: np.ndarray
    paths: list[Path]


def _clip_size(parts: list) -> str:
    return f"an OpenPose clip of {len(parts)} frame{'' if len(parts) == 1 else 's'}"


@dataclass
class _Importer:
    """One import: windows by skeleton as clips come, in file order, within the caps."""

    options: FeatureOptions
    max_windows: int | None
    rigs: dict[tuple, Rig] = field(default_factory=dict)  # each skeleton's rig, from its first clip
    taken: int = 0
    stored: int = 0

    def full(self) -> str | None:
        if (self.max_windows is not None and self.taken >= self.max_windows) or self.stored >= MAX_CORPUS_BYTES:
            return f"left out: the corpus is full ({self.taken} windows)"
        return None

    def clip(self, paths: list[Path], motion: Motion) -> _Clip:
        """The motion's windows on its skeleton's rig (FileProblem when it is shorter than one window)."""
        signature = motion.skeleton.signature()
        rig = self.rigs.get(signature)
        canon = rig.canon if rig is not None else canonical_frame(motion)
        rig = rig_for(motion.skeleton, canon)
        windows = clip_windows(motion, rig, self.options)
        seconds = round(motion.frames / motion.fps, 2)
        if not len(windows):
            raise FileProblem(f"{seconds} s long, shorter than one {self.options.window_seconds:g} s window")
        room = (MAX_CORPUS_BYTES - self.stored) // (windows[0].size * 2)  # float16 bytes
        windows = windows[: room if self.max_windows is None else min(room, self.max_windows - self.taken)]
        self.rigs.setdefault(signature, rig)
        self.taken += len(windows)
        self.stored += windows.size * 2
        info = {"frames": motion.frames, "fps": round(motion.fps, 3), "seconds": seconds,
                "joints": motion.skeleton.joints, "windows": len(windows)}
        return _Clip(signature, info, windows.astype(np.float16), paths)

    def read(self, path: Path, reading: Reading) -> _Clip | _Frame:
        frame = openpose_frame(path) if path.suffix.lower() == ".json" else None
        if frame is not None:
            return _Frame(frame[0], frame[1], openpose_points(path))
        item = self.clip([path], read_motion(path))
        if (reason := self.full()) is not None:
            reading.stop(reason)
        return item

    def openpose_clips(self, frames: list[_Frame], paths: list[Path], report: ImportReport) -> list[_Clip]:
        """The gathered OpenPose frames as clips (each clip's problem reported on its first file)."""
        by_clip: dict[tuple[Path, str], list[tuple[int, Path, _Frame]]] = defaultdict(list)
        for path, frame in zip(paths, frames):
            by_clip[frame.clip].append((frame.number, path, frame))
        clips = []
        for parts in by_clip.values():
            parts.sort(key=lambda part: part[0])
            first = parts[0][1]
            if (reason := self.full()) is not None:
                report.skip(first, f"{reason} ({_clip_size(parts)})")
                continue
            try:
                clips.append(self.clip([p for _, p, _ in parts], clip_from_points([f.points for _, _, f in parts])))
            except FileProblem as err:
                report.skip(first, f"{err} ({_clip_size(parts)})")
        return clips

    def assemble(self, items: list[tuple[Path, Any]], report: ImportReport,
                 listing: Listing) -> tuple["torch.Tensor", dict[str, Any]]:
        """Windows of the folder's skeleton, in file order, with the meta that turns them back into motion."""
        import torch

        frames = [(path, item) for path, item in items if isinstance(item, _Frame)]
        clips = [item for _, item in items if isinstance(item, _Clip)]
        clips += self.openpose_clips([f for _, f in frames], [p for p, _ in frames], report)
        counts = Counter(c.signature for c in clips)
        chosen = max(counts, key=lambda sig: (counts[sig], -list(counts).index(sig))) if counts else None
        rig = self.rigs.get(chosen) if chosen is not None else None
        kept = []
        for c in clips:
            if c.signature == chosen:
                kept.append(c)
                report.imported += [str(p) for p in c.paths]
                continue
            names = [n for n, _ in c.signature]
            report.skip(c.paths[0], f"left out: another skeleton ({len(names)} joints, root {names[0]!r}) than the "
                                    f"folder's ({len(rig.skeleton.names)} joints, root {rig.skeleton.names[0]!r}, "
                                    f"{counts[chosen]} clips)")
        channels = rig.layout.channels if rig is not None else 0
        frames_per_window = self.options.window_frames
        data = np.concatenate([c.windows for c in kept]) if kept else \
            np.zeros((0, channels, frames_per_window), np.float16)
        per_file = {str(c.paths[0].relative_to(listing.folder)): {**c.info, **({"frame_files": len(c.paths)}
                                                                          if len(c.paths) > 1 else {})}
                    for c in kept}
        rates = Counter(round(c.info["fps"], 1) for c in kept)
        report.details = {
            "windows": len(data),
            "files": per_file,
            "other_files_ignored": listing.passed_over,
            "shape": list(data.shape[1:]),
            "frame_rates": {f"{fps:g}": n for fps, n in sorted(rates.items())},
            "skeletons": len(counts),
            "openpose_frame_files": len(frames),
            "seconds": round(sum(c.info["seconds"] for c in kept), 1),
        }
        meta: dict[str, Any] = {
            **self.options.to_dict(),
            "frames": frames_per_window,
            "channels": channels,
            "joints": rig.layout.joints if rig is not None else 0,
            "height": round(rig.height, 6) if rig is not None else 1.0,
        }
        if rig is not None:
            meta["rig"] = rig.to_dict()
        return torch.from_numpy(data), meta


def import_motion(
    folder: str | Path,
    options: dict[str, Any],
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> Corpus:
    """Imports every motion file under ``folder`` as windows (see :class:`FeatureOptions` for ``options``, and
    ``max_windows``).

    A folder already imported with the same files and options comes back
    from the cache at once (``report.from_cache``).  Raises
    ``NotADirectoryError`` when ``folder`` is not a folder, ``ValueError``
    for bad options and :class:`ImportCancelled` on cancel.
    """
    opts = FeatureOptions.from_dict(options)
    max_windows = int(options["max_windows"]) if options.get("max_windows") else None
    importer = _Importer(opts, max_windows)
    key = {**opts.to_dict(), "max_windows": max_windows, "importer_version": IMPORTER_VERSION}
    recipe = FolderRecipe(DOMAIN, MOTION_SUFFIXES, key=key, read=importer.read, assemble=importer.assemble)
    return import_with(folder, recipe, progress, cancel)
