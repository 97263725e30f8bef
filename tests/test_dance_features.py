"""Clip -> windows -> clip: the dance channels, their inverse, mirroring and resampling, on motions made here."""
from __future__ import annotations

import numpy as np
import pytest
from dance_takes import JOINTS, dance

from studio.domains.dance.features import (
    MIRROR,
    ChannelLayout,
    FeatureOptions,
    Rig,
    canonical_frame,
    clip_windows,
    cut_windows,
    features_to_motion,
    mirror_features,
    motion_features,
    resample,
    rig_for,
)
from studio.domains.dance.rotations import yaw_rotation
from studio.domains.dance.skeleton import Motion, mirror_pairs, world_transforms

def rig_of(motion: Motion) -> Rig:
    return rig_for(motion.skeleton, canonical_frame(motion))


def in_body_frame(motion: Motion) -> np.ndarray:
    """World positions relative to the pelvis, turned so the body faces +Z: what survives normalisation."""
    rig = rig_of(motion)
    rot, pos = world_transforms(motion.skeleton, motion.rotations, motion.root_positions, motion.translations)
    pelvis = rot[:, rig.pelvis] @ rig.canon.T
    heading = np.arctan2(pelvis[:, 0, 2], pelvis[:, 2, 2])
    rel = pos - pos[:, rig.pelvis:rig.pelvis + 1] * np.array([1, 0, 1])
    return np.einsum("tji,tkj->tki", yaw_rotation(heading), rel)


@pytest.mark.parametrize("baked", [False, True])
def test_canonical_frame_finds_upright_and_left(baked):
    motion = dance(30, baked=baked)
    rig = rig_of(motion)
    assert rig.pelvis == 1 and rig.joints == list(range(1, len(JOINTS)))
    x = motion_features(motion, rig)
    assert x.shape == (ChannelLayout(len(JOINTS) - 1).channels, motion.frames)
    np.testing.assert_allclose(x[ChannelLayout.HEIGHT] * rig.height, 90 + 3 * np.sin(4 * np.arange(181) / 30),
                               atol=1e-9)
    # the pelvis walks forward (+z in its facing frame) and turns left at about 0.4 rad/s
    assert x[ChannelLayout.VELOCITY][1].mean() > 0.2 and np.allclose(x[ChannelLayout.TURN], 0.4, atol=1e-3)
    body_pose = in_body_frame(motion)
    assert body_pose[:, 4, 0].mean() > 0 > body_pose[:, 6, 0].mean()  # the left arm is on +X


@pytest.mark.parametrize("baked", [False, True])
def test_window_to_motion_to_window_is_identity(baked):
    motion = dance(30, baked=baked, seed=1)
    rig = rig_of(motion)
    windows = cut_windows(motion_features(motion, rig), frames=60, hop=45)
    assert windows.shape[0] == 4  # starts 0, 45, 90 and one ending at the clip's end (121)
    for window in windows:
        again = motion_features(features_to_motion(window, rig, 30.0), rig)
        np.testing.assert_allclose(again, window, atol=1e-9)
    back = features_to_motion(motion_features(motion, rig), rig, 30.0)
    np.testing.assert_allclose(in_body_frame(back), in_body_frame(motion), atol=1e-6)


def test_rig_survives_json():
    motion = dance(30, baked=True)
    rig = rig_of(motion)
    again = Rig.from_dict(rig.to_dict())
    x = motion_features(motion, rig)
    np.testing.assert_allclose(motion_features(motion, again), x, atol=1e-6)


@pytest.mark.parametrize("baked", [False, True])
def test_mirror_swaps_sides_and_twice_is_identity(baked):
    motion = dance(30, baked=baked, seed=2)
    rig = rig_of(motion)
    x = motion_features(motion, rig)
    np.testing.assert_allclose(mirror_features(mirror_features(x, rig, 30.0), rig, 30.0), x, atol=1e-9)
    mirrored = features_to_motion(mirror_features(x, rig, 30.0), rig, 30.0)
    pairs = mirror_pairs(motion.skeleton)
    expected = in_body_frame(motion)[:, pairs] @ MIRROR
    np.testing.assert_allclose(in_body_frame(mirrored), expected, atol=1e-6)


def test_sixty_and_thirty_fps_give_the_same_windows():
    options = FeatureOptions(fps=30, window_seconds=2.0, hop_seconds=1.0, mirror=False)
    slow, fast = dance(30, seconds=5), dance(60, seconds=5)
    assert resample(fast, 30).frames == slow.frames
    a = clip_windows(slow, rig_of(slow), options)
    b = clip_windows(fast, rig_of(slow), options)
    assert a.shape == b.shape == (4, rig_of(slow).layout.channels, 60)
    assert np.abs(a - b).max() < 0.02


def test_windows_count_and_mirrored_copies():
    motion = dance(30, seconds=3)
    rig = rig_of(motion)
    windows = clip_windows(motion, rig, FeatureOptions(window_seconds=2.0, hop_seconds=0.5))
    assert windows.shape[0] == 2 * 3  # starts at 0, 15, 30 frames of 91, each with its mirror image
    np.testing.assert_allclose(windows[3:], mirror_features(windows[:3], rig, 30.0))
    assert clip_windows(dance(30, seconds=1), rig, FeatureOptions()).shape[0] == 0  # shorter than 4 s
    with pytest.raises(ValueError, match="fps"):
        FeatureOptions(fps=0)
    with pytest.raises(ValueError, match="window_seconds must be a number of seconds, not 'long'"):
        FeatureOptions.from_dict({"window_seconds": "long"})
