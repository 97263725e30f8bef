"""Two costs behind window decisions: building a medium's tab, and stroking curves with wide pens.

- Tabs are built when first chosen (ui/main_window.py): this times building
  each registered medium's tab the first time (its modules imported) and
  again, beside an empty QWidget tab.
- Curves are stroked with 1-px pens (ui/plots.py): this times redrawing a
  50,000-point antialiased curve with a 1-px pen and with a 2-px pen.

Run headless: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/ui_costs.py``.
Prints medians of ``--repeat`` runs, the ratios, and the load average (the
figures are wall-clock, so a busy machine inflates both sides).
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from typing import Callable

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("GAN_STUDIO_SETTINGS", os.path.join(tempfile.mkdtemp(prefix="ui-costs-"), "settings.ini"))


def median_ms(fn: Callable[[], None], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def tab_costs(repeat: int) -> None:
    from PySide6.QtWidgets import QApplication, QWidget

    from studio.domains import domain_names
    from studio.ui.domain_tab import DomainTab

    app = QApplication.instance()

    def build(factory: Callable[[], QWidget]) -> Callable[[], None]:
        def run() -> None:
            widget = factory()
            widget.resize(1400, 900)
            app.processEvents()
            if isinstance(widget, DomainTab):
                widget.shutdown()
            widget.deleteLater()
            app.processEvents()
        return run

    base = median_ms(build(QWidget), repeat)
    print(f"empty QWidget tab: {base:.1f} ms")
    for name in domain_names():
        first = median_ms(build(lambda: DomainTab(name)), 1)  # imports the medium's modules and its Qt side
        again = median_ms(build(lambda: DomainTab(name)), repeat)
        print(f"{name} tab: first {first:.0f} ms, again {again:.0f} ms")


def pen_costs(repeat: int, points: int = 50_000) -> None:
    import pyqtgraph as pg

    widget = pg.PlotWidget()
    widget.resize(800, 300)
    widget.show()
    x = np.arange(points, dtype=np.float64)
    y = np.cumsum(np.random.default_rng(0).normal(size=points))
    results = {}
    for width in (1, 2):
        item = pg.PlotDataItem(x, y, pen=pg.mkPen("#4c9bff", width=width), antialias=True, skipFiniteCheck=True)
        widget.addItem(item)
        results[width] = median_ms(lambda: widget.grab(), repeat)
        widget.removeItem(item)
    print(f"{points:,}-point curve: 1-px pen {results[1]:.1f} ms a frame, 2-px pen {results[2]:.1f} ms "
          f"({results[2] / max(results[1], 1e-3):.0f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from PySide6.QtWidgets import QApplication

    app = QApplication([])  # noqa: F841  (kept alive for the widgets)
    print(f"load average {os.getloadavg()}")
    tab_costs(args.repeat)
    pen_costs(args.repeat)
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
