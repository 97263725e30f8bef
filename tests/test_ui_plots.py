"""LivePlots: batched appends stay fast at tens of thousands of points, series land in the right panels."""
from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import Qt

from studio.ui.plots import CATCH_ALL, REDRAW_INTERVAL_MS, LivePlots

PANELS = {"losses": ["loss_d", "loss_g"], "D(real) / D(fake)": ["d_real", "d_fake"], "quality": []}


@pytest.fixture
def plots(qtbot, request, screenshot_dir):
    widget = LivePlots(panels=PANELS, labels={"loss_d": "D loss", "loss_g": "G loss"})
    widget.resize(760, 560)
    widget.show()
    yield widget
    _shot(widget, qtbot, screenshot_dir / f"plots_{request.node.name.removeprefix('test_')}.png")
    widget.close()
    widget.deleteLater()


def _shot(widget, qtbot, path) -> None:
    qtbot.wait(REDRAW_INTERVAL_MS + 20)  # let layouts and view ranges settle as they would on screen
    widget.grab().save(str(path))


def _debiased_ema(values: np.ndarray, weight: float) -> list[float]:
    out, ema = [], 0.0
    for i, value in enumerate(values):
        ema = weight * ema + (1 - weight) * value
        out.append(ema / (1 - weight ** (i + 1)))
    return out


