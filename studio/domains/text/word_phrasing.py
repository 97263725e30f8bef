"""Word phrasing for scripts written with spaces: the corpus's word pairs weigh in on each character.

With the lexicon every word is a corpus word, but a character decoder
trained for ten CPU minutes still strings them in orders the corpus never
uses ("And would be upon his forty us,").  Word pairs are what make a line
read like its folder, and counting them costs nothing: the importer keeps
how often each pair of lexicon words follows the other (``meta["word_pairs"]``),
and decoding adds ``weight`` x a score from that bigram model to the
decoder's own log-probabilities (phrasing.fuse).  For each character the
score is log P(continuation | previous word) minus ``PRIOR_SHARE`` x
log P(continuation), where a continuation is the set of words whose spelling
goes on with that character (one interval of word ids, because the lexicon
numbers its words in trie order, lexicon.py).
"""
from __future__ import annotations

import base64
import zlib
from collections import Counter
from typing import Iterable, Sequence

import numpy as np
import torch

from studio.domains.text.lexicon import Lexicon
from studio.domains.text.phrasing import PRIOR_SHARE, DecodeState

MAX_PAIRS = 400_000  # the most frequent; about 3 bytes each in meta once compressed
SMOOTHING = 2.0  # pseudo-count of the unigram model mixed into each word's successors


def word_pairs(lines: Iterable[str], lexicon: Sequence[str], limit: int = MAX_PAIRS) -> str:
    """The corpus's word-pair counts as meta["word_pairs"] keeps them (a compact ASCII string).

    Pairs are of indices into ``lexicon``, with ``len(lexicon)`` standing for a
    line's start; a word beyond the lexicon (past its most frequent words)
    breaks the chain, and the next word counts as a line's first.
    """
    from studio.domains.text.metrics import words

    index = {w: i for i, w in enumerate(lexicon)}
    start = len(lexicon)
    counts: Counter = Counter()
    for line in lines:
        prev = start
        for word in words(line):
            here = index.get(word)
            if here is not None:
                counts[(prev, here)] += 1
            prev = start if here is None else here
    pairs = counts.most_common(limit)
    table = np.array([(a, b, n) for (a, b), n in pairs], dtype="<u4").reshape(-1, 3).T.copy()
    return base64.b64encode(zlib.compress(table.tobytes(), 9)).decode("ascii")


def _unpack(packed: str) -> np.ndarray:
    """(3, pairs) uint32: previous word, next word, count."""
    return np.frombuffer(zlib.decompress(base64.b64decode(packed)), dtype="<u4").reshape(3, -1).astype(np.int64)


class WordPhrasing:
    """A smoothed word-bigram model over a lexicon's trie: per-character log-probabilities for fusion."""

    def __init__(self, lexicon: Lexicon, lexicon_words: Sequence[str], packed: str) -> None:
        self.lexicon = lexicon
        self.letters = lexicon.letter_mask
        self.context_size = 0  # it reads the lexicon's walk, not the last characters
        count = lexicon.word_count
        self.start_id = count
        to_sorted = np.array([lexicon.word_id.get(w, -1) for w in lexicon_words] + [count], dtype=np.int64)
        prev, nxt, n = _unpack(packed)
        ok = (prev < len(to_sorted)) & (nxt < len(lexicon_words))
        prev, nxt, n = to_sorted[prev[ok]], to_sorted[nxt[ok]], n[ok].astype(np.float64)
        kept = (prev >= 0) & (nxt >= 0)
        keys, n = prev[kept] * (count + 1) + nxt[kept], n[kept]
        order = np.argsort(keys, kind="stable")
        self.keys = torch.from_numpy(keys[order])
        self.cum_pairs = torch.from_numpy(np.concatenate([[0.0], np.cumsum(n[order])]))
        self.totals = torch.from_numpy(np.bincount(keys // (count + 1), weights=n, minlength=count + 1))
        unigram = np.bincount(nxt[kept], weights=n, minlength=count)
        self.cum_unigram = torch.from_numpy(np.concatenate([[0.0], np.cumsum(unigram)]) / max(1.0, unigram.sum()))

    def _log_mass(self, prev: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor) -> torch.Tensor:
        """log P(next word id in [lo, hi) | prev) - PRIOR_SHARE x log P(word id in [lo, hi)).

        The bigram is smoothed with the unigram model; the unigram part taken
        out is what the decoder already knows about the words' frequencies.
        """
        base = prev * (self.start_id + 1)
        pairs = (self.cum_pairs[torch.searchsorted(self.keys, base + hi)]
                 - self.cum_pairs[torch.searchsorted(self.keys, base + lo)])
        unigram = self.cum_unigram[hi] - self.cum_unigram[lo]
        bigram = (pairs + SMOOTHING * unigram) / (self.totals[prev] + SMOOTHING)
        return torch.log(bigram + 1e-12) - PRIOR_SHARE * torch.log(unigram + 1e-12)

    def between(self, state: DecodeState) -> torch.Tensor:
        """(N,) bool: lines between two words, where only the choice among letters is the model's."""
        return state.walk.nodes == 0

    def scores(self, state: DecodeState) -> torch.Tensor:
        """(N, vocab) phrasing scores of each character given the previous word and the word so far.

        A letter continues the word into its child's interval of words; a
        separator or the line's end finishes the word spelt so far.  Between
        words only letters are scored (the caller keeps the decoder's odds of
        starting a word at all).  0 where the model has no say.
        """
        lex = self.lexicon
        nodes, prev = state.walk.nodes.cpu(), state.walk.prev.cpu()
        child = lex.table_cpu[nodes].long()
        here = self._log_mass(prev, lex.span_lo[nodes], lex.span_hi[nodes]).unsqueeze(1)
        wide_prev = prev.unsqueeze(1).expand_as(child)
        kids = child.clamp(min=0)
        letter = self._log_mass(wide_prev, lex.span_lo[kids], lex.span_hi[kids]) - here
        word = lex.word_of[nodes].clamp(min=0).unsqueeze(1).expand_as(child)
        end = self._log_mass(wide_prev, word, word + 1) - here
        continues = lex.letter_mask.unsqueeze(0) & (child > 0)
        ends = (nodes > 0).unsqueeze(1)
        out = torch.where(continues, letter, torch.where(ends, end, torch.zeros_like(end)))
        return out.float().to(state.walk.nodes.device)
