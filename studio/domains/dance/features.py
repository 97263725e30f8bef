"""Motion <-> training windows: the normalised channels the dance nets learn, and the exact way back.

A window is (channels, frames) at one frame rate.  Per frame (see
:class:`ChannelLayout`, the one place the order is written down):

- the pelvis height and its ground velocity in the body's facing frame, in
  skeleton heights (per second), so big and small performers share one scale;
- the facing's angular velocity (rad/s) about the up axis;
- the pelvis rotation with its facing taken out, then the local rotation of
  every joint below the pelvis, each as 6-D (first two matrix columns).

Root motion is kept as velocities so every window starts at the origin facing
+Z and a generator never has to learn where on the floor a take happened;
integrating them gives the trajectory back.  Rotations are expressed in a
canonical frame: the pelvis's own frame turned upright (up +Y, facing +Z,
its left on +X), learnt from a take (:func:`canonical_frame`); the rest pose
itself is not retargeted, so a folder must share one skeleton (corpus.py
checks).  World space is taken to be Y-up, the BVH convention.  Translations
of joints below the pelvis (stretchy 6-channel exports) are not channels:
windows come back with the skeleton's offsets.

Mirroring swaps left and right joints and reflects across the body's
sagittal plane.  A rest pose that is not itself symmetric (one arm modelled
up, the other down) gets a per-joint rest correction, so mirrored motion is
a true mirror on any skeleton and mirroring twice is the identity.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from studio.domains.dance.rotations import (
    align,
    matrix_to_6d,
    matrix_to_quaternion,
    quaternion_to_matrix,
    sixd_to_matrix,
    slerp,
    yaw_rotation,
)
from studio.domains.dance.skeleton import (
    UP,
    Motion,
    Skeleton,
    mirror_pairs,
    rest_positions,
    skeleton_height,
    world_transforms,
)

MIRROR = np.diag([-1.0, 1.0, 1.0])  # reflection across the body's sagittal plane in the canonical frame
_LEFT = re.compile(r"left|^L(?=[A-Z_.\- ])|^l(?=[_.\- ])|(?<=[_.\- ])[Ll]$|(?<=[a-z])L$", re.IGNORECASE)


@dataclass(frozen=True)
class ChannelLayout:
    """Where each quantity sits among a window's channels; the nets, codec and metrics read it from here."""

    joints: int  # rotated joints: the pelvis (facing removed) first, then every joint below it in skeleton order

    HEIGHT = 0  # pelvis height / skeleton height
    VELOCITY = slice(1, 3)  # pelvis ground velocity (x: to its left, z: forward) in heights per second
    TURN = 3  # facing angular velocity about +Y, rad/s
    ROTATIONS = 4  # first 6-D rotation channel; the four before it are the root's

    @property
    def channels(self) -> int:
        return self.ROTATIONS + 6 * self.joints

    def rotation(self, k: int) -> slice:
        """Channels of the ``k``-th rotated joint's 6-D rotation."""
        return slice(self.ROTATIONS + 6 * k, self.ROTATIONS + 6 * k + 6)


@dataclass
class FeatureOptions:
    """How clips become windows (a preset's ``import_options``)."""

    fps: float = 30.0
    window_seconds: float = 4.0
    hop_seconds: float = 2.0
    mirror: bool = True  # add each window's mirror image

    def __post_init__(self) -> None:
        for name in ("fps", "window_seconds", "hop_seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{name} must be a number of {'frames a second' if name == 'fps' else 'seconds'},"
                                 f" not {value!r}")
        if not isinstance(self.mirror, bool):
            raise ValueError(f"mirror must be true or false, not {self.mirror!r}")
        if not 1.0 <= self.fps <= 240.0:
            raise ValueError(f"fps {self.fps} is outside 1..240")
        if not 0.25 <= self.window_seconds <= 60.0:
            raise ValueError(f"window_seconds {self.window_seconds} is outside 0.25..60")
        if not 0.0 < self.hop_seconds <= 60.0:
            raise ValueError(f"hop_seconds {self.hop_seconds} is outside 0..60")

    @property
    def window_frames(self) -> int:
        return max(2, round(self.window_seconds * self.fps))

    @property
    def hop_frames(self) -> int:
        return max(1, round(self.hop_seconds * self.fps))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FeatureOptions":
        known = {k: data[k] for k in ("fps", "window_seconds", "hop_seconds", "mirror") if k in data}
        return cls(**known)


