"""A Salesforce-style CRM export through `icp-xl new`: column map, aliases, industry map,
CRM number text, title rows, and the Data Quality sheet and CLI warnings that report it."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from icp_xl.cli import main
from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import AccountsError, prepare_accounts
from icp_xl.core.inputs.columns import find_header_row, match_headers
from icp_xl.core.inputs.industries import industry_key, resolve_industries
from icp_xl.core.inputs.numbers import read_number_column
from icp_xl.core.model.scoring import score_accounts
from icp_xl.core.model.settings import Settings
from icp_xl.hosts.file.book import FileBook
from icp_xl.workbook import layout
from icp_xl.workbook.actions import rescore, validate

TITLE = "Accounts with Printers - ICP export"
HEADER = [
    "Account ID",  # alias of Customer ID
    "Account Name",  # alias of Company Name
    "Industry",
    "Annual Revenue",
    "Printers",  # alias of Printer Count
    "Consumables Spend",  # our Total Consumable Revenue, through --column
    "Software License Revenue",  # alias
    "SaaS Revenue",  # alias
    "Hardware Revenue",  # alias
    "Owner",  # not ours
]
# industry spelling -> (accounts, expected vertical score)
INDUSTRIES = {
    "aerospace and defense": (9, 1.0),  # the table's 'Aerospace & Defense'
    "HIGH TECH": (8, 1.0),
    "High Tech": (7, 1.0),
    "Medical Devices": (6, 1.0),  # Industry map
    "Automotive": (6, 1.0),  # Industry map
    "Education": (5, 0.4),  # Industry map
    "Électronique": (4, 0.3),  # unmatched
    "Unknown": (3, 0.3),  # unmatched
    "Basket Weaving": (2, 0.3),  # unmatched
}
UNMATCHED = {"Électronique": 4, "Unknown": 3, "Basket Weaving": 2}
# row index -> (text in the export, the number it means)
REVENUE_TEXT = {
    0: ("12.5M", 12.5e6),
    3: ("1.2K", 1200.0),
    5: ("3.4 bn", 3.4e9),
    8: ("$2,500,000", 2.5e6),
    11: ("EUR 40M", 40e6),
    14: ("USD 1,250,000.50", 1250000.5),
}
CONSUMABLE_TEXT = {2: ("$1,200.50", 1200.5), 7: ("(300)", -300.0)}
ZERO_REVENUE_ROWS = (20, 21)
BLANK_REVENUE_ROWS = (22, 23, 24)


def salesforce_export(path: Path) -> pd.DataFrame:
    """Write the export (title row, blank row, header in row 3) and return the same accounts
    under our canonical headers with the numbers they mean."""
    rng = np.random.default_rng(12)
    names = [name for name, (count, _) in INDUSTRIES.items() for _ in range(count)]
    n = len(names)
    revenue = np.round(rng.uniform(1e6, 2e9, n), -3)
    printers = rng.integers(0, 40, n).astype(float)
    consumables = np.round(rng.uniform(0, 90_000, n), 2)
    license_revenue = np.round(rng.uniform(0, 50_000, n), 2)
    saas = np.round(rng.uniform(0, 20_000, n), 2)
    hardware = np.round(rng.uniform(0, 200_000, n), 2)
    rows, canonical_revenue, canonical_consumables = [], revenue.copy(), consumables.copy()
    for i in range(n):
        revenue_text = f"{revenue[i]:.0f}"
        if i in REVENUE_TEXT:
            revenue_text, canonical_revenue[i] = REVENUE_TEXT[i]
        if i in ZERO_REVENUE_ROWS:
            revenue_text, canonical_revenue[i] = "0", 0.0
        if i in BLANK_REVENUE_ROWS:
            revenue_text, canonical_revenue[i] = "", np.nan
        consumable_text = f"{consumables[i]:.2f}"
        if i in CONSUMABLE_TEXT:
            consumable_text, canonical_consumables[i] = CONSUMABLE_TEXT[i]
        rows.append(
            [f"001A{i:05d}", f"Company {i}", names[i], revenue_text, f"{printers[i]:.0f}",
             consumable_text, f"{license_revenue[i]:.2f}", f"{saas[i]:.2f}",
             f"{hardware[i]:.2f}", "someone"]
        )  # fmt: skip
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([TITLE])
        writer.writerow([])
        writer.writerow(HEADER)
        writer.writerows(rows)
    return pd.DataFrame(
        {
            "Customer ID": [r[0] for r in rows],
            "Company Name": [r[1] for r in rows],
            "Industry": names,
            "Annual Revenue": canonical_revenue,
            "Printer Count": printers,
            "Total Consumable Revenue": canonical_consumables,
            "Total Software License Revenue": license_revenue,
            "Total SaaS Revenue": saas,
            "Total Hardware Revenue": hardware,
        }
    )


def sheet_rows(path: Path, sheet: str) -> list[list[object]]:
    workbook = openpyxl.load_workbook(path)
    rows = [list(row) for row in workbook[sheet].iter_rows(values_only=True)]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()  # formatted blank rows below the report
    return rows


@pytest.fixture(scope="module")
def crm_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`icp-xl new` on the export with one --column; its files, exit code and stderr."""
    folder = tmp_path_factory.mktemp("crm")
    export = folder / "salesforce_accounts.csv"
    canonical = salesforce_export(export)
    workbook = folder / "ICP.xlsx"
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(
            ["new", str(export), "-o", str(workbook),
             "--column", "Total Consumable Revenue=Consumables Spend"]
        )  # fmt: skip
    return {"export": export, "workbook": workbook, "canonical": canonical, "code": code,
            "stderr": err.getvalue()}  # fmt: skip


