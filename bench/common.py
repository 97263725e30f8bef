"""Shared set-up for the painting benchmarks: the demo corpus at 64 px and fair timing."""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Callable

import torch


def demo_corpus(size: int = 64, count: int = 240):
    """The built-in demo paintings, imported at ``size`` px, from a scratch folder."""
    from studio.domains import get_domain

    painting = get_domain("painting")
    folder = Path(tempfile.mkdtemp(prefix="gan-studio-bench-")) / "demo"
    from studio.domains.painting.demo import write_demo_folder

    write_demo_folder(folder, count=count)
    return painting, painting.import_folder(folder, {"size": size})


def images_per_second(step: Callable[[], None], batch: int, seconds: float, warmup: int = 3) -> float:
    """Real images per second through ``step`` over about ``seconds`` of wall clock."""
    for _ in range(warmup):
        step()
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        done += 1
    return done * batch / (time.perf_counter() - start)


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch threads for every contender")
    return p
