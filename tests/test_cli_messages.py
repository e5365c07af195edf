"""Every command-line option a message suggests exists on the command that shows it.

The source is scanned: messages of a command (the functions its ``func`` reaches in the
cli package), its help texts, and the layers below the command line, which name an option
only through an error's ``option``/``hint`` (added by the command line only when the
command has that option) or in a full ``icp-xl COMMAND ... --option`` example."""

from __future__ import annotations

import argparse
import ast
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

import icp_xl
from icp_xl.cli import build_parser, main
from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.hosts.file.new_workbook import new_workbook
from icp_xl.workbook import layout

PACKAGE = Path(icp_xl.__file__).parent
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z-]*[a-z]")
NAMED_COMMAND = re.compile(r"icp-xl ([a-z]+)(?: ([a-z]+))?")


def commands() -> dict[str, argparse.ArgumentParser]:
    """Every (sub-)command's parser by its name (``addin build`` too)."""
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found[f"{prefix}{name}"] = sub
                    walk(sub, f"{prefix}{name} ")

    walk(build_parser(), "")
    return found


COMMANDS = commands()


def options_of(command: str) -> set[str]:
    return set(COMMANDS[command]._option_string_actions)


def docstrings(tree: ast.AST) -> set[int]:
    kinds = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, kinds)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def texts(node: ast.AST, skip: set[int]) -> Iterator[ast.Constant]:
    """The string constants under ``node`` that are not docstrings or in ``skip``."""
    for child in ast.walk(node):
        if (
            isinstance(child, ast.Constant)
            and isinstance(child.value, str)
            and id(child) not in skip
        ):
            yield child


def wrong_mentions(text: str, command: str | None) -> list[str]:
    """The options ``text`` names that its command lacks: an ``icp-xl COMMAND`` example
    is checked against that command, anything else against ``command`` (None: none may
    be named)."""
    named = NAMED_COMMAND.search(text)
    if named:
        two = " ".join(w for w in named.groups() if w)
        name = two if two in COMMANDS else named.group(1)
        return [o for o in OPTION.findall(text[named.end() :]) if o not in options_of(name)]
    if "pip install" in text:
        return []  # pip's own options
    allowed = options_of(command) if command else set()
    return [o for o in OPTION.findall(text) if o not in allowed]


def hint_constants(tree: ast.AST) -> tuple[set[int], list[str]]:
    """The ``option=`` and ``hint=`` strings of errors (allowed below the command line)
    and a problem for each hint naming another option than its ``option=``."""
    allowed, problems = set(), []
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        keywords = {k.arg: k.value for k in call.keywords}
        if "hint" not in keywords:
            continue
        option = keywords.get("option")
        own = option.value if isinstance(option, ast.Constant) else None
        allowed.add(id(option))
        for constant in texts(keywords["hint"], set()):
            allowed.add(id(constant))
            if any(o != own for o in OPTION.findall(constant.value)):
                problems.append(f"line {call.lineno}: hint {constant.value!r} vs option {own}")
    return allowed, problems


def test_layers_below_the_command_line_name_options_only_as_hints() -> None:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).parts[0] == "cli":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        hints, wrong_hints = hint_constants(tree)
        problems += [f"{path.name} {p}" for p in wrong_hints]
        for constant in texts(tree, docstrings(tree) | hints):
            for option in wrong_mentions(constant.value, None):
                problems.append(f"{path.relative_to(PACKAGE)}:{constant.lineno} {option}")
    assert not problems, problems


def _cli_functions() -> dict[tuple[str, str], ast.FunctionDef]:
    found = {}
    for path in (PACKAGE / "cli").glob("*.py"):
        module = f"icp_xl.cli.{path.stem}" if path.stem != "__init__" else "icp_xl.cli"
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef):
                found[(module, node.name)] = node
    return found


def _imported_cli_names(module: str) -> dict[str, str]:
    """name -> the cli module it is imported from, anywhere in ``module``."""
    path = PACKAGE / "cli" / f"{module.rsplit('.', 1)[-1]}.py"
    names = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("icp_xl.cli"):
            names.update({alias.asname or alias.name: node.module for alias in node.names})
    return names


def reached_functions(module: str, name: str) -> list[ast.FunctionDef]:
    """The cli functions ``module.name`` calls, directly or through other cli functions."""
    functions = _cli_functions()
    seen, todo, reached = set(), [(module, name)], []
    while todo:
        key = todo.pop()
        if key in seen or key not in functions:
            continue
        seen.add(key)
        reached.append(functions[key])
        imported = _imported_cli_names(key[0])
        for call in ast.walk(functions[key]):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
                callee = call.func.id
                todo.append((imported.get(callee, key[0]), callee))
    return reached


def test_every_option_a_command_suggests_exists_on_it() -> None:
    problems = []
    checked = 0
    for command, parser in COMMANDS.items():
        func = parser.get_default("func")
        if func is None:
            continue
        for function in reached_functions(func.__module__, func.__name__):
            for constant in texts(function, docstrings(function)):
                checked += 1
                for option in wrong_mentions(constant.value, command):
                    problems.append(f"{command}: {option} in {constant.value!r}")
        helps = [parser.description or ""] + [a.help or "" for a in parser._actions]
        for text in helps:
            problems += [f"{command} help: {o} in {text!r}" for o in wrong_mentions(text, command)]
    assert checked > 200  # the scan reached the commands' messages
    assert not problems, problems


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return new_workbook(tmp_path / "ICP.xlsx", make_sample_accounts(60, seed=2))


def test_a_missing_id_column_suggests_column_only_where_the_command_has_it(
    workbook: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    renamed = tmp_path / "renamed.xlsx"
    shutil.copyfile(workbook, renamed)
    accounts = make_sample_accounts(60, seed=2).rename(columns={"Customer ID": "Acct"})
    source = tmp_path / "crm.csv"
    accounts.to_csv(source, index=False)
    assert main(["import", str(workbook), str(source)]) == 1
    err = capsys.readouterr().err
    assert 'map yours in the Settings Column map or with --column "Customer ID=YOURS"' in err
    assert main(["import", str(workbook), str(source), "--column", "Customer ID=Acct"]) == 0
    assert "Imported 60 accounts" in capsys.readouterr().out
    wb = openpyxl.load_workbook(renamed)
    sheet = wb[layout.ACCOUNTS]
    for cell in sheet[1]:
        if cell.value == "Customer ID":
            cell.value = "Acct ID"
    for table in sheet.tables.values():
        table.tableColumns[0].name = "Acct ID"
    wb.save(renamed)
    assert main(["rescore", str(renamed)]) == 1
    err = capsys.readouterr().err
    assert "Settings Column map" in err and "--column" not in err
