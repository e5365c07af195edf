"""icp_xl: Ideal Customer Profile scoring for Excel (xlwings add-in) and a headless CLI.

The core is pure functions over pandas DataFrames::

    from icp_xl import Settings, prepare_accounts, score_accounts
    scored = score_accounts(prepare_accounts(raw_table), Settings())
"""

from icp_xl.accounts import Accounts, prepare_accounts
from icp_xl.errors import IcpError
from icp_xl.scoring import score_accounts
from icp_xl.settings import Settings, Weights

__version__ = "0.1.0"
__all__ = ["Accounts", "IcpError", "Settings", "Weights", "prepare_accounts", "score_accounts"]
