"""Turns a folder of motion (BVH, pose-keypoint JSON) into one windows x channels x frames tensor, and says what
it left out.

A report line is a clip: a BVH file, a keypoint file, or a folder's run of
OpenPose per-frame files (keypoints.py says what is derived from keypoints).

Each file is read, resampled to the options' frame rate and cut into
windows (features.py) as soon as it is read, so memory holds windows, not
takes.  A folder trains on one skeleton: the skeleton (joint names and tree)
most files share.  Files of another skeleton are reported and left out
rather than retargeted, because retargeting between unknown skeletons
guesses, and a wrong guess teaches the model broken motion without a word.
Performers of different sizes on the same skeleton are fine: root motion is
measured in each file's own skeleton heights.

The windows are stored as float16 in feature units (rotations in 6-D lie in
[-1, 1]; float16 keeps them to about 0.03 degrees); the meta holds the rig
(skeleton + canonical frame) and rate that turn a window back into motion.
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable

import numpy as np

from studio.core import corpus_cache
from studio.core.domain import CancelFn, Corpus, ImportCancelled, ImportReport, ProgressFn
from studio.domains.dance.bvh import BvhError, read_bvh
from studio.domains.dance.features import FeatureOptions, Rig, canonical_frame, clip_windows, rig_for
from studio.domains.dance.keypoints import KeypointError, openpose_clips, read_keypoints, read_openpose
from studio.domains.dance.skeleton import Motion

DOMAIN = "dance"
IMPORTER_VERSION = 2
"""Part of the cache key: bump it when the windows an import produces change."""
MOTION_SUFFIXES = frozenset({".bvh", ".json"})
MAX_CORPUS_BYTES = 1 << 30
"""The corpus tensor stays under this; later files are reported as left out."""


def read_motion(path: Path) -> Motion:
    """One BVH or keypoint-clip file as a motion; raises :class:`BvhError` or :class:`KeypointError` with the
    reason when it cannot."""
    return read_keypoints(path) if path.suffix.lower() == ".json" else read_bvh(path)


def _clips(files: list[Path]) -> tuple[list[tuple[Path, Callable[[], Motion]]], int]:
    """What to read, in path order, and how many OpenPose per-frame files it holds: each file, except that
    OpenPose's per-frame files make one clip per folder and name (named by its first frame's file, and counted
    as one file in the report)."""
    frames, singles = openpose_clips([f for f in files if f.suffix.lower() == ".json"])
    items: list[tuple[Path, Callable[[], Motion]]] = [(f, partial(read_motion, f)) for f in files
                                                      if f.suffix.lower() != ".json"]
    items += [(f, partial(read_keypoints, f)) for f in singles]
    items += [(first, partial(read_openpose, paths)) for first, paths in frames.items()]
    return sorted(items, key=lambda item: item[0]), sum(len(paths) for paths in frames.values())


def _list_motion(folder: Path) -> tuple[list[Path], int]:
    """Motion files under ``folder`` (recursive, stable order) and how many other visible files were passed over."""
    found, others = [], 0
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d.lower() != "__macosx")
        for name in sorted(names):
            if name.startswith("."):
                continue
            if Path(name).suffix.lower() in MOTION_SUFFIXES:
                found.append(Path(root) / name)
            else:
                others += 1
    return found, others


@dataclass
class _Group:
    """The files of one skeleton: the rig of its first file and every file's windows."""

    rig: Rig
    files: list[tuple[Path, dict[str, Any], np.ndarray]] = field(default_factory=list)

    @property
    def windows(self) -> int:
        return sum(len(w) for _, _, w in self.files)


def _describe(motion: Motion, windows: int) -> dict[str, Any]:
    return {"frames": motion.frames, "fps": round(motion.fps, 3), "seconds": round(motion.frames / motion.fps, 2),
            "joints": motion.skeleton.joints, "windows": windows}


