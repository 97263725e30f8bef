"""Character phrasing for scripts written without spaces: a character n-gram model of the corpus.

Chinese, Japanese and Thai have no spaces to find words by, so the lexicon
and its word pairs (word_phrasing.py) have nothing to work on; a character
decoder trained for ten CPU minutes then strings characters in pairs the
folder's poets never wrote.  In these scripts a character is close to a word,
and the pairs and triples of characters are what make a line read like its
folder, so the same fusion is done one level down: the importer counts the
corpus's character n-grams (``meta["char_ngrams"]``), and each character the
decoder chooses gets ``log P(c | previous characters) - PRIOR_SHARE x log P(c)``
(phrasing.py says why the unigram part is taken out).

Orders are mixed by Witten-Bell interpolation: a context seen followed by
T different characters in C occurrences trusts its own counts with weight
C / (C + T) and the shorter context with T / (C + T).  The smoothing is thus
read off the folder's counts rather than set by a constant.  How long a
context pays is fitted per folder as well (:func:`fit_order`): the order whose
model gives the held-out lines the highest likelihood, from 1 (character
frequencies alone) to :data:`MAX_ORDER`.
"""
from __future__ import annotations

import base64
import math
import zlib
from typing import Sequence

import numpy as np
import torch

from studio.domains.text.phrasing import PRIOR_SHARE, DecodeState, letter_mask
from studio.domains.text.vocab import BOS, PAD, Vocab

MAX_ORDER = 3  # characters, the predicted one included (a trigram model)
MAX_NGRAMS = 300_000  # the most frequent of each order; about 4-5 bytes each in meta once compressed


def _rows(lines: Sequence[str], vocab: Vocab) -> np.ndarray:
    """(N, MAX_ORDER - 2 + longest + 2) ids: BOS padding, BOS, characters, EOS, then PAD."""
    longest = max((len(line) for line in lines), default=0)
    rows = np.array([vocab.encode(line, longest) for line in lines], dtype=np.int64).reshape(len(lines), -1)
    return np.concatenate([np.full((len(lines), MAX_ORDER - 2), BOS, dtype=np.int64), rows], axis=1)


def _keys(ids: np.ndarray, size: int) -> np.ndarray:
    """Each row of ids (..., n) as one integer, the first id most significant."""
    key = np.zeros(ids.shape[:-1], dtype=np.int64)
    for j in range(ids.shape[-1]):
        key = key * size + ids[..., j]
    return key


def _pack(table: np.ndarray) -> str:
    return base64.b64encode(zlib.compress(table.astype("<u4").tobytes(), 9)).decode("ascii")


def _unpack(packed: str, order: int) -> np.ndarray:
    """(order + 1, entries) int64: the n-gram's ids, then its count."""
    raw = np.frombuffer(zlib.decompress(base64.b64decode(packed)), dtype="<u4")
    return raw.reshape(order + 1, -1).astype(np.int64)


