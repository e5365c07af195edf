"""ICP formulas for Excel: xlwings ``@xw.func`` functions, thin over the scoring core.

Excel calls these through the VBA wrappers that xlwings' own generator writes into
the add-in (one wrapper per ``@xw.func``; the Excel name is the Python name, hence
the upper-case names). xlwings hands every argument over as Excel holds it: numbers
as floats, blank cells as None, text as str, ranges as lists of lists (``ndim=2``).
Open-source xlwings UDFs run on Windows only.

Errors: a bad argument never raises into Excel (xlwings would show a Python
traceback as the cell's text). Every function returns instead one text cell
``"#ICP! <sentence>"``, e.g. ``#ICP! The weights must sum to 1 ...``; detect it with
``=LEFT(cell, 5) = "#ICP!"``.

Settings: a setting left out is the default of docs/scoring.md, not the workbook's
Settings sheet; pass the sheet's ranges (vertical_table, size_tiers, grade_shares, ...) to
follow it.

Calibration: the formulas whose results depend on the population (the table, one account,
a prospect, the explanation, a grade) take an optional ``calibration`` range, the Settings
sheet's CalibrationTable. Given it, they score as the workbook's Calibrated mode
(:func:`icp_xl.core.model.calibration.score_calibrated`): an account's score depends only on its
own data, and the single-account formulas need no portfolio at all.

Recalculation: the table and single-account formulas cache on the *content* of
the accounts range (not its address): the prepared accounts and their components
are computed once per distinct table; a change of weights redoes only the raw
score, the normal-curve score and the grades. See docs/formulas.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import (
    Accounts,
    cell_text,
    header_key,
    match_columns,
    prepare_accounts,
)
from icp_xl.core.insight.explain import (
    explain_account,
    explanation_grid,
    scored_for_explanation,
)
from icp_xl.core.model.calibration import Calibration, score_calibrated
from icp_xl.core.model.normal import inverse_normal_cdf
from icp_xl.core.model.scoring import (
    SCORE_COLUMNS,
    component_scores,
    grades,
    normal_scores,
    raw_scores,
    score_accounts,
    segments,
    size_scores,
    vertical_scores,
)
from icp_xl.core.model.settings import COMPONENTS, DEFAULT_WEIGHTS, GRADES, Settings, Weights
from icp_xl.excel.formula_arguments import (
    Cell,
    Cells,
    calibration_from_cells,
    column_map_from_cells,
    formula,
    formula_settings,
    grid,
    is_blank,
    name_list,
    number_arg,
    settings_from_cells,
    single_cell,
    table_frame,
    text_arg,
)
from icp_xl.excel.formula_cache import (
    CACHES,
    ContentKey,
    components_key,
    settings_key,
)

# xlwings turns argument and return annotations into converters, and only ``Any``
# (and a few containers) are converters it knows: every annotation a UDF carries is
# therefore ``Any``. These aliases only say what Excel passes.
Result = Any  # a number, a text, or a list of row lists that spills

_DEFAULT = Settings()
_CACHE_SIZE = 8
# Fields of a prospect that are min-max scaled against the reference population.
_SCALED_FIELDS = ("printer_count", "consumable_revenue", "software_revenue")
_MISSING = object()


def _prepared(
    rows: Cells, what: str, column_map: Mapping[str, str] | None = None
) -> tuple[Hashable, Accounts]:
    """``(content key, prepared accounts)`` of an accounts range read through
    ``column_map`` (field -> header), cached on its content and the map."""
    cells_grid = grid(rows)
    key = (ContentKey(cells_grid), tuple(sorted((column_map or {}).items())))

    def build() -> Accounts:
        raw = table_frame(cells_grid, what)
        mapping, _ = match_columns(raw.columns, column_map)
        if "customer_id" not in mapping or "industry" not in mapping:
            found = ", ".join(f"'{c}'" for c in raw.columns[:6])
            raise IcpError(
                f"{what} needs a header row with 'Customer ID' and 'Industry' "
                f"(its first row has {found}): select the table with its header row"
            )
        return prepare_accounts(raw, where=what, first_row=2, column_map=column_map)

    return key, CACHES["accounts"].get(key, build)


def _score_columns(value: Any) -> list[str]:
    """The score columns of the scored table (:data:`SCORE_COLUMNS`, as `icp-xl score`
    writes them) named by ``value`` (all of them when None or blank)."""
    wanted = name_list(value) if value is not None else []
    if not wanted:
        return list(SCORE_COLUMNS)
    by_key = {header_key(c): c for c in SCORE_COLUMNS}
    columns = []
    for name in wanted:
        column = by_key.get(header_key(name))
        if column is None:
            raise IcpError(
                f"Unknown score column {name!r}; choose from: {', '.join(SCORE_COLUMNS)}"
            )
        columns.append(column)
    return columns


def _settings_args(func: Callable[..., Any]) -> Callable[..., Any]:
    """xlwings metadata of the optional settings arguments the scoring formulas share."""
    for decorate in reversed(
        (
            xw.arg("unknown_industry_score", doc="Optional: score of an unknown industry (0.3)"),
            xw.arg("size_tiers", ndim=2, doc="Optional: size tiers range (lower, upper, score)"),
            xw.arg("neutral_size_score", doc="Optional: size score of unknown revenue (0.5)"),
            xw.arg("grade_shares", ndim=2, doc="Optional: grade target shares (A..F, or pairs)"),
        )
    ):
        func = decorate(func)
    return func


@dataclass(frozen=True)
class FrozenReference:
    """A calibration read from a calibration range, with the key of the range's content."""

    key: Hashable
    calibration: Calibration


