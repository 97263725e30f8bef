"""Painting's Qt side: pictures are drawn as they are, and the generic tab needs no controls of its own."""
from studio.domains.painting.qt.view import VIEW

__all__ = ["VIEW"]
