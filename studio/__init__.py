"""GAN Studio: train generative adversarial networks on your own pictures, MIDI and texts."""

__version__ = "0.1.0"
