"""The toy medium's Qt side: its 8×8 bars are pictures, drawn by the painting view; no controls of its own."""
from studio.domains.painting.qt import VIEW

__all__ = ["VIEW"]