@dataclass
class Rig:
    """What features need to know about a skeleton: derived from it and its canonical frame alone."""

    skeleton: Skeleton
    pelvis: int
    joints: list[int]  # rotated joints, pelvis first
    canon: np.ndarray  # (3, 3) turns the pelvis's (and, at rest, every joint's) axes into the canonical frame
    height: float
    partner: np.ndarray  # (len(joints),) position in ``joints`` of each one's mirror partner
    rest_fix: np.ndarray = field(repr=False)  # (len(joints), 3, 3) per rotated joint, see _rest_fixes

    @property
    def layout(self) -> ChannelLayout:
        return ChannelLayout(len(self.joints))

    def to_dict(self) -> dict[str, Any]:
        """What a corpus's meta keeps to rebuild the rig (everything else follows from these)."""
        return {"skeleton": self.skeleton.to_dict(), "canon": np.round(self.canon, 9).tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Rig":
        return rig_for(Skeleton.from_dict(data["skeleton"]), np.array(data["canon"]))


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v)
    return v / n if n > 1e-9 else np.zeros(3)


def canonical_frame(motion: Motion) -> np.ndarray:
    """Rotation (3, 3) taking the pelvis's own left, up and forward to +X, +Y, +Z, learnt from how it moves.

    Rest poses cannot tell: many exporters bake joint orients into the
    rotations and leave a rest pose with every bone along one axis.  The
    motion can: on average the body is upright, and its Left-named joints lie
    on its left (without such names, its widest horizontal spread does)."""
    sk = motion.skeleton
    world_rot, world_pos = world_transforms(sk, motion.rotations, motion.root_positions, motion.translations)
    pelvis = sk.pelvis()
    to_local = np.swapaxes(world_rot[:, pelvis], -1, -2)
    up = _unit((to_local @ UP).sum(axis=0))
    if not up.any():
        up = UP.copy()
    pairs = mirror_pairs(sk)
    lefts = [j for j, k in enumerate(pairs) if k != j and _LEFT.search(sk.names[j])]
    left = np.zeros(3)
    if lefts:
        across = (world_pos[:, lefts] - world_pos[:, pairs[lefts]]).sum(axis=1)
        left = np.einsum("tij,tj->i", to_local, across)
    left = _unit(left - (left @ up) * up)
    if not left.any():
        spread = np.einsum("tij,tkj->tki", to_local, world_pos - world_pos[:, pelvis:pelvis + 1]).reshape(-1, 3)
        spread = spread - np.outer(spread @ up, up)
        left = _unit(np.linalg.svd(spread, full_matrices=False)[2][0]) if np.abs(spread).max() > 0 else np.zeros(3)
        left = _unit(left - (left @ up) * up)
    if not left.any():
        left = _unit(np.cross(up, [0.0, 0.0, 1.0])) if abs(up[2]) < 0.9 else _unit(np.cross(up, [1.0, 0.0, 0.0]))
    return np.stack([left, up, np.cross(left, up)])


def _rest_fixes(skeleton: Skeleton, joints: list[int], pairs: np.ndarray, canon: np.ndarray) -> np.ndarray:
    """Per rotated joint, A with A @ (its bones) = MIRROR @ (its partner's bones) in the canonical rest frame.

    Identity for a symmetric rest pose.  One side is solved and the other
    derived (A' = M A^T M) so mirroring twice is exactly the identity."""
    kids: dict[int, list[int]] = {j: [] for j in range(skeleton.joints)}
    for c in range(1, skeleton.joints):
        kids[int(skeleton.parents[c])].append(c)

    def bones(j: int) -> tuple[list[int], np.ndarray]:
        ids = kids[j] + ([-1] if j in skeleton.end_sites and np.linalg.norm(skeleton.end_sites[j]) > 1e-9 else [])
        vecs = [skeleton.offsets[c] if c >= 0 else skeleton.end_sites[j] for c in ids]
        return ids, (np.array(vecs) @ canon.T if vecs else np.zeros((0, 3)))

    fixes = np.broadcast_to(np.eye(3), (len(joints), 3, 3)).copy()
    position = {j: k for k, j in enumerate(joints)}
    for k, j in enumerate(joints):
        other = int(pairs[j])
        if other < j and other != j:
            continue  # derived from its partner below
        ids, own = bones(j)
        other_ids, theirs = bones(other)
        if not len(own) or len(own) != len(theirs):
            continue
        lookup = {c: n for n, c in enumerate(other_ids)}
        try:
            matched = np.array([theirs[lookup[int(pairs[c]) if c >= 0 else -1]] for c in ids])
        except KeyError:
            continue
        fix = align(own, matched @ MIRROR.T)
        if np.abs(fix @ own.T - MIRROR @ matched.T).max() > 1e-3 * max(1.0, np.abs(own).max()):
            continue  # bones that no rotation mirrors (an asymmetric skeleton): mirror as if symmetric
        fixes[k] = fix
        if other != j:
            fixes[position[other]] = MIRROR @ fix.T @ MIRROR
    return fixes


