"""Skeletons, motions on them, forward kinematics, and what a skeleton tells about itself by names and shape.

A skeleton is a tree stored as a parents array in depth-first order (every
parent before its children), as BVH writes it.  A joint's local frame is its
parent's frame moved by the joint's offset (or by its own position channels,
which replace the offset, as Blender reads them) and turned by its rotation.
Names are guessed at (feet, left/right pairs) because files from different
capture systems share no naming standard; every guess has a fallback that
needs no names.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

POSITION_CHANNELS = ("Xposition", "Yposition", "Zposition")
ROTATION_CHANNELS = ("Xrotation", "Yrotation", "Zrotation")
UP = np.array([0.0, 1.0, 0.0])  # BVH's convention, which Blender and Maya also read by default

_FOOT = re.compile(r"foot|toe|ankle|heel", re.IGNORECASE)
_HEAD = re.compile(r"head", re.IGNORECASE)
_NECK = re.compile(r"neck", re.IGNORECASE)
# (pattern, replacement) pairs that turn a left name into a right one and back; the first that names another
# joint of the skeleton wins.
_SIDE_SWAPS = [
    (re.compile(r"Left"), "Right"), (re.compile(r"Right"), "Left"),
    (re.compile(r"left"), "right"), (re.compile(r"right"), "left"),
    (re.compile(r"LEFT"), "RIGHT"), (re.compile(r"RIGHT"), "LEFT"),
    (re.compile(r"^L(?=[A-Z_.\- ])"), "R"), (re.compile(r"^R(?=[A-Z_.\- ])"), "L"),
    (re.compile(r"^l(?=[_.\- ])"), "r"), (re.compile(r"^r(?=[_.\- ])"), "l"),
    (re.compile(r"(?<=[_.\- ])L$"), "R"), (re.compile(r"(?<=[_.\- ])R$"), "L"),
    (re.compile(r"(?<=[_.\- ])l$"), "r"), (re.compile(r"(?<=[_.\- ])r$"), "l"),
    (re.compile(r"(?<=[a-z])L$"), "R"), (re.compile(r"(?<=[a-z])R$"), "L"),
]


@dataclass
class Skeleton:
    """Joint tree with rest offsets and the BVH channel layout of each joint."""

    names: list[str]
    parents: np.ndarray  # (J,) int, -1 for the root; parents[j] < j
    offsets: np.ndarray  # (J, 3) rest offset of each joint from its parent
    channels: list[tuple[str, ...]]  # per joint, in file order, e.g. ("Zrotation", "Xrotation", "Yrotation")
    end_sites: dict[int, np.ndarray] = field(default_factory=dict)  # joint -> offset of its End Site

    def __post_init__(self) -> None:
        self.parents = np.asarray(self.parents, dtype=np.int64)
        self.offsets = np.asarray(self.offsets, dtype=np.float64).reshape(-1, 3)
        self.channels = [tuple(c) for c in self.channels]
        self.end_sites = {int(j): np.asarray(v, dtype=np.float64) for j, v in self.end_sites.items()}

    @property
    def joints(self) -> int:
        return len(self.names)

    def rotation_order(self, joint: int) -> str:
        """The joint's Euler order from its channels ("ZXY"); joints without rotation channels read as "XYZ"."""
        order = "".join(c[0].upper() for c in self.channels[joint] if c in ROTATION_CHANNELS)
        return order if len(order) == 3 else "XYZ"

    def has_position(self, joint: int) -> bool:
        return any(c in POSITION_CHANNELS for c in self.channels[joint])

    def channel_count(self) -> int:
        return sum(len(c) for c in self.channels)

    def children(self, joint: int) -> list[int]:
        return [int(j) for j in np.flatnonzero(self.parents == joint)]

    def signature(self) -> tuple[tuple[str, int], ...]:
        """What two files must share to be the same skeleton (offsets may differ: performers differ in size)."""
        return tuple(zip(self.names, (int(p) for p in self.parents)))

    def pelvis(self) -> int:
        """The joint where the body branches (hips): the root, or below a chain of single-child joints above it.

        Some exporters put a fixed "joint_Root" at the origin with the hips below it; the body's motion is the
        pelvis's, whatever sits above."""
        joint = 0
        while True:
            kids = self.children(joint)
            if len(kids) != 1:
                return joint
            joint = kids[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "names": list(self.names),
            "parents": [int(p) for p in self.parents],
            "offsets": np.round(self.offsets, 6).tolist(),
            "channels": [list(c) for c in self.channels],
            "end_sites": {str(j): np.round(v, 6).tolist() for j, v in self.end_sites.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Skeleton":
        return cls(names=list(data["names"]), parents=np.array(data["parents"]), offsets=np.array(data["offsets"]),
                   channels=[tuple(c) for c in data["channels"]],
                   end_sites={int(j): np.array(v) for j, v in data.get("end_sites", {}).items()})


@dataclass
class Motion:
    """A clip: local joint rotations and the root's translation per frame, on a skeleton.

    ``translations`` holds the local translation of every joint per frame when
    some non-root joints have position channels (6-channel joints); None means
    every non-root joint sits at its offset.
    """

    skeleton: Skeleton
    frame_time: float  # seconds per frame
    rotations: np.ndarray  # (T, J, 3, 3) local
    root_positions: np.ndarray  # (T, 3) the root's translation from the origin
    translations: np.ndarray | None = None  # (T, J, 3) or None

    @property
    def frames(self) -> int:
        return int(self.rotations.shape[0])

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time

    def positions(self) -> np.ndarray:
        """World joint positions (T, J, 3)."""
        return forward_kinematics(self.skeleton, self.rotations, self.root_positions, self.translations)


def world_transforms(skeleton: Skeleton, rotations: np.ndarray, root_positions: np.ndarray,
                     translations: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """World rotations (T, J, 3, 3) and positions (T, J, 3) of every joint."""
    rotations = np.asarray(rotations, dtype=np.float64)
    frames, joints = rotations.shape[:2]
    world_rot = np.empty_like(rotations)
    world_pos = np.empty((frames, joints, 3))
    world_rot[:, 0] = rotations[:, 0]
    world_pos[:, 0] = root_positions
    for j in range(1, joints):
        p = skeleton.parents[j]
        local = translations[:, j] if translations is not None else skeleton.offsets[j]
        world_pos[:, j] = world_pos[:, p] + np.einsum("tij,tj->ti", world_rot[:, p],
                                                      np.broadcast_to(local, (frames, 3)))
        world_rot[:, j] = world_rot[:, p] @ rotations[:, j]
    return world_rot, world_pos


def forward_kinematics(skeleton: Skeleton, rotations: np.ndarray, root_positions: np.ndarray,
                       translations: np.ndarray | None = None) -> np.ndarray:
    """World joint positions (T, J, 3) from local rotations (T, J, 3, 3) and root positions (T, 3)."""
    return world_transforms(skeleton, rotations, root_positions, translations)[1]


def end_site_positions(skeleton: Skeleton, world_rot: np.ndarray, world_pos: np.ndarray) -> tuple[list[int], np.ndarray]:
    """The joints that carry End Sites and the sites' world positions (T, E, 3), for drawing head tops and toes."""
    joints = sorted(skeleton.end_sites)
    if not joints:
        return [], np.zeros((world_pos.shape[0], 0, 3))
    offsets = np.stack([skeleton.end_sites[j] for j in joints])
    return joints, world_pos[:, joints] + np.einsum("teij,ej->tei", world_rot[:, joints], offsets)


def rest_positions(skeleton: Skeleton) -> np.ndarray:
    """World positions (J, 3) of the rest pose (all rotations identity, root at its offset)."""
    positions = np.zeros((skeleton.joints, 3))
    positions[0] = skeleton.offsets[0]
    for j in range(1, skeleton.joints):
        positions[j] = positions[skeleton.parents[j]] + skeleton.offsets[j]
    return positions


def mirror_pairs(skeleton: Skeleton) -> np.ndarray:
    """(J,) index of each joint's left/right partner by name (Left/Right, L/R prefixes, _l/_r suffixes...);
    joints of the middle map to themselves."""
    index = {name: j for j, name in enumerate(skeleton.names)}
    pairs = np.arange(skeleton.joints)
    for j, name in enumerate(skeleton.names):
        for pattern, swap in _SIDE_SWAPS:
            other = pattern.sub(swap, name)
            if other != name and other in index:
                pairs[j] = index[other]
                break
    return pairs


def _leaves(skeleton: Skeleton) -> list[int]:
    has_child = np.zeros(skeleton.joints, dtype=bool)
    has_child[skeleton.parents[skeleton.parents >= 0]] = True
    return [int(j) for j in np.flatnonzero(~has_child)]


def foot_joints(skeleton: Skeleton, positions: np.ndarray | None = None) -> list[int]:
    """Joints that touch the ground: named foot/toe/ankle/heel, else the two lowest leaf joints.

    ``positions`` (T, J, 3, Y up) ranks leaves by their mean height; without it the rest pose does, which is
    right for skeletons modelled standing."""
    named = [j for j, name in enumerate(skeleton.names) if _FOOT.search(name)]
    if named:
        return named
    heights = (positions.mean(axis=0) if positions is not None else rest_positions(skeleton)) @ UP
    leaves = _leaves(skeleton)
    return sorted(sorted(leaves, key=lambda j: heights[j])[:2])


def skeleton_height(skeleton: Skeleton) -> float:
    """Standing height of the skeleton, the unit its root motion is measured in (so big and small performers
    share one scale).

    Rest poses come upright, lying or in T-pose, so the height is not the rest
    pose's vertical extent but the straight distances from the pelvis to the
    head's tip and to the farthest foot (legs are straight in every rest pose
    seen).  Skeletons without such names use the rest pose's largest extent."""
    rest = rest_positions(skeleton)
    tips = rest.copy()
    for j, site in skeleton.end_sites.items():
        tips[j] = rest[j] + site
    pelvis = rest[skeleton.pelvis()]
    heads = [j for j, n in enumerate(skeleton.names) if _HEAD.search(n)] or \
            [j for j, n in enumerate(skeleton.names) if _NECK.search(n)]
    feet = [j for j, n in enumerate(skeleton.names) if _FOOT.search(n)]
    if heads and feet:
        height = float(np.linalg.norm(tips[heads[0]] - pelvis) + max(np.linalg.norm(tips[f] - pelvis) for f in feet))
        if height > 0:
            return height
    extent = float(np.max(rest.max(axis=0) - rest.min(axis=0)))
    return extent if extent > 0 else 1.0
