"""Placing the writer's own line on the explorer's pad: whether it can be placed, and the latent it becomes.

Encoding runs the autoencoder and projecting runs the generator, so
:func:`place_line` is called on a worker; the check and its messages need
no torch and run as the writer types.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from studio.domains.text.vocab import SPECIALS

FAR_MATCH = 0.5  # below this cosine the generator's nearest output is another line altogether


def shown_char(ch: str) -> str:
    """A character as a person can read it in a message (spaces and control characters named)."""
    if ch == " ":
        return "space"
    if ch.isspace() or not ch.isprintable():
        return f"U+{ord(ch):04X}"
    return f"“{ch}”"


def line_problem(text: str, meta: dict[str, Any] | None) -> str | None:
    """Why a typed line cannot be placed (empty, no model, too long, unknown characters), or None."""
    if not text.strip():
        return "Type a line first: the box is empty."
    if meta is None:
        return "There is no model yet: train one or open a run, then place your line."
    known = set(meta["vocab"][len(SPECIALS):])
    unknown = list(dict.fromkeys(ch for ch in text if ch not in known))
    if unknown:
        listed = ", ".join(shown_char(ch) for ch in unknown[:12]) + (" …" if len(unknown) > 12 else "")
        return (f"Not in this model's alphabet: {listed}. Leave {'it' if len(unknown) == 1 else 'them'} out, "
                "or train on text that has them.")
    max_len = int(meta["max_len"])
    if len(text) > max_len:
        return f"Your line has {len(text)} characters; this model writes at most {max_len}. Shorten it."
    return None


@dataclass
class Placement:
    """A typed line turned into an anchor: its z, and what the model writes there."""

    z: np.ndarray
    written: str
    match: float  # cosine of G(z) and the line's code; 1 means the GAN reaches the line exactly

    def is_far(self) -> bool:
        """The generator's nearest output is another line altogether: it cannot write lines like this one yet."""
        return self.match < FAR_MATCH


def place_line(model: Any, text: str, options: dict[str, Any]) -> Placement:
    """Encodes ``text``, finds a z whose G output is its code, decodes that output (on a worker: torch)."""
    import torch
    import torch.nn.functional as F

    domain = model.domain
    code = domain.encode_text(text, model.context())
    z = domain.project_to_z(code, model.generator, model.z_dim)
    output = model.generate(z[None])
    target = torch.as_tensor(np.asarray(code, np.float32)).reshape(1, -1).to(output.device)
    match = float(F.cosine_similarity(output, target).item())
    written = domain.decode(output, model.context(options))[0]
    return Placement(np.asarray(z, np.float32), written, match)