def warnings_of(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("icp-xl: warning: ")]


def test_new_scores_every_component_from_the_right_columns(crm_run):
    assert crm_run["code"] == 0, crm_run["stderr"]
    expected = score_accounts(prepare_accounts(crm_run["canonical"]), Settings())
    scores = pd.DataFrame(
        FileBook.open(crm_run["workbook"], for_writing=False).read_table("ScoresTable")
    )
    for column, field in (
        ("Vertical score", "vertical_score"),
        ("Size score", "size_score"),
        ("Adoption score", "adoption_score"),
        ("Relationship score", "relationship_score"),
        ("Raw score", "ICP_score_raw"),
        ("ICP score", "ICP_score"),
    ):
        assert scores[column].astype(float).tolist() == expected[field].tolist(), column
    assert (scores["Relationship score"].astype(float) > 0).sum() > 40  # software columns read
    by_industry = scores.groupby("Industry")["Vertical score"].first().astype(float)
    for spelling, (_, score) in INDUSTRIES.items():
        assert by_industry[spelling] == score, spelling


def test_column_map_is_stored_and_used_by_the_next_rescore(crm_run, tmp_path):
    mapping = FileBook.open(crm_run["workbook"], for_writing=False).read_table("ColumnMap")
    pairs = dict(zip(mapping.iloc[:, 0], mapping.iloc[:, 1], strict=True))
    assert pairs["Total Consumable Revenue"] == "Consumables Spend"
    copy = tmp_path / "again.xlsx"
    copy.write_bytes(crm_run["workbook"].read_bytes())
    book = FileBook.open(copy)
    result = rescore(book)
    assert result.quality is not None
    columns = {f.item: f.detail for f in result.quality.findings if f.check == "Columns"}
    assert columns["Total Consumable Revenue"] == "'Consumables Spend' (column map)"
    assert columns["Customer ID"] == "'Account ID' (alias)"
    assert columns["Industry"] == "'Industry' (exact header)"


def test_cli_warnings_list_industries_missing_columns_and_parsed_values(crm_run):
    warnings = "\n".join(warnings_of(crm_run["stderr"]))
    listed = ", ".join(f"{name} ({count})" for name, count in UNMATCHED.items())
    assert f"3 industries (9 accounts) are in neither the vertical table nor the Industry map " \
        f"and score 0.3: {listed}" in warnings  # fmt: skip
    software = (
        "no 'Total Maintenance Revenue' column: software revenue (for relationship) is "
        "the sum of 'Total Software License Revenue' and 'Total SaaS Revenue' only"
    )
    assert software in warnings
    assert "no 'GP24' column: GP24 is 0 for every account" in warnings
    assert "no 'Total Hardware + Consumable Revenue'" not in warnings  # hardware+consumables
    assert "Box Count" not in warnings  # Printer Count is there
    for row, (text, _) in REVENUE_TEXT.items():
        assert f"row {row + 4} '{text}' -> " in warnings, text
    for row, (text, _) in CONSUMABLE_TEXT.items():
        assert f"row {row + 4} '{text}' -> " in warnings, text
    assert "the header was found in row 3 (rows 1-2 skipped as titles)" in warnings
    assert "5 accounts have unknown annual revenue (3 blank, 2 zero)" in warnings
    assert "Small Business" in warnings


