"""Live training curves: stacked panels with a shared step axis.

Training sends figures in batches several times a second for hours, so each
series lives in a growing numpy buffer (doubled when full, never re-built per
point) and the curves are redrawn by one timer at most ~10 times a second,
however often points arrive. pyqtgraph's peak downsampling and clip-to-view
keep the drawing cost bounded by the widget's width, not by the run's length.

The step axis is shared by hand rather than with pyqtgraph's links: a link
follows one panel's own auto-range, which is wrong whenever that panel is
empty (the text autoencoder phase logs no GAN losses) or holds a single
point (one quality figure). Here every panel shows the steps of all the data
until the user pans or zooms one of them; the others then follow that view,
and the small "A" button hands the axis back to the data.
"""
from __future__ import annotations

import html
import math
from typing import Mapping

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor, QFontMetricsF, QPalette, QResizeEvent
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

DEFAULT_PANELS: dict[str, list[str]] = {
    "losses": ["d_loss", "g_loss", "d_aux"],
    "D(real) / D(fake)": ["d_real", "d_fake", "d_real_sign"],
    "autoencoder": ["ae_loss", "ae_acc"],
    "quality": [],
}
"""The names the trainer logs (studio.core.trainer; ae_* come from the text autoencoder's pretraining)."""
DEFAULT_LABELS: dict[str, str] = {
    "d_loss": "D loss", "g_loss": "G loss", "d_aux": "D reconstruction",
    "d_real": "D(real)", "d_fake": "D(fake)", "d_real_sign": "E[sign D(real)]",
    "ae_loss": "autoencoder loss", "ae_acc": "autoencoder accuracy",
}
PANEL_HELP: dict[str, str] = {
    "losses": "The critic's (D) and the generator's (G) losses. They seesaw rather than fall together: "
              "a steady seesaw is healthy, a loss that runs away or goes flat for good is not.",
    "D(real) / D(fake)": "The critic's mean score of your data and of the generator's samples. The generator "
                         "learns by closing the gap. While a text run's autoencoder trains, the encoder pulls its "
                         "codes toward what the generator makes, so D(fake) may sit above D(real): the method "
                         "working, not a fault.",
    "autoencoder": "How well the text autoencoder rebuilds your lines: its loss, and its accuracy per "
                   "character. The GAN phase starts when it is done.",
}
"""What each standard panel shows and how to read it: the panel's tooltip, beside how to navigate it."""
NAVIGATION_HELP = "Drag to pan, wheel to zoom, right-click for options; the small 'A' button restores auto-range"
CATCH_ALL = "quality"
SMOOTHED_PANELS = frozenset(DEFAULT_PANELS) - {CATCH_ALL}
"""Noisy per-step curves get the "Smooth" EMA; quality figures, few and far between, are drawn as they are."""
"""Series not named in any panel go to this panel (created if the mapping lacks it)."""

SERIES_COLOURS = [
    "#4c9bff", "#ff8a4c", "#3fcf8e", "#c77dff", "#f2c94c",
    "#ff5c8a", "#35c4d6", "#a3d955", "#e07b53", "#8c9eff",
]
"""Mid-saturation colours that read on dark and light backgrounds alike."""

