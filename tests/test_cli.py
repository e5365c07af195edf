"""The icp-xl command line: exit codes, help, and the scored-CSV contract (SPEC §9)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from icp_xl.cli import build_parser, main
from icp_xl.core.model.scoring import SCORE_COLUMNS, score_accounts
from icp_xl.core.model.settings import Settings, Weights
from icp_xl.files.tables import read_accounts


def _subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)


@pytest.mark.parametrize("command", _subcommands())
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert "usage: icp-xl" in capsys.readouterr().out


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as done:
        main(["score"])
    assert done.value.code == 2


def test_sample_then_score(tmp_path):
    accounts = tmp_path / "a.csv"
    scored_path = tmp_path / "s.csv"
    assert main(["sample", "-n", "300", "--seed", "5", "-o", str(accounts)]) == 0
    assert main(["score", str(accounts), "-o", str(scored_path)]) == 0
    raw, prepared = read_accounts(accounts)
    written = pd.read_csv(scored_path, dtype={"Customer ID": str})
    assert list(written.columns) == list(raw.columns) + list(SCORE_COLUMNS)
    expected = score_accounts(prepared, Settings())
    for column in SCORE_COLUMNS:
        if not pd.api.types.is_numeric_dtype(written[column]):
            assert written[column].tolist() == expected[column].tolist()
        else:
            np.testing.assert_allclose(written[column], expected[column], rtol=0, atol=1e-12)


def test_sample_is_deterministic(tmp_path):
    for name in ("x.csv", "y.csv"):
        assert main(["sample", "-n", "50", "--seed", "9", "-o", str(tmp_path / name)]) == 0
    assert (tmp_path / "x.csv").read_bytes() == (tmp_path / "y.csv").read_bytes()


def test_score_with_seed_weights_json(tmp_path):
    accounts = tmp_path / "a.csv"
    main(["sample", "-n", "100", "-o", str(accounts)])
    weights = {
        "vertical_score": 0.4,
        "size_score": 0.0,
        "adoption_score": 0.4,
        "relationship_score": 0.2,
    }
    (tmp_path / "w.json").write_text(json.dumps({"weights": weights, "lambda_param": 0.25}))
    assert main(["score", str(accounts), "--weights", str(tmp_path / "w.json")]) == 0
    written = pd.read_csv(tmp_path / "a_scored.csv")
    _, prepared = read_accounts(accounts)
    expected = score_accounts(prepared, Settings(weights=Weights(0.4, 0.0, 0.4, 0.2)))
    np.testing.assert_array_equal(written["ICP_score_raw"], expected["ICP_score_raw"])


def test_bad_weights_json_is_user_error(tmp_path, capsys):
    accounts = tmp_path / "a.csv"
    main(["sample", "-n", "20", "-o", str(accounts)])
    (tmp_path / "w.json").write_text(
        '{"weights": {"vertical": 0.9, "size": 0.9, "adoption": 0, "relationship": 0}}'
    )
    assert main(["score", str(accounts), "--weights", str(tmp_path / "w.json")]) == 1
    err = capsys.readouterr().err
    assert "sum to 1.8000" in err and "Traceback" not in err
    assert not (tmp_path / "a_scored.csv").exists()


def test_score_refuses_to_overwrite_input(tmp_path):
    accounts = tmp_path / "a.csv"
    main(["sample", "-n", "20", "-o", str(accounts)])
    before = accounts.read_bytes()
    assert main(["score", str(accounts), "-o", str(accounts)]) == 1
    assert accounts.read_bytes() == before


def test_formula_like_text_is_neutralized_in_output(tmp_path):
    accounts = tmp_path / "a.csv"
    accounts.write_text("Customer ID,Company Name,Industry\nx1,=HYPERLINK(1),Dental\nx2,-300,\n")
    assert main(["score", str(accounts), "-o", str(tmp_path / "s.csv")]) == 0
    written = pd.read_csv(tmp_path / "s.csv", dtype=str)
    assert written["Company Name"].tolist() == ["'=HYPERLINK(1)", "-300"]


def test_console_script_reports_user_error_without_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "icp_xl", "score", str(tmp_path / "missing.csv")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == f"icp-xl: error: File not found: {tmp_path / 'missing.csv'}"


def test_console_script_leaves_its_objects_to_the_exit_and_its_files_whole(tmp_path):
    """run() freezes what the command made (the collector would walk it all at exit);
    atexit still runs, the output file is complete and the exit code kept."""
    accounts = tmp_path / "a.csv"
    script = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count() > 0))\n"
        f"sys.argv = ['icp-xl', 'sample', '-n', '500', '-o', {str(accounts)!r}]\n"
        "from icp_xl.cli import run\n"
        "run()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "frozen at exit: True"
    assert len(pd.read_csv(accounts)) == 500


def test_one_pass_workbook_commands_run_without_collector_passes(tmp_path):
    """rescore, new, export and validate pause the cyclic collector while they run (its
    passes over the cells' containers cost about 0.1 s of a 10,000-account rescore) and
    resume it after; optimize, which loops, keeps it."""
    import gc

    accounts, book = tmp_path / "a.csv", tmp_path / "ICP.xlsx"
    assert main(["sample", "-n", "400", "-o", str(accounts)]) == 0
    passes: list[int] = []

    def count(phase: str, info: dict) -> None:  # a pass inside the command's own work
        frame = sys._getframe(1)
        while phase == "start" and frame is not None:
            path = frame.f_code.co_filename.replace("\\", "/")
            if "icp_xl/" in path and "icp_xl/cli/" not in path:
                passes.append(info["generation"])
                return
            frame = frame.f_back

    thresholds = gc.get_threshold()
    gc.set_threshold(100)  # a pass every 100 new containers, when the collector runs
    gc.callbacks.append(count)
    try:
        for command in (
            ["new", str(accounts), "-o", str(book)],
            ["rescore", str(book)],
            ["validate", str(book)],
            ["export", str(book), "-o", str(tmp_path / "out.csv")],
        ):
            passes.clear()
            assert main(command) == 0
            assert passes == [], command[0]
            assert gc.isenabled()
        out = str(tmp_path / "w.json")
        assert main(["optimize", str(accounts), "--trials", "3", "--json-out", out]) == 0
        assert passes
    finally:
        gc.callbacks.remove(count)
        gc.set_threshold(*thresholds)


def test_operating_system_errors_are_one_line(tmp_path, capsys):
    accounts = tmp_path / "a.csv"
    main(["sample", "-n", "20", "-o", str(accounts)])
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    capsys.readouterr()
    assert main(["score", str(accounts), "-o", str(folder)]) == 1
    err = capsys.readouterr().err
    # the Data Quality warnings of the sample (unknown industries, revenue) come first
    assert err.splitlines()[-1] == f"icp-xl: error: {folder} is a folder; give a file name to write"
    assert all(line.startswith("icp-xl: warning: ") for line in err.splitlines()[:-1])
    assert (folder / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "taken"]


def test_weights_json_nested_too_deep_is_one_sentence(tmp_path, capsys):
    """100,000 nested lists make Python's JSON parser give up (RecursionError)."""
    accounts, book = tmp_path / "a.csv", tmp_path / "ICP.xlsx"
    main(["sample", "-n", "20", "-o", str(accounts)])
    assert main(["new", str(accounts), "-o", str(book)]) == 0
    deep = tmp_path / "w.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    for command in (
        ["score", str(accounts), "--weights", str(deep)],
        ["new", str(accounts), "-o", str(tmp_path / "new.xlsx"), "--weights", str(deep)],
        ["weights", str(book), "--from", str(deep)],
    ):
        capsys.readouterr()
        assert main(command) == 1
        err = capsys.readouterr().err
        assert err.strip().splitlines()[-1] == (
            "icp-xl: error: w.json is nested too deeply to be a weights file "
            "(one JSON object with a 'weights' entry of four numbers)"
        )


