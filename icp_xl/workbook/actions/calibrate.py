"""Calibrate: freeze the scoring reference from the current accounts and switch the
workbook to Calibrated mode, then rescore."""

from __future__ import annotations

from datetime import datetime

from icp_xl.core.model.calibration import CALIBRATED, Calibration, calibrate
from icp_xl.workbook import layout
from icp_xl.workbook.actions.rescoring import RescoreResult, rescore
from icp_xl.workbook.book import Book
from icp_xl.workbook.calibration_table import write_calibration
from icp_xl.workbook.inputs import read_accounts, read_settings


def calibrate_book(book: Book, now: datetime | None = None) -> tuple[Calibration, RescoreResult]:
    """Calibrate on the workbook's accounts with its current weights and settings, store the
    calibration on the Settings sheet, set the scoring mode to Calibrated and rescore.
    Input problems raise IcpError before anything is written."""
    settings = read_settings(book)
    _, accounts = read_accounts(book)
    book.status(f"Calibrating on {len(accounts):,} accounts")
    when = (now or datetime.now()).replace(microsecond=0)
    calibration = calibrate(accounts, settings, when)
    write_calibration(book, calibration)
    book.set_name(layout.SCORING_MODE.name, CALIBRATED)
    return calibration, rescore(book)