def frozen_reference(cells: Cells | None) -> FrozenReference | None:
    """The calibration of a ``calibration`` argument (None when left out), read once per
    distinct range content."""
    if cells is None:
        return None
    key = ContentKey(grid(cells))
    return CACHES["calibrations"].get(
        key, lambda: FrozenReference(key, calibration_from_cells(cells))
    )


def _calibration_key(frozen: FrozenReference | None) -> Hashable:
    return None if frozen is None else ("calibrated", frozen.key)


def _calibration_arg(func: Callable[..., Any]) -> Callable[..., Any]:
    """xlwings metadata of the optional ``calibration`` argument."""
    return xw.arg(
        "calibration",
        ndim=2,
        doc="Optional: the calibration, CalibrationTable[#All] on the Settings sheet; "
        "given it, scores are Calibrated (frozen at the last Calibrate)",
    )(func)


def _weight_args(func: Callable[..., Any]) -> Callable[..., Any]:
    """xlwings metadata of the four weight arguments of the single-account formulas."""
    for name in reversed(COMPONENTS):
        func = xw.arg(f"{name}_weight", doc=f"{name.title()} weight (e.g. W_{name.title()})")(func)
    return func


def _segment_args(func: Callable[..., Any]) -> Callable[..., Any]:
    """xlwings metadata of the optional segment thresholds of the single-account formulas."""
    func = xw.arg("mid_market_max", doc="Optional: Mid-Market max revenue (1,000,000,000)")(func)
    return xw.arg("small_business_max", doc="Optional: Small Business max revenue")(func)


# ------------------------------------------------------------------ the scored table


