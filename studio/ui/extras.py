"""Per-domain controls added to the generic tab (music: threshold and Play; text: decoding and temperature).

The tab is the same for every medium; a domain that needs its own knobs
names a module here whose ``install(tab)`` receives the tab once its panels
exist.  It may add widgets (``tab.explorer.add_control``,
``tab.add_side_widget``) and connect to the tab's signals; decode options it
sets go through ``tab.explorer.set_options`` so the explorer re-renders with
them.  Modules are imported only when their tab is built, so start-up does
not pay for media the user has not opened.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Callable, Union

if TYPE_CHECKING:
    from studio.ui.domain_tab import DomainTab

ExtrasHook = Callable[["DomainTab"], None]

EXTRAS: dict[str, Union[str, ExtrasHook]] = {
    "music": "studio.ui.music_controls",
    "text": "studio.ui.text_controls",
}
"""Domain name -> a module with ``install(tab)``, or the function itself."""


def install_extras(tab: "DomainTab") -> None:
    """Adds the registered controls for the tab's domain, if any."""
    hook = EXTRAS.get(tab.domain_name)
    if isinstance(hook, str):
        hook = importlib.import_module(hook).install
    if hook is not None:
        hook(tab)
