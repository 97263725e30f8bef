"""A bare Linux desktop: the studio names the X libraries Qt needs instead of letting Qt abort."""
import pytest

from studio import app, xcb_check


@pytest.fixture
def x11(monkeypatch):
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(xcb_check.sys, "platform", "linux")


def test_the_window_refuses_in_one_line_when_the_libraries_are_hidden(x11, monkeypatch, capsys):
    monkeypatch.setattr(xcb_check, "loadable", lambda soname: False)
    created = []
    monkeypatch.setattr(app, "QApplication", lambda *args: created.append(args))
    assert app.main([]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and not created
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in err


def test_only_the_missing_packages_are_named(x11, monkeypatch):
    monkeypatch.setattr(xcb_check, "loadable", lambda soname: soname == "libxcb-cursor.so.0")
    assert xcb_check.missing_packages() == ["libxcb-icccm4", "libxcb-keysyms1"]


@pytest.mark.parametrize("environ, platform", [
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux"),
    ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, "linux"),
    ({}, "linux"),
    ({"DISPLAY": ":0"}, "darwin"),
])
def test_nothing_is_asked_where_qt_will_not_use_xcb(environ, platform):
    assert xcb_check.missing_packages(environ, platform, find=lambda soname: False) == []


def test_asking_for_xcb_explicitly_checks_even_on_wayland():
    environ = {"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}
    assert xcb_check.missing_packages(environ, "linux", find=lambda soname: False) == list(
        xcb_check.XCB_LIBRARIES.values())
