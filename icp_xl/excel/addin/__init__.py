"""The ICP Excel add-in: build ``ICP.xlam`` from ``workbook/`` and install it for Excel.

Public API:

- :func:`build_addin` -- write the add-in (ribbon, VBA callbacks, pre-built UDF wrappers).
- :func:`install_addin` / :func:`excel_addin_folder` -- put it where Excel loads it.
- :data:`RIBBON_ACTIONS` -- the Python actions the ribbon calls through
  ``icp_xl.excel.ribbon.run_action(name)``, checked against ``workbook/ribbon.xml``.
- :func:`load_addin_sources`, :func:`generate_udf_wrapper_module` -- the building blocks.
"""

from icp_xl.excel.addin.build import (
    CONFIG_SHEET,
    DEFAULT_UDF_MODULES,
    SETTING_KEYS,
    AddinBuild,
    build_addin,
)
from icp_xl.excel.addin.install import excel_addin_folder, install_addin
from icp_xl.excel.addin.sources import RIBBON_ACTIONS, AddinSources, load_addin_sources
from icp_xl.excel.addin.udf_wrappers import UdfWrappers, generate_udf_wrapper_module

__all__ = [
    "CONFIG_SHEET",
    "DEFAULT_UDF_MODULES",
    "RIBBON_ACTIONS",
    "SETTING_KEYS",
    "AddinBuild",
    "AddinSources",
    "UdfWrappers",
    "build_addin",
    "excel_addin_folder",
    "generate_udf_wrapper_module",
    "install_addin",
    "load_addin_sources",
]
