"""``icp-xl doctor`` and the Diagnose button's report, on this Linux machine (Excel does
not apply: N/A) and on macOS/Windows layouts built in a temporary home with the real
``icp-xl addin install``: healthy, a recorded Python that is gone, a missing RunPython
script, an unactivated conda environment, a cloud address, lock files, a missing folder,
and a check that breaks (a FAIL line, never a traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.live import alerts, excel, module_template, own_home  # noqa: F401 (fixtures)

from icp_xl.cli import main
from icp_xl.excel import doctor
from icp_xl.excel import ribbon as live
from icp_xl.excel.addin import runs
from icp_xl.excel.addin.install import MAC_SCRIPTS, install_addin
from icp_xl.excel.doctor import Machine, diagnose, report


def by_topic(findings: list[doctor.Finding]) -> dict[str, list[tuple[str, str]]]:
    topics: dict[str, list[tuple[str, str]]] = {}
    for finding in findings:
        topics.setdefault(finding.topic, []).append((finding.status, finding.detail))
    return topics


def test_healthy_linux_reports_ok_and_says_excel_does_not_apply(
    workbook: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["doctor", str(workbook)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("OK    Python: 3.") and sys.executable in lines[0]
    assert lines[1].startswith("OK    Packages: icp_xl ") and "xlwings 0.37" in lines[1]
    assert lines[2].startswith("N/A   Add-in: Excel does not run on Linux")
    assert f"OK    Folder: {workbook.parent} takes new files" in lines
    assert lines[-1] == "Everything checked is fine."
    assert all(line.split()[0] in {"OK", "WARN", "FAIL", "N/A"} for line in lines[:-1])


def test_healthy_macos_install_checks_addin_python_and_runpython_script(home: Path) -> None:
    install_addin("darwin", {}, home=home, interpreter=sys.executable)
    found = by_topic(diagnose(None, Machine(platform="darwin", env={}, home=home)))
    assert found["Add-in"][0][0] == "OK" and "built for xlwings" in found["Add-in"][0][1]
    assert found["Recorded Python"] == [("OK", sys.executable)]
    assert found["RunPython script"][0][0] == "OK"


def test_broken_macos_install_names_the_missing_python_and_script(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gone = str(home / "old-venv" / "bin" / "python")
    install_addin("darwin", {}, home=home, interpreter=gone)
    for script in (home / MAC_SCRIPTS).iterdir():
        script.unlink()
    findings = diagnose(None, Machine(platform="darwin", env={}, home=home))
    found = by_topic(findings)
    assert found["Recorded Python"] == [
        (
            "FAIL",
            f"{gone} does not exist (the environment was moved or deleted), so every button "
            "and formula fails; run 'icp-xl addin install' (with Excel closed) from the "
            "environment you use now",
        )
    ]
    assert found["RunPython script"][0][0] == "FAIL"
    assert report(findings).endswith("2 problem(s) to fix, 0 warning(s).")


def test_windows_conda_environment_not_activated_by_the_addin_fails(tmp_path: Path) -> None:
    env_folder = tmp_path / "Anaconda3" / "envs" / "icp"
    (env_folder / "conda-meta").mkdir(parents=True)
    python = r"C:\Anaconda3\envs\icp\python.exe"
    env = {"APPDATA": str(tmp_path / "appdata"), "USERPROFILE": str(tmp_path)}
    install_addin("win32", env, tmp_path, python)  # recorded without Conda Path/Env
    machine = Machine(platform="win32", env=env, home=tmp_path, executable=python,
                      prefix=str(env_folder))  # fmt: skip
    (status, detail), *_ = by_topic(diagnose(None, machine))["Recorded Python"][1:]
    assert status == "FAIL" and "numpy fails with 'DLL load failed'" in detail
    (env_folder.parent.parent / "condabin").mkdir()
    install_addin("win32", env, tmp_path, python, prefix=env_folder)  # what the FAIL says
    assert by_topic(diagnose(None, machine))["Recorded Python"] == [
        ("OK", f"conda environment icp of {env_folder.parent.parent}, activated by Excel "
         "before Python starts")
    ]  # fmt: skip


def test_cloud_address_and_lock_files_are_warnings_with_what_to_do(workbook: Path) -> None:
    (cloud,) = by_topic(diagnose("https://contoso-my.sharepoint.com/personal/me/ICP.xlsx"))[
        "Workbook"
    ]
    assert cloud[0] == "WARN" and "web address (OneDrive/SharePoint with AutoSave)" in cloud[1]
    (workbook.parent / f"~${workbook.name}").write_text("owner", encoding="utf-8")
    lock = runs.acquire_run(str(workbook), "optimize", "Optimize", pid=os.getpid())
    try:
        found = by_topic(diagnose(str(workbook)))
    finally:
        lock.release()
    assert found["Workbook"][0][0] == "WARN" and "lock file ~$ICP.xlsx" in found["Workbook"][0][1]
    assert found["Run lock"][0][0] == "WARN"
    assert f"ICP is running optimize on it (process {os.getpid()}" in found["Run lock"][0][1]
    # from Excel's Diagnose button the workbook is open there: its lock file is expected
    assert "Workbook" not in by_topic(diagnose(str(workbook), in_excel=True))


def test_a_missing_folder_fails_and_the_cli_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "gone" / "ICP.xlsx"
    assert main(["doctor", str(missing)]) == 1
    out = capsys.readouterr().out
    assert f"FAIL  Workbook: {missing} does not exist" in out
    assert f"FAIL  Folder: {missing.parent} does not exist (moved, renamed or offline)" in out
    assert "Traceback" not in out


def test_a_folder_that_takes_no_new_files_fails_with_what_to_do(tmp_path: Path) -> None:
    """A folder that refuses new files, as Controlled Folder Access makes Documents for
    Python: read-only for a normal user, immutable (``chattr +i``) for root."""
    folder = tmp_path / "locked"
    folder.mkdir()
    root = os.geteuid() == 0
    if root and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
        pytest.skip("this file system cannot make a folder immutable")
    if not root:
        folder.chmod(0o555)
    try:
        (found,) = by_topic(diagnose(str(folder / "ICP.xlsx")))["Folder"]
    finally:
        if root:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)
    assert found[0] == "FAIL" and f"cannot create a file in {folder}" in found[1]
    assert "Controlled Folder Access" in found[1]


def test_windows_policies_that_stop_excel_starting_python_are_named(tmp_path: Path) -> None:
    """The registry values as Microsoft documents them (read through ``winreg`` on
    Windows; a dictionary here)."""
    values = {
        ("HKCU", r"Software\Policies\Microsoft\Windows\System", "DisableCMD"): 2,
        ("HKLM", doctor._ASR_KEY, doctor.ASR_OFFICE_CHILD): "1",
    }

    def read(hive: str, key: str, value: str) -> object:
        return values.get((hive, key, value))

    machine = Machine(platform="win32", env={"APPDATA": str(tmp_path)}, home=tmp_path,
                      registry=read)  # fmt: skip
    found = by_topic(diagnose(None, machine))["Company policy"]
    assert [status for status, _ in found] == ["FAIL", "FAIL"]
    assert "command prompt is switched off" in found[0][1]
    assert "Block all Office applications from creating child processes" in found[1][1]
    values.clear()
    assert "Company policy" not in by_topic(diagnose(None, machine))


def test_an_addin_marked_as_downloaded_is_named_with_the_fix(tmp_path: Path) -> None:
    """NTFS keeps the mark in the stream ``ICP.xlam:Zone.Identifier``, opened by that name;
    on Linux a file of that name stands in for it."""
    env = {"APPDATA": str(tmp_path / "appdata"), "USERPROFILE": str(tmp_path)}
    path = install_addin("win32", env, tmp_path, r"C:\p\python.exe").path
    machine = Machine(platform="win32", env=env, home=tmp_path)
    assert by_topic(diagnose(None, machine))["Add-in"][0][0] == "OK"
    Path(f"{path}:Zone.Identifier").write_text("[ZoneTransfer]\r\nZoneId=3\r\n")
    (_, (status, detail)) = by_topic(diagnose(None, machine))["Add-in"]
    assert status == "FAIL" and "marked as coming from the internet" in detail
    assert f"Unblock-File '{path}'" in detail


def test_a_check_that_breaks_is_a_fail_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken() -> doctor.Finding:
        raise RuntimeError("registry unreadable")

    monkeypatch.setattr(doctor, "_packages", broken)
    found = by_topic(diagnose())
    assert found["Packages"] == [
        ("FAIL", "could not be checked (RuntimeError: registry unreadable)")
    ]


def test_diagnose_button_shows_the_same_report_in_excel(workbook: Path) -> None:
    with excel(workbook) as book:
        assert live.run_action("diagnose") is True
        (alert,) = alerts(book)
    expected = report(diagnose(str(workbook.resolve()), in_excel=True))
    assert alert["prompt"] == (
        "ICP setup check ('icp-xl doctor' in a terminal prints the same):\n\n" + expected
    )
