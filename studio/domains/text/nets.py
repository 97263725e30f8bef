"""The latent GAN: a generator from noise to autoencoder codes and a critic on codes, both small MLPs.

Codes are 64- to 128-d vectors, so these nets cost microseconds: WGAN-GP
with several critic steps is affordable even on a CPU.  The generator ends on
the unit sphere like the autoencoder's codes.  ``project_to_z`` finds a z
whose code matches a given one, so a line the user types can become an anchor
in the z-space explorer.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from studio.core.domain import Preset
from studio.domains.text.autoencoder import net_options


def _mlp(sizes: list[int], final_activation: bool = False) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2 or final_activation:
            layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


class CodeGenerator(nn.Module):
    """z (N, z_dim) -> unit-norm code (N, code_dim)."""

    def __init__(self, z_dim: int, code_dim: int, hidden: int, depth: int = 3) -> None:
        super().__init__()
        self.z_dim, self.code_dim = z_dim, code_dim
        self.net = _mlp([z_dim] + [hidden] * depth + [code_dim])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.net(z), dim=1)


class CodeCritic(nn.Module):
    """code (N, code_dim) -> score (N,); no normalisation layers, as the gradient penalty asks."""

    def __init__(self, code_dim: int, hidden: int, depth: int = 3) -> None:
        super().__init__()
        self.net = _mlp([code_dim] + [hidden] * depth + [1])

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        return self.net(code).squeeze(1)


def build_generator(preset: Preset, meta: dict[str, Any]) -> CodeGenerator:
    net = net_options(preset)
    return CodeGenerator(preset.z_dim, int(net["code_dim"]), int(net.get("g_hidden", 256)), int(net.get("g_depth", 3)))


def build_critic(preset: Preset, meta: dict[str, Any]) -> CodeCritic:
    net = net_options(preset)
    return CodeCritic(int(net["code_dim"]), int(net.get("d_hidden", 256)), int(net.get("d_depth", 3)))


def project_to_z(
    code: Any, G: nn.Module, z_dim: int, steps: int = 200, restarts: int = 8, lr: float = 0.05, seed: int = 0
) -> np.ndarray:
    """A z (float32, shape (z_dim,)) with G(z) close to ``code``: Adam on cosine distance from several starts.

    A light pull toward |z|² = z_dim keeps the answer a typical Gaussian
    sample, so walking from it looks like walking from any seed.  G's weights
    are left untouched (their gradients are switched off meanwhile).
    """
    device = next(G.parameters()).device
    target = F.normalize(torch.as_tensor(np.asarray(code, np.float32), device=device).reshape(1, -1), dim=1)
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(restarts, z_dim, generator=gen).to(device).requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    flags = [p.requires_grad for p in G.parameters()]
    was_training = G.training
    G.eval()
    try:
        for p in G.parameters():
            p.requires_grad_(False)
        with torch.enable_grad():
            for _ in range(steps):
                distance = 1 - (G(z) * target).sum(dim=1)
                prior = (z.pow(2).mean(dim=1) - 1).pow(2)
                loss = (distance + 1e-3 * prior).sum()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
        with torch.no_grad():
            best = int(torch.argmin(1 - (G(z) * target).sum(dim=1)))
    finally:
        for p, flag in zip(G.parameters(), flags):
            p.requires_grad_(flag)
        G.train(was_training)
    return z[best].detach().cpu().numpy().astype(np.float32)
