"""The add-in's sources checks, the installer's folders and the ``icp-xl addin`` commands."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

import icp_xl.cli
from icp_xl.core.errors import IcpError
from icp_xl.excel.addin import RIBBON_ACTIONS, excel_addin_folder, install_addin, load_addin_sources
from icp_xl.excel.addin.sources import ribbon_callbacks, ribbon_on_actions

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
    actions = [callbacks[a.split(".")[0]][a.split(".")[1]] for a in on_actions]
    assert sorted(a for [a] in actions) == sorted(RIBBON_ACTIONS)


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("ribbon.xml", 'onAction="IcpRibbon.OnHelp"', 'onAction="IcpRibbon.OnHlp"', "OnHlp"),
        ("vba/IcpRibbon.bas", "run_action('rescore')", "run_action('rescor')", "rescor"),
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


def test_install_copies_the_addin_on_windows_and_the_runpython_script_on_macos(
    tmp_path: Path,
) -> None:
    source = tmp_path / "ICP.xlam"
    source.write_bytes(b"add-in bytes")
    on_windows = install_addin(source, "win32", {"APPDATA": str(tmp_path / "appdata")})
    assert on_windows.read_bytes() == b"add-in bytes"
    assert on_windows.parent.name == "XLSTART"
    home = tmp_path / "home"
    on_mac = install_addin(source, "darwin", {}, home=home)
    assert on_mac.read_bytes() == b"add-in bytes"
    scripts = list((home / "Library/Application Scripts/com.microsoft.Excel").iterdir())
    assert [p.suffix for p in scripts] == [".applescript"]


def test_install_refuses_elsewhere_and_a_non_addin_source(tmp_path: Path) -> None:
    with pytest.raises(IcpError, match="not available"):
        install_addin(None, "linux", {})
    with pytest.raises(IcpError, match="not an .xlam"):
        install_addin(tmp_path / "missing.xlam", "win32", {"APPDATA": str(tmp_path)})
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
    assert "ribbon tab ICP with 10 actions" in capsys.readouterr().err


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
