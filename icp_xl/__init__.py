"""icp_xl: Ideal Customer Profile scoring for Excel (xlwings add-in) and a headless CLI.

The core is pure functions over pandas DataFrames::

    from icp_xl import Settings, prepare_accounts, score_accounts
    scored = score_accounts(prepare_accounts(raw_table), Settings())

The public names load on first use, so ``icp-xl --help`` does not import pandas.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"
_PUBLIC = {
    "Accounts": "icp_xl.accounts",
    "prepare_accounts": "icp_xl.accounts",
    "IcpError": "icp_xl.errors",
    "score_accounts": "icp_xl.scoring",
    "Settings": "icp_xl.settings",
    "Weights": "icp_xl.settings",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'icp_xl' has no attribute {name!r}")
