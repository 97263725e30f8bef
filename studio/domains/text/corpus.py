"""Folder of texts -> N x (max_len + 2) tensor of character ids, with an import report.

Files are streamed in chunks with a cap on lines, so a 500 MB file (or one
enormous line) costs bounded memory and time; encodings are detected from
byte-order marks and strict trial decoding, without extra packages; every file
left out is reported with a reason a person can act on.
"""
from __future__ import annotations

import codecs
import random
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from studio.core.domain import CancelFn, Corpus, ImportReport, ProgressFn
from studio.core.folder_import import FileProblem, FolderRecipe, Listing, Reading, import_with
from studio.domains.text.vocab import BOS, EOS, PAD, SPECIALS, UNK, Vocab

if TYPE_CHECKING:
    import torch

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".lrc")
FORMAT_VERSION = 4  # bump when the import changes, so cached corpora are rebuilt

DEFAULT_OPTIONS: dict[str, Any] = {
    "unit": "line",  # line | stanza | window
    "max_len": 64,  # characters per training item
    "min_count": 2,  # rarer characters become UNK
    "max_vocab": 5000,
    "max_lines": 200_000,  # cap on unique training items
    "heldout": 0.05,  # share of items held out for the quality figures
    "heldout_max": 500,
    "seed": 0,
}

CHUNK_BYTES = 1 << 20
SAMPLE_BYTES = 256 << 10  # bytes used to detect a file's encoding
MAX_LINE_CHARS = 1 << 16  # a "line" longer than this is broken up before it is split into items
RAW_LINE_FACTOR = 20  # stop after reading this many times max_lines raw lines (duplicate-heavy files)


# ---------------------------------------------------------------- encodings

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_ENCODING_LABELS = {"utf-8-sig": "utf-8 (BOM)", "utf-16": "utf-16 (BOM)", "utf-32": "utf-32 (BOM)"}

# Frequent Chinese characters in simplified and traditional forms.  GB18030 and
# Big5 both decode much of each other's bytes without error, but the wrong one
# yields rare characters, kana, bopomofo and private-use code points instead.
_COMMON_HAN = frozenset(
    "的一是不了人我在有他中大来來上个個国國到说說们們为為子和你地出道也时時年得就那要下以生会會自着著去之"
    "过過家学學对對可里裡后後小么麼心多天而能好都然没沒日于於起还還发發成事只作当當想看文无無开開手十用主行方"
    "又如前所本见見经經头頭面公同三已老从從动動两兩长長知民样樣现現分将將外但身些与與高意进進把法此实實回二理"
    "美点點月明其种種声聲全工己话話儿兒者向情部正名定女问問力机機给給等几幾很业業最间間新什打便位因重被走电電"
    "四第门門相次东東海口使教西再平真听聽世气氣信北少关關并加化由却卻代军軍入先山五太水万萬市眼体體别別处處"
    "总總才场場师師书書比住九笑性通目华華报報立马馬命张張活难難神数數件安表原车車白应應路期叫死常提感金何更反"
    "合放做计計或利受光王果亲親界及今京制解各任至清物台象记記边邊共风風战戰干接它许許八特觉覺望直服林题題建"
    "南度色字请請交爱愛让讓认認算论論百吃义義科怎元术術结結六功指思非流每青管夫连連远遠跟带帶花快条條院变變"
    "言往展该該近留红紅周保达達运運半候七必城父强強步完深即求品转轉量空技轻輕告江语語英基满滿式李写寫呢识識"
    "令黄黃德收脸臉钱錢未持取设設始双雙历歷越史千片容像找友孩站改形早房音火首单單据據影失拿香似石若弟谁誰"
    "读讀飞飛观觀包落视視喜离離虽雖兴興春秋云雲雨雪夜河星松竹鸟鳥照寒孤归歸，。！？、；：“”《》"
)
_ODD_RANGES = (
    (0xE000, 0xF8FF),  # private use
    (0x3040, 0x30FF),  # kana
    (0x3100, 0x312F),  # bopomofo
    (0x2500, 0x257F),  # box drawing
    (0x0370, 0x04FF),  # Greek, Cyrillic
    (0x3400, 0x4DBF),  # CJK extension A
    (0xF900, 0xFAFF),  # compatibility ideographs
)


