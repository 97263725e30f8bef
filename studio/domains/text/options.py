"""Decode options and their defaults, one list for the codec, the command line and the text tab.

Kept free of torch: the text tab reads it when the window opens.
"""
from __future__ import annotations

from typing import Any

DECODINGS = ("greedy", "sample", "beam")
DEFAULT_OPTIONS: dict[str, Any] = {  # sampling with phrasing came closest to real lines (bench/text_quality.py)
    "decoding": "sample",
    "temperature": 1.0,
    "seed": 0,
    "beam": 4,
    "lexicon": True,  # spell only the corpus's words (lexicon.py)
    "phrasing": 0.5,  # the weight of the corpus's word pairs (phrasing.py)
}
