"""``icp-xl addin build`` and ``icp-xl addin install``: the Excel add-in ICP.xlam."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

_DEFAULT_UDF_MODULES = ["icp_xl.excel.formulas"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``addin`` command with its ``build`` and ``install`` sub-commands."""
    parser = subparsers.add_parser(
        "addin",
        help="build or install the Excel add-in ICP.xlam",
        description="Build the ICP Excel add-in (ribbon tab ICP, ICP formulas) or install it.",
    )
    commands = parser.add_subparsers(dest="addin_command", metavar="ACTION", required=True)

    build = commands.add_parser(
        "build",
        help="write ICP.xlam (works on any OS)",
        description=(
            "Build ICP.xlam from xlwings' add-in template, the ribbon and VBA sources and "
            "pre-built wrappers for the @xw.func functions of the UDF modules."
        ),
    )
    build.add_argument(
        "-o", "--output", type=Path, default=Path("ICP.xlam"), help="add-in file (.xlam)"
    )
    build.add_argument(
        "--udf-modules",
        nargs="*",
        default=_DEFAULT_UDF_MODULES,
        metavar="MODULE",
        help=(
            "Python modules with @xw.func functions (default: icp_xl.excel.formulas; none: no UDFs)"
        ),
    )
    build.add_argument(
        "--set",
        action="append",
        default=[],
        dest="settings",
        metavar="KEY=VALUE",
        help=(
            "xlwings setting for the add-in's config sheet, e.g. "
            "--set Interpreter_Win=C:\\path\\python.exe (keys: Interpreter_Win, "
            "Interpreter_Mac, PYTHONPATH, Conda Path, Conda Env)"
        ),
    )
    build.add_argument("--force", action="store_true", help="replace an existing add-in file")
    build.set_defaults(func=run_build)

    install = commands.add_parser(
        "install",
        help="build the add-in into Excel's start-up folder (Windows, macOS)",
        description=(
            "Close Excel first. Builds ICP.xlam from the installed xlwings into the folder "
            "Excel loads add-ins from at start-up, recording this Python as the add-in's "
            "interpreter. Run it again after upgrading icp_xl or xlwings. Only on Windows "
            "and macOS."
        ),
    )
    install.set_defaults(func=run_install)


def parse_settings(pairs: list[str]) -> dict[str, str]:
    """Turn ``KEY=VALUE`` strings into a dict; raise IcpError for a pair without ``=``."""
    from icp_xl.core.errors import IcpError

    settings: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise IcpError(f"--set expects KEY=VALUE, got {pair!r}.")
        settings[key.strip()] = value
    return settings


def run_build(args: argparse.Namespace) -> int:
    """Build the add-in; print a one-line summary. Returns the exit code."""
    from icp_xl.excel.addin import build_addin
    from icp_xl.files.outputs import check_output

    check_output(args.output, "xlam", force=args.force)
    settings = parse_settings(args.settings)
    result = build_addin(args.output, args.udf_modules, settings)
    modules = ", ".join(result.udf_modules) or "no module"
    print(
        f"Wrote {result.path}: ribbon tab ICP with {len(result.ribbon_actions)} actions, "
        f"{len(result.udf_functions)} ICP formulas from {modules}.",
        file=sys.stderr,
    )
    if not any(key.strip().casefold().startswith("interpreter_") for key in settings):
        print(NO_INTERPRETER_WARNING, file=sys.stderr)
    return 0


NO_INTERPRETER_WARNING = (
    "Warning: no Python is recorded in this add-in, so Excel would run whatever 'python' "
    "it finds on PATH (often none, or the Microsoft Store's). To use the add-in on this "
    "PC run 'icp-xl addin install' instead; copy a built file to another PC only when "
    "built with --set Interpreter_Win=<that PC's python.exe> (or Interpreter_Mac=...)."
)


def run_install(args: argparse.Namespace) -> int:
    """Build the add-in into Excel's start-up folder; say what was done. Returns the exit code."""
    from icp_xl.excel.addin import install_addin

    done = install_addin()
    lines = [f"Installed {done.path} (xlwings {done.xlwings_version}, Python {done.interpreter})."]
    if done.replaced_version not in (None, done.xlwings_version):
        lines.append(f"It replaces an add-in built for xlwings {done.replaced_version}.")
    if done.conda is not None:
        lines.append(
            f"Conda environment {done.conda.env} of {done.conda.root}: Excel activates it "
            "before starting Python (xlwings' Conda Path and Conda Env settings)."
        )
    if done.repaired_config is not None:
        lines.append(f"Removed the empty lines xlwings cannot read from {done.repaired_config}.")
    lines.append("Start Excel: the ICP tab appears; try ICP > New ICP workbook.")
    print("\n".join(lines), file=sys.stderr)
    return 0
