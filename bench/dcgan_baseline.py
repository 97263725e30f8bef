"""The yardstick every painting benchmark is measured against: DCGAN as Radford et al. (2015) wrote it.

The architecture, initialisation, loss and optimiser follow the paper and the
PyTorch example exactly (64 px, nz 100, ngf = ndf = 64, BCE, Adam 2e-4 with
beta1 0.5, batch 64), so a ratio against it means what REFERENCES.md says.
The only liberty: D returns logits and the loss is BCE-with-logits, which is
the same loss computed more stably than sigmoid + BCE.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn
import torch.nn.functional as F


def _init_weights(module: nn.Module) -> None:
    """N(0, 0.02) for convs, N(1, 0.02) / 0 for batch-norm scales / shifts, as in the paper."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class DCGANGenerator(nn.Module):
    """z (N, nz) -> N x 3 x 64 x 64 in [-1, 1]; 3.58 M parameters at ngf 64."""

    def __init__(self, nz: int = 100, ngf: int = 64) -> None:
        super().__init__()
        self.nz = nz

        def up(cin: int, cout: int, stride: int, pad: int) -> list[nn.Module]:
            return [nn.ConvTranspose2d(cin, cout, 4, stride, pad, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)]

        self.main = nn.Sequential(
            *up(nz, ngf * 8, 1, 0),
            *up(ngf * 8, ngf * 4, 2, 1),
            *up(ngf * 4, ngf * 2, 2, 1),
            *up(ngf * 2, ngf, 2, 1),
            nn.ConvTranspose2d(ngf, 3, 4, 2, 1, bias=False),
            nn.Tanh(),
        )
        self.apply(_init_weights)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z.view(z.shape[0], self.nz, 1, 1))


class DCGANDiscriminator(nn.Module):
    """N x 3 x 64 x 64 -> logits (N,); 2.77 M parameters at ndf 64."""

    def __init__(self, ndf: int = 64) -> None:
        super().__init__()

        def down(cin: int, cout: int, norm: bool) -> list[nn.Module]:
            layers: list[nn.Module] = [nn.Conv2d(cin, cout, 4, 2, 1, bias=False)]
            if norm:
                layers.append(nn.BatchNorm2d(cout))
            return layers + [nn.LeakyReLU(0.2, inplace=True)]

        self.main = nn.Sequential(
            *down(3, ndf, norm=False),
            *down(ndf, ndf * 2, norm=True),
            *down(ndf * 2, ndf * 4, norm=True),
            *down(ndf * 4, ndf * 8, norm=True),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),
        )
        self.apply(_init_weights)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(-1)


@dataclass
class BaselineResult:
    images_per_second: float
    steps: int
    seconds: float
    generator: DCGANGenerator
    last_d_loss: float
    last_g_loss: float


def to_unit_range(data_u8: torch.Tensor) -> torch.Tensor:
    """uint8 N x 3 x H x W -> float in [-1, 1] at 64 px (the baseline's only size)."""
    x = data_u8.float().div_(127.5).sub_(1.0)
    if x.shape[-1] != 64 or x.shape[-2] != 64:
        x = F.interpolate(x, size=(64, 64), mode="area" if x.shape[-1] > 64 else "bilinear")
    return x


def baseline_train_loop(
    data_u8: torch.Tensor,
    seconds: float | None = None,
    steps: int | None = None,
    batch: int = 64,
    nz: int = 100,
    seed: int = 0,
    device: str | torch.device = "cpu",
    clock: Callable[[], float] = time.perf_counter,
) -> BaselineResult:
    """Trains DCGAN the plain way until ``seconds`` on ``clock`` or ``steps`` steps, whichever comes first.

    The data is preloaded as one float tensor, so the figure is the nets' speed,
    not a loader's.  Images per second counts real images seen by D per second.
    ``clock=time.process_time`` gives CPU seconds, steadier on a shared machine.
    """
    if seconds is None and steps is None:
        raise ValueError("give seconds or steps")
    torch.manual_seed(seed)
    device = torch.device(device)
    data = to_unit_range(data_u8).to(device)
    g, d = DCGANGenerator(nz).to(device), DCGANDiscriminator().to(device)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(batch, device=device), torch.zeros(batch, device=device)
    done, start = 0, clock()
    loss_d = loss_g = torch.zeros(())
    while (steps is None or done < steps) and (seconds is None or clock() - start < seconds):
        real = data[torch.randint(0, data.shape[0], (batch,), device=device)]
        fake = g(torch.randn(batch, nz, device=device))
        opt_d.zero_grad(set_to_none=True)
        loss_d = bce(d(real), ones) + bce(d(fake.detach()), zeros)
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        loss_g = bce(d(fake), ones)
        loss_g.backward()
        opt_g.step()
        done += 1
    elapsed = clock() - start
    return BaselineResult(
        images_per_second=done * batch / max(elapsed, 1e-9),
        steps=done,
        seconds=elapsed,
        generator=g.eval(),
        last_d_loss=float(loss_d.detach()),
        last_g_loss=float(loss_g.detach()),
    )