def _is_odd(ch: str) -> bool:
    o = ord(ch)
    return any(lo <= o <= hi for lo, hi in _ODD_RANGES)


def _han_score(text: str) -> int:
    """How much ``text`` looks like real Chinese (common characters) rather than a mis-decoding."""
    common = sum(1 for ch in text if ch in _COMMON_HAN)
    basic = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    odd = sum(1 for ch in text if _is_odd(ch))
    return 3 * common + basic - 4 * odd


def _strict_decode(sample: bytes, encoding: str, final: bool) -> str | None:
    try:
        return codecs.getincrementaldecoder(encoding)("strict").decode(sample, final)
    except UnicodeDecodeError:
        return None


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27)) + b"\x7f"


def binary_reason(sample: bytes) -> str | None:
    """Why ``sample`` (a file's first bytes, no BOM) looks binary, or None when it looks like text."""
    if not sample:
        return None
    if b"\x00" in sample:
        return "binary file (contains NUL bytes; UTF-16 text needs a byte-order mark)"
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls / len(sample) > 0.05:
        return f"binary file ({controls / len(sample):.0%} control characters)"
    return None


def detect_encoding(sample: bytes, complete: bool) -> tuple[str | None, str]:
    """``(codec, "")`` for text, ``(None, reason)`` otherwise.

    ``complete`` says the sample is the whole file (so a multi-byte character
    cut at its end is an error rather than the chunk boundary).  Order: BOMs,
    binary check, strict UTF-8, then GB18030 vs Big5 by which decodes
    strictly and reads as more common Chinese, then UTF-8 with a few bad bytes.
    """
    for bom, encoding in _BOMS:
        if sample.startswith(bom):
            return encoding, ""
    reason = binary_reason(sample)
    if reason:
        return None, reason
    if _strict_decode(sample, "utf-8", complete) is not None:
        return "utf-8", ""
    scored = []
    for encoding in ("gb18030", "big5"):
        text = _strict_decode(sample, encoding, complete)
        if text is not None:
            scored.append((_han_score(text), encoding))
    best = max(scored, default=None)
    if best is not None and best[0] > 0:
        return best[1], ""
    lossy = sample.decode("utf-8", "replace")
    if lossy.count("\ufffd") <= max(1, len(lossy) // 200):
        return "utf-8", ""
    if best is not None:
        return best[1], ""
    return None, "undecodable (not UTF-8, UTF-16/32 with BOM, GB18030/GBK or Big5)"


# ---------------------------------------------------------------- lines

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad"), None)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")


def normalize_line(line: str) -> str:
    """NFC, no zero-width or control characters, single spaces, stripped."""
    line = unicodedata.normalize("NFC", line).translate(_ZERO_WIDTH)
    return _SPACES.sub(" ", _CONTROL.sub(" ", line)).strip()


def decoded_chunks(path: Path, encoding: str, check_cancel: Callable[[], None]) -> Iterator[str]:
    """The file's text in chunks with newlines normalised to ``\\n`` (a ``\\r`` at a chunk end waits for the next);
    ``check_cancel()`` between chunks raises when the import was abandoned."""
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    held = ""
    with open(path, "rb") as fh:
        while True:
            check_cancel()
            block = fh.read(CHUNK_BYTES)
            text = held + decoder.decode(block, final=not block)
            held = ""
            if block and text.endswith("\r"):
                text, held = text[:-1], "\r"
            if text:
                yield text.replace("\r\n", "\n").replace("\r", "\n")
            if not block:
                return


