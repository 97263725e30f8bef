"""Dance's Qt side: clips drawn as a moving stick figure, and the camera and "Dance to music…" controls."""
from studio.domains.dance.qt.controls import install_controls
from studio.domains.dance.qt.view import VIEW

__all__ = ["VIEW", "install_controls"]
