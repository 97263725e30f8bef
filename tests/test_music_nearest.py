"""The music copy check: each clip's closest training phrase by shared notes."""
from __future__ import annotations

import numpy as np

from studio.core.domain import Corpus, ImportReport
from studio.domains.music.nearest import nearest_phrases
from studio.domains.music.roll import clip_from_meta

META = {"steps_per_beat": 4, "bars": 1, "lowest": 24, "roles": ["piano"], "programs": [0], "tempo": 100.0}


def _rolls(count: int, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).random((count, 1, 16, 12)) < 0.1).astype(np.uint8)


def test_overlap_is_one_for_the_same_phrase_and_falls_with_changed_notes():
    corpus = _rolls(5000, 0)  # more than one block of the scan
    query = corpus[[4321, 7]].copy()
    query[1, 0, :8] = 0  # half of phrase 7's notes removed
    index, overlap = nearest_phrases(query, corpus)
    assert index.tolist() == [4321, 7]
    assert overlap[0] == 1.0 and 0.2 < overlap[1] < 0.8
    silent = nearest_phrases(np.zeros((1, 1, 16, 12), np.uint8), np.zeros((2, 1, 16, 12), np.uint8))
    assert silent[1][0] == 1.0  # two silences are the same phrase


def test_the_domain_shows_the_phrase_and_flags_copies():
    import torch

    from studio.domains import get_domain

    domain = get_domain("music")
    rolls = _rolls(40, 1)
    corpus = Corpus(torch.from_numpy(rolls), dict(META), "fp", ImportReport(folder="x"))
    changed = rolls[12].copy()
    changed[0, :, :] = 0
    changed[0, 0, 0] = 1
    copy, other = domain.nearest_training([clip_from_meta(rolls[12], META), clip_from_meta(changed, META)], corpus)
    assert copy.index == 12 and copy.copied and np.array_equal(copy.item.roll, rolls[12])
    assert not other.copied and other.distance > 0.5 and "notes shared" in other.label
    assert [c.roll.shape for c in domain.preview_items(rolls[:2], META)] == [(1, 16, 12)] * 2

