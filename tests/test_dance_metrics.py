"""The dance figures on motions made here: planted and sliding feet, smooth and shaking limbs, copies."""
from __future__ import annotations

import numpy as np
import pytest
from dance_takes import dance

from studio.domains.dance.metrics import (
    Kinematics,
    build_reference,
    dance_metrics,
    foot_skating,
    frechet_distance,
    jerk,
    limit_bounds,
    limit_violations,
    rotation_vectors,
)
from studio.domains.dance.rotations import euler_to_matrix

FPS = 30.0


def walker(slide: float = 0.0, shake: float = 0.0, frames: int = 90, seed: int = 0) -> Kinematics:
    """Two feet stepping in turn (each planted half the time), a hand, and optional sliding or shaking."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / FPS
    phase = np.sin(2 * np.pi * t)
    pos = np.zeros((frames, 4, 3))
    for foot, sign in ((0, 1.0), (1, -1.0)):
        lifted = np.clip(sign * phase, 0, None)  # in the air half the cycle
        pos[:, foot, 1] = 0.2 * lifted
        step = np.cumsum(np.where(lifted > 0.5, 0.08, 0.0))  # moves forward only while well off the floor
        pos[:, foot, 2] = step + slide * t * (lifted == 0)
        pos[:, foot, 0] = 0.1 * sign
    pos[:, 2] = [0.0, 1.0, 0.0]
    pos[:, 2, 2] = (pos[:, 0, 2] + pos[:, 1, 2]) / 2
    pos[:, 3] = pos[:, 2] + [0.3 * np.cos(t[0]), 0.2, 0.0]
    pos[:, 3, 0] += 0.2 * np.sin(3 * t)
    pos += shake * rng.standard_normal(pos.shape)
    rot = np.broadcast_to(np.eye(3), (frames, 4, 3, 3)).copy()
    return Kinematics(pos[None], rot[None], FPS, [0, 1], 1.7, pelvis=2)


def test_foot_skating_sees_feet_sliding_while_planted():
    planted = foot_skating(walker())
    assert planted < 0.02
    assert foot_skating(walker(slide=0.5)) > 0.2 > planted


def test_jerk_grows_with_shaking():
    smooth = jerk(walker())
    assert jerk(walker(shake=0.01)) > 5 * smooth


def test_rotation_vectors_and_joint_limits():
    angles = np.zeros((50, 2, 3))
    angles[:, 0, 0] = np.linspace(-40, 40, 50)  # one joint bends between -40 and 40 degrees about X
    rot = euler_to_matrix(angles, "XYZ")
    vec = rotation_vectors(rot)
    assert vec[-1, 0, 0] == pytest.approx(np.radians(40), abs=1e-6) and np.allclose(vec[:, 1], 0)
    bounds = limit_bounds(rot[None])
    assert limit_violations(rot[None], bounds) <= 0.02  # the two extreme frames lie past the percentiles
    bent = angles.copy()
    bent[:, 0, 0] = 90.0  # past the corpus's range on every frame
    assert limit_violations(euler_to_matrix(bent, "XYZ")[None], bounds) == pytest.approx(0.5)


def test_frechet_distance_is_zero_for_one_set_and_grows_with_a_shift():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((400, 6))
    b = rng.standard_normal((400, 6))
    same = frechet_distance(a, a)
    assert abs(same) < 1e-6
    near = frechet_distance(a, b)
    assert near < frechet_distance(a, b + 1.0) and near < frechet_distance(a, 3 * b)


def kinematics_of(motions) -> Kinematics:
    from studio.domains.dance.skeleton import foot_joints, skeleton_height

    sk = motions[0].skeleton
    frames = min(m.frames for m in motions)
    return Kinematics(np.stack([m.positions()[:frames] for m in motions]),
                      np.stack([m.rotations[:frames] for m in motions]), FPS, foot_joints(sk), skeleton_height(sk),
                      sk.pelvis())


def test_copies_of_training_windows_are_caught_and_new_motion_is_not():
    corpus = kinematics_of([dance(FPS, 2.0, seed=s) for s in range(12)])
    reference = build_reference(corpus)
    assert set(reference.values) == {"skate", "limits", "jerk", "fd", "diversity", "copy_rate"}
    assert reference.values["diversity"] > 0 and reference.values["copy_rate"] < 0.5
    copies = dance_metrics(corpus, reference)
    assert copies["copy_rate"] == 1.0 and copies["fd"] < 1e-3
    fresh = dance_metrics(kinematics_of([dance(FPS, 2.0, seed=100 + s) for s in range(6)]), reference)
    assert fresh["copy_rate"] == 0.0 and fresh["diversity"] > 0
