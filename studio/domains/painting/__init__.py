"""Painting: folders of pictures -> a GAN -> PNG exports, GIF walks and grids.

Importing this package must not import torch (the window lists tabs and
presets first); nets, codec and metrics load on first use.
"""
from studio.domains.painting.domain import DOMAIN, PaintingDomain

__all__ = ["DOMAIN", "PaintingDomain"]
