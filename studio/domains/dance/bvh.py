"""BVH (Biovision hierarchy) files: read any skeleton into a :class:`Motion`, write one back.

BVH found in the wild comes from many exporters: 3- or 6-channel joints,
any of the six Euler orders per joint, a fixed "joint_Root" above the hips,
files cut short by a copy, pictures renamed ``.bvh``.  The reader checks
size before reading and parses the hierarchy with an explicit stack (no
recursion, a depth cap), so every bad file ends in one :class:`BvhError`
whose message says what is wrong, and nothing else escapes.

Position channels replace the joint's offset (as Blender reads them), so a
file's root trajectory is its channel values.  Comment lines (``# ...``)
are written right after ``HIERARCHY``: Blender's importer reads only the
keyword lines there, and this reader skips them.
"""
from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Iterable

import numpy as np

from studio.core.files import checked_size
from studio.core.folder_import import FileProblem
from studio.domains.dance.rotations import ORDERS, euler_to_matrix, matrix_to_euler
from studio.domains.dance.skeleton import POSITION_CHANNELS, ROTATION_CHANNELS, Motion, Skeleton

MAX_BVH_BYTES = 256 << 20
"""Larger files are refused before reading (an hour of 60 fps capture on 100 joints is about 100 MB)."""
MAX_DEPTH = 256
MAX_JOINTS = 1024
MAX_NAME_WORDS = 8
_KNOWN_CHANNELS = frozenset(POSITION_CHANNELS + ROTATION_CHANNELS)
_END = -2  # stack marker of an End Site block
_KEYWORDS = frozenset({"ROOT", "JOINT", "End", "OFFSET", "CHANNELS", "}", "MOTION"})  # as exporters spell them


class BvhError(FileProblem):
    """A file that is not a readable BVH; the message is the reason, for the import report."""


def _text_of(path: Path) -> str:
    checked_size(path, MAX_BVH_BYTES, BvhError)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise BvhError(f"cannot be read ({err.strerror or err})") from None
    if raw.startswith(b"\x89PNG"):
        raise BvhError("this is a PNG picture, not a BVH motion file")
    head = np.frombuffer(raw[:4096], dtype=np.uint8)
    if np.count_nonzero((head < 9) | ((head > 13) & (head < 32))) > len(head) // 100 or not head.all():
        raise BvhError("binary data, not a BVH text file")
    text = raw.decode("utf-8-sig", errors="replace")  # Windows tools may start the file with a BOM
    if not text.strip():
        raise BvhError("the file is empty")
    return text


def _floats(tokens: list[str], at: int, count: int, what: str) -> list[float]:
    if at + count > len(tokens):
        raise BvhError(f"the hierarchy ends inside {what} (the file is cut short?)")
    try:
        values = [float(t) for t in tokens[at:at + count]]
    except ValueError:
        raise BvhError(f"{what} has a value that is not a number: {' '.join(tokens[at:at + count])!r}") from None
    if not np.all(np.isfinite(values)):
        raise BvhError(f"{what} has a NaN or infinite value")
    return values


def _parse_hierarchy(header: str) -> Skeleton:
    """The skeleton from the text between HIERARCHY and MOTION (iteratively: files nest thousands deep)."""
    tokens = [t for line in header.splitlines() if not line.lstrip().startswith("#") for t in line.split()]
    if not tokens or tokens[0].upper() != "HIERARCHY":
        raise BvhError("does not start with HIERARCHY: not a BVH file")
    names: list[str] = []
    parents: list[int] = []
    offsets: list[list[float]] = []
    channels: list[tuple[str, ...]] = []
    end_sites: dict[int, list[float]] = {}
    stack: list[int] = []
    i, roots = 1, 0
    while i < len(tokens):
        word = tokens[i]
        key = word.upper()
        if key in ("ROOT", "JOINT"):
            if key == "ROOT":
                roots += 1
                if roots > 1 or stack:
                    raise BvhError("more than one ROOT: only files with one skeleton are read")
            elif not stack or stack[-1] == _END:
                raise BvhError(f"JOINT outside a joint (token {i})")
            brace = next((k for k in range(i + 2, min(i + 2 + MAX_NAME_WORDS, len(tokens))) if tokens[k] == "{"), None)
            if brace is None or tokens[i + 1] == "{" or \
                    any(t in _KEYWORDS for t in tokens[i + 1:brace]):
                raise BvhError(f"{word} without a name and an opening brace (token {i})")
            if len(stack) >= MAX_DEPTH:
                raise BvhError(f"the hierarchy is nested deeper than {MAX_DEPTH} levels")
            if len(names) >= MAX_JOINTS:
                raise BvhError(f"more than {MAX_JOINTS} joints")
            names.append(" ".join(tokens[i + 1:brace]))  # some exporters put spaces in names
            parents.append(stack[-1] if stack else -1)
            offsets.append([0.0, 0.0, 0.0])
            channels.append(())
            stack.append(len(names) - 1)
            i = brace + 1
        elif key == "END":
            if not stack or stack[-1] == _END or i + 2 >= len(tokens) or tokens[i + 1].upper() != "SITE" \
                    or tokens[i + 2] != "{":
                raise BvhError(f"a misplaced End Site (token {i})")
            stack.append(_END)
            i += 3
        elif key == "OFFSET":
            if not stack:
                raise BvhError("OFFSET outside a joint")
            values = _floats(tokens, i + 1, 3, "an OFFSET")
            if stack[-1] == _END:
                end_sites[stack[-2]] = values
            else:
                offsets[stack[-1]] = values
            i += 4
        elif key == "CHANNELS":
            if not stack or stack[-1] == _END:
                raise BvhError("CHANNELS outside a joint")
            try:
                count = int(tokens[i + 1])
            except (IndexError, ValueError):
                raise BvhError("CHANNELS without a count") from None
            names_here = tuple(tokens[i + 2:i + 2 + count])
            if not 0 <= count <= 6 or len(names_here) != count:
                raise BvhError(f"CHANNELS {tokens[i + 1]} of joint {names[stack[-1]]!r} is not 0 to 6 channels")
            unknown = [c for c in names_here if c not in _KNOWN_CHANNELS]
            if unknown or len(set(names_here)) != count:
                raise BvhError(f"joint {names[stack[-1]]!r} has unknown or repeated channels {' '.join(names_here)}")
            channels[stack[-1]] = names_here
            i += 2 + count
        elif word == "}":
            if not stack:
                raise BvhError("a closing brace without a joint")
            stack.pop()
            i += 1
        else:
            raise BvhError(f"unexpected word {word[:40]!r} in the hierarchy")
    if stack:
        raise BvhError("the hierarchy is not closed (the file is cut short?)")
    if not names:
        raise BvhError("the hierarchy has no ROOT joint")
    return Skeleton(names, np.array(parents), np.array(offsets), channels, end_sites)


