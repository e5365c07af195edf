"""One report that checks the add-in's setup and says what to do: ``icp-xl doctor`` prints
it, the ribbon's Diagnose button shows it in a message box (same code, run by the
Python Excel starts).

Each :class:`Finding` is one line: ``OK``, ``WARN`` (works, but something to know or
fix), ``FAIL`` (this breaks the add-in) or ``N/A`` (does not apply on this machine,
e.g. Excel on Linux), the topic, what was found and what to do. A check that cannot
run becomes a FAIL line naming the error; :func:`diagnose` never raises.

What is checked: Python and the packages the add-in imports; the ``ICP.xlam`` in
Excel's start-up folder, the xlwings version it was built for and (Windows) a Mark of
the Web that makes Excel block its macros; the Python it records (exists? conda
without activation? Microsoft Store?); on macOS xlwings' RunPython AppleScript; the user
config file xlwings reads; on Windows the policies that stop Excel starting Python (the
command prompt switched off, Defender's rule against Office child processes); for a
workbook: a cloud address, Excel's and ICP's lock files, write access to its folder;
recent error logs.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Literal

Status = Literal["OK", "WARN", "FAIL", "N/A"]
#: The packages an ICP button or formula imports, in import order.
PACKAGES: tuple[str, ...] = ("icp_xl", "xlwings", "numpy", "pandas", "openpyxl", "optuna")
INSTALL = "'icp-xl addin install' (with Excel closed)"


@dataclass(frozen=True)
class Finding:
    """One line of the report: ``status``, ``topic`` and what was found / what to do."""

    status: Status
    topic: str
    detail: str

    def line(self) -> str:
        return f"{self.status:<5} {self.topic}: {self.detail}"


@dataclass(frozen=True)
class Machine:
    """What the checks look at, this machine by default (tests pass another)."""

    platform: str = sys.platform
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    home: Path = field(default_factory=Path.home)
    executable: str = sys.executable
    base_executable: str | None = getattr(sys, "_base_executable", None)
    base_prefix: str = sys.base_prefix
    prefix: str = sys.prefix
    registry: RegistryReader | None = None
    """Reads a Windows policy value (default on Windows: :func:`windows_registry`)."""


RegistryReader = Callable[[str, str, str], object]
"""``read(hive, key, value)`` -> the value of a Windows registry entry, None when absent;
``hive`` is "HKCU" or "HKLM"."""
#: Microsoft Defender ASR rule "Block all Office applications from creating child processes".
ASR_OFFICE_CHILD = "d4f940ab-401b-4efc-aadc-ad5f3c50688a"
_ASR_KEY = r"SOFTWARE\Policies\Microsoft\Windows Defender\Windows Defender Exploit Guard\ASR\Rules"
_SYSTEM_POLICY_KEY = r"Software\Policies\Microsoft\Windows\System"


def diagnose(
    workbook: str | None = None, machine: Machine | None = None, in_excel: bool = False
) -> list[Finding]:
    """Check the setup and ``workbook`` (a path, or the full name Excel gives: a web
    address for OneDrive/SharePoint with AutoSave) and return the findings in report
    order. ``in_excel``: the report is for the Diagnose button (the workbook is open
    there, so Excel's own lock file is expected)."""
    machine = machine or Machine()
    findings: list[Finding] = []
    checks: list[tuple[str, Callable[[], Sequence[Finding]]]] = [
        ("Python", lambda: [_python(machine)]),
        ("Packages", lambda: [_packages()]),
        ("Add-in", lambda: _addin(machine)),
        ("User config", lambda: _user_config(machine)),
        ("Company policy", lambda: _policies(machine)),
    ]
    if workbook:
        checks.append(("Workbook", lambda: _workbook(workbook, in_excel)))
    checks.append(("Error logs", lambda: [_logs()]))
    for topic, check in checks:
        try:
            findings += check()
        except Exception as error:  # a check that breaks is itself a finding
            findings.append(
                Finding("FAIL", topic, f"could not be checked ({type(error).__name__}: {error})")
            )
    return findings


def report(findings: Sequence[Finding]) -> str:
    """The findings as lines, with a closing line counting problems."""
    fails = sum(f.status == "FAIL" for f in findings)
    warns = sum(f.status == "WARN" for f in findings)
    if fails or warns:
        summary = f"{fails} problem(s) to fix, {warns} warning(s)."
    else:
        summary = "Everything checked is fine."
    return "\n".join([*(f.line() for f in findings), summary])


# ---------------------------------------------------------------- checks


def _python(machine: Machine) -> Finding:
    version = sys.version.split()[0]
    return Finding("OK", "Python", f"{version} ({platform_name(machine.platform)}) at "
                   f"{machine.executable}")  # fmt: skip


def platform_name(platform: str) -> str:
    """Windows / macOS / the OS name."""
    if platform.startswith("win"):
        return "Windows"
    return "macOS" if platform == "darwin" else platform.capitalize()


def _packages() -> Finding:
    found, broken = [], []
    for name in PACKAGES:
        try:
            importlib.import_module(name)
            found.append(f"{name} {metadata.version(name)}")
        except Exception as error:  # e.g. numpy's "DLL load failed" in a conda env
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            broken.append(f"{name} ({first})")
    if broken:
        return Finding(
            "FAIL",
            "Packages",
            f"cannot import {'; '.join(broken)}. In a conda environment run {INSTALL} from "
            "the activated environment; otherwise reinstall with 'pip install --force-"
            "reinstall icp_xl' with Excel closed",
        )
    return Finding("OK", "Packages", ", ".join(found))


def _addin(machine: Machine) -> list[Finding]:
    from icp_xl.core.errors import IcpError
    from icp_xl.excel.addin.install import ADDIN_FILE_NAME, excel_addin_folder

    try:
        folder = excel_addin_folder(machine.platform, machine.env, machine.home)
    except IcpError:
        return [
            Finding(
                "N/A",
                "Add-in",
                f"Excel does not run on {platform_name(machine.platform)}; build the "
                "add-in with 'icp-xl addin build' and install it on Windows or macOS",
            )
        ]
    path = folder / ADDIN_FILE_NAME
    if not path.is_file():
        return [Finding("FAIL", "Add-in", f"{ADDIN_FILE_NAME} is not in {folder}; run {INSTALL}")]
    built_for, rows = read_addin(path)
    findings = [_addin_version(path, built_for)]
    if machine.platform.startswith("win"):
        findings += _mark_of_the_web(path)
    findings += _recorded_python(machine, rows)
    if machine.platform == "darwin":
        findings.append(_runpython_script(machine, built_for))
    return findings


def read_addin(path: Path) -> tuple[str, dict[str, str]]:
    """The xlwings version an ``ICP.xlam`` was built for and its config sheet rows."""
    from pyopenvba import ExcelFile

    from icp_xl.excel.addin.build import addin_xlwings_version
    from icp_xl.excel.addin.package import config_sheet_rows, read_package

    with ExcelFile(path) as book:
        built_for = addin_xlwings_version(book.get_module("xlwings"))
    return built_for, config_sheet_rows(read_package(path.read_bytes()))


def _mark_of_the_web(path: Path) -> list[Finding]:
    """Windows marks a downloaded or e-mailed file with an NTFS stream
    ``<file>:Zone.Identifier`` (``ZoneId=3``: the internet), and Excel then blocks the
    file's macros. A file built by ``icp-xl addin install`` has none."""
    try:
        zone = Path(f"{path}:Zone.Identifier").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    marks = zone.replace(" ", "").casefold()
    if "zoneid=3" not in marks and "zoneid=4" not in marks:  # 3 internet, 4 untrusted
        return []
    return [
        Finding(
            "FAIL",
            "Add-in",
            f"{path.name} is marked as coming from the internet, so Excel blocks its macros "
            f"(no ICP tab, or buttons that do nothing); run {INSTALL}, or in PowerShell "
            f"Unblock-File '{path}'",
        )
    ]


def _addin_version(path: Path, built_for: str) -> Finding:
    from icp_xl.excel.addin.version import version_mismatch

    mismatch = version_mismatch(built_for)
    if mismatch is not None:
        return Finding("FAIL", "Add-in", f"{path}: {mismatch}")
    return Finding(
        "OK",
        "Add-in",
        f"{path}, built for xlwings {built_for}; Excel opens it at start from this "
        "start-up folder (no Trust Center setting needed)",
    )


def _recorded_python(machine: Machine, rows: Mapping[str, str]) -> list[Finding]:
    from icp_xl.excel.addin.interpreter import (
        conda_environment,
        interpreter_exists,
        is_store_python,
    )

    windows = machine.platform.startswith("win")
    key = "Interpreter_Win" if windows else "Interpreter_Mac"
    setting = {k.casefold(): v for k, v in rows.items()}
    recorded = setting.get(key.casefold(), "")
    if windows and setting.get("conda path") and not recorded:
        return [
            Finding(
                "OK",
                "Recorded Python",
                f"conda environment {setting.get('conda env', '?')} of "
                f"{setting['conda path']}, activated by Excel before Python starts",
            )
        ]
    if not recorded:
        return [
            Finding(
                "FAIL",
                "Recorded Python",
                f"the add-in records no Python ({key}), so Excel runs 'python' from PATH; "
                f"run {INSTALL} from the environment icp_xl is installed in",
            )
        ]
    if windows and is_store_python(recorded):
        return [
            Finding(
                "FAIL",
                "Recorded Python",
                f"{recorded} is the Microsoft Store's Python, which Excel cannot start; "
                "install Python from python.org and run 'icp-xl addin install' from it",
            )
        ]
    if interpreter_exists(recorded, machine.platform) is False:
        return [
            Finding(
                "FAIL",
                "Recorded Python",
                f"{recorded} does not exist (the environment was moved or deleted), so "
                f"every button and formula fails; run {INSTALL} from the environment you "
                "use now",
            )
        ]
    findings = [Finding("OK", "Recorded Python", f"{recorded}")]
    same = os.path.normcase(recorded) == os.path.normcase(machine.executable)
    if not same and not machine.executable.casefold().endswith("pythonw.exe"):
        findings.append(
            Finding(
                "WARN",
                "Recorded Python",
                f"the add-in runs {recorded}, not this Python ({machine.executable}); if "
                f"this is the environment you use, run {INSTALL} from it",
            )
        )
    conda = conda_environment(machine.prefix, dict(machine.env))
    has_conda = any(k.casefold() == "conda path" for k in rows)
    if same and windows and conda is not None and not has_conda:
        findings.append(
            Finding(
                "FAIL",
                "Recorded Python",
                f"this is conda environment {conda.env}, but the add-in does not activate "
                f"it, so numpy fails with 'DLL load failed'; run {INSTALL} from it",
            )
        )
    return findings


def _runpython_script(machine: Machine, built_for: str) -> Finding:
    from icp_xl.excel.addin.install import MAC_SCRIPTS

    script = machine.home / MAC_SCRIPTS / f"xlwings-{built_for}.applescript"
    if script.is_file():
        return Finding("OK", "RunPython script", str(script))
    return Finding(
        "FAIL", "RunPython script", f"{script} is missing, so no button can start Python; "
        f"run {INSTALL}"
    )  # fmt: skip


def windows_registry(hive: str, key: str, value: str) -> object:  # pragma: no cover - Windows
    """Read one registry value with ``winreg``; None when it does not exist."""
    import winreg  # type: ignore[import-not-found]

    root = winreg.HKEY_CURRENT_USER if hive == "HKCU" else winreg.HKEY_LOCAL_MACHINE
    try:
        with winreg.OpenKey(root, key) as handle:
            return winreg.QueryValueEx(handle, value)[0]
    except OSError:
        return None


def _policies(machine: Machine) -> list[Finding]:
    """The Windows policies that stop xlwings from starting Python: the command prompt
    switched off (xlwings starts Python through ``cmd.exe``) and Defender's rule against
    Office starting programs (values as Microsoft documents them: 1 block, 2 audit,
    6 warn)."""
    if not machine.platform.startswith("win"):
        return []
    read = machine.registry
    if read is None and sys.platform.startswith("win"):  # pragma: no cover - Windows
        read = windows_registry
    if read is None:
        return []
    findings = []
    if any(str(read(h, _SYSTEM_POLICY_KEY, "DisableCMD")) in {"1", "2"} for h in ("HKCU", "HKLM")):
        findings.append(
            Finding(
                "FAIL",
                "Company policy",
                "the command prompt is switched off by policy, and xlwings starts Python "
                "through cmd.exe, so no button or formula can run; ask IT for an exception",
            )
        )
    rule = str(read("HKLM", _ASR_KEY, ASR_OFFICE_CHILD))
    if rule in {"1", "6"}:
        findings.append(
            Finding(
                "FAIL" if rule == "1" else "WARN",
                "Company policy",
                "Microsoft Defender's rule 'Block all Office applications from creating "
                f"child processes' is {'on' if rule == '1' else 'set to warn'}, so Excel may "
                "not start Python; ask IT for an exclusion for Excel on this PC",
            )
        )
    return findings


def _user_config(machine: Machine) -> list[Finding]:
    from icp_xl.core.errors import IcpError
    from icp_xl.excel.addin.install import config_file_problem, user_config_file

    if not (machine.platform.startswith("win") or machine.platform == "darwin"):
        return []
    path = user_config_file(machine.platform, machine.env, machine.home)
    try:
        problem = config_file_problem(path)
    except IcpError as error:
        return [Finding("FAIL", "User config", str(error))]
    if problem is not None:
        return [Finding("FAIL", "User config", f"{problem}; run {INSTALL}, which repairs it")]
    return []


def _workbook(workbook: str, in_excel: bool) -> list[Finding]:
    from icp_xl.files.atomic import lock_file

    if "://" in workbook:
        return [
            Finding(
                "WARN",
                "Workbook",
                f"{workbook} is a web address (OneDrive/SharePoint with AutoSave). The ICP "
                "buttons work on it; icp-xl commands need the synced copy in your OneDrive "
                "folder (open the folder in File Explorer / Finder and give that path)",
            )
        ]
    path = Path(workbook)
    if not path.is_absolute():
        return [
            Finding(
                "WARN",
                "Workbook",
                f"Excel gives no folder on this PC for {workbook}: it is not saved yet, or "
                "it is on OneDrive/SharePoint and xlwings found no synced copy. The ICP "
                "buttons work; Export dialogs start in Excel's default folder",
            )
        ]
    findings = []
    if not path.is_file():
        findings.append(Finding("FAIL", "Workbook", f"{path} does not exist"))
    excel_lock = None if in_excel else lock_file(path)
    if excel_lock is not None:
        findings.append(
            Finding(
                "WARN",
                "Workbook",
                f"{path.name} is open in Excel (lock file {excel_lock.name}); icp-xl "
                "commands that write it refuse until it is closed (delete the lock file only "
                "if Excel is not running)",
            )
        )
    findings += _run_lock(str(path))
    findings.append(_write_access(path.parent))
    return findings


def _run_lock(workbook: str) -> list[Finding]:
    from icp_xl.excel.addin.runs import lock_path, process_alive, read_holder

    lock = lock_path(workbook)
    holder = read_holder(lock)
    if holder is None:
        return []
    if process_alive(holder.pid):
        return [
            Finding(
                "WARN",
                "Run lock",
                f"ICP is running {holder.action.replace('_', ' ')} on it (process "
                f"{holder.pid}, started {holder.started}); wait for it, or click ICP > Stop "
                "for Optimize",
            )
        ]
    return [
        Finding(
            "OK",
            "Run lock",
            f"{lock} was left by a run that ended (Excel or Python was closed); the next "
            "action takes it over",
        )
    ]


def _write_access(folder: Path) -> Finding:
    if not folder.is_dir():
        return Finding("FAIL", "Folder", f"{folder} does not exist (moved, renamed or offline)")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".icp_xl_doctor_"):
            pass
    except OSError as error:
        return Finding(
            "FAIL",
            "Folder",
            f"cannot create a file in {folder} ({error.strerror or error}); icp-xl saves "
            "through a temporary file there. Move the workbook to a folder you can write, "
            "or ask IT to allow Python under Controlled Folder Access",
        )
    return Finding("OK", "Folder", f"{folder} takes new files")


def _logs() -> Finding:
    from icp_xl.excel.ribbon import log_folder

    folder = log_folder()
    logs = sorted(folder.glob("icp_xl_*.log"), key=lambda p: p.stat().st_mtime)
    if not logs:
        return Finding("OK", "Error logs", f"none in {folder}")
    return Finding(
        "WARN",
        "Error logs",
        f"{len(logs)} in {folder}, the latest {logs[-1].name}; send it with your question",
    )