@xw.func(category="ICP")
@xw.arg("accounts", ndim=2, doc="Accounts table with its header row")
@xw.arg("vertical_weight", doc="Vertical weight (e.g. Weights!W_Vertical)")
@xw.arg("size_weight", doc="Size weight")
@xw.arg("adoption_weight", doc="Adoption weight")
@xw.arg("relationship_weight", doc="Relationship weight")
@xw.arg("score_columns", doc='Optional: score columns to return, e.g. "ICP_score, ICP_grade"')
@xw.arg("small_business_max", doc="Optional: Small Business max revenue (default 100,000,000)")
@xw.arg("mid_market_max", doc="Optional: Mid-Market max revenue (default 1,000,000,000)")
@xw.arg("vertical_table", ndim=2, doc="Optional: vertical table range (industry, score)")
@_settings_args
@xw.arg("column_map", ndim=2, doc="Optional: Column map range (our column, your header)")
@xw.arg("industry_map", ndim=2, doc="Optional: Industry map range (spelling, industry)")
@_calibration_arg
@formula
def ICP_SCORE_TABLE(
    accounts: Cells,
    vertical_weight: Cell = DEFAULT_WEIGHTS.vertical,
    size_weight: Cell = DEFAULT_WEIGHTS.size,
    adoption_weight: Cell = DEFAULT_WEIGHTS.adoption,
    relationship_weight: Cell = DEFAULT_WEIGHTS.relationship,
    score_columns: Cell = None,
    small_business_max: Cell = None,
    mid_market_max: Cell = None,
    vertical_table: Cells = None,
    unknown_industry_score: Cell = None,
    size_tiers: Cells = None,
    neutral_size_score: Cell = None,
    grade_shares: Cells = None,
    column_map: Cells = None,
    industry_map: Cells = None,
    calibration: Cells = None,
) -> Result:
    """Score every account of a range: header row, then one row per account with the
    Customer ID and the score columns (default: vertical_score, size_score,
    adoption_score, relationship_score, relationship_feature, ICP_score_raw, ICP_score,
    ICP_grade, customer_segment). Spills as a dynamic array. Settings left out are the
    defaults (docs/scoring.md); give the Settings sheet's ranges to follow the workbook.
    With a calibration, the scores are those of the workbook's Calibrated mode.
    """
    settings = formula_settings(locals())
    columns = _score_columns(score_columns)
    mapping = column_map_from_cells(column_map) if column_map is not None else None
    frozen = frozen_reference(calibration)
    key, prepared = _prepared(accounts, "The accounts range", mapping)

    def build() -> list[list[Any]]:
        if frozen is None:
            scored = score_accounts(prepared, settings)
        else:
            scored = score_calibrated(prepared, settings, frozen.calibration)
        header = [prepared.source_columns["customer_id"], *columns]
        body = zip(
            prepared.frame["customer_id"].tolist(),
            *(scored[c].tolist() for c in columns),
            strict=True,
        )
        return [header, *map(list, body)]

    table_key = (key, settings_key(settings), tuple(columns), _calibration_key(frozen))
    return CACHES["tables"].get(table_key, build)


# ------------------------------------------------------------- one account vs portfolio


@dataclass(frozen=True)
class Reference:
    """A reference population: prepared accounts and their components (cached)."""

    key: Hashable
    accounts: Accounts
    components: pd.DataFrame
    positions: dict[str, int]

    def raw(self, weights: Weights) -> np.ndarray:
        """Raw scores (0-100) of the reference accounts for ``weights`` (cached)."""
        return CACHES["raw"].get((self.key, weights), lambda: raw_scores(self.components, weights))


def reference_population(rows: Cells, settings: Settings) -> Reference:
    """The reference population of an accounts range, computed once per content."""
    key, prepared = _prepared(rows, "The reference range")
    full_key = (key, components_key(settings))

    def build() -> Reference:
        components = component_scores(prepared, settings)
        ids = prepared.frame["customer_id"].tolist()
        return Reference(full_key, prepared, components, {cid: i for i, cid in enumerate(ids)})

    return CACHES["components"].get(full_key, build)