def _training_like(n: int, seed: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    steps = np.arange(n)
    decay = np.exp(-steps / (n / 4))
    return steps, {
        "loss_d": 0.6 + 0.8 * decay + 0.15 * rng.standard_normal(n),
        "loss_g": 1.2 + 1.5 * decay + 0.25 * rng.standard_normal(n),
        "d_real": 0.3 + 0.5 * (1 - decay) + 0.1 * rng.standard_normal(n),
        "d_fake": -0.3 - 0.5 * (1 - decay) + 0.1 * rng.standard_normal(n),
    }


def test_fifty_thousand_points_append_fast_and_complete(plots, qtbot):
    steps, series = _training_like(50_000)
    start = time.perf_counter()
    plots.add_points(steps, series)
    plots.flush()
    elapsed_ms = (time.perf_counter() - start) * 1000
    assert elapsed_ms < 500, f"50k points took {elapsed_ms:.0f} ms"

    assert len(plots.curve("loss_d").xData) == 50_000
    x, y = plots.series_data("loss_g")
    np.testing.assert_array_equal(x, steps)
    np.testing.assert_allclose(y, series["loss_g"])

    start = time.perf_counter()
    plots.grab()  # a full repaint with peak downsampling must not scale with the number of points
    paint_ms = (time.perf_counter() - start) * 1000
    assert paint_ms < 300, f"painting 200k points took {paint_ms:.0f} ms"
    shown_x, _ = plots.curve("loss_d").getData()  # peak-downsampled to about two points per pixel column
    assert len(shown_x) < 4 * plots.width()


def test_streaming_batches_are_coalesced_into_few_redraws(plots, qtbot, monkeypatch):
    draws = []
    plots.add_points(np.array([0]), {"loss_d": np.array([1.0])})
    plots.flush()
    curve = plots.curve("loss_d")
    original = curve.setData
    monkeypatch.setattr(curve, "setData", lambda *a, **k: (draws.append(1), original(*a, **k)))

    steps, series = _training_like(20_000, seed=1)
    start = time.perf_counter()
    for i in range(1, 20_000, 100):  # 200 batches, as a trainer sends ~10 a second
        plots.add_points(steps[i: i + 100], {k: v[i: i + 100] for k, v in series.items()})
    append_ms = (time.perf_counter() - start) * 1000
    assert append_ms < 500, f"200 batched appends took {append_ms:.0f} ms"
    assert draws == []  # nothing drawn synchronously
    qtbot.waitUntil(lambda: len(draws) >= 1, timeout=2000)
    qtbot.wait(REDRAW_INTERVAL_MS * 2)
    assert len(draws) == 1
    assert plots.series_data("loss_d")[0].size == 20_000


def test_series_are_placed_in_panels_and_unknown_ones_in_quality(plots):
    assert not plots.panel("losses").isVisibleTo(plots)  # empty panels stay out of the way
    plots.add_points(np.arange(10), {"loss_d": np.ones(10), "swd": np.linspace(1, 0, 10)})
    plots.flush()
    assert plots.panel_of("loss_d") == "losses"
    assert plots.panel_of("swd") == CATCH_ALL
    assert plots.panel("losses").isVisibleTo(plots)
    assert plots.panel(CATCH_ALL).isVisibleTo(plots)
    assert not plots.panel("D(real) / D(fake)").isVisibleTo(plots)
    colours = {plots.curve(n).opts["pen"].color().name() for n in ("loss_d", "swd")}
    assert len(colours) == 2
    legend_labels = [label.text for _, label in plots.panel("losses").getPlotItem().legend.items]
    assert legend_labels == ["D loss"]


def test_reference_line_is_dashed_in_series_colour_and_spans_the_data(plots):
    plots.set_reference("ae_acc", 0.92)
    line = plots.reference_line("ae_acc")
    assert line is not None
    steps = np.arange(0, 5000, 250)
    plots.add_points(steps, {"ae_acc": 1 - np.exp(-steps / 1500)})
    plots.flush()
    x, y = line.getData()
    assert list(y) == [0.92, 0.92]
    assert x[0] == 0 and x[-1] == steps[-1]
    pen = line.opts["pen"]
    assert pen.style() == Qt.PenStyle.DashLine
    assert pen.color().name() == plots.curve("ae_acc").opts["pen"].color().name()
    plots.set_reference("ae_acc", 0.95)  # replaced, not duplicated
    assert list(plots.reference_line("ae_acc").getData()[1]) == [0.95, 0.95]
    s, series = _training_like(3000)
    plots.add_points(s, series)
    plots.flush()


def test_nan_skipped_and_resumed_run_replaces_abandoned_tail(plots):
    plots.add_points(np.arange(100), {"loss_d": np.where(np.arange(100) % 10 == 0, np.nan, 1.0)})
    assert plots.series_data("loss_d")[0].size == 90
    plots.add_points(np.arange(50, 60), {"loss_d": np.full(10, 2.0)})  # resumed from step 50
    x, y = plots.series_data("loss_d")
    assert x[-1] == 59 and np.all(np.diff(x) > 0)
    assert y[-1] == 2.0 and x.size == 45 + 10
    with pytest.raises(ValueError):
        plots.add_points(np.arange(3), {"loss_d": np.ones(4)})


def test_smoothing_draws_an_ema_over_a_faint_raw_curve(plots, qtbot, screenshot_dir):
    steps, series = _training_like(4000, seed=2)
    plots.add_points(steps, series)
    plots.set_smoothing(0.95)
    smooth = plots.curve("loss_g").yData.copy()
    raw = plots.series_data("loss_g")[1]
    assert smooth.size == raw.size
    assert np.std(np.diff(smooth)) < 0.2 * np.std(np.diff(raw))
    assert abs(smooth[0] - raw[0]) < 1e-9  # debiased: starts at the first value, not at 0
    np.testing.assert_allclose(smooth, _debiased_ema(raw, 0.95), rtol=1e-9)
    _shot(plots, qtbot, screenshot_dir / "plots_smoothed.png")
    plots.set_smoothing(0.5)  # a new weight recomputes the whole average
    lighter = plots.curve("loss_g").yData
    np.testing.assert_allclose(lighter, _debiased_ema(raw, 0.5), rtol=1e-9)  # computed in several blocks
    assert np.std(np.diff(smooth)) < np.std(np.diff(lighter)) < np.std(np.diff(raw))
    plots.set_smoothing(0.0)
    np.testing.assert_allclose(plots.curve("loss_g").yData, raw)


def test_clear_and_load_history(plots):
    plots.set_reference("ae_acc", 0.5)
    plots.add_points(np.arange(10), {"loss_d": np.ones(10), "ae_acc": np.ones(10)})
    steps, series = _training_like(1000, seed=3)
    plots.load_history(steps, series)
    assert plots.series_data("loss_d")[0].size == 1000
    assert plots.series_data("ae_acc")[0].size == 0
    assert plots.reference_line("ae_acc") is not None  # kept across a reopened run
    plots.clear()
    assert plots.series_names() == []
    assert not plots.panel("losses").isVisibleTo(plots)
