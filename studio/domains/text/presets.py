"""Training recipes for the text domain.

A text run has two phases: ``net["ae_steps"]`` steps of the character
autoencoder (the Pretrainer), then ``steps`` GAN steps in which small MLPs
learn the distribution of the autoencoder's codes.  The GAN phase is cheap
(MLPs on 64-d vectors), so WGAN-GP with 5 critic steps costs little even on
a CPU; the autoencoder is where the minutes go.

cpu-small must show samples within 10 minutes on two cores (one training
thread), and the autoencoder is what limits quality, so it gets most of the
ten minutes and the cheapest steps found: batches of one length
(autoencoder.LengthBuckets), an encoder GRU half the decoder's width, a
128-d code, code noise a little under ARAE's, no word dropout, and bfloat16
where the CPU multiplies it natively (core/devices.py); the latent GAN stays
in float32.  The autoencoder trains as ARAE does (``adv_weight``,
autoencoder.py): a GAN learns its codes alongside, two critic steps per
autoencoder step, and the encoder is pulled toward what the generator makes;
that generator is thrown away when the autoencoder is done (trainer.py).
The codes then crowd closer, so decoding needs less of the corpus's phrasing
(options.py), and each run fits its own weight when it stops
(calibration.py).  The measurements behind each of these choices, and the
bench that reproduces them, are in docs/experiments/2026-12-06-tuning-history.md.
"""
from __future__ import annotations

from studio.core.domain import Preset

CPU_SMALL = Preset(
    name="cpu-small",
    description="GRU autoencoder (128-d code) + latent WGAN-GP; readable lines in about 10 minutes on one CPU core",
    z_dim=64,
    batch_size=64,
    lr_g=1e-4,
    lr_d=1e-4,
    betas=(0.5, 0.9),
    loss="wgan-gp",
    d_steps=5,
    gp_weight=10.0,
    ema_beta=0.995,
    ema_start=500,
    steps=2000,
    sample_every=200,
    metrics_every=500,
    checkpoint_every=1000,
    device_kind="cpu",
    net={
        "ae_steps": 2400,
        "ae_mixed_precision": True,
        "ae_batch": 128,
        "ae_lr": 3e-3,
        "emb_dim": 64,
        "hidden": 256,
        "enc_hidden": 128,
        "code_dim": 128,
        "layers": 1,
        "code_noise": 0.05,
        "word_dropout": 0.0,
        "adv_weight": 0.5,
        "adv_d_steps": 2,
        "out_rank": 64,
        "g_hidden": 256,
        "d_hidden": 256,
    },
    import_options={"unit": "line", "max_len": 64, "min_count": 3, "max_vocab": 3000, "max_lines": 200_000},
)

GPU_LARGE = Preset(
    name="gpu-large",
    description="Two-layer GRU autoencoder (128-d code), wider latent GAN, longer lines",
    z_dim=64,
    batch_size=256,
    lr_g=1e-4,
    lr_d=1e-4,
    betas=(0.5, 0.9),
    loss="wgan-gp",
    d_steps=5,
    gp_weight=10.0,
    ema_beta=0.999,
    ema_start=1000,
    steps=20000,
    sample_every=500,
    metrics_every=1000,
    checkpoint_every=2000,
    device_kind="gpu",
    net={
        "ae_steps": 20000,
        "ae_lr": 1e-3,
        "emb_dim": 128,
        "hidden": 512,
        "code_dim": 128,
        "layers": 2,
        "code_noise": 0.1,
        "word_dropout": 0.1,
        "adv_weight": 0.5,
        "adv_d_steps": 2,
        "g_hidden": 512,
        "d_hidden": 512,
    },
    import_options={"unit": "line", "max_len": 128, "min_count": 2, "max_vocab": 8000, "max_lines": 1_000_000},
)

PRESETS: dict[str, Preset] = {p.name: p for p in (CPU_SMALL, GPU_LARGE)}
