"""Generators and discriminators for pictures, one family scaled from a 2-core CPU to a big GPU.

The CPU presets must learn something recognisable in minutes on two cores,
so their nets are narrow at high resolution (where pixels are many) and wide
only at low resolution (where they are few).  The generator upsamples by
nearest neighbour and then convolves, which cannot produce the checkerboard
pattern of transposed convolutions.  The discriminator is spectrally
normalised, which with the hinge loss keeps a small folder from being
memorised by D in the first minutes.

The GPU presets add what FastGAN (Liu et al. 2021) showed to work on folders
of a few hundred images: skip-layer excitation (low-resolution features gate
the channels of high-resolution ones), GLU activations, two convolutions per
block, and a discriminator that must also rebuild the real image from its
8x8 features (``forward_with_aux``), so it learns features that describe
pictures rather than memorising which ones are real.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


def channel_plan(size: int, width: int, cap: int, lowest: int = 4) -> dict[int, int]:
    """Channels per resolution: ``width`` at ``size``, doubling at each halving, at most ``cap``."""
    if size < 8 or size & (size - 1):
        raise ValueError(f"image size must be a power of two of at least 8, not {size}")
    plan: dict[int, int] = {}
    res, channels = size, width
    while res >= lowest:
        plan[res] = min(cap, channels)
        res, channels = res // 2, channels * 2
    return plan


class PixelNorm(nn.Module):
    """Unit-length feature vector per pixel (ProGAN): the same in training and in eval mode."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-8)


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "pixel":
        return PixelNorm()
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown normalisation {kind!r}; known: batch, pixel, none")


def _act(kind: str) -> nn.Module:
    if kind == "glu":
        return nn.GLU(dim=1)
    if kind == "lrelu":
        return nn.LeakyReLU(0.2, inplace=True)
    if kind == "relu":
        return nn.ReLU(inplace=True)
    raise ValueError(f"unknown activation {kind!r}; known: glu, lrelu, relu")


def _conv_norm_act(cin: int, cout: int, norm: str, act: str) -> list[nn.Module]:
    """3x3 conv + norm + activation; GLU halves its input, so the conv makes twice the channels."""
    width = cout * 2 if act == "glu" else cout
    return [nn.Conv2d(cin, width, 3, 1, 1, bias=norm == "none"), _norm(norm, width), _act(act)]


