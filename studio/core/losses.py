"""Adversarial losses and penalties, chosen by name in a preset."""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

LOSSES = ("hinge", "nonsat", "wgan-gp")


def d_loss(kind: str, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    if kind == "hinge":
        return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()
    if kind == "nonsat":
        return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
    if kind == "wgan-gp":
        return fake_logits.mean() - real_logits.mean()
    raise ValueError(f"unknown loss {kind!r}; known: {', '.join(LOSSES)}")


def g_loss(kind: str, fake_logits: torch.Tensor) -> torch.Tensor:
    if kind in ("hinge", "wgan-gp"):
        return -fake_logits.mean()
    if kind == "nonsat":
        return F.softplus(-fake_logits).mean()
    raise ValueError(f"unknown loss {kind!r}; known: {', '.join(LOSSES)}")


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    generator: torch.Generator,
) -> torch.Tensor:
    """WGAN-GP: (‖∇D(x̂)‖ − 1)² on random points between real and fake."""
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    alpha = torch.rand(shape, generator=generator, device=generator.device).to(real.device, real.dtype)
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1.0) ** 2).mean()


def r1_penalty(real_logits: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """R1: ‖∇D(real)‖² (Mescheder et al. 2018); ``real`` must require grad."""
    (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
    return grad.pow(2).flatten(1).sum(dim=1).mean()
