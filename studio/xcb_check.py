"""Before the window opens on Linux/X11: are the X libraries Qt's xcb plugin loads there?

PySide6's wheels carry Qt but not three small X libraries that a full desktop
has and a minimal Debian does not.  Without them Qt prints "could not load the
Qt platform plugin xcb" and aborts the process; asking the dynamic loader for
them first lets the studio say which packages to install and exit cleanly.
"""
from __future__ import annotations

import ctypes
import os
import sys
from typing import Callable, Mapping

XCB_LIBRARIES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
}
"""Shared library Qt's xcb plugin needs -> the Debian/Ubuntu package that provides it."""


def loadable(soname: str) -> bool:
    """Whether the dynamic loader finds ``soname``, searched as Qt's plugin will search it."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def uses_xcb(environ: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """Whether Qt will pick its xcb plugin: Linux with an X display, and no other platform asked for."""
    environ = os.environ if environ is None else environ
    if not (platform or sys.platform).startswith("linux"):
        return False
    asked = environ.get("QT_QPA_PLATFORM", "").split(";")[0].strip()
    if asked:
        return asked == "xcb"
    return bool(environ.get("DISPLAY")) and not environ.get("WAYLAND_DISPLAY")


def missing_packages(environ: Mapping[str, str] | None = None, platform: str | None = None,
                     find: Callable[[str], bool] | None = None) -> list[str]:
    """The packages to install before Qt can open a window here; empty when nothing is missing."""
    if not uses_xcb(environ, platform):
        return []
    find = find or loadable
    return [package for soname, package in XCB_LIBRARIES.items() if not find(soname)]


def advice(packages: list[str]) -> str:
    return (f"GAN Studio cannot open its window: Qt's X11 support needs {', '.join(packages)}; "
            f"install with: sudo apt-get install {' '.join(packages)}")
