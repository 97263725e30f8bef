"""Per-user folders come from the system's conventions (platformdirs); the environment overrides still win."""
from pathlib import Path

import platformdirs
import pytest

from studio.core.corpus_cache import cache_root
from studio.core.runs import default_runs_root


@pytest.fixture
def fresh_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    for name in ("GAN_STUDIO_CACHE", "GAN_STUDIO_RUNS", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DOCUMENTS_DIR"):
        monkeypatch.delenv(name, raising=False)
    return home


def test_the_cache_is_the_systems_per_user_cache_folder(fresh_home, monkeypatch, tmp_path):
    assert cache_root() == Path(platformdirs.user_cache_dir("gan-studio", appauthor=False))
    assert fresh_home in cache_root().parents
    mac = fresh_home / "Library" / "Caches" / "gan-studio"  # what platformdirs answers on macOS
    monkeypatch.setattr(platformdirs, "user_cache_dir", lambda *args, **kwargs: str(mac))
    assert cache_root() == mac
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "elsewhere"))
    assert cache_root() == tmp_path / "elsewhere"


def test_runs_live_in_the_documents_folder_unless_an_earlier_one_exists(fresh_home, monkeypatch, tmp_path):
    documents = fresh_home / "My Documents"
    monkeypatch.setattr(platformdirs, "user_documents_dir", lambda: str(documents))
    assert default_runs_root() == documents / "GAN Studio" / "runs"
    (fresh_home / "GAN Studio").mkdir()
    assert default_runs_root() == fresh_home / "GAN Studio" / "runs"
    monkeypatch.setenv("GAN_STUDIO_RUNS", str(tmp_path / "runs"))
    assert default_runs_root() == tmp_path / "runs"
