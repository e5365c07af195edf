"""The Excel-side text sources of the add-in: ``workbook/ribbon.xml`` and ``workbook/vba/*.bas``.

Pure functions parse and cross-check them; :func:`load_addin_sources` is the only
part that touches the file system. The sources are found in the source checkout
(``<repo>/workbook``) or, for a wheel install, in ``<prefix>/share/icp_xl/workbook``
(shipped as ``data-files``, see pyproject.toml).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from icp_xl.core.errors import IcpError


def ribbon_actions() -> tuple[str, ...]:
    """The Python actions the ribbon may call, in ribbon order: the keys of
    ``icp_xl.excel.ribbon.HANDLERS``. A new button needs its handler there, its
    ``<button>`` in ``ribbon.xml`` and its callback Sub; the builder needs no change."""
    from icp_xl.excel.ribbon import HANDLERS

    return tuple(HANDLERS)


#: customUI namespace of ``ribbon.xml`` (Office 2010+), its part name and relationship type.
CUSTOM_UI_NAMESPACE = "http://schemas.microsoft.com/office/2009/07/customui"
CUSTOM_UI_PART = "customUI/customUI14.xml"
CUSTOM_UI_RELATIONSHIP = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"

_DISTRIBUTION = "icp_xl"
_SHARED_DIR = ("share", "icp_xl", "workbook")
_VB_NAME = re.compile(r'^Attribute\s+VB_Name\s*=\s*"([^"]+)"', re.MULTILINE | re.IGNORECASE)
_CALLBACK_SUB = re.compile(
    r"^[ \t]*(?:Public[ \t]+)?Sub[ \t]+(\w+)[ \t]*\([ \t]*(?:ByRef[ \t]+|ByVal[ \t]+)?\w+"
    r"[ \t]+As[ \t]+IRibbonControl[ \t]*\)(.*?)^[ \t]*End[ \t]+Sub",
    re.MULTILINE | re.IGNORECASE | re.DOTALL,
)
#: How a callback runs its action: ``RunIcpAction "<name>"`` (optionally ``, False``: the
#: action also works without an open workbook), the Sub of ``vba/IcpRibbon.bas`` that
#: guards against no active workbook and passes the add-in's xlwings version.
_RUN_ACTION = re.compile(r'^[ \t]*RunIcpAction[ \t]+"(\w+)"', re.MULTILINE | re.IGNORECASE)
#: Buttons that run VBA only, no Python (callback Sub -> the VBA Sub its one line calls):
#: Restart Python stops the formulas' Python server with xlwings' own ``KillPy``.
VBA_ONLY_CALLBACKS: dict[str, str] = {"OnRestartPython": "RestartIcpPython"}


@dataclass(frozen=True)
class VbaModule:
    """A standard VBA module as text: its ``VB_Name`` and its source (LF line ends)."""

    name: str
    source: str


@dataclass(frozen=True)
class AddinSources:
    """The ribbon XML and the VBA callback modules the add-in is built from."""

    ribbon_xml: bytes
    modules: tuple[VbaModule, ...]


def find_workbook_dir() -> Path:
    """Return the directory holding ``ribbon.xml`` and ``vba/``.

    Looks in the source checkout first (so edits take effect without reinstalling),
    then in the data files of the installed ``icp_xl`` distribution. Raises IcpError
    when neither exists.
    """
    checkout = Path(__file__).resolve().parents[3] / "workbook"
    candidates = [checkout]
    try:
        dist = metadata.distribution(_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        for file in dist.files or ():
            if file.parts[-len(_SHARED_DIR) - 1 :] == (*_SHARED_DIR, "ribbon.xml"):
                candidates.append(Path(str(dist.locate_file(file))).resolve().parent)
    for candidate in candidates:
        if (candidate / "ribbon.xml").is_file():
            return candidate
    raise IcpError(
        "The add-in sources (workbook/ribbon.xml) were not found; reinstall icp_xl "
        "or run from a source checkout."
    )


def load_addin_sources(workbook_dir: Path | None = None) -> AddinSources:
    """Read ``ribbon.xml`` and every ``vba/*.bas`` under ``workbook_dir`` and check them.

    Input: the sources directory (default :func:`find_workbook_dir`).
    Output: the checked :class:`AddinSources`. Raises IcpError on any inconsistency.
    """
    root = workbook_dir if workbook_dir is not None else find_workbook_dir()
    ribbon_path = root / "ribbon.xml"
    if not ribbon_path.is_file():
        raise IcpError(f"Ribbon source {ribbon_path} does not exist.")
    modules = tuple(
        parse_vba_module(path.read_text(encoding="utf-8"), path.stem)
        for path in sorted((root / "vba").glob("*.bas"))
    )
    sources = AddinSources(ribbon_path.read_bytes(), modules)
    check_addin_sources(sources)
    return sources


def parse_vba_module(text: str, expected_name: str) -> VbaModule:
    """Parse a ``.bas`` export: its ``Attribute VB_Name`` must equal ``expected_name``.

    Input: the file text and its file stem. Output: a :class:`VbaModule` with LF line ends.
    """
    source = text.replace("\r\n", "\n").replace("\r", "\n")
    match = _VB_NAME.search(source)
    if match is None or match.group(1) != expected_name:
        found = match.group(1) if match else "no VB_Name"
        raise IcpError(
            f"VBA module {expected_name}.bas must start with "
            f'Attribute VB_Name = "{expected_name}" (found {found}).'
        )
    return VbaModule(expected_name, source)


def ribbon_on_actions(ribbon_xml: bytes) -> list[str]:
    """Return every ``onAction`` value of the customUI document, in document order.

    Raises IcpError when the XML is malformed or not in :data:`CUSTOM_UI_NAMESPACE`.
    """
    try:
        root = ET.fromstring(ribbon_xml)
    except ET.ParseError as exc:
        raise IcpError(f"ribbon.xml is not well-formed XML: {exc}.") from exc
    if root.tag != f"{{{CUSTOM_UI_NAMESPACE}}}customUI":
        raise IcpError(f"ribbon.xml must be a customUI element in {CUSTOM_UI_NAMESPACE}.")
    return [el.attrib["onAction"] for el in root.iter() if "onAction" in el.attrib]


def ribbon_callbacks(module: VbaModule) -> dict[str, list[str]]:
    """Map each ``Sub X(control As IRibbonControl)`` of the module that runs Python to the
    actions it runs (the :data:`VBA_ONLY_CALLBACKS` are left out)."""
    return {
        match.group(1): _RUN_ACTION.findall(match.group(2))
        for match in _CALLBACK_SUB.finditer(module.source)
        if match.group(1) not in VBA_ONLY_CALLBACKS
    }


def vba_only_callbacks(module: VbaModule) -> dict[str, str]:
    """Map each :data:`VBA_ONLY_CALLBACKS` Sub of the module to its body's code lines."""
    return {
        match.group(1): " ".join(
            line.strip() for line in match.group(2).splitlines()
            if line.strip() and not line.strip().startswith("'")
        )
        for match in _CALLBACK_SUB.finditer(module.source)
        if match.group(1) in VBA_ONLY_CALLBACKS
    }  # fmt: skip


def check_addin_sources(sources: AddinSources) -> None:
    """Check that the ribbon and the callbacks agree; raise IcpError naming the first problem.

    Rules: every ``onAction`` is ``Module.Sub`` with such a callback Sub; every callback
    runs exactly one action from :func:`ribbon_actions` with ``RunIcpAction``, or is one
    of the :data:`VBA_ONLY_CALLBACKS` calling its Sub; every action has a button.
    """
    known = ribbon_actions()
    callbacks = {module.name: ribbon_callbacks(module) for module in sources.modules}
    vba_only = {module.name: vba_only_callbacks(module) for module in sources.modules}
    used: set[str] = set()
    for on_action in ribbon_on_actions(sources.ribbon_xml):
        module_name, _, sub_name = on_action.rpartition(".")
        if sub_name in VBA_ONLY_CALLBACKS:
            if vba_only.get(module_name, {}).get(sub_name) != VBA_ONLY_CALLBACKS[sub_name]:
                raise IcpError(
                    f"Callback {on_action} must only call {VBA_ONLY_CALLBACKS[sub_name]}."
                )
            continue
        actions = callbacks.get(module_name, {}).get(sub_name)
        if actions is None:
            raise IcpError(
                f"Ribbon onAction {on_action!r} has no 'Sub {sub_name}(control As "
                f"IRibbonControl)' in workbook/vba/{module_name or '<module>'}.bas."
            )
        if len(actions) != 1 or actions[0] not in known:
            raise IcpError(
                f"Callback {on_action} must run exactly one known action with "
                f'RunIcpAction "<action>"; found {actions or "none"}.'
            )
        used.add(actions[0])
    missing = [action for action in known if action not in used]
    if missing:
        raise IcpError(f"The ribbon has no button for the action(s): {', '.join(missing)}.")