def components_against(
    reference: Reference, account: pd.DataFrame, settings: Settings
) -> pd.DataFrame:
    """Components of prepared ``account`` rows, min-max scaled on the reference population.

    Printer count, consumable revenue and software revenue are first clipped to the
    reference's [min, max] (so the scaled components are clipped to [0, 1]). The
    core's :func:`~icp_xl.core.model.scoring.component_scores` then scales them within a frame
    of the reference's minimum row, its maximum row and the accounts: their
    transforms are non-decreasing, so that frame has the reference's min and max.
    An account whose inputs are within the reference range gets exactly the
    components it gets inside the reference population.
    """
    ref = reference.accounts.frame
    low = {name: ref[name].min() for name in _SCALED_FIELDS}
    high = {name: ref[name].max() for name in _SCALED_FIELDS}
    frame = account.copy()
    for name in _SCALED_FIELDS:
        frame[name] = frame[name].clip(low[name], high[name])
    bounds = pd.concat([frame.iloc[[0]]] * 2, ignore_index=True)
    for name in _SCALED_FIELDS:
        bounds[name] = [low[name], high[name]]
    together = pd.concat([bounds, frame], ignore_index=True)
    return component_scores(together, settings).iloc[2:].reset_index(drop=True)


def score_against_reference(
    reference: Reference,
    account: Accounts,
    settings: Settings,
    columns: Sequence[str] = SCORE_COLUMNS,
) -> dict[str, Any]:
    """Score one prepared account against a reference population (one row of the table).

    Components: :func:`components_against`. Raw score: the core's formula. ICP score
    and grade: the account takes the place of the reference account with the same
    Customer ID (its row, its rank position); a new ID joins as the last row
    (n + 1 accounts). The core's normal-curve score (rank "first", ties by row order,
    p = (rank - 0.5) / n) and grade rule then run on that population of raw scores,
    the other accounts keeping their reference raw scores. Returns the requested
    :data:`~icp_xl.core.model.scoring.SCORE_COLUMNS` values.
    """
    frame = account.frame
    components = components_against(reference, frame, settings)
    raw = float(raw_scores(components, settings.weights)[0])
    result: dict[str, Any] = {name: float(components[name].iloc[0]) for name in components}
    result["relationship_feature"] = float(frame["software_revenue"].iloc[0])
    result["ICP_score_raw"] = raw
    result["customer_segment"] = str(segments(frame["annual_revenue"], settings)[0])
    if "ICP_score" in columns or "ICP_grade" in columns:
        population = reference.raw(settings.weights)
        position = reference.positions.get(frame["customer_id"].iloc[0])
        if position is None:
            position = len(population)
            population = np.append(population, raw)
        else:
            population = population.copy()
            population[position] = raw
        icp = normal_scores(population)
        result["ICP_score"] = float(icp[position])
        if "ICP_grade" in columns:
            result["ICP_grade"] = str(grades(icp, settings)[position])
    return {name: result[name] for name in columns}


def reference_unless_calibrated(
    reference: Cells | None, settings: Settings, frozen: FrozenReference | None
) -> Reference | None:
    """The reference population of a single-account formula, None when it scores against
    a calibration (which needs no population: the reference range is not read)."""
    if frozen is not None:
        return None
    if reference is None:
        raise IcpError(
            "The reference range is missing: give the portfolio's accounts with their "
            "header row, or a calibration range (CalibrationTable[#All])"
        )
    return reference_population(reference, settings)


def _scored_account(
    reference: Reference | None,
    account: Accounts,
    settings: Settings,
    result_column: Any,
    frozen: FrozenReference | None,
) -> Result:
    """The requested score columns of an account, one value or one row of values: against
    the calibration when ``frozen`` is given, else against the reference population."""
    columns = _score_columns(result_column if result_column is not None else "ICP_score")
    if frozen is not None:
        scored = score_calibrated(account, settings, frozen.calibration)
        values = [scored[c].tolist()[0] for c in columns]
    else:
        assert reference is not None  # reference_unless_calibrated gives one or the other
        scores = score_against_reference(reference, account, settings, columns)
        values = [scores[c] for c in columns]
    return values[0] if len(values) == 1 else [values]