def test_data_quality_sheet_lists_the_same(crm_run):
    rows = sheet_rows(crm_run["workbook"], layout.DATA_QUALITY)
    assert rows[0][0] == "Data quality of the accounts"
    assert rows[2][0] == "Last read" and rows[2][3] == 50
    assert rows[2][4] == "salesforce_accounts.csv: 50 accounts; 7 finding(s) marked Warning"
    assert rows[3] == ["Check", "Status", "Item", "Count", "Detail"]
    assert {r[1] for r in rows[4:]} == {"OK", "Note", "Warning"}
    findings = [[r[0], r[2], r[3], r[4]] for r in rows[4:]]
    for name, count in UNMATCHED.items():
        assert any(r[0] == "Unmatched industry" and r[1] == name and r[2] == count
                   for r in findings), name  # fmt: skip
    mapped = {r[1]: (r[2], r[3]) for r in findings if r[0] == "Industries"}
    assert mapped["Medical Devices"] == (
        6,
        "Industry map: counted as Medical Devices & Life Sciences",
    )
    missing = {r[1]: r[3] for r in findings if r[0] == "Missing column"}
    assert missing == {
        "Total Maintenance Revenue": "No 'Total Maintenance Revenue' column: software revenue "
        "(for relationship) is the sum of 'Total Software License Revenue' and 'Total SaaS "
        "Revenue' only",
        "GP24": "No 'GP24' column: GP24 is 0 for every account (GP24 figures on Dashboard and "
        "Segments)",
    }
    parsed = [r[3] for r in findings if r[0] == "Parsed from text"]
    for row, (text, value) in {**REVENUE_TEXT, **CONSUMABLE_TEXT}.items():
        shown = f"{value:,.2f}".rstrip("0").rstrip(".")
        assert f"Row {row + 4}: '{text}' read as {shown}" in parsed, text
    assert len(parsed) == len(REVENUE_TEXT) + len(CONSUMABLE_TEXT)
    header = [r for r in findings if r[1] == "Header row"]
    assert header[0][2] == 3 and "rows 1-2 above it were skipped" in header[0][3]
    unknown = {r[1]: r[2] for r in findings if r[0] == "Annual revenue"}
    assert unknown == {"Unknown (blank)": 3, "Unknown (zero)": 2}


def test_dashboard_industry_chart_groups_by_mapped_industry(crm_run):
    rows = sheet_rows(crm_run["workbook"], layout.CHART_DATA)
    labels = [r[c] for r in rows for c in range(len(r)) if isinstance(r[c], str)]
    assert "High Tech (15)" in labels  # 'HIGH TECH' (8) and 'High Tech' (7), one bar
    assert "Medical Devices & Life Sciences (6)" in labels
    assert not any(label.startswith("HIGH TECH") for label in labels)


def test_unknown_revenue_is_not_shown_as_zero_dollars(crm_run):
    workbook = openpyxl.load_workbook(crm_run["workbook"])
    scores = workbook[layout.SCORES]
    column = next(c for c in scores[1] if c.value == "Annual Revenue").column_letter
    zero = next(c for c in scores[column][1:] if c.value == 0)
    assert zero.number_format.endswith(';"unknown"')


def test_rows_typed_under_vertical_table_are_reported(crm_run, tmp_path):
    path = tmp_path / "typed.xlsx"
    path.write_bytes(crm_run["workbook"].read_bytes())
    workbook = openpyxl.load_workbook(path)
    settings = workbook[layout.SETTINGS]
    bottom = int(settings.tables[layout.VERTICAL_TABLE.name].ref.split(":")[1][1:])
    settings.cell(bottom + 1, 8, "Électronique")
    settings.cell(bottom + 1, 9, 0.9)
    workbook.save(path)
    result = validate(FileBook.open(path, for_writing=False))
    assert result.ok
    ignored = [w for w in result.warnings if "VerticalTable" in w]
    assert ignored == [
        f"1 row(s) below VerticalTable (Settings!H{bottom + 1}:I{bottom + 1}) were ignored: "
        "extend the table over them"
    ]
    assert main(["validate", str(path)]) == 0  # and it does not say "no warnings"


