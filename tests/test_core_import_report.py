"""The import summary line: files skipped and sections of imported files left out are told apart."""
from studio.core.domain import ImportReport


def test_sections_of_imported_files_are_not_counted_as_skipped_files():
    report = ImportReport(folder="tunes", files_seen=3, imported=["tunes/a.mid", "tunes/b.mid"], items=7)
    report.skip("tunes/a.mid", "bars 4-5 in 1/8: too short for a phrase")
    report.skip("tunes/a.mid", "bars 9-9 in 3/8: too short for a phrase")
    report.skip("tunes/c.mid", "no notes")
    assert report.parts_left_out() == 2
    assert report.summary() == ("2 of 3 files imported, 7 training items, 1 skipped, "
                                "2 sections of imported files left out")


def test_a_report_without_sections_reads_as_before():
    report = ImportReport(folder="f", files_seen=2, imported=["f/a.png"], items=1, from_cache=True)
    report.skip("f/b.png", "not an image")
    assert report.summary() == "1 of 2 files imported, 1 training items, 1 skipped (from cache)"
