"""Weight-free quality figures for generated lines: BLEU, self-BLEU, distinct-n, copying, novelty, real words.

BLEU follows nltk's ``sentence_bleu`` / ``corpus_bleu`` (nltk >= 3.3, after
its inflation fix) with ``SmoothingFunction().method1`` (epsilon 0.1 added
to a zero n-gram match count): modified n-gram precision clipped by the
largest count in any one reference, the closest reference length for the
brevity penalty (shorter wins ties), and 0 when not even one unigram matches.
As in Texygen, "BLEU-n of samples" is the mean sentence BLEU-n (uniform
weights over 1..n-grams) of each sample against the whole reference set, and
self-BLEU-n scores each sample against all the other samples.

Tokens are words and punctuation marks for space-separated scripts, single
characters for Chinese/Japanese/Thai, so one tokenizer serves every corpus.
Everything derived from a corpus is computed once and cached.
"""
from __future__ import annotations

import math
import random
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from studio.domains.text.form import dominant_form, form_share

EPSILON = 0.1  # nltk's method1 smoothing
COLLAPSE_MARGIN = 0.05  # self-BLEU-2 this far above the corpus's own means mode collapse
COPY_ALARM = 0.05  # share of samples that are training lines before "copying" is raised
FORM_MARGIN = 0.05  # share of samples in the folder's form this far under the corpus's own means drift (form.py)

_UNSPACED = (  # Thai, CJK radicals, kana, CJK ideographs: one token per character
    "\u0e00-\u0e7f\u2e80-\u2fdf\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0003ffff"
)
_UNSPACED_RE = re.compile(f"[{_UNSPACED}]")
_TOKEN_RE = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*|[^\w\s]|_")
_WORD_RE = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")

Ngram = tuple[str, ...]


def is_unspaced(ch: str) -> bool:
    """A character of a script written without spaces (one token per character)."""
    return _UNSPACED_RE.match(ch) is not None


def tokenize(line: str) -> list[str]:
    """Words and punctuation marks; each Chinese/Japanese/Thai character is a token of its own."""
    return _TOKEN_RE.findall(_UNSPACED_RE.sub(r" \g<0> ", line))


def words(line: str) -> list[str]:
    """Lower-cased words of space-separated scripts (the unit of the in-vocabulary rate)."""
    return [w.lower() for w in _WORD_RE.findall(_UNSPACED_RE.sub(" ", line))]


def ngrams(tokens: Sequence[str], n: int) -> list[Ngram]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


# ---------------------------------------------------------------- BLEU


class BleuReferences:
    """A reference set prepared once: per n-gram order, the largest count of each n-gram in any one reference."""

    def __init__(self, references: Sequence[Sequence[str]], max_n: int = 4) -> None:
        self.max_n = max_n
        self.max_counts: list[dict[Ngram, int]] = [{} for _ in range(max_n)]
        for ref in references:
            for n in range(1, max_n + 1):
                table = self.max_counts[n - 1]
                for gram, count in Counter(ngrams(ref, n)).items():
                    if count > table.get(gram, 0):
                        table[gram] = count
        self.lengths = np.unique(np.array([len(r) for r in references], dtype=np.int64))

    def modified_precision(self, hypothesis: Sequence[str], n: int) -> tuple[int, int]:
        """(clipped matches, max(1, n-grams in the hypothesis)) as in nltk."""
        counts = Counter(ngrams(hypothesis, n))
        table = self.max_counts[n - 1]
        matched = sum(min(c, table.get(g, 0)) for g, c in counts.items())
        return matched, max(1, sum(counts.values()))

    def closest_length(self, hyp_len: int) -> int:
        if len(self.lengths) == 0:
            return 0
        gaps = np.abs(self.lengths - hyp_len)
        return int(self.lengths[int(np.argmin(gaps))])  # lengths are sorted, so ties go to the shorter

    def sentence_bleu(self, hypothesis: Sequence[str], weights: Sequence[float]) -> float:
        fractions = [self.modified_precision(hypothesis, n) for n in range(1, len(weights) + 1)]
        return _bleu(fractions, len(hypothesis), self.closest_length(len(hypothesis)), weights)


