"""Every registered medium is complete: a Domain with all its required members, and a Qt side that can draw.

One registry line adds a medium; its view and controls are found from it, so
a medium missing a piece must fail here and in the window, never as a gallery
that silently draws nothing.
"""
from __future__ import annotations

import importlib
import sys
import textwrap

import pytest
from PySide6.QtWidgets import QLabel

from studio.core.domain import Domain, DomainBase
from studio.domains import domain_names, get_domain
from studio.ui.media import MediumError, controls_installer, qt_package, view_for
from ui_helpers import close_window

OPTIONAL = set(vars(DomainBase)) | set(DomainBase.__annotations__)
"""Members with a default: DomainBase gives them."""
REQUIRED = sorted((set(Domain.__annotations__) | {k for k, v in vars(Domain).items()
                                                  if callable(v) and not k.startswith("_")}) - OPTIONAL)


def missing_pieces(name: str) -> list[str]:
    """What the named medium lacks: Domain members, or a Qt side that can draw its artifacts."""
    domain = get_domain(name)
    missing = [member for member in REQUIRED if not hasattr(domain, member)]
    if not isinstance(domain, DomainBase):
        missing.append("DomainBase (the optional members' defaults)")
    if getattr(domain, "name", None) != name:
        missing.append(f"name {getattr(domain, 'name', None)!r} is not its registry name")
    presets = getattr(domain, "presets", {}) or {}
    if not presets or domain.default_preset("cpu") not in presets:
        missing.append("a preset to offer on a CPU")
    try:
        qt_package(name)
    except MediumError as exc:
        missing.append(str(exc))
    return missing


def test_the_required_members_come_from_the_domain_contract():
    assert {"decode", "import_folder", "presets", "save_artifact", "build_generator"} <= set(REQUIRED)
    assert not OPTIONAL & set(REQUIRED)


@pytest.mark.parametrize("name", domain_names())
def test_every_registered_medium_is_complete(name):
    assert missing_pieces(name) == []
    view = view_for(name)
    assert callable(view.pixmap) and callable(view.caption)
    installer = controls_installer(name)
    assert installer is None or callable(installer)


@pytest.fixture
def broken_medium(tmp_path, monkeypatch):
    """A medium in its own package: the toy domain without ``decode``, and a qt package without a VIEW."""
    package = tmp_path / "broken_medium"
    (package / "qt").mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent("""
        from toy_domain import ToyDomain

        members = {k: v for k, v in vars(ToyDomain).items() if k not in ("decode", "__dict__", "__weakref__")}
        DOMAIN = type("Broken", ToyDomain.__bases__, {**members, "name": "broken"})()
        """))
    (package / "qt" / "__init__.py").write_text("CONTROLS = None\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from studio import domains

    monkeypatch.setitem(domains.DOMAIN_MODULES, "broken", "broken_medium")
    return package


def test_a_medium_missing_a_piece_fails_loudly(broken_medium, monkeypatch):
    assert not hasattr(get_domain("broken"), "decode")
    found = missing_pieces("broken")
    assert found[0] == "decode"
    assert any("broken_medium.qt exports no VIEW" in text for text in found)
    with pytest.raises(MediumError, match="exports no VIEW"):
        view_for("broken")
    (broken_medium / "qt" / "__init__.py").unlink()
    (broken_medium / "qt").rmdir()
    monkeypatch.delitem(sys.modules, "broken_medium.qt")
    importlib.invalidate_caches()
    with pytest.raises(MediumError, match="has no Qt package broken_medium.qt"):
        view_for("broken")


def test_the_window_says_why_a_medium_has_no_view(qtbot, broken_medium, monkeypatch, tmp_path):
    from studio import domains
    from ui_helpers import only_media

    only_media(monkeypatch, tmp_path, "broken")
    assert domains.DOMAIN_MODULES == {"broken": "broken_medium"}
    from studio.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    with pytest.raises(KeyError, match="could not be loaded"):
        window.tab_for("broken")
    label = window.tabs.widget(0)
    assert isinstance(label, QLabel) and "exports no VIEW" in label.text()
    close_window(window)
