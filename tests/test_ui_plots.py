"""LivePlots: batched appends stay fast at tens of thousands of points, series land in the right panels."""
from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import Qt

from studio.ui.plots import CATCH_ALL, DEFAULT_PANELS, PANEL_HELP, REDRAW_INTERVAL_MS, LivePlots

pytestmark = pytest.mark.usefixtures("themed")


@pytest.fixture
def plots(qtbot, request, screenshot_dir):
    widget = LivePlots()  # the panels and names the trainer logs
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
        "d_loss": 0.6 + 0.8 * decay + 0.15 * rng.standard_normal(n),
        "g_loss": 1.2 + 1.5 * decay + 0.25 * rng.standard_normal(n),
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

    assert len(plots.curve("d_loss").xData) == 50_000
    x, y = plots.series_data("g_loss")
    np.testing.assert_array_equal(x, steps)
    np.testing.assert_allclose(y, series["g_loss"])

    start = time.perf_counter()
    plots.grab()  # a full repaint with peak downsampling must not scale with the number of points
    paint_ms = (time.perf_counter() - start) * 1000
    assert paint_ms < 300, f"painting 200k points took {paint_ms:.0f} ms"
    shown_x, _ = plots.curve("d_loss").getData()  # peak-downsampled to about two points per pixel column
    assert len(shown_x) < 4 * plots.width()


def test_streaming_batches_are_coalesced_into_few_redraws(plots, qtbot, monkeypatch):
    draws = []
    plots.add_points(np.array([0]), {"d_loss": np.array([1.0])})
    plots.flush()
    curve = plots.curve("d_loss")
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
    assert plots.series_data("d_loss")[0].size == 20_000


def test_series_are_placed_in_panels_and_unknown_ones_in_quality(plots):
    assert not plots.panel("losses").isVisibleTo(plots)  # empty panels stay out of the way
    plots.add_points(np.arange(10), {"d_loss": np.ones(10), "swd": np.linspace(1, 0, 10)})
    plots.flush()
    assert plots.panel_of("d_loss") == "losses"
    assert plots.panel_of("swd") == CATCH_ALL
    assert plots.panel("losses").isVisibleTo(plots)
    assert plots.panel(CATCH_ALL).isVisibleTo(plots)
    assert not plots.panel("D(real) / D(fake)").isVisibleTo(plots)
    colours = {plots.curve(n).opts["pen"].color().name() for n in ("d_loss", "swd")}
    assert len(colours) == 2
    assert plots.legend("losses") == ["D loss"]
    assert "D loss" in plots.panel("losses").getPlotItem().titleLabel.text


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
    assert plots.legend("autoencoder") == ["autoencoder accuracy", "your data"]
    plots.set_reference("ae_acc", 0.95)  # replaced, not duplicated
    assert list(plots.reference_line("ae_acc").getData()[1]) == [0.95, 0.95]
    s, series = _training_like(3000)
    plots.add_points(s, series)
    plots.flush()


def test_nan_skipped_and_resumed_run_replaces_abandoned_tail(plots):
    plots.add_points(np.arange(100), {"d_loss": np.where(np.arange(100) % 10 == 0, np.nan, 1.0)})
    assert plots.series_data("d_loss")[0].size == 90
    plots.add_points(np.arange(50, 60), {"d_loss": np.full(10, 2.0)})  # resumed from step 50
    x, y = plots.series_data("d_loss")
    assert x[-1] == 59 and np.all(np.diff(x) > 0)
    assert y[-1] == 2.0 and x.size == 45 + 10
    with pytest.raises(ValueError):
        plots.add_points(np.arange(3), {"d_loss": np.ones(4)})


def test_smoothing_draws_an_ema_over_a_faint_raw_curve(plots, qtbot, screenshot_dir):
    steps, series = _training_like(4000, seed=2)
    plots.add_points(steps, series)
    plots.set_smoothing(0.95)
    smooth = plots.curve("g_loss").yData.copy()
    raw = plots.series_data("g_loss")[1]
    assert smooth.size == raw.size
    assert np.std(np.diff(smooth)) < 0.2 * np.std(np.diff(raw))
    assert abs(smooth[0] - raw[0]) < 1e-9  # debiased: starts at the first value, not at 0
    np.testing.assert_allclose(smooth, _debiased_ema(raw, 0.95), rtol=1e-9)
    _shot(plots, qtbot, screenshot_dir / "plots_smoothed.png")
    plots.set_smoothing(0.5)  # a new weight recomputes the whole average
    lighter = plots.curve("g_loss").yData
    np.testing.assert_allclose(lighter, _debiased_ema(raw, 0.5), rtol=1e-9)  # computed in several blocks
    assert np.std(np.diff(smooth)) < np.std(np.diff(lighter)) < np.std(np.diff(raw))
    plots.set_smoothing(0.0)
    np.testing.assert_allclose(plots.curve("g_loss").yData, raw)


