"""Caches imported corpora so that reopening a folder is instant.

The key is the folder's file list (relative path, size, modification time)
plus the import options, so any change to the folder or the options means a
fresh import.  Entries are safetensors + JSON: loading one never runs code.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable

from studio.core.domain import Corpus, ImportReport
from studio.core.files import write_atomically, write_text_atomically


def cache_root() -> Path:
    """``$GAN_STUDIO_CACHE`` or the system's per-user cache folder; tests point it into tmp_path.

    platformdirs knows each system's place (``$XDG_CACHE_HOME`` or ``~/.cache`` on
    Linux, ``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on Windows), where
    backup tools and disk cleaners expect data that can be rebuilt.
    """
    env = os.environ.get("GAN_STUDIO_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("gan-studio", appauthor=False))


def folder_fingerprint(domain: str, folder: str | Path, files: Iterable[Path], options: dict[str, Any]) -> str:
    """A hash of what would change an import: the files' names, sizes and times, and the options."""
    folder = Path(folder)
    h = hashlib.sha256()
    h.update(domain.encode())
    h.update(json.dumps(options, sort_keys=True, default=str).encode())
    for path in sorted(files):
        try:
            st = path.stat()
        except OSError:
            continue
        h.update(f"{path.relative_to(folder)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()[:32]


def _entry(domain: str, fingerprint: str) -> tuple[Path, Path]:
    base = cache_root() / "corpora" / domain
    return base / f"{fingerprint}.safetensors", base / f"{fingerprint}.json"


def load_cached(domain: str, fingerprint: str) -> Corpus | None:
    """The cached corpus, or None when absent or unreadable (a damaged entry is just re-imported)."""
    from safetensors.torch import load_file

    tensors_path, json_path = _entry(domain, fingerprint)
    if not (tensors_path.exists() and json_path.exists()):
        return None
    try:
        info = json.loads(json_path.read_text("utf-8"))
        data = load_file(str(tensors_path))["data"]
        report = ImportReport.from_dict(info["report"])
    except Exception:
        return None
    report.from_cache = True
    return Corpus(data=data, meta=info["meta"], fingerprint=fingerprint, report=report)


def store(domain: str, corpus: Corpus) -> None:
    """Writes the corpus atomically; a failure (full disk, read-only cache) only costs the next open its speed."""
    from safetensors.torch import save_file

    tensors_path, json_path = _entry(domain, corpus.fingerprint)
    try:
        write_atomically(tensors_path, lambda tmp: save_file({"data": corpus.data.contiguous()}, str(tmp)))
        info = {"meta": corpus.meta, "report": corpus.report.to_dict()}
        write_text_atomically(json_path, json.dumps(info, ensure_ascii=False))
    except OSError:
        tensors_path.unlink(missing_ok=True)