@xw.func(category="ICP")
@xw.arg(
    "reference",
    ndim=2,
    doc="Reference accounts table (the portfolio) with its header row; "
    "leave blank with a calibration",
)
@xw.arg("account", ndim=2, doc="The account: one row (header row above it optional)")
@_weight_args
@xw.arg("result_column", doc="Optional: ICP_score (default), ICP_grade, ICP_score_raw, ...")
@xw.arg("account_header", ndim=2, doc="Optional: header row of the account's columns")
@xw.arg("vertical_table", ndim=2, doc="Optional: vertical table range (industry, score)")
@_settings_args
@_segment_args
@_calibration_arg
@formula
def ICP_SCORE_ACCOUNT(
    reference: Cells,
    account: Cells,
    vertical_weight: Cell = DEFAULT_WEIGHTS.vertical,
    size_weight: Cell = DEFAULT_WEIGHTS.size,
    adoption_weight: Cell = DEFAULT_WEIGHTS.adoption,
    relationship_weight: Cell = DEFAULT_WEIGHTS.relationship,
    result_column: Cell = None,
    account_header: Cells = None,
    vertical_table: Cells = None,
    unknown_industry_score: Cell = None,
    size_tiers: Cells = None,
    neutral_size_score: Cell = None,
    grade_shares: Cells = None,
    small_business_max: Cell = None,
    mid_market_max: Cell = None,
    calibration: Cells = None,
) -> Result:
    """ICP score of one account row against a reference portfolio: equal to the
    account's row of ICP_SCORE_TABLE when the account (same Customer ID, same data)
    is in the portfolio. With a calibration, its Calibrated score (no portfolio needed).
    The row's headers: the first of two rows, else account_header, else the
    reference's header row.
    """
    settings = formula_settings(locals())
    frozen = frozen_reference(calibration)
    rows = [row for row in grid(account) if not all(is_blank(c) for c in row)]
    if account_header is not None:
        header = [c for row in grid(account_header) for c in row]
    elif len(rows) == 2:
        header, rows = rows[0], rows[1:]
    elif reference is not None:
        header = grid(reference)[0]
    else:
        raise IcpError(
            "The account's headers are missing: give two rows (the header row above the "
            "values), or account_header"
        )
    if len(rows) != 1:
        raise IcpError(
            f"The account must be one row (with or without its header row above it); "
            f"got {len(rows)} non-blank rows"
        )
    if len(header) != len(rows[0]):
        raise IcpError(
            f"The account row has {len(rows[0])} cells but its header row has {len(header)}"
        )
    reference_accounts = reference_unless_calibrated(reference, settings, frozen)
    prospect = prepare_accounts(table_frame([header, rows[0]], "The account"), "The account")
    return _scored_account(reference_accounts, prospect, settings, result_column, frozen)


