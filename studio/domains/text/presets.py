"""Training recipes for the text domain.

A text run has two phases: ``net["ae_steps"]`` steps of the character
autoencoder (the Pretrainer), then ``steps`` GAN steps in which small MLPs
learn the distribution of the autoencoder's codes.  The GAN phase is cheap
(MLPs on 64-d vectors), so WGAN-GP with 5 critic steps costs little even on
a CPU; the autoencoder is where the minutes go.

Measured on the English demo verse (2000 + 2000 steps, one thread): code
noise 0.1 during autoencoder training (ARAE's value) is what brings samples
to real-line quality; with 0.01 the autoencoder rebuilds lines better but
the GAN's codes fall between lines and decode to blends (BLEU-2 0.82-0.85
against the held-out lines' 0.92, instead of 0.93).

cpu-small must show samples within 10 minutes on two cores (one training
thread).  On the 110k clauses of the King James Bible (bench/text_quality.py)
an autoencoder step of 64 lines takes about 0.3 s (100 steps in 30 s), so
2000 steps would fill the 10 minutes before any GAN step; 1200 steps (about
7 minutes) leave room for 2500-3000 GAN steps, and ae_lr 3e-3 instead of
2e-3 gained a little in those steps (greedy self-BLEU-2 0.734 -> 0.714, real
words 96.0 -> 97.4 %).  Word dropout 0.25 instead of 0.1 made lines less
readable (real words 94.7 %) without making them more varied (0.723).
"""
from __future__ import annotations

from studio.core.domain import Preset

CPU_SMALL = Preset(
    name="cpu-small",
    description="GRU autoencoder (64-d code) + latent WGAN-GP; readable lines in about 10 minutes on one CPU core",
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
        "ae_steps": 1200,
        "ae_lr": 3e-3,
        "emb_dim": 64,
        "hidden": 256,
        "code_dim": 64,
        "layers": 1,
        "code_noise": 0.1,
        "word_dropout": 0.1,
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
        "g_hidden": 512,
        "d_hidden": 512,
    },
    import_options={"unit": "line", "max_len": 128, "min_count": 2, "max_vocab": 8000, "max_lines": 1_000_000},
)

PRESETS: dict[str, Preset] = {p.name: p for p in (CPU_SMALL, GPU_LARGE)}
