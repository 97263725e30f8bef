"""Decoding that spells only words of the corpus: a trie of its words walked alongside the decoder.

A character decoder trained for minutes on a CPU knows a language's common
words but misspells the rest ("the countress", "prophesed"); sampling for
variety makes it worse.  A writer asking for lines in the style of their
folder wants its words.  With the corpus's words in a trie, each decoding
step may only continue the current word along the trie, or end it (a
space, punctuation or the line's end) where the trie says a word ends; the
decoder still chooses among the allowed characters.  Words are letters with
inner apostrophes, compared case-insensitively, as in metrics.words, so
every generated word counts as a word of the corpus.  Languages written
without spaces have no words to spell this way and get no lexicon.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable, NamedTuple, Sequence

import numpy as np
import torch

from studio.domains.text.vocab import EOS

MAX_WORDS = 50_000  # the most frequent; a lexicon is kept in the run's metadata
MAX_TABLE_CELLS = 30_000_000  # trie nodes x characters (int32): at most 120 MB
APOSTROPHES = "'\u2019"


def lexicon_words(lines: Iterable[str], limit: int = MAX_WORDS) -> list[str]:
    """The corpus's words (lower case), most frequent first: what meta["lexicon"] holds."""
    from studio.domains.text.metrics import words

    counts = Counter(w for line in lines for w in words(line))
    return [w for w, _ in counts.most_common(limit)]


def _is_letter(ch: str) -> bool:
    """A character of a word as metrics.words reads them (ideographs are words of their own there)."""
    from studio.domains.text.metrics import is_unspaced

    return len(ch) == 1 and ch.isalpha() and not is_unspaced(ch)


class WalkState(NamedTuple):
    """Per line being decoded: its trie node, and the id of the last word it finished (or of the line's start)."""

    nodes: torch.Tensor
    prev: torch.Tensor

    def take(self, rows: torch.Tensor) -> "WalkState":
        return WalkState(self.nodes[rows], self.prev[rows])


class Lexicon:
    """A dense trie over the decoder's characters: ``table[node, char]`` is the next node, or -1 where the
    character would make a word the corpus does not have.  Node 0 is "between words".

    Words are numbered in alphabetical order, which is the trie's own order,
    so the words below any node are one interval of ids
    (``span_lo[node]`` .. ``span_hi[node]``): what phrasing.py sums over.
    """

    def __init__(self, table: np.ndarray, spelled: Sequence[str], vocab: Sequence[str]) -> None:
        self.table = torch.from_numpy(table)
        self.table_cpu = self.table
        self.words = frozenset(spelled)
        self.word_count = len(spelled)
        self.word_id = {w: i for i, w in enumerate(spelled)}
        self.letter_mask = torch.tensor([_is_letter(ch) for ch in vocab], dtype=torch.bool)
        lo = np.zeros(len(table), dtype=np.int64)
        hi = np.zeros(len(table), dtype=np.int64)
        word_of = np.full(len(table), -1, dtype=np.int64)
        hi[0] = self.word_count
        index = {ch: i for i, ch in enumerate(vocab)}
        for wid, word in enumerate(spelled):  # alphabetical: a node's first word sets lo, its last hi
            node = 0
            for ch in word:
                node = int(table[node, index[ch] if ch in index else index[ch.upper()]])
                if hi[node] == 0:
                    lo[node] = wid
                hi[node] = wid + 1
            word_of[node] = wid
        self.span_lo, self.span_hi, self.word_of = (torch.from_numpy(a) for a in (lo, hi, word_of))

    def finish(self, text: str) -> str:
        """A line cut at the length limit in the middle of a word loses that word's beginning."""
        from studio.domains.text.metrics import words

        found = words(text)
        if not found or found[-1] in self.words or not _is_letter(text[-1:]):
            return text
        end = len(text)
        while end and (_is_letter(text[end - 1]) or text[end - 1] in APOSTROPHES):
            end -= 1
        return text[:end].rstrip()

    @classmethod
    def build(cls, words: Sequence[str], vocab: Sequence[str]) -> "Lexicon | None":
        """None when the words cannot be spelt with ``vocab`` or the table would be too big."""
        index = {ch: i for i, ch in enumerate(vocab)}
        lower = {ch: ch.lower() for ch in vocab}
        children: list[dict[str, int]] = [{}]
        ends = [True]  # node 0: between words, where a separator may follow
        spelled = sorted(w for w in set(words) if w and all(ch in index or ch.upper() in index for ch in w))
        for word in spelled:
            node = 0
            for ch in word:
                nxt = children[node].get(ch)
                if nxt is None:
                    nxt = len(children)
                    children[node][ch] = nxt
                    children.append({})
                    ends.append(False)
                node = nxt
            ends[node] = True
        if len(children) == 1 or len(children) * len(vocab) > MAX_TABLE_CELLS:
            return None
        table = np.full((len(children), len(vocab)), -1, dtype=np.int32)
        letters = [i for i, ch in enumerate(vocab) if _is_letter(ch)]
        separators = [i for i, ch in enumerate(vocab) if len(ch) == 1 and not _is_letter(ch)]
        for node, kids in enumerate(children):
            if ends[node]:
                table[node, separators] = 0  # a word may end here (apostrophes as quotes included)
                table[node, EOS] = 0
            for i in letters:
                nxt = kids.get(lower[vocab[i]])
                if nxt is not None:
                    table[node, i] = nxt
            if node:
                for mark in APOSTROPHES:
                    if mark in index and mark in kids:
                        table[node, index[mark]] = kids[mark]
        return cls(table, spelled, vocab)

    def start(self, n: int, device: torch.device) -> WalkState:
        self.table = self.table.to(device)
        nodes = torch.zeros(n, dtype=torch.long, device=device)
        return WalkState(nodes, torch.full_like(nodes, self.word_count))

    def allowed(self, state: WalkState) -> torch.Tensor:
        """(N, vocab) bool: characters that keep each line's words in the corpus."""
        return self.table[state.nodes] >= 0

    def advance(self, state: WalkState, tokens: torch.Tensor) -> WalkState:
        nodes = self.table[state.nodes, tokens].long().clamp(min=0)
        finished = (state.nodes > 0) & (nodes == 0)
        word = self.word_of.to(nodes.device)[state.nodes]
        return WalkState(nodes, torch.where(finished, word, state.prev))


_BUILT: dict[tuple, Lexicon | None] = {}  # by content: a live model re-reads run.json, a new list each time
_SEEN: dict[int, tuple[list[str], Lexicon | None]] = {}  # by identity: the explorer decodes many times a second


def lexicon_for(meta: dict) -> Lexicon | None:
    """The run's lexicon (a trie built once per word list and vocabulary), or None where it has none."""
    words = meta.get("lexicon")
    if not words:
        return None
    seen = _SEEN.get(id(words))
    if seen is None or seen[0] is not words:
        key = (tuple(words), tuple(meta["vocab"]))
        if key not in _BUILT:
            if len(_BUILT) > 4:
                _BUILT.clear()
            _BUILT[key] = Lexicon.build(words, meta["vocab"])
        if len(_SEEN) > 64:
            _SEEN.clear()
        seen = _SEEN[id(words)] = (words, _BUILT[key])  # the list kept alive keeps its id unique
    return seen[1]
