"""Corpus phrasing: the corpus's word pairs weigh in on each character the decoder chooses.

With the lexicon every word is a corpus word, but a character decoder
trained for ten CPU minutes still strings them in orders the corpus never
uses ("And would be upon his forty us,").  Word pairs are what make a line
read like its folder, and counting them costs nothing: the importer keeps
how often each pair of lexicon words follows the other (``meta["word_pairs"]``),
and decoding adds ``weight`` x a score from that bigram model to the
decoder's own log-probabilities (shallow fusion, as in speech recognition).
For each character the score is log P(continuation | previous word) minus
``PRIOR_SHARE`` x log P(continuation), where a continuation is the set of
words whose spelling goes on with that character (one interval of word
ids, because the lexicon numbers its words in trie order, lexicon.py).

The subtracted unigram part matters: the decoder has already learnt which
words are common, and the plain bigram counted that twice.  With it every
line drifted to the commonest pairs ("of the" in 89 of 500 samples against
44 of 500 real lines; "in the" 51 against 18), which made the samples alike.
On the King James Bible (bench/text_quality.py, four groups of 256 samples
of one model) plain bigram fusion reached BLEU-2 minus self-BLEU-2 0.258,
and 0.273 with 0.6 of the unigram taken out, at about the same BLEU-2.
No temperature, beam, nucleus or trigram model moved that frontier.
"""
from __future__ import annotations

import base64
import zlib
from collections import Counter
from typing import Iterable, Sequence

import numpy as np
import torch

from studio.domains.text.lexicon import Lexicon, WalkState

MAX_PAIRS = 400_000  # the most frequent; about 3 bytes each in meta once compressed
SMOOTHING = 2.0  # pseudo-count of the unigram model mixed into each word's successors
PRIOR_SHARE = 0.6  # share of the unigram log-probability taken back out (the decoder knows word frequencies)


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


class Phrasing:
    """A smoothed word-bigram model over a lexicon's trie: per-character log-probabilities for fusion."""

    def __init__(self, lexicon: Lexicon, lexicon_words: Sequence[str], packed: str) -> None:
        self.lexicon = lexicon
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

    def scores(self, state: WalkState) -> torch.Tensor:
        """(N, vocab) phrasing scores of each character given the previous word and the word so far.

        A letter continues the word into its child's interval of words; a
        separator or the line's end finishes the word spelt so far.  Between
        words only letters are scored (the caller keeps the decoder's odds of
        starting a word at all).  0 where the model has no say.
        """
        lex = self.lexicon
        nodes, prev = state.nodes.cpu(), state.prev.cpu()
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
        return out.float().to(state.nodes.device)


def fuse(logp: torch.Tensor, phrasing: Phrasing, state: WalkState, weight: float) -> torch.Tensor:
    """The decoder's log-probabilities plus ``weight`` x the phrasing's, per row.

    Between words the phrasing only shares out the decoder's own probability
    of starting a word among the letters, so it never favours punctuation or
    the line's end over a word.
    """
    fused = logp + weight * phrasing.scores(state)
    between = (state.nodes == 0).unsqueeze(1) & phrasing.lexicon.letter_mask.to(logp.device).unsqueeze(0)
    outside = torch.full_like(logp, float("-inf"))
    decoder_share = torch.logsumexp(torch.where(between, logp, outside), dim=1, keepdim=True)
    fused_share = torch.logsumexp(torch.where(between, fused, outside), dim=1, keepdim=True)
    rescaled = fused - fused_share + decoder_share
    return torch.where(between & torch.isfinite(fused_share), rescaled, fused)


_BUILT: dict[tuple, Phrasing | None] = {}  # by content: a live model re-reads run.json
_SEEN: dict[int, tuple[str, Phrasing | None]] = {}  # by identity of the packed string


def phrasing_for(meta: dict, lexicon: Lexicon | None) -> Phrasing | None:
    """The run's phrasing model, or None where it has no word pairs (older runs, unspaced languages)."""
    packed = meta.get("word_pairs")
    if not packed or lexicon is None:
        return None
    seen = _SEEN.get(id(packed))
    if seen is None or seen[0] is not packed:
        key = (packed, id(lexicon))
        if key not in _BUILT:
            if len(_BUILT) > 4:
                _BUILT.clear()
            _BUILT[key] = Phrasing(lexicon, meta["lexicon"], packed)
        if len(_SEEN) > 64:
            _SEEN.clear()
        seen = _SEEN[id(packed)] = (packed, _BUILT[key])
    return seen[1]
