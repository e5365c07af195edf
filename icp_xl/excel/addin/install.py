"""Build the add-in straight into the folder Excel loads add-ins from at start-up.

Windows: the user's XLSTART folder ``%APPDATA%\\Microsoft\\Excel\\XLSTART`` (the one
``xlwings addin install`` uses). macOS: Excel's start-up folder
``~/Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/Excel``;
there RunPython also needs xlwings' AppleScript in
``~/Library/Application Scripts/com.microsoft.Excel`` (what ``xlwings runpython install``
copies), so it is copied too. Elsewhere Excel does not exist and installing is refused.

:func:`install_addin` always builds from the installed xlwings (the add-in works only
with the xlwings version it was built with) and records the interpreter it runs under
on the add-in's config sheet, so one command leaves a working add-in and nobody writes
a config file by hand; a conda environment is recorded with xlwings' ``Conda Path`` and
``Conda Env`` so that Excel activates it on Windows (numpy's DLLs load only then). It
refuses a target that Excel holds open and the Microsoft Store's Python (also a virtual
environment made from it), and repairs a user config file that xlwings cannot read.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

import xlwings

from icp_xl.core.errors import IcpError
from icp_xl.excel.addin.build import PROJECT_NAME, addin_xlwings_version, build_addin
from icp_xl.excel.addin.interpreter import (
    CondaEnvironment,
    conda_environment,
    current_python,
    is_store_python,
)
from icp_xl.files.atomic import atomic_write

ADDIN_FILE_NAME = "ICP.xlam"
_MAC_STARTUP = (
    "Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/Excel"
)
MAC_SCRIPTS = "Library/Application Scripts/com.microsoft.Excel"
_MAC_CONFIG = f"Library/Containers/com.microsoft.Excel/Data/{PROJECT_NAME}.conf"
_CONFIG_LINE = re.compile(r'^\s*"([^"]*)"\s*,\s*"([^"]*)"\s*$')


@dataclass(frozen=True)
class Installed:
    """What :func:`install_addin` did: the add-in, the interpreter it records, the
    xlwings version it is built for, the version of the add-in it replaced (None: new),
    the user config file it repaired (None: nothing to repair) and the conda
    environment Excel activates first."""

    path: Path
    interpreter: str
    xlwings_version: str
    replaced_version: str | None
    repaired_config: Path | None
    conda: CondaEnvironment | None = None
    """The conda environment recorded for activation (Windows), or None."""


def excel_addin_folder(
    platform: str = sys.platform,
    env: Mapping[str, str] = os.environ,
    home: Path | None = None,
) -> Path:
    """Return the folder Excel opens add-ins from at start-up on ``platform``.

    Inputs: ``sys.platform``-style name, environment and home folder (defaults: this
    machine). Raises IcpError on platforms without desktop Excel.
    """
    if platform.startswith("win"):
        appdata = env.get("APPDATA")
        if not appdata:
            raise IcpError("APPDATA is not set; cannot find Excel's XLSTART folder.")
        return Path(appdata) / "Microsoft" / "Excel" / "XLSTART"
    if platform == "darwin":
        return (home or Path.home()) / _MAC_STARTUP
    raise IcpError(
        f"Excel is not available on this OS ({platform}); build the add-in with "
        "'icp-xl addin build -o ICP.xlam' and install it on Windows or macOS."
    )


def user_config_file(platform: str, env: Mapping[str, str], home: Path) -> Path:
    """The user config file the add-in's xlwings code reads (``GetConfigFilePath``)."""
    if platform.startswith("win"):
        return Path(env.get("USERPROFILE") or home) / f".{PROJECT_NAME}" / f"{PROJECT_NAME}.conf"
    return home / _MAC_CONFIG


def interpreter_setting(
    platform: str, executable: str, base_executable: str | None = None,
    base_prefix: str | None = None,
) -> tuple[str, str]:  # fmt: skip
    """The config-sheet setting that makes the add-in run ``executable``.

    Windows: ``Interpreter_Win`` (``pythonw.exe`` becomes ``python.exe``, as xlwings'
    docs set it); macOS: ``Interpreter_Mac``. Raises IcpError for the Microsoft Store's
    Python, which Excel cannot start, also when ``executable`` is a virtual environment
    made from it (its ``base_executable`` / ``base_prefix`` name the Store's folder).
    """
    if platform.startswith("win"):
        path = PureWindowsPath(executable)
        if is_store_python(executable, base_executable, base_prefix):
            made_from = "" if is_store_python(executable) else " (this environment is made from it)"
            raise IcpError(
                f"{executable} is the Microsoft Store's Python{made_from}, which Excel cannot "
                "start; install Python from python.org, create the environment with "
                "'py -m venv' and run 'icp-xl addin install' from it."
            )
        if path.name.casefold() == "pythonw.exe":
            path = path.with_name("python.exe")
        return "Interpreter_Win", str(path)
    return "Interpreter_Mac", executable


def conda_settings(platform: str, conda: CondaEnvironment | None) -> dict[str, str]:
    """xlwings' ``Conda Path`` and ``Conda Env`` for a conda environment on Windows (so
    Excel activates it and numpy's DLLs load; recorded instead of ``Interpreter_Win``),
    nothing otherwise. Raises IcpError for a
    conda installation without ``condabin`` (xlwings' ``CheckConda`` refuses it)."""
    if conda is None or not platform.startswith("win"):
        return {}
    if not (conda.root / "condabin").is_dir():
        raise IcpError(
            f"{conda.root} has no condabin folder (conda older than 4.6), so Excel cannot "
            "activate the environment; update conda ('conda update -n base conda') and run "
            "'icp-xl addin install' again."
        )
    return {"Conda Path": str(conda.root), "Conda Env": conda.env}


