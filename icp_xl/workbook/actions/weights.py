"""The weight cells: use the optimized weights, reset to the defaults, store optimized
weights and their metadata."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from icp_xl.core.errors import IcpError
from icp_xl.core.model.settings import COMPONENTS, Weights
from icp_xl.workbook import layout
from icp_xl.workbook.actions.rescoring import weights_text
from icp_xl.workbook.blocks import cell_value
from icp_xl.workbook.book import Book
from icp_xl.workbook.inputs import read_weights


def _copy_weights(book: Book, names: Mapping[str, str]) -> Weights:
    return set_current_weights(book, read_weights(book, names))


def set_current_weights(book: Book, weights: Weights) -> Weights:
    """Write ``weights`` (already valid) into the current weights."""
    for component in COMPONENTS:
        book.set_name(layout.WEIGHT_NAMES[component], getattr(weights, component))
    book.status("Weights set: " + weights_text(weights))
    return weights


def use_optimized_weights(book: Book) -> Weights:
    """Copy the optimized weights (Weights sheet, column C) into the current weights."""
    for component in COMPONENTS:
        if book.read_name(layout.OPTIMIZED_WEIGHT_NAMES[component]) in (None, ""):
            where = book.locate(layout.OPTIMIZED_WEIGHT_NAMES[component])
            raise IcpError(f"There are no optimized weights yet ({where} is blank); run Optimize")
    return _copy_weights(book, layout.OPTIMIZED_WEIGHT_NAMES)


def reset_weights(book: Book) -> Weights:
    """Copy the default weights (Weights sheet, column D) into the current weights."""
    return _copy_weights(book, layout.DEFAULT_WEIGHT_NAMES)


def store_optimized_weights(
    book: Book, weights: Weights, metadata: Mapping[str, Any], apply: bool = False
) -> None:
    """Write optimized weights and their metadata on the Weights sheet (``Opt_*`` names).

    ``metadata`` keys: see :data:`icp_xl.workbook.layout.OPTIMIZED_METADATA`
    (``best_objective_value``,
    ``spearman``, ``holdout_spearman``, ``kl_divergence``, ``lambda_param``, ``n_trials``,
    ``include_size``, ``seed``, ``run_at``); missing keys leave a blank, others are
    ignored. ``apply`` also makes them the current weights.
    """
    for component in COMPONENTS:
        book.set_name(layout.OPTIMIZED_WEIGHT_NAMES[component], getattr(weights, component))
    for key, name, _, _ in layout.OPTIMIZED_METADATA:
        book.set_name(name, cell_value(metadata.get(key)))
    if apply:
        _copy_weights(book, layout.OPTIMIZED_WEIGHT_NAMES)