class SkipExcitation(nn.Module):
    """FastGAN's skip-layer excitation: a 4x4 summary of coarse features scales each fine channel."""

    def __init__(self, coarse_channels: int, fine_channels: int) -> None:
        super().__init__()
        self.gate = nn.Sequential(
            nn.AdaptiveAvgPool2d(4),
            nn.Conv2d(coarse_channels, fine_channels, 4, 1, 0, bias=False),
            nn.LeakyReLU(0.1, inplace=True),
            nn.Conv2d(fine_channels, fine_channels, 1, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, coarse: torch.Tensor, fine: torch.Tensor) -> torch.Tensor:
        return fine * self.gate(coarse)


class PaintingGenerator(nn.Module):
    """z (N, z_dim) -> N x 3 x size x size in [-1, 1]."""

    def __init__(
        self,
        z_dim: int,
        size: int,
        width: int,
        cap: int,
        norm: str = "batch",
        act: str = "lrelu",
        convs: int = 1,
        sle: bool = False,
    ) -> None:
        super().__init__()
        self.z_dim, self.size = z_dim, size
        plan = channel_plan(size, width, cap)
        c4 = plan[4]
        first = c4 * 2 if act == "glu" else c4
        self.stem = nn.Linear(z_dim, first * 16)
        self.stem_act = nn.Sequential(_norm(norm, first), _act(act))
        self.blocks = nn.ModuleDict()
        for res in sorted(plan)[1:]:
            cin = plan[res // 2]
            layers: list[nn.Module] = [nn.Upsample(scale_factor=2, mode="nearest")]
            for i in range(convs):
                layers += _conv_norm_act(cin if i == 0 else plan[res], plan[res], norm, act)
            self.blocks[str(res)] = nn.Sequential(*layers)
        # Gates from 16x coarser features (4 -> 64, 8 -> 128, 16 -> 256), as in FastGAN.
        self.excite = nn.ModuleDict(
            {str(res): SkipExcitation(plan[res // 16], plan[res]) for res in plan if sle and res // 16 >= 4}
        )
        self.to_rgb = nn.Conv2d(plan[size], 3, 3, 1, 1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.stem_act(self.stem(z).view(z.shape[0], -1, 4, 4))
        feats = {4: x}
        res = 4
        while res < self.size:
            res *= 2
            x = self.blocks[str(res)](x)
            gate = self.excite[str(res)] if str(res) in self.excite else None
            if gate is not None:
                x = gate(feats[res // 16], x)
            feats[res] = x
        return torch.tanh(self.to_rgb(x))


class _Down(nn.Module):
    """Halves the resolution: a strided 4x4 conv, plus (``residual``) FastGAN's pooled 1x1 shortcut."""

    def __init__(self, cin: int, cout: int, norm: str, residual: bool) -> None:
        super().__init__()
        self.main = nn.Sequential(
            spectral_norm(nn.Conv2d(cin, cout, 4, 2, 1, bias=norm == "none")),
            _norm(norm, cout),
            nn.LeakyReLU(0.2, inplace=True),
        )
        if residual:
            self.main.extend(
                [spectral_norm(nn.Conv2d(cout, cout, 3, 1, 1, bias=norm == "none")), _norm(norm, cout), nn.LeakyReLU(0.2, inplace=True)]
            )
            self.skip = nn.Sequential(
                nn.AvgPool2d(2, 2),
                spectral_norm(nn.Conv2d(cin, cout, 1, 1, 0, bias=norm == "none")),
                _norm(norm, cout),
                nn.LeakyReLU(0.2, inplace=True),
            )
        else:
            self.skip = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.skip is None:
            return self.main(x)
        return (self.main(x) + self.skip(x)) * 0.5


class _Decoder(nn.Module):
    """Rebuilds a small picture from D's 8x8 features (FastGAN's self-supervision, MSE instead of LPIPS)."""

    def __init__(self, cin: int, out_size: int, width: int = 16) -> None:
        super().__init__()
        plan = channel_plan(out_size, width, cap=128, lowest=16)
        layers: list[nn.Module] = []
        prev = cin
        for res in sorted(plan):
            layers += [nn.Upsample(scale_factor=2, mode="nearest")] + _conv_norm_act(prev, plan[res], "batch", "glu")
            prev = plan[res]
        layers += [nn.Conv2d(prev, 3, 3, 1, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.out_size = out_size

    def forward(self, feat8: torch.Tensor) -> torch.Tensor:
        return self.net(feat8)


class PaintingDiscriminator(nn.Module):
    """N x 3 x size x size -> logits (N,); with ``decoder``, also ``forward_with_aux``."""

    def __init__(
        self,
        size: int,
        width: int,
        cap: int,
        norm: str = "none",
        residual: bool = False,
        decoder: bool = False,
        decoder_size: int = 64,
    ) -> None:
        super().__init__()
        self.size = size
        plan = channel_plan(size // 2, width, cap)
        self.from_rgb = nn.Sequential(spectral_norm(nn.Conv2d(3, plan[size // 2], 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True))
        down_to_8 = [_Down(plan[res], plan[res // 2], norm, residual) for res in sorted(plan, reverse=True) if res > 8]
        self.to_8 = nn.Sequential(*down_to_8)
        self.head = nn.Sequential(
            _Down(plan[8], plan[4], norm, residual=False),
            spectral_norm(nn.Conv2d(plan[4], 1, 4, 1, 0)),
        )
        self.decoder = _Decoder(plan[8], min(decoder_size, size)) if decoder else None

    def _features8(self, x: torch.Tensor) -> torch.Tensor:
        return self.to_8(self.from_rgb(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self._features8(x)).view(-1)

    def forward_with_aux(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits and the reconstruction loss of ``x`` from D's 8x8 features (for real batches)."""
        if self.decoder is None:
            raise AttributeError("this discriminator has no reconstruction decoder")
        feat8 = self._features8(x)
        logits = self.head(feat8).view(-1)
        rebuilt = self.decoder(feat8)
        target = x if x.shape[-1] == self.decoder.out_size else F.interpolate(x, size=rebuilt.shape[-2:], mode="area")
        return logits, F.mse_loss(rebuilt.float(), target.float())


def _init(module: nn.Module) -> None:
    """N(0, 0.02) weights (DCGAN's recipe, which these GANs start best from); BN scales at 1."""
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        weight = module.parametrizations.weight.original if hasattr(module, "parametrizations") else module.weight
        nn.init.normal_(weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


def build_generator(net: dict[str, Any], z_dim: int, size: int) -> PaintingGenerator:
    """The generator a preset's ``net`` dict describes (keys: g_width, g_cap, g_norm, g_act, g_convs, sle)."""
    g = PaintingGenerator(
        z_dim,
        size,
        width=int(net.get("g_width", 16)),
        cap=int(net.get("g_cap", 256)),
        norm=net.get("g_norm", "batch"),
        act=net.get("g_act", "lrelu"),
        convs=int(net.get("g_convs", 1)),
        sle=bool(net.get("sle", False)),
    )
    g.apply(_init)
    return g


def build_discriminator(net: dict[str, Any], size: int) -> PaintingDiscriminator:
    """The discriminator a preset's ``net`` dict describes (keys: d_width, d_cap, d_norm, d_residual, decoder)."""
    d = PaintingDiscriminator(
        size,
        width=int(net.get("d_width", 32)),
        cap=int(net.get("d_cap", 256)),
        norm=net.get("d_norm", "none"),
        residual=bool(net.get("d_residual", False)),
        decoder=bool(net.get("decoder", False)),
        decoder_size=int(net.get("decoder_size", 64)),
    )
    d.apply(_init)
    return d


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


