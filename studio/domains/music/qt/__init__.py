"""Music's Qt side: piano rolls, and the decode bar, sound panel and player its tab adds."""
from studio.domains.music.qt.controls import install_controls
from studio.domains.music.qt.view import VIEW

__all__ = ["VIEW", "install_controls"]
