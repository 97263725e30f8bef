"""Quality at equal wall-clock time: cpu-64 against the DCGAN baseline on the same folder.

Both train for the same number of seconds on the demo corpus at 64 px in this
process; then 256 samples of each are compared with the corpus by the sliced
Wasserstein distance on Laplacian-pyramid patches (lower is better), plus
diversity and the nearest-neighbour copy rate.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import demo_corpus, parser  # noqa: E402
from dcgan_baseline import baseline_train_loop  # noqa: E402

from studio.core.latent import seeds_to_z  # noqa: E402
from studio.core.trainer import GANTrainer  # noqa: E402
from studio.domains.painting.metrics import painting_metrics  # noqa: E402

SAMPLES = 256


def to_u8(x: torch.Tensor) -> np.ndarray:
    return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--minutes", type=float, default=5.0, help="training budget for each contender")
    p.add_argument("--out", type=Path, help="folder for sample grids of both contenders")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    budget = args.minutes * 60
    painting, corpus = demo_corpus(64)
    real = corpus.data.numpy()

    baseline = baseline_train_loop(corpus.data, seconds=budget)
    with torch.no_grad():
        torch.manual_seed(1)
        base_u8 = to_u8(baseline.generator(torch.randn(SAMPLES, 100)))

    trainer = GANTrainer(painting, painting.presets["cpu-64"], corpus, torch.device("cpu"))
    start, steps = time.perf_counter(), 0
    while time.perf_counter() - start < budget:
        trainer.train_step()
        steps += 1
    ours_u8 = to_u8(trainer.generate(seeds_to_z(list(range(SAMPLES)), trainer.preset.z_dim)))

    base = painting_metrics(base_u8, real)
    ours = painting_metrics(ours_u8, real)
    print(f"{args.minutes:g} min each, torch threads {args.threads}, {len(real)} demo paintings at 64 px")
    print(f"baseline DCGAN: {baseline.steps} steps ({baseline.images_per_second:.0f} img/s)")
    print(f"our cpu-64:     {steps} steps ({steps * trainer.preset.batch_size / budget:.0f} img/s)")
    for key in ours:
        print(f"  {key:12s} baseline {base[key]:9.4f}   cpu-64 {ours[key]:9.4f}")
    ratio = ours["swd"] / base["swd"]
    print(f"SWD ratio cpu-64 / baseline: {ratio:.3f} (target < 1: {'met' if ratio < 1 else 'MISSED'})")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        from studio.domains.painting.codec import save_grid_png

        save_grid_png(list(base_u8[:64].transpose(0, 2, 3, 1)), args.out / "baseline.png", {})
        save_grid_png(list(ours_u8[:64].transpose(0, 2, 3, 1)), args.out / "cpu64.png", {})
        print(f"sample grids in {args.out}")


if __name__ == "__main__":
    main()
