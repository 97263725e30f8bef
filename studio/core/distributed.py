"""Training across GPUs (or processes) launched by ``torchrun``.

Every process builds the same nets from the same seed, draws its own batches
(seed + rank) and averages gradients with one all-reduce per optimiser step.
Explicit all-reduce rather than the DDP wrapper, because a GAN step runs D
twice (real, fake) before one backward, which DDP's reducer rejects.  Only
rank 0 writes the run folder.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistContext:
    rank: int
    world_size: int
    local_rank: int

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_from_env(device_request: str | None) -> tuple[DistContext, str]:
    """Joins the process group torchrun set up; returns the context and this process's device name."""
    rank = int(os.environ["RANK"])
    world = int(os.environ["WORLD_SIZE"])
    local = int(os.environ.get("LOCAL_RANK", rank))
    use_cuda = torch.cuda.is_available() and device_request in (None, "", "auto", "cuda")
    if use_cuda:
        torch.cuda.set_device(local)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return DistContext(rank, world, local), (f"cuda:{local}" if use_cuda else "cpu")


def average_gradients(params: Iterable[torch.nn.Parameter], world_size: int) -> None:
    """All-reduces the gradients of ``params`` as one flat buffer and divides by the world size."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= world_size
    offset = 0
    for g in grads:
        n = g.numel()
        g.copy_(flat[offset:offset + n].view_as(g))
        offset += n


def broadcast_modules(modules: Iterable[torch.nn.Module]) -> None:
    """Makes every process hold rank 0's weights (the text autoencoder trains per process, then agrees)."""
    for module in modules:
        for tensor in list(module.parameters()) + list(module.buffers()):
            dist.broadcast(tensor.data, src=0)


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()


def shutdown() -> None:
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
