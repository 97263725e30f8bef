"""The built-in demo corpus: a figure of the studio's own that dances to a beat, so the Dance tab works out of
the box (and the shipped model learns from nothing but this).

Each take is a choreography of one-bar moves (step-touch, march, walks,
turns, kicks, jumps, bounces, sways) at its own tempo, with arm patterns
(swings, pumps, claps, punches, waves, disco points) on the beat.  Feet are
planned first: they step on the beat and stay planted in between, the
pelvis follows the weight from foot to foot and bobs down on each beat, and
the legs reach the feet by two-bone inverse kinematics, so the figure does
not skate.  A seeded generator chooses everything: the same seed writes the
same bytes.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.domains.dance.bvh import write_bvh
from studio.domains.dance.rotations import axis_rotation, turn_between, yaw_rotation
from studio.domains.dance.skeleton import Motion, Skeleton

SIX = ("Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation")
THREE = ("Zrotation", "Xrotation", "Yrotation")
# The studio's figure, in centimetres: Y up, facing +Z, its left on +X, arms out (T-pose), toes on the floor.
FIGURE = [  # name, parent, offset
    ("Hips", "", (0, 95, 0)), ("Spine", "Hips", (0, 10, 0)), ("Chest", "Spine", (0, 16, 0)),
    ("Neck", "Chest", (0, 20, 0)), ("Head", "Neck", (0, 9, 2)),
    ("LeftShoulder", "Chest", (3, 16, 0)), ("LeftArm", "LeftShoulder", (14, 0, 0)),
    ("LeftForeArm", "LeftArm", (28, 0, 0)), ("LeftHand", "LeftForeArm", (25, 0, 0)),
    ("RightShoulder", "Chest", (-3, 16, 0)), ("RightArm", "RightShoulder", (-14, 0, 0)),
    ("RightForeArm", "RightArm", (-28, 0, 0)), ("RightHand", "RightForeArm", (-25, 0, 0)),
    ("LeftUpLeg", "Hips", (9, -3, 0)), ("LeftLeg", "LeftUpLeg", (0, -43, 0)), ("LeftFoot", "LeftLeg", (0, -42, 0)),
    ("LeftToe", "LeftFoot", (0, -7, 13)),
    ("RightUpLeg", "Hips", (-9, -3, 0)), ("RightLeg", "RightUpLeg", (0, -43, 0)),
    ("RightFoot", "RightLeg", (0, -42, 0)), ("RightToe", "RightFoot", (0, -7, 13)),
]
END_SITES = {"Head": (0, 17, 0), "LeftHand": (17, 0, 0), "RightHand": (-17, 0, 0), "LeftToe": (0, 0, 6),
             "RightToe": (0, 0, 6)}
THIGH, SHIN, ANKLE = 43.0, 42.0, 7.0
HOME = {"L": 11.0, "R": -11.0}  # feet's places across the dance frame (x: the dancer's left)
TEMPOS = (92, 100, 108, 116, 120, 126, 132, 140)
ARMS = ("swing", "pump", "clap", "punch", "wave", "open", "point")


def figure_skeleton() -> Skeleton:
    """The demo's skeleton (21 joints)."""
    names = [n for n, _, _ in FIGURE]
    parents = np.array([names.index(p) if p else -1 for _, p, _ in FIGURE])
    offsets = np.array([o for _, _, o in FIGURE], dtype=np.float64)
    channels = [SIX] + [THREE] * (len(names) - 1)
    return Skeleton(names, parents, offsets, channels, {names.index(n): np.array(v, float) for n, v in END_SITES.items()})


@dataclass
class _Step:
    """One foot's move: from its last plant to ``target`` between beats ``start`` and ``end``."""

    foot: str
    start: float
    end: float
    target: np.ndarray  # (x, z) on the floor
    yaw: float
    lift: float
    kick: float = 0.0  # a kick swings out this far forward and comes back to the same plant


def _frame_point(origin: np.ndarray, yaw: float, x: float, z: float) -> np.ndarray:
    return origin + np.array([np.cos(yaw) * x + np.sin(yaw) * z, -np.sin(yaw) * x + np.cos(yaw) * z])


