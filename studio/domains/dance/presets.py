"""Training recipes for the Dance tab (plain data: listing them must not load torch).

Both use the hinge loss with a spectrally normalised D that sees velocities (nets.py) and Adam
without momentum, as the picture recipes do.  A window is 4 s (eight beats at 120 bpm, the beat
grid G's beat latents live on); the CPU recipe samples it at 20 frames a second, which keeps
walking and waving legible while halving the frames a 30 fps capture gives.  ``window_seconds``,
``hop_seconds`` (between window starts), ``fps`` and ``mirror`` are import options, so
``studio import dance DIR --option window_seconds=2 --option fps=15`` takes shorter, coarser windows.
Mirrored copies are off: on a skeleton whose rest pose is not mirror-symmetric (the shared takes'),
a mirrored window's spine rotations land half a turn away from the originals', and a G that
blends the two modes draws degenerate rotations that shake (docs/experiments/2026-12-06-dance-quality.md).
cpu-small's EMA averages over a thousand steps from step 1000: as D sharpens, G's weights swing
from step to step and each swing adds jitter the average leaves out (lower jerk and Fréchet distance
on the shared takes, no loss on the demo corpus; same document).  Its D weighs accelerations twice
as much as gpu-large's: G's linear doubling to full rate bends its curves at every written frame,
and a D that reads those bends louder keeps the jerk near the corpus's (same document).
"""
from __future__ import annotations

from studio.core.domain import Preset

CPU_SMALL = Preset(
    name="cpu-small",
    description=(
        "4 s windows at 20 frames a second; a temporal-convolution G with a clip latent and eight beat latents, "
        "writing at half rate for smooth motion. Recognisable movement within minutes on two cores."
    ),
    z_dim=64,
    batch_size=32,
    lr_g=4e-4,
    lr_d=4e-4,
    betas=(0.0, 0.99),
    loss="hinge",
    ema_beta=0.999,
    ema_start=1000,
    augment="",
    steps=6000,
    sample_every=100,
    metrics_every=250,
    checkpoint_every=500,
    device_kind="cpu",
    net={"beat_dim": 4, "g_width": 64, "d_width": 64, "d_layers": 4, "kernel": 5, "out_stride": 2, "d_accel": 8.0},
    import_options={"window_seconds": 4.0, "hop_seconds": 1.0, "fps": 20.0, "mirror": False},
)

GPU_LARGE = Preset(
    name="gpu-large",
    description=(
        "4 s windows at 30 frames a second, wider nets and larger batches: for hours of capture on one GPU."
    ),
    z_dim=128,
    batch_size=128,
    lr_g=2e-4,
    lr_d=2e-4,
    betas=(0.0, 0.99),
    loss="hinge",
    ema_beta=0.999,
    ema_start=1000,
    augment="",
    steps=40000,
    sample_every=500,
    metrics_every=2000,
    checkpoint_every=2000,
    device_kind="gpu",
    mixed_precision=True,
    net={"beat_dim": 8, "g_width": 256, "d_width": 256, "d_layers": 5, "kernel": 5, "out_stride": 2, "d_accel": 4.0},
    import_options={"window_seconds": 4.0, "hop_seconds": 0.5, "fps": 30.0, "mirror": False},
)

PRESETS: dict[str, Preset] = {p.name: p for p in (CPU_SMALL, GPU_LARGE)}
DEFAULTS = {"cpu": "cpu-small", "cuda": "gpu-large", "mps": "gpu-large"}