def _bleu(fractions: Sequence[tuple[int, int]], hyp_len: int, ref_len: int, weights: Sequence[float]) -> float:
    if not fractions or fractions[0][0] == 0:
        return 0.0
    if hyp_len == 0:
        return 0.0
    bp = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
    logs = [w * math.log((num if num else EPSILON) / den) for w, (num, den) in zip(weights, fractions)]
    return bp * math.exp(math.fsum(logs))


def _uniform(max_n: int) -> tuple[float, ...]:
    return (1.0 / max_n,) * max_n


def sentence_bleu(
    references: Sequence[Sequence[str]], hypothesis: Sequence[str], weights: Sequence[float] | None = None
) -> float:
    """nltk's ``sentence_bleu(refs, hyp, weights, smoothing_function=method1)`` on token lists."""
    weights = tuple(weights or _uniform(4))
    return BleuReferences(references, len(weights)).sentence_bleu(hypothesis, weights)


def corpus_bleu(
    list_of_references: Sequence[Sequence[Sequence[str]]],
    hypotheses: Sequence[Sequence[str]],
    weights: Sequence[float] | None = None,
) -> float:
    """nltk's ``corpus_bleu`` (micro-averaged precisions, one brevity penalty) with method1 smoothing."""
    weights = tuple(weights or _uniform(4))
    nums, dens = [0] * len(weights), [0] * len(weights)
    hyp_total = ref_total = 0
    for refs, hyp in zip(list_of_references, hypotheses):
        table = BleuReferences(refs, len(weights))
        for i in range(len(weights)):
            num, den = table.modified_precision(hyp, i + 1)
            nums[i] += num
            dens[i] += den
        hyp_total += len(hyp)
        ref_total += table.closest_length(len(hyp))
    return _bleu(list(zip(nums, dens)), hyp_total, ref_total, weights)


def mean_bleu(samples: Sequence[Sequence[str]], references: BleuReferences, max_n: int) -> float:
    """Mean sentence BLEU-``max_n`` of tokenised samples against a prepared reference set."""
    if not samples:
        return 0.0
    weights = _uniform(max_n)
    return float(np.mean([references.sentence_bleu(s, weights) for s in samples]))


def self_bleu(samples: Sequence[Sequence[str]], max_n: int = 2) -> float:
    """Mean BLEU-``max_n`` of each tokenised sample against all the others (high = samples alike = collapse)."""
    if len(samples) < 2:
        return 0.0
    weights = _uniform(max_n)
    counts = [[Counter(ngrams(s, n)) for n in range(1, max_n + 1)] for s in samples]
    lengths = np.array([len(s) for s in samples])
    scores = []
    for i, hyp in enumerate(samples):
        fractions = []
        for n in range(max_n):
            table: dict[Ngram, int] = {}
            for j, other in enumerate(counts):
                if j != i:
                    for g in counts[i][n]:
                        c = other[n].get(g, 0)
                        if c > table.get(g, 0):
                            table[g] = c
            matched = sum(min(c, table.get(g, 0)) for g, c in counts[i][n].items())
            fractions.append((matched, max(1, sum(counts[i][n].values()))))
        others = np.delete(lengths, i)
        gaps = np.abs(others - len(hyp))
        ref_len = int(min(others[gaps == gaps.min()]))
        scores.append(_bleu(fractions, len(hyp), ref_len, weights))
    return float(np.mean(scores))


# ---------------------------------------------------------------- other figures


def distinct_n(samples: Sequence[Sequence[str]], n: int) -> float:
    """Distinct n-grams over all n-grams of the samples (Li et al. 2016); 0 when there are none."""
    grams = [g for s in samples for g in ngrams(s, n)]
    return len(set(grams)) / len(grams) if grams else 0.0


class CorpusIndex:
    """What the figures need from one corpus, computed once: BLEU tables, line set, words, 4-grams, form,
    trigram index."""

    def __init__(
        self, lines: Sequence[str], max_refs: int = 5000, max_ngram_lines: int = 20_000, seed: int = 0
    ) -> None:
        self.lines = list(lines)
        self.line_set = frozenset(line.strip() for line in self.lines)
        rng = random.Random(seed)
        refs = self.lines if len(self.lines) <= max_refs else rng.sample(self.lines, max_refs)
        self.references = BleuReferences([tokenize(r) for r in refs], 4)
        pool = self.lines if len(self.lines) <= max_ngram_lines else rng.sample(self.lines, max_ngram_lines)
        self.fourgrams = frozenset(hash(g) for line in pool for g in ngrams(tokenize(line), 4))
        self.words = frozenset(words("\n".join(self.lines)))
        found = dominant_form(self.lines)
        self.form = found[0] if found else None  # the folder's verse form, where it has one (form.py)
        self._nearest: _TrigramIndex | None = None

    @property
    def nearest(self) -> "_TrigramIndex":
        if self._nearest is None:
            self._nearest = _TrigramIndex(self.lines)
        return self._nearest