def test_a_column_option_naming_a_header_the_file_lacks_is_refused(tmp_path, capsys):
    """--column "Industry=Sektor" for a file without 'Sektor': every command that takes
    --column refuses with one sentence naming the headers the file has."""
    accounts = tmp_path / "a.csv"
    pd.DataFrame({"Customer ID": ["a", "b"], "Industry": ["Dental", "Retail"]}).to_csv(
        accounts, index=False
    )
    for command in (
        ["score", str(accounts), "--column", "Industry=Sektor"],
        ["new", str(accounts), "-o", str(tmp_path / "n.xlsx"), "--column", "Industry=Sektor"],
        ["optimize", str(accounts), "--trials", "2", "--column", "Industry=Sektor"],
    ):
        capsys.readouterr()
        assert main(command) == 1, command
        assert capsys.readouterr().err.strip().splitlines()[-1] == (
            'icp-xl: error: --column "Industry=Sektor": a.csv has no such header; its '
            "headers are 'Customer ID', 'Industry'"
        )
    assert not (tmp_path / "a_scored.csv").exists() and not (tmp_path / "n.xlsx").exists()
    assert main(["score", str(accounts), "--column", "Industry= industry "]) == 0  # any case
    # import lays the option over the workbook's Column map and still refuses it
    workbook = tmp_path / "w.xlsx"
    assert main(["new", "-o", str(workbook)]) == 0
    before = workbook.read_bytes()
    capsys.readouterr()
    assert main(["import", str(workbook), str(accounts), "--column", "Industry=Sektor"]) == 1
    assert "a.csv has no such header" in capsys.readouterr().err
    assert workbook.read_bytes() == before


def test_a_large_workbook_is_said_to_be_opening_before_it_is_read(workbook, monkeypatch, capsys):
    """Opening a large workbook takes seconds (1.5 s at 100,000 accounts) before the first
    stage's line: it is said first. Below SLOW_OPEN_BYTES nothing more is said."""
    from icp_xl.hosts.file import book

    assert main(["rescore", str(workbook)]) == 0
    small = capsys.readouterr().err.splitlines()
    assert not any("Opening" in line for line in small)
    assert workbook.stat().st_size < book.SLOW_OPEN_BYTES
    monkeypatch.setattr(book, "SLOW_OPEN_BYTES", workbook.stat().st_size)
    assert main(["rescore", str(workbook)]) == 0
    large = capsys.readouterr().err.splitlines()
    assert large[0] == f"icp-xl: Opening {workbook.name}"
    assert large[1:] == small
