"""The pyarrow CSV engine reads, parses and writes exactly what today's pandas code does,
and steps aside for every file it cannot read the same way."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import prepare_accounts
from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.core.model.scoring import SCORE_COLUMNS, score_accounts
from icp_xl.core.model.settings import Settings
from icp_xl.files import fast_csv
from icp_xl.files.fast_csv import format_floats, read_accounts_fast, write_csv_fast
from icp_xl.files.tables import ROW_NUMBERS, neutralize_formulas, read_table

HEADER = (
    "Customer ID,Company Name,Industry,Annual Revenue,Big Box Count,Small Box Count,"
    "Total Hardware Revenue,Total Consumable Revenue,GP24,Notes\n"
)
EDGE_ROWS = (
    '007,"Acme, Inc.",Retail,"$1,200.50",3,(2),1e3,.5,-300,=SUM(A1)\n'
    '0010,"Quote ""Q"" Co",Healthcare,(300),,-,  42  ,+7,"1 200",+cmd\n'
    'X-3,"Multi\nline",Education,n/a,0,0,-0,1.,$5,-300\n'
    "@id,Ünïcödé GmbH 株式会社,Energy,,1,1,2,3,4,@SUM\n"
    "C5,\tTabbed,Retail,€ 12,2,2,1.5e2,NaN,none,-x\n"
    'C6,"",Unknown,1234567.125,7,8,0.1,0.2,0.3,"a,b"\n'
)


def slow_read(path: Path):
    """Today's reader: pandas text reading and the core's number parsing."""
    raw = read_table(path)
    return raw, prepare_accounts(raw, where=path.name, first_row=raw.attrs[ROW_NUMBERS])


def assert_same_read(path: Path) -> None:
    fast = read_accounts_fast(path, min_bytes=0)
    assert fast is not None, "the fast engine should read this file"
    (fast_raw, fast_accounts), (raw, accounts) = fast, slow_read(path)
    pd.testing.assert_frame_equal(fast_raw, raw, check_exact=True)
    np.testing.assert_array_equal(fast_raw.attrs[ROW_NUMBERS], raw.attrs[ROW_NUMBERS])
    pd.testing.assert_frame_equal(fast_accounts.frame, accounts.frame, check_exact=True)
    assert fast_accounts.source_columns == accounts.source_columns
    assert fast_accounts.warnings == accounts.warnings


def scored_table(raw: pd.DataFrame, accounts) -> pd.DataFrame:
    scored = score_accounts(accounts, Settings())
    result = raw.drop(columns=[c for c in SCORE_COLUMNS if c in raw.columns])
    return result.join(scored[list(SCORE_COLUMNS)])


def assert_same_write(frame: pd.DataFrame, folder: Path) -> None:
    fast, slow = folder / "fast.csv", folder / "slow.csv"
    assert write_csv_fast(frame, fast, min_rows=0)
    neutralize_formulas(frame).to_csv(slow, index=False, float_format=None)
    assert fast.read_bytes() == slow.read_bytes()


def test_edge_cases_read_and_write_as_today(tmp_path: Path) -> None:
    path = tmp_path / "edge.csv"
    path.write_bytes((HEADER + EDGE_ROWS).encode("utf-8"))
    assert_same_read(path)
    raw, accounts = read_accounts_fast(path, min_bytes=0)
    assert list(accounts.frame["customer_id"][:2]) == ["007", "0010"]
    revenue = accounts.frame["annual_revenue"].to_numpy()
    assert revenue[0] == 1200.5 and revenue[1] == -300.0 and np.isnan(revenue[2])
    assert list(raw["Notes"][:2]) == ["=SUM(A1)", "+cmd"]  # neutralized only when written
    assert_same_write(scored_table(raw, accounts), tmp_path)


@pytest.mark.parametrize("separator", [",", ";", "\t"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_sample_accounts_match_today(tmp_path: Path, separator: str, bom: bytes) -> None:
    path = tmp_path / "accounts.csv"
    text = make_sample_accounts(3000, seed=7).to_csv(index=False, sep=separator)
    path.write_bytes(bom + text.replace("\n", "\r\n" if separator == ";" else "\n").encode())
    assert_same_read(path)
    raw, accounts = read_accounts_fast(path, min_bytes=0)
    assert_same_write(scored_table(raw, accounts), tmp_path)


@pytest.mark.parametrize(
    "content",
    [
        (HEADER + EDGE_ROWS).encode("cp1252", errors="replace"),  # not UTF-8
        (HEADER + EDGE_ROWS).encode("utf-16"),
        (HEADER + "\n" + EDGE_ROWS).encode(),  # a blank line
        (HEADER + ",,,,,,,,,\n" + EDGE_ROWS).encode(),  # a cleared row
        (HEADER + "C9,Short row\n").encode(),  # fewer cells than the header
        (HEADER + EDGE_ROWS).replace("\n", "\r").encode(),  # old Mac line ends
        b"\n" + (HEADER + EDGE_ROWS).encode(),  # blank first line
        (HEADER.replace("GP24", "Industry") + EDGE_ROWS).encode(),  # repeated header
    ],
)
def test_files_it_cannot_read_identically_go_to_todays_reader(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_bytes(content)
    assert read_accounts_fast(path, min_bytes=0) is None


def test_small_files_keep_todays_reader(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_bytes((HEADER + EDGE_ROWS).encode())
    assert read_accounts_fast(path) is None
    frame = make_sample_accounts(50)
    assert not write_csv_fast(frame, tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize(
    ("cell", "later"), [("12 apples", "n/a"), ("1e300", "n/a"), ("abc", "xyz")]
)
def test_unreadable_numbers_give_todays_message(tmp_path: Path, cell: str, later: str) -> None:
    path = tmp_path / "accounts.csv"
    path.write_bytes((HEADER + EDGE_ROWS.replace("(300)", cell).replace("n/a", later)).encode())
    with pytest.raises(IcpError) as fast:
        read_accounts_fast(path, min_bytes=0)
    with pytest.raises(IcpError) as slow:
        slow_read(path)
    assert str(fast.value) == str(slow.value)
    assert "column 'Annual Revenue'" in str(fast.value) and f"'{cell}'" in str(fast.value)


def test_floats_are_written_as_pandas_writes_them(tmp_path: Path) -> None:
    generator = np.random.default_rng(3)
    values = np.concatenate(
        [
            [1.0, 0.5, -0.0, 0.0, 1e-4, 9.99e-5, 1e-05, 1e16, 9999999999999998.0, 1e15],
            [5e-324, 1.7976931348623157e308, np.inf, -np.inf, np.nan, 0.1 + 0.2, 100.0],
            generator.standard_normal(3000) * 10.0 ** generator.integers(-12, 22, 3000),
            np.round(generator.random(3000) * 1e6, 2),
        ]
    )
    lines = pd.Series(values).to_csv(index=False, header=False).splitlines()
    expected = ["" if line == '""' else line for line in lines]  # a lone blank cell is quoted
    assert format_floats(values).to_pylist() == expected
    frame = pd.DataFrame({"ID": [f"C{i}" for i in range(len(values))], "x": values})
    frame["n"] = np.arange(len(values), dtype=np.int64) - 5
    assert_same_write(frame, tmp_path)


def test_mixed_text_and_number_columns_keep_todays_writer(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": ["x", 1, None], "b": [1.0, 2.0, 3.0]}, dtype=object)
    frame["b"] = frame["b"].astype(float)
    assert not write_csv_fast(frame, tmp_path / "out.csv", min_rows=0)


@pytest.mark.parametrize(
    "line",
    ['C1,ab"c,Retail,5\n', 'C1,"ab"c,Retail,5\n', 'C1,"a""b",Retail,5\r\n', 'C1,x,Retail,"5"'],
)
def test_stray_and_doubled_quotes_read_as_today(tmp_path: Path, line: str) -> None:
    path = tmp_path / "accounts.csv"
    path.write_bytes(f"Customer ID,Company Name,Industry,Annual Revenue\n{line}".encode())
    assert_same_read(path)


def test_decimal_commas_and_column_map_follow_the_core(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"ID;Firm;Branche;Revenue\r\nA1;X;Retail;1.234,50\r\nA2;Y;Energy;2.000,00\r\n")
    column_map = {"industry": "Branche", "annual_revenue": "Revenue"}
    fast = read_accounts_fast(path, column_map, min_bytes=0)
    raw = read_table(path, column_map)
    slow = prepare_accounts(raw, path.name, raw.attrs[ROW_NUMBERS], column_map)
    pd.testing.assert_frame_equal(fast[1].frame, slow.frame, check_exact=True)
    assert fast[1].decimal_comma == slow.decimal_comma and fast[1].parsed == slow.parsed


def test_title_rows_above_the_header_go_to_todays_reader(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_bytes(("Accounts export,,,,,,,,,\n" + HEADER + EDGE_ROWS).encode())
    assert read_accounts_fast(path, min_bytes=0) is None


def test_cells_are_quoted_as_pandas_quotes_them_across_blocks_of_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Cells with separators, quotes and line breaks (a carriage return is quoted as the
    # running Python's csv writer quotes it), in blocks of rows joined on threads.
    monkeypatch.setattr(fast_csv, "_WRITE_CHUNK_ROWS", 3)
    names = ['Acme, "Inc"', "plain", "two\nlines", "cr\rhere", "\x01\x02\x03\x04 bell\x07"]
    frame = pd.DataFrame({"name": names * 3, "score": np.linspace(0, 1, 15)})
    frame["note"] = ["x,y", "\x05", "", "=1+2", "ok"] * 3
    assert_same_write(frame, tmp_path)


def test_text_holding_every_byte_value_is_joined_right(tmp_path: Path) -> None:
    every = "".join(chr(b) for b in range(1, 256))  # control characters, Latin-1
    frame = pd.DataFrame({"name": [f"a,{every}", "b", every], "score": [0.5, 1.0, 2.0]})
    assert_same_write(frame, tmp_path)