@xw.func(category="ICP")
@xw.arg(
    "reference",
    ndim=2,
    doc="Reference accounts table (the portfolio) with its header row; "
    "leave blank with a calibration",
)
@xw.arg("industry", doc="Industry (text)")
@xw.arg("annual_revenue", doc="Company annual revenue, USD (blank = unknown)")
@xw.arg("printer_count", doc="Printers owned (blank = 0)")
@xw.arg("consumable_revenue", doc="Consumable revenue, USD (blank = 0)")
@xw.arg("software_revenue", doc="Software license + SaaS + maintenance revenue, USD (blank = 0)")
@_weight_args
@xw.arg("result_column", doc="Optional: ICP_score (default), ICP_grade, ICP_score_raw, ...")
@xw.arg("customer_id", doc="Optional: Customer ID; a portfolio ID scores in that account's place")
@xw.arg("vertical_table", ndim=2, doc="Optional: vertical table range (industry, score)")
@_settings_args
@_segment_args
@_calibration_arg
@formula
def ICP_SCORE_PROSPECT(
    reference: Cells,
    industry: Cell,
    annual_revenue: Cell = None,
    printer_count: Cell = None,
    consumable_revenue: Cell = None,
    software_revenue: Cell = None,
    vertical_weight: Cell = DEFAULT_WEIGHTS.vertical,
    size_weight: Cell = DEFAULT_WEIGHTS.size,
    adoption_weight: Cell = DEFAULT_WEIGHTS.adoption,
    relationship_weight: Cell = DEFAULT_WEIGHTS.relationship,
    result_column: Cell = None,
    customer_id: Cell = None,
    vertical_table: Cells = None,
    unknown_industry_score: Cell = None,
    size_tiers: Cells = None,
    neutral_size_score: Cell = None,
    grade_shares: Cells = None,
    small_business_max: Cell = None,
    mid_market_max: Cell = None,
    calibration: Cells = None,
) -> Result:
    """ICP score of a prospect given by its fields, against a reference portfolio
    (min-max scaling and normal-curve ranking on the portfolio). With the Customer ID
    of a portfolio account and its data, equals that account's ICP score. With a
    calibration, its Calibrated score against the frozen scale (no portfolio needed).
    """
    settings = formula_settings(locals())
    nan = math.nan
    fields = {
        "Customer ID": text_arg(customer_id, "The Customer ID") or "(prospect)",
        "Industry": text_arg(industry, "The industry"),
        "Annual Revenue": number_arg(annual_revenue, "The annual revenue", blank=nan),
        "Printer Count": number_arg(printer_count, "The printer count", blank=0.0),
        "Total Consumable Revenue": number_arg(
            consumable_revenue, "The consumable revenue", blank=0.0
        ),
        "Total Software License Revenue": number_arg(
            software_revenue, "The software revenue", blank=0.0
        ),
    }
    frozen = frozen_reference(calibration)
    reference_accounts = reference_unless_calibrated(reference, settings, frozen)
    if reference_accounts is not None and (
        customer_id is None or is_blank(single_cell(customer_id, "The Customer ID"))
    ):
        while fields["Customer ID"] in reference_accounts.positions:
            fields["Customer ID"] += "'"
    prospect = prepare_accounts(pd.DataFrame([fields], dtype=object), "The prospect")
    return _scored_account(reference_accounts, prospect, settings, result_column, frozen)


# ------------------------------------------------------------------- one account explained


@xw.func(category="ICP")
@xw.arg("accounts", ndim=2, doc="Accounts table with its header row (the portfolio)")
@xw.arg("customer_id", doc="Customer ID of the account to explain")
@_weight_args
@xw.arg("vertical_table", ndim=2, doc="Optional: vertical table range (industry, score)")
@_settings_args
@_segment_args
@_calibration_arg
@formula
def ICP_EXPLAIN(
    accounts: Cells,
    customer_id: Cell,
    vertical_weight: Cell = DEFAULT_WEIGHTS.vertical,
    size_weight: Cell = DEFAULT_WEIGHTS.size,
    adoption_weight: Cell = DEFAULT_WEIGHTS.adoption,
    relationship_weight: Cell = DEFAULT_WEIGHTS.relationship,
    vertical_table: Cells = None,
    unknown_industry_score: Cell = None,
    size_tiers: Cells = None,
    neutral_size_score: Cell = None,
    grade_shares: Cells = None,
    small_business_max: Cell = None,
    mid_market_max: Cell = None,
    calibration: Cells = None,
) -> Result:
    """One account of the range explained, as the Account sheet shows it (6 columns):
    summary (ICP score, grade, percentile, segment score, reason), each component's
    score, weight and points (100 x weight x component) against the portfolio and
    segment averages, and the smallest change per input that lifts it one grade,
    checked by rescoring the range. Spills as a dynamic array. With a calibration, the
    scores and points are the Calibrated ones, as on the Account sheet in that mode.
    """
    settings = formula_settings(locals())
    wanted = cell_text(single_cell(customer_id, "The Customer ID"))
    frozen = frozen_reference(calibration)
    key, prepared = _prepared(accounts, "The accounts range")
    scored_key = ("explained population", key, settings_key(settings), _calibration_key(frozen))

    def population() -> pd.DataFrame:
        if frozen is None:
            return scored_for_explanation(prepared.frame, settings)
        calibrated = score_calibrated(prepared, settings, frozen.calibration)
        return scored_for_explanation(prepared.frame, settings, calibrated)

    def build() -> list[list[Any]]:
        scored = CACHES["tables"].get(scored_key, population)
        calibration = None if frozen is None else frozen.calibration
        explanation = explain_account(
            prepared.frame, settings, wanted, scored=scored, calibration=calibration
        )
        return explanation_grid(explanation)

    return CACHES["tables"].get((*scored_key, wanted), build)


