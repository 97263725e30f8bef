"""Exponential moving average of the generator; every sample the user sees comes from it."""
from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def update_ema(ema: nn.Module, model: nn.Module, beta: float) -> None:
    """ema ← beta·ema + (1−beta)·model for parameters; buffers (BN statistics, SN vectors) are copied."""
    ema_params = [p for p in ema.parameters()]
    params = [p.detach() for p in model.parameters()]
    if beta <= 0.0:
        torch._foreach_copy_(ema_params, params)
    else:
        torch._foreach_lerp_(ema_params, params, 1.0 - beta)
    for eb, b in zip(ema.buffers(), model.buffers()):
        eb.copy_(b)
