"""The ICP Excel add-in: build ``ICP.xlam`` from ``workbook/`` and install it for Excel.

Public API:

- :func:`build_addin` -- write the add-in (ribbon, VBA callbacks, pre-built UDF wrappers,
  function registration for Insert Function).
- :func:`install_addin` / :func:`excel_addin_folder` -- build it where Excel loads it,
  recording the interpreter ``icp-xl`` runs under.
- :func:`ribbon_actions` -- the Python actions the ribbon may call through
  ``icp_xl.excel.ribbon.run_action(name, ...)`` (the keys of ``ribbon.HANDLERS``),
  checked against ``workbook/ribbon.xml``.
- :mod:`~icp_xl.excel.addin.version` -- the add-in's xlwings version against Python's.
- :mod:`~icp_xl.excel.addin.runs` -- one action at a time per workbook; stopping Optimize.
- :func:`load_addin_sources`, :func:`generate_udf_wrapper_module` -- the building blocks.

The names load on first use: the ribbon and the formulas import the light modules
(``version``, ``runs``) without pulling in the builder (pyOpenVBA, xlwings' generator).
"""

from __future__ import annotations

import importlib
from typing import Any

_PUBLIC = {  # name -> the module that defines it
    "CONFIG_SHEET": "icp_xl.excel.addin.build",
    "DEFAULT_UDF_MODULES": "icp_xl.excel.addin.build",
    "SETTING_KEYS": "icp_xl.excel.addin.build",
    "AddinBuild": "icp_xl.excel.addin.build",
    "build_addin": "icp_xl.excel.addin.build",
    "excel_addin_folder": "icp_xl.excel.addin.install",
    "install_addin": "icp_xl.excel.addin.install",
    "AddinSources": "icp_xl.excel.addin.sources",
    "load_addin_sources": "icp_xl.excel.addin.sources",
    "ribbon_actions": "icp_xl.excel.addin.sources",
    "UdfWrappers": "icp_xl.excel.addin.udf_wrappers",
    "generate_udf_wrapper_module": "icp_xl.excel.addin.udf_wrappers",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'icp_xl.excel.addin' has no attribute {name!r}")
