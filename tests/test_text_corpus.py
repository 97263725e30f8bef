"""Text import: encodings, file kinds, units, caps and the report."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.core.domain import ImportCancelled
from studio.domains.text import DOMAIN
from studio.domains.text import corpus as text_corpus
from studio.domains.text.corpus import (
    corpus_lines,
    detect_encoding,
    import_text_folder,
    split_to_fit,
)
from studio.domains.text.vocab import BOS, EOS, UNK

EN = ["Shall I compare thee to a summer's day?", "Thou art more lovely and more temperate:", "Rough winds do shake the darling buds of May,"]
ZH_S = ["白日依山尽，黄河入海流。", "欲穷千里目，更上一层楼。", "床前明月光，疑是地上霜。"]
ZH_T = ["白日依山盡，黃河入海流。", "欲窮千里目，更上一層樓。", "舉頭望明月，低頭思故鄉。"]
NO_HELDOUT = {"heldout": 0.0, "min_count": 1}


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "cache"))


def all_lines(corpus) -> list[str]:
    return corpus_lines(corpus) + list(corpus.meta["heldout"])


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_encodings_are_detected_and_decoded(tmp_path):
    folder = tmp_path / "texts"
    write(folder / "en_utf8.txt", "\n".join(EN).encode("utf-8"))
    write(folder / "en_bom.txt", b"\xef\xbb\xbf" + "\r\n".join(EN[:2] + ["Sometime too hot the eye of heaven shines"]).encode("utf-8"))
    write(folder / "zh_utf16le.txt", "\n".join(ZH_S + ["春风又绿江南岸"]).encode("utf-16"))  # Python writes a BOM (little-endian here)
    write(folder / "zh_utf16be.txt", b"\xfe\xff" + "\n".join(ZH_T[2:] + ["春眠不覺曉"]).encode("utf-16-be"))
    write(folder / "zh_gbk.txt", "\n".join(ZH_S + ["处处闻啼鸟，夜来风雨声。"]).encode("gbk"))
    write(folder / "nested" / "deeper" / "zh_big5.txt", "\n".join(ZH_T).encode("big5"))
    corpus = import_text_folder(folder, NO_HELDOUT)
    lines = set(all_lines(corpus))
    for line in EN + ZH_S + ZH_T + ["Sometime too hot the eye of heaven shines", "春眠不覺曉", "处处闻啼鸟，夜来风雨声。", "春风又绿江南岸"]:
        assert line in lines, line
    assert not any("\ufeff" in line or "\r" in line for line in lines)
    assert corpus.report.skipped == []
    assert len(corpus.report.imported) == 6
    encodings = corpus.report.details["encodings"]
    assert encodings["gb18030"] == 1 and encodings["big5"] == 1 and encodings["utf-16 (BOM)"] == 2
    assert len(lines) == len(set(all_lines(corpus)))  # duplicates across files removed
    assert corpus.report.details["duplicates_removed"] > 0


def test_detect_encoding_prefers_the_reading_that_makes_sense():
    assert detect_encoding("\n".join(ZH_T).encode("big5"), True)[0] == "big5"
    assert detect_encoding("\n".join(ZH_S).encode("gbk"), True)[0] == "gb18030"
    assert detect_encoding("plain ascii".encode(), True)[0] == "utf-8"
    text = "日" * 10
    cut = text.encode("utf-8")[:-1]  # a chunk boundary inside a character is not an error...
    assert detect_encoding(cut, complete=False)[0] == "utf-8"
    encoding, reason = detect_encoding(b"\x00\x01\x02binary", True)
    assert encoding is None and "binary" in reason


def test_bad_files_are_reported_not_fatal(tmp_path):
    folder = tmp_path / "mixed"
    write(folder / "good.txt", "\n".join(EN).encode())
    write(folder / "image.txt", bytes(range(256)) * 40)
    write(folder / "empty.txt", b"")
    write(folder / "emoji.txt", "😀😀😀\n🎉 🎉\n\n❤️‍🔥\n".encode())
    write(folder / "half_emoji.txt", "🌙🌙\nThe moon is up tonight\n".encode())
    write(folder / "ignored.csv", b"a,b,c\n")
    write(folder / ".hidden" / "secret.txt", b"hidden line\n")
    corpus = DOMAIN.import_folder(folder, NO_HELDOUT)
    reasons = {Path(s.path).name: s.reason for s in corpus.report.skipped}
    assert "binary" in reasons["image.txt"]
    assert reasons["empty.txt"] == "empty file"
    assert "emoji" in reasons["emoji.txt"]
    assert set(reasons) == {"image.txt", "empty.txt", "emoji.txt"}
    assert set(all_lines(corpus)) == set(EN) | {"The moon is up tonight"}
    assert corpus.report.details["symbol_only_lines"] == 4
    assert any("half_emoji.txt" in note for note in corpus.report.details["notes"])
    assert corpus.report.files_seen == 5


def test_one_enormous_line_is_split_at_word_boundaries(tmp_path, monkeypatch):
    monkeypatch.setattr(text_corpus, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(text_corpus, "MAX_LINE_CHARS", 5000)
    vocab_words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "theta"]
    words = [vocab_words[i % 7] + str(i) for i in range(40_000)]
    write(tmp_path / "big" / "one_line.txt", " ".join(words).encode())
    corpus = import_text_folder(tmp_path / "big", {"max_len": 48, **NO_HELDOUT})
    lines = all_lines(corpus)
    allowed = set(words)
    assert len(lines) > 1000
    assert all(len(line) <= 48 for line in lines)
    assert all(w in allowed for line in lines for w in line.split())
    assert " ".join(lines).split() == words
    assert corpus.data.shape[1] == 50


def test_line_cap_streams_and_notes(tmp_path, monkeypatch):
    monkeypatch.setattr(text_corpus, "CHUNK_BYTES", 1000)
    lines = [f"line number {i} of a long file" for i in range(20_000)]
    write(tmp_path / "huge" / "a.txt", "\n".join(lines).encode())
    write(tmp_path / "huge" / "b.txt", b"never read\n")
    seen, chunks = [], []
    real_chunks = text_corpus.decoded_chunks
    monkeypatch.setattr(text_corpus, "decoded_chunks", lambda *a: (chunks.append(c) or c for c in real_chunks(*a)))
    corpus = import_text_folder(tmp_path / "huge", {"max_lines": 300, **NO_HELDOUT}, progress=lambda d, t, f: seen.append((d, t)))
    assert corpus.data.shape[0] == 300
    assert corpus.report.details["capped"]
    assert any("max_lines" in n for n in corpus.report.details["notes"])
    assert any("cap" in s.reason and s.path.endswith("b.txt") for s in corpus.report.skipped)
    assert seen[-1][0] == seen[-1][1]
    assert all(d <= t for d, t in seen)
    assert sum(map(len, chunks)) < 20_000  # stopped early: far less than the ~600 kB file was read


def test_chunk_boundaries_keep_crlf_and_multibyte_characters(tmp_path, monkeypatch):
    monkeypatch.setattr(text_corpus, "CHUNK_BYTES", 5)
    text = "\r\n".join(ZH_S + ["", "第二段的诗句"]) + "\r\n"
    write(tmp_path / "c" / "zh.txt", text.encode("utf-8"))
    corpus = import_text_folder(tmp_path / "c", {"unit": "stanza", **NO_HELDOUT})
    assert sorted(all_lines(corpus)) == sorted(["\n".join(ZH_S), "第二段的诗句"])


def test_lrc_and_markdown_are_cleaned(tmp_path):
    lrc = "[ar:Some Singer]\n[ti:A Song]\n[offset:500]\n[00:12.34]Moonlight on the water\n[00:15.00][01:15.00]Hold me <00:16.10>close tonight\n"
    write(tmp_path / "m" / "song.lrc", lrc.encode())
    md = "# Title Here\n\n```python\nprint('code')\n```\n- a **bold** line with a [link](http://x.y)\n---\n> quoted verse line\n"
    write(tmp_path / "m" / "notes.md", md.encode())
    corpus = import_text_folder(tmp_path / "m", NO_HELDOUT)
    lines = set(all_lines(corpus))
    assert lines == {
        "Moonlight on the water",
        "Hold me close tonight",
        "Title Here",
        "a bold line with a link",
        "quoted verse line",
    }


def test_units_stanza_and_window(tmp_path):
    text = "one two three\nfour five six\n\nseven eight nine\nten eleven twelve\n"
    write(tmp_path / "u" / "p.txt", text.encode())
    stanzas = import_text_folder(tmp_path / "u", {"unit": "stanza", **NO_HELDOUT})
    assert sorted(all_lines(stanzas)) == ["one two three\nfour five six", "seven eight nine\nten eleven twelve"]
    windows = import_text_folder(tmp_path / "u", {"unit": "window", "max_len": 20, **NO_HELDOUT})
    got = all_lines(windows)
    assert all(len(w) <= 20 for w in got)
    assert " ".join(got).split() == text.split()


def test_tensor_meta_heldout_and_cache(tmp_path):
    lines = [f"the dog number {i} barks at the {j}" for i in range(10) for j in ("noon", "dusk", "dawn", "night", "moon")]
    write(tmp_path / "t" / "a.txt", "\n".join(lines).encode())
    corpus = import_text_folder(tmp_path / "t", {"heldout": 0.1})
    data, meta = corpus.data, corpus.meta
    assert len(meta["heldout"]) == 5
    assert data.shape == (45, 66) and str(data.dtype) == "torch.int16"
    assert (data[:, 0] == BOS).all() and ((data == EOS).sum(dim=1) == 1).all()
    assert sorted(corpus_lines(corpus) + meta["heldout"]) == sorted(lines)
    json.dumps(meta)
    details = corpus.report.details
    assert details["language"] == "English" and details["vocab_size"] == len(meta["vocab"])
    assert set(details["reference"]) >= {"bleu2", "self_bleu2", "copied"}
    assert details["reference"]["copied"] == 0.0
    assert DOMAIN.reference_metrics(corpus) == details["reference"]
    again = import_text_folder(tmp_path / "t", {"heldout": 0.1})
    assert again.report.from_cache and (again.data == data).all() and again.meta == meta
    assert not import_text_folder(tmp_path / "t", {"heldout": 0.2}).report.from_cache


def test_rare_characters_become_unk(tmp_path):
    write(tmp_path / "r" / "a.txt", "abc abc\nabc cab\nzq abc\n".encode())
    corpus = import_text_folder(tmp_path / "r", {"min_count": 2, "heldout": 0.0})
    assert "z" not in corpus.meta["vocab"] and "q" not in corpus.meta["vocab"] and "a" in corpus.meta["vocab"]
    assert int((corpus.data == UNK).sum()) == 2
    assert corpus.report.details["unk_rate"] > 0


def test_language_guess_for_chinese_and_missing_folder(tmp_path):
    write(tmp_path / "zh" / "a.txt", "\n".join(ZH_S * 2 + ZH_T).encode())
    chinese = import_text_folder(tmp_path / "zh", NO_HELDOUT)
    assert chinese.report.details["language"] == "Chinese"
    assert "lexicon" not in chinese.meta  # no spaces, no words to spell: decoding is left free
    with pytest.raises(NotADirectoryError, match="nowhere"):  # as in every medium (core/folder_import.py)
        import_text_folder(tmp_path / "nowhere", NO_HELDOUT)


def test_cancel_raises(tmp_path):
    write(tmp_path / "x" / "a.txt", "\n".join(EN).encode())
    with pytest.raises(ImportCancelled):
        import_text_folder(tmp_path / "x", NO_HELDOUT, cancel=lambda: True)


def test_split_to_fit_prefers_spaces_then_punctuation():
    assert split_to_fit("aaa bbb ccc ddd", 8) == ["aaa bbb", "ccc ddd"]
    assert split_to_fit("一二三四五，六七八九十。", 7) == ["一二三四五，", "六七八九十。"]
    assert split_to_fit("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_demo_folder_imports(tmp_path):
    folder = DOMAIN.demo_corpus_folder(tmp_path / "demo")
    assert folder == DOMAIN.demo_corpus_folder(tmp_path / "demo")
    corpus = DOMAIN.import_folder(folder, DOMAIN.presets["cpu-small"].import_options)
    assert corpus.report.details["lines"] >= 5000
    assert corpus.report.skipped == []
    assert set(corpus.report.details["scripts"]) == {"Latin", "Han"}
