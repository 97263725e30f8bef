"""Dance: folders of motion capture (BVH, pose keypoints) -> a GAN over joint rotations -> BVH, GIF walks.

Importing this package must not import torch (the window lists tabs and
presets first); nets, codec and metrics load on first use.
"""
from studio.domains.dance.domain import DOMAIN, DanceDomain

__all__ = ["DOMAIN", "DanceDomain"]
