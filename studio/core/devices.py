"""Choosing where training runs, and leaving a core to the GUI.

CUDA first, then Apple's MPS, then the CPU; the user can override.  On the
CPU torch gets (cores - 1) threads so the window stays responsive.  Presets
that ask for mixed precision get bfloat16 autocast wherever the hardware
multiplies bfloat16 natively: CUDA GPUs, and CPUs with AMX, AVX512-BF16 or
ARM's BF16 extension (elsewhere bfloat16 is emulated and slower than float32).
"""
from __future__ import annotations

import os
from contextlib import AbstractContextManager, nullcontext
from functools import lru_cache

import torch

CPU_BF16_FEATURES = ("amx_bf16", "avx512_bf16", "bf16", "sve_bf16")  # x86 and ARM names in torch.cpu.get_capabilities()


def available_devices() -> list[str]:
    """Device names the user may pick, best first ("cuda", "cuda:1", "mps", "cpu")."""
    names: list[str] = []
    if torch.cuda.is_available():
        count = torch.cuda.device_count()
        names += ["cuda"] + [f"cuda:{i}" for i in range(1, count)]
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        names.append("mps")
    names.append("cpu")
    return names


def pick_device(requested: str | None = "auto") -> torch.device:
    """The requested device, or the best available one for "auto"/None; a clear error for one that isn't there."""
    if requested in (None, "", "auto"):
        return torch.device(available_devices()[0])
    device = torch.device(requested)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {requested!r} was asked for, but this machine has no usable CUDA GPU")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ValueError(f"device {requested!r} was asked for, but only {torch.cuda.device_count()} GPU(s) exist")
    if device.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError("device 'mps' was asked for, but Apple's Metal backend is not available here")
    return device


def cpu_threads_for_training() -> int:
    """(cores − 1), at least one: one core stays free for the event loop."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores - 1)


def configure_threads(device: torch.device) -> int:
    """Applies the thread rule for ``device`` and returns the thread count now in force."""
    if device.type == "cpu":
        torch.set_num_threads(cpu_threads_for_training())
    return torch.get_num_threads()


@lru_cache(maxsize=1)
def cpu_has_native_bf16() -> bool:
    """Whether this CPU has bfloat16 matrix instructions, where autocast makes a step faster (measured in
    docs/experiments/2026-12-06-tuning-history.md)."""
    capabilities = torch.cpu.get_capabilities() if hasattr(torch.cpu, "get_capabilities") else {}
    return any(bool(capabilities.get(name)) for name in CPU_BF16_FEATURES)


def autocast(device: torch.device, mixed_precision: bool) -> AbstractContextManager:
    """bfloat16 autocast for forward passes if ``mixed_precision`` is asked for and ``device`` has it natively."""
    native = device.type == "cuda" or (device.type == "cpu" and cpu_has_native_bf16())
    if mixed_precision and native:
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return nullcontext()


def describe(device: torch.device) -> str:
    """A human label, e.g. "NVIDIA H100 (cuda:0)" or "CPU, 1 training thread"."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"{torch.cuda.get_device_name(index)} (cuda:{index})"
    if device.type == "mps":
        return "Apple GPU (mps)"
    threads = torch.get_num_threads()
    return f"CPU, {threads} training thread{'s' if threads != 1 else ''}"
