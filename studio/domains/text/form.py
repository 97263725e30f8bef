"""A folder's line form: the length of each run of characters and the punctuation between them.

Classical verse is written to a form: a five-character couplet is
"xxxxx，xxxxx。", a seven-character one "xxxxxxx，xxxxxxx。".  A sample with
six characters before its comma, or a full stop where a comma belongs, reads
as broken however good its characters are, and BLEU hardly notices.  So a
line's form is its runs of non-punctuation characters written as their
lengths, with the punctuation kept ("5，5。", shown as "5+5 with ，。"), the
corpus's dominant form is measured at import, and the metrics count the
share of samples in it beside the held-out lines' own share
(metrics.sample_alarms raises "form" when samples drift from it).

Only a form held by at least :data:`MIN_SHARE` of the lines counts as the
folder's: prose and free verse have no dominant form, and then there is no
figure and no alarm.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Iterable, Sequence

MIN_SHARE = 0.3  # a form shared by fewer lines than this is no form of the folder's


class _Runs(dict):
    """str.translate's table: punctuation kept, every other character one placeholder (filled on first sight)."""

    def __missing__(self, code: int) -> int:
        self[code] = code if unicodedata.category(chr(code)).startswith("P") else 0
        return self[code]


_TABLE = _Runs()
_PLACEHOLDERS = re.compile("\0+")


def line_form(line: str) -> str:
    """The line's runs of characters as lengths, punctuation kept: "白日依山尽，黄河入海流。" -> "5，5。"."""
    return _PLACEHOLDERS.sub(lambda run: str(len(run.group())), line.strip().translate(_TABLE))


def dominant_form(lines: Iterable[str]) -> tuple[str, float] | None:
    """(form, share of lines in it) for the commonest form, or None when it holds under MIN_SHARE of the lines."""
    counts = Counter(line_form(line) for line in lines if line.strip())
    total = sum(counts.values())
    if not total:
        return None
    form, n = counts.most_common(1)[0]
    return (form, n / total) if n / total >= MIN_SHARE else None


def form_share(lines: Sequence[str], form: str) -> float:
    """Share of ``lines`` whose form is ``form``."""
    return sum(line_form(line) == form for line in lines) / len(lines) if lines else 0.0


def describe(form: str) -> str:
    """A form as people say it: "5，5。" -> "5+5 with ，。"; "7" -> "7 characters"."""
    lengths = re.findall(r"\d+", form)
    marks = "".join(re.findall(r"\D", form))
    shape = "+".join(lengths) if lengths else "0"
    return f"{shape} with {marks}" if marks else f"{shape} characters"