def _motion_header(lines: list[str]) -> tuple[int, float, int]:
    """Frame count, frame time and the index of the first frame line after ``MOTION``."""
    k, frames, frame_time = 1, None, None
    while k < len(lines) and (frames is None or frame_time is None):
        line = lines[k].strip()
        k += 1
        if not line:
            continue
        low = line.lower()
        try:
            if low.startswith("frames:"):
                frames = int(line.split(":", 1)[1])
            elif low.startswith("frame time:"):
                frame_time = float(line.split(":", 1)[1])
            else:
                raise BvhError(f"expected 'Frames:' and 'Frame Time:' after MOTION, found {line[:40]!r}")
        except ValueError:
            raise BvhError(f"a bad motion header line {line[:40]!r}") from None
    if frames is None or frame_time is None:
        raise BvhError("the motion header is cut short (no 'Frames:' or 'Frame Time:')")
    if frames <= 0:
        raise BvhError("the header says there are no frames")
    if not np.isfinite(frame_time) or not 1e-4 <= frame_time <= 10.0:
        raise BvhError(f"a frame time of {frame_time} s is not a plausible frame rate")
    return frames, frame_time, k


def _frame_values(lines: list[str], frames: int, width: int) -> np.ndarray:
    rows = [line for line in lines if line.strip()]
    if len(rows) < frames:
        raise BvhError(f"truncated: the header says {frames} frames, the file holds {len(rows)}")
    rows = rows[:frames]
    for n, row in enumerate(rows):
        count = len(row.split())
        if count != width:
            if n == frames - 1 and count < width:
                raise BvhError(f"truncated: the last frame has {count} of {width} values")
            raise BvhError(f"frame {n + 1} has {count} values, the hierarchy's channels need {width}")
    with warnings.catch_warnings():  # numpy warns, and will raise, where parsing stops at a non-number
        warnings.simplefilter("error", DeprecationWarning)
        try:
            values = np.fromstring("\n".join(rows), dtype=np.float64, sep=" ")
        except (ValueError, DeprecationWarning):
            values = np.zeros(0)
    if values.size != frames * width:
        raise BvhError(_first_non_number(rows))
    values = values.reshape(frames, width)
    bad = ~np.isfinite(values)
    if bad.any():
        raise BvhError(f"frame {int(np.argwhere(bad)[0, 0]) + 1} has a NaN or infinite value")
    return values


def _first_non_number(rows: list[str]) -> str:
    """Where the frames stop being numbers, for the report (only called once parsing has failed)."""
    for n, row in enumerate(rows):
        for token in row.split():
            try:
                float(token)
            except ValueError:
                return f"frame {n + 1} has a value that is not a number: {token[:20]!r}"
    return "a frame holds a value that is not a number"


def read_bvh(path: str | Path) -> Motion:
    """Reads one BVH file; raises :class:`BvhError` with the reason for anything it cannot read."""
    text = _text_of(Path(path))
    lines = text.splitlines()
    at = next((k for k, line in enumerate(lines) if line.strip().upper() == "MOTION"), None)
    if at is None:
        if text.lstrip()[:9].upper() != "HIERARCHY":
            raise BvhError("does not start with HIERARCHY: not a BVH file")
        raise BvhError("no MOTION section: the file is cut short after its hierarchy")
    skeleton = _parse_hierarchy("\n".join(lines[:at]))
    frames, frame_time, first = _motion_header(lines[at:])
    values = _frame_values(lines[at + first:], frames, skeleton.channel_count())
    return _motion_from_values(skeleton, frame_time, values)


