"""Runs a training session on a background QThread and turns its events into Qt signals.

The session itself (studio.core.session) is Qt-free; this class is the only
glue.  Importing the folder also happens here, so a big folder never freezes
the window.  Payloads are plain Python / numpy values, never live tensors.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QThread, Signal


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
        session.run(self._on_event, self.control)

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

    def _on_event(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == "started":
            self.sessionReady.emit(payload)
        elif kind == "log":
            self.log.emit(payload["records"])
        elif kind == "progress":
            self.progress.emit(payload)
        elif kind == "samples":
            self.samples.emit(payload)
        elif kind == "metrics":
            self.metrics.emit(payload)
        elif kind == "phase":
            self.phase.emit(payload["phase"])
        elif kind == "message":
            self.message.emit(payload["text"])
        elif kind == "checkpoint":
            self.checkpoint.emit(payload)
        elif kind == "weights":
            self.weights.emit(payload)
        elif kind == "paused":
            self.paused.emit(payload["step"])
        elif kind == "resumed":
            self.resumed.emit(payload["step"])
        elif kind == "error":
            self.failed.emit(payload["text"])
        elif kind == "finished":
            self.done.emit(payload)


def _message(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    return str(exc) or type(exc).__name__
