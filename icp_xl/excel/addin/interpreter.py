"""Which Python the add-in records, and what kind it is: a conda environment (needs
activating on Windows), the Microsoft Store's Python (Excel cannot start it), a
python.org or virtual environment Python (recorded as it is).

Pure functions over paths (``PureWindowsPath`` for Windows, plain strings elsewhere) and
one function that looks at the disk (:func:`conda_environment`), so the checks run and
are tested on any OS.

What xlwings does with the settings, read from its add-in template's ``xlwings`` VBA
module (version 0.37.8; not run in Excel here): on Windows, with both ``Conda Path`` and
``Conda Env`` set, a button runs ``<Conda Path>\\condabin\\conda activate <Conda Env> &&
<interpreter> ...``, but the formulas' server (``XLPyCommand``) activates the environment
only when no interpreter path is set, so a conda environment is recorded with the two
conda settings and no ``Interpreter_Win`` (both then run the activated ``python``);
``CheckConda`` refuses a ``Conda Path`` without ``condabin\\conda.bat``. On macOS
RunPython ignores the conda settings; conda's Python there needs no activation for numpy
to load (no DLL search path).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

#: The folder of the Microsoft Store's Python and its ``python.exe`` stand-ins.
_STORE_MARKERS = ("windowsapps", "pythonsoftwarefoundation.python")


@dataclass(frozen=True)
class CondaEnvironment:
    """A conda environment: the installation's root (xlwings' ``Conda Path``) and what
    ``conda activate`` takes (xlwings' ``Conda Env``: ``base``, the name of an
    environment under ``<root>/envs``, or the environment's folder)."""

    root: Path
    env: str


def is_store_python(*paths: str | None) -> bool:
    """Whether any of ``paths`` (the interpreter, its ``sys._base_executable``, its
    ``sys.base_prefix``) lies in the Microsoft Store's ``WindowsApps`` folder or its
    ``PythonSoftwareFoundation.Python.*`` package: a virtual environment made from the
    Store's Python is still the Store's Python."""
    for path in paths:
        if not path:
            continue
        parts = (part.casefold() for part in PureWindowsPath(path).parts)
        if any(part.startswith(_STORE_MARKERS) for part in parts):
            return True
    return False


def conda_environment(
    prefix: str | Path, env: os._Environ[str] | dict[str, str] | None = None
) -> CondaEnvironment | None:
    """The conda environment whose folder is ``prefix`` (``sys.prefix``), or None when
    ``prefix`` is not one (it has no ``conda-meta`` folder).

    The root is the folder above ``condabin`` of ``$CONDA_EXE`` when that exists, else
    ``prefix`` itself for the base environment or the folder above ``envs`` for a named
    one."""
    env = os.environ if env is None else env
    folder = Path(prefix)
    if not (folder / "conda-meta").is_dir():
        return None
    root: Path | None = None
    conda_exe = env.get("CONDA_EXE")
    if conda_exe:
        candidate = Path(conda_exe).parent.parent  # <root>/Scripts/conda.exe, <root>/bin/conda
        if (candidate / "condabin").is_dir():
            root = candidate
    if root is None:
        root = folder.parent.parent if folder.parent.name == "envs" else folder
    if folder == root:
        name = "base"
    elif folder.parent == root / "envs" and " " not in folder.name:
        name = folder.name
    else:
        name = str(folder)
    return CondaEnvironment(root, name)


def current_python() -> tuple[str, str | None, str]:
    """This process's interpreter, the one its virtual environment was made from
    (``sys._base_executable``, None when unknown) and ``sys.base_prefix``."""
    return sys.executable, getattr(sys, "_base_executable", None), sys.base_prefix


def interpreter_exists(executable: str, platform: str = sys.platform) -> bool | None:
    """Whether ``executable`` exists, or None when this machine cannot tell (a Windows
    path checked on another OS)."""
    if platform.startswith("win") != sys.platform.startswith("win"):
        return None
    return Path(executable).is_file()