def install_addin(
    platform: str = sys.platform,
    env: Mapping[str, str] = os.environ,
    home: Path | None = None,
    interpreter: str | None = None,
    *,
    base_executable: str | None = None,
    base_prefix: str | None = None,
    prefix: str | Path | None = None,
) -> Installed:
    """Build ``ICP.xlam`` into Excel's start-up folder and return what was done.

    Inputs: platform, environment and home folder (defaults: this machine) and the
    Python the add-in should run: ``interpreter`` (default: the one running this,
    ``sys.executable``), the interpreter it was made from and its base prefix (for the
    Store check; default: this process's) and its environment folder ``prefix``
    (``sys.prefix``; a conda environment there is recorded as ``Conda Path`` /
    ``Conda Env`` on Windows). On macOS also installs xlwings' RunPython AppleScript.
    Raises IcpError on an unsupported OS, the Store's python, or a target Excel holds
    open; nothing is replaced then. Excel must be started again to load the new add-in.
    """
    home = home or Path.home()
    folder = excel_addin_folder(platform, env, home)
    if interpreter is None:
        interpreter, base_executable, base_prefix = current_python()
        prefix = sys.prefix if prefix is None else prefix
    setting = interpreter_setting(platform, interpreter, base_executable, base_prefix)
    conda = conda_environment(prefix, dict(env)) if prefix is not None else None
    # xlwings activates conda for the formulas only when no interpreter path is set (its
    # XLPyCommand); the buttons then run the activated environment's "python" too.
    settings = conda_settings(platform, conda) or {setting[0]: setting[1]}
    target = folder / ADDIN_FILE_NAME
    replaced = _installed_version(target)
    _refuse_if_locked(target)
    repaired = repair_config_file(user_config_file(platform, env, home))
    folder.mkdir(parents=True, exist_ok=True)
    built = build_addin(target, settings=settings)
    if platform == "darwin":
        install_runpython_script(home)
    return Installed(built.path, setting[1], built.xlwings_version, replaced, repaired,
                     conda)  # fmt: skip


def _installed_version(target: Path) -> str | None:
    if not target.is_file():
        return None
    try:
        from pyopenvba import ExcelFile

        with ExcelFile(target) as book:
            return addin_xlwings_version(book.get_module("xlwings"))
    except Exception:  # not readable as an ICP add-in: it is replaced all the same
        return "unknown"


def _refuse_if_locked(target: Path) -> None:
    """Excel on Windows holds an open add-in locked; replacing it would fail half-way."""
    if not target.exists():
        return
    try:
        with open(target, "r+b"):
            pass
    except PermissionError as exc:
        raise IcpError(
            f"{target} is in use (Excel has it open); close Excel completely and run "
            "'icp-xl addin install' again."
        ) from exc


def config_file_problem(path: Path) -> str | None:
    """What stops xlwings reading the user config file ``path``, or None (also when it
    is missing): xlwings reads it with VBA ``Input #``, which fails with run-time error 62
    ("Input past end of file") on an empty line, which breaks every button. Raises
    IcpError for a line that is not ``"KEY","VALUE"``."""
    if not path.is_file():
        return None
    text = path.read_bytes().decode("utf-8", errors="replace")
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if line.strip() and not _CONFIG_LINE.match(line):
            raise IcpError(
                f'{path} line {number} is not "KEY","VALUE": {line.strip()!r}; fix or delete '
                "that line (the add-in's own settings need no config file)."
            )
    if any(not line.strip() for line in lines) or not text.endswith("\r\n"):
        return f"{path} has empty lines or line ends xlwings cannot read"
    return None


def repair_config_file(path: Path) -> Path | None:
    """Rewrite the user config file ``path`` without empty lines and with CRLF line ends
    when :func:`config_file_problem` finds a problem. Returns the path when it was
    rewritten, None when it is missing or already fine. Raises IcpError for a line that
    is not ``"KEY","VALUE"``."""
    if config_file_problem(path) is None:
        return None
    lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()
    kept = [line for line in lines if line.strip()]
    write_config_file(path, [_CONFIG_LINE.match(line).groups() for line in kept])  # type: ignore[union-attr]
    return path


def write_config_file(path: Path, settings: list[tuple[str, str]]) -> Path:
    """Write an xlwings config file as VBA ``Write #`` does: one ``"KEY","VALUE"`` line
    per setting, each ended by CRLF, and no empty line (see :func:`repair_config_file`)."""
    body = "".join(f'"{key}","{value}"\r\n' for key, value in settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda temporary: temporary.write_bytes(body.encode("utf-8")))


def install_runpython_script(home: Path) -> Path:
    """Copy xlwings' AppleScript that RunPython calls on macOS into Excel's script folder."""
    name = f"xlwings-{xlwings.__version__}.applescript"
    script = Path(xlwings.__file__).parent / name
    if not script.is_file():
        raise IcpError(f"xlwings {xlwings.__version__} does not ship {name}.")
    target_dir = home / MAC_SCRIPTS
    target_dir.mkdir(parents=True, exist_ok=True)
    try:
        return atomic_write(target_dir / name, lambda temp: shutil.copyfile(script, temp))
    except PermissionError as exc:
        raise IcpError(f"Cannot replace {target_dir / name}: {exc.strerror}.") from exc
