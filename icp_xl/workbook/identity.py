"""Whether a workbook is an ICP workbook, told from its sheet names alone (cheap enough to
ask before any dialog or long read)."""

from __future__ import annotations

from collections.abc import Iterable

from icp_xl.workbook import layout

#: The sheets every ICP workbook has and no other workbook is likely to have all of.
IDENTITY_SHEETS: tuple[str, ...] = (layout.ACCOUNTS, layout.WEIGHTS, layout.SETTINGS)


def is_icp_workbook(sheet_names: Iterable[str]) -> bool:
    """True when the sheets include the ICP workbook's Accounts, Weights and Settings."""
    return set(IDENTITY_SHEETS) <= set(sheet_names)


def not_icp_workbook(sheet_names: Iterable[str], workbook_name: str) -> str | None:
    """One sentence saying that ``workbook_name`` is not an ICP workbook and what to do,
    or None when it is one."""
    names = set(sheet_names)
    missing = [sheet for sheet in IDENTITY_SHEETS if sheet not in names]
    if not missing:
        return None
    return (
        f"The active workbook ({workbook_name}) is not an ICP workbook: it has no "
        f"{' or '.join(missing)} sheet; activate your ICP workbook, or click "
        "New ICP workbook to make one"
    )
