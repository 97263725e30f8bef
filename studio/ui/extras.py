"""Per-domain controls added to the generic tab (music: threshold and Play; text: decoding and temperature).

The tab is the same for every medium; a domain that needs its own knobs
registers one function here.  It receives the tab once its panels exist and
may add widgets (``tab.explorer.add_control``, ``tab.add_side_widget``) and
connect to the tab's signals; decode options it sets go through
``tab.explorer.set_options`` so the explorer re-renders with them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from studio.ui.domain_tab import DomainTab

ExtrasHook = Callable[["DomainTab"], None]

EXTRAS: dict[str, ExtrasHook] = {}
"""Domain name -> function adding that domain's controls to its tab."""


def install_extras(tab: "DomainTab") -> None:
    """Adds the registered controls for the tab's domain, if any."""
    hook = EXTRAS.get(tab.domain_name)
    if hook is not None:
        hook(tab)