# ------------------------------------------------------------------------- helpers


def _cellwise(values: Any, what: str, compute: Callable[[list[Any]], Iterable[Any]]) -> Result:
    """Apply a vectorized ``compute`` to every cell of a scalar or range argument.

    A single cell gives a single value; a range gives the same shape (it spills).
    """
    cells_grid = grid(values)
    if not cells_grid or not cells_grid[0]:
        raise IcpError(f"{what} is empty")
    flat = [cell for row in cells_grid for cell in row]
    results = list(compute(flat))
    if len(flat) == 1:
        return results[0]
    width = len(cells_grid[0])
    return [results[i : i + width] for i in range(0, len(results), width)]


@xw.func(category="ICP")
@xw.arg("industry", ndim=2, doc="Industry name, or a range of them")
@xw.arg("vertical_table", ndim=2, doc="Optional: vertical table range (industry, score)")
@xw.arg("unknown_industry_score", doc="Optional: score of an unknown industry (default 0.3)")
@formula
def ICP_VERTICAL(
    industry: Cells, vertical_table: Cells = None, unknown_industry_score: Cell = None
) -> Result:
    """Vertical score (0-1) of an industry: trimmed, case-insensitive lookup in the
    vertical table (default: the table of docs/scoring.md); unknown or blank industries
    score 0.3.
    """
    settings = settings_from_cells(vertical_table, unknown_industry_score)

    def compute(cells: list[Any]) -> list[float]:
        names = pd.Series([text_arg(c, "The industry") for c in cells], dtype=object)
        return vertical_scores(names, settings).tolist()

    return _cellwise(industry, "The industry", compute)


@xw.func(category="ICP")
@xw.arg("annual_revenue", ndim=2, doc="Annual revenue in USD, or a range (blank = unknown)")
@xw.arg("size_tiers", ndim=2, doc="Optional: size tiers range (lower, upper, score)")
@xw.arg("neutral_size_score", doc="Optional: size score of unknown revenue (default 0.5)")
@formula
def ICP_SIZE(
    annual_revenue: Cells, size_tiers: Cells = None, neutral_size_score: Cell = None
) -> Result:
    """Size score (0-1) of an annual revenue in USD by the size tiers (default: the tiers
    of docs/scoring.md; first match wins); unknown (blank, 0 or negative) scores the
    neutral size score (0.5).
    """
    settings = settings_from_cells(size_tiers=size_tiers, neutral_size_score=neutral_size_score)

    def compute(cells: list[Any]) -> list[float]:
        revenue = [number_arg(c, "The annual revenue", blank=math.nan) for c in cells]
        return size_scores(np.array(revenue), settings).tolist()

    return _cellwise(annual_revenue, "The annual revenue", compute)