_INDEX_CACHE: "OrderedDict[tuple[int, int], CorpusIndex]" = OrderedDict()


def corpus_index(corpus_lines: Sequence[str]) -> CorpusIndex:
    """The cached index of a corpus (keyed by its lines' hash; the last few corpora are kept)."""
    key = (len(corpus_lines), hash(tuple(corpus_lines)))
    index = _INDEX_CACHE.get(key)
    if index is None:
        index = CorpusIndex(corpus_lines)
        _INDEX_CACHE[key] = index
        while len(_INDEX_CACHE) > 4:
            _INDEX_CACHE.popitem(last=False)
    else:
        _INDEX_CACHE.move_to_end(key)
    return index


def text_metrics(samples: Sequence[str], corpus_lines: Sequence[str] | CorpusIndex) -> dict[str, float]:
    """Quality figures of generated lines against the training lines (see the module docstring).

    Keys: bleu2..bleu4, self_bleu2, distinct1, distinct2, copied (exact
    training lines), novel4 (4-grams not in up to 20k training lines), in_vocab (share
    of words that are corpus words; only when the samples have such words),
    form (share of lines in the corpus's dominant form; only where it has one, form.py), empty, mean_chars.
    """
    index = corpus_lines if isinstance(corpus_lines, CorpusIndex) else corpus_index(corpus_lines)
    toks = [tokenize(s) for s in samples]
    out: dict[str, float] = {}
    for n in (2, 3, 4):
        out[f"bleu{n}"] = mean_bleu(toks, index.references, n)
    out["self_bleu2"] = self_bleu(toks, 2)
    out["distinct1"] = distinct_n(toks, 1)
    out["distinct2"] = distinct_n(toks, 2)
    out["copied"] = float(np.mean([s.strip() in index.line_set for s in samples])) if samples else 0.0
    grams = [hash(g) for t in toks for g in ngrams(t, 4)]
    if grams:
        out["novel4"] = sum(g not in index.fourgrams for g in grams) / len(grams)
    sample_words = [w for s in samples for w in words(s)]
    if sample_words and index.words:
        out["in_vocab"] = sum(w in index.words for w in sample_words) / len(sample_words)
    if index.form is not None and samples:
        out["form"] = form_share(samples, index.form)
    out["empty"] = float(np.mean([not s.strip() for s in samples])) if samples else 0.0
    out["mean_chars"] = float(np.mean([len(s) for s in samples])) if samples else 0.0
    return out


