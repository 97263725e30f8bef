"""Atomic file writes: a crash or a full disk never leaves a half-written file under the real name."""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Callable


def write_atomically(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Calls ``write(temp_path)`` beside ``path``, then moves the result into place.

    The temporary name is unique per process and thread, so concurrent
    writers (torchrun ranks, a UI export beside training) never collide; on
    any failure it is removed and the old file at ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text_atomically(path: str | Path, text: str) -> Path:
    return write_atomically(path, lambda tmp: tmp.write_text(text, "utf-8"))