def raw_lines(chunks: Iterable[str], max_chars: int | None = None) -> Iterator[str]:
    """Lines of a chunk stream; a line longer than ``max_chars`` comes out in pieces (cut at a space
    when there is one) so memory stays bounded whatever the file holds."""
    limit = max_chars or MAX_LINE_CHARS
    pending = ""
    for chunk in chunks:
        parts = (pending + chunk).split("\n")
        pending = parts.pop()
        yield from parts
        while len(pending) > limit:
            cut = pending.rfind(" ", limit // 2, limit)
            cut = cut if cut > 0 else limit
            yield pending[:cut]
            pending = pending[cut:]
    if pending:
        yield pending


_LRC_TAG = re.compile(r"^\s*\[[A-Za-z#]+:[^\]]*\]\s*$")
_LRC_TIME = re.compile(r"[\[<]\d{1,3}:\d{1,2}(?:[.:]\d{1,3})?[\]>]")


def clean_lrc(lines: Iterable[str]) -> Iterator[str]:
    """Lyrics without ``[mm:ss.xx]`` / ``<mm:ss.xx>`` timestamps and ``[ar:...]``-style tag lines."""
    for line in lines:
        if _LRC_TAG.match(line):
            continue
        yield _LRC_TIME.sub("", line)


_MD_FENCE = re.compile(r"^\s*(```|~~~)")
_MD_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$|^\s*\|?\s*:?-{3,}")
_MD_PREFIX = re.compile(r"^\s*(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)+")
_MD_IMAGE_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_HTML = re.compile(r"<[^>\n]+>")
_MD_MARKS = re.compile(r"\*\*|__|`|\*")


def clean_markdown(lines: Iterable[str]) -> Iterator[str]:
    """Markdown reduced to its words: no code blocks, rules, heading/list markers, link targets or emphasis."""
    in_code = False
    for line in lines:
        if _MD_FENCE.match(line):
            in_code = not in_code
            yield ""
            continue
        if in_code or _MD_RULE.match(line):
            yield ""
            continue
        line = _MD_PREFIX.sub("", line)
        line = _MD_IMAGE_LINK.sub(r"\1", line)
        line = _MD_HTML.sub("", line).replace("|", " ")
        yield _MD_MARKS.sub("", line)


_FILTERS: dict[str, Callable[[Iterable[str]], Iterator[str]]] = {
    ".lrc": clean_lrc,
    ".md": clean_markdown,
    ".markdown": clean_markdown,
}

# ---------------------------------------------------------------- items

_BREAK_AFTER = "，。！？；：、,.!?;:"


def _is_cjk(ch: str) -> bool:
    return "\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\uff00" <= ch <= "\uffef" or ord(ch) >= 0x20000


def _join(a: str, b: str, sep: str) -> str:
    """Joins two pieces of running text; no space between Chinese characters."""
    if not a:
        return b
    if not b:
        return a
    if sep == " " and _is_cjk(a[-1]) and _is_cjk(b[0]):
        return a + b
    return a + sep + b


def split_to_fit(text: str, max_len: int) -> list[str]:
    """Pieces of at most ``max_len`` characters, cut at a newline, a space or after punctuation when possible."""
    pieces = []
    start, n = 0, len(text)
    floor = max(1, max_len // 3)
    while n - start > max_len:
        window = text[start : start + max_len + 1]
        cut = window.rfind("\n")
        if cut < floor:
            cut = window.rfind(" ")
        if cut >= floor:
            pieces.append(window[:cut])
            start += cut + 1
            continue
        cut = max(window.rfind(c, 0, max_len) for c in _BREAK_AFTER) + 1
        if cut < floor:
            cut = max_len
        pieces.append(window[:cut])
        start += cut
    pieces.append(text[start:])
    return [p.strip() for p in pieces if p.strip()]


def items_from_lines(lines: Iterable[str], unit: str, max_len: int, stats: Counter) -> Iterator[str]:
    """Training items from cleaned lines: one per line, per blank-line-separated stanza, or fixed-size windows."""
    if unit == "line":
        for line in lines:
            if line:
                pieces = split_to_fit(line, max_len)
                stats["split_lines"] += len(pieces) > 1
                yield from pieces
        return
    sep = "\n" if unit == "stanza" else " "
    buf = ""
    for line in lines:
        if not line:
            if buf:
                yield from split_to_fit(buf, max_len)
            buf = ""
            continue
        buf = _join(buf, line, sep)
        if unit == "window" or len(buf) > MAX_LINE_CHARS:
            *done, buf = split_to_fit(buf, max_len) or [""]
            yield from done
    if buf:
        yield from split_to_fit(buf, max_len)


# ---------------------------------------------------------------- scripts

_SCRIPTS = (
    ("Han", ((0x2E80, 0x2FDF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3FFFF))),
    ("Kana", ((0x3040, 0x30FF), (0x31F0, 0x31FF))),
    ("Hangul", ((0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7AF))),
    ("Latin", ((0x0041, 0x024F), (0x1E00, 0x1EFF))),
    ("Greek", ((0x0370, 0x03FF),)),
    ("Cyrillic", ((0x0400, 0x052F),)),
    ("Arabic", ((0x0600, 0x06FF),)),
    ("Hebrew", ((0x0590, 0x05FF),)),
    ("Devanagari", ((0x0900, 0x097F),)),
    ("Thai", ((0x0E00, 0x0E7F),)),
)
_ENGLISH_HINTS = frozenset(
    "the a an and of to in on at that is it was are be with my his her you your thy thou for not but as by from this"
    .split()
)


def script_of(ch: str) -> str:
    o = ord(ch)
    for name, ranges in _SCRIPTS:
        if any(lo <= o <= hi for lo, hi in ranges):
            return name
    return "Other"


def script_shares(char_counts: Counter) -> dict[str, float]:
    """Share of letters per script (punctuation, digits, spaces and emoji are not counted)."""
    totals: Counter = Counter()
    for ch, n in char_counts.items():
        if ch.isalpha():
            totals[script_of(ch)] += n
    whole = sum(totals.values())
    return {k: round(v / whole, 4) for k, v in totals.most_common()} if whole else {}


def guess_language(shares: dict[str, float], sample_lines: list[str]) -> str:
    """A readable guess from the dominant script ("English", "Chinese", "Latin script"...)."""
    if not shares:
        return "unknown"
    top = next(iter(shares))
    if top == "Han":
        return "Japanese" if shares.get("Kana", 0) > 0.1 else "Chinese"
    if top == "Kana":
        return "Japanese"
    if top == "Hangul":
        return "Korean"
    if top == "Latin":
        words = [w.strip(".,;:!?'\"").lower() for line in sample_lines for w in line.split()]
        words = [w for w in words if w.isascii() and w.isalpha()]
        hits = sum(1 for w in words if w in _ENGLISH_HINTS)
        return "English" if words and hits / len(words) > 0.05 else "Latin script"
    return f"{top} script"


# ---------------------------------------------------------------- import


@dataclass
class _Collected:
    items: dict[str, None] = field(default_factory=dict)  # insertion-ordered set
    stats: Counter = field(default_factory=Counter)
    encodings: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    capped: bool = False


def resolve_options(options: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults filled in and checked, so the cache key and the import see the same values."""
    opts = {**DEFAULT_OPTIONS, **(options or {})}
    if opts["unit"] not in ("line", "stanza", "window"):
        raise ValueError(f"unknown text unit {opts['unit']!r}; use line, stanza or window")
    for key in ("max_len", "min_count", "max_vocab", "max_lines", "heldout_max", "seed"):
        opts[key] = int(opts[key])
    opts["max_len"] = max(4, opts["max_len"])
    opts["max_vocab"] = max(len(SPECIALS) + 1, opts["max_vocab"])
    opts["max_lines"] = max(1, opts["max_lines"])
    opts["heldout"] = float(opts["heldout"])
    return opts


def _read_file(path: Path, opts: dict[str, Any], got: _Collected, check_cancel: Callable[[], None]) -> None:
    """Adds one file's items to ``got``; :class:`FileProblem` says why a file gave none."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            sample = fh.read(SAMPLE_BYTES)
    except OSError as exc:
        raise FileProblem(f"cannot read: {exc.strerror or exc}") from exc
    if size == 0:
        raise FileProblem("empty file")
    encoding, reason = detect_encoding(sample, complete=len(sample) >= size)
    if encoding is None:
        raise FileProblem(reason)
    stats: Counter = Counter()
    before = len(got.items)
    raw_cap = opts["max_lines"] * RAW_LINE_FACTOR
    try:
        chunks = decoded_chunks(path, encoding, check_cancel)
        lines = (normalize_line(line) for line in _FILTERS.get(path.suffix.lower(), iter)(raw_lines(chunks)))
        for item in items_from_lines(lines, opts["unit"], opts["max_len"], stats):
            stats["raw"] += 1
            if "\ufffd" in item:
                stats["undecodable_items"] += 1
            elif not any(ch.isalnum() for ch in item):
                stats["symbol_only"] += 1
            elif item in got.items:
                stats["duplicates"] += 1
            else:
                got.items[item] = None
            if len(got.items) >= opts["max_lines"] or got.stats["raw"] + stats["raw"] >= raw_cap:
                got.capped = True
                break
    except OSError as exc:
        kept = len(got.items) - before
        raise FileProblem(f"read error after {kept} lines (those are kept): {exc.strerror or exc}") from exc
    finally:
        got.stats.update(stats)
    added = len(got.items) - before
    if added == 0:
        if stats["symbol_only"]:
            reason = f"no text: {stats['symbol_only']} lines of only emoji or symbols"
        elif stats["duplicates"]:
            reason = "no new text (every line already imported)"
        elif stats["undecodable_items"]:
            reason = f"no decodable text as {encoding}"
        else:
            reason = "no text lines"
        raise FileProblem(reason)
    got.encodings[_ENCODING_LABELS.get(encoding, encoding)] += 1
    if stats["symbol_only"]:
        got.notes.append(f"{path.name}: {stats['symbol_only']} lines of only emoji or symbols left out")
    if stats["undecodable_items"]:
        got.notes.append(f"{path.name}: {stats['undecodable_items']} lines with undecodable bytes left out")


def _split_heldout(items: list[str], opts: dict[str, Any]) -> tuple[list[str], list[str]]:
    """A seeded held-out share (none for tiny corpora, where every line is needed for training)."""
    n = len(items)
    count = min(opts["heldout_max"], int(n * opts["heldout"])) if n >= 40 else 0
    if count == 0:
        return items, []
    chosen = set(random.Random(opts["seed"]).sample(range(n), count))
    train = [s for i, s in enumerate(items) if i not in chosen]
    return train, [items[i] for i in sorted(chosen)]


def _to_tensor(lines: list[str], vocab: Vocab, max_len: int) -> "Any":
    """Rows ``[BOS, ids..., EOS, PAD...]`` built with numpy from one UTF-32 buffer (no per-character Python)."""
    import numpy as np
    import torch

    table = np.full(0x110000, UNK, dtype=np.int32)
    for i, ch in enumerate(vocab.itos[len(SPECIALS) :], start=len(SPECIALS)):
        table[ord(ch)] = i
    points = np.frombuffer("\0".join(lines).encode("utf-32-le"), dtype=np.uint32)
    is_sep = points == 0  # lines never hold NUL: normalize_line removed control characters
    line_of = np.cumsum(is_sep) - is_sep
    starts = np.concatenate([[0], np.flatnonzero(is_sep) + 1])
    pos = np.arange(len(points)) - starts[line_of]
    keep = ~is_sep & (pos < max_len)
    rows = np.full((len(lines), max_len + 2), PAD, dtype=np.int16 if len(vocab) < 32768 else np.int32)
    rows[:, 0] = BOS
    rows[line_of[keep], pos[keep] + 1] = table[points[keep]]
    lengths = np.minimum(np.array([len(line) for line in lines], dtype=np.int64), max_len)
    rows[np.arange(len(lines)), lengths + 1] = EOS
    return torch.from_numpy(rows)


def _spaced(char_counts: Counter) -> bool:
    """Whether most letters belong to scripts written with spaces between words (they have a lexicon)."""
    from studio.domains.text.metrics import is_unspaced

    letters = unspaced = 0
    for ch, n in char_counts.items():
        if ch.isalpha():
            letters += n
            unspaced += n if is_unspaced(ch) else 0
    return letters > 0 and unspaced < letters / 2


def _build(got: _Collected, opts: dict[str, Any], report: ImportReport) -> "tuple[torch.Tensor, dict[str, Any]]":
    """Vocabulary, held-out split, tensor, meta and the report's figures from the collected items."""
    from studio.domains.text.char_phrasing import char_ngrams, fit_order
    from studio.domains.text.form import describe, dominant_form
    from studio.domains.text.lexicon import lexicon_words
    from studio.domains.text.metrics import corpus_reference
    from studio.domains.text.word_phrasing import word_pairs

    items = list(got.items)
    char_counts: Counter = Counter()
    for item in items:
        char_counts.update(item)
    vocab = Vocab.build(char_counts, opts["min_count"], opts["max_vocab"])
    train, heldout = _split_heldout(items, opts)
    shares = script_shares(char_counts)
    language = guess_language(shares, items[:: max(1, len(items) // 2000)])
    total_chars = sum(char_counts.values())
    unk_chars = sum(n for ch, n in char_counts.items() if ch not in vocab.stoi)
    meta = {
        "vocab": vocab.itos,
        "pad_id": PAD,
        "bos_id": BOS,
        "eos_id": EOS,
        "unk_id": UNK,
        "max_len": opts["max_len"],
        "seq_len": opts["max_len"] + 2,
        "unit": opts["unit"],
        "language": language,
        "heldout": heldout,
    }
    if _spaced(char_counts):
        meta["lexicon"] = lexicon_words(train)  # decoding spells only these words (lexicon.py)
        meta["word_pairs"] = word_pairs(train, meta["lexicon"])  # and weighs their pairs (word_phrasing.py)
        phrasing = "word pairs"
    elif train:
        meta["char_ngrams"] = char_ngrams(train, vocab)  # no words to spell: character n-grams (char_phrasing.py)
        meta["char_order"] = fit_order(meta["char_ngrams"], heldout, vocab)
        phrasing = f"character {meta['char_order']}-grams"
    else:
        phrasing = "none"
    form = dominant_form(train)
    if form is not None:
        meta["form"] = form[0]  # the metrics count samples in it (form.py)
    report.details = {
        "files": len(report.imported),
        "lines": len(items),
        "train_lines": len(train),
        "heldout_lines": len(heldout),
        "characters": total_chars,
        "vocab_size": len(vocab),
        "unk_rate": round(unk_chars / total_chars, 5) if total_chars else 0.0,
        "language": language,
        "scripts": shares,
        "encodings": dict(got.encodings),
        "duplicates_removed": got.stats["duplicates"],
        "symbol_only_lines": got.stats["symbol_only"],
        "split_lines": got.stats["split_lines"],
        "unit": opts["unit"],
        "max_len": opts["max_len"],
        "phrasing": phrasing,
        "form": f"{describe(form[0])} ({form[1]:.0%} of lines)" if form is not None else "none (no form dominates)",
        "capped": got.capped,
        "notes": got.notes,
    }
    if train and heldout:
        report.details["reference"] = corpus_reference(train, heldout)
    return _to_tensor(train, vocab, opts["max_len"]), meta


def import_text_folder(
    folder: str | Path,
    options: dict[str, Any] | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    use_cache: bool = True,
) -> Corpus:
    """Reads every .txt/.md/.lrc file under ``folder`` into a Corpus by the shared routine (core/folder_import.py):
    cached by file list and options, ``NotADirectoryError`` for a missing folder.  Lines repeated across files
    are kept once, and reading stops at ``max_lines`` (``cancel()`` is also polled inside long files)."""
    opts = resolve_options(options)
    got = _Collected()

    def read(path: Path, reading: Reading) -> None:
        _read_file(path, opts, got, reading.check_cancel)
        if got.capped:
            reading.stop(f"not read: the cap of {opts['max_lines']} lines was reached")

    def assemble(files: list[tuple[Path, None]], report: ImportReport,
                 listing: Listing) -> "tuple[torch.Tensor, dict[str, Any]]":
        report.imported += [str(path) for path, _ in files]
        if got.capped:
            got.notes.append(
                f"stopped at {len(got.items)} unique items ({got.stats['raw']} read): raise max_lines to take more"
            )
        return _build(got, opts, report)

    recipe = FolderRecipe("text", frozenset(TEXT_SUFFIXES), {**opts, "format": FORMAT_VERSION}, read, assemble)
    return import_with(folder, recipe, progress, cancel, use_cache=use_cache)


_LINES_CACHE: dict[str, list[str]] = {}


def corpus_lines(corpus: Corpus) -> list[str]:
    """The training lines of a corpus as strings (decoded from its ids once, then cached by fingerprint)."""
    lines = _LINES_CACHE.get(corpus.fingerprint)
    if lines is None or len(lines) != corpus.data.shape[0]:
        lines = Vocab.from_meta(corpus.meta).decode_rows(corpus.data.numpy())
        if len(_LINES_CACHE) >= 4:
            _LINES_CACHE.pop(next(iter(_LINES_CACHE)))
        _LINES_CACHE[corpus.fingerprint] = lines
    return lines
