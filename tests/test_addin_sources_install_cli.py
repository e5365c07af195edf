"""The add-in's sources checks, the installer's folders and the ``icp-xl addin`` commands."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import xlwings
from pyopenvba import ExcelFile

import icp_xl.cli
from icp_xl.core.errors import IcpError
from icp_xl.excel.addin import excel_addin_folder, install_addin, load_addin_sources
from icp_xl.excel.addin.build import addin_xlwings_version
from icp_xl.excel.addin.install import repair_config_file, user_config_file
from icp_xl.excel.addin.sources import (
    VBA_ONLY_CALLBACKS,
    ribbon_callbacks,
    ribbon_on_actions,
)
from icp_xl.excel.ribbon import HANDLERS

WORKBOOK = Path(__file__).resolve().parents[1] / "workbook"


@pytest.fixture
def sources_copy(tmp_path: Path) -> Path:
    target = tmp_path / "workbook"
    shutil.copytree(WORKBOOK, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_shipped_sources_pair_every_button_with_one_action() -> None:
    sources = load_addin_sources()
    on_actions = ribbon_on_actions(sources.ribbon_xml)
    callbacks = {m.name: ribbon_callbacks(m) for m in sources.modules}
    python = [a for a in on_actions if a.split(".")[1] not in VBA_ONLY_CALLBACKS]
    actions = [callbacks[a.split(".")[0]][a.split(".")[1]] for a in python]
    assert sorted(a for [a] in actions) == sorted(HANDLERS)
    assert len(on_actions) == len(python) + len(VBA_ONLY_CALLBACKS)


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("ribbon.xml", 'onAction="IcpRibbon.OnHelp"', 'onAction="IcpRibbon.OnHlp"', "OnHlp"),
        ("vba/IcpRibbon.bas", 'RunIcpAction "rescore"', 'RunIcpAction "rescor"', "rescor"),
        ("vba/IcpRibbon.bas", 'RunIcpAction "rescore"', 'RunPython "rescore"', "found none"),
        ("ribbon.xml", "</customUI>", "</customUI", "not well-formed"),
        ("vba/IcpRibbon.bas", 'VB_Name = "IcpRibbon"', 'VB_Name = "Other"', "VB_Name"),
        ("ribbon.xml", "2009/07/customui", "2006/01/customui", "customUI element"),
    ],
)
def test_inconsistent_sources_are_refused(
    sources_copy: Path, file: str, old: str, new: str, message: str
) -> None:
    edit(sources_copy / file, old, new)
    with pytest.raises(IcpError, match=message):
        load_addin_sources(sources_copy)


def test_an_action_without_a_button_is_refused(sources_copy: Path) -> None:
    edit(
        sources_copy / "ribbon.xml", 'onAction="IcpRibbon.OnHelp"', 'onAction="IcpRibbon.OnRescore"'
    )
    with pytest.raises(IcpError, match="no button for the action.*help"):
        load_addin_sources(sources_copy)


def test_excel_addin_folder_per_platform(tmp_path: Path) -> None:
    windows = excel_addin_folder("win32", {"APPDATA": str(tmp_path)})
    assert windows == tmp_path / "Microsoft" / "Excel" / "XLSTART"
    mac = excel_addin_folder("darwin", {}, home=tmp_path)
    assert mac.parts[-3:] == ("User Content.localized", "Startup.localized", "Excel")
    assert str(mac).startswith(str(tmp_path / "Library" / "Group Containers"))
    with pytest.raises(IcpError, match="Excel is not available on this OS"):
        excel_addin_folder("linux", {})


def config_sheet_rows(path: Path) -> dict[str, str]:
    """The add-in's ``icp_xl.conf`` rows as xlwings reads them (column A key, B value)."""
    with zipfile.ZipFile(path) as archive:
        strings = re.findall(r"<t[^>]*>([^<]*)</t>", archive.read("xl/sharedStrings.xml").decode())
    return dict(zip(strings[::2], strings[1::2], strict=True))


def test_install_builds_with_this_xlwings_and_records_the_interpreter_on_windows(
    tmp_path: Path,
) -> None:
    env = {"APPDATA": str(tmp_path / "appdata"), "USERPROFILE": str(tmp_path / "me")}
    python = r"C:\Users\me\icp\.venv\Scripts\pythonw.exe"
    done = install_addin("win32", env, home=tmp_path / "me", interpreter=python)
    assert done.path == tmp_path / "appdata" / "Microsoft" / "Excel" / "XLSTART" / "ICP.xlam"
    assert done.interpreter == r"C:\Users\me\icp\.venv\Scripts\python.exe"
    assert (done.xlwings_version, done.replaced_version) == (xlwings.__version__, None)
    assert config_sheet_rows(done.path) == {
        "UDF Modules": "icp_xl.excel.formulas",
        "ADD_WORKBOOK_TO_PYTHONPATH": "False",
        "Interpreter_Win": done.interpreter,
    }
    with ExcelFile(done.path) as book:
        assert addin_xlwings_version(book.get_module("xlwings")) == xlwings.__version__
    again = install_addin("win32", env, home=tmp_path / "me", interpreter=python)
    assert again.replaced_version == xlwings.__version__


