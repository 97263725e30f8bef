"""Shared set-up for the benchmarks: the painting demo corpus at 64 px, fair timing, training for a wall-clock budget."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

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


@dataclass
class TimedRun:
    """What :func:`train_for` leaves: the session, steps and the snapshots taken on the way."""

    session: Any
    steps: int = 0
    seconds: float = 0.0
    snapshots: dict[float, Any] = field(default_factory=dict)  # training minutes -> what ``snapshot`` returned


def train_for(session: Any, minutes: float, snapshot: Callable[[Any], Any], at: tuple[float, ...] = (),
              reserve_s: float = 0.0, clock: Callable[[], float] = time.monotonic) -> TimedRun:
    """Trains ``session`` for ``minutes`` of ``clock``; calls ``snapshot(session)`` after ``at`` minutes and at the end.

    Time spent inside ``snapshot`` is not counted as training time.  Training
    stops ``reserve_s`` early, for what the session does after a stop (a text
    run fits its decoding), which counts; the run's messages are printed.
    ``clock`` is wall-clock time by default; ``time.process_time`` counts the
    CPU time this process got, for a machine that other work shares.
    """
    from studio.core.events import Event, Failed, Message
    from studio.core.session import TrainControl

    control = TrainControl()
    result = TimedRun(session)
    pending = sorted(m for m in at if 0 < m < minutes)
    paused = 0.0
    start = clock()

    def on_event(event: Event) -> None:
        nonlocal paused
        trained = clock() - start - paused
        if pending and trained >= pending[0] * 60:
            began = clock()
            result.snapshots[pending.pop(0)] = snapshot(session)
            paused += clock() - began
        if isinstance(event, Failed):
            print(f"training error: {event.text}", flush=True)
        elif isinstance(event, Message):
            print(f"  [{trained / 60:5.2f} min] {event.text}", flush=True)
        if trained >= minutes * 60 - reserve_s:
            control.stop()

    status = session.run(on_event, control)
    result.seconds = clock() - start - paused
    result.steps = session.trainer.step
    if status == "failed":
        sys.exit(f"training failed: {session.error}")
    result.snapshots[minutes] = snapshot(session)
    return result


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} ({os.cpu_count()} cores)"


def quality_parser(description: str, cache_holds: str) -> argparse.ArgumentParser:
    """The options every quality bench takes: a wall-clock budget, the preset, a corpus cache outside the repository."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=10.0, help="training budget (wall clock)")
    p.add_argument("--preset", default="cpu-small")
    p.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "gan-studio-bench",
                   help=f"where {cache_holds} are kept between runs (outside the repository)")
    return p
