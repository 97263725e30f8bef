"""Turns a few corpus rows back into artifacts, so the dataset panel can show what was imported.

A corpus stores integer rows in the nets' layout (3×H×W pixels, piano-roll
cells, character ids); the views draw artifacts (H×W×3 images, ``Clip``
objects, strings).  Each medium's converter lives here, beside the other
UI-side per-domain code; a domain without one falls back to its own codec
(``real_batch`` then ``decode``), which works wherever G's output space is
the data space.  Runs on a worker thread (the fallback needs torch).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from studio.core.domain import Corpus

RowConverter = Callable[[np.ndarray, dict], Any]


def _painting(row: np.ndarray, meta: dict) -> np.ndarray:
    """3×H×W (or 1×H×W) uint8 -> H×W×3."""
    image = np.moveaxis(row, 0, -1)
    if image.shape[-1] == 1:
        image = np.repeat(image, 3, axis=-1)
    return np.ascontiguousarray(image, dtype=np.uint8)


def _music(row: np.ndarray, meta: dict) -> Any:
    from studio.domains.music.roll import clip_from_meta

    return clip_from_meta(row, meta)


def _text(row: np.ndarray, meta: dict) -> str:
    from studio.domains.text.vocab import Vocab

    return Vocab.from_meta(meta).decode(row.tolist())


CONVERTERS: dict[str, RowConverter] = {"painting": _painting, "music": _music, "text": _text}


def preview_indices(items: int, count: int) -> list[int]:
    """``count`` rows spread evenly over the corpus (the first, the last, and between)."""
    if items <= 0 or count <= 0:
        return []
    if items <= count:
        return list(range(items))
    return sorted({int(round(i)) for i in np.linspace(0, items - 1, count)})


def corpus_preview(domain_name: str, corpus: Corpus, count: int) -> list[Any]:
    """Up to ``count`` artifacts drawn from the corpus, for thumbnails."""
    indices = preview_indices(int(corpus.data.shape[0]), count)
    if not indices:
        return []
    rows = corpus.data[indices]
    converter = CONVERTERS.get(domain_name)
    if converter is not None:
        array = rows.numpy() if hasattr(rows, "numpy") else np.asarray(rows)
        return [converter(row, corpus.meta) for row in array]
    return _decode_with_codec(domain_name, corpus, rows)


def _decode_with_codec(domain_name: str, corpus: Corpus, rows: Any) -> list[Any]:
    import torch

    from studio.core.domain import ModelContext
    from studio.domains import get_domain

    domain = get_domain(domain_name)
    preset = domain.presets[domain.default_preset("cpu")]
    with torch.no_grad():
        real = domain.real_batch(rows, corpus.meta, train=False)
        return domain.decode(real, ModelContext(preset, corpus.meta, torch.device("cpu")))