def corpus_reference(
    corpus_lines: Sequence[str], heldout: Sequence[str] | None = None, n: int = 64, seed: int = 0
) -> dict[str, float]:
    """The corpus's own figures: ``n`` held-out real lines scored like samples (dashed lines in the UI).

    Without ``heldout``, ``n`` lines are taken out of ``corpus_lines`` for the
    purpose.  Compare with figures of the same number of samples: self-BLEU
    and distinct-n depend on it.
    """
    rng = random.Random(seed)
    if heldout is None:
        picked = set(rng.sample(range(len(corpus_lines)), min(n, len(corpus_lines) // 2)))
        heldout = [corpus_lines[i] for i in sorted(picked)]
        corpus_lines = [line for i, line in enumerate(corpus_lines) if i not in picked]
    elif len(heldout) > n:
        heldout = rng.sample(list(heldout), n)
    figures = text_metrics(list(heldout), corpus_lines)
    figures["lines"] = float(len(heldout))
    return figures


@dataclass(frozen=True)
class Alarm:
    """One warning about the samples: its kind ("collapse", "copying", "form") and the figures behind it.

    Data, so the window colours and explains each kind without parsing words;
    ``str()`` gives the "kind: detail" line the exports record."""

    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


def sample_alarms(figures: dict[str, float], reference: dict[str, float]) -> list[Alarm]:
    """Mode collapse (samples more alike than real lines), copying of training lines, and drift from the
    folder's verse form (fewer samples in it than real lines by FORM_MARGIN)."""
    found = []
    own = reference.get("self_bleu2")
    if own is not None and figures.get("self_bleu2", 0.0) > own + COLLAPSE_MARGIN:
        found.append(Alarm("collapse", f"self-BLEU-2 {figures['self_bleu2']:.3f} is above the corpus's own {own:.3f}"))
    if figures.get("copied", 0.0) > COPY_ALARM:
        found.append(Alarm("copying", f"{figures['copied']:.0%} of samples are training lines"))
    own_form = reference.get("form")
    if own_form is not None and "form" in figures and figures["form"] < own_form - FORM_MARGIN:
        found.append(Alarm("form", f"{figures['form']:.0%} of samples keep the folder's form, against "
                                   f"{own_form:.0%} of its own lines"))
    return found


# ---------------------------------------------------------------- nearest line


class _TrigramIndex:
    """Character-trigram postings of every corpus line (numpy CSR), for Dice-nearest lookups in milliseconds."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = list(lines)
        flat = "\0" + "\0".join(self.lines) + "\0"
        codes = np.frombuffer(flat.encode("utf-32-le"), dtype=np.uint32)
        self.alphabet, dense = np.unique(codes, return_inverse=True)
        self.char_id = {chr(int(c)): i for i, c in enumerate(self.alphabet)}
        self.base = np.int64(len(self.alphabet))
        dense = dense.astype(np.int64)
        line_of = np.cumsum(codes == 0) - 1
        keep = codes[1:-1] != 0  # a trigram belongs to the line of its middle character
        grams = ((dense[:-2] * self.base + dense[1:-1]) * self.base + dense[2:])[keep]
        owners = line_of[1:-1][keep]
        order = np.lexsort((owners, grams))
        grams, owners = grams[order], owners[order]
        first = np.ones(len(grams), bool)
        first[1:] = (grams[1:] != grams[:-1]) | (owners[1:] != owners[:-1])
        grams, owners = grams[first], owners[first]
        self.keys, starts = np.unique(grams, return_index=True)
        self.offsets = np.append(starts, len(grams))
        self.postings = owners
        self.sizes = np.bincount(owners, minlength=len(self.lines)).astype(np.float64)

    def _grams(self, text: str) -> tuple[np.ndarray, int]:
        """The sample's trigram keys that occur in the corpus, and how many distinct trigrams it has in all."""
        padded = "\0" + text + "\0"
        distinct = {padded[i : i + 3] for i in range(len(padded) - 2)}
        base = int(self.base)
        known = set()
        for gram in distinct:
            a, b, c = (self.char_id.get(ch, -1) for ch in gram)
            if min(a, b, c) >= 0:
                known.add((a * base + b) * base + c)
        return np.fromiter(known, dtype=np.int64, count=len(known)), len(distinct)

    def nearest(self, text: str) -> tuple[int, float]:
        """(line index, Dice similarity of trigram sets); (-1, 0.0) when no line shares a trigram."""
        if not self.lines:
            return -1, 0.0
        grams, size = self._grams(text)
        if len(grams) == 0 or len(self.keys) == 0:
            return -1, 0.0
        pos = np.minimum(np.searchsorted(self.keys, grams), len(self.keys) - 1)
        pos = pos[self.keys[pos] == grams]
        if len(pos) == 0:
            return -1, 0.0
        hits = np.concatenate([self.postings[self.offsets[p] : self.offsets[p + 1]] for p in pos])
        dice = 2 * np.bincount(hits, minlength=len(self.lines)) / (size + self.sizes)
        best = int(np.argmax(dice))
        return best, float(dice[best])


def nearest_rows(samples: Sequence[str], corpus_lines: Sequence[str] | CorpusIndex) -> list[tuple[int, float]]:
    """For each sample, the closest training line's index and the Dice overlap of their character trigrams
    (-1, 0.0 when no line shares a trigram)."""
    index = corpus_lines if isinstance(corpus_lines, CorpusIndex) else corpus_index(corpus_lines)
    return [index.nearest.nearest(s) for s in samples]
