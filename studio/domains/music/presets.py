"""Training recipes for the Music tab (plain data: listing them must not load torch).

Both CPU recipes use MuseGAN's hybrid nets at a 16th-note grid with hinge
loss and spectral norm; two tricks keep a small corpus from collapsing to one
phrase: D judges pairs of phrases (PacGAN) and G emits exact 0/1 notes
through straight-through binary neurons (BinaryMuseGAN), so D judges music,
not how close values are to 0 and 1.

Learning rates of 4e-4 and an EMA of 0.98 suit G's fast early steps
(measurements: docs/experiments/2026-12-06-music-cpu-small-recipe.md).
"""
from __future__ import annotations

from dataclasses import replace

from studio.core.domain import Preset

CPU_SMALL = Preset(
    name="cpu-small",
    description=(
        "The roles the folder uses (drums, bass, chords, melody) on the grid its notes need (16ths unless "
        "triplets or 32nds ask for more), 4 bars of 4/4 or as many bars of its metres; hinge loss with spectral norm. "
        "About 0.1-0.2 s a step on two idle cores: listenable phrases within minutes."
    ),
    z_dim=64,
    batch_size=32,
    lr_g=4e-4,
    lr_d=4e-4,
    betas=(0.0, 0.9),
    loss="hinge",
    ema_beta=0.98,  # slower averages of a fast-moving G give sparse, timid clips
    ema_start=200,
    augment="translation",
    augment_p=0.5,
    steps=3000,
    sample_every=100,
    metrics_every=250,
    checkpoint_every=500,
    device_kind="cpu",
    net={"width": 16, "bar_dim": 32, "features": 64, "sn": True, "pack": 2, "binary": True},
    import_options={"roles": "multi", "steps_per_beat": "auto", "bars": 4, "lowest": 24, "pitches": 84},
)

CPU_PIANO = replace(
    CPU_SMALL,
    name="cpu-piano",
    description="Everything merged into one piano track (drums left out), the folder's grid, 4 bars: "
    "for folders of piano pieces.",
    net=dict(CPU_SMALL.net),
    import_options={**CPU_SMALL.import_options, "roles": "merged"},
)

GPU_LARGE = Preset(
    name="gpu-large",
    description=(
        "MuseGAN-sized: the folder's roles on the grid its notes need (up to 12 steps a beat for triplets "
        "and swing), wider nets, "
        "WGAN-GP with 5 critic steps as in the paper. Needs a GPU."
    ),
    z_dim=128,
    batch_size=64,
    lr_g=1e-3,
    lr_d=1e-3,
    betas=(0.5, 0.9),
    loss="wgan-gp",
    d_steps=5,
    gp_weight=10.0,
    ema_beta=0.999,
    ema_start=1000,
    steps=20000,
    sample_every=250,
    metrics_every=1000,
    checkpoint_every=2000,
    device_kind="gpu",
    net={"width": 64, "bar_dim": 64, "features": 256, "sn": False, "pack": 2, "binary": True},
    import_options={"roles": "multi", "steps_per_beat": "auto", "bars": 4, "lowest": 24, "pitches": 84},
)

PRESETS: dict[str, Preset] = {p.name: p for p in (CPU_SMALL, CPU_PIANO, GPU_LARGE)}
