"""The stick figure as flat geometry: bones, joints, floor grid and the root's trail, in pixels.

One projection serves both painters: the window's QPainter view (qt/) and the PIL frames of GIF
and WebP exports (codec.py), so a clip looks the same on screen and in a file.  The camera is
orthographic, raised 20 degrees so the floor grid reads as a floor, looking from the front (+Z)
or the side (+X); the framing holds the whole clip's path, so a figure that walks away stays in view.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from studio.domains.dance.skeleton import Motion, mirror_pairs, skeleton_height

CAMERAS = ("front", "side")
ELEVATION = np.radians(20.0)
BACKGROUND = (24, 26, 30)
FLOOR = (60, 64, 72)
TRAIL = (120, 200, 140)
_LEFT_NAME = re.compile(r"[Ll]eft|LEFT|^[lL](?=[A-Z_.\- ])|[_.\- ][lL]$|[a-z]L$")
LEFT, RIGHT, MIDDLE = (90, 160, 255), (255, 150, 70), (235, 235, 235)


def _camera(camera: str) -> np.ndarray:
    """World -> view rotation: yaw to the camera's side, then tilt down by the elevation."""
    if camera not in CAMERAS:
        raise ValueError(f"unknown camera {camera!r}; one of {', '.join(CAMERAS)}")
    yaw = 0.0 if camera == "front" else -np.pi / 2
    c, s = np.cos(yaw), np.sin(yaw)
    turn = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    ce, se = np.cos(ELEVATION), np.sin(ELEVATION)
    tilt = np.array([[1, 0, 0], [0, ce, -se], [0, se, ce]])
    return tilt @ turn


@dataclass
class Scene:
    """A clip projected once: every frame's joints in pixels, and the fixed floor grid."""

    joints: np.ndarray  # T x J x 2 pixel positions
    trail: np.ndarray  # T x 2 the root's footprint on the floor
    floor: list[tuple[tuple[float, float], tuple[float, float]]]
    bones: list[tuple[int, int]]  # (parent, child)
    colours: list[tuple[int, int, int]]  # per bone
    pelvis: int  # the joint drawn as the body's centre
    size: tuple[int, int]

    @property
    def frames(self) -> int:
        return int(self.joints.shape[0])


def bone_colours(motion: Motion) -> list[tuple[int, int, int]]:
    """Left limbs blue, right orange, the spine light (by the skeleton's left/right names)."""
    names = motion.skeleton.names
    pairs = mirror_pairs(motion.skeleton)
    colours = []
    for j in range(1, motion.skeleton.joints):
        if pairs[j] == j:
            colours.append(MIDDLE)
        else:
            colours.append(LEFT if _LEFT_NAME.search(names[j]) else RIGHT)
    return colours


def project(motion: Motion, width: int, height: int, camera: str = "front", positions: np.ndarray | None = None) -> Scene:
    """The clip's geometry fitted into ``width`` x ``height`` pixels."""
    world = motion.positions() if positions is None else positions
    world = np.nan_to_num(np.asarray(world, np.float64))
    body = skeleton_height(motion.skeleton)
    view = _camera(camera)
    floor_y = float(world[..., 1].min())
    root = world[:, motion.skeleton.pelvis()].copy()
    root[:, 1] = floor_y
    low, high = world[..., [0, 2]].reshape(-1, 2).min(0), world[..., [0, 2]].reshape(-1, 2).max(0)
    step = body / 2.0
    xs = np.arange(np.floor(low[0] / step) - 1, np.ceil(high[0] / step) + 2) * step
    zs = np.arange(np.floor(low[1] / step) - 1, np.ceil(high[1] / step) + 2) * step
    lines = [((x, floor_y, zs[0]), (x, floor_y, zs[-1])) for x in xs]
    lines += [((xs[0], floor_y, z), (xs[-1], floor_y, z)) for z in zs]
    flat = lambda p: np.asarray(p, np.float64) @ view.T  # noqa: E731 - a projection used on four arrays
    v_joints, v_root = flat(world), flat(root)
    v_lines = flat(np.array(lines, np.float64).reshape(-1, 3)) if lines else np.zeros((0, 3))
    pelvis = motion.skeleton.pelvis()
    extent_pts = np.concatenate([v_joints[:, pelvis:].reshape(-1, 3), v_root])  # joints above it stay put
    lo, hi = extent_pts[:, :2].min(0), extent_pts[:, :2].max(0)
    centre = (lo + hi) / 2.0
    span = max(float((hi - lo).max()), body * 1.2) * 1.1
    scale = min(width, height) / span

    def to_px(v: np.ndarray) -> np.ndarray:
        xy = (v[..., :2] - centre) * scale
        return np.stack([width / 2.0 + xy[..., 0], height / 2.0 - xy[..., 1]], axis=-1)

    floor_px = to_px(v_lines).reshape(-1, 2, 2)
    kept = [j for j in range(1, motion.skeleton.joints) if motion.skeleton.parents[j] >= pelvis]
    bones = [(int(motion.skeleton.parents[j]), j) for j in kept]  # a fixed root above the pelvis is not drawn
    colours = bone_colours(motion)
    return Scene(to_px(v_joints), to_px(v_root), [(tuple(a), tuple(b)) for a, b in floor_px], bones,
                 [colours[j - 1] for j in kept], pelvis, (width, height))


def frame_image(scene: Scene, frame: int) -> np.ndarray:
    """One frame as an H x W x 3 uint8 picture (exports, grids)."""
    width, height = scene.size
    picture = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(picture)
    line = max(1, round(min(width, height) / 80))
    for a, b in scene.floor:
        draw.line([a, b], fill=FLOOR, width=1)
    frame = int(frame) % scene.frames
    trail = [tuple(p) for p in scene.trail[: frame + 1]]
    if len(trail) > 1:
        draw.line(trail, fill=TRAIL, width=max(1, line // 2))
    joints = scene.joints[frame]
    for (p, c), colour in zip(scene.bones, scene.colours):
        draw.line([tuple(joints[p]), tuple(joints[c])], fill=colour, width=line)
    r = line
    x, y = joints[scene.pelvis]
    draw.ellipse([x - r, y - r, x + r, y + r], fill=MIDDLE)
    return np.asarray(picture)
