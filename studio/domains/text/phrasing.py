"""Phrasing: a model of how the corpus strings its units together, weighed in on each character decoded.

A character decoder trained for ten CPU minutes knows a language's common
units but strings them in orders its folder never uses; counting those
orders costs nothing at import.  Decoding adds ``weight`` x a phrasing
model's score to the decoder's own log-probabilities (shallow fusion, as in
speech recognition).  Two models share this interface, one per kind of
script:

- scripts with spaces: word pairs over the lexicon's trie (word_phrasing.py);
- scripts without spaces (Chinese, Japanese, Thai): character n-grams
  (char_phrasing.py), since there a character is close to a word.

Both score a unit by log P(unit | what came before) minus ``PRIOR_SHARE`` x
log P(unit).  The subtracted unigram part matters: the decoder has already
learnt which units are common, and the plain model counted that twice, so
every line drifted to the commonest pairs and the samples grew alike
(docs/experiments/2026-12-06-tuning-history.md).

Between units the phrasing only shares out the decoder's own probability of
starting one (a letter) among the letters, so it never favours punctuation
or the line's end over a word: the line's length and punctuation stay the
decoder's choice, which is what keeps a verse form (form.py).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, Protocol, Sequence

import torch

if TYPE_CHECKING:
    from studio.domains.text.lexicon import Lexicon, WalkState

PRIOR_SHARE = 0.6  # share of the unigram log-probability taken back out (the decoder knows unit frequencies)


class DecodeState(NamedTuple):
    """What a phrasing model reads per line being decoded: the lexicon's walk and the last characters."""

    walk: "WalkState | None"
    context: torch.Tensor | None  # (N, context_size) character ids, BOS before the line's start

    def take(self, rows: torch.Tensor) -> "DecodeState":
        return DecodeState(self.walk.take(rows) if self.walk is not None else None,
                           self.context[rows] if self.context is not None else None)


class Phrasing(Protocol):
    """A model of the corpus's phrasing, as decoding fuses it (word_phrasing.py, char_phrasing.py)."""

    letters: torch.Tensor  # (vocab,) bool: the characters that start a unit, whose odds it shares out
    context_size: int  # characters of history it reads from DecodeState.context (0: none)

    def between(self, state: DecodeState) -> torch.Tensor:
        """(N,) bool: lines between units, where only the decoder's share of letters is redistributed."""

    def scores(self, state: DecodeState) -> torch.Tensor:
        """(N, vocab) log-probability scores per character, 0 where the model has no say."""


def letter_mask(vocab: Sequence[str]) -> torch.Tensor:
    """(vocab,) bool: characters that are letters of any script (ideographs included)."""
    return torch.tensor([len(ch) == 1 and ch.isalpha() for ch in vocab], dtype=torch.bool)


def fuse(logp: torch.Tensor, phrasing: Phrasing, state: DecodeState, weight: float) -> torch.Tensor:
    """The decoder's log-probabilities plus ``weight`` x the phrasing's, per row.

    Between units the phrasing only shares out the decoder's own probability
    of starting one among the letters, so it never favours punctuation or
    the line's end over a unit.
    """
    fused = logp + weight * phrasing.scores(state)
    between = phrasing.between(state).unsqueeze(1) & phrasing.letters.to(logp.device).unsqueeze(0)
    outside = torch.full_like(logp, float("-inf"))
    decoder_share = torch.logsumexp(torch.where(between, logp, outside), dim=1, keepdim=True)
    fused_share = torch.logsumexp(torch.where(between, fused, outside), dim=1, keepdim=True)
    rescaled = fused - fused_share + decoder_share
    return torch.where(between & torch.isfinite(fused_share), rescaled, fused)


def has_phrasing(meta: dict) -> bool:
    """Whether the run's metadata holds a phrasing model (older runs have none)."""
    return bool(meta.get("word_pairs") or meta.get("char_ngrams"))


_BUILT: dict[tuple, Phrasing | None] = {}  # by content: a live model re-reads run.json
_SEEN: dict[int, tuple[object, Phrasing | None]] = {}  # by identity of the packed counts


def _build(meta: dict, lexicon: "Lexicon | None") -> Phrasing | None:
    if meta.get("word_pairs") and lexicon is not None:
        from studio.domains.text.word_phrasing import WordPhrasing

        return WordPhrasing(lexicon, meta["lexicon"], meta["word_pairs"])
    if meta.get("char_ngrams"):
        from studio.domains.text.char_phrasing import MAX_ORDER, CharPhrasing

        return CharPhrasing(meta["char_ngrams"], meta["vocab"], int(meta.get("char_order", MAX_ORDER)))
    return None


def phrasing_for(meta: dict, lexicon: "Lexicon | None") -> Phrasing | None:
    """The run's phrasing model: word pairs over the lexicon, character n-grams, or None where it has neither."""
    packed = meta.get("word_pairs") if lexicon is not None and meta.get("word_pairs") else meta.get("char_ngrams")
    if not packed:
        return None
    seen = _SEEN.get(id(packed))
    if seen is None or seen[0] is not packed:
        key = (tuple(packed) if isinstance(packed, list) else packed, id(lexicon), meta.get("char_order"))
        if key not in _BUILT:
            if len(_BUILT) > 4:
                _BUILT.clear()
            _BUILT[key] = _build(meta, lexicon)
        if len(_SEEN) > 64:
            _SEEN.clear()
        seen = _SEEN[id(packed)] = (packed, _BUILT[key])  # the packed counts kept alive keep their id unique
    return seen[1]
