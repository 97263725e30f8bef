"""BVH reading and writing, rotations and forward kinematics, on files made here."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from studio.domains.dance.bvh import MAX_BVH_BYTES, MAX_DEPTH, BvhError, read_bvh, write_bvh
from studio.domains.dance.rotations import (
    ORDERS,
    euler_to_matrix,
    matrix_to_6d,
    matrix_to_euler,
    matrix_to_quaternion,
    quaternion_to_matrix,
    sixd_to_matrix,
    slerp,
)
from studio.domains.dance.skeleton import (
    Skeleton,
    foot_joints,
    forward_kinematics,
    mirror_pairs,
    skeleton_height,
)

# A small skeleton the way different exporters write them: a fixed joint above the hips, 6-channel joints,
# several Euler orders, an End Site and a joint without channels.
HIERARCHY = """HIERARCHY
ROOT Base
{
\tOFFSET 0 0 0
\tCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
\tJOINT Hips
\t{
\t\tOFFSET 1 90 2
\t\tCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
\t\tJOINT Spine
\t\t{
\t\t\tOFFSET 0 20 0
\t\t\tCHANNELS 3 Xrotation Yrotation Zrotation
\t\t\tJOINT Head
\t\t\t{
\t\t\t\tOFFSET 0 30 0
\t\t\t\tCHANNELS 3 Yrotation Zrotation Xrotation
\t\t\t\tEnd Site
\t\t\t\t{
\t\t\t\t\tOFFSET 0 10 0
\t\t\t\t}
\t\t\t}
\t\t}
\t\tJOINT LeftLeg
\t\t{
\t\t\tOFFSET 10 0 0
\t\t\tCHANNELS 3 Zrotation Yrotation Xrotation
\t\t\tJOINT LeftFoot
\t\t\t{
\t\t\t\tOFFSET 0 -85 0
\t\t\t\tCHANNELS 0
\t\t\t}
\t\t}
\t\tJOINT RightLeg
\t\t{
\t\t\tOFFSET -10 0 0
\t\t\tCHANNELS 3 Yrotation Xrotation Zrotation
\t\t\tJOINT RightFoot
\t\t\t{
\t\t\t\tOFFSET 0 -85 0
\t\t\t\tCHANNELS 0
\t\t\t}
\t\t}
\t}
}
"""
WIDTH = 6 + 6 + 3 + 3 + 3 + 3


def motion_text(frames: int = 5, frame_time: float = 1 / 30, rows: list[str] | None = None) -> str:
    rng = np.random.default_rng(0)
    if rows is None:
        values = rng.uniform(-60, 60, (frames, WIDTH))
        values[:, 0:3] = 0.0
        values[:, 6:9] = [1, 90, 2] + rng.normal(0, 5, (frames, 3))
        rows = [" ".join(f"{v:.6f}" for v in row) for row in values]
    return HIERARCHY + f"MOTION\nFrames: {frames}\nFrame Time: {frame_time}\n" + "\n".join(rows) + "\n"


def write(tmp_path: Path, text: str | bytes, name: str = "take.bvh") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def test_rotations_round_trip_every_euler_order_and_representation():
    rng = np.random.default_rng(1)
    angles = rng.uniform(-180, 180, (200, 3))
    angles[:, 1] = rng.uniform(-89, 89, 200)
    for order in ORDERS:
        m = euler_to_matrix(angles, order)
        np.testing.assert_allclose(matrix_to_euler(m, order), angles, atol=1e-9)
        locked = angles.copy()
        locked[:, 1] = 90.0
        m_locked = euler_to_matrix(locked, order)
        np.testing.assert_allclose(euler_to_matrix(matrix_to_euler(m_locked, order), order), m_locked, atol=1e-9)
        np.testing.assert_allclose(sixd_to_matrix(matrix_to_6d(m)), m, atol=1e-12)
        np.testing.assert_allclose(quaternion_to_matrix(matrix_to_quaternion(m)), m, atol=1e-12)
    # "ZXY" is intrinsic: rotate about Z, then the new X, then the new Y
    z, x, y = np.radians([30.0, 40.0, 50.0])
    rz = np.array([[np.cos(z), -np.sin(z), 0], [np.sin(z), np.cos(z), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, np.cos(x), -np.sin(x)], [0, np.sin(x), np.cos(x)]])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    np.testing.assert_allclose(euler_to_matrix([30, 40, 50], "ZXY"), rz @ rx @ ry, atol=1e-12)


def test_sixd_of_any_numbers_is_a_rotation_and_slerp_halves_an_angle():
    m = sixd_to_matrix(np.random.default_rng(2).normal(size=(50, 6)))
    np.testing.assert_allclose(m @ np.swapaxes(m, -1, -2), np.broadcast_to(np.eye(3), m.shape), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(m), 1.0, atol=1e-12)
    q0 = matrix_to_quaternion(np.eye(3))
    q1 = matrix_to_quaternion(euler_to_matrix([0, 90, 0], "XYZ"))
    np.testing.assert_allclose(quaternion_to_matrix(slerp(q0, q1, 0.5)), euler_to_matrix([0, 45, 0], "XYZ"),
                               atol=1e-12)


def test_reads_any_channel_layout(tmp_path):
    motion = read_bvh(write(tmp_path, motion_text(frames=7, frame_time=1 / 60)))
    sk = motion.skeleton
    assert sk.names == ["Base", "Hips", "Spine", "Head", "LeftLeg", "LeftFoot", "RightLeg", "RightFoot"]
    assert list(sk.parents) == [-1, 0, 1, 2, 1, 4, 1, 6]
    assert [sk.rotation_order(j) for j in (0, 2, 3, 4, 6)] == ["ZXY", "XYZ", "YZX", "ZYX", "YXZ"]
    assert motion.frames == 7 and motion.fps == pytest.approx(60.0)
    assert sk.pelvis() == 1 and foot_joints(sk) == [5, 7]
    np.testing.assert_allclose(sk.end_sites[3], [0, 10, 0])
    assert motion.translations is not None and motion.translations.shape == (7, 8, 3)
    assert skeleton_height(sk) == pytest.approx(20 + 30 + 10 + np.hypot(10, 85), rel=1e-6)


def test_a_byte_order_mark_and_windows_line_ends_are_read(tmp_path):
    text = motion_text().replace("\n", "\r\n")
    motion = read_bvh(write(tmp_path, b"\xef\xbb\xbf" + text.encode()))
    assert motion.frames == 5 and motion.skeleton.joints == 8


def test_joint_names_with_spaces_survive(tmp_path):
    text = motion_text().replace("JOINT LeftLeg", "JOINT Left Leg").replace("ROOT Base", "ROOT root")
    motion = read_bvh(write(tmp_path, text))
    assert motion.skeleton.names[0] == "root" and motion.skeleton.names[4] == "Left Leg"
    again = read_bvh(write_bvh(tmp_path / "out.bvh", motion))
    assert again.skeleton.names == motion.skeleton.names


def test_write_then_read_gives_the_same_motion(tmp_path):
    motion = read_bvh(write(tmp_path, motion_text(frames=9)))
    out = write_bvh(tmp_path / "out.bvh", motion, comments=["seed 7", "made by a test"])
    text = out.read_text()
    assert text.startswith("HIERARCHY\n# seed 7\n# made by a test\n")
    again = read_bvh(out)
    assert again.skeleton.signature() == motion.skeleton.signature()
    assert again.skeleton.channels == motion.skeleton.channels
    np.testing.assert_allclose(again.rotations, motion.rotations, atol=1e-6)
    np.testing.assert_allclose(again.positions(), motion.positions(), atol=1e-4)
    assert again.frame_time == pytest.approx(motion.frame_time)


def test_forward_kinematics_of_a_known_pose():
    sk = Skeleton(["root", "upper", "lower"], np.array([-1, 0, 1]), np.array([[0, 0, 0], [0, 0, 1], [0, 0, 1]]),
                  [("Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation"),
                   ("Zrotation", "Xrotation", "Yrotation"), ("Zrotation", "Xrotation", "Yrotation")])
    rotations = np.broadcast_to(np.eye(3), (1, 3, 3, 3)).copy()
    rotations[0, 0] = euler_to_matrix([0, 0, 90], "XYZ")  # root turns 90° about Z: +X goes to +Y
    rotations[0, 1] = euler_to_matrix([-90, 0, 0], "XYZ")  # elbow bends about X: +Z goes to +Y in its frame
    positions = forward_kinematics(sk, rotations, np.array([[5.0, 0.0, 0.0]]))
    np.testing.assert_allclose(positions[0], [[5, 0, 0], [5, 0, 1], [4, 0, 1]], atol=1e-12)


def test_mirror_pairs_and_feet_by_name_or_shape():
    names = ["Hips", "LeftUpLeg", "RightUpLeg", "Spine", "L_Arm", "R_Arm", "hand_l", "hand_r", "Head"]
    parents = np.array([-1, 0, 0, 0, 3, 3, 4, 5, 3])
    offsets = np.array([[0, 0, 0], [1, -5, 0], [-1, -5, 0], [0, 3, 0], [1, 2, 0], [-1, 2, 0],
                        [3, 0, 0], [-3, 0, 0], [0, 2, 0]], dtype=float)
    sk = Skeleton(names, parents, offsets, [()] * len(names))
    assert [names[j] for j in mirror_pairs(sk)] == \
        ["Hips", "RightUpLeg", "LeftUpLeg", "Spine", "R_Arm", "L_Arm", "hand_r", "hand_l", "Head"]
    assert foot_joints(sk) == [1, 2]  # no foot names: the two lowest leaf joints


BAD = {
    "empty": (b"", "empty"),
    "blank": (b"  \n\n", "empty"),
    "no_frames": (motion_text(rows=[]).replace("Frames: 5", "Frames: 0"), "no frames"),
    "truncated_rows": (motion_text().rsplit("\n", 3)[0], "truncated"),
    "truncated_value": (motion_text()[:-40], "truncated"),
    "cut_hierarchy": (HIERARCHY[: len(HIERARCHY) // 2], "cut short"),
    "wrong_count": (motion_text(rows=["0 " * WIDTH] * 2 + ["0 " * (WIDTH + 2)] + ["0 " * WIDTH] * 2),
                    "frame 3 has 26 values"),
    "nan": (motion_text(rows=["0 " * WIDTH] * 3 + ["nan " + "0 " * (WIDTH - 1)] + ["0 " * WIDTH]), "NaN"),
    "letters": (motion_text(rows=["0 " * WIDTH] * 3 + ["0 " * (WIDTH - 1) + "zero"] + ["0 " * WIDTH]),
                "frame 4 has a value that is not a number: 'zero'"),
    "png": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "PNG"),
    "random": (np.random.default_rng(3).bytes(5000), "binary"),
    "words": (motion_text().replace("OFFSET 10 0 0", "OFFSET 10 0 zero"), "not a number"),
    "not_bvh": ("Once upon a time there was a file.\n", "HIERARCHY"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_are_reported_with_their_reason(tmp_path, case):
    content, reason = BAD[case]
    with pytest.raises(BvhError, match=reason):
        read_bvh(write(tmp_path, content))


def test_deep_hierarchy_is_refused_without_recursion(tmp_path):
    depth = 5000
    text = "HIERARCHY\nROOT j0\n{\nOFFSET 0 0 0\nCHANNELS 3 Zrotation Xrotation Yrotation\n"
    text += "".join(f"JOINT j{k}\n{{\nOFFSET 0 1 0\nCHANNELS 3 Zrotation Xrotation Yrotation\n" for k in range(1, depth))
    text += "}\n" * depth + f"MOTION\nFrames: 1\nFrame Time: 0.04\n{'0 ' * 3 * depth}\n"
    started = time.perf_counter()
    with pytest.raises(BvhError, match=f"deeper than {MAX_DEPTH}"):
        read_bvh(write(tmp_path, text))
    assert time.perf_counter() - started < 5


def test_huge_file_is_refused_by_size_before_reading(tmp_path):
    path = tmp_path / "huge.bvh"
    with open(path, "wb") as f:
        f.truncate(500 * 2**20)  # sparse: no disk is used
    with pytest.raises(BvhError, match=f"limit is {MAX_BVH_BYTES // 2**20} MB"):
        read_bvh(path)
