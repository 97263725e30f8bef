"""Device choice and mixed precision: bfloat16 only where the hardware multiplies it natively."""
from __future__ import annotations

import pytest
import torch

from studio.core import devices


@pytest.fixture
def capabilities(monkeypatch):
    """Pretend the CPU reports the given features (the probe's cache is cleared around the test)."""
    def pretend(**features):
        monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: dict(features))
        devices.cpu_has_native_bf16.cache_clear()

    yield pretend
    devices.cpu_has_native_bf16.cache_clear()


@pytest.mark.parametrize("features, native", [
    ({"avx2": True, "avx512_f": True, "avx512_bf16": False, "amx_bf16": False}, False),
    ({"avx2": True, "avx512_bf16": True}, True),
    ({"amx_bf16": True}, True),
    ({"neon": True, "bf16": True}, True),
    ({"neon": True}, False),
])
def test_native_bf16_is_read_from_the_cpus_features(capabilities, features, native):
    capabilities(**features)
    assert devices.cpu_has_native_bf16() is native


@pytest.mark.parametrize("native, wanted, expect", [(True, True, True), (False, True, False), (True, False, False)])
def test_cpu_autocast_only_when_wanted_and_native(capabilities, native, wanted, expect):
    capabilities(amx_bf16=native)
    layer = torch.nn.Linear(8, 8)
    with devices.autocast(torch.device("cpu"), wanted):
        assert torch.is_autocast_enabled("cpu") is expect
        out = layer(torch.randn(2, 8))
    assert out.dtype == (torch.bfloat16 if expect else torch.float32)
    assert not torch.is_autocast_enabled("cpu")


def test_pick_device_names_what_is_missing():
    assert devices.pick_device("cpu") == torch.device("cpu")
    assert devices.pick_device("auto") == torch.device(devices.available_devices()[0])
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no usable CUDA GPU"):
            devices.pick_device("cuda")
