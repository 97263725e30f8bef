"""The one folder-import routine: walking, reading, report, cache, progress, cancel, and a missing folder."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch

from studio.core.domain import ImportCancelled
from studio.core.folder_import import FileProblem, FolderRecipe, import_with


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_STUDIO_CACHE", str(tmp_path / "cache"))


def numbers_folder(root: Path) -> Path:
    """Files of one number each, with the clutter real folders hold."""
    for rel, text in {"b.num": "2", "a.num": "1", "sub/c.num": "3", "bad.num": "three", "notes.txt": "hello",
                      "photo.heic": "x", ".hidden.num": "9", "Thumbs.db": "x", ".git/d.num": "4",
                      "__MACOSX/e.num": "5"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def read_number(path: Path, reading) -> int:
    try:
        return int(path.read_text())
    except ValueError:
        raise FileProblem("not a number") from None


def stack(items, report, listing):
    report.imported += [str(path) for path, _ in items]
    report.details = {"passed_over": listing.passed_over, "ignored": listing.ignored}
    return torch.tensor([value for _, value in items], dtype=torch.int16), {"count": len(items)}


def recipe(**changes) -> FolderRecipe:
    fields = dict(domain="numbers", suffixes=frozenset({".num"}), key={"version": 1}, read=read_number,
                  assemble=stack, other_reason=lambda p: "photos are not numbers" if p.suffix == ".heic" else None)
    return FolderRecipe(**{**fields, **changes})


def test_a_folder_becomes_one_tensor_and_a_report(tmp_path):
    folder = numbers_folder(tmp_path / "data")
    seen = []
    corpus = import_with(folder, recipe(), progress=lambda done, total, path: seen.append((done, total)))
    assert corpus.data.tolist() == [1, 2, 3]  # sorted folder by folder; the bad file left out
    report = corpus.report
    assert [Path(p).name for p in report.imported] == ["a.num", "b.num", "c.num"] and report.items == 3
    assert {Path(s.path).name: s.reason for s in report.skipped} == {"photo.heic": "photos are not numbers",
                                                                     "bad.num": "not a number"}
    assert report.files_seen == 5 and report.details == {"passed_over": 1, "ignored": 4}
    assert seen[-1] == (5, 5) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    again = import_with(folder, recipe())
    assert again.report.from_cache and again.data.tolist() == [1, 2, 3]
    assert not import_with(folder, recipe(key={"version": 2})).report.from_cache


def test_a_reader_that_crashes_costs_one_line_and_threads_keep_the_order(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(12):
        (folder / f"{i:02d}.num").write_text(str(i))
    names = set()

    def fragile(path, reading):
        names.add(threading.current_thread().name)
        if path.name == "05.num":
            raise KeyError("a bug in the reader")
        return read_number(path, reading)

    corpus = import_with(folder, recipe(read=fragile, threads=3), use_cache=False)
    assert corpus.data.tolist() == [i for i in range(12) if i != 5]
    assert corpus.report.skipped[0].reason == "could not be read (KeyError: 'a bug in the reader')"
    assert any(name.startswith("numbers-import") for name in names)


def test_stop_leaves_the_rest_out_with_the_reason_and_cancel_caches_nothing(tmp_path):
    folder = numbers_folder(tmp_path / "data")

    def first_only(path, reading):
        reading.stop("not read: one is enough")
        return read_number(path, reading)

    corpus = import_with(folder, recipe(read=first_only))
    assert corpus.data.tolist() == [1]
    assert [s.reason for s in corpus.report.skipped][-3:] == ["not read: one is enough"] * 3
    with pytest.raises(ImportCancelled):
        import_with(folder, recipe(key={"version": 3}), cancel=lambda: True)
    assert not import_with(folder, recipe(key={"version": 3})).report.from_cache


def test_a_missing_folder_is_the_same_clear_error_in_every_medium(tmp_path):
    from studio.domains import domain_names, get_domain

    missing = tmp_path / "moved away"
    for name in domain_names():
        domain = get_domain(name)
        options = domain.presets[domain.default_preset("cpu")].import_options
        with pytest.raises(NotADirectoryError, match="moved away"):
            domain.import_folder(missing, options)
    with pytest.raises(NotADirectoryError, match="not a folder"):
        import_with(numbers_folder(tmp_path / "data") / "a.num", recipe())