def test_clear_and_load_history(plots):
    plots.set_reference("ae_acc", 0.5)
    plots.add_points(np.arange(10), {"d_loss": np.ones(10), "ae_acc": np.ones(10)})
    steps, series = _training_like(1000, seed=3)
    plots.load_history(steps, series)
    assert plots.series_data("d_loss")[0].size == 1000
    assert plots.series_data("ae_acc")[0].size == 0
    assert plots.reference_line("ae_acc") is not None  # kept across a reopened run
    plots.clear()
    assert plots.series_names() == []
    assert not plots.panel("losses").isVisibleTo(plots)


def test_default_panels_know_what_the_trainer_logs(plots, toy_domain, tmp_path):
    import torch

    from studio.core.trainer import GANTrainer

    corpus = toy_domain.import_folder(_toy_folder(tmp_path), {})
    trainer = GANTrainer(toy_domain, toy_domain.presets["tiny"], corpus, torch.device("cpu"), seed=0)
    figures = {}
    while not figures:
        figures = trainer.train_step()
    known = {name for names in DEFAULT_PANELS.values() for name in names}
    assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(figures)
    assert set(figures) <= known  # none of the trainer's own figures falls into "quality"
    plots.add_points(np.array([1]), {k: np.array([v]) for k, v in figures.items()})
    assert plots.panel_of("d_loss") == "losses" and plots.panel_of("d_real_sign") == "D(real) / D(fake)"
    assert set(PANEL_HELP) == set(DEFAULT_PANELS) - {"quality"}  # every standard panel says how to read it
    assert "autoencoder trains" in plots.panel("D(real) / D(fake)").toolTip()
    assert plots.panel("quality").toolTip().startswith("Drag to pan")


def test_autoencoder_phase_alone_sets_the_step_axis(plots):
    steps = np.arange(0, 600, 5)
    plots.add_points(steps, {"ae_loss": np.exp(-steps / 200), "ae_acc": 1 - np.exp(-steps / 150)})
    plots.flush()
    assert not plots.panel("losses").isVisibleTo(plots) and plots.panel("autoencoder").isVisibleTo(plots)
    lo, hi = plots.x_range()
    assert lo <= 0 and 595 <= hi < 700
    plots.add_points(np.arange(600, 700, 5), {"d_loss": np.ones(20), "g_loss": np.ones(20)})  # the GAN phase
    plots.flush()
    assert 695 <= plots.x_range()[1] < 800


def test_a_single_quality_point_does_not_zoom_the_step_axis(plots):
    steps, series = _training_like(130)
    plots.load_history(np.append(steps, 80), {**{k: np.append(v, np.nan) for k, v in series.items()},
                                              "mean_gap": np.append(np.full(130, np.nan), 0.3)})
    lo, hi = plots.x_range()
    assert lo <= 0 and 129 <= hi < 150
    plots.clear()
    plots.load_history(np.array([80.0]), {"mean_gap": np.array([0.3])})  # nothing but one figure
    lo, hi = plots.x_range()
    assert lo <= 0 and 80 <= hi < 100


def test_zooming_one_panel_moves_them_all_until_auto_range(plots):
    steps, series = _training_like(1000)
    plots.add_points(steps, series)
    plots.flush()
    losses, discriminator = plots.panel("losses").getViewBox(), plots.panel("D(real) / D(fake)").getViewBox()
    losses.setXRange(200, 400, padding=0)
    losses.sigRangeChangedManually.emit([True, False])  # as a wheel or a drag reports it
    assert discriminator.viewRange()[0] == pytest.approx([200, 400])
    plots.add_points(np.arange(1000, 1100), {"d_loss": np.ones(100)})
    plots.flush()
    assert discriminator.viewRange()[0] == pytest.approx([200, 400])  # new points do not yank the view away
    plots.panel("D(real) / D(fake)").getPlotItem().autoBtnClicked()
    assert losses.viewRange()[0][1] >= 1099


def _toy_folder(tmp_path):
    from toy_domain import write_toy_folder

    return write_toy_folder(tmp_path / "toy")


def test_only_listed_series_are_drawn_when_a_domain_names_its_figures(qtbot):
    from studio.ui.plots import LivePlots

    plots = LivePlots({"losses": ["d_loss"], "notes": ["EB", "PP"]}, {"EB": "empty bars"}, only_listed=True)
    qtbot.addWidget(plots)
    plots.add_points(np.array([1.0, 2.0]), {"d_loss": np.array([0.5, 0.4]), "EB": np.array([0.1, 0.2]),
                                            "EB.bass": np.array([0.3, 0.3])})
    plots.set_reference("EB", 0.15)
    plots.set_reference("EB.bass", 0.2)
    assert plots.series_names() == ["d_loss", "EB"]
    assert plots.panel_of("EB") == "notes" and plots.legend("notes") == ["empty bars", "your data"]
