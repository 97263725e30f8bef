"""Runs a training session on a background QThread and turns its events into Qt signals.

The session itself (studio.core.session) is Qt-free; this class is the only
glue.  Importing the folder also happens here, so a big folder never freezes
the window.  Payloads are plain Python / numpy values, never live tensors.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QThread, Signal

from studio.core import events as ev
from studio.core.events import EventHandler


class TrainingThread(QThread):
    """One training run.  Create, ``start()``, then steer with pause/resume/stop from the GUI thread."""

    importProgress = Signal(int, int, str)
    sessionReady = Signal(dict)  # run, device, step, total, preset
    log = Signal(list)  # records: {"step", "phase", "d_loss", ...}
    progress = Signal(dict)  # step, total, steps_per_s, eta_s
    samples = Signal(dict)  # step, seeds, artifacts, outputs
    metrics = Signal(dict)  # step, values
    phase = Signal(str)
    message = Signal(str)
    checkpoint = Signal(dict)  # path, step
    weights = Signal(dict)  # step, tensors (numpy copies of EMA-G and auxiliary nets, for the explorer)
    paused = Signal(int)
    resumed = Signal(int)
    failed = Signal(str)
    done = Signal(dict)  # status ("finished" | "stopped" | "failed"), step

    SAMPLE_INTERVAL_S = 5.0

    def __init__(self, request: dict[str, Any], parent=None):
        """``request``: {"mode": "new", run_dir, domain, data_dir, preset, steps, seed, device, overrides}
        or {"mode": "resume", run_dir, steps?, device?, data_dir?}."""
        super().__init__(parent)
        from studio.core.session import TrainControl

        self.request = dict(request)
        self.control = TrainControl()
        self.run_dir: Path | None = None

    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def stop(self) -> None:
        """Asks the loop to end; it writes a checkpoint first, then ``done`` arrives."""
        self.control.stop()

    def run(self) -> None:  # runs on the worker thread
        try:
            session = self._open_session()
        except Exception as exc:  # any failure to start is shown, never raised into Qt
            self.failed.emit(_message(exc))
            self.done.emit({"status": "failed", "step": 0})
            return
        self.run_dir = session.run_dir.path
        session.sample_interval_s = self.SAMPLE_INTERVAL_S
        if self.control.stop_requested:
            self.done.emit({"status": "stopped", "step": session.trainer.step})
            return
        session.run(_SignalRelay(self), self.control)

    def _open_session(self):
        from studio.core.session import TrainingSession
        from studio.domains import get_domain

        r = self.request
        progress = self.importProgress.emit
        if r["mode"] == "resume":
            return TrainingSession.open(
                r["run_dir"], get_domain, data_dir=r.get("data_dir"), steps=r.get("steps"), device=r.get("device"),
                import_progress=progress,
            )
        return TrainingSession.create(
            r["run_dir"], get_domain(r["domain"]), r["data_dir"], preset=r.get("preset"), steps=r.get("steps"),
            seed=int(r.get("seed", 0)), device=r.get("device", "auto"), overrides=r.get("overrides"),
            import_progress=progress,
        )


class _SignalRelay(EventHandler):
    """The session's events as the thread's signals, with the payloads the window has always received."""

    def __init__(self, thread: TrainingThread):
        self.thread = thread

    def started(self, event: ev.Started) -> None:
        self.thread.sessionReady.emit(event.payload())

    def log(self, event: ev.Logged) -> None:
        self.thread.log.emit(event.records)

    def progress(self, event: ev.Progress) -> None:
        self.thread.progress.emit(event.payload())

    def samples(self, event: ev.Samples) -> None:
        self.thread.samples.emit(event.payload())

    def metrics(self, event: ev.Metrics) -> None:
        self.thread.metrics.emit(event.payload())

    def phase(self, event: ev.PhaseChanged) -> None:
        self.thread.phase.emit(event.phase)

    def message(self, event: ev.Message) -> None:
        self.thread.message.emit(event.text)

    def checkpoint(self, event: ev.CheckpointSaved) -> None:
        self.thread.checkpoint.emit(event.payload())

    def weights(self, event: ev.Weights) -> None:
        self.thread.weights.emit(event.payload())

    def paused(self, event: ev.Paused) -> None:
        self.thread.paused.emit(event.step)

    def resumed(self, event: ev.Resumed) -> None:
        self.thread.resumed.emit(event.step)

    def error(self, event: ev.Failed) -> None:
        self.thread.failed.emit(event.text)

    def finished(self, event: ev.Finished) -> None:
        self.thread.done.emit(event.payload())


def _message(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    return str(exc) or type(exc).__name__
