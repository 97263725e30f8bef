"""Headless Qt, private cache/settings/run folders, and few torch threads for every test."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_SCRATCH = Path(tempfile.mkdtemp(prefix="gan-studio-tests-"))
os.environ["GAN_STUDIO_CACHE"] = str(_SCRATCH / "cache")
os.environ["GAN_STUDIO_RUNS"] = str(_SCRATCH / "runs")
os.environ["GAN_STUDIO_SETTINGS"] = str(_SCRATCH / "settings.ini")
os.environ.setdefault("GAN_STUDIO_SCREENSHOTS", str(Path(__file__).resolve().parent.parent / "screenshots"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tests are small; one thread each keeps the 2-core CI machine from thrashing."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def toy_domain(monkeypatch):
    """Registers the tiny test domain so generic code can be tested in a second or two."""
    from studio import domains

    monkeypatch.setitem(domains.DOMAIN_MODULES, "toy", "toy_domain")
    return domains.get_domain("toy")


@pytest.fixture
def screenshot_dir() -> Path:
    path = Path(os.environ["GAN_STUDIO_SCREENSHOTS"])
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def themed(qapp):
    """The studio's theme for the screenshots, restored after the module for other test files.

    Once per module: setting a style sheet re-polishes every widget alive, which per test costs seconds.
    """
    from studio.app import apply_theme

    style, sheet, palette = qapp.style().name(), qapp.styleSheet(), qapp.palette()
    apply_theme(qapp)
    yield
    qapp.setStyleSheet(sheet)
    qapp.setStyle(style)
    qapp.setPalette(palette)
