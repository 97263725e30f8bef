"""The toy domain as a medium the window opens: a package, so that its Qt side is found as ``toy_medium.qt``."""
from toy_domain import DOMAIN

__all__ = ["DOMAIN"]
