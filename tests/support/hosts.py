"""The two hosts an action runs on, as context managers the tests share: the file host
(``FileBook``, saved on exit) and live Excel through the openpyxl-backed xlwings engine
(``XlwingsBook``, the workbook saved on exit)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import xlwings as xw

from icp_xl.hosts.file.book import FileBook
from icp_xl.hosts.file.structure import exact_float_writes
from icp_xl.hosts.xlwings_book import XlwingsBook
from icp_xl.workbook.book import Book
from support.openpyxl_engine import active_engine


@contextmanager
def file_host(path: Path) -> Iterator[Book]:
    """The workbook at ``path`` opened by the file host; saved when the block ends."""
    book = FileBook.open(path, status=lambda message: None)
    yield book
    book.save()


@contextmanager
def live_host(path: Path) -> Iterator[Book]:
    """The workbook at ``path`` open in (stand-in) Excel; saved when the block ends."""
    with active_engine():
        live = xw.Book(path)
        yield XlwingsBook(live)
        with exact_float_writes():  # Excel stores doubles exactly; so must its stand-in
            live.save()
