"""The one folder-import routine every medium shares: walk, fingerprint, cache, read, report, progress, cancel.

A medium supplies a :class:`FolderRecipe`: the file types it reads, a reader
for one file and an assembler that turns what the readers gave into one
tensor.  Everything else is here, so every medium treats a folder the same
way: hidden and system entries are passed over, a file of another type is
counted (or listed with a reason where the medium has one), a bad file
becomes one line in the report and never an exception, a folder that is not
there is a ``NotADirectoryError`` naming it, and a folder imported before
with the same files and options comes back from the cache at once.

A medium's ``import_folder`` is then a few lines::

    recipe = FolderRecipe("dance", BVH_SUFFIXES, key={**options, "importer_version": 1},
                          read=read_one_file, assemble=windows_to_tensor)
    return import_with(folder, recipe, progress, cancel)

where ``read_one_file(path, reading)`` returns anything (or raises
:class:`FileProblem` with the reason a person reads) and
``windows_to_tensor(items, report, listing)`` returns ``(data, meta)`` and
appends the paths it used to ``report.imported``.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

from studio.core import corpus_cache
from studio.core.domain import CancelFn, Corpus, ImportCancelled, ImportReport, ProgressFn

if TYPE_CHECKING:
    import torch

SYSTEM_FILE_NAMES = frozenset({"thumbs.db", "ehthumbs.db", "desktop.ini", "icon\r", ".ds_store"})
SYSTEM_SUFFIXES = frozenset({".db", ".ini", ".lnk", ".url", ".xmp", ".aae", ".thm", ".tmp", ".part", ".crdownload"})
SYSTEM_DIR_NAMES = frozenset({"__macosx", "@eadir", "$recycle.bin", "system volume information", "__pycache__"})
"""What operating systems, photo apps and NAS boxes leave in artists' folders: listing them as skipped would
bury the lines that matter, so they are only counted (``Listing.ignored``)."""


class FileProblem(Exception):
    """Raised by a reader for a file it cannot use; the file goes in the report with ``str(exc)`` as the reason."""


@dataclass
class Listing:
    """What a folder holds, as the routine walked it."""

    folder: Path
    files: list[Path]  # the medium's file types, in reading order (sorted folder by folder)
    passed_over: int = 0  # visible files of other types the report does not list
    ignored: int = 0  # hidden and system files and folders
    listed: list[tuple[Path, str]] = field(default_factory=list)  # other files and unreadable folders, with why


class Reading:
    """Handed to a reader with each file: lets a long read check for cancel, or end the import early."""

    def __init__(self, cancel: CancelFn | None):
        self._cancel = cancel
        self.stopped: str | None = None

    def check_cancel(self) -> None:
        """Raises :class:`ImportCancelled` when the user abandoned the import (poll it in long reads)."""
        if self._cancel is not None and self._cancel():
            raise ImportCancelled("import cancelled")

    def stop(self, reason: str) -> None:
        """Reads no further file after this one (a cap was reached): each file left is reported with ``reason``.

        For readers run one at a time (``threads=1``): on threads, files after this one may already be read."""
        self.stopped = reason


Reader = Callable[[Path, Reading], Any]
Assembler = Callable[[list[tuple[Path, Any]], ImportReport, Listing], "tuple[torch.Tensor, dict[str, Any]]"]


@dataclass
class FolderRecipe:
    """What a medium tells the routine."""

    domain: str  # names the cache's folder
    suffixes: frozenset[str]  # the file types read, lower-case with the dot
    key: Mapping[str, Any]  # import options and importer version: any change means a fresh import
    read: Reader  # one file -> its item; FileProblem for a file it cannot use
    assemble: Assembler  # (path, item) pairs in file order -> (data, meta); appends the paths used to report.imported
    other_reason: Callable[[Path], str | None] = lambda path: None  # why a file of another type is listed, or None
    threads: int = 1  # readers that release the GIL (image decoders) run this many at once, results in order


def list_folder(folder: Path, recipe: FolderRecipe) -> Listing:
    """Every visible file under ``folder`` in a stable order, sorted into the recipe's types and the rest."""
    listing = Listing(folder, [])

    def on_error(err: OSError) -> None:
        listing.listed.append((Path(err.filename or folder), f"unreadable folder: {err.strerror or err}"))

    for root, dirs, names in os.walk(folder, onerror=on_error):
        kept = sorted(d for d in dirs if not d.startswith(".") and d.lower() not in SYSTEM_DIR_NAMES)
        listing.ignored += len(dirs) - len(kept)
        dirs[:] = kept
        for name in sorted(names):
            path = Path(root) / name
            if name.startswith(".") or _is_system_file(name):
                listing.ignored += 1
            elif path.suffix.lower() in recipe.suffixes:
                listing.files.append(path)
            elif (reason := recipe.other_reason(path)) is not None:
                listing.listed.append((path, reason))
            else:
                listing.passed_over += 1
    return listing


