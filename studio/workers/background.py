"""One-off jobs off the GUI thread: loading a model, decoding a run's history, writing demo data.

Each job is a plain function run on its own short-lived QThread; its result
or a readable error comes back as a queued signal, so callbacks run on the
GUI thread and may touch widgets.  Running jobs are kept in a module-level
set (not parented to a widget), so a tab closing mid-job never destroys a
running QThread; :func:`wait_all` joins them when the window closes.
"""
from __future__ import annotations

import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, Signal
from shiboken6 import isValid

_RUNNING: set["BackgroundTask"] = set()


class BackgroundTask(QThread):
    """Runs ``fn()`` once; emits ``succeeded(result)`` or ``failed(message)``."""

    succeeded = Signal(object)
    failed = Signal(str)

    def __init__(self, fn: Callable[[], Any], name: str = "") -> None:
        super().__init__()
        self._fn = fn
        self.setObjectName(name or getattr(fn, "__name__", "task"))

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # shown to the user by the caller, never raised into Qt
            self.failed.emit(readable_error(exc))
            return
        self.succeeded.emit(result)


def run_in_background(
    fn: Callable[[], Any],
    on_success: Callable[[Any], None] | None = None,
    on_failure: Callable[[str], None] | None = None,
    name: str = "",
    owner: QObject | None = None,
) -> BackgroundTask:
    """Starts ``fn`` on a new thread; the callbacks run on the GUI thread afterwards.

    With an ``owner`` the callbacks are skipped once it has been deleted (a
    tab closed while its job ran), so they never touch a dead widget.
    """
    task = BackgroundTask(fn, name)
    for signal, callback in ((task.succeeded, on_success), (task.failed, on_failure)):
        if callback is not None:
            signal.connect(callback if owner is None else _while_alive(owner, callback))
    _RUNNING.add(task)
    task.finished.connect(lambda: _RUNNING.discard(task))
    task.start()
    return task


def _while_alive(owner: QObject, callback: Callable[[Any], None]) -> Callable[[Any], None]:
    def call(value: Any) -> None:
        if isValid(owner):
            callback(value)

    return call


def wait_all(timeout_ms: int = 30_000) -> bool:
    """Joins every running job (at shutdown); False if one was still running at the deadline."""
    done = True
    for task in list(_RUNNING):
        done = task.wait(timeout_ms) and done
    return done


def running() -> int:
    return sum(1 for task in _RUNNING if task.isRunning())


def readable_error(exc: BaseException) -> str:
    """The message a person sees: the file and the reason where there is one, never a traceback."""
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    text = str(exc)
    if text:
        return text
    return traceback.format_exception_only(type(exc), exc)[-1].strip()


class LatestOnly:
    """One job at a time for a stream of requests where only the newest matters (loading models).

    A request made while a job runs waits in a single slot that the next
    request overwrites, so a burst of checkpoints loads the first and the
    last, never all of them in a queue.  :meth:`cancel` drops the waiting
    request and the result of the running one (another run was opened).
    """

    def __init__(self, name: str, owner: QObject | None = None) -> None:
        self._name = name
        self._owner = owner
        self._epoch = 0
        self._pending: tuple[Callable[[], Any], Callable[[Any], None], Callable[[str], None] | None, int] | None = None
        self._running: BackgroundTask | None = None

    def submit(self, fn: Callable[[], Any], on_success: Callable[[Any], None],
               on_failure: Callable[[str], None] | None = None) -> None:
        """Runs ``fn`` after the job in progress, unless a newer request replaces it first."""
        self._pending = (fn, on_success, on_failure, self._epoch)
        if self._running is None:
            self._next()

    def cancel(self) -> None:
        self._epoch += 1
        self._pending = None

    def busy(self) -> bool:
        return self._running is not None or self._pending is not None

    def _next(self) -> None:
        if self._pending is None:
            return
        fn, on_success, on_failure, epoch = self._pending
        self._pending = None
        self._running = run_in_background(fn, lambda result: self._done(epoch, on_success, result),
                                          lambda text: self._done(epoch, on_failure, text),
                                          name=self._name, owner=self._owner)

    def _done(self, epoch: int, callback: Callable[[Any], None] | None, value: Any) -> None:
        self._running = None
        if epoch == self._epoch and callback is not None:
            callback(value)
        self._next()
