"""Live training curves: stacked panels with a shared step axis.

Training sends figures in batches several times a second for hours, so each
series lives in a growing numpy buffer (doubled when full, never re-built per
point) and the curves are redrawn by one timer at most ~10 times a second,
however often points arrive. pyqtgraph's peak downsampling and clip-to-view
keep the drawing cost bounded by the widget's width, not by the run's length.
"""
from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

DEFAULT_PANELS: dict[str, list[str]] = {
    "losses": ["d_loss", "g_loss"],
    "D(real) / D(fake)": ["d_real", "d_fake"],
    "quality": [],
}
CATCH_ALL = "quality"
"""Series not named in any panel go to this panel (created if the mapping lacks it)."""

SERIES_COLOURS = [
    "#4c9bff", "#ff8a4c", "#3fcf8e", "#c77dff", "#f2c94c",
    "#ff5c8a", "#35c4d6", "#a3d955", "#e07b53", "#8c9eff",
]
"""Mid-saturation colours that read on dark and light backgrounds alike."""

REDRAW_INTERVAL_MS = 100
DEFAULT_SMOOTHING = 0.9  # EMA weight the "Smooth" box switches on
AXIS_WIDTH = 52  # fixed so the stacked panels' plotting areas line up


class _GrowingSeries:
    """x/y points in preallocated arrays whose capacity doubles when full."""

    def __init__(self, capacity: int = 1024) -> None:
        self.x = np.empty(capacity, np.float64)
        self.y = np.empty(capacity, np.float64)
        self.smooth = np.empty(0, np.float64)
        self.n = 0
        self.n_smoothed = 0
        self._ema = 0.0

    def append(self, xs: np.ndarray, ys: np.ndarray) -> None:
        if len(xs) == 0:
            return
        if self.n and xs[0] <= self.x[self.n - 1]:
            # a run resumed from an earlier checkpoint: its new points replace the abandoned tail
            self.truncate(int(np.searchsorted(self.x[: self.n], xs[0], side="left")))
        need = self.n + len(xs)
        if need > len(self.x):
            capacity = max(need, 2 * len(self.x))
            for name in ("x", "y"):
                grown = np.empty(capacity, np.float64)
                grown[: self.n] = getattr(self, name)[: self.n]
                setattr(self, name, grown)
        self.x[self.n: need] = xs
        self.y[self.n: need] = ys
        self.n = need

    def truncate(self, n: int) -> None:
        self.n = n
        self.reset_smoothing()

    def reset_smoothing(self) -> None:
        """The average is recomputed from the first point on the next smoothed draw."""
        self.n_smoothed = 0
        self._ema = 0.0

    def smoothed(self, weight: float) -> np.ndarray:
        """Debiased exponential moving average (as TensorBoard draws it), extended incrementally."""
        if len(self.smooth) < len(self.x):
            grown = np.empty(len(self.x), np.float64)
            grown[: self.n_smoothed] = self.smooth[: self.n_smoothed]
            self.smooth = grown
        if weight <= 0:
            return self.y[: self.n]
        # closed form per block: ema_t = w^(t+1) ema_0 + (1-w) w^t cumsum(y_k w^-k); blocks keep w^-k finite
        block = int(min(4096, max(1, 600 / -math.log(weight))))
        start = self.n_smoothed
        while start < self.n:
            stop = min(self.n, start + block)
            t = np.arange(stop - start, dtype=np.float64)
            powers = weight ** t
            ema = weight * powers * self._ema + (1 - weight) * powers * np.cumsum(self.y[start:stop] / powers)
            self.smooth[start:stop] = ema / (1.0 - weight ** np.arange(start + 1, stop + 1, dtype=np.float64))
            self._ema = float(ema[-1])
            start = stop
        self.n_smoothed = self.n
        return self.smooth[: self.n]


