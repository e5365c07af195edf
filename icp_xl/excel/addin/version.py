"""The add-in works only with the xlwings version it was built with; this checks it.

The built add-in carries the version of the xlwings package it was built from (the
constant ``XLWINGS_VERSION`` of its ``xlwings`` VBA module, which also names the
``xlwings64-<version>.dll`` its formulas load and, on macOS, the
``xlwings-<version>.applescript`` its buttons call). It hands that version to Python:

- every ribbon button passes it to ``icp_xl.excel.ribbon.run_action(..., addin_xlwings=...)``;
- the formulas' Python process is started with the environment variable
  :data:`ADDIN_XLWINGS_ENV` set to it (see ``build.py``, ``XLPyCommand``).

Python compares it with the installed xlwings and refuses to run on a mismatch, with
one sentence naming both versions and the fix.
"""

from __future__ import annotations

import os

import xlwings

#: Environment variable the add-in sets for its formulas' Python process.
ADDIN_XLWINGS_ENV = "ICP_XL_ADDIN_XLWINGS"
#: The command that rebuilds the add-in from the installed xlwings.
FIX = "close Excel, run 'icp-xl addin install' and start Excel again"


def installed_xlwings() -> str:
    """The version of the xlwings package Python imports."""
    return xlwings.__version__


def version_mismatch(addin_xlwings: str | None, installed: str | None = None) -> str | None:
    """The one-sentence refusal when the add-in was built for another xlwings, else None.

    Inputs: the add-in's xlwings version (None or "" when unknown: nothing to check)
    and the installed one (default: :func:`installed_xlwings`).
    """
    installed = installed or installed_xlwings()
    if not addin_xlwings or addin_xlwings.strip() == installed:
        return None
    return (
        f"The ICP add-in was built for xlwings {addin_xlwings.strip()} but Python has "
        f"xlwings {installed}; to rebuild it, {FIX}."
    )


def formula_version_mismatch() -> str | None:
    """:func:`version_mismatch` for the formulas: the add-in's version from the environment."""
    return version_mismatch(os.environ.get(ADDIN_XLWINGS_ENV))
