"""Character vocabulary: the bridge between strings and the integer rows of a text corpus.

Kept free of torch so the importer and the metrics can use it without loading
the heavy libraries; the vocabulary travels in ``Corpus.meta`` as a plain list.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Sequence

import numpy as np

PAD, BOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = ("<pad>", "<s>", "</s>", "<unk>")
UNK_GLYPH = "\ufffd"  # how an out-of-vocabulary character is shown when ids are turned back into text


class Vocab:
    """Maps characters to ids; ids 0..3 are PAD, BOS, EOS and UNK."""

    def __init__(self, chars: Sequence[str]) -> None:
        self.itos: list[str] = list(SPECIALS) + [c for c in chars if c not in SPECIALS]
        self.stoi: dict[str, int] = {c: i for i, c in enumerate(self.itos)}

    @classmethod
    def build(cls, counts: Counter, min_count: int = 1, max_size: int | None = None) -> "Vocab":
        """Most frequent characters first; rarer than ``min_count`` (or beyond ``max_size``) become UNK.

        Ties are broken by the character itself so the same corpus always gives the same ids.
        """
        kept = sorted((c for c, n in counts.items() if n >= max(1, min_count)), key=lambda c: (-counts[c], c))
        if max_size is not None:
            kept = kept[: max(0, max_size - len(SPECIALS))]
        return cls(kept)

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> "Vocab":
        return cls(meta["vocab"][len(SPECIALS):])

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, text: str, max_len: int) -> list[int]:
        """``[BOS, chars..., EOS]`` padded with PAD to ``max_len + 2`` (text longer than ``max_len`` is cut)."""
        ids = [self.stoi.get(c, UNK) for c in text[:max_len]]
        row = [BOS, *ids, EOS]
        return row + [PAD] * (max_len + 2 - len(row))

    def decode(self, ids: Iterable[int]) -> str:
        """Text up to the first EOS; PAD and BOS are dropped, UNK shows as U+FFFD."""
        out = []
        for i in ids:
            i = int(i)
            if i == EOS:
                break
            if i in (PAD, BOS):
                continue
            out.append(UNK_GLYPH if i == UNK or i >= len(self.itos) else self.itos[i])
        return "".join(out)

    def decode_rows(self, rows: np.ndarray) -> list[str]:
        """``decode`` for a whole (N, L) array of corpus rows at numpy speed (a 200k-line corpus in a blink).

        Rows are as the importer writes them: BOS, characters, EOS, then only PAD.
        """
        table = np.array([0, 0, 0, ord(UNK_GLYPH)] + [ord(c) for c in self.itos[len(SPECIALS):]], dtype=np.uint32)
        rows = np.asarray(rows)
        if rows.shape[0] == 0:
            return []
        points = table[np.clip(rows[:, 1:].astype(np.int64), 0, len(table) - 1)]
        width = points.shape[1]
        flat = np.ascontiguousarray(points).tobytes().decode("utf-32-le")
        return [flat[i : i + width].rstrip("\0") for i in range(0, len(flat), width)]