def test_an_industry_map_row_the_vertical_table_overrides_is_reported(crm_run, tmp_path):
    path = tmp_path / "shadowed.xlsx"
    path.write_bytes(crm_run["workbook"].read_bytes())
    before = validate(FileBook.open(path, for_writing=False))
    assert not [f for f in before.report.findings if f.check == "Industry map"]
    workbook = openpyxl.load_workbook(path)
    settings = workbook[layout.SETTINGS]
    industry_map = settings.tables[layout.INDUSTRY_MAP_TABLE.name].ref
    first = settings[industry_map][1]  # the map's first row: spelling, industry
    table = settings.tables[layout.VERTICAL_TABLE.name].ref
    verticals = [row[0].value for row in settings[table][1:3]]
    first[0].value, first[1].value = verticals[0].upper(), verticals[1]  # a table industry
    workbook.save(path)
    cell = f"{layout.SETTINGS}!{first[0].coordinate}"
    expected = (f"{cell} (Industry map): '{verticals[0].upper()}' is already an industry of the "
                f"vertical table, which wins: its accounts count as {verticals[0]}, not as "
                f"{verticals[1]}; the row is not used")  # fmt: skip
    result = validate(FileBook.open(path, for_writing=False))
    assert result.ok and expected in result.warnings
    assert main(["rescore", str(path)]) == 0
    sheet = openpyxl.load_workbook(path)[layout.DATA_QUALITY]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert ["Industry map", "Warning", verticals[0].upper(), None, expected] in rows


def test_validate_prints_the_report_and_never_no_problems_with_warnings(crm_run, capsys):
    assert main(["validate", str(crm_run["workbook"])]) == 0
    out = capsys.readouterr().out
    assert "Data Quality (as the next rescore will write it):" in out
    assert " !Unmatched industry: Électronique [4]" in out
    assert "no problems found" not in out
    assert f"{crm_run['workbook']}: 4 warning(s) to review; nothing stops scoring" in out


def test_old_workbook_gets_the_sheet_and_maps_on_rescore(crm_run, tmp_path):
    path = tmp_path / "old.xlsx"
    path.write_bytes(crm_run["workbook"].read_bytes())
    workbook = openpyxl.load_workbook(path)
    del workbook[layout.DATA_QUALITY]
    settings = workbook[layout.SETTINGS]
    for name in (layout.COLUMN_MAP_TABLE.name, layout.INDUSTRY_MAP_TABLE.name):
        top_left, bottom_right = settings.tables[name].ref.split(":")
        for row in settings[f"{top_left}:{bottom_right}"]:
            for cell in row:
                cell.value = None
        del settings.tables[name]
    for ref, _ in layout.MAP_CAPTIONS:
        settings[ref] = None
    workbook.save(path)
    assert validate(FileBook.open(path, for_writing=False)).ok  # the maps are optional
    # without its Column map the consumables header is not found: the map is needed
    assert main(["rescore", str(path)]) == 0
    rows = sheet_rows(path, layout.DATA_QUALITY)
    assert any(r[0] == "Missing column" and r[2] == "Total Consumable Revenue" for r in rows)
    book = FileBook.open(path, for_writing=False)
    assert book.read_table(layout.INDUSTRY_MAP_TABLE.name).shape[0] == len(
        layout.default_industry_map_rows()
    )
    assert book.read_table(layout.COLUMN_MAP_TABLE.name).shape[0] == len(
        layout.default_column_map_rows()
    )


# ---------------------------------------------------------------- the pure parts


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12.5M", 12.5e6),
        ("1.2K", 1200.0),
        ("3.4 bn", 3.4e9),
        ("2 million", 2e6),
        ("USD 1,000", 1000.0),
        ("1,000 EUR", 1000.0),
        ("£3.5m", 3.5e6),
        ("(2.5K)", -2500.0),
        ("1'250'000", 1250000.0),
        ("$-5M", -5e6),
    ],
)
def test_crm_number_text(text, value):
    read = read_number_column(pd.Series(["1", text], dtype=object))
    assert read.values[1] == pytest.approx(value, rel=1e-15)
    assert list(read.from_text) == [1] and not len(read.bad)


def test_decimal_comma_column():
    read = read_number_column(pd.Series(["1.234,56", "12,5", "EUR 3,4M", "7"], dtype=object))
    assert read.decimal_comma
    assert read.values.tolist() == [1234.56, 12.5, 3.4e6, 7.0]
    point = read_number_column(pd.Series(["1,234.56", "1,234"], dtype=object))
    assert not point.decimal_comma and point.values.tolist() == [1234.56, 1234.0]


@pytest.mark.parametrize("text", ["12.5Q", "M", "1.2.3M", "bn 3", "1,2,3", "USD"])
def test_unreadable_crm_text(text):
    assert list(read_number_column(pd.Series([text], dtype=object)).bad) == [0]