@xw.func(category="ICP")
@xw.arg("annual_revenue", ndim=2, doc="Annual revenue in USD, or a range (blank = unknown)")
@xw.arg("small_business_max", doc="Optional: Small Business max revenue (default 100,000,000)")
@xw.arg("mid_market_max", doc="Optional: Mid-Market max revenue (default 1,000,000,000)")
@formula
def ICP_SEGMENT(
    annual_revenue: Cells, small_business_max: Cell = None, mid_market_max: Cell = None
) -> Result:
    """Revenue segment: unknown or up to the Small Business max -> Small Business;
    up to the Mid-Market max -> Mid-Market; above -> Large Enterprise.
    """
    settings = settings_from_cells(None, None, small_business_max, mid_market_max)

    def compute(cells: list[Any]) -> list[str]:
        revenue = [number_arg(c, "The annual revenue", blank=math.nan) for c in cells]
        return segments(np.array(revenue), settings).tolist()

    return _cellwise(annual_revenue, "The annual revenue", compute)


def _score_population(scores: Cells, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """``(scores, their grades)`` of the non-blank cells of a range, cached on content
    and grade target shares."""
    cells = [c for row in grid(scores) for c in row if not is_blank(c)]
    if not cells:
        raise IcpError("The range of scores is empty")

    def build() -> tuple[np.ndarray, np.ndarray]:
        values = np.array([number_arg(c, "A cell in the range of scores") for c in cells])
        return values, grades(values, settings)

    key = (ContentKey([cells]), tuple(settings.grade_shares.items()))
    return CACHES["grades"].get(key, build)


def calibrated_grades(scores: np.ndarray, calibration: Calibration) -> np.ndarray:
    """Grade letter of each ICP score (0-100) against ``calibration``: Calibrated scoring
    grades an account by its percentile p (F up to the first grade bound, ...), and its
    score is 50 + 15 * PhiInv(p), so the score cutoffs are the bounds mapped the same way."""
    cutoffs = 50.0 + 15.0 * inverse_normal_cdf(np.asarray(calibration.grade_bounds))
    index = np.searchsorted(cutoffs, np.asarray(scores, dtype=float), side="left")
    return np.asarray(GRADES, dtype=object)[index]


@xw.func(category="ICP")
@xw.arg("score", ndim=2, doc="An ICP score, or a range of them")
@xw.arg(
    "scores",
    ndim=2,
    doc="The range of scores the grade is relative to; leave blank with a calibration",
)
@xw.arg("grade_shares", ndim=2, doc="Optional: grade target shares (A..F, or grade | share)")
@_calibration_arg
@formula
def ICP_GRADE(
    score: Cells, scores: Cells, grade_shares: Cells = None, calibration: Cells = None
) -> Result:
    """Grade (A-F) of a score within a range of scores by the percentile rule
    (average rank / n: with the default target shares <= 10% F, <= 30% D, <= 70% C,
    <= 90% B, else A). A score found in the range gets the grade of that entry;
    another score is graded as one more member of the range. Blank cells in the range
    are ignored. With a calibration, the grade by its frozen cutoffs (no range needed).
    """
    frozen = frozen_reference(calibration)
    if frozen is not None:

        def by_cutoffs(cells: list[Any]) -> list[str]:
            values = np.array([number_arg(c, "The score") for c in cells])
            return calibrated_grades(values, frozen.calibration).tolist()

        return _cellwise(score, "The score", by_cutoffs)
    if scores is None:
        raise IcpError(
            "The range of scores is missing: give the scores the grade is relative to, "
            "or a calibration range (CalibrationTable[#All])"
        )
    settings = settings_from_cells(grade_shares=grade_shares)
    population, population_grades = _score_population(scores, settings)

    def compute(cells: list[Any]) -> list[str]:
        out = []
        for cell in cells:
            value = number_arg(cell, "The score")
            found = np.flatnonzero(population == value)
            if len(found):
                out.append(str(population_grades[found[0]]))
            else:
                out.append(str(grades(np.append(population, value), settings)[-1]))
        return out

    return _cellwise(score, "The score", compute)
