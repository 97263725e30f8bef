"""Another tab's offered file is written into a folder of its own, and a missing or failing offer says why."""
from pathlib import Path

from studio.ui.offered_files import OfferedFiles


def test_an_offer_is_written_into_one_folder_that_goes_with_its_owner():
    offered = OfferedFiles()
    said: list[str] = []
    first = offered.take("the clip", lambda folder: _write(folder / "a.mid"), said.append)
    second = offered.take("the clip", lambda folder: _write(folder / "b.mid"), said.append)
    assert said == []
    assert first.read_bytes() == b"MThd" and first.parent == second.parent
    folder = first.parent
    del offered
    assert not folder.exists()


def test_a_missing_or_failing_offer_names_itself():
    offered = OfferedFiles()
    said: list[str] = []
    assert offered.take("the clip", lambda folder: None, said.append) is None

    def broken(folder: Path) -> Path:
        raise OSError("disk full")

    assert offered.take("the clip", broken, said.append) is None
    assert said == ["There is no the clip now", "Could not take the clip: disk full"]


def _write(path: Path) -> Path:
    path.write_bytes(b"MThd")
    return path
