"""Calibrate: freeze the scoring reference from the current accounts and switch the
workbook to Calibrated mode, then rescore."""

from __future__ import annotations

from datetime import datetime

from icp_xl.core.model.calibration import CALIBRATED, Calibration, calibrate
from icp_xl.core.model.settings import Weights
from icp_xl.workbook import layout
from icp_xl.workbook.actions.rescoring import RescoreResult, rescore
from icp_xl.workbook.book import Book
from icp_xl.workbook.calibration_table import read_scoring_mode, write_calibration
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


def calibration_for_weights(
    book: Book, weights: Weights, now: datetime | None = None
) -> Calibration | None:
    """In Calibrated mode, the calibration that new ``weights`` need: frozen anew on the
    workbook's current accounts with ``weights`` and its settings (a calibration belongs
    to the weights it was made with). None in Relative mode. Writes nothing; input
    problems raise IcpError."""
    if read_scoring_mode(book) != CALIBRATED:
        return None
    settings = read_settings(book).with_weights(weights)
    _, accounts = read_accounts(book)
    book.status(f"Calibrating anew on {len(accounts):,} accounts with the new weights")
    return calibrate(accounts, settings, (now or datetime.now()).replace(microsecond=0))
