"""icp_xl: Ideal Customer Profile scoring for Excel (xlwings add-in) and a headless CLI.

The core is pure functions over pandas DataFrames::

    from icp_xl import Settings, prepare_accounts, score_accounts
    scored = score_accounts(prepare_accounts(raw_table), Settings())

The workbook actions run on a file as the CLI does::

    from icp_xl import FileBook, actions
    book = FileBook.open("ICP.xlsx")
    actions.rescore(book)
    book.save()

The folders are the layers (lowest first): ``core``, ``files``, ``studies``, ``workbook``,
``hosts``, ``excel``, ``cli``; see docs/architecture.md.

The public names load on first use, so ``icp-xl --help`` does not import pandas.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"
_MODULES = {"actions": "icp_xl.workbook.actions"}
_PUBLIC = {  # name -> the module that defines it
    "Accounts": "icp_xl.core.inputs.accounts",
    "prepare_accounts": "icp_xl.core.inputs.accounts",
    "IcpError": "icp_xl.core.errors",
    "score_accounts": "icp_xl.core.model.scoring",
    "Settings": "icp_xl.core.model.settings",
    "Weights": "icp_xl.core.model.settings",
    "optimize_weights": "icp_xl.studies.optimize",
    "FileBook": "icp_xl.hosts.file.book",
    "new_workbook": "icp_xl.hosts.file.new_workbook",
    "main": "icp_xl.cli",
}
__all__ = sorted([*_PUBLIC, *_MODULES])


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(_MODULES[name])
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'icp_xl' has no attribute {name!r}")