def _choreograph(moves: list[str], rng: np.random.Generator) -> tuple[list[_Step], list[tuple[float, float]]]:
    """Foot steps of a bar-by-bar list of moves, and (beat, weight) marks (1: over the left foot)."""
    steps: list[_Step] = []
    weights: list[tuple[float, float]] = []
    origin, yaw = np.zeros(2), 0.0
    lift = float(rng.uniform(6, 12))

    def step(foot: str, beat: float, dx: float = 0.0, dz: float = 0.0, high: float = lift, kick: float = 0.0,
             shift: bool = True):
        toe_out = np.radians(8.0) * (1 if foot == "L" else -1)
        target = _frame_point(origin, yaw, HOME[foot] + dx, dz)
        steps.append(_Step(foot, beat - 0.45, beat, target, yaw + toe_out, high, kick))
        if shift:  # the weight moves onto the other foot
            weights.append((beat - 0.3, 0.15 if foot == "L" else 0.85))

    for bar, move in enumerate(moves):
        b0 = 4.0 * bar
        side = 1.0 if rng.random() < 0.5 else -1.0
        if move == "step-touch":
            for k, (foot, shift) in enumerate((("L", 22.0), ("R", 0.0), ("R", -22.0), ("L", 0.0))):
                origin = _frame_point(origin, yaw, shift, 0.0)
                step(foot, b0 + k + 1, dx=(-6.0 if k % 2 else 0.0) * (1 if foot == "L" else -1))
        elif move == "march":
            for k in range(4):
                step("LR"[k % 2], b0 + k + 1, high=lift * 1.6)
        elif move in ("walk-forward", "walk-back"):
            stride = 24.0 if move == "walk-forward" else -20.0
            for k in range(4):
                origin = _frame_point(origin, yaw, 0.0, stride)
                step("LR"[k % 2], b0 + k + 1)
        elif move == "turn":
            for k in range(4):
                yaw += side * np.pi / 4
                step("LR"[k % 2] if side > 0 else "RL"[k % 2], b0 + k + 1)
        elif move == "kick":
            for k in range(4):
                foot = "LR"[k % 2]
                step(foot, b0 + k + 1, high=lift * 2.5, kick=55.0)
        elif move == "jump":  # off both feet after beats 1 and 3, landing on 2 and 4
            for k in (2, 4):
                step("L", b0 + k, high=lift * 1.3, shift=False)
                step("R", b0 + k, high=lift * 1.3, shift=False)
                weights.append((b0 + k - 0.3, 0.5))
        elif move == "sway":
            step("L", b0 + 1, dx=10.0)
            step("R", b0 + 2, dx=-10.0)
            weights += [(b0 + 2.5, 0.9), (b0 + 3.5, 0.1), (b0 + 4.5, 0.9)]
        else:  # bounce: feet stay, the knees work
            weights.append((b0 + 1.0, 0.5))
    return steps, sorted(weights)


