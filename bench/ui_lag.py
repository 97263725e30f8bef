"""GUI event-loop lag while the painting tab trains on the CPU (target: p99 <= 50 ms).

Opens the real window (offscreen unless a display is set), lets the painting
tab import its demo, measures a 10 ms timer's lateness idle (the baseline,
same run) and then while training cpu-64 with live plots, gallery and
explorer updates.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_scratch = Path(tempfile.mkdtemp(prefix="gan-studio-uilag-"))
os.environ.setdefault("GAN_STUDIO_RUNS", str(_scratch / "runs"))
os.environ.setdefault("GAN_STUDIO_SETTINGS", str(_scratch / "settings.ini"))
os.environ.setdefault("GAN_STUDIO_CACHE", str(_scratch / "cache"))

from PySide6.QtCore import QElapsedTimer, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

TICK_MS = 10


def wait_until(app: QApplication, condition, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there in time")
        app.processEvents()
        time.sleep(0.01)


def measure_lag(app: QApplication, seconds: float) -> np.ndarray:
    """Lateness of each tick of a 10 ms timer, in milliseconds."""
    lags: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def tick() -> None:
        now = clock.nsecsElapsed()
        lags.append(max(0.0, (now - last[0]) / 1e6 - TICK_MS))
        last[0] = now

    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    timer.start()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.001)
    timer.stop()
    return np.asarray(lags[1:])


def summary(name: str, lags: np.ndarray) -> str:
    return (f"{name:18s} ticks {len(lags):5d}  p50 {np.percentile(lags, 50):6.1f} ms  "
            f"p99 {np.percentile(lags, 99):6.1f} ms  max {lags.max():6.1f} ms")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seconds", type=float, default=30.0)
    args = p.parse_args()
    from studio.app import apply_theme
    from studio.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    apply_theme(app)
    window = MainWindow()
    window.resize(1400, 900)
    window.show()
    tab = window.domain_tabs["painting"]
    window.tabs.setCurrentWidget(tab)
    wait_until(app, lambda: tab.training._data_folder, 120)
    idle = measure_lag(app, min(10.0, args.seconds))
    tab.training.steps_spin.setValue(1_000_000)
    tab.training.start()
    wait_until(app, lambda: tab.training.state() == "training", 120)
    busy = measure_lag(app, args.seconds)
    steps = tab.plots.series_data("d_loss")[0]
    tab.training.stop_and_wait()
    window.close()
    print(f"painting cpu-64 on CPU, {args.seconds:g} s of training, {len(steps)} steps plotted")
    print(summary("idle (baseline)", idle))
    print(summary("while training", busy))
    p99 = float(np.percentile(busy, 99))
    print(f"p99 lag while training: {p99:.1f} ms (target <= 50 ms: {'met' if p99 <= 50 else 'MISSED'}); "
          f"ratio to idle p99: {p99 / max(np.percentile(idle, 99), 0.1):.1f}")


if __name__ == "__main__":
    main()
