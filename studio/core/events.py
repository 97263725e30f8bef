"""What a training session tells its listeners, as typed events, and the one way to receive them.

The session (core/session.py) emits these to a plain callable; the window's
worker (workers/trainer_thread.py) turns them into Qt signals and the command
line prints them, both by subclassing :class:`EventHandler`, so a new event is
one dataclass here and one method wherever it matters.  Fields hold Python /
numpy values only, never live tensors: they cross threads.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Callable, ClassVar

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str]  # the EventHandler method that receives it

    def payload(self) -> dict[str, Any]:
        """The fields as a dict (shallow: sample arrays are not copied), for Qt signals and logs."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Started(Event):
    kind: ClassVar[str] = "started"
    run: str
    device: str  # described for a person ("CPU, 2 threads")
    step: int
    total: int
    preset: str


@dataclass(frozen=True)
class Message(Event):
    """Something to tell the person training (a fallback, a roll-back, a file that could not be written)."""

    kind: ClassVar[str] = "message"
    text: str


@dataclass(frozen=True)
class Paused(Event):
    kind: ClassVar[str] = "paused"
    step: int


@dataclass(frozen=True)
class Resumed(Event):
    kind: ClassVar[str] = "resumed"
    step: int


@dataclass(frozen=True)
class PhaseChanged(Event):
    kind: ClassVar[str] = "phase"
    phase: str  # "pretrain" | "gan"
    step: int


@dataclass(frozen=True)
class Logged(Event):
    """Loss records since the last one, as written to metrics.jsonl: {"step", "phase", "d_loss", ...}."""

    kind: ClassVar[str] = "log"
    records: list[dict[str, Any]]


@dataclass(frozen=True)
class Progress(Event):
    kind: ClassVar[str] = "progress"
    step: int
    total: int
    steps_per_s: float
    eta_s: float | None


@dataclass(frozen=True)
class Samples(Event):
    """The fixed-seed gallery: decoded artifacts and the raw outputs they came from."""

    kind: ClassVar[str] = "samples"
    step: int
    seeds: list[int]
    artifacts: list[Any]
    outputs: "np.ndarray"


@dataclass(frozen=True)
class Weights(Event):
    """Numpy copies of EMA-G and auxiliary nets, named as in checkpoints, for live viewers (the explorer)."""

    kind: ClassVar[str] = "weights"
    step: int
    tensors: dict[str, "np.ndarray"]


@dataclass(frozen=True)
class Metrics(Event):
    kind: ClassVar[str] = "metrics"
    step: int
    values: dict[str, float]


@dataclass(frozen=True)
class CheckpointSaved(Event):
    kind: ClassVar[str] = "checkpoint"
    path: str
    step: int


@dataclass(frozen=True)
class Failed(Event):
    """Training stopped on an error, told in one readable line; :class:`Finished` follows."""

    kind: ClassVar[str] = "error"
    text: str
    step: int


@dataclass(frozen=True)
class Finished(Event):
    """The last event of every run."""

    kind: ClassVar[str] = "finished"
    status: str  # "finished" | "stopped" | "failed"
    step: int


EventFn = Callable[[Event], None]


class EventHandler:
    """Receives a session's events (pass an instance as ``on_event``): override the methods for the events
    that matter to you; the others are ignored."""

    def __call__(self, event: Event) -> None:
        getattr(self, event.kind)(event)

    def started(self, event: Started) -> None:
        pass

    def message(self, event: Message) -> None:
        pass

    def paused(self, event: Paused) -> None:
        pass

    def resumed(self, event: Resumed) -> None:
        pass

    def phase(self, event: PhaseChanged) -> None:
        pass

    def log(self, event: Logged) -> None:
        pass

    def progress(self, event: Progress) -> None:
        pass

    def samples(self, event: Samples) -> None:
        pass

    def weights(self, event: Weights) -> None:
        pass

    def metrics(self, event: Metrics) -> None:
        pass

    def checkpoint(self, event: CheckpointSaved) -> None:
        pass

    def error(self, event: Failed) -> None:
        pass

    def finished(self, event: Finished) -> None:
        pass