REFERENCE_LABEL = "your data"  # the legend's key for the dashed lines: the training data's own figures
REDRAW_INTERVAL_MS = 100
DEFAULT_SMOOTHING = 0.9  # EMA weight the "Smooth" box switches on
AXIS_WIDTH = 52  # fixed so the stacked panels' plotting areas line up
HEADING_PT = 8.5
X_PADDING = 0.02  # of the step range, each side


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
        # Pens stay 1 px: Qt strokes wider antialiased polylines far slower (docs/experiments/*-ui-costs.md).
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
    empty box. ``labels`` gives legend text for series keys. With
    ``only_listed`` a series no panel names is not drawn at all.
    """

    def __init__(
        self,
        panels: Mapping[str, list[str]] | None = None,
        labels: Mapping[str, str] | None = None,
        smoothing: float = 0.0,
        parent: QWidget | None = None,
        only_listed: bool = False,
    ) -> None:
        super().__init__(parent)
        panels = dict(DEFAULT_PANELS if panels is None else panels)
        panels.setdefault(CATCH_ALL, [])
        self._panel_of = {name: title for title, names in panels.items() for name in names}
        self._colour_slots = {name: i for i, name in enumerate(self._panel_of)}  # stable colours for known series
        self._labels = dict(DEFAULT_LABELS if labels is None else labels)
        self._only_listed = only_listed
        self._smoothing = 0.0
        self._curves: dict[str, _Curve] = {}
        self._dirty: set[str] = set()
        self._visible_panels: list[str] | None = None
        self._follow_x = True  # the step axis shows all the data until the user pans or zooms
        self._syncing_x = False

        self._splitter = QSplitter(Qt.Orientation.Vertical)
        self._splitter.setChildrenCollapsible(False)
        self._panels: dict[str, pg.PlotWidget] = {}
        self._legends: dict[str, list[str]] = {}
        for title in panels:
            self._panels[title] = self._make_panel(title)

        self._smooth_box = QCheckBox("Smooth")
        self._smooth_box.setToolTip("Draw an exponential moving average over noisy losses "
                                    "(raw values stay faint behind)")
        self._smooth_box.toggled.connect(lambda on: self.set_smoothing(DEFAULT_SMOOTHING if on else 0.0))
        self._empty_label = QLabel("Losses and quality figures are drawn here while the model trains")
        self._empty_label.setObjectName("placeholderLabel")
        self._empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty_label.setWordWrap(True)
        self._empty_label.setMargin(24)
        self._step_label = QLabel()
        self._step_label.setMinimumWidth(self._step_label.fontMetrics().horizontalAdvance("step 000,000,000"))
        self._step_label.setToolTip("Latest logged step")

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self._step_label)
        bar.addStretch(1)
        bar.addWidget(self._smooth_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 8)  # as the gallery above, so the centre column lines up
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
        arrays = {name: np.asarray(values, np.float64).reshape(-1) for name, values in series.items()
                  if self._drawn(name)}
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
        if not self._drawn(name):
            return
        curve = self._curve(name)
        curve.reference_value = float(value)
        if curve.reference is None:
            pen = pg.mkPen(curve.colour, width=1, style=Qt.PenStyle.DashLine)
            curve.reference = pg.PlotDataItem(pen=pen)
            self._panels[self._panel_title(name)].addItem(curve.reference)
            self._refresh_heading(self._panel_title(name))
        self._dirty.add(name)
        self.flush()

    def clear(self) -> None:
        """Removes every series, curve and reference line; the step axis follows the data again."""
        self._follow_x = True
        for name in list(self._curves):
            curve = self._curves.pop(name)
            plot = self._panels[self._panel_title(name)]
            for item in (curve.main, curve.shadow, curve.reference):
                if item is not None:
                    plot.removeItem(item)
        self._dirty.clear()
        self._step_label.clear()
        for title in self._panels:
            self._refresh_heading(title)
        self._update_visibility()

    def load_history(self, steps: np.ndarray, series: Mapping[str, np.ndarray]) -> None:
        """Replaces the points with a reopened run's history (reference lines stay)."""
        for curve in self._curves.values():
            curve.data.truncate(0)
        self._dirty.update(self._curves)
        self.add_points(steps, series)
        self._follow_x = True
        for plot in self._panels.values():
            plot.enableAutoRange(axis="y")
        self.flush()

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
        if touched and self._follow_x:
            self._fit_x()

    def x_range(self) -> tuple[float, float]:
        """The step range on screen (the same in every panel)."""
        lo, hi = next(iter(self._panels.values())).getViewBox().viewRange()[0]
        return float(lo), float(hi)

    def data_x_range(self) -> tuple[float, float] | None:
        """First and last step over every series (None while there is no point)."""
        ends = [(c.data.x[0], c.data.x[c.data.n - 1]) for c in self._curves.values() if c.data.n]
        if not ends:
            return None
        return float(min(lo for lo, _ in ends)), float(max(hi for _, hi in ends))

    def series_names(self) -> list[str]:
        return list(self._curves)

    def series_data(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """All points of a series (copies), whatever is on screen."""
        d = self._curves[name].data
        return d.x[: d.n].copy(), d.y[: d.n].copy()

    def legend(self, title: str) -> list[str]:
        """The series names a panel's heading lists, in order."""
        return list(self._legends.get(title, []))

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
        plot.setMinimumHeight(90)
        plot.showGrid(x=True, y=True, alpha=0.15)
        plot.setMenuEnabled(True)
        plot.getAxis("left").setWidth(AXIS_WIDTH)
        plot.setDownsampling(auto=True, mode="peak")
        plot.setClipToView(True)
        plot.getPlotItem().setContentsMargins(2, 2, 8, 2)
        box = plot.getViewBox()
        box.enableAutoRange(axis=pg.ViewBox.XAxis, enable=False)
        box.setAutoVisible(y=True)  # zoomed in on some steps, the values there fill the height
        box.sigRangeChangedManually.connect(lambda mask, b=box: self._user_moved_x(b, mask))
        box.sigStateChanged.connect(self._auto_button)
        help_text = PANEL_HELP.get(title)
        plot.setToolTip(f"{help_text}\n\n{NAVIGATION_HELP}" if help_text else NAVIGATION_HELP)
        self._splitter.addWidget(plot)
        return plot

    def _drawn(self, name: str) -> bool:
        return not self._only_listed or name in self._panel_of

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
                           smoothable=title in SMOOTHED_PANELS)
            self._curves[name] = curve
            self._refresh_heading(title)
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

    def _fit_x(self) -> None:
        """Every panel shows the steps of all the data, from step 0 (one point alone is not zoomed into)."""
        ends = self.data_x_range()
        if ends is None:
            return
        lo, hi = min(0.0, ends[0]), ends[1]
        hi = max(hi, lo + 1.0)
        self._set_x(lo, hi, padding=X_PADDING)

    def _set_x(self, lo: float, hi: float, padding: float = 0.0, source: pg.ViewBox | None = None) -> None:
        self._syncing_x = True
        try:
            for plot in self._panels.values():
                box = plot.getViewBox()
                if box is not source:
                    box.setXRange(lo, hi, padding=padding)
                    box.enableAutoRange(axis=pg.ViewBox.XAxis, enable=False)
        finally:
            self._syncing_x = False

    def _user_moved_x(self, source: pg.ViewBox, mask: list) -> None:
        """A pan or zoom in one panel: the others show the same steps, and new points no longer move them."""
        if self._syncing_x or not mask[0]:
            return
        self._follow_x = False
        lo, hi = source.viewRange()[0]
        self._set_x(lo, hi, source=source)

    def _auto_button(self, box: pg.ViewBox) -> None:
        """The "A" button (or the menu's auto-range) gives the step axis back to the data."""
        if self._syncing_x or not box.autoRangeEnabled()[0]:
            return
        self._follow_x = True
        self._fit_x()

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
        self._smooth_box.setVisible(bool(used))
        # a panel shown later would otherwise keep whatever height the splitter left it
        self._splitter.setSizes([1000 if title in used else 0 for title in self._panels])

    def _refresh_heading(self, title: str) -> None:
        """The panel's title and then its series in their colours, wrapped to the panel's width.

        This is the legend: in the title row it never covers the newest
        points, which a legend box in the plot's corner always does.
        """
        entries = []
        names = [n for n in self._curves if self._panel_title(n) == title]
        declared = list(self._panel_of)
        names.sort(key=lambda n: declared.index(n) if n in declared else len(declared))  # the panel's own order
        for name in names:
            entries.append((self._curves[name].colour, "━", self._label(name)))
        if any(self._curves[name].reference is not None for name in names):  # one key for every dashed line
            entries.append((self.palette().color(QPalette.ColorRole.Text).name(), "╌", REFERENCE_LABEL))
        self._legends[title] = [label for _, _, label in entries]
        plot = self._panels[title]
        font = plot.font()
        font.setPointSizeF(HEADING_PT)
        metrics = QFontMetricsF(font)
        room = max(120.0, plot.width() - AXIS_WIDTH - 24)
        heading = title[:1].upper() + title[1:]
        lines = [[f"<b>{html.escape(heading)}</b>"]]
        used = metrics.horizontalAdvance(heading) * 1.15  # bold is wider
        for colour, mark, label in entries:
            width = metrics.horizontalAdvance(f"    {mark} {label}")
            if used + width > room:
                lines.append([])
                used = 0.0
            lines[-1].append(f'<span style="color:{colour}">{mark}</span>&nbsp;{html.escape(label)}')
            used += width
        text = "<br>".join("&nbsp;&nbsp;&nbsp;&nbsp;".join(line) for line in lines)
        height = int(len(lines) * metrics.lineSpacing() + 10)
        item = plot.getPlotItem()
        item.setTitle(text, size=f"{HEADING_PT}pt", color=self.palette().color(QPalette.ColorRole.Text))
        item.titleLabel.setMaximumHeight(height)
        item.layout.setRowFixedHeight(0, height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        for title in self._panels:
            self._refresh_heading(title)

    def _apply_palette(self) -> None:
        pal = self.palette()
        base, text, mid = (pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text),
                           pal.color(QPalette.ColorRole.Mid))
        for title, plot in self._panels.items():
            plot.setBackground(base)
            item = plot.getPlotItem()
            for side in ("left", "bottom"):
                axis = item.getAxis(side)
                axis.setPen(mid)
                axis.setTextPen(text)
            self._refresh_heading(title)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._apply_palette()
        super().changeEvent(event)