def _read_all(clips: list[tuple[Path, Callable[[], Motion]]], options: FeatureOptions, report: ImportReport,
              max_windows: int | None, progress: ProgressFn | None, cancel: CancelFn | None) -> dict[tuple, _Group]:
    """Every readable clip's windows grouped by skeleton (the rest reported), within ``max_windows`` and
    MAX_CORPUS_BYTES."""
    groups: dict[tuple, _Group] = {}
    taken, stored = 0, 0
    for done, (path, read) in enumerate(clips, start=1):
        if cancel is not None and cancel():
            raise ImportCancelled("import cancelled")
        try:
            if (max_windows is not None and taken >= max_windows) or stored >= MAX_CORPUS_BYTES:
                report.skip(path, f"left out: the corpus is full ({taken} windows)")
                continue
            motion = read()
            signature = motion.skeleton.signature()
            group = groups.get(signature)
            canon = group.rig.canon if group is not None else canonical_frame(motion)
            rig = rig_for(motion.skeleton, canon)
            windows = clip_windows(motion, rig, options)
            if not len(windows):
                seconds = _describe(motion, 0)["seconds"]
                report.skip(path, f"{seconds} s long, shorter than one {options.window_seconds:g} s window")
                continue
            room = (MAX_CORPUS_BYTES - stored) // (windows[0].size * 2)  # float16 bytes
            windows = windows[: room if max_windows is None else min(room, max_windows - taken)]
            info = _describe(motion, len(windows))
            if group is None:
                group = groups[signature] = _Group(rig)
            group.files.append((path, info, windows.astype(np.float16)))
            taken += len(windows)
            stored += group.files[-1][2].nbytes
        except (BvhError, KeypointError) as err:
            report.skip(path, str(err))
        except MemoryError:
            report.skip(path, "too large to read in the available memory")
        except Exception as err:  # a file no rule above foresaw must not end the whole import
            report.skip(path, f"could not be read ({type(err).__name__}: {err})")
        finally:
            if progress is not None:
                progress(done, len(clips), str(path))
    return groups


def _dominant(groups: dict[tuple, _Group], report: ImportReport) -> _Group | None:
    """The skeleton most files share (first seen on a tie); the others' files are reported as left out."""
    if not groups:
        return None
    ranked = sorted(groups.values(), key=lambda g: -len(g.files))
    chosen = ranked[0]
    joints = chosen.rig.skeleton.joints
    for group in ranked[1:]:
        sk = group.rig.skeleton
        for path, _, _ in group.files:
            report.skip(path, f"left out: another skeleton ({sk.joints} joints, root {sk.names[0]!r}) than the "
                              f"folder's ({joints} joints, root {chosen.rig.skeleton.names[0]!r}, "
                              f"{len(chosen.files)} files)")
    return chosen


def import_motion(
    folder: str | Path,
    options: dict[str, Any],
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> Corpus:
    """Imports every motion file under ``folder`` as windows (see :class:`FeatureOptions` for ``options``).

    A folder already imported with the same files and options comes back
    from the cache at once (``report.from_cache``).  Raises
    ``NotADirectoryError`` when ``folder`` is not a folder, ``ValueError``
    for bad options and :class:`ImportCancelled` on cancel.
    """
    import torch

    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise NotADirectoryError(f"not a folder: {folder}")
    opts = FeatureOptions.from_dict(options)
    files, others = _list_motion(folder)
    key = {**opts.to_dict(), "max_windows": options.get("max_windows"), "importer_version": IMPORTER_VERSION}
    fingerprint = corpus_cache.folder_fingerprint(DOMAIN, folder, files, key)
    cached = corpus_cache.load_cached(DOMAIN, fingerprint)
    if cached is not None:
        if progress is not None:
            progress(len(files), len(files), "")
        return cached

    clips, frame_files = _clips(files)
    report = ImportReport(folder=str(folder), files_seen=len(clips))
    max_windows = int(options["max_windows"]) if options.get("max_windows") else None
    groups = _read_all(clips, opts, report, max_windows, progress, cancel)
    chosen = _dominant(groups, report)
    per_file: dict[str, dict[str, Any]] = {}
    arrays = []
    if chosen is not None:
        for path, info, windows in chosen.files:
            report.imported.append(str(path))
            per_file[str(path.relative_to(folder))] = info
            arrays.append(windows)
    rig = chosen.rig if chosen is not None else None
    channels = rig.layout.channels if rig is not None else 0
    data = np.concatenate(arrays) if arrays else np.zeros((0, channels, opts.window_frames), np.float16)
    report.items = len(data)
    rates = Counter(round(info["fps"], 1) for info in per_file.values())
    report.details = {
        "windows": len(data),
        "files": per_file,
        "other_files_ignored": others,
        "shape": list(data.shape[1:]),
        "frame_rates": {f"{fps:g}": n for fps, n in sorted(rates.items())},
        "skeletons": len(groups),
        "openpose_frame_files": frame_files,
        "seconds": round(sum(info["seconds"] for info in per_file.values()), 1),
    }
    meta: dict[str, Any] = {
        **opts.to_dict(),
        "frames": opts.window_frames,
        "channels": channels,
        "joints": rig.layout.joints if rig is not None else 0,
        "height": round(rig.height, 6) if rig is not None else 1.0,
    }
    if rig is not None:
        meta["rig"] = rig.to_dict()
    corpus = Corpus(data=torch.from_numpy(data), meta=meta, fingerprint=fingerprint, report=report)
    corpus_cache.store(DOMAIN, corpus)
    return corpus
