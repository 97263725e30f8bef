"""The explorer's state without a window: anchors, pad position, ψ and options as one immutable value."""
from __future__ import annotations

import numpy as np
import pytest

from studio.core.explorer_state import BOTTOM_RIGHT, TOP_LEFT, TOP_RIGHT, ExplorerState
from studio.core.latent import seed_to_z, truncate


def test_every_change_is_a_new_state_and_the_old_one_stands():
    start = ExplorerState().with_z_dim(8)
    moved = start.with_position(1.4, -0.2).with_psi(2.0).with_options({"threshold": 0.3})
    assert (start.u, start.v, start.psi, dict(start.options)) == (0.5, 0.5, 1.0, {})
    assert (moved.u, moved.v, moved.psi, moved.options) == (1.0, 0.0, 1.5, {"threshold": 0.3})
    assert moved.with_options({"key": "C"}).options == {"threshold": 0.3, "key": "C"}
    assert start.seeds() == [0, 1, 2, 3] and start.anchors[TOP_RIGHT].z.shape == (8,)


def test_at_a_corner_with_psi_one_the_record_is_that_seed_s_sample():
    state = ExplorerState().with_z_dim(8).with_seed(TOP_RIGHT, 42).with_position(1.0, 0.0)
    assert state.corner() == TOP_RIGHT
    np.testing.assert_allclose(state.latent(), seed_to_z(42, 8), atol=1e-6)
    record = state.record()
    assert record["seed"] == 42 and record["seeds"] == [0, 42, 2, 3] and record["psi"] == 1.0
    assert state.with_psi(0.5).record()["seed"] is None  # truncated: no longer the seed's own sample
    assert state.record(edits={"edits": {"0": 2.0}})["seed"] is None
    assert state.with_position(0.5, 0.5).record()["seed"] is None
    np.testing.assert_allclose(state.with_psi(0.5).corner_latents()[TOP_RIGHT], truncate(seed_to_z(42, 8), 0.5))


def test_a_given_latent_keeps_its_label_until_a_model_of_another_size():
    state = ExplorerState().with_z_dim(4)
    with pytest.raises(ValueError, match="z_dim 4"):
        state.with_latent(TOP_LEFT, np.ones(5), "too long")
    placed = state.with_latent(BOTTOM_RIGHT, np.ones(4), "my line")
    assert placed.seeds()[BOTTOM_RIGHT] is None and placed.labels()[BOTTOM_RIGHT] == "my line"
    assert placed.with_z_dim(4).labels()[BOTTOM_RIGHT] == "my line"
    other = placed.with_z_dim(6)
    assert other.labels() == [None] * 4 and other.seeds() == [0, 1, 2, 3]
    np.testing.assert_allclose(other.anchors[BOTTOM_RIGHT].z, seed_to_z(3, 6))


def test_the_look_changes_with_anchors_psi_and_options_not_with_the_position():
    state = ExplorerState().with_z_dim(4)
    assert state.with_position(0.1, 0.9).look() == state.look()
    for changed in (state.with_psi(0.7), state.with_seed(0, 9), state.with_options({"threshold": 0.2})):
        assert changed.look() != state.look()


def test_the_walk_visits_the_corners_in_order():
    state = ExplorerState().with_z_dim(8)
    latents = state.walk_latents(8, loop=False)
    assert latents.shape == (8, 8)
    np.testing.assert_allclose(latents[0], seed_to_z(0, 8), atol=1e-5)
    np.testing.assert_allclose(latents[-1], seed_to_z(2, 8), atol=1e-5)  # ends at bottom-left
