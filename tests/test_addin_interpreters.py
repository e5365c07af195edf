"""Which Python the installed add-in records: a conda environment gets xlwings' Conda Path
and Conda Env (Excel activates it on Windows, so numpy's DLLs load), a virtual environment
made from the Microsoft Store's Python is refused like the Store's Python itself, and
``icp-xl addin build`` without a recorded Python says what the file is good for.

Windows paths are checked as ``PureWindowsPath`` text (no Windows here); the conda
folders are real folders laid out as conda lays them out."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PureWindowsPath

import pytest

from icp_xl.cli import main
from icp_xl.core.errors import IcpError
from icp_xl.excel.addin.install import install_addin, interpreter_setting
from icp_xl.excel.addin.interpreter import conda_environment, is_store_python

STORE_BASE = (
    r"C:\Users\me\AppData\Local\Microsoft\WindowsApps"
    r"\PythonSoftwareFoundation.Python.3.12_qbz5n2kfra8p0\python.exe"
)
STORE_PREFIX = (
    r"C:\Program Files\WindowsApps"
    r"\PythonSoftwareFoundation.Python.3.12_3.12.2032.0_x64__qbz5n2kfra8p0"
)
VENV_PYTHON = r"C:\Users\me\icp\.venv\Scripts\python.exe"
PYTHON_ORG = r"C:\Users\me\AppData\Local\Programs\Python\Python312"


def config_rows(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        strings = re.findall(r"<t[^>]*>([^<]*)</t>", archive.read("xl/sharedStrings.xml").decode())
    return dict(zip(strings[::2], strings[1::2], strict=True))


@pytest.mark.parametrize(
    ("base_executable", "base_prefix"),
    [(STORE_BASE, None), (None, STORE_PREFIX)],
)
def test_a_venv_made_from_the_store_python_is_refused(
    base_executable: str | None, base_prefix: str | None
) -> None:
    with pytest.raises(IcpError) as refused:
        interpreter_setting("win32", VENV_PYTHON, base_executable, base_prefix)
    assert str(refused.value).startswith(
        f"{VENV_PYTHON} is the Microsoft Store's Python (this environment is made from it), "
        "which Excel cannot start;"
    )


def test_a_venv_made_from_python_org_is_recorded() -> None:
    setting = interpreter_setting("win32", VENV_PYTHON, PYTHON_ORG + r"\python.exe", PYTHON_ORG)
    assert setting == ("Interpreter_Win", VENV_PYTHON)
    assert not is_store_python(VENV_PYTHON, PYTHON_ORG)


def conda_install(root: Path, *envs: str) -> Path:
    """A conda installation as conda lays it out: ``condabin``, ``conda-meta`` and
    ``envs/<name>/conda-meta``."""
    for folder in ("condabin", "conda-meta", *(f"envs/{e}/conda-meta" for e in envs)):
        (root / folder).mkdir(parents=True)
    return root


def test_install_from_a_conda_environment_records_conda_path_and_env(tmp_path: Path) -> None:
    root = conda_install(tmp_path / "Anaconda3", "icp")
    env = {"APPDATA": str(tmp_path / "appdata"), "USERPROFILE": str(tmp_path)}
    python = str(root / "envs" / "icp" / "python.exe")
    done = install_addin("win32", env, tmp_path, python, prefix=root / "envs" / "icp")
    rows = config_rows(done.path)
    assert (rows["Conda Path"], rows["Conda Env"]) == (str(root), "icp")
    assert "Interpreter_Win" not in rows  # else xlwings' formulas skip the activation
    assert done.interpreter == str(PureWindowsPath(python))
    base = install_addin("win32", env, tmp_path, str(root / "python.exe"), prefix=root)
    assert config_rows(base.path)["Conda Env"] == "base"


def test_conda_env_outside_the_installation_is_named_by_its_folder(tmp_path: Path) -> None:
    root = conda_install(tmp_path / "miniconda3")
    elsewhere = tmp_path / "projects" / "icp env"
    (elsewhere / "conda-meta").mkdir(parents=True)
    found = conda_environment(elsewhere, {"CONDA_EXE": str(root / "Scripts" / "conda.exe")})
    assert found is not None and (found.root, found.env) == (root, str(elsewhere))
    assert conda_environment(tmp_path / "projects", {}) is None  # a plain folder


def test_conda_without_condabin_is_refused_and_macos_needs_no_activation(
    tmp_path: Path,
) -> None:
    root = tmp_path / "old_conda"
    (root / "envs" / "icp" / "conda-meta").mkdir(parents=True)
    (root / "conda-meta").mkdir()
    env = {"APPDATA": str(tmp_path / "appdata")}
    with pytest.raises(IcpError, match="has no condabin folder"):
        install_addin("win32", env, tmp_path, r"C:\x\python.exe", prefix=root / "envs" / "icp")
    mac = install_addin("darwin", env, tmp_path, "/opt/conda/envs/icp/bin/python",
                        prefix=root / "envs" / "icp")  # fmt: skip
    assert "Conda Path" not in config_rows(mac.path)


def test_addin_build_without_a_recorded_python_warns(tmp_path: Path, capsys) -> None:
    assert main(["addin", "build", "-o", str(tmp_path / "ICP.xlam"), "--udf-modules"]) == 0
    err = capsys.readouterr().err
    assert "Warning: no Python is recorded in this add-in" in err
    assert "run 'icp-xl addin install' instead" in err
    out = str(tmp_path / "Mine.xlam")
    assert main(["addin", "build", "-o", out, "--udf-modules", "--set",
                 r"Interpreter_Win=C:\p\python.exe"]) == 0  # fmt: skip
    assert "Warning" not in capsys.readouterr().err
