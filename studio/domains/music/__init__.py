"""Music: MIDI folders -> multi-track piano-roll phrases -> a MuseGAN-style GAN -> MIDI and audio.

Importing this package must not import torch (the window lists tabs and
presets first); the nets and tensor code load on first use.
"""
from studio.domains.music.domain import DOMAIN, MusicDomain
from studio.domains.music.roll import Clip, roll_image

__all__ = ["DOMAIN", "Clip", "MusicDomain", "roll_image"]
