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
the autoencoder is what limits quality: with the GAN fed the training lines'
own codes, greedy decoding was as repetitive as the GAN's samples (self-BLEU-2
0.69 against 0.72; held-out real lines 0.38).  So it gets most of the ten
minutes and the cheapest steps we found (one thread, 7 minutes each, same
seeds): batches of one length (autoencoder.LengthBuckets; 0.26 s instead of
0.46 s a step of 64 lines), 128 lines a step, an encoder GRU half the
decoder's width, code noise 0.05 instead of ARAE's 0.1 (reconstructions
kept the lines apart: self-BLEU-2 0.72 -> 0.52 at 4 minutes) and a 128-d
code (exact reconstructions 6 % -> 15 %).  No word dropout: decoded with
the corpus's phrasing (phrasing.py), the held-out lines' own codes came
0.011 closer to real lines in BLEU-2 minus self-BLEU-2 without it (1,800
steps each; about the size of the run-to-run spread, so a small gain at
best).  The autoencoder runs in bfloat16 where the CPU multiplies it
natively (AMX or AVX512-BF16; core/devices.py): a step of 128 KJV lines
takes about 0.16 s instead of 0.23 s, with the same loss curve over 400
steps.  On a CPU without bfloat16 the autoencoder takes about 1.4 times
as long.  The latent GAN stays in float32: its small MLPs ran no faster in
bfloat16.

The autoencoder trains as ARAE does (``adv_weight``, autoencoder.py): a GAN
learns its codes alongside, two critic steps per autoencoder step (about
13 % more time a step), and the encoder is pulled toward what the generator
makes.  Without it every GAN we tried on the KJV codes (other losses,
widths, batch sizes, priors, packing, whitening) sampled between lines and
stopped at BLEU-2 minus self-BLEU-2 of 0.26 to 0.275 near BLEU-2 0.70 (four
groups of 256 samples x two decoding seeds); the targets need 0.279.  With
weight 0.3 to 0.6 a fresh GAN on the final codes reaches 0.285 to 0.29 and
copies under 1 % of lines (1.0: 0.30, but 2 % copied).  Weight 0.8 looked
better once (0.298 over 4,096 samples, 1.6 % copied, 2,500 GAN steps) but
not in the ten-minute bench (0.289 and 0.282 over 4,096 samples, 1.3-1.5 %
copied, against 0.286-0.289 at 0.5), so 0.5 stays.  The generator that had
chased the moving codes is thrown away when the autoencoder is done
(trainer.py).  The codes crowd closer (effective dimension 28 against 41),
so the decoder needs less of the corpus's phrasing: options.py's default
went from 1.0 to 0.5, and each run now fits its own weight when it stops
(calibration.py).  2,400 autoencoder steps leave the GAN 2,600 to 3,000
steps of the ten minutes on a fast day, but the autoencoder's step time
varies with the machine's load (0.185 to 0.25 s on the bench's machine from
one day to the next), and on a slow day the GAN got 880 to 1,540; with 2,700
it got 750 to 1,550 and a run could end mid-transient (0.24).  2,100 steps
at weight 0.8 gave the GAN 2,263 steps but the lower frontier above.
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