def test_every_problem_in_one_run_grouped_with_counts_and_rows():
    raw = pd.DataFrame(
        {
            "Account ID": ["a", "b", "a", "c", "", "d"],
            "Industry": [""] * 6,
            "Annual Revenue": ["1M", "lots", "2M", "many", "3M", "?"],
            "GP24": ["x", "1", "2", "3", "4", "5"],
        }
    )
    with pytest.raises(AccountsError) as error:
        prepare_accounts(raw, "crm.csv")
    problems = error.value.problems
    assert problems == (
        "crm.csv, column 'Annual Revenue': 3 cells are not numbers, rows 3 ('lots'), "
        "5 ('many'), 7 ('?')",
        "crm.csv, column 'GP24', row 2: not a number ('x')",
        "crm.csv, column 'Account ID', row 6: a Customer ID is required",
        "crm.csv: Customer IDs must be unique; duplicated: 'a' (rows 2, 4)",
    )
    assert str(error.value).startswith("4 problems: ")


def test_missing_required_column_names_accepted_headers_and_the_map():
    raw = pd.DataFrame({"Acct #": ["a"], "Industry": ["Dental"]})
    with pytest.raises(IcpError) as error:
        prepare_accounts(raw, "crm.csv")
    message = str(error.value)
    assert message == (
        "crm.csv has no 'Customer ID' column (found 'Acct #', 'Industry'; accepted Customer "
        "ID: Customer ID, Account ID, customer_id (+8 more)); map yours in the Settings "
        "Column map"
    )  # the command line adds its --column, on the commands that have it
    assert (
        error.value.for_options({"--column"}) == message + ' or with --column "Customer ID=YOURS"'
    )
    mapped = prepare_accounts(raw, "crm.csv", column_map={"customer_id": "Acct #"})
    assert mapped.frame["customer_id"].tolist() == ["a"]
    assert mapped.matches["customer_id"].how == "map"


def test_crm_aliases_of_the_three_exports():
    salesforce = ["Account ID", "Account Name", "Industry", "AnnualRevenue"]
    hubspot = ["Record ID", "Company name", "Industry", "Annual Revenue"]
    dynamics = ["accountid", "name", "industrycode", "revenue"]
    for headers in (salesforce, hubspot):
        fields = set(match_headers(headers).matches)
        assert fields == {"customer_id", "company_name", "industry", "annual_revenue"}, headers
    assert {"customer_id", "industry", "annual_revenue"} <= set(match_headers(dynamics).matches)


def test_header_row_found_below_titles():
    rows = [[TITLE], [], ["Exported 2024-05-01", None], HEADER, ["1", "x"]]
    assert find_header_row(rows) == 3
    assert find_header_row([["Customer ID", "Industry"], ["a", "b"]]) == 0
    assert find_header_row([["Nothing"], ["at all"]]) == 0


def test_industry_matching_ignores_case_accents_punctuation_and_and():
    assert industry_key("Aerospace and Défense") == industry_key(" AEROSPACE & DEFENSE ")
    assert industry_key("Mold, Tool & Die") == industry_key("mold tool and die")
    settings = Settings(industry_map={"Électronique": "High Tech"})
    resolved = resolve_industries(pd.Series(["electronique", "Dental", "", "Robotics"]), settings)
    assert resolved.how.tolist() == ["map", "table", "blank", "unmatched"]
    assert resolved.score.tolist() == [1.0, 0.6, 0.3, 0.3]
    assert resolved.label.tolist() == ["High Tech", "Dental", "", "Robotics"]
    with pytest.raises(IcpError, match="'Robotics', which is not in the vertical table"):
        Settings(industry_map={"Robots": "Robotics"})


def test_xlsx_export_with_title_rows_reads_from_its_header(tmp_path):
    from icp_xl.files.tables import read_accounts

    path = tmp_path / "hubspot.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([TITLE])
    sheet.append(["Exported by HubSpot"])
    sheet.append(["Record ID", "Company name", "Industry", "Annual Revenue"])
    sheet.append(["1", "A", "Dental", "2.5M"])
    sheet.append([None, None, None, None])
    sheet.append(["2", "B", "Dental", "lots"])
    workbook.save(path)
    with pytest.raises(AccountsError, match=r"column 'Annual Revenue', row 6: not a number"):
        read_accounts(path)
    sheet["D4"], sheet["D6"] = "2,5M", "1,5 bn"  # a European export: decimal commas
    workbook.save(path)
    raw, accounts = read_accounts(path)
    assert raw.attrs["header_row"] == 3
    assert accounts.frame["annual_revenue"].tolist() == [2.5e6, 1.5e9]
    assert accounts.decimal_comma == ("annual_revenue",)
    assert [(c.row, c.text) for c in accounts.parsed] == [(4, "2,5M"), (6, "1,5 bn")]