class _Curve:
    """A series on screen: the main curve (in the legend) and a faint raw shadow shown while smoothing."""

    def __init__(self, plot: pg.PlotItem, label: str, colour: str, smoothable: bool) -> None:
        self.colour = colour
        self.smoothable = smoothable
        self.data = _GrowingSeries()
        faint = QColor(colour)
        faint.setAlpha(45)
        self.shadow = self._item(pg.mkPen(faint, width=1))
        self.shadow.setVisible(False)
        self.main = self._item(pg.mkPen(colour, width=1), name=label)
        plot.addItem(self.shadow)
        plot.addItem(self.main)
        self.reference: pg.PlotDataItem | None = None
        self.reference_value: float | None = None

    @staticmethod
    def _item(pen: pg.QtGui.QPen, name: str | None = None) -> pg.PlotDataItem:
        # Downsampling mode and clip-to-view are set on the PlotItem, which imposes them on the items it
        # adds; a factor of 1 keeps one min/max pair per pixel column (the peak envelope, nothing more).
        # Pens stay 1 px: Qt strokes wider antialiased polylines ~100x slower (seconds per frame at 50k points).
        return pg.PlotDataItem(pen=pen, name=name, skipFiniteCheck=True, autoDownsampleFactor=1.0, antialias=True)

    def redraw(self, smoothing: float) -> None:
        d = self.data
        x = d.x[: d.n]
        if self.smoothable and smoothing > 0:
            self.main.setData(x, d.smoothed(smoothing))
            self.shadow.setData(x, d.y[: d.n])
            self.shadow.setVisible(True)
        else:
            self.main.setData(x, d.y[: d.n])
            self.shadow.setVisible(False)


