"""Each text run's own phrasing weight: the search, and a real run that keeps it with its model."""
from __future__ import annotations

import pytest

from studio.domains.text import DOMAIN, calibration
from studio.domains.text.metrics import corpus_index
from studio.domains import get_domain

REAL = (0.727, 0.378)  # held-out lines' BLEU-2 and self-BLEU-2 (the King James Bible's)


@pytest.fixture
def linear_figures(monkeypatch):
    """Samples whose BLEU-2 and self-BLEU-2 both rise by 0.2 per unit of weight; the decoded weights are logged."""
    decoded = []

    def figures(lines, index, size):
        if lines[0] == "real":
            return REAL
        weight = float(lines[0])
        return 0.6 + 0.2 * weight, 0.3 + 0.2 * weight

    def decode(weight):
        decoded.append(weight)
        return [str(weight)] * 8

    monkeypatch.setattr(calibration, "likeness_and_sameness", figures)
    return decode, decoded


def test_the_weight_balances_the_likeness_and_sameness_margins(linear_figures):
    decode, decoded = linear_figures
    index = corpus_index(["a line", "another line"])
    # room for likeness 0.02 - (0.127 - 0.2w) = room for sameness 0.05 - (0.2w - 0.078)  <=>  w = 0.5875
    assert calibration.calibrate_phrasing(decode, ["real"] * 100, index, start=0.5) == pytest.approx(0.5875, abs=0.006)
    assert decoded == [0.5, 0.75]  # a step past the crossing, then interpolated
    decoded.clear()
    assert calibration.calibrate_phrasing(decode, ["real"] * 100, index, start=1.5) == pytest.approx(0.5875, abs=0.006)
    assert decoded == [1.5, 1.25, 1.0, 0.75, 0.5]  # stepping down from above
    assert calibration.calibrate_phrasing(decode, ["real"] * 63, index, start=0.5) is None  # too few to judge


def test_the_weight_stays_in_the_phrasing_box_range(monkeypatch):
    monkeypatch.setattr(calibration, "likeness_and_sameness",
                        lambda lines, index, size: REAL if lines[0] == "real" else (0.2, 0.2))  # never like enough
    index = corpus_index(["a line"])
    assert calibration.calibrate_phrasing(lambda w: ["x"], ["real"] * 100, index, start=0.5) == calibration.HIGHEST


def test_likeness_and_sameness_are_group_means():
    index = corpus_index(["the owl sings", "the fox sleeps", "a hen sings by the barn"])
    same = ["the owl sings"] * 4
    assert calibration.likeness_and_sameness(same, index, 2) == pytest.approx((1.0, 1.0))
    mixed = ["the owl sings", "zebra quartz vex", "the owl sings", "the owl sings"]
    likeness, sameness = calibration.likeness_and_sameness(mixed, index, 2)
    assert likeness < 1.0 and sameness < 1.0


def test_a_run_fits_its_phrasing_and_its_model_decodes_with_it(tmp_path):
    from studio.core.model import load_model
    from studio.core.session import TrainingSession

    folder = tmp_path / "data"
    folder.mkdir()
    animals, verbs, places = ("cat", "dog", "owl", "fox", "hen", "elk"), ("sleeps", "sings", "waits"), \
        ("hill", "moor", "barn", "wood", "lake", "fen")
    lines = [f"the {a} {v} by the {p}" for a in animals for v in verbs for p in places]
    lines += [f"a {a} {v} in the {p}" for a in animals for v in verbs for p in places]
    (folder / "verse.txt").write_text("\n".join(lines), "utf-8")
    base = DOMAIN.presets["cpu-small"]
    overrides = {
        "z_dim": 8, "batch_size": 16, "sample_every": 1000, "metrics_every": 1000, "checkpoint_every": 1000,
        "net": {**base.net, "ae_steps": 30, "emb_dim": 16, "hidden": 32, "code_dim": 16, "g_hidden": 32,
                "d_hidden": 32},
        "import_options": {**base.import_options, "max_len": 32, "heldout": 0.4},
    }
    session = TrainingSession.create(tmp_path / "run", get_domain("text"), folder, steps=35, pretrain_steps=30, device="cpu",
                                     overrides=overrides)
    assert len(session.corpus.meta["heldout"]) >= calibration.MIN_HELDOUT
    events = []
    assert session.run(lambda event: events.append((event.kind, event.payload()))) == "finished"
    fitted = session.decode_defaults["phrasing"]
    assert calibration.LOWEST <= fitted <= calibration.HIGHEST
    assert any(f"phrasing {fitted:g}" in p["text"] for k, p in events if k == "message")

    model = load_model(tmp_path / "run", get_domain)
    assert model.decode_defaults == {"phrasing": fitted}
    assert model.context().options["phrasing"] == fitted
    assert model.context({"phrasing": 0.1}).options["phrasing"] == 0.1  # what a caller asks for wins
    again = TrainingSession.open(tmp_path / "run", get_domain)  # a finished run reopened keeps its fit without refitting
    assert again.decode_defaults == {"phrasing": fitted}
    assert again.run() == "finished" and again.decode_defaults == {"phrasing": fitted}
