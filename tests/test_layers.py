"""The package's folders are its layers, and imports only run downwards.

Layers, lowest first: ``core`` (pure logic, no Excel, no files, no database) < ``files``
(accounts files in, CSV and JSON out) < ``studies`` (the storage of shared optimization
studies) < ``workbook`` (the layout contract, the Book seam, the actions) < ``hosts`` (the
openpyxl file host, the xlwings host) < ``excel`` (ribbon, formulas, add-in builder) <
``cli``. A module may import its own layer and the ones below it, never one above.
``core`` imports no I/O library at all (Excel, workbook files, databases, Optuna's
storages, Arrow's file readers); ``files`` and ``workbook`` never import xlwings;
``workbook`` never imports openpyxl either (the seam is value-level). Every import counts,
also one inside a function.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

import icp_xl

PACKAGE = Path(icp_xl.__file__).parent
LAYERS = ("core", "files", "studies", "workbook", "hosts", "excel", "cli")
CORE_IO = {
    "xlwings", "openpyxl", "python_calamine", "sqlalchemy", "psycopg", "psycopg2", "sqlite3",
    "optuna.storages", "pyarrow.csv", "pyarrow.parquet", "pyarrow.feather", "pyarrow.json",
    "pyarrow.orc", "pyarrow.dataset", "pyarrow.fs",
}  # fmt: skip
"""What the core never imports: a module, or any module below it (``optuna.storages.journal``)."""
FORBIDDEN = {
    "core": CORE_IO,
    "files": {"xlwings"},
    "workbook": {"xlwings", "openpyxl"},
}


def layer_of(module: str) -> str | None:
    """``icp_xl.core.model.scoring`` -> ``core``; None for the package root (``icp_xl``,
    ``icp_xl.__main__``), which may import anything."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def imported_modules(path: Path, module: str) -> set[str]:
    """Every module ``path`` imports, anywhere in it (absolute names)."""
    found: set[str] = set()
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def layer_violations(package: Path) -> list[str]:
    """One line per import that runs up a layer or reaches a forbidden library."""
    problems = []
    for path in sorted(package.rglob("*.py")):
        module = ".".join(("icp_xl", *path.relative_to(package).with_suffix("").parts))
        module = module.removesuffix(".__init__")
        layer = layer_of(module)
        if layer is None:
            continue
        for name in sorted(imported_modules(path, module)):
            top = name.split(".")[0]
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN.get(layer, ())):
                problems.append(f"{module} ({layer}) imports {name}")
            target = layer_of(name) if top == "icp_xl" else None
            if target is not None and LAYERS.index(target) > LAYERS.index(layer):
                problems.append(f"{module} ({layer}) imports {name} ({target}, a higher layer)")
    return problems


def test_the_package_respects_its_layers() -> None:
    assert layer_violations(PACKAGE) == []


def test_every_module_lives_in_a_layer_folder() -> None:
    loose = {p.name for p in PACKAGE.glob("*.py")} - {"__init__.py", "__main__.py"}
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert loose == set()
    assert folders == set(LAYERS)


@pytest.mark.parametrize(
    ("module", "planted", "expected"),
    [
        (
            "core/model/scoring.py",
            "from icp_xl.hosts.file.book import FileBook\n",
            "icp_xl.core.model.scoring (core) imports icp_xl.hosts.file.book (hosts, a higher "
            "layer)",
        ),
        (
            "core/optimization/search.py",
            "def f():\n    from icp_xl.studies import workers\n",
            "icp_xl.core.optimization.search (core) imports icp_xl.studies.workers (studies, a "
            "higher layer)",
        ),
        (
            "core/optimization/optimize.py",
            "def f():\n    import sqlalchemy\n",
            "icp_xl.core.optimization.optimize (core) imports sqlalchemy",
        ),
        (
            "core/insight/movers.py",
            "import sqlite3\n",
            "icp_xl.core.insight.movers (core) imports sqlite3",
        ),
        (
            "core/optimization/search.py",
            "from optuna.storages.journal import JournalStorage\n",
            "icp_xl.core.optimization.search (core) imports optuna.storages.journal",
        ),
        (
            "core/inputs/arrow_text.py",
            "import pyarrow.csv as pcsv\n",
            "icp_xl.core.inputs.arrow_text (core) imports pyarrow.csv",
        ),
        (
            "core/inputs/cells.py",
            "from python_calamine import CalamineWorkbook\n",
            "icp_xl.core.inputs.cells (core) imports python_calamine",
        ),
        (
            "core/model/segments.py",
            "import openpyxl\n",
            "icp_xl.core.model.segments (core) imports openpyxl",
        ),
        (
            "workbook/layout/regions.py",
            "def f():\n    from icp_xl.excel import ribbon\n",
            "icp_xl.workbook.layout.regions (workbook) imports icp_xl.excel.ribbon (excel, a "
            "higher layer)",
        ),
        (
            "workbook/actions/export.py",
            "from ...hosts import xlwings_book\n",
            "icp_xl.workbook.actions.export (workbook) imports icp_xl.hosts"
            " (hosts, a higher layer)",
        ),
    ],
)
def test_a_planted_violation_is_found(
    tmp_path: Path, module: str, planted: str, expected: str
) -> None:
    copy = tmp_path / "icp_xl"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert layer_violations(copy) == []
    target = copy / module
    target.write_text(target.read_text(encoding="utf-8") + planted, encoding="utf-8")
    assert expected in layer_violations(copy)