class LivePlots(QWidget):
    """Stacked loss / discriminator / quality panels fed with batches of points.

    ``panels`` maps a panel title to the series names it shows, in order from
    top to bottom; any other series lands in the "quality" panel. Panels stay
    hidden until they have a curve, so a domain without metrics shows no
    empty box. ``labels`` gives legend text for series keys.
    """

    def __init__(
        self,
        panels: Mapping[str, list[str]] | None = None,
        labels: Mapping[str, str] | None = None,
        smoothing: float = 0.0,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        panels = dict(DEFAULT_PANELS if panels is None else panels)
        panels.setdefault(CATCH_ALL, [])
        self._panel_of = {name: title for title, names in panels.items() for name in names}
        self._colour_slots = {name: i for i, name in enumerate(self._panel_of)}  # stable colours for known series
        self._labels = dict(labels or {})
        self._smoothing = 0.0
        self._curves: dict[str, _Curve] = {}
        self._dirty: set[str] = set()
        self._visible_panels: list[str] | None = None

        self._splitter = QSplitter(Qt.Orientation.Vertical)
        self._splitter.setChildrenCollapsible(False)
        self._panels: dict[str, pg.PlotWidget] = {}
        for title in panels:
            self._panels[title] = self._make_panel(title)

        self._smooth_box = QCheckBox("Smooth")
        self._smooth_box.setToolTip("Draw an exponential moving average over noisy losses "
                                    "(raw values stay faint behind)")
        self._smooth_box.toggled.connect(lambda on: self.set_smoothing(DEFAULT_SMOOTHING if on else 0.0))
        self._empty_label = QLabel("Curves appear here when training starts")
        self._empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty_label.setEnabled(False)
        self._step_label = QLabel()
        self._step_label.setMinimumWidth(self._step_label.fontMetrics().horizontalAdvance("step 000,000,000"))
        self._step_label.setToolTip("Latest logged step")

        bar = QHBoxLayout()
        bar.setContentsMargins(4, 0, 4, 0)
        bar.addWidget(self._step_label)
        bar.addStretch(1)
        bar.addWidget(self._smooth_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(bar)
        layout.addWidget(self._empty_label, 1)
        layout.addWidget(self._splitter, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REDRAW_INTERVAL_MS)
        self._timer.timeout.connect(self.flush)
        self._apply_palette()
        self._update_visibility()
        self.set_smoothing(smoothing)

    # ----------------------------------------------------------------- public API
    def add_points(self, steps: np.ndarray, series: Mapping[str, np.ndarray]) -> None:
        """Appends one batch; each series has one value per step (NaN = no value at that step)."""
        steps = np.asarray(steps, np.float64).reshape(-1)
        arrays = {name: np.asarray(values, np.float64).reshape(-1) for name, values in series.items()}
        for name, values in arrays.items():  # all checked before any is appended
            if len(values) != len(steps):
                raise ValueError(f"series {name!r} has {len(values)} values for {len(steps)} steps")
        for name, values in arrays.items():
            keep = np.isfinite(values) & np.isfinite(steps)
            curve = self._curve(name)
            curve.data.append(steps[keep], values[keep])
            self._dirty.add(name)
        if len(steps):
            self._step_label.setText(f"step {int(steps[-1]):,}")
        if self._dirty and not self._timer.isActive():
            self._timer.start()

    def set_reference(self, name: str, value: float) -> None:
        """A dashed line at ``value`` in the series' colour (e.g. the figure measured on the corpus)."""
        curve = self._curve(name)
        curve.reference_value = float(value)
        if curve.reference is None:
            pen = pg.mkPen(curve.colour, width=1, style=Qt.PenStyle.DashLine)
            curve.reference = pg.PlotDataItem(pen=pen, name=f"{self._label(name)} (corpus)")
            self._panels[self._panel_title(name)].addItem(curve.reference)
        self._dirty.add(name)
        self.flush()

    def clear(self) -> None:
        """Removes every series, curve and reference line."""
        for name in list(self._curves):
            curve = self._curves.pop(name)
            plot = self._panels[self._panel_title(name)]
            for item in (curve.main, curve.shadow, curve.reference):
                if item is not None:
                    plot.removeItem(item)
        self._dirty.clear()
        self._step_label.clear()
        self._update_visibility()

    def load_history(self, steps: np.ndarray, series: Mapping[str, np.ndarray]) -> None:
        """Replaces the points with a reopened run's history (reference lines stay)."""
        for curve in self._curves.values():
            curve.data.truncate(0)
        self._dirty.update(self._curves)
        self.add_points(steps, series)
        self.flush()
        for plot in self._panels.values():
            plot.enableAutoRange()

    def set_smoothing(self, weight: float) -> None:
        """EMA weight in [0, 0.999] for the loss panels; 0 shows raw values."""
        weight = float(np.clip(weight, 0.0, 0.999))
        if weight != self._smoothing:
            for curve in self._curves.values():
                curve.data.reset_smoothing()
        self._smoothing = weight
        self._smooth_box.blockSignals(True)
        self._smooth_box.setChecked(self._smoothing > 0)
        self._smooth_box.blockSignals(False)
        self._dirty.update(self._curves)
        self.flush()

    def flush(self) -> None:
        """Draws pending points now (the timer calls this; tests and history loading may too)."""
        self._timer.stop()
        for name in self._dirty:
            curve = self._curves.get(name)
            if curve is not None:
                curve.redraw(self._smoothing)
        touched = {self._panel_title(name) for name in self._dirty}
        self._dirty.clear()
        for title in touched:
            self._update_references(title)

    def series_names(self) -> list[str]:
        return list(self._curves)

    def series_data(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """All points of a series (copies), whatever is on screen."""
        d = self._curves[name].data
        return d.x[: d.n].copy(), d.y[: d.n].copy()

    def curve(self, name: str) -> pg.PlotDataItem:
        return self._curves[name].main

    def reference_line(self, name: str) -> pg.PlotDataItem | None:
        curve = self._curves.get(name)
        return None if curve is None else curve.reference

    def panel(self, title: str) -> pg.PlotWidget:
        return self._panels[title]

    def panel_of(self, name: str) -> str:
        return self._panel_title(name)

    # ----------------------------------------------------------------- internals
    def _make_panel(self, title: str) -> pg.PlotWidget:
        plot = pg.PlotWidget()
        plot.setMinimumHeight(110)
        plot.showGrid(x=True, y=True, alpha=0.15)
        plot.setMenuEnabled(True)
        plot.getAxis("left").setWidth(AXIS_WIDTH)
        plot.setDownsampling(auto=True, mode="peak")
        plot.setClipToView(True)
        plot.getPlotItem().setContentsMargins(2, 2, 8, 2)
        plot.addLegend(offset=(-6, 6), labelTextSize="8pt", verSpacing=-4)
        if self._panels:
            plot.setXLink(next(iter(self._panels.values())))
        plot.setToolTip("Drag to pan, wheel to zoom, right-click for options; the small 'A' button restores auto-range")
        self._splitter.addWidget(plot)
        return plot

    def _panel_title(self, name: str) -> str:
        return self._panel_of.get(name, CATCH_ALL)

    def _label(self, name: str) -> str:
        return self._labels.get(name, name)

    def _curve(self, name: str) -> _Curve:
        curve = self._curves.get(name)
        if curve is None:
            title = self._panel_title(name)
            slot = self._colour_slots.setdefault(name, len(self._colour_slots))
            colour = SERIES_COLOURS[slot % len(SERIES_COLOURS)]
            curve = _Curve(self._panels[title].getPlotItem(), self._label(name), colour,
                           smoothable=title != CATCH_ALL)
            self._curves[name] = curve
            legend = self._panels[title].getPlotItem().legend
            legend.setColumnCount(max(1, math.ceil(len(legend.items) / 4)))
            self._update_visibility()
        return curve

    def _update_references(self, title: str) -> None:
        """Reference lines span the panel's data so that auto-range keeps them in view."""
        names = [n for n, c in self._curves.items() if self._panel_title(n) == title]
        xs = [self._curves[n].data.x[: self._curves[n].data.n] for n in names]
        xs = [x for x in xs if len(x)]
        lo = min((x[0] for x in xs), default=0.0)
        hi = max((x[-1] for x in xs), default=1.0)
        for n in names:
            curve = self._curves[n]
            if curve.reference is not None:
                curve.reference.setData([lo, max(hi, lo + 1)], [curve.reference_value] * 2)

    def _update_visibility(self) -> None:
        used = {self._panel_title(n) for n in self._curves}
        visible = [t for t in self._panels if t in used]
        if visible == self._visible_panels:
            return
        self._visible_panels = visible
        for title, plot in self._panels.items():
            plot.setVisible(title in used)
            bottom = bool(visible) and title == visible[-1]
            plot.setLabel("bottom", "step" if bottom else None)
            plot.getAxis("bottom").setStyle(showValues=bottom)  # the x axes are linked: one scale suffices
        self._empty_label.setVisible(not used)
        self._splitter.setVisible(bool(used))
        # a panel shown later would otherwise keep whatever height the splitter left it
        self._splitter.setSizes([1000 if title in used else 0 for title in self._panels])

    def _apply_palette(self) -> None:
        pal = self.palette()
        base, text, mid = (pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text),
                           pal.color(QPalette.ColorRole.Mid))
        legend_bg = QColor(base)
        legend_bg.setAlpha(200)
        for title, plot in self._panels.items():
            plot.setBackground(base)
            item = plot.getPlotItem()
            item.setTitle(title[:1].upper() + title[1:], size="9pt", color=text)
            for side in ("left", "bottom"):
                axis = item.getAxis(side)
                axis.setPen(mid)
                axis.setTextPen(text)
            item.legend.setBrush(legend_bg)
            item.legend.setPen(pg.mkPen(mid))
            item.legend.setLabelTextColor(text)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._apply_palette()
        super().changeEvent(event)