def rig_for(skeleton: Skeleton, canon: np.ndarray) -> Rig:
    """The rig of a skeleton whose pelvis frame ``canon`` turns upright (from :func:`canonical_frame`)."""
    pelvis = skeleton.pelvis()
    joints = [pelvis] + [j for j in range(pelvis + 1, skeleton.joints)]
    pairs = mirror_pairs(skeleton)
    position = {j: k for k, j in enumerate(joints)}
    partner = np.array([position.get(int(pairs[j]), k) for k, j in enumerate(joints)])
    canon = np.asarray(canon, dtype=np.float64)
    return Rig(skeleton, pelvis, joints, canon, skeleton_height(skeleton), partner,
               _rest_fixes(skeleton, joints, pairs, canon))


def resample(motion: Motion, fps: float) -> Motion:
    """The motion at ``fps`` (slerp between frames for rotations, linear for translations)."""
    if abs(motion.fps - fps) < 1e-3 * fps or motion.frames < 2:
        return Motion(motion.skeleton, 1.0 / fps, motion.rotations, motion.root_positions, motion.translations)
    duration = (motion.frames - 1) * motion.frame_time
    times = np.arange(int(np.floor(duration * fps + 1e-6)) + 1) / fps
    where = np.clip(times / motion.frame_time, 0, motion.frames - 1)
    lo = np.minimum(np.floor(where).astype(int), motion.frames - 2)
    frac = where - lo
    q = matrix_to_quaternion(motion.rotations)
    rotations = quaternion_to_matrix(slerp(q[lo], q[lo + 1], np.broadcast_to(frac[:, None], (len(frac), q.shape[1]))))

    def lerp(x: np.ndarray) -> np.ndarray:
        f = frac.reshape((-1,) + (1,) * (x.ndim - 1))
        return x[lo] * (1 - f) + x[lo + 1] * f

    translations = lerp(motion.translations) if motion.translations is not None else None
    return Motion(motion.skeleton, 1.0 / fps, rotations, lerp(motion.root_positions), translations)


def _heading(world: np.ndarray) -> np.ndarray:
    """Facing angle (radians, +Z = 0, toward +X positive) of canonical pelvis rotations (..., 3, 3)."""
    return np.arctan2(world[..., 0, 2], world[..., 2, 2])


def motion_features(motion: Motion, rig: Rig) -> np.ndarray:
    """(channels, T) features of a motion already at its target rate (see the module's channel list)."""
    layout, c = rig.layout, rig.canon
    world_rot, world_pos = world_transforms(motion.skeleton, motion.rotations, motion.root_positions,
                                            motion.translations)
    pelvis_rot = world_rot[:, rig.pelvis] @ c.T
    place = world_pos[:, rig.pelvis]
    heading = _heading(pelvis_rot)
    facing = yaw_rotation(heading)
    out = np.empty((motion.frames, layout.channels))
    out[:, layout.HEIGHT] = place[:, 1] / rig.height
    step = np.diff(place, axis=0)
    local_step = np.einsum("tji,tj->ti", facing[:-1], step)  # facing^T @ step
    turn = (np.diff(heading) + np.pi) % (2 * np.pi) - np.pi
    if motion.frames > 1:
        out[:-1, layout.VELOCITY] = local_step[:, [0, 2]] * motion.fps / rig.height
        out[:-1, layout.TURN] = turn * motion.fps
        out[-1, layout.VELOCITY] = out[-2, layout.VELOCITY]
        out[-1, layout.TURN] = out[-2, layout.TURN]
    else:
        out[:, layout.VELOCITY] = 0.0
        out[:, layout.TURN] = 0.0
    rotations = c @ motion.rotations[:, rig.joints] @ c.T
    rotations[:, 0] = np.swapaxes(facing, -1, -2) @ pelvis_rot
    out[:, layout.ROTATIONS:] = matrix_to_6d(rotations).reshape(motion.frames, -1)
    return out.T


