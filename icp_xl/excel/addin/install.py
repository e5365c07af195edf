"""Copy the add-in to the folder Excel loads add-ins from at start-up (Windows, macOS).

Windows: the user's XLSTART folder ``%APPDATA%\\Microsoft\\Excel\\XLSTART`` (the one
``xlwings addin install`` uses). macOS: Excel's start-up folder
``~/Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/Excel``;
there RunPython also needs xlwings' AppleScript in
``~/Library/Application Scripts/com.microsoft.Excel`` (what ``xlwings runpython install``
copies), so it is copied too. Elsewhere Excel does not exist and installing is refused.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

import xlwings

from icp_xl.core.errors import IcpError
from icp_xl.excel.addin.build import build_addin
from icp_xl.files.atomic import atomic_write

ADDIN_FILE_NAME = "ICP.xlam"
_MAC_STARTUP = (
    "Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/Excel"
)
_MAC_SCRIPTS = "Library/Application Scripts/com.microsoft.Excel"


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


def install_addin(
    source: str | Path | None = None,
    platform: str = sys.platform,
    env: Mapping[str, str] = os.environ,
    home: Path | None = None,
) -> Path:
    """Install the add-in for Excel and return the installed path.

    Input: a built ``.xlam`` to copy, or None to build a fresh ``ICP.xlam`` straight
    into Excel's folder. On macOS also installs xlwings' RunPython AppleScript.
    Raises IcpError on an unsupported OS or a missing/invalid source. Excel must be
    restarted (or the add-in opened once) to load it.
    """
    folder = excel_addin_folder(platform, env, home)
    if source is not None:
        source_path = Path(source)
        if not source_path.is_file() or source_path.suffix.lower() != ".xlam":
            raise IcpError(f"{source_path} is not an .xlam add-in file.")
    folder.mkdir(parents=True, exist_ok=True)
    if source is None:
        target = build_addin(folder / ADDIN_FILE_NAME).path
    else:
        target = folder / source_path.name
        _copy(source_path, target)
    if platform == "darwin":
        install_runpython_script(home or Path.home())
    return target


def install_runpython_script(home: Path) -> Path:
    """Copy xlwings' AppleScript that RunPython calls on macOS into Excel's script folder."""
    name = f"xlwings-{xlwings.__version__}.applescript"
    script = Path(xlwings.__file__).parent / name
    if not script.is_file():
        raise IcpError(f"xlwings {xlwings.__version__} does not ship {name}.")
    target_dir = home / _MAC_SCRIPTS
    target_dir.mkdir(parents=True, exist_ok=True)
    return _copy(script, target_dir / name)


def _copy(source: Path, target: Path) -> Path:
    try:
        return atomic_write(target, lambda temporary: shutil.copyfile(source, temporary))
    except PermissionError as exc:
        raise IcpError(f"Cannot replace {target} (is it open in Excel?).") from exc
