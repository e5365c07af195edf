"""The weight cells: use the optimized weights, reset to the defaults, store optimized
weights and their metadata."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from icp_xl.core.errors import IcpError
from icp_xl.core.model.settings import COMPONENTS, Weights
from icp_xl.workbook import layout
from icp_xl.workbook.actions.calibrate import calibration_for_weights
from icp_xl.workbook.actions.rescoring import weights_text
from icp_xl.workbook.blocks import cell_value
from icp_xl.workbook.book import Book
from icp_xl.workbook.calibration_table import write_calibration
from icp_xl.workbook.inputs import read_weights


def _copy_weights(book: Book, names: Mapping[str, str], keep_calibration: bool = False) -> Weights:
    return set_current_weights(book, read_weights(book, names), keep_calibration)


def set_current_weights(book: Book, weights: Weights, keep_calibration: bool = False) -> Weights:
    """Write ``weights`` (already valid) into the current weights. In Calibrated mode the
    calibration is frozen anew on today's accounts with them (a calibration belongs to its
    weights), unless ``keep_calibration`` keeps the old scale (every rescore then warns).
    Nothing is written when the accounts cannot be read for the calibration."""
    calibration = None if keep_calibration else calibration_for_weights(book, weights)
    for component in COMPONENTS:
        book.set_name(layout.WEIGHT_NAMES[component], getattr(weights, component))
    refrozen = ""
    if calibration is not None:
        write_calibration(book, calibration)
        refrozen = f"; calibration made anew on {calibration.accounts:,} accounts"
    book.status("Weights set: " + weights_text(weights) + refrozen)
    return weights


def use_optimized_weights(book: Book, keep_calibration: bool = False) -> Weights:
    """Copy the optimized weights (Weights sheet, column C) into the current weights
    (see :func:`set_current_weights` for the calibration)."""
    for component in COMPONENTS:
        if book.read_name(layout.OPTIMIZED_WEIGHT_NAMES[component]) in (None, ""):
            where = book.locate(layout.OPTIMIZED_WEIGHT_NAMES[component])
            raise IcpError(f"There are no optimized weights yet ({where} is blank); run Optimize")
    return _copy_weights(book, layout.OPTIMIZED_WEIGHT_NAMES, keep_calibration)


def reset_weights(book: Book, keep_calibration: bool = False) -> Weights:
    """Copy the default weights (Weights sheet, column D) into the current weights
    (see :func:`set_current_weights` for the calibration)."""
    return _copy_weights(book, layout.DEFAULT_WEIGHT_NAMES, keep_calibration)


def store_optimized_weights(
    book: Book,
    weights: Weights,
    metadata: Mapping[str, Any],
    apply: bool = False,
    keep_calibration: bool = False,
) -> None:
    """Write optimized weights and their metadata on the Weights sheet (``Opt_*`` names).

    ``metadata`` keys: see :data:`icp_xl.workbook.layout.OPTIMIZED_METADATA`
    (``best_objective_value``,
    ``spearman``, ``holdout_spearman``, ``kl_divergence``, ``lambda_param``, ``n_trials``,
    ``include_size``, ``seed``, ``run_at``); missing keys leave a blank, others are
    ignored. ``apply`` also makes them the current weights (``keep_calibration``: see
    :func:`set_current_weights`).
    """
    for component in COMPONENTS:
        book.set_name(layout.OPTIMIZED_WEIGHT_NAMES[component], getattr(weights, component))
    for key, name, _, _ in layout.OPTIMIZED_METADATA:
        book.set_name(name, cell_value(metadata.get(key)))
    if apply:
        _copy_weights(book, layout.OPTIMIZED_WEIGHT_NAMES, keep_calibration)