def _is_system_file(name: str) -> bool:
    lower = name.lower()
    return lower in SYSTEM_FILE_NAMES or Path(lower).suffix in SYSTEM_SUFFIXES or lower.startswith("~$")


def import_with(
    folder: str | Path,
    recipe: FolderRecipe,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    use_cache: bool = True,
) -> Corpus:
    """Imports ``folder`` by ``recipe``; ``progress(files done, files in all, current file)``.

    Raises ``NotADirectoryError`` when ``folder`` is not a folder and :class:`ImportCancelled` on cancel (nothing is
    cached then).  Whatever else goes wrong with a file is a line in the report.
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise NotADirectoryError(f"not a folder: {folder}")
    listing = list_folder(folder, recipe)
    reported = [path for path, _ in listing.listed if path.is_file()]
    total = len(listing.files) + len(reported)
    fingerprint = corpus_cache.folder_fingerprint(recipe.domain, folder, listing.files + reported, dict(recipe.key))
    if use_cache:
        cached = corpus_cache.load_cached(recipe.domain, fingerprint)
        if cached is not None:
            if progress is not None:
                progress(total, total, "")
            return cached

    report = ImportReport(folder=str(folder), files_seen=total)
    for path, reason in listing.listed:
        report.skip(path, reason)
    items: list[tuple[Path, Any]] = []
    reading = Reading(cancel)
    done = len(reported)
    for index, (path, item, reason) in enumerate(_read_in_order(listing.files, recipe, reading)):
        if reason is None:
            items.append((path, item))
        else:
            report.skip(path, reason)
        done += 1
        if progress is not None:
            progress(done, total, str(path))
        if reading.stopped is not None:
            for rest in listing.files[index + 1:]:
                report.skip(rest, reading.stopped)
            break
    if progress is not None:
        progress(total, total, "")

    data, meta = recipe.assemble(items, report, listing)
    report.items = int(data.shape[0])
    corpus = Corpus(data=data, meta=meta, fingerprint=fingerprint, report=report)
    if use_cache:
        corpus_cache.store(recipe.domain, corpus)
    return corpus


def _read_in_order(files: list[Path], recipe: FolderRecipe, reading: Reading) -> Iterator[tuple[Path, Any, str | None]]:
    """(path, item, None) or (path, None, reason) per file, in file order; several at once where the recipe asks."""

    def attempt(path: Path) -> tuple[Path, Any, str | None]:
        try:
            return path, recipe.read(path, reading), None
        except FileProblem as err:
            return path, None, str(err)
        except MemoryError:
            return path, None, "too large to read in the available memory"
        except ImportCancelled:
            raise
        except Exception as err:  # a file no reader foresaw must not end the whole import
            return path, None, f"could not be read ({type(err).__name__}: {err})"

    if recipe.threads <= 1 or len(files) < 4:
        for path in files:
            reading.check_cancel()
            yield attempt(path)
        return
    pool = ThreadPoolExecutor(max_workers=recipe.threads, thread_name_prefix=f"{recipe.domain}-import")
    try:
        for result in pool.map(attempt, files):
            reading.check_cancel()
            yield result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
