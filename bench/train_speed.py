"""Training speed on CPU: our trainer against a plain DCGAN loop, measured in one process.

(a) our trainer driving the baseline's own nets: the trainer's overhead (target ratio >= 0.95);
(b) our cpu-64 preset: images per second against the baseline (target ratio >= 3).
Contenders alternate over several rounds so a busy machine slows them alike; medians are compared.
"""
from __future__ import annotations

import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import demo_corpus, images_per_second, parser  # noqa: E402
from dcgan_baseline import DCGANDiscriminator, DCGANGenerator, to_unit_range  # noqa: E402

from studio.core.domain import Preset  # noqa: E402
from studio.core.trainer import GANTrainer  # noqa: E402

DCGAN_PRESET = Preset(
    name="dcgan", description="Radford et al. nets through our trainer", z_dim=100, batch_size=64,
    lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.999), loss="nonsat", augment="", ema_beta=0.999,
    import_options={"size": 64},
)


class BaselineNets:
    """The painting domain with the DCGAN nets swapped in, so only the trainer differs from the baseline."""

    def __init__(self, painting):
        self._painting = painting

    def __getattr__(self, name):
        return getattr(self._painting, name)

    def build_generator(self, preset, meta):
        return DCGANGenerator(preset.z_dim)

    def build_discriminator(self, preset, meta):
        return DCGANDiscriminator()


class PlainDCGAN:
    """The baseline loop's step, exactly as bench/dcgan_baseline.py runs it."""

    def __init__(self, data_u8: torch.Tensor, batch: int = 64, nz: int = 100):
        torch.manual_seed(0)
        self.data, self.batch, self.nz = to_unit_range(data_u8), batch, nz
        self.g, self.d = DCGANGenerator(nz), DCGANDiscriminator()
        self.opt_g = torch.optim.Adam(self.g.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.d.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.bce = torch.nn.BCEWithLogitsLoss()
        self.ones, self.zeros = torch.ones(batch), torch.zeros(batch)

    def step(self) -> None:
        real = self.data[torch.randint(0, self.data.shape[0], (self.batch,))]
        fake = self.g(torch.randn(self.batch, self.nz))
        self.opt_d.zero_grad(set_to_none=True)
        loss_d = self.bce(self.d(real), self.ones) + self.bce(self.d(fake.detach()), self.zeros)
        loss_d.backward()
        self.opt_d.step()
        self.opt_g.zero_grad(set_to_none=True)
        self.bce(self.d(fake), self.ones).backward()
        self.opt_g.step()


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--seconds", type=float, default=20.0, help="per contender per round")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    painting, corpus = demo_corpus(64)
    cpu64 = painting.presets["cpu-64"]
    contenders = {
        "baseline DCGAN loop": (PlainDCGAN(corpus.data).step, 64),
        "our trainer, DCGAN nets": (
            GANTrainer(BaselineNets(painting), DCGAN_PRESET, corpus, torch.device("cpu")).train_step, 64
        ),
        f"our cpu-64 preset (batch {cpu64.batch_size})": (
            GANTrainer(painting, cpu64, corpus, torch.device("cpu")).train_step, cpu64.batch_size
        ),
    }
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, (step, batch) in contenders.items():
            rates[name].append(images_per_second(step, batch, args.seconds))
    median = {name: statistics.median(values) for name, values in rates.items()}
    base = median["baseline DCGAN loop"]
    print(f"torch threads: {args.threads}, {args.rounds} rounds x {args.seconds:.0f} s each, 64 px demo corpus")
    targets = {"our trainer, DCGAN nets": 0.95}
    for name, value in median.items():
        ratio = value / base
        target = targets.get(name, 3.0 if name.startswith("our cpu-64") else None)
        verdict = "" if target is None else f"  (target >= {target}: {'met' if ratio >= target else 'MISSED'})"
        print(f"{name:34s} {value:8.1f} img/s   ratio {ratio:5.2f}{verdict}")


if __name__ == "__main__":
    main()
