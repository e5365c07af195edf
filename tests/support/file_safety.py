"""Helpers of the file-safety tests: a small ICP workbook, the CLI in a subprocess
(optionally as a normal user without root's privileges), zip surgery."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import openpyxl

from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.hosts.file.book import FileBook

REPO = Path(__file__).resolve().parents[1]
NOBODY = 65534


def make_workbook(path: Path, accounts: int = 200, seed: int = 8) -> Path:
    """A scored ICP workbook with ``accounts`` sample accounts at ``path``."""
    from icp_xl.workbook.actions import rescore

    book = FileBook.new(make_sample_accounts(accounts, seed=seed), status=lambda m: None)
    rescore(book)
    return book.save(path)


def cli(
    args: Sequence[str],
    *,
    as_user: bool = False,
    preexec: Callable[[], None] | None = None,
    **popen: object,
) -> subprocess.CompletedProcess[str]:
    """Run ``icp-xl args`` in a new process; ``as_user``: as a normal user (see
    :func:`normal_user_prefix`)."""
    prefix = normal_user_prefix() if as_user else []
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [*prefix, sys.executable, "-m", "icp_xl", *args],
        capture_output=True,
        text=True,
        env=env,
        preexec_fn=preexec,
        timeout=300,
        **popen,
    )


@cache
def normal_user_prefix() -> tuple[str, ...]:
    """The command prefix that runs a process without root's privileges: as user
    ``nobody`` when it can run this Python and package, else as root with every
    capability dropped (so the kernel checks file permissions as for any owner). Empty
    when the tests do not run as root."""
    if os.geteuid() != 0:
        return ()
    as_nobody = ("setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups")
    probe = subprocess.run(
        [*as_nobody, sys.executable, "-c", "import icp_xl.cli"],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    if probe.returncode == 0:
        return as_nobody
    return ("setpriv", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--")


def user_folder() -> Path:
    """A fresh folder the normal user of :func:`normal_user_prefix` can write in; its
    files must be made with :func:`give_to_user`."""
    folder = Path(tempfile.mkdtemp(prefix="icp-xl-safety-", dir="/tmp"))
    give_to_user(folder)
    return folder


def give_to_user(path: Path) -> None:
    """Make the normal user the owner of ``path`` (when that user is ``nobody``)."""
    if normal_user_prefix()[:2] == ("setpriv", f"--reuid={NOBODY}"):
        os.chown(path, NOBODY, NOBODY)


def remove_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def rewrite_part(path: Path, part: str, change: Callable[[bytes], bytes]) -> None:
    """Replace one part of the zip package at ``path`` by ``change(old bytes)``."""
    with zipfile.ZipFile(path) as package:
        parts = [(info, package.read(info.filename)) for info in package.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for info, data in parts:
            package.writestr(info, change(data) if info.filename == part else data)


def sheet_part(path: Path, sheet: str) -> str:
    """The package part (``xl/worksheets/sheetN.xml``) of ``sheet``."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        index = book.sheetnames.index(sheet)
    finally:
        book.close()
    return f"xl/worksheets/sheet{index + 1}.xml"


def temp_files(folder: Path) -> list[str]:
    """Names of icp-xl temporary files in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".icp-xl-tmp-"))


def add_far_cell(path: Path, sheet: str, ref: str = "XFD1048576", text: str = "note") -> None:
    """Put ``text`` in cell ``ref`` of ``sheet`` (a note in the last cell of the sheet, as
    a user may leave one), below every other row, by zip surgery (the rest unchanged)."""
    row = "".join(ch for ch in ref if ch.isdigit())
    cell = f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c></row>'

    def change(data: bytes) -> bytes:
        if b"</sheetData>" in data:
            return data.replace(b"</sheetData>", cell.encode() + b"</sheetData>", 1)
        return data.replace(b"<sheetData/>", f"<sheetData>{cell}</sheetData>".encode(), 1)

    rewrite_part(path, sheet_part(path, sheet), change)
