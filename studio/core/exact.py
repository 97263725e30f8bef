"""The settings under which whatever is written to disk comes out the same bytes every time.

A forward pass is only repeatable if its sums are added in the same order.
Several intra-op threads split a convolution's or a matrix product's sums
between them, and which kernel (and blocking) oneDNN or MKL picks depends on
the batch's size and on how the input buffer happens to be aligned in memory;
so the same seed exported alone, in a batch of four, or in another process
could differ in the last bit of a float, and now and then one pixel level or
one note.  Under :func:`exact_inference` a forward pass runs on one thread, in
float32 (no autocast, no TF32), with deterministic algorithms where the
device has a choice, on a fresh input the allocator aligned itself, and with
the global random state left as it was.  The explorer does not use it: it
renders batches at full speed, since nothing it shows is kept.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import numpy as np
import torch


@contextmanager
def exact_inference(device: torch.device) -> Iterator[None]:
    """Repeatable forward passes on ``device`` for the calling thread; everything is restored on exit.

    The thread count is per thread (OpenMP's), so a training thread beside an
    export keeps its own.  Deterministic algorithms and TF32 are process-wide
    switches, so they are only touched for a GPU export.
    """
    threads = torch.get_num_threads()
    gpu = device.type == "cuda"
    if gpu:
        saved = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled(),
                 torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark,
                 torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
    torch.set_num_threads(1)
    try:
        if gpu:
            torch.use_deterministic_algorithms(True, warn_only=True)
            torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
            torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
        with torch.random.fork_rng(devices=[]), torch.no_grad(), torch.autocast(device.type, enabled=False):
            yield
    finally:
        torch.set_num_threads(threads)
        if gpu:
            torch.use_deterministic_algorithms(saved[0], warn_only=saved[1])
            (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark,
             torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32) = saved[2:]


def aligned_input(z: np.ndarray, device: torch.device) -> torch.Tensor:
    """One latent row as a (1, z_dim) float32 tensor in memory torch allocated (not numpy's, aligned anyhow)."""
    return torch.tensor(np.asarray(z, np.float32).reshape(1, -1), dtype=torch.float32, device=device)
