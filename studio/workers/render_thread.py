"""Renders explorer requests off the GUI thread, newest request only.

Dragging the mouse over the latent pad asks for a render on every mouse move,
far faster than a generator can answer on a CPU. Requests go into a single
pending slot that each new request overwrites, so the thread always renders
the latest position next and work never piles up behind the mouse (the
StyleGAN3 visualizer's rule). Finished renders are delivered unless a newer
one already was: while the user keeps dragging they are at most one request
behind, which keeps the preview moving instead of freezing until the mouse
stops, and :meth:`RenderThread.is_current` says when the newest is on screen.
"""
from __future__ import annotations

import atexit
import functools
import threading
import time
import traceback
import weakref
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal

Renderer = Callable[[np.ndarray, dict], list]
"""``renderer(z, options) -> artifacts`` for an (N, z_dim) float32 batch.

It runs on the render thread, so it may use torch."""

SHUTDOWN_WAIT_MS = 5000
_LIVE_LOOPS: "weakref.WeakSet[_RenderLoop]" = weakref.WeakSet()


@dataclass
class _Request:
    z: np.ndarray
    options: dict[str, Any]
    tag: Any
    ticket: int


class _RenderLoop(QThread):
    """The thread itself: waits on a condition for the pending slot, renders, reports."""

    rendered = Signal(int, object, object, float)  # ticket, tag, list of artifacts, milliseconds
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cond = threading.Condition()
        self.pending: _Request | None = None
        self.renderer: Renderer | None = None
        self.stopping = False
        self.requests = 0
        self.renders = 0

    def run(self) -> None:
        while True:
            with self.cond:
                while not self.stopping and (self.pending is None or self.renderer is None):
                    self.cond.wait()
                if self.stopping:
                    return
                request, self.pending = self.pending, None
                renderer = self.renderer
            start = time.perf_counter()
            try:
                artifacts = list(renderer(request.z, request.options))
            except Exception as exc:  # a broken model must not kill the thread: report and keep serving
                detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
                self.failed.emit(f"Rendering failed: {detail}")
                continue
            ms = (time.perf_counter() - start) * 1000.0
            with self.cond:
                self.renders += 1
            self.rendered.emit(request.ticket, request.tag, artifacts, ms)


class RenderThread(QObject):
    """Owns the render thread; its methods are called from the GUI thread.

    ``rendered(tag, artifacts, ms)`` and ``failed(message)`` arrive on the
    thread that owns this object (queued), so slots may touch widgets.
    Call :meth:`shutdown` before the owner goes away; it is also called
    when the application quits.
    """

    rendered = Signal(object, object, float)  # tag, list of artifacts, milliseconds
    failed = Signal(str)

    def __init__(self, renderer: Renderer | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._loop = _RenderLoop()
        self._loop.renderer = renderer
        self._requested = 0  # tickets: the newest request asked for, and the newest delivered
        self._delivered = 0
        self._loop.rendered.connect(self._deliver)
        self._loop.failed.connect(self.failed)
        # Qt aborts the process if a running QThread is destroyed, so the thread is also
        # stopped when this object goes away without shutdown() (its parent widget deleted).
        stop = functools.partial(_stop_loop, self._loop)
        self.destroyed.connect(stop)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(stop)
        _LIVE_LOOPS.add(self._loop)
        self._loop.start()

    def set_renderer(self, renderer: Renderer | None) -> None:
        """Replaces the renderer (None: requests wait until one is set); a pending request uses the new one."""
        with self._loop.cond:
            self._loop.renderer = renderer
            self._loop.cond.notify()

    def request(self, z: np.ndarray, options: dict[str, Any] | None = None, tag: Any = None) -> int:
        """Asks for a render of ``z``, replacing any request not yet started; returns its ticket."""
        z = np.ascontiguousarray(np.atleast_2d(z), dtype=np.float32).copy()
        self._requested += 1
        with self._loop.cond:
            self._loop.pending = _Request(z, dict(options or {}), tag, self._requested)
            self._loop.requests += 1
            self._loop.cond.notify()
        return self._requested

    def is_current(self) -> bool:
        """True when the newest request's render has been delivered (nothing newer is on its way)."""
        return self._delivered == self._requested

    def _deliver(self, ticket: int, tag: Any, artifacts: list, ms: float) -> None:
        if ticket <= self._delivered:
            return  # stale: a newer render is already on screen
        self._delivered = ticket
        self.rendered.emit(tag, artifacts, ms)

    def stats(self) -> dict[str, int]:
        """How many requests came in and how many were rendered (the rest were superseded)."""
        with self._loop.cond:
            return {"requests": self._loop.requests, "renders": self._loop.renders}

    def is_running(self) -> bool:
        return self._loop.isRunning()

    def shutdown(self) -> None:
        """Drops any pending request and joins the thread (waits for a render in progress)."""
        _stop_loop(self._loop)


def _stop_loop(loop: _RenderLoop) -> None:
    if not shiboken6.isValid(loop):  # already gone with its C++ side
        return
    with loop.cond:
        loop.stopping = True
        loop.pending = None
        loop.cond.notify()
    if loop.isRunning():
        loop.wait(SHUTDOWN_WAIT_MS)


@atexit.register
def _stop_all_loops() -> None:
    """Last line of defence: an owner leaked until interpreter exit must not abort the process."""
    for loop in list(_LIVE_LOOPS):
        _stop_loop(loop)
