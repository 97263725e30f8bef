"""The text domain: a character autoencoder plus a latent GAN over its codes (ARAE / LaTextGAN).

Importing this package loads no torch: the window lists tabs and presets first.
"""
from studio.domains.text.domain import TextDomain

DOMAIN = TextDomain()

__all__ = ["DOMAIN", "TextDomain"]
