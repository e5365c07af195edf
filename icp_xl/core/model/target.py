"""The optimization target and what a reader should know about a fit: which Accounts
columns make the target revenue, whether they overlap the score's own inputs, and which
optimized weights sit on a bound. Pure functions."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np

from icp_xl.core.errors import IcpError
from icp_xl.core.inputs.accounts import ACCOUNT_COLUMNS, Accounts, header_key
from icp_xl.core.model.settings import COMPONENTS, Weights

DEFAULT_TARGET_FIELDS: tuple[str, ...] = ("hardware_revenue", "consumable_revenue")
WON_TARGETS: tuple[str, ...] = ("won", "won-amount")  # targets from CRM opportunities
# Accounts fields each scoring component reads (vertical reads the industry, never a number).
COMPONENT_INPUTS: Mapping[str, tuple[str, ...]] = {
    "size": ("annual_revenue",),
    "adoption": ("printer_count", "big_box_count", "small_box_count", "consumable_revenue"),
    "relationship": ("software_license_revenue", "saas_revenue", "maintenance_revenue"),
}
_NUMERIC = {c.field: c for c in ACCOUNT_COLUMNS if c.numeric and c.field != "target_revenue"}
BOUND_TOLERANCE = 5e-4  # a weight this close to a bound sits on it


def target_fields(columns: str | Sequence[str] | None) -> tuple[str, ...]:
    """Account fields of the target from a user's choice: Accounts headers (or field
    names), as a list or one comma-separated text; blank/None = the default target
    (hardware + consumable revenue); ``won`` or ``won-amount`` alone = the outcome of the
    account's closed opportunities (:mod:`icp_xl.core.model.won_target`). Raises IcpError
    naming an unknown column."""
    if columns is None or (isinstance(columns, str) and not columns.strip()):
        return DEFAULT_TARGET_FIELDS
    names = [columns] if isinstance(columns, str) else list(columns)
    if len(names) == 1 and str(names[0]).strip().lower() in WON_TARGETS:
        return (str(names[0]).strip().lower(),)  # the won flag or amount of the opportunities
    names = columns.split(",") if isinstance(columns, str) else list(columns)
    by_key = {header_key(c.header): f for f, c in _NUMERIC.items()}
    by_key.update({header_key(f): f for f in _NUMERIC})
    fields = []
    for name in (str(n).strip() for n in names if str(n).strip()):
        if name.lower() in WON_TARGETS:
            raise IcpError(
                f"'{name}' is a target of its own (the outcome of the CRM opportunities) and "
                f"cannot be added to other columns: choose {name.lower()} alone, or Accounts "
                "columns only"
            )
        field = by_key.get(header_key(name))
        if field is None:
            choices = ", ".join(c.header for c in _NUMERIC.values())
            raise IcpError(
                f"Unknown target column '{name}'; leave it blank (hardware + consumables), "
                f"choose won or won-amount (CRM opportunities), or Accounts columns among: "
                f"{choices}"
            )
        if field not in fields:
            fields.append(field)
    return tuple(fields) or DEFAULT_TARGET_FIELDS


def with_target(accounts: Accounts, fields: Sequence[str]) -> Accounts:
    """``accounts`` whose ``target_revenue`` is the sum of ``fields`` (USD, blanks as 0).
    The default fields keep the accounts as they are (their own target column, if any,
    wins over the sum)."""
    if tuple(fields) == DEFAULT_TARGET_FIELDS:
        return accounts
    frame = accounts.frame.copy()
    frame["target_revenue"] = frame[list(fields)].fillna(0.0).sum(axis=1).astype(float)
    headers = " + ".join(_NUMERIC[f].header for f in fields)
    return dataclasses.replace(
        accounts, frame=frame, source_columns={**accounts.source_columns, "target_revenue": headers}
    )


def target_overlap(fields: Sequence[str], weights: Weights | None = None) -> list[str]:
    """One warning per scoring component whose inputs are part of the target (a fit that
    predicts a column from itself looks better than it is); components weighted 0 in
    ``weights`` are not named."""
    notes = []
    for component, inputs in COMPONENT_INPUTS.items():
        shared = [f for f in fields if f in inputs]
        if not shared or (weights is not None and getattr(weights, component) == 0):
            continue
        columns = ", ".join(f"'{_NUMERIC[f].header}'" for f in shared)
        notes.append(
            f"The optimization target includes {columns}, which the {component} score also "
            "reads, so the Spearman flatters the fit; choose other target columns "
            "(Settings 'Target columns', or icp-xl optimize --target) to check it"
        )
    return notes


def bound_notes(
    weights: Weights, bounds: Mapping[str, tuple[float, float]], include_size: bool = True
) -> list[str]:
    """One sentence per optimized weight sitting on its lower or upper bound (the data
    would move it further if allowed); ``bounds``: component -> (lower, upper)."""
    notes = []
    for name in COMPONENTS:
        if name == "size" and not include_size:
            continue
        value = getattr(weights, name)
        lower, upper = bounds[name]
        if np.isclose(value, upper, atol=BOUND_TOLERANCE):
            notes.append(f"{name} is at its upper bound {upper:.2f}: the data wants more")
        elif np.isclose(value, lower, atol=BOUND_TOLERANCE):
            notes.append(f"{name} is at its lower bound {lower:.2f}: the data wants less")
    return notes


KL_NOTE = (
    "Grades are percentiles, so grade shares meet their targets for any weights: KL is ~0 "
    "and lambda has almost no effect."
)