def _smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing along the first axis (edges held)."""
    if sigma <= 0:
        return x
    radius = int(3 * sigma) + 1
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    padded = np.concatenate([np.repeat(x[:1], radius, 0), x, np.repeat(x[-1:], radius, 0)])
    return np.stack([np.convolve(padded[:, k], kernel, mode="valid") for k in range(x.shape[1])], axis=1) \
        if x.ndim == 2 else np.convolve(padded, kernel, mode="valid")


def _feet(steps: list[_Step], beats: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per foot, the ankle's path (T, 3) and the foot's yaw (T,): planted between steps, an arc during them."""
    out = {}
    for foot in "LR":
        place = np.array([HOME[foot], 0.0])
        yaw = np.radians(8.0) * (1 if foot == "L" else -1)
        pos = np.zeros((len(beats), 3))
        yaws = np.zeros(len(beats))
        pos[:, 0], pos[:, 2], pos[:, 1], yaws[:] = place[0], place[1], ANKLE, yaw
        for s in (s for s in steps if s.foot == foot):
            u = np.clip((beats - s.start) / (s.end - s.start), 0.0, 1.0)
            ease = u * u * (3 - 2 * u)
            moving = (beats >= s.start) & (beats < s.end)
            after = beats >= s.end
            xz = place + ease[:, None] * (s.target - place)
            arc = np.sin(np.pi * u)
            forward = np.array([np.sin(s.yaw), np.cos(s.yaw)])
            kick = (s.kick * arc)[:, None] * forward
            pos[moving, 0], pos[moving, 2] = (xz + kick)[moving, 0], (xz + kick)[moving, 1]
            pos[moving, 1] = ANKLE + s.lift * arc[moving]
            yaws[moving] = yaw + ease[moving] * (s.yaw - yaw)
            pos[after, 0], pos[after, 2], pos[after, 1] = s.target[0], s.target[1], ANKLE
            yaws[after] = s.yaw
            place, yaw = s.target, s.yaw
        out[foot] = (pos, yaws)
    return out


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def _leg(hip: np.ndarray, ankle: np.ndarray, forward: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Thigh and shin directions (T, 3) reaching from ``hip`` to ``ankle`` with the knee toward ``forward``."""
    reach = ankle - hip
    d = np.clip(np.linalg.norm(reach, axis=-1), abs(THIGH - SHIN) + 1e-3, (THIGH + SHIN) * 0.999)
    u = _unit(reach)
    pole = _unit(forward - np.sum(forward * u, axis=-1, keepdims=True) * u)
    cos_a = np.clip((THIGH**2 + d**2 - SHIN**2) / (2 * THIGH * d), -1.0, 1.0)
    thigh = cos_a[:, None] * u + np.sqrt(1 - cos_a**2)[:, None] * pole
    knee = hip + THIGH * thigh
    return thigh, _unit(hip + d[:, None] * u - knee)


def _arm_directions(style: str, beats: np.ndarray, side: float, energy: float) -> tuple[np.ndarray, np.ndarray]:
    """Upper-arm and forearm directions (T, 3) in the chest's frame for the left arm (side +1) or right (-1)."""
    pulse = (0.5 + 0.5 * np.cos(2 * np.pi * beats)) ** 3  # peaks on each beat
    half = np.sin(np.pi * beats)  # one swing per two beats
    n = len(beats)
    if style == "swing":
        a = np.radians(35 * energy) * half * side
        upper = np.stack([np.full(n, 0.18), -np.cos(a), np.sin(a)], -1)
        fore = np.stack([np.full(n, 0.1), -np.cos(a + 0.5), np.sin(a + 0.5)], -1)
    elif style == "pump":
        upper = np.stack([np.full(n, 0.35), -0.8 + 0.3 * energy * pulse, np.full(n, 0.45)], -1)
        fore = np.stack([np.full(n, 0.05), 0.2 + 0.8 * energy * pulse, np.full(n, 0.9)], -1)
    elif style == "clap":
        clap = (0.5 + 0.5 * np.cos(np.pi * (beats - 1))) ** 4  # hands meet on the off-beats 2 and 4
        upper = np.stack([0.45 - 0.3 * clap, np.full(n, -0.55), 0.5 + 0.3 * clap], -1)
        fore = np.stack([0.2 - 1.1 * clap, 0.15 + 0.3 * clap, np.full(n, 0.9)], -1)
    elif style == "punch":
        mine = (np.floor(beats).astype(int) % 2 == 0) == (side > 0)
        up = np.where(mine, pulse ** 0.5, 0.0) * energy
        upper = np.stack([0.3 - 0.1 * up, -0.7 + 1.8 * up, 0.5 - 0.3 * up], -1)
        fore = np.stack([0.05 + 0.1 * up, 0.3 + 0.8 * up, 0.9 - 0.8 * up], -1)
    elif style == "wave":
        a = np.radians(30 + 25 * energy * np.sin(np.pi * beats / 2)) * np.ones(n)
        upper = np.stack([np.sin(a), np.cos(a), np.full(n, 0.15)], -1)
        fore = np.stack([np.sin(a - 0.6 * np.sin(np.pi * beats / 2)), np.cos(a), np.full(n, 0.2)], -1)
    elif style == "point":  # disco: one arm points up and out on beats 1 and 3, down across on 2 and 4
        pointing = (np.floor(beats / 4).astype(int) % 2 == 0) == (side > 0)
        high = ((0.5 + 0.5 * np.cos(np.pi * beats)) ** 2)[:, None]
        aim = _unit(high * np.array([0.45, 0.85, 0.25]) + (1 - high) * np.array([-0.35, -0.8, 0.45]))
        hip_upper = np.broadcast_to(_unit(np.array([0.55, -0.7, -0.2])), (n, 3))
        hip_fore = np.broadcast_to(_unit(np.array([-0.5, -0.2, 0.1])), (n, 3))
        upper = np.where(pointing[:, None], aim, hip_upper)
        fore = np.where(pointing[:, None], aim, hip_fore)
    else:  # open: arms out to the sides, rising on the beat
        e = np.radians(-45 + 60 * energy * pulse)
        upper = np.stack([np.cos(e), np.sin(e), np.full(n, 0.25)], -1)
        fore = np.stack([np.cos(e + 0.3), np.sin(e + 0.3), np.full(n, 0.35)], -1)
    mirror = np.array([side, 1.0, 1.0])
    return _unit(upper * mirror), _unit(fore * mirror)


def _bar_values(per_bar: list, beats: np.ndarray) -> list:
    """Each frame's entry of a per-bar list."""
    index = np.clip((beats // 4).astype(int), 0, len(per_bar) - 1)
    return [per_bar[i] for i in index]


def dance_take(seed: int, tempo: float, bars: int = 12, fps: float = 30.0) -> tuple[Motion, list[str]]:
    """One take: ``bars`` bars of 4 beats at ``tempo`` BPM, and the moves it dances (one per bar)."""
    rng = np.random.default_rng(seed)
    pool = ["step-touch", "march", "walk-forward", "walk-back", "turn", "kick", "jump", "sway", "bounce"]
    moves = []
    while len(moves) < bars:
        move = str(rng.choice(pool))
        moves += [move, move] if rng.random() < 0.6 else [move]  # moves come in pairs, as phrases do
    moves = moves[:bars]
    arms = []
    for _ in range(0, bars, 2):
        style = str(rng.choice(ARMS))
        arms += [style, style]
    arms = arms[:bars]
    energy = float(rng.uniform(0.7, 1.0))
    bounce = float(rng.uniform(2.5, 5.0))

    frames = int(round((bars * 4 + 1) * 60.0 / tempo * fps))
    t = np.arange(frames) / fps
    beats = t * tempo / 60.0
    steps, marks = _choreograph(moves, rng)
    feet = _feet(steps, beats)
    weight_marks = np.array([(0.0, 0.5)] + marks + [(beats[-1] + 1, 0.5)])
    weight = _smooth(np.interp(beats, weight_marks[:, 0], weight_marks[:, 1]), 0.12 * fps * 60 / tempo)

    (left, left_yaw), (right, right_yaw) = feet["L"], feet["R"]
    body_yaw = _smooth(np.unwrap((left_yaw + right_yaw) / 2.0), 0.2 * fps * 60 / tempo)
    twist = np.radians(8) * energy * np.sin(np.pi * beats) * np.array([m != "turn" for m in _bar_values(moves, beats)])
    centre = (left + right) / 2.0 + ((weight - 0.5) * 0.7)[:, None] * (left - right)
    depth = np.array([2.0 if m == "bounce" else 1.0 for m in _bar_values(moves, beats)])
    drop = bounce * _smooth(depth, 0.3 * fps) * (0.5 + 0.5 * np.cos(2 * np.pi * beats)) ** 2
    airborne = np.maximum(np.minimum(left[:, 1], right[:, 1]) - ANKLE, 0.0)  # both feet up: a jump
    pelvis = np.stack([centre[:, 0], 95.0 - 3.0 - drop + airborne, centre[:, 2]], -1)  # knees a little bent

    roll = np.radians(6) * (weight - 0.5) * 2
    pelvis_rot = yaw_rotation(body_yaw + twist) @ axis_rotation("Z", np.degrees(-roll)) \
        @ axis_rotation("X", 4 + 3 * drop / bounce)
    sk = figure_skeleton()
    index = {n: j for j, n in enumerate(sk.names)}
    for foot, hip_name in ((left, "LeftUpLeg"), (right, "RightUpLeg")):  # keep every foot within reach
        hip = pelvis + np.einsum("tij,j->ti", pelvis_rot, sk.offsets[index[hip_name]])
        across = np.linalg.norm((foot - hip)[:, [0, 2]], axis=-1)
        highest = foot[:, 1] + np.sqrt(np.maximum((0.97 * (THIGH + SHIN)) ** 2 - across**2, 1.0))
        pelvis[:, 1] -= np.maximum(hip[:, 1] - highest, 0.0)

    rotations = np.broadcast_to(np.eye(3), (frames, sk.joints, 3, 3)).copy()
    rotations[:, 0] = pelvis_rot
    pulse = (0.5 + 0.5 * np.cos(2 * np.pi * beats)) ** 3
    lean = axis_rotation("X", 3 * pulse * energy) @ axis_rotation("Z", 5 * (weight - 0.5) * 2)
    rotations[:, index["Spine"]] = lean
    rotations[:, index["Chest"]] = axis_rotation("Y", -np.degrees(twist) * 1.6) @ axis_rotation("X", -2 * pulse)
    rotations[:, index["Neck"]] = axis_rotation("Y", np.degrees(twist) * 0.5)
    rotations[:, index["Head"]] = axis_rotation("X", 10 * energy * pulse - 4)

    styles = _bar_values(arms, beats)
    for side, prefix in ((1.0, "Left"), (-1.0, "Right")):
        rest = np.array([side, 0.0, 0.0])
        upper = np.zeros((frames, 3))
        fore = np.zeros((frames, 3))
        for style in set(styles):
            mask = np.array([s == style for s in styles])
            u, f = _arm_directions(style, beats, side, energy)
            upper[mask], fore[mask] = u[mask], f[mask]
        upper = _unit(_smooth(upper, 0.08 * fps))  # style changes blend over a few frames
        fore = _unit(_smooth(fore, 0.08 * fps))
        arm = turn_between(rest, upper)
        rotations[:, index[prefix + "Arm"]] = arm
        rotations[:, index[prefix + "ForeArm"]] = turn_between(rest, np.einsum("tji,tj->ti", arm, fore))
        rotations[:, index[prefix + "Hand"]] = axis_rotation("Z", -side * 15 * pulse)

    forward = np.einsum("tij,j->ti", pelvis_rot, [0.0, 0.0, 1.0])
    down = np.array([0.0, -1.0, 0.0])
    for foot, yaw, prefix in ((left, left_yaw, "Left"), (right, right_yaw, "Right")):
        hip = pelvis + np.einsum("tij,j->ti", pelvis_rot, sk.offsets[index[prefix + "UpLeg"]])
        thigh_dir, shin_dir = _leg(hip, foot, forward)
        up_leg = turn_between(down, np.einsum("tji,tj->ti", pelvis_rot, thigh_dir))
        thigh_world = pelvis_rot @ up_leg
        knee = turn_between(down, np.einsum("tji,tj->ti", thigh_world, shin_dir))
        shin_world = thigh_world @ knee
        lifted = np.clip((foot[:, 1] - ANKLE) / 10.0, 0.0, 1.0)
        foot_world = yaw_rotation(yaw) @ axis_rotation("X", 25 * lifted)
        rotations[:, index[prefix + "UpLeg"]] = up_leg
        rotations[:, index[prefix + "Leg"]] = knee
        rotations[:, index[prefix + "Foot"]] = np.swapaxes(shin_world, -1, -2) @ foot_world
    return Motion(sk, 1.0 / fps, rotations, pelvis), moves


def write_demo_folder(target: str | Path, count: int = 24, seed: int = 0) -> Path:
    """Writes ``count`` demo takes into ``target`` (once: existing files are kept, so the import cache holds)."""
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        tempo = TEMPOS[i % len(TEMPOS)]
        fps = 60.0 if i % 6 == 5 else 30.0  # a few takes at another rate, as mixed folders are
        path = target / f"demo-{i:02d}-{tempo}bpm.bvh"
        if path.exists():
            continue
        motion, moves = dance_take(seed * 1000 + i, tempo, fps=fps)
        write_bvh(path, motion, [f"gan-studio demo take {i}: {tempo} bpm, moves {' '.join(moves)}"])
    return target
