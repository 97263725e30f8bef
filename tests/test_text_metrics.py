"""Text quality figures against known answers (nltk's documented BLEU values, hand-computed cases)."""
from __future__ import annotations

import math
import time

import pytest

from studio.domains.text.metrics import (
    BleuReferences,
    sample_alarms,
    corpus_bleu,
    corpus_reference,
    distinct_n,
    nearest_rows,
    self_bleu,
    sentence_bleu,
    text_metrics,
    tokenize,
    words,
)

HYP1 = "It is a guide to action which ensures that the military always obeys the commands of the party".split()
REF1 = "It is a guide to action that ensures that the military will forever heed Party commands".split()
REF2 = "It is the guiding principle which guarantees the military forces always being under the command of the Party".split()
REF3 = "It is the practical guide for the army always to heed the directions of the party".split()


def test_bleu_matches_nltk_documented_values():
    # The doctest values of nltk.translate.bleu_score (sentence_bleu, corpus_bleu, modified_precision).
    assert sentence_bleu([REF1, REF2, REF3], HYP1) == pytest.approx(0.5045666840058485, abs=1e-12)
    assert sentence_bleu([REF1, REF2, REF3], HYP1, (0.1666,) * 5) == pytest.approx(0.45838627164939455, abs=1e-12)
    hyp2 = "he read the book because he was interested in world history".split()
    ref2 = "he was interested in world history because he read the book".split()
    assert corpus_bleu([[REF1, REF2, REF3], [ref2]], [HYP1, hyp2]) == pytest.approx(0.5920778868801042, abs=1e-12)
    refs = BleuReferences(["the cat is on the mat".split(), "there is a cat on the mat".split()], 2)
    assert refs.modified_precision("the the the the the the the".split(), 1) == (2, 7)
    assert BleuReferences([REF1, REF2, REF3], 2).modified_precision(HYP1, 2) == (10, 17)  # nltk: 0.5882352941...


def test_method1_smoothing_and_brevity_penalty_by_hand():
    # p1 = 1/2, p2 = 0 -> (0 + 0.1) / 1; same length, so no brevity penalty.
    assert sentence_bleu([["a", "b"]], ["a", "c"], (0.5, 0.5)) == pytest.approx(math.sqrt(0.5 * 0.1))
    # p1 = p2 = 1 but the hypothesis is 2 tokens against a 4-token reference: BP = exp(1 - 4/2).
    assert sentence_bleu([["a", "b", "c", "d"]], ["a", "b"], (0.5, 0.5)) == pytest.approx(math.exp(-1))
    # closest reference length: ties go to the shorter (nltk), so 3 (not 5) for a 4-token hypothesis.
    assert BleuReferences([list("abc"), list("abcde")]).closest_length(4) == 3
    assert sentence_bleu([["x", "y"]], ["a", "b"]) == 0.0  # not a single unigram in common
    assert sentence_bleu([["x", "y"]], []) == 0.0


def test_sample_figures_known_answers():
    corpus = ["the cat sat on the mat", "a dog ran in the park", "birds sing at dawn"]
    same = text_metrics(corpus, corpus)
    assert same["bleu2"] == pytest.approx(1.0) and same["bleu4"] == pytest.approx(1.0)
    assert same["copied"] == 1.0 and same["in_vocab"] == 1.0 and same["novel4"] == 0.0
    disjoint = text_metrics(["zebra quokka xylophone yak"], corpus)
    assert disjoint["bleu2"] == 0.0 and disjoint["copied"] == 0.0 and disjoint["in_vocab"] == 0.0
    assert disjoint["novel4"] == 1.0
    mixed = text_metrics(["the cat sat on the mat", "the zebra sat", "", "birds sing at dawn"], corpus)
    assert mixed["copied"] == 0.5
    assert mixed["empty"] == 0.25
    assert mixed["in_vocab"] == pytest.approx(12 / 13)  # 13 words; "zebra" is the only unknown one


def test_self_bleu_and_distinct():
    same = [["the", "cat", "sat"]] * 4
    assert self_bleu(same, 2) == pytest.approx(1.0)
    apart = [["a", "b"], ["c", "d"], ["e", "f"]]
    assert self_bleu(apart, 2) == 0.0
    assert distinct_n(same, 1) == pytest.approx(3 / 12)
    assert distinct_n(apart, 2) == 1.0
    assert distinct_n([["a"]], 2) == 0.0


def test_tokens_for_spaced_and_unspaced_scripts():
    assert tokenize("Shall I compare thee, love?") == ["Shall", "I", "compare", "thee", ",", "love", "?"]
    assert tokenize("白日依山尽，黄河") == ["白", "日", "依", "山", "尽", "，", "黄", "河"]
    assert tokenize("don't stop") == ["don't", "stop"]
    assert words("The moon 白日 rises 42") == ["the", "moon", "rises"]
    zh = text_metrics(["白日依山尽"], ["白日依山尽，黄河入海流"])
    assert "in_vocab" not in zh  # no space-separated words to judge
    assert 0 < zh["bleu2"] <= 1.0


def test_nearest_lines_and_reference_and_alarms():
    corpus = [f"line {i} about the {w}" for i in range(300) for w in ("moon", "sea")]
    got = nearest_rows(["line 123 about the sea", "lime 7 abut the moon", "ZZZZ"], corpus)
    assert corpus[got[0][0]] == "line 123 about the sea" and got[0][1] == 1.0
    assert corpus[got[1][0]] == "line 7 about the moon" and 0.3 < got[1][1] < 1.0
    assert got[2] == (-1, 0.0)
    ref = corpus_reference(corpus, n=32)
    assert ref["copied"] == 0.0 and ref["lines"] == 32.0
    assert 0.0 < ref["self_bleu2"] <= 1.0
    collapsed = {"self_bleu2": ref["self_bleu2"] + 0.2, "copied": 0.5}
    found = sample_alarms(collapsed, ref)
    assert [a.kind for a in found] == ["collapse", "copying"] and str(found[0]).startswith("collapse: ")
    assert sample_alarms({"self_bleu2": ref["self_bleu2"], "copied": 0.0}, ref) == []


def test_fast_enough_for_the_ui():
    corpus = [f"the {a} {b} sings of {c} and {d}" for a in range(20) for b in range(15) for c in ("night", "day") for d in range(10)]
    samples = [f"the {i} {i + 1} sings of night and {i % 10}" for i in range(64)]
    text_metrics(samples, corpus)  # builds and caches the corpus index
    nearest_rows(samples[:1], corpus)
    started = time.process_time()
    figures = text_metrics(samples, corpus)
    near = nearest_rows(samples, corpus)
    spent = time.process_time() - started
    assert len(corpus) == 6000 and len(near) == 64
    assert spent < 1.0, f"metrics + nearest lines took {spent:.2f} s of CPU"
    assert figures["copied"] > 0
