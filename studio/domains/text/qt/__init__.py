"""Text's Qt side: lines drawn as cards, and the decoding, "place my line", health and JSON controls."""
from studio.domains.text.qt.controls import install_controls
from studio.domains.text.qt.view import VIEW

__all__ = ["VIEW", "install_controls"]
