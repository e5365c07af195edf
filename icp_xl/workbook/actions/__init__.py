"""The workbook actions, written once over :class:`~icp_xl.workbook.book.Book`.

The ribbon (live Excel, xlwings) and the CLI (file, openpyxl) call these same
functions; only the Book differs. Each action reads the user's inputs (Accounts,
Weights, Settings), computes with the core, and writes values into the output
sheets of :mod:`icp_xl.workbook.layout`. Input errors raise
:class:`~icp_xl.core.errors.IcpError` before anything is written.

One module per action (rescoring, explanation, export, crm_export, validation, weights,
optimization, accounts_import); the shared scoring pass is in :mod:`.scoring`. The names below are
the actions' public surface. A new workbook *file* is made by the file host:
:func:`icp_xl.hosts.file.new_workbook.new_workbook`.
"""

from icp_xl.workbook.actions.accounts_import import account_cells, import_accounts
from icp_xl.workbook.actions.calibrate import calibrate_book
from icp_xl.workbook.actions.crm_export import crm_frame, export_crm, model_version
from icp_xl.workbook.actions.explanation import picked_customer_id, write_account_explanation
from icp_xl.workbook.actions.export import (
    export_csv,
    export_file_name,
    export_frame,
    free_path,
    stale_warning,
)
from icp_xl.workbook.actions.history import changed_since_last_rescore
from icp_xl.workbook.actions.optimization import (
    judge_won_fit,
    optimization_blocks,
    optimize_book,
    optimizer_options,
    store_optimization,
)
from icp_xl.workbook.actions.preview import candidate_weights, preview_text, preview_weights
from icp_xl.workbook.actions.rescoring import (
    RescoreResult,
    refresh_segment_view,
    rescore,
    scores_rows,
    top_customers,
    write_blocks,
)
from icp_xl.workbook.actions.scoring import Scored, score_book, selected_view, view_scores
from icp_xl.workbook.actions.stored_results import stored_optimized_weights, stored_trial_history
from icp_xl.workbook.actions.validation import Validation, validate
from icp_xl.workbook.actions.weights import (
    reset_weights,
    store_optimized_weights,
    use_optimized_weights,
)

__all__ = [
    "RescoreResult",
    "Scored",
    "Validation",
    "account_cells",
    "calibrate_book",
    "candidate_weights",
    "changed_since_last_rescore",
    "crm_frame",
    "export_crm",
    "export_csv",
    "export_file_name",
    "model_version",
    "export_frame",
    "free_path",
    "import_accounts",
    "optimization_blocks",
    "optimize_book",
    "optimizer_options",
    "picked_customer_id",
    "preview_text",
    "preview_weights",
    "judge_won_fit",
    "refresh_segment_view",
    "rescore",
    "reset_weights",
    "score_book",
    "scores_rows",
    "selected_view",
    "stale_warning",
    "store_optimization",
    "store_optimized_weights",
    "stored_optimized_weights",
    "stored_trial_history",
    "top_customers",
    "use_optimized_weights",
    "validate",
    "view_scores",
    "write_account_explanation",
    "write_blocks",
]