def _motion_from_values(skeleton: Skeleton, frame_time: float, values: np.ndarray) -> Motion:
    frames, joints = len(values), skeleton.joints
    rotations = np.broadcast_to(np.eye(3), (frames, joints, 3, 3)).copy()
    translations = np.broadcast_to(skeleton.offsets, (frames, joints, 3)).copy()
    column = 0
    for j, names in enumerate(skeleton.channels):
        rot_axes = []
        for k, name in enumerate(names):
            if name in POSITION_CHANNELS:
                translations[:, j, "XYZ".index(name[0])] = values[:, column + k]
            else:
                rot_axes.append((name[0], column + k))
        if rot_axes:
            rotations[:, j] = _rotation(values, rot_axes)
        column += len(names)
    moving = [j for j in range(1, joints) if skeleton.has_position(j)]
    return Motion(skeleton, float(frame_time), rotations, translations[:, 0].copy(),
                  translations if moving else None)


def _full_order(rot_axes: list[tuple[str, int]]) -> str:
    """A three-letter Euler order beginning with the channels' own axes."""
    order = "".join(a for a, _ in rot_axes)
    return next(o for o in ORDERS if o.startswith(order))


def _rotation(values: np.ndarray, rot_axes: list[tuple[str, int]]) -> np.ndarray:
    """A joint's rotations from its 1 to 3 rotation channels (missing angles are zero)."""
    angles = np.zeros((len(values), 3))
    angles[:, : len(rot_axes)] = values[:, [c for _, c in rot_axes]]
    return euler_to_matrix(angles, _full_order(rot_axes))


def _frame_columns(motion: Motion) -> np.ndarray:
    """(T, channels) values of the motion in the skeleton's channel layout."""
    skeleton = motion.skeleton
    columns = []
    for j, names in enumerate(skeleton.channels):
        if not names:
            continue
        rot_axes = [(n[0], k) for k, n in enumerate(names) if n in ROTATION_CHANNELS]
        angles = matrix_to_euler(motion.rotations[:, j], _full_order(rot_axes)) if rot_axes else None
        if j == 0:
            place = motion.root_positions
        elif motion.translations is not None:
            place = motion.translations[:, j]
        else:
            place = np.broadcast_to(skeleton.offsets[j], (motion.frames, 3))
        for name in names:
            if name in POSITION_CHANNELS:
                columns.append(place[:, "XYZ".index(name[0])])
            else:
                columns.append(angles[:, [a for a, _ in rot_axes].index(name[0])])
    return np.stack(columns, axis=1) if columns else np.zeros((motion.frames, 0))


def _hierarchy_lines(skeleton: Skeleton) -> list[str]:
    lines = []
    depth_of = np.zeros(skeleton.joints, dtype=int)
    open_joints: list[int] = []

    def close_until(parent: int) -> None:
        while open_joints and open_joints[-1] != parent:
            j = open_joints.pop()
            lines.append("\t" * depth_of[j] + "}")

    for j in range(skeleton.joints):
        parent = int(skeleton.parents[j])
        close_until(parent)
        depth = 0 if parent < 0 else depth_of[parent] + 1
        depth_of[j] = depth
        pad = "\t" * depth
        lines.append(f"{pad}{'ROOT' if parent < 0 else 'JOINT'} {skeleton.names[j]}")
        lines.append(pad + "{")
        lines.append(pad + "\tOFFSET " + " ".join(f"{v:.6f}" for v in skeleton.offsets[j]))
        names = skeleton.channels[j]
        lines.append(pad + f"\tCHANNELS {len(names)}" + "".join(f" {n}" for n in names))
        if j in skeleton.end_sites:
            lines += [pad + "\tEnd Site", pad + "\t{",
                      pad + "\t\tOFFSET " + " ".join(f"{v:.6f}" for v in skeleton.end_sites[j]), pad + "\t}"]
        open_joints.append(j)
    close_until(-1)
    return lines


def write_bvh(path: str | Path, motion: Motion, comments: Iterable[str] = ()) -> Path:
    """Writes ``motion`` as BVH (the skeleton's own channels and Euler orders); ``comments`` become ``# `` lines."""
    path = Path(path)
    buffer = io.StringIO()
    buffer.write("HIERARCHY\n")
    for comment in comments:
        for line in str(comment).splitlines() or [""]:
            buffer.write(f"# {line}\n")
    buffer.write("\n".join(_hierarchy_lines(motion.skeleton)) + "\n")
    buffer.write(f"MOTION\nFrames: {motion.frames}\nFrame Time: {motion.frame_time:.8f}\n")
    np.savetxt(buffer, _frame_columns(motion), fmt="%.6f", delimiter=" ")
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(buffer.getvalue(), encoding="utf-8")
    os.replace(tmp, path)
    return path
