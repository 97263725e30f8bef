"""Files read and written safely: sizes checked before a read, atomic writes that a crash or a full disk never
leaves half-written under the real name."""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Callable

_TEMPORARY = re.compile(r"^\..+\.(\d+)-\d+\.tmp$")


def checked_size(path: Path, limit: int, error: type[Exception] = ValueError) -> int:
    """The file's size, checked before anything is read, so a huge or empty file is refused at once rather
    than filling memory or failing deep in a parser: ``error`` with the reason (not the path: callers name
    the file as their reports do) when it is empty, too large (the limit in the message) or unreadable."""
    try:
        size = path.stat().st_size
    except OSError as err:
        raise error(f"cannot be read ({err.strerror or err})") from None
    if size > limit:
        raise error(f"too large: {size / 2**20:.0f} MB, the limit is {limit / 2**20:.0f} MB")
    if size == 0:
        raise error("the file is empty")
    return size


def write_atomically(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Calls ``write(temp_path)`` beside ``path``, then moves the result into place.

    The temporary name is unique per process and thread, so concurrent
    writers (torchrun ranks, a UI export beside training) never collide; on
    any failure it is removed and the old file at ``path`` is left as it was.
    The data reaches the disk before the rename, and the rename before the
    function returns, so a power cut leaves the old file or the new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        write(tmp)
        fd = os.open(tmp, os.O_RDWR)
        try:
            os.fsync(fd)  # a full disk can first say so here, while the old file is still in place
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)
    return path


def write_text_atomically(path: str | Path, text: str) -> Path:
    return write_atomically(path, lambda tmp: tmp.write_text(text, "utf-8"))


def remove_stray_temporaries(folder: str | Path) -> list[Path]:
    """Deletes the temporary files of :func:`write_atomically` left in ``folder`` by processes that died.

    A SIGKILL or power cut mid-write leaves one; a temporary of a process still
    running (another rank, the window beside the command line) is left alone.
    """
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for path in entries:
        m = _TEMPORARY.match(path.name)
        if m and not _alive(int(m.group(1))):
            try:
                path.unlink()
                removed.append(path)
            except OSError:
                continue
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":
        return True  # Windows' os.kill would end the process rather than ask about it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError):
        return True  # someone else's process, or no way to ask: assume it is writing
    return True


def _sync_folder(path: Path) -> None:
    """Makes a rename durable where the system allows it (Windows cannot open folders)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
