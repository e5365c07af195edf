"""The fast paths give exactly what the code they replace gives: the Arrow paths of the
accounts reader and CSV writer against pandas (plain numbers, stripped text, duplicate
IDs, industries, float text, quoting and formula neutralization), and the Spearman of
the rescore KPIs against scipy.stats."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import assume, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from scipy.stats import rankdata, spearmanr

from icp_xl.core.inputs import numbers
from icp_xl.core.inputs.accounts import _all_distinct, _text_column, prepare_accounts
from icp_xl.core.inputs.arrow_text import arrow_text, edge_bytes, has_byte, only_bytes
from icp_xl.core.inputs.industries import BLANK, UNMATCHED, industry_codes, resolve_industries
from icp_xl.core.inputs.numbers import plain_numbers, read_number_column
from icp_xl.core.inputs.sample import make_sample_accounts
from icp_xl.core.insight.quality import _industry_findings
from icp_xl.core.model.scoring import grades, score_accounts, segments
from icp_xl.core.model.settings import Settings
from icp_xl.core.optimization.objective import average_ranks, spearman
from icp_xl.files.fast_csv import _filled_rows, format_floats, read_accounts_fast, write_csv_fast
from icp_xl.files.tables import ROW_NUMBERS, neutralize_formulas
from tests.test_fast_csv import assert_same_read

# Text held in Arrow (pandas 3's default "str"; "string[pyarrow]" on pandas 2 too) and
# text held as Python objects.
ARROW_TEXT = pd.StringDtype("pyarrow")
TEXT_DTYPES = ["str", ARROW_TEXT, object]
PANDAS_2 = int(pd.__version__.split(".")[0]) < 3
# Cells where pd.to_numeric and a naive cast part ways, or depend on the other cells.
NUMBER_EDGES = [
    "-0", "-0.0", "-00", "0", "0.0", "", " ", "1e5", "1E-3", " 7", "7 ", "+5", "007", "-.5",
    "5.", ".", "-", "--5", "1-2", "1.2.3", "inf", "-inf", "nan", "NaN", "$1,200", "1,5",
    "1.234,56", "(300)", "12.5M", "99999999999999999999", "18446744073709551616",
    "123456789012.3456789", "1234567890123456", "999999999999999", "0x10", "1_000",
    "١٢", "٣.٥", "12\u00a0", "-0e0",
]  # fmt: skip
plain_text = st.from_regex(r"-?[0-9]{0,17}\.?[0-9]{0,8}", fullmatch=True)
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)
cells = st.one_of(st.sampled_from(NUMBER_EDGES), plain_text, any_text)


def to_numeric(texts: pd.Series) -> np.ndarray:
    """What the reader used before the Arrow path."""
    return pd.to_numeric(texts, errors="coerce").to_numpy(dtype=float)


def assert_same_floats(got: np.ndarray, expected: np.ndarray) -> None:
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    known = ~np.isnan(expected)
    np.testing.assert_array_equal(got[known], expected[known])
    np.testing.assert_array_equal(np.signbit(got[known]), np.signbit(expected[known]))


@examples(max_examples=300, deadline=None)
@given(st.lists(cells, min_size=1, max_size=30), st.sampled_from(TEXT_DTYPES))
def test_plain_numbers_are_exactly_what_to_numeric_reads(texts: list[str], dtype) -> None:
    if PANDAS_2:  # its to_numeric reads '000000000000000001' as 0 among decimals, 1 alone
        assume(not any(re.fullmatch(r"\s*[+-]?[0-9]{18,}\s*", t) for t in texts))
    series = pd.Series(texts, dtype=dtype)
    assert_same_floats(plain_numbers(series), to_numeric(series))


@pytest.mark.parametrize(
    "texts",
    [
        ["-0", "1"],  # to_numeric: +0.0 among whole numbers...
        ["-0", "1.5"],  # ...and -0.0 among decimals
        ["-00", "", "3"],
        ["-0.0", "2"],
        ["5", "-0", "x"],
        ["1", "2", "3"],
        ["1.5", "", "-2.25", "7."],
        ["123456789012345", "1234567890123456"],
    ],
)
def test_plain_numbers_follow_to_numeric_on_negative_zero_and_long_cells(texts) -> None:
    for dtype in TEXT_DTYPES:
        series = pd.Series(texts, dtype=dtype)
        assert_same_floats(plain_numbers(series), to_numeric(series))


def number_columns(values: list[str | None]) -> list[numbers.NumberColumn]:
    return [read_number_column(pd.Series(values, dtype=d)) for d in TEXT_DTYPES]


@examples(max_examples=200, deadline=None)
@given(st.lists(st.one_of(cells, st.none()), min_size=1, max_size=25))
def test_number_columns_read_as_with_to_numeric(values: list[str | None]) -> None:
    """read_number_column with the Arrow path equals read_number_column with the
    pandas plain-number reader and comma test it had before."""
    fast = number_columns(values)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(numbers, "plain_numbers", to_numeric)
        patch.setattr(
            numbers, "_has_comma", lambda t: t.str.contains(",", regex=False).to_numpy(bool)
        )
        before = number_columns(values)
    for got, expected in zip(fast, before, strict=True):
        assert_same_floats(got.values, expected.values)
        np.testing.assert_array_equal(got.bad, expected.bad)
        np.testing.assert_array_equal(got.from_text, expected.from_text)
        assert got.decimal_comma == expected.decimal_comma


TEXT_EDGES = ["\x00\r", " a", "a ", "\ta\t", "a\xa0", "\u2003b", "\x1cc\x1f", "é ", " 株", ""]


@examples(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(TEXT_EDGES), any_text, st.none()), max_size=20))
def test_arrow_text_columns_are_stripped_as_str_strip(values: list[str | None]) -> None:
    arrow = _text_column(pd.Series(values, dtype=ARROW_TEXT))
    python = _text_column(pd.Series(values, dtype=object))
    assert arrow.tolist() == python.tolist()
    assert arrow.tolist() == ["" if v is None else v.strip() for v in values]


@examples(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["C1", "C2", "C3", "", "c1", "C1 "]), max_size=8))
def test_duplicate_ids_are_found_as_pandas_finds_them(ids: list[str]) -> None:
    series = pd.Series(ids, dtype=ARROW_TEXT)
    assert _all_distinct(series) == (not series.duplicated().any())
    assert not _all_distinct(series.astype(object))  # pandas decides for Python text


def test_industry_codes_match_for_arrow_and_python_text() -> None:
    values = ["Retail", None, "retail ", "Energy", "Retail", ""]
    arrow_codes, arrow_names = industry_codes(pd.Series(values, dtype=ARROW_TEXT))
    python_codes, python_names = industry_codes(pd.Series(values, dtype=object))
    np.testing.assert_array_equal(arrow_codes, python_codes)
    assert list(arrow_names) == list(python_names) == ["Retail", "", "retail ", "Energy"]


def test_byte_checks_see_every_cell_of_every_chunk() -> None:
    series = pd.Series(["12", "", None, "-3.5", "é,"], dtype=ARROW_TEXT)
    array = arrow_text(series.iloc[1:])  # an offset into the buffers
    assert not only_bytes(array, b"0123456789.-")
    assert has_byte(array, b",") and not has_byte(arrow_text(series.iloc[:4]), b",")
    first, last = edge_bytes(array)
    assert first.tolist() == [0, 0, ord("-"), 0xC3] and last.tolist() == [0, 0, ord("5"), 44]


def test_accounts_with_negative_zeros_read_as_before(tmp_path: Path) -> None:
    raw = pd.DataFrame(
        {
            "Customer ID": ["A", "B", "C"],
            "Industry": ["Retail", "Energy", "Retail"],
            "Annual Revenue": ["-0", "5", "7"],
            "GP24": ["-0", "1.5", ""],
        },
        dtype=ARROW_TEXT,
    )
    accounts = prepare_accounts(raw)
    revenue, gp24 = accounts.frame["annual_revenue"], accounts.frame["gp24"]
    assert not np.signbit(revenue.iloc[0]) and np.signbit(gp24.iloc[0])  # as to_numeric


def test_few_valued_float_columns_are_written_value_by_value() -> None:
    generator = np.random.default_rng(5)
    choices = np.array([0.0, 0.3, 1.0, 0.55, np.nan, 1e-05, 1e16, 2.5e-7, 123456.0])
    values = generator.choice(choices, 5000)
    lines = pd.Series(values).to_csv(index=False, header=False).splitlines()
    expected = ["" if line == '""' else line for line in lines]
    assert format_floats(values).to_pylist() == expected
    values[17] = -0.0  # factorizing would merge -0.0 with 0.0
    assert format_floats(values).to_pylist()[17] == "-0.0"


def test_formula_and_quote_checks_match_the_pandas_writer(tmp_path: Path) -> None:
    cells = ["-١٢", "-12", "=1+1", "+x", "@a", "\tb", "-", "a,b", 'q"q', "plain", "-1e5", ""]
    frame = pd.DataFrame(
        {"text": pd.Series(cells * 50, dtype=ARROW_TEXT), "n": np.arange(len(cells) * 50) * 0.5}
    )
    fast, slow = tmp_path / "fast.csv", tmp_path / "slow.csv"
    assert write_csv_fast(frame, fast, min_rows=0)
    neutralize_formulas(frame).to_csv(slow, index=False)
    assert fast.read_bytes() == slow.read_bytes()


def industry_findings_per_account(industry: pd.Series, settings: Settings):
    """The Data Quality industry findings counted account by account, as the report
    counted them before it worked on distinct industries."""
    resolved = resolve_industries(industry, settings)
    text = pd.Series(industry.to_numpy(dtype=object)).fillna("").astype(str).str.strip()
    how = pd.Series(resolved.how)
    unmatched = text[how == UNMATCHED].value_counts(sort=False)
    unmatched = unmatched.sort_values(ascending=False, kind="stable")
    mapped = pd.Series(resolved.label)[how == "map"].groupby(text[how == "map"])
    mapped = mapped.agg(["first", "size"])
    return (
        int((how == "table").sum()),
        [(s, row["first"], int(row["size"])) for s, row in mapped.iterrows()],
        [(s, int(c)) for s, c in unmatched.items()],
        int((how == BLANK).sum()),
    )


INDUSTRIES = ["Retail", "retail ", " Energy", "High Tech", "Hi-Tech", "hightech", "", "Zoo", "zoo"]


@examples(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(INDUSTRIES), st.none()), min_size=1, max_size=40))
def test_industry_findings_count_as_account_by_account(values: list[str | None]) -> None:
    options = Settings(industry_map={"Hi-Tech": "High Tech", "Hightech": "High Tech"})
    for dtype in TEXT_DTYPES:
        industry = pd.Series(values, dtype=dtype)
        findings, _ = _industry_findings(industry, options)
        table, mapped, unmatched, blank = industry_findings_per_account(industry, options)
        assert findings[0].count == table
        rows = [(f.check, f.item, f.count) for f in findings[1:]]
        expected = [("Industries", s, n) for s, _, n in mapped]
        expected += [("Unmatched industry", s, n) for s, n in unmatched]
        expected += [("Unmatched industry", "(blank)", blank)] if blank else []
        assert rows == expected
        labels = [f.detail for f in findings[1 : 1 + len(mapped)]]
        assert labels == [f"Industry map: counted as {label}" for _, label, _ in mapped]


def test_grade_and_segment_columns_equal_the_label_arrays() -> None:
    frame = make_sample_accounts(3000, seed=4)
    accounts = prepare_accounts(frame)
    scored = score_accounts(accounts, Settings())
    expected = pd.DataFrame(index=scored.index)
    expected["ICP_grade"] = grades(scored["ICP_score"].to_numpy(), Settings())
    expected["customer_segment"] = segments(accounts.frame["annual_revenue"], Settings())
    pd.testing.assert_frame_equal(scored[["ICP_grade", "customer_segment"]], expected)


def test_rows_of_quoted_empty_cells_are_skipped_with_their_row_numbers(tmp_path: Path) -> None:
    lines = make_sample_accounts(40, seed=2).to_csv(index=False).splitlines(keepends=True)
    empty = '""' + "," * (lines[0].count(",")) + "\n"
    path = tmp_path / "accounts.csv"
    path.write_text("".join(lines[:31] + [empty] + lines[31:]), encoding="utf-8")
    assert_same_read(path)
    raw, _ = read_accounts_fast(path, min_bytes=0)
    assert list(raw.attrs[ROW_NUMBERS]) == [*range(2, 32), *range(33, 43)]  # row 32 is empty
    body = pa.table({"a": ["", "x", "", ""], "b": ["", "", "y", ""]})
    assert _filled_rows(body).tolist() == [1, 2]


@examples(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 6), st.floats(-1e6, 1e6)), min_size=2, max_size=60),
    st.booleans(),
)
def test_spearman_is_scipys_spearmanr_without_importing_it(pairs, ties: bool) -> None:
    x = np.array([float(a) if ties else b for a, b in pairs])
    y = np.array([b for _, b in pairs])
    np.testing.assert_array_equal(average_ranks(x), rankdata(x, method="average"))
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        assert spearman(x, y) == 0.0
    else:
        assert spearman(x, y) == float(spearmanr(x, y).statistic)  # the same double
    y[0] = np.nan
    assert np.isnan(spearman(x, y)) or np.ptp(x) == 0


SHEET_CELLS = [1.5, 2, np.float64(3.25), np.int64(4), None, np.nan, "7", "x", True, 1e300, np.inf]


@examples(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(SHEET_CELLS), min_size=1, max_size=20))
def test_sheet_number_columns_read_as_cell_by_cell(cells: list) -> None:
    """A column of numbers as a sheet gives them (Python objects, no text) reads as when
    every cell was looked at one by one."""
    fast = read_number_column(pd.Series(cells, dtype=object))
    with pytest.MonkeyPatch.context() as patch:  # no column kind: the cell-by-cell path
        patch.setattr(numbers.pd.api.types, "infer_dtype", lambda *a, **k: "mixed")
        before = read_number_column(pd.Series(cells, dtype=object))
    assert_same_floats(fast.values, before.values)
    np.testing.assert_array_equal(fast.bad, before.bad)
    np.testing.assert_array_equal(fast.from_text, before.from_text)


def test_freed_memory_goes_back_to_glibc_without_looking_for_the_library() -> None:
    """On Linux with glibc, malloc_trim is found among the process's own symbols (no
    ldconfig run, which cost 25 ms of every command) and releasing memory works."""
    import platform
    import sys

    from icp_xl.files import memory

    if not (sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"):
        pytest.skip("malloc_trim is glibc's")
    assert memory._trim() is not None
    memory.release_free_memory()


def test_resident_memory_is_read_as_the_kernel_reports_it() -> None:
    """What decides whether freed pages go back (a small process keeps them)."""
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("/proc is Linux's")
    from icp_xl.files import memory

    with open("/proc/self/status") as status:
        kernel = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    assert abs(memory.resident_bytes() - kernel * 1024) < 16 << 20


def test_text_cells_with_nothing_to_strip_are_not_copied() -> None:
    """A column of Python texts (as the file host reads Accounts) keeps each cell's own
    text where there is nothing to strip: no second copy of every text (19 MB at 100,000
    accounts when pandas stripped them through Arrow)."""
    cells = ["Acme Corp", " Globex ", None, "Initech"]
    stripped = _text_column(pd.Series(cells, dtype=object)).tolist()
    assert stripped == ["Acme Corp", "Globex", "", "Initech"]
    assert stripped[0] is cells[0] and stripped[3] is cells[3]


@pytest.mark.parametrize("preset", [None, "mimalloc"])
def test_the_command_line_has_arrow_allocate_with_malloc(preset: str | None) -> None:
    """``icp-xl`` makes Arrow use the C library's allocator (whose free pages the file host
    hands back), unless the user chose a pool."""
    import os
    import subprocess
    import sys

    probe = (
        "import atexit, sys\n"
        "from icp_xl.cli import run\n"
        "def pool():\n"
        "    import pyarrow\n"
        "    print(pyarrow.default_memory_pool().backend_name)\n"
        "atexit.register(pool)\n"
        "sys.argv = ['icp-xl', '--version']\n"
        "run()\n"
    )
    environment = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if preset:
        environment["ARROW_DEFAULT_MEMORY_POOL"] = preset
    done = subprocess.run(
        [sys.executable, "-c", probe], env=environment, capture_output=True, text=True, check=True
    )
    assert done.stdout.split()[-1] == (preset or "system")