def features_to_motion(features: np.ndarray, rig: Rig, fps: float) -> Motion:
    """The motion a (channels, T) window describes, on the rig's skeleton, starting at the origin facing +Z."""
    layout, sk, c = rig.layout, rig.skeleton, rig.canon
    x = np.asarray(features, dtype=np.float64).T
    frames = len(x)
    heading = np.concatenate([[0.0], np.cumsum(x[:-1, layout.TURN] / fps)])
    facing = yaw_rotation(heading)
    step = np.zeros((frames, 3))
    step[:, [0, 2]] = x[:, layout.VELOCITY] * rig.height / fps
    world_step = np.einsum("tij,tj->ti", facing, step)
    place = np.concatenate([np.zeros((1, 3)), np.cumsum(world_step[:-1], axis=0)])
    place[:, 1] = x[:, layout.HEIGHT] * rig.height
    rotations = sixd_to_matrix(x[:, layout.ROTATIONS:].reshape(frames, layout.joints, 6))
    # Facing comes from the turn channel alone: whatever facing a generated (or float16-rounded) pelvis
    # rotation carries is taken out, so re-encoding the motion gives the same turn back.
    rotations[:, 0] = np.swapaxes(yaw_rotation(_heading(rotations[:, 0])), -1, -2) @ rotations[:, 0]
    local = np.broadcast_to(np.eye(3), (frames, sk.joints, 3, 3)).copy()
    local[:, rig.joints] = c.T @ rotations @ c
    local[:, rig.pelvis] = facing @ rotations[:, 0] @ c  # above the pelvis every joint rests at identity
    rest = rest_positions(sk)
    translations = None
    if rig.pelvis == 0:
        root = place
    elif sk.has_position(rig.pelvis):
        root = np.broadcast_to(sk.offsets[0], (frames, 3)).copy()
        translations = np.broadcast_to(sk.offsets, (frames, sk.joints, 3)).copy()
        translations[:, rig.pelvis] = place - rest[sk.parents[rig.pelvis]]
    else:
        root = place - rest[rig.pelvis] + rest[0]
    return Motion(sk, 1.0 / fps, local, root, translations)


def cut_windows(features: np.ndarray, frames: int, hop: int) -> np.ndarray:
    """(N, channels, frames) windows every ``hop`` frames, plus one ending at the clip's end when they leave half a
    hop or more uncovered (short takes are most of some folders); none when the clip is shorter than a window.

    Each window's last velocity repeats the one before it, as a clip's last
    frame does, so a window is exactly what its own motion gives back."""
    total = features.shape[1]
    if total < frames:
        return np.zeros((0, features.shape[0], frames))
    starts = list(range(0, total - frames + 1, hop))
    if total - frames - starts[-1] >= hop / 2:
        starts.append(total - frames)
    windows = np.stack([features[:, s:s + frames] for s in starts])
    root = slice(ChannelLayout.VELOCITY.start, ChannelLayout.TURN + 1)
    windows[:, root, -1] = windows[:, root, -2]
    return windows


def mirror_features(features: np.ndarray, rig: Rig, fps: float) -> np.ndarray:
    """Left and right swapped (..., channels, T) at ``fps``; applying it twice gives the input back.

    A rest correction on the pelvis can leave the mirrored pelvis a little
    turned; that turn moves into the facing (turn rate, and the velocity's
    frame) so the result is in the same canonical form :func:`motion_features`
    gives."""
    layout = rig.layout
    x = np.array(features, dtype=np.float64, copy=True)
    shape = x.shape
    sixd = np.moveaxis(x[..., layout.ROTATIONS:, :], -1, -2).reshape(shape[:-2] + (shape[-1], layout.joints, 6))
    r = sixd_to_matrix(sixd)[..., rig.partner, :, :]
    fix = rig.rest_fix
    parent_fix = np.broadcast_to(np.eye(3), fix.shape).copy()
    position = {j: k for k, j in enumerate(rig.joints)}
    for k, j in enumerate(rig.joints[1:], start=1):
        parent_fix[k] = fix[position[int(rig.skeleton.parents[j])]]
    mirrored = np.swapaxes(parent_fix, -1, -2) @ MIRROR @ r @ MIRROR @ fix
    delta = _heading(mirrored[..., 0, :, :])  # (..., T)
    mirrored[..., 0, :, :] = np.swapaxes(yaw_rotation(delta), -1, -2) @ mirrored[..., 0, :, :]
    flat = matrix_to_6d(mirrored).reshape(shape[:-2] + (shape[-1], layout.joints * 6))
    x[..., layout.ROTATIONS:, :] = np.moveaxis(flat, -2, -1)
    side, ahead = -x[..., layout.VELOCITY.start, :], x[..., layout.VELOCITY.start + 1, :]
    c, s = np.cos(delta), np.sin(delta)
    x[..., layout.VELOCITY.start, :] = c * side - s * ahead
    x[..., layout.VELOCITY.start + 1, :] = s * side + c * ahead
    change = (np.diff(delta, axis=-1) + np.pi) % (2 * np.pi) - np.pi
    x[..., layout.TURN, :-1] = -x[..., layout.TURN, :-1] + change * fps
    if shape[-1] > 1:
        root = slice(layout.VELOCITY.start, layout.TURN + 1)
        x[..., root, -1] = x[..., root, -2]
    return x


def clip_windows(motion: Motion, rig: Rig, options: FeatureOptions) -> np.ndarray:
    """(N, channels, frames) windows of a whole clip at the options' rate, mirror images after the originals."""
    features = motion_features(resample(motion, options.fps), rig)
    windows = cut_windows(features, options.window_frames, options.hop_frames)
    if options.mirror and len(windows):
        windows = np.concatenate([windows, mirror_features(windows, rig, options.fps)])
    return windows
