"""Training recipes for pictures, from a 2-core laptop to a datacentre GPU.

All use the hinge loss with a spectrally normalised D and DiffAugment
(colour, translation, cutout) on real and fake alike: the combination that
keeps D from memorising a folder of a few hundred pictures (DiffAugment,
FastGAN).  The CPU recipes trade width for speed (see ``nets.py``) and take
batches of 64: two cores stay busier on fewer, larger operations, and a busy
machine slows them less.  They use Adam without momentum (beta1 0, as in
SNGAN and StyleGAN) at twice the usual rate, which spectral norm keeps
stable and which markedly improves the first minutes, and a short EMA: a CPU
run lasts a few thousand steps, and an average over the last thousand would
still show its first blurry minutes.  They ask for bfloat16 autocast, which
core/devices.py grants only on CPUs that multiply bfloat16 natively (AMX,
AVX512-BF16), where it trains markedly faster and better in the same minutes
(docs/experiments/2026-12-06-tuning-history.md); elsewhere they train in float32.
"""
from __future__ import annotations

from studio.core.domain import Preset

AUGMENT = "color,translation,cutout"

# The CPU nets: narrow at high resolution, a sub-pixel output layer, 3x3 strided convs in D, NHWC weights.
_CPU_NET = {
    "g_width": 24,
    "g_cap": 192,
    "g_norm": "batch",
    "g_act": "lrelu",
    "g_convs": 1,
    "g_out": "subpixel",
    "d_width": 24,
    "d_cap": 192,
    "d_kernel": 3,
    "channels_last": True,
}

# FastGAN-lite: GLU blocks of two convs, skip-layer excitation, a residual D that rebuilds reals.
_GPU_NET = {
    "g_cap": 512,
    "g_norm": "batch",
    "g_act": "glu",
    "g_convs": 2,
    "g_out": "conv",
    "sle": True,
    "d_cap": 512,
    "d_norm": "batch",
    "d_residual": True,
    "d_kernel": 4,
    "decoder": True,
    "decoder_size": 128,
}


def _cpu(name: str, size: int, description: str, **net: object) -> Preset:
    return Preset(
        name=name,
        description=description,
        z_dim=128,
        batch_size=64,
        lr_g=4e-4,
        lr_d=4e-4,
        betas=(0.0, 0.99),
        loss="hinge",
        ema_beta=0.99,
        ema_start=100,
        augment=AUGMENT,
        steps=4000,
        sample_every=100,
        metrics_every=250,
        checkpoint_every=500,
        device_kind="cpu",
        mixed_precision=True,
        net={**_CPU_NET, **net},
        import_options={"size": size},
    )


def _gpu(name: str, size: int, description: str, width: int, batch: int) -> Preset:
    return Preset(
        name=name,
        description=description,
        z_dim=256,
        batch_size=batch,
        lr_g=2e-4,
        lr_d=2e-4,
        betas=(0.5, 0.999),
        loss="hinge",
        ema_beta=0.999,
        ema_start=500,
        augment=AUGMENT,
        steps=30000,
        sample_every=500,
        metrics_every=2000,
        checkpoint_every=2000,
        device_kind="gpu",
        mixed_precision=True,
        channels_last=True,
        net=dict(_GPU_NET, g_width=width, d_width=width),
        import_options={"size": size},
    )


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        _cpu("cpu-32", 32, "32 px thumbnails: the quickest start on any CPU", g_width=32, d_width=32),
        _cpu("cpu-64", 64, "64 px on a laptop CPU: recognisable pictures in minutes"),
        _gpu("gpu-128", 128, "128 px FastGAN-lite for one GPU: folders of a few hundred pictures", 64, 32),
        _gpu("gpu-256", 256, "256 px FastGAN-lite for a big GPU: detailed paintings over hours of training", 32, 16),
    )
}

DEFAULTS = {"cpu": "cpu-64", "cuda": "gpu-128", "mps": "gpu-128"}
