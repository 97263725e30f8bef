"""Painting's Qt side: pictures are drawn as they are; one control of its own, Paint to music."""
from studio.domains.painting.qt.controls import install_controls
from studio.domains.painting.qt.view import VIEW

__all__ = ["VIEW", "install_controls"]