def test_install_on_macos_records_the_interpreter_and_copies_the_runpython_script(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    done = install_addin("darwin", {}, home=home, interpreter="/Users/me/icp/.venv/bin/python")
    assert "Startup.localized" in str(done.path)
    assert config_sheet_rows(done.path)["Interpreter_Mac"] == "/Users/me/icp/.venv/bin/python"
    scripts = list((home / "Library/Application Scripts/com.microsoft.Excel").iterdir())
    assert [p.name for p in scripts] == [f"xlwings-{xlwings.__version__}.applescript"]


def test_install_refuses_the_microsoft_store_python(tmp_path: Path) -> None:
    store = r"C:\Users\me\AppData\Local\Microsoft\WindowsApps\python.exe"
    with pytest.raises(IcpError, match="Microsoft Store's Python, which Excel cannot start"):
        install_addin("win32", {"APPDATA": str(tmp_path)}, home=tmp_path, interpreter=store)
    assert list(tmp_path.iterdir()) == []


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Make ``path`` refuse writing, as Windows does while Excel has the file open: read-only
    for a normal user, immutable (``chattr +i``) for root; skips where neither works."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        yield
        path.chmod(0o644)
        return
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("this file system cannot make a file immutable")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX file locking stand-in")
def test_install_says_so_when_excel_holds_the_addin(tmp_path: Path) -> None:
    env = {"APPDATA": str(tmp_path)}
    target = install_addin("win32", env, home=tmp_path, interpreter=r"C:\p\python.exe").path
    before = target.read_bytes()
    with locked(target), pytest.raises(IcpError) as refused:
        install_addin("win32", env, home=tmp_path, interpreter=r"C:\p\python.exe")
    assert str(refused.value) == (
        f"{target} is in use (Excel has it open); close Excel completely and run "
        "'icp-xl addin install' again."
    )
    assert target.read_bytes() == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["ICP.xlam"]


def test_a_user_config_file_with_empty_lines_is_rewritten_without_them(tmp_path: Path) -> None:
    path = user_config_file("win32", {"USERPROFILE": str(tmp_path)}, tmp_path)
    assert path == tmp_path / ".icp_xl" / "icp_xl.conf"
    path.parent.mkdir()
    path.write_bytes(b'"INTERPRETER_WIN","C:\\py\\python.exe"\n\n"SHOW CONSOLE","False"\n\n')
    assert repair_config_file(path) == path
    assert path.read_bytes() == (
        b'"INTERPRETER_WIN","C:\\py\\python.exe"\r\n"SHOW CONSOLE","False"\r\n'
    )
    assert repair_config_file(path) is None  # already fine: left alone
    path.write_text('"INTERPRETER_WIN","C:\\py"\nINTERPRETER_MAC=/usr/bin/python\n')
    with pytest.raises(IcpError, match='line 2 is not "KEY","VALUE"'):
        repair_config_file(path)


def test_install_refuses_elsewhere(tmp_path: Path) -> None:
    with pytest.raises(IcpError, match="not available"):
        install_addin("linux", {}, home=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def cli_with_addin(monkeypatch: pytest.MonkeyPatch):
    """``icp_xl.cli.main`` with the addin command registered (until the lead lists it)."""
    if "icp_xl.cli.addin" not in icp_xl.cli.COMMAND_MODULES:
        monkeypatch.setattr(
            icp_xl.cli, "COMMAND_MODULES", (*icp_xl.cli.COMMAND_MODULES, "icp_xl.cli.addin")
        )
    return icp_xl.cli.main


def test_cli_addin_build_writes_the_addin(cli_with_addin, tmp_path: Path, capsys) -> None:
    out = tmp_path / "ICP.xlam"
    args = ["addin", "build", "-o", str(out), "--udf-modules", "--set", "Interpreter_Mac=/x/py"]
    assert cli_with_addin(args) == 0
    with zipfile.ZipFile(out) as archive:
        assert "customUI/customUI14.xml" in archive.namelist()
        assert b"/x/py" in archive.read("xl/sharedStrings.xml")
    assert f"ribbon tab ICP with {len(HANDLERS)} actions" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["addin", "build", "-o", "{tmp}/nowhere/ICP.xlam"], "does not exist"),
        (["addin", "build", "-o", "{tmp}/ICP.xlam", "--udf-modules", "nope_mod"], "nope_mod"),
        (["addin", "build", "-o", "{tmp}/ICP.xlam", "--set", "Interpreter_Win"], "KEY=VALUE"),
    ],
)
def test_cli_user_errors_exit_1_with_one_line(
    cli_with_addin, tmp_path: Path, capsys, args: list[str], message: str
) -> None:
    assert cli_with_addin([a.format(tmp=tmp_path) for a in args]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="Linux only")
def test_cli_addin_install_says_excel_is_missing_on_linux(cli_with_addin, capsys) -> None:
    assert cli_with_addin(["addin", "install"]) == 1
    assert "Excel is not available on this OS" in capsys.readouterr().err


def test_the_user_guide_is_package_data_so_a_wheel_installs_it() -> None:
    """``pip wheel .`` then a non-editable install was checked by hand (docs/install.md);
    this keeps the declaration that makes it so."""
    import fnmatch
    import tomllib

    from icp_xl.excel.ribbon import user_guide

    config = tomllib.loads((WORKBOOK.parent / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["icp_xl.excel"]
    guide = user_guide()
    assert guide.is_file()
    relative = guide.relative_to(WORKBOOK.parent / "icp_xl" / "excel").as_posix()
    assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns)
