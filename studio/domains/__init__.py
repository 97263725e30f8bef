"""The registry of media.  A new domain is one folder and one line here.

Domain packages must not import torch at import time: the window lists the
tabs and presets before torch is loaded.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from studio.core.domain import Domain

DOMAIN_MODULES: dict[str, str] = {
    "painting": "studio.domains.painting",
    "music": "studio.domains.music",
    "text": "studio.domains.text",
    "dance": "studio.domains.dance",
}


def domain_names() -> list[str]:
    return list(DOMAIN_MODULES)


def get_domain(name: str) -> "Domain":
    """The domain object exported as ``DOMAIN`` by the named package."""
    try:
        module_path = DOMAIN_MODULES[name]
    except KeyError:
        raise ValueError(f"unknown domain {name!r}; known: {', '.join(DOMAIN_MODULES)}") from None
    return importlib.import_module(module_path).DOMAIN


def qt_module_name(name: str) -> str:
    """The module holding the named medium's Qt side (its view and controls): its package's ``qt``."""
    try:
        return f"{DOMAIN_MODULES[name]}.qt"
    except KeyError:
        raise ValueError(f"unknown domain {name!r}; known: {', '.join(DOMAIN_MODULES)}") from None


def domain_title(name: str) -> str:
    """The name a tab shows ("Painting"); the bare name when the domain's package does not load."""
    try:
        return str(get_domain(name).title)
    except Exception:  # the tab itself will say why the package failed
        return name.title()
