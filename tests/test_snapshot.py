"""The private copy a workbook is read from: on disk, not in memory; every read comes from
it, whatever happens to the file meanwhile; removed when done; held in memory where no
temporary file can be written."""

from __future__ import annotations

import gc
import tempfile
from pathlib import Path

import pytest

from icp_xl.files.atomic import file_stamp
from icp_xl.files.snapshot import Snapshot
from icp_xl.hosts.file.book import FileBook
from icp_xl.workbook import layout
from icp_xl.workbook.actions import rescore

TEMPLATE_ACCOUNTS = (60, 11)  # the shared template and workbook fixtures' accounts


@pytest.fixture
def private_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary folder of the test's own, where the copies are made."""
    folder = tmp_path / "temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_the_copy_is_a_file_with_the_same_bytes_and_goes_when_collected(workbook, private_temp):
    snapshot = Snapshot.take(workbook)
    assert isinstance(snapshot.copy, Path) and snapshot.copy.parent == private_temp
    assert snapshot.copy.read_bytes() == workbook.read_bytes()
    assert snapshot.stamp == file_stamp(workbook)
    del snapshot
    gc.collect()
    assert list(private_temp.iterdir()) == []


def test_a_book_reads_from_its_copy_while_the_file_changes(workbook, private_temp):
    book = FileBook.open(workbook)
    workbook.write_bytes(b"replaced by a sync client")  # not a workbook any more
    frame = book.read_table(layout.ACCOUNTS_TABLE.name)
    assert len(frame) == 60
    assert len(list(private_temp.iterdir())) == 1


def test_saving_moves_to_a_copy_of_the_saved_file_and_drops_the_old_one(workbook, private_temp):
    book = FileBook.open(workbook)
    first = book._snapshot.copy
    rescore(book)
    book.save()
    assert not first.exists()
    assert [p.name for p in private_temp.iterdir()] == [book._snapshot.copy.name]
    assert book._snapshot.copy.read_bytes() == workbook.read_bytes()
    del book
    gc.collect()
    assert list(private_temp.iterdir()) == []


def test_without_room_for_a_temporary_file_the_copy_is_held_in_memory(
    workbook, tmp_path, monkeypatch
):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no such folder"))
    snapshot = Snapshot.take(workbook)
    assert snapshot.copy == workbook.read_bytes()
    book = FileBook.open(workbook)
    rescore(book)
    monkeypatch.undo()  # saving needs a scratch folder of its own
    book.save()
    assert len(FileBook.open(workbook).read_table(layout.SCORES_TABLE.name)) == 60