def char_ngrams(lines: Sequence[str], vocab: Vocab, limit: int = MAX_NGRAMS) -> list[str]:
    """The corpus's character n-gram counts, orders 1 to MAX_ORDER, as meta["char_ngrams"] keeps them.

    Ids are the vocabulary's; a line starts after BOS padding and ends with
    EOS, so the model knows how lines begin and end.  Each order keeps its
    ``limit`` most frequent n-grams (rarer ones are left to the shorter orders).
    """
    rows = _rows(lines, vocab)
    size = len(vocab)
    packed = []
    for order in range(1, MAX_ORDER + 1):
        windows = np.lib.stride_tricks.sliding_window_view(rows, order, axis=1)
        grams = windows[windows[..., -1] != PAD]
        grams = grams[grams[:, -1] != BOS]  # the padding before a line is context only
        keys, counts = np.unique(_keys(grams, size), return_counts=True)
        top = np.argsort(-counts, kind="stable")[:limit]
        keys, counts = keys[top], counts[top]
        ids = np.stack([(keys // size ** (order - 1 - j)) % size for j in range(order)] + [counts])
        packed.append(_pack(ids))
    return packed


class _Order:
    """One order's counts grouped by context (CSR): the successors of each context and Witten-Bell's C and T."""

    def __init__(self, ids: np.ndarray, size: int) -> None:
        context = _keys(ids[:-2].T, size)  # orders 2 and up: at least one character of context
        order = np.lexsort((ids[-2], context))
        context, nxt, counts = context[order], ids[-2][order], ids[-1][order].astype(np.float64)
        self.contexts, starts = np.unique(context, return_index=True)
        self.offsets = torch.from_numpy(np.append(starts, len(context)))
        self.next = torch.from_numpy(nxt)
        self.counts = torch.from_numpy(counts).float()
        self.totals = torch.from_numpy(np.add.reduceat(counts, starts) if len(starts) else np.zeros(0)).float()
        self.types = torch.from_numpy(np.diff(np.append(starts, len(context)))).float()
        self.context_keys = torch.from_numpy(self.contexts)

    def interpolate(self, lower: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """(N, V) P(c | context) from this order's counts and ``lower``, the next shorter context's (N, V),
        which is updated in place."""
        if len(self.context_keys) == 0:
            return lower
        pos = torch.searchsorted(self.context_keys, context).clamp(max=len(self.context_keys) - 1)
        seen = self.context_keys[pos] == context
        rows = torch.nonzero(seen).flatten()
        if len(rows) == 0:
            return lower
        where = pos[rows]
        c, t = self.totals[where], self.types[where]
        out = lower
        out[rows] = lower[rows] * (t / (c + t)).unsqueeze(1)
        starts, ends = self.offsets[where], self.offsets[where + 1]
        lengths = ends - starts
        owner = torch.repeat_interleave(rows, lengths)
        first = torch.repeat_interleave(starts - torch.cumsum(lengths, 0) + lengths, lengths)
        entry = first + torch.arange(int(lengths.sum()))
        share = self.counts[entry] / (torch.repeat_interleave(c + t, lengths))
        out.index_put_((owner, self.next[entry]), share, accumulate=True)
        return out


class CharPhrasing:
    """A Witten-Bell character n-gram model over the decoder's vocabulary, scored for fusion (phrasing.fuse)."""

    def __init__(self, packed: Sequence[str], vocab: Sequence[str], order: int = MAX_ORDER) -> None:
        self.size = len(vocab)
        self.order = max(1, min(int(order), len(packed)))
        self.context_size = self.order - 1
        self.letters = letter_mask(vocab)
        unigram = _unpack(packed[0], 1)
        counts = np.bincount(unigram[0], weights=unigram[1], minlength=self.size)[: self.size]
        self.unigram = torch.from_numpy(counts / max(1.0, counts.sum())).float()
        self.orders = [_Order(_unpack(packed[n - 1], n), self.size) for n in range(2, self.order + 1)]
        self.prior = -PRIOR_SHARE * torch.log(self.unigram + 1e-12)

    def start_context(self, n: int, device: torch.device) -> torch.Tensor:
        return torch.full((n, self.context_size), BOS, dtype=torch.long, device=device)

    def probabilities(self, context: torch.Tensor) -> torch.Tensor:
        """(N, V) P(next character | the last ``context_size`` characters of each row)."""
        context = context.cpu().long()
        probs = self.unigram.unsqueeze(0).repeat(context.shape[0], 1)
        for n, table in enumerate(self.orders, start=1):  # contexts of n characters
            probs = table.interpolate(probs, _keys_torch(context[:, context.shape[1] - n:], self.size))
        return probs

    def between(self, state: DecodeState) -> torch.Tensor:
        """Every character is a word of its own: the model always shares out the decoder's odds of a letter."""
        return torch.ones(state.context.shape[0], dtype=torch.bool, device=state.context.device)

    def scores(self, state: DecodeState) -> torch.Tensor:
        """(N, vocab) log P(c | context) - PRIOR_SHARE x log P(c) for letters, 0 for everything else."""
        logp = torch.log(self.probabilities(state.context) + 1e-12) + self.prior
        out = torch.where(self.letters.unsqueeze(0), logp, torch.zeros_like(logp))
        return out.to(state.context.device)

    def log_likelihood(self, lines: Sequence[str], vocab: Vocab) -> float:
        """Mean log-probability per character (and line end) of ``lines``: how well the model predicts them."""
        rows = torch.from_numpy(_rows(lines, vocab))
        if rows.numel() == 0:
            return 0.0
        pad = MAX_ORDER - 2
        total, count = 0.0, 0
        for t in range(pad + 1, rows.shape[1]):
            target = rows[:, t]
            live = torch.nonzero(target != PAD).flatten()
            if len(live) == 0:
                break
            context = rows[live, t - self.context_size : t] if self.context_size else rows[live, :0]
            probs = self.probabilities(context)[torch.arange(len(live)), target[live]]
            total += float(torch.log(probs + 1e-12).sum())
            count += len(live)
        return total / max(1, count)


def _keys_torch(ids: torch.Tensor, size: int) -> torch.Tensor:
    key = torch.zeros(ids.shape[0], dtype=torch.long)
    for j in range(ids.shape[1]):
        key = key * size + ids[:, j]
    return key


def fit_order(packed: Sequence[str], heldout: Sequence[str], vocab: Vocab) -> int:
    """The n-gram order (1..MAX_ORDER) under which the held-out lines are likeliest; MAX_ORDER without them.

    A longer context pays where the folder is big enough to have seen it
    often; on a small folder its counts are noise and a shorter one wins.
    """
    if not heldout:
        return min(MAX_ORDER, len(packed))
    scored = [(CharPhrasing(packed, vocab.itos, n).log_likelihood(heldout, vocab), n)
              for n in range(1, len(packed) + 1)]
    best = max(scored)
    return best[1] if math.isfinite(best[0]) else 1
