"""Generators and discriminators for pictures, one family scaled from a 2-core CPU to a big GPU.

The CPU presets must learn something recognisable in minutes on two cores,
so their nets are narrow at high resolution (where pixels are many) and wide
only at low resolution (where they are few).  The generator upsamples by
nearest neighbour and then convolves, which avoids the checkerboard pattern
of transposed convolutions; the CPU nets make their last doubling with a
sub-pixel convolution started as a plain upsampling.  The discriminator is spectrally
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

from typing import Any, TypeVar

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


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown normalisation {kind!r}; known: batch, none")


def _act(kind: str) -> nn.Module:
    if kind == "glu":
        return nn.GLU(dim=1)
    if kind == "lrelu":
        return nn.LeakyReLU(0.2, inplace=True)
    raise ValueError(f"unknown activation {kind!r}; known: glu, lrelu")


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


class SubPixelRGB(nn.Module):
    """Features at half size -> RGB at full size: a 3x3 conv to 4 x RGB, then a pixel shuffle.

    It spares the costliest feature map, the full-resolution one, as DCGAN's
    last transposed conv does; starting it as a nearest-neighbour upsampling
    (ICNR, Aitken et al. 2017) keeps the checkerboard out of early samples.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, 12, 3, 1, 1)

    @torch.no_grad()
    def start_as_upsampling(self) -> None:
        """Gives the four sub-pixels of each colour the same weights (pixel shuffle reads channel c*4 + k)."""
        w = self.conv.weight.view(3, 4, *self.conv.weight.shape[1:])
        w.copy_(w[:, :1].expand_as(w))
        self.conv.bias.view(3, 4).copy_(self.conv.bias.view(3, 4)[:, :1].expand(3, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pixel_shuffle(self.conv(x), 2)


class PaintingGenerator(nn.Module):
    """z (N, z_dim) -> N x 3 x size x size in [-1, 1]."""

    early_module = "stem_act"  # the 4x4 features z becomes first: where core/directions.py finds its directions

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
        out: str = "conv",
    ) -> None:
        super().__init__()
        self.z_dim, self.size = z_dim, size
        self.top = size if out == "conv" else size // 2
        plan = channel_plan(self.top, width, cap)
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
        if out == "conv":
            self.to_rgb: nn.Module = nn.Conv2d(plan[size], 3, 3, 1, 1)
        elif out == "subpixel":
            self.to_rgb = SubPixelRGB(plan[self.top])
        else:
            raise ValueError(f"unknown output layer {out!r}; known: conv, subpixel")

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.stem_act(self.stem(z).view(z.shape[0], -1, 4, 4))
        feats = {4: x}
        res = 4
        while res < self.top:
            res *= 2
            x = self.blocks[str(res)](x)
            gate = self.excite[str(res)] if str(res) in self.excite else None
            if gate is not None:
                x = gate(feats[res // 16], x)
            feats[res] = x
        return torch.tanh(self.to_rgb(x))


class _Down(nn.Module):
    """Halves the resolution: a strided conv, plus (``residual``) a 3x3 conv and FastGAN's pooled 1x1 shortcut."""

    def __init__(self, cin: int, cout: int, norm: str, residual: bool, kernel: int = 4) -> None:
        super().__init__()
        self.main = nn.Sequential(
            spectral_norm(nn.Conv2d(cin, cout, kernel, 2, 1, bias=norm == "none")),
            _norm(norm, cout),
            nn.LeakyReLU(0.2, inplace=True),
        )
        if residual:
            self.main.extend([
                spectral_norm(nn.Conv2d(cout, cout, 3, 1, 1, bias=norm == "none")),
                _norm(norm, cout),
                nn.LeakyReLU(0.2, inplace=True),
            ])
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
    """N x 3 x size x size -> logits (N,)."""

    def __init__(
        self,
        size: int,
        width: int,
        cap: int,
        norm: str = "none",
        residual: bool = False,
        kernel: int = 4,
    ) -> None:
        super().__init__()
        self.size = size
        plan = channel_plan(size // 2, width, cap)
        self.from_rgb = nn.Sequential(
            spectral_norm(nn.Conv2d(3, plan[size // 2], kernel, 2, 1)), nn.LeakyReLU(0.2, inplace=True)
        )
        down_to_8 = [
            _Down(plan[res], plan[res // 2], norm, residual, kernel) for res in sorted(plan, reverse=True) if res > 8
        ]
        self.to_8 = nn.Sequential(*down_to_8)
        self.head = nn.Sequential(
            _Down(plan[8], plan[4], norm, residual=False, kernel=kernel),
            spectral_norm(nn.Conv2d(plan[4], 1, 4, 1, 0)),
        )
        self.features_at_8 = plan[8]

    def _features8(self, x: torch.Tensor) -> torch.Tensor:
        return self.to_8(self.from_rgb(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self._features8(x)).view(-1)


class ReconstructingDiscriminator(PaintingDiscriminator):
    """A discriminator that must also rebuild real pictures from its 8x8 features (FastGAN).

    The trainer calls :meth:`forward_with_aux` on real batches (it looks for
    the method, which is why plain discriminators do not have it).
    """

    def __init__(self, size: int, width: int, cap: int, decoder_size: int = 128, **kwargs: Any) -> None:
        super().__init__(size, width, cap, **kwargs)
        self.decoder = _Decoder(self.features_at_8, min(decoder_size, size))

    def forward_with_aux(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits and the reconstruction loss (MSE) of ``x`` from D's 8x8 features."""
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
    elif isinstance(module, SubPixelRGB):  # its conv was initialised just before (apply goes bottom-up)
        module.start_as_upsampling()


_M = TypeVar("_M", bound=nn.Module)


def _memory_format(module: _M, net: dict[str, Any]) -> _M:
    """``net["channels_last"]``: NHWC weights, which oneDNN convolves faster on a CPU too
    (convolutions then hand NHWC on; the trainer does the same on CUDA for GPU presets)."""
    return module.to(memory_format=torch.channels_last) if net.get("channels_last") else module


def build_generator(net: dict[str, Any], z_dim: int, size: int) -> PaintingGenerator:
    """The generator a preset's ``net`` dict describes (keys: g_width, g_cap, g_norm, g_act, g_convs, sle,
    g_out, channels_last)."""
    g = PaintingGenerator(
        z_dim,
        size,
        width=int(net.get("g_width", 16)),
        cap=int(net.get("g_cap", 256)),
        norm=net.get("g_norm", "batch"),
        act=net.get("g_act", "lrelu"),
        convs=int(net.get("g_convs", 1)),
        sle=bool(net.get("sle", False)),
        out=net.get("g_out", "conv"),
    )
    g.apply(_init)
    return _memory_format(g, net)


def build_discriminator(net: dict[str, Any], size: int) -> PaintingDiscriminator:
    """The discriminator a preset's ``net`` dict describes (keys: d_width, d_cap, d_norm, d_residual, d_kernel,
    decoder, decoder_size, channels_last)."""
    options: dict[str, Any] = dict(
        width=int(net.get("d_width", 32)),
        cap=int(net.get("d_cap", 256)),
        norm=net.get("d_norm", "none"),
        residual=bool(net.get("d_residual", False)),
        kernel=int(net.get("d_kernel", 4)),
    )
    if net.get("decoder", False):
        d: PaintingDiscriminator = ReconstructingDiscriminator(
            size, decoder_size=int(net.get("decoder_size", 128)), **options
        )
    else:
        d = PaintingDiscriminator(size, **options)
    d.apply(_init)
    return _memory_format(d, net)


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


