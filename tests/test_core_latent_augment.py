import numpy as np
import pytest
import torch

from studio.core import latent
from studio.core.augment import diff_augment


def test_seed_to_z_is_reproducible_and_distinct():
    a = latent.seed_to_z(7, 64)
    assert np.array_equal(a, latent.seed_to_z(7, 64))
    assert not np.allclose(a, latent.seed_to_z(8, 64))
    assert a.dtype == np.float32 and a.shape == (64,)


def test_slerp_keeps_norm_and_hits_ends():
    a, b = latent.seed_to_z(1, 256), latent.seed_to_z(2, 256)
    assert np.allclose(latent.slerp(a, b, 0.0), a, atol=1e-5)
    assert np.allclose(latent.slerp(a, b, 1.0), b, atol=1e-5)
    mid = latent.slerp(a, b, 0.5)
    linear = 0.5 * (a + b)
    assert np.linalg.norm(mid) > np.linalg.norm(linear)
    assert abs(np.linalg.norm(mid) - np.linalg.norm(a)) < 0.1 * np.linalg.norm(a)


def test_bilinear_corners_and_walk():
    corners = [latent.seed_to_z(s, 16) for s in range(4)]
    assert np.allclose(latent.bilinear(corners, 0, 0), corners[0], atol=1e-5)
    assert np.allclose(latent.bilinear(corners, 1, 0), corners[1], atol=1e-5)
    assert np.allclose(latent.bilinear(corners, 0, 1), corners[2], atol=1e-5)
    assert np.allclose(latent.bilinear(corners, 1, 1), corners[3], atol=1e-5)
    path = latent.walk(corners[:3], 9)
    assert path.shape == (9, 16)
    assert np.allclose(path[0], corners[0], atol=1e-5) and np.allclose(path[4], corners[1], atol=1e-5)
    with pytest.raises(ValueError):
        latent.walk(corners[:1], 5)


def test_truncation_pulls_towards_mean():
    z = latent.seed_to_z(3, 32)
    assert np.allclose(latent.truncate(z, 1.0), z)
    assert np.allclose(latent.truncate(z, 0.0), 0)
    assert np.linalg.norm(latent.truncate(z, 0.5)) == pytest.approx(0.5 * np.linalg.norm(z), rel=1e-5)


def test_diff_augment_changes_batch_reproducibly_and_keeps_gradients():
    x = torch.rand(6, 3, 16, 16, requires_grad=True)
    a = diff_augment(x, "color,translation,cutout", torch.Generator().manual_seed(0))
    b = diff_augment(x, "color,translation,cutout", torch.Generator().manual_seed(0))
    assert torch.equal(a, b) and a.shape == x.shape
    assert not torch.allclose(a, x)
    a.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    cut = diff_augment(torch.ones(4, 1, 8, 8), "cutout", torch.Generator().manual_seed(1))
    assert ((cut == 0).float().mean(dim=(1, 2, 3)) > 0.05).all()
    with pytest.raises(ValueError, match="unknown augmentation"):
        diff_augment(x, "sparkle", torch.Generator())
