"""Accounts import (SPEC §3): aliases, number text, and every bad-input case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import (
    ACCOUNT_COLUMNS,
    header_key,
    match_columns,
    parse_numbers,
    prepare_accounts,
)
from icp_xl.files.tables import neutralize_formulas, read_accounts


def _table(**columns) -> pd.DataFrame:
    base = {"Customer ID": ["a", "b"], "Industry": ["Dental", ""]}
    base.update(columns)
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    ("header", "field"),
    [(alias, c.field) for c in ACCOUNT_COLUMNS for alias in (c.header, *c.aliases)]
    + [
        ("CUSTOMER  id", "customer_id"),
        ("annual_revenue", "annual_revenue"),
        ("GP 24", "gp24"),
        ("Industry_Sub_List", "industry"),
        ("total_hardware_+_consumable_revenue", "target_revenue"),
    ],
)
def test_every_alias_matches(header, field):
    mapping, _ = match_columns([header])
    assert mapping[field] == header


def test_header_key_ignores_case_spaces_underscores():
    assert header_key(" Company_Name ") == header_key("company name") == "companyname"


def test_canonical_header_wins_over_alias_with_warning():
    raw = pd.DataFrame({"id": ["x"], "Customer ID": ["a"], "Industry": ["Dental"]})
    accounts = prepare_accounts(raw)
    assert accounts.frame["customer_id"].tolist() == ["a"]
    assert any("ignoring 'id'" in w for w in accounts.warnings)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("$1,200.50", 1200.5),
        ("1 200", 1200.0),
        ("(300)", -300.0),
        ("-300", -300.0),
        (" 42 ", 42.0),
        ("$-5", -5.0),
        ("-$5", -5.0),
        ("1,234,567", 1234567.0),
        ("1e3", 1000.0),
        ("", np.nan),
        ("N/A", np.nan),
        ("-", np.nan),
        (".5", 0.5),
        ("1\u00a0000", 1000.0),
        ("€7", 7.0),
        ("($1,000.25)", -1000.25),
    ],
)
def test_number_text(text, value):
    parsed = parse_numbers(pd.Series(["1", text]), "GP24", "f.csv")
    np.testing.assert_equal(parsed.iloc[1], value)


@pytest.mark.parametrize("text", ["abc", "12abc", "(300", "1,2,3", "$", "--5", "inf", "1.2.3"])
def test_unreadable_number_names_column_row_value(text):
    with pytest.raises(IcpError) as error:
        parse_numbers(pd.Series(["1", "2", text]), "GP24", "accounts.csv")
    message = str(error.value)
    assert "accounts.csv" in message and "'GP24'" in message and "row 4" in message
    assert repr(text) in message or text in message


def test_many_bad_cells_are_counted():
    with pytest.raises(IcpError, match=r"3 cells are not numbers, rows 2 \('x'\), 3 \('y'\), 5"):
        parse_numbers(pd.Series(["x", "y", "1", "z"]), "GP24", "f.csv")


def test_one_decimal_comma_cell_in_a_decimal_point_column_is_the_one_named():
    """199 cells such as '537397000.0' and one 'EUR 1.234,56': the column is read with a
    decimal point and the message names the odd cell, not the 199 good ones."""
    texts = [f"{1000 * i}.5" for i in range(1, 200)]
    texts.insert(57, "EUR 1.234,56")
    with pytest.raises(IcpError) as error:
        parse_numbers(pd.Series(texts), "Annual Revenue", "crm.csv")
    assert str(error.value) == (
        "crm.csv, column 'Annual Revenue', row 59: not a number ('EUR 1.234,56')"
    )


def test_bool_and_date_cells_are_errors():
    with pytest.raises(IcpError, match="row 3"):
        parse_numbers(pd.Series([1, True], dtype=object), "GP24", "s")
    with pytest.raises(IcpError, match="row 2"):
        parse_numbers(pd.Series([pd.Timestamp("2024-01-01"), 1], dtype=object), "GP24", "s")


def test_duplicate_ids_are_listed():
    raw = pd.DataFrame({"Customer ID": ["a", "b", "a", "c", "b"], "Industry": [""] * 5})
    with pytest.raises(IcpError, match=r"duplicated: 'a' \(rows 2, 4\); 'b' \(rows 3, 6\)"):
        prepare_accounts(raw)


def test_blank_id_names_row():
    raw = pd.DataFrame({"Customer ID": ["a", " "], "Industry": ["", ""]})
    with pytest.raises(IcpError, match="row 3: a Customer ID is required"):
        prepare_accounts(raw)


def test_numeric_ids_become_text():
    raw = pd.DataFrame({"Customer ID": [1001.0, 7], "Industry": ["", ""]}, dtype=object)
    assert prepare_accounts(raw).frame["customer_id"].tolist() == ["1001", "7"]


@pytest.mark.parametrize("missing", ["Customer ID", "Industry"])
def test_required_columns(missing):
    raw = _table().drop(columns=[missing])
    with pytest.raises(IcpError, match=f"no '{missing}' column"):
        prepare_accounts(raw)


def test_empty_table():
    with pytest.raises(IcpError, match="no accounts"):
        prepare_accounts(pd.DataFrame({"Customer ID": [], "Industry": []}))


def test_missing_optional_columns_warn_once_per_effect():
    """One warning per effect: the three software columns together, the boxes together
    with Printer Count, target with hardware and consumable revenue."""
    accounts = prepare_accounts(_table())
    missing_warnings = [w for w in accounts.warnings if "has no" in w]
    assert len(missing_warnings) == 7
    assert any("'Annual Revenue' column: annual revenue is unknown" in w for w in missing_warnings)
    assert any("relationship is 0 for every account" in w for w in missing_warnings)
    assert accounts.frame["annual_revenue"].isna().all()
    assert (accounts.frame["gp24"] == 0).all()


def test_box_columns_do_not_matter_when_printer_count_is_there():
    accounts = prepare_accounts(_table(**{"Printer Count": [1, 2]}))
    assert not any("Box Count" in w for w in accounts.warnings)


def test_printer_count_falls_back_to_box_sum_per_cell():
    raw = _table(
        **{"Big Box Count": [1, 2], "Small Box Count": [3, 4], "Printer Count": [10, None]}
    )
    assert prepare_accounts(raw).frame["printer_count"].tolist() == [10.0, 6.0]
    raw = _table(**{"Big Box Count": [1, 2], "Small Box Count": [3, None]})
    assert prepare_accounts(raw).frame["printer_count"].tolist() == [4.0, 2.0]


def test_target_defaults_to_hardware_plus_consumables():
    raw = _table(**{"Total Hardware Revenue": [1, 2], "Total Consumable Revenue": [10, 20]})
    assert prepare_accounts(raw).frame["target_revenue"].tolist() == [11.0, 22.0]


def test_csv_file_round_trip(tmp_path):
    path = tmp_path / "acc.csv"
    path.write_text('customer_id,vertical,revenue_estimate,GP24\n007,High Tech,"$1,000",(5)\n')
    raw, accounts = read_accounts(path)
    assert raw["customer_id"].tolist() == ["007"]  # text kept exactly
    row = accounts.frame.iloc[0]
    assert (row["customer_id"], row["industry"], row["annual_revenue"], row["gp24"]) == (
        "007",
        "High Tech",
        1000.0,
        -5.0,
    )


def test_csv_bad_value_names_file(tmp_path):
    path = tmp_path / "acc.csv"
    path.write_text("Customer ID,Industry,GP24\na,x,1\nb,y,lots\n")
    with pytest.raises(IcpError, match=r"acc.csv, column 'GP24', row 3: not a number \('lots'\)"):
        read_accounts(path)


@pytest.mark.parametrize("content", ["", "\n"])
def test_empty_csv(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_text(content)
    with pytest.raises(IcpError, match="empty"):
        read_accounts(path)


def test_header_only_csv(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("Customer ID,Industry\n")
    with pytest.raises(IcpError, match="no accounts"):
        read_accounts(path)


def test_xlsx_reads_accounts_sheet(tmp_path):
    book = Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("Accounts")
    sheet.append(["ID", "Industry", "Annual Revenue"])
    sheet.append([12, "Dental", "$2,000"])
    sheet.append([None, None, None])
    sheet.append([13, None, 5])
    path = tmp_path / "a.xlsx"
    book.save(path)
    _, accounts = read_accounts(path)
    assert accounts.frame["customer_id"].tolist() == ["12", "13"]
    assert accounts.frame["annual_revenue"].tolist() == [2000.0, 5.0]


def test_unsupported_and_missing_files(tmp_path):
    with pytest.raises(IcpError, match="File not found"):
        read_accounts(tmp_path / "nope.csv")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(IcpError, match="unsupported file type"):
        read_accounts(tmp_path / "x.json")
    (tmp_path / "bad.xlsx").write_text("not a zip")
    with pytest.raises(IcpError, match="not a readable Excel workbook"):
        read_accounts(tmp_path / "bad.xlsx")


def test_atomic_write_keeps_file_on_error_and_sets_normal_permissions(tmp_path):
    import os

    from icp_xl.files.atomic import atomic_write

    target = tmp_path / "out.txt"
    atomic_write(target, lambda tmp: tmp.write_text("one"))
    assert target.read_text() == "one"
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()

    def fail(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, fail)
    assert target.read_text() == "one"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    os.chmod(target, 0o600)
    atomic_write(target, lambda tmp: tmp.write_text("two"))
    assert target.stat().st_mode & 0o777 == 0o600


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_repeated_header_names_its_columns(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Customer ID", "Industry", "GP24", "Industry"])
    sheet.append(["a", "Dental", 1, "Energy"])
    path = tmp_path / "dup.xlsx"
    book.save(path)
    with pytest.raises(
        IcpError, match=r"header 'Industry' appears in more than one column \(B and D\)"
    ):
        read_accounts(path)


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        ("Customer ID;Industry;GP24\na;Défense;1\n", "utf-8"),
        ("Customer ID\tIndustry\tGP24\na\tDéfense\t1\n", "utf-8"),
        ("Customer ID,Industry,GP24\na,Défense,1\n", "cp1252"),
        ("\ufeffCustomer ID,Industry,GP24\na,Défense,1\n", "utf-8"),
    ],
)
def test_csv_as_excel_saves_it(tmp_path, content, encoding):
    path = tmp_path / "excel.csv"
    path.write_bytes(content.encode(encoding))
    _, accounts = read_accounts(path)
    row = accounts.frame.iloc[0]
    assert (row["customer_id"], row["industry"], row["gp24"]) == ("a", "Défense", 1.0)


def test_formula_neutralizing_catches_tab_and_cr_but_keeps_numbers():
    frame = pd.DataFrame(
        {"text": ["\t-1", "\r=1", "-300", "+1.5e3", "-", "@SUM(A1)", "- 5", "plain"]}
    )
    assert neutralize_formulas(frame)["text"].tolist() == [
        "'\t-1",
        "'\r=1",
        "-300",
        "+1.5e3",
        "'-",
        "'@SUM(A1)",
        "'- 5",
        "plain",
    ]
