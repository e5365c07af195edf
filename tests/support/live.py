"""Excel with the ICP add-in, for the ribbon tests: the openpyxl-backed xlwings engine
with an ICP workbook open, active and RunPython's caller (xlwings passes the active
workbook's name, ``--wb=<ActiveWorkbook.Name>``), plus the fixtures
the live tests share (a fast ICP workbook, a home and log folder of the test's own)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import xlwings as xw

from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.excel import ribbon as live
from icp_xl.hosts.file.book import FileBook
from icp_xl.hosts.file.new_workbook import new_workbook
from support.openpyxl_engine import active_engine


def fast_workbook(path: Path) -> Path:
    """Write a scored ICP workbook of 300 sample accounts whose optimizer runs 8 trials."""
    new_workbook(path, make_sample_accounts(300, seed=7))
    book = FileBook.open(path)
    book.set_name("Optimizer_Trials", 8)
    book.save()
    return path


def own_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A home folder (``~/.icp_xl`` for run locks and stop files) and a log folder of the
    test's own; returns ``(home, logs)``."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    logs = tmp_path / "logs"
    monkeypatch.setenv(live.LOG_FOLDER_ENV, str(logs))
    return home, logs


@contextmanager
def excel(path: Path) -> Iterator[Any]:
    """Excel with the ICP add-in and ``path`` open, active and the caller (the workbook
    the button was clicked in)."""
    with active_engine():
        xw.Book()  # the add-in's place in Excel's list; never the caller
        book = xw.Book(path)
        book.impl.activate()
        book.set_mock_caller()
        yield book


def answers(*paths: Path) -> live.ChooseFile:
    """A ``choose_file`` that answers each dialog with the next path, recording requests."""
    queue = list(paths)
    asked: list[live.FileRequest] = []

    def choose(app: Any, request: live.FileRequest) -> Path | None:
        asked.append(request)
        return queue.pop(0) if queue else None

    choose.asked = asked  # type: ignore[attr-defined]
    return choose


def alerts(book: Any) -> list[dict[str, Any]]:
    """The message boxes Excel showed, in order."""
    return book.app.impl.alerts


@pytest.fixture(name="template", scope="module")
def module_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test module's scored ICP workbook (``workbook`` copies it): import this
    fixture into a test module to use it."""
    return fast_workbook(tmp_path_factory.mktemp("template") / "ICP.xlsx")


@pytest.fixture(name="home", autouse=True)
def own_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test of a module that imports this fixture gets :func:`own_folders`; the
    fixture's value is the home folder."""
    return own_folders(tmp_path, monkeypatch)[0]
