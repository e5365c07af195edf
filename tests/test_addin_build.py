"""Build ICP.xlam for real and read it back with olevba, zipfile and LibreOffice."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import olefile
import pytest
import xlwings
from oletools.olevba import VBA_Parser
from pyopenvba import ExcelFile

from icp_xl.core.errors import IcpError
from icp_xl.excel.addin import build_addin
from icp_xl.excel.addin.build import CONFIG_SHEET, TEMPLATE_NAME, VBA_PROJECT_NAME
from icp_xl.excel.addin.package import content_type_of, read_package
from icp_xl.excel.addin.registration import describe, quiet_in_function_wizard
from icp_xl.excel.addin.sources import (
    CUSTOM_UI_NAMESPACE,
    CUSTOM_UI_PART,
    CUSTOM_UI_RELATIONSHIP,
    VBA_ONLY_CALLBACKS,
)
from icp_xl.excel.addin.udf_wrappers import function_docs, import_udf_module
from icp_xl.excel.addin.version import ADDIN_XLWINGS_ENV, version_mismatch
from icp_xl.excel.ribbon import HANDLERS

REPO = Path(__file__).resolve().parents[1]
UDF_MODULE = "icp_addin_test_udfs"
UDF_SOURCE = textwrap.dedent(
    '''
    import xlwings as xw


    @xw.func
    def twice(x):
        """Two times x."""
        return 2 * x


    @xw.func(volatile=True)
    @xw.arg("values", ndim=2)
    def weighted_total(values, *weights):
        return sum(sum(row) for row in values)


    @xw.func
    def greeting(name, punctuation="!"):
        return f"Hello {name}{punctuation}"


    def helper(x):
        return x
    '''
)
SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def olevba_modules(path: Path) -> dict[str, str]:
    """Module name -> source, as olevba (oletools) extracts them."""
    parser = VBA_Parser(str(path))
    try:
        return {
            name.rsplit(".", 1)[0]: code if isinstance(code, str) else code.decode("latin-1")
            for _, _, name, code in parser.extract_macros()
        }
    finally:
        parser.close()


def decorated_functions(source: str) -> set[str]:
    """Names of functions decorated with xw.func (plain or called), read with ast."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if isinstance(target, ast.Attribute) and target.attr == "func":
                    names.add(node.name)
    return names


@pytest.fixture(scope="module")
def udf_module_dir(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("udfs")
    (folder / f"{UDF_MODULE}.py").write_text(UDF_SOURCE)
    sys.path.insert(0, str(folder))
    yield folder
    sys.path.remove(str(folder))


@pytest.fixture(scope="module")
def built(udf_module_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("addin") / "ICP.xlam"
    result = build_addin(out, [UDF_MODULE], {"Interpreter_Win": r"C:\py\python.exe"})
    assert result.path == out
    assert sorted(result.udf_functions) == sorted(decorated_functions(UDF_SOURCE))
    return out


def ribbon_on_actions(xml: bytes) -> list[str]:
    return [el.attrib["onAction"] for el in ET.fromstring(xml).iter() if "onAction" in el.attrib]


def vba_sub(source: str, header: str) -> str:
    """The body of the Sub whose first line starts with ``header``."""
    body = re.search(rf"^{re.escape(header)}.*?\n(.*?)\nEnd Sub", source, re.S | re.M)
    assert body, f"no Sub {header!r}"
    return body.group(1)


# Actions that work from an empty Excel (RunIcpAction ..., False): the rest need a workbook.
WITHOUT_WORKBOOK = {"new_workbook", "help", "diagnose"}


def test_every_ribbon_on_action_is_a_guarded_callback_running_a_known_action(
    built: Path,
) -> None:
    modules = olevba_modules(built)
    with zipfile.ZipFile(built) as archive:
        on_actions = ribbon_on_actions(archive.read(CUSTOM_UI_PART))
    seen = {}
    for on_action in on_actions:
        module, sub = on_action.split(".")
        body = vba_sub(modules[module], f"Public Sub {sub}(control As IRibbonControl)")
        if sub in VBA_ONLY_CALLBACKS:  # no Python: one call of a VBA Sub
            assert body.strip() == VBA_ONLY_CALLBACKS[sub], on_action
            continue
        assert "RunPython" not in body and "ActiveWorkbook" not in body, on_action
        calls = re.findall(r'^\s*RunIcpAction "(\w+)"(, False)?\s*$', body, re.M)
        assert len(calls) == 1 and len(body.strip().splitlines()) == 1, on_action
        seen[calls[0][0]] = bool(calls[0][1])
    assert sorted(seen) == sorted(HANDLERS)
    assert {action for action, anywhere in seen.items() if anywhere} == WITHOUT_WORKBOOK


def test_restart_python_stops_the_formula_server_with_xlwings_kill_py(built: Path) -> None:
    modules = olevba_modules(built)
    body = vba_sub(modules["IcpRibbon"], "Public Sub RestartIcpPython()")
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    assert lines[0] == "#If Mac Then" and "nothing to restart" in body
    windows = lines[lines.index("#Else") :]
    assert windows[1:3] == ["On Error Resume Next", "KillPy"]
    assert "RunPython" not in body  # works even when Python cannot start
    assert re.search(r"^Sub KillPy\(\)\s*\n\s*XLPyLoadDLL", modules["xlwings"], re.M)


def test_run_icp_action_guards_against_no_active_workbook_before_run_python(built: Path) -> None:
    ribbon = olevba_modules(built)["IcpRibbon"]
    body = vba_sub(ribbon, "Private Sub RunIcpAction(action As String")
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    guard = lines.index("If ActiveWorkbook Is Nothing Then")
    run = next(i for i, line in enumerate(lines) if line.startswith("RunPython "))
    assert guard < run
    # a button that needs a workbook says what to open and never reaches RunPython ...
    assert lines[guard + 1 : guard + 4] == [
        "If needsWorkbook Then",
        "MsgBox NO_WORKBOOK, vbInformation, ICP_TITLE",
        "Exit Sub",
    ]
    assert "Open your ICP workbook first (File > Open)" in ribbon
    assert "Enable Editing" in ribbon
    # ... the others open a blank workbook for RunPython and tell Python its name
    assert lines[guard + 5 : guard + 7] == ["blankName = Workbooks.Add.Name", "End If"]
    command = " ".join(lines[run:]).replace('" & _ "', '" & "')
    assert command == (
        'RunPython "import icp_xl.excel.ribbon; icp_xl.excel.ribbon.run_action(\'" & action & _ '
        '"\', \'" & XLWINGS_VERSION & "\', \'" & blankName & "\')"'
    )
    assert ribbon.count("RunPython ") == 1


def test_the_addin_carries_the_xlwings_version_it_was_built_with(built: Path) -> None:
    xlwings_module = olevba_modules(built)["xlwings"]
    assert f'Public Const XLWINGS_VERSION As String = "{xlwings.__version__}"' in xlwings_module
    assert f'Lib "xlwings64-{xlwings.__version__}.dll"' in xlwings_module
    # the formulas' Python process learns it from its command line
    tail = next(line for line in xlwings_module.splitlines() if "tail = " in line)
    assert f"os.environ['{ADDIN_XLWINGS_ENV}']='\" & XLWINGS_VERSION & \"';" in tail


def test_formula_wrappers_name_both_versions_when_xlwings_dll_is_missing(built: Path) -> None:
    modules = olevba_modules(built)
    wrappers = modules["xlwings_udfs"]
    functions = re.findall(r"^Function (\w+)\(", wrappers, re.M)
    for name in functions:
        assert f"failed:\n    {name} = IcpFormulaError(Err.Description)" in wrappers.replace(
            "\r\n", "\n"
        )
    helper = modules["IcpFormulas"]
    assert "Could not load xlwings" in helper
    # the VBA sentence is the one Python says (version_mismatch), with the versions filled in
    vba = re.search(
        r'"#ICP! (The ICP add-in was built for xlwings )" & XLWINGS_VERSION & _\s*'
        r'"( but Python has xlwings )" & installed & "; " & ICP_FIX',
        helper,
    )
    fix = re.search(r'ICP_FIX As String = "([^"]+)"', helper)
    assert vba and fix
    sentence = f"{vba.group(1)}A{vba.group(2)}B; {fix.group(1)}"
    assert sentence == version_mismatch("A", "B")


@pytest.fixture(scope="module")
def product_addin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The add-in as `icp-xl addin build` makes it, with the product's own formulas."""
    return build_addin(tmp_path_factory.mktemp("product") / "ICP.xlam").path


def test_formulas_over_the_accounts_table_skip_python_in_the_function_arguments_dialog(
    product_addin: Path,
) -> None:
    modules = olevba_modules(product_addin)
    wrappers = modules["xlwings_udfs"].replace("\r\n", "\n")
    bodies = dict(re.findall(r"^Function (\w+)\(.*?\n(.*?)\nEnd Function", wrappers, re.M | re.S))
    guarded = {name for name, body in bodies.items() if "IcpInFunctionWizard" in body}
    assert guarded == {"ICP_SCORE_TABLE", "ICP_EXPLAIN"}
    for name in guarded:
        lines = [line.strip() for line in bodies[name].splitlines()]
        check = lines.index("If TypeOf Application.Caller Is Range Then On Error GoTo failed")
        assert lines[check + 1 : check + 5] == [
            f'If IcpInFunctionWizard("{name}") Then',
            f'{name} = IcpFunctionWizardNote("{name}")',
            "Exit Function",
            "End If",
        ]
        assert "XLPy.CallUDF" in lines[check + 5]
    helper = modules["IcpFormulas"].replace("\r\n", "\n")
    body = helper.split("Public Function IcpInFunctionWizard(", 1)[1].split("\nEnd Function")[0]
    # a formula already in the cell always runs; only Excel's own visible dialogs count
    committed = body.index("Application.Caller.Cells(1, 1).Formula, functionName")
    assert committed < body.index("FindWindowEx(0, 0, EXCEL_DIALOG_CLASS")
    assert "owner = GetCurrentProcessId()" in body and "IsWindowVisible(window)" in body
    assert body.split("\n", 1)[1].lstrip().startswith("#If Not Mac Then")
    assert 'EXCEL_DIALOG_CLASS As String = "bosa_sdm_XL9"' in helper
    declares = re.findall(r"Private Declare (PtrSafe )?Function (\w+)", helper)
    assert sorted(name for safe, name in declares if safe) == sorted(
        name for safe, name in declares if not safe
    )


def test_the_function_wizard_guard_refuses_wrappers_it_cannot_place() -> None:
    docs = function_docs(import_udf_module("icp_xl.excel.formulas"))
    table = next(doc for doc in docs if doc.name == "ICP_SCORE_TABLE")
    wrapper = "\nFunction ICP_SCORE_TABLE(accounts)\n    x = 1\nEnd Function\n"
    with pytest.raises(IcpError, match="ICP_SCORE_TABLE has no Application.Caller check"):
        quiet_in_function_wizard(wrapper, [table])


def test_the_formulas_python_command_line_is_the_same_for_every_workbook(built: Path) -> None:
    xlwings_module = olevba_modules(built)["xlwings"].replace("\r\n", "\n")
    command = xlwings_module.split("Function XLPyCommand()", 1)[1].split("\nEnd Function")[0]
    assert "ActiveWorkbook" not in command
    assert 'PYTHONPATH = AddExcelDir & ";" & ";" & ThisWorkbook.FullName & ";" & ' in command
    # the buttons (RunPython) still pass the clicked workbook to Python
    assert '" --wb=" & """" & ActiveWorkbook.Name' in xlwings_module


def test_formula_errors_name_a_missing_python_and_say_windows_only_on_macos(built: Path) -> None:
    modules = olevba_modules(built)
    source = modules["IcpFormulas"].replace("\r\n", "\n")
    body = source.split("Public Function IcpFormulaError(", 1)[1].split("\nEnd Function", 1)[0]
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    mac = lines.index("#If Mac Then")
    assert lines[mac + 1].startswith('IcpFormulaError = "#ICP! ICP formulas run on Windows only')
    assert lines[mac + 3 : mac + 5] == ["Exit Function", "#End If"]
    # the recorded interpreter is checked, with xlwings' own helpers, before the DLL text
    checks = [i for i, line in enumerate(lines) if "FileExists(interpreter)" in line]
    dll = next(i for i, line in enumerate(lines) if "Could not load xlwings" in line)
    assert lines[mac + 5] == 'interpreter = GetConfig("INTERPRETER_WIN", "")'
    assert checks and checks[0] < dll and mac < checks[0]
    assert re.search(r"^Function FileExists\(", modules["xlwings"], re.M)
    assert "does not exist: its environment was moved or deleted" in body


def test_functions_are_registered_with_category_and_descriptions_when_the_addin_opens(
    tmp_path: Path,
) -> None:
    out = build_addin(tmp_path / "ICP.xlam").path
    modules = olevba_modules(out)
    assert re.search(
        r"Private Sub Workbook_Open\(\)\s*\n\s*IcpRegistration\.RegisterFunctions\s*\nEnd Sub",
        modules["ThisWorkbook"],
    )
    registration = modules["IcpRegistration"].replace("\r\n", "\n")
    docs = function_docs(import_udf_module("icp_xl.excel.formulas"))
    assert len(docs) >= 7
    for doc in docs:
        block = re.search(
            rf"((?:    ReDim arguments.*\n)?(?:    arguments\(\d+\) = .*\n)*)"
            rf"    Application\.MacroOptions Macro:=\"'\" & ThisWorkbook\.Name & \"'!{doc.name}\", "
            rf'Description:="((?:[^"]|"")*)", Category:="ICP"'
            r"(, ArgumentDescriptions:=arguments)?\n",
            registration,
        )
        assert block, doc.name
        description = block.group(2).replace('""', '"')
        assert description == describe(doc.doc) and 20 < len(description) <= 255
        assert "SPEC" not in description and "§" not in description
        arguments = re.findall(r'arguments\((\d+)\) = "((?:[^"]|"")*)"', block.group(1))
        written = [text.replace('""', '"') for _, text in arguments]
        assert written == [describe(text) for _, text in doc.arguments]
        assert [int(i) for i, _ in arguments] == list(range(len(doc.arguments)))
        assert bool(block.group(3)) == bool(doc.arguments)
    assert "On Error Resume Next" in registration


def test_every_image_mso_is_an_excel_control_id() -> None:
    listed = {
        line.strip()
        for line in (REPO / "tests" / "data" / "excel_control_ids.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert len(listed) > 2000 and "FileNew" in listed
    assert {"ImportExcel", "ExportTextFile", "ReviewAcceptChange"}.isdisjoint(listed)
    root = ET.fromstring((REPO / "workbook" / "ribbon.xml").read_bytes())
    images = [el.get("imageMso") for el in root.iter() if el.get("imageMso")]
    assert len(images) == len(HANDLERS) + len(VBA_ONLY_CALLBACKS)
    assert [image for image in images if image not in listed] == []


def test_no_template_leftovers_in_the_package_and_the_project_is_named_icp(built: Path) -> None:
    parts = read_package(built.read_bytes())
    core = parts["docProps/core.xml"].decode()
    assert "Felix" not in core and "Zumstein" not in core
    assert "<dc:creator>icp_xl (icp-xl addin build)</dc:creator>" in core
    assert "<dc:title>ICP Scoring</dc:title>" in core
    workbook = parts["xl/workbook.xml"].decode()
    assert "absPath" not in workbook and "felix" not in workbook.lower()
    ET.fromstring(parts["xl/workbook.xml"])  # still well-formed
    vba = olefile.OleFileIO(parts["xl/vbaProject.bin"])
    project = vba.openstream("PROJECT").read().decode("latin-1")
    assert f'Name="{VBA_PROJECT_NAME}"' in project and "MyAddin" not in project
    with ExcelFile(built) as book:
        assert book.vba_project().name == VBA_PROJECT_NAME
        assert book.validate() == []


def test_every_xw_func_has_a_vba_wrapper_and_nothing_else_does(built: Path) -> None:
    wrappers = olevba_modules(built)["xlwings_udfs"]
    functions = set(re.findall(r"^Function (\w+)\(", wrappers, re.M))
    assert functions == decorated_functions(UDF_SOURCE)
    for name in functions:
        assert f'XLPy.CallUDF("{UDF_MODULE}", "{name}", ' in wrappers
    assert "Function greeting(name, Optional punctuation)" in wrappers
    assert "ParamArray weights()" in wrappers
    assert "ActiveWorkbook" in wrappers  # add-in wrappers run on the active workbook


def test_template_vba_modules_are_kept_but_for_the_documented_lines(built: Path) -> None:
    template = olevba_modules(Path(xlwings.__file__).parent / TEMPLATE_NAME)
    ours = olevba_modules(built)
    assert "RibbonMyAddin" in template and "RibbonMyAddin" not in ours
    for name in ("Dictionary", "Sheet2"):
        assert ours[name].strip() == template[name].strip()
    assert ours["ThisWorkbook"].startswith(template["ThisWorkbook"].strip())
    old_lines = template["xlwings"].splitlines()
    new_lines = ours["xlwings"].splitlines()
    changed = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
    assert changed[0] == (
        'Public Const PROJECT_NAME As String = "myaddin"',
        'Public Const PROJECT_NAME As String = "icp_xl"',
    )
    assert len(changed) == 3
    assert "ActiveWorkbook.FullName" in changed[1][0] and "ActiveWorkbook" not in changed[1][1]
    assert ADDIN_XLWINGS_ENV in changed[2][1]
    assert "Public Function RunPython(PythonCommand As String)" in ours["xlwings"]


def test_custom_ui_replaces_the_template_one_with_its_relationship_and_content_type(
    built: Path,
) -> None:
    parts = read_package(built.read_bytes())
    assert parts[CUSTOM_UI_PART] == (REPO / "workbook" / "ribbon.xml").read_bytes()
    root = ET.fromstring(parts[CUSTOM_UI_PART])
    assert root.tag == f"{{{CUSTOM_UI_NAMESPACE}}}customUI"
    tab = next(root.iter(f"{{{CUSTOM_UI_NAMESPACE}}}tab"))
    assert (tab.get("id"), tab.get("label")) == ("icpTab", "ICP")
    rels = ET.fromstring(parts["_rels/.rels"])
    ui_rels = [rel for rel in rels if rel.get("Type").endswith("/ui/extensibility")]
    assert [(rel.get("Type"), rel.get("Target")) for rel in ui_rels] == [
        (CUSTOM_UI_RELATIONSHIP, CUSTOM_UI_PART)
    ]
    assert len({rel.get("Id") for rel in rels}) == len(rels)
    assert "customUI/customUI.xml" not in parts
    assert content_type_of(parts, CUSTOM_UI_PART) == "application/xml"


def test_config_sheet_names_the_udf_modules_and_given_settings(built: Path) -> None:
    parts = read_package(built.read_bytes())
    workbook = ET.fromstring(parts["xl/workbook.xml"])
    assert [s.get("name") for s in workbook.iter(f"{SHEET_NS}sheet")] == [CONFIG_SHEET]
    strings = [
        si.find(f"{SHEET_NS}t").text
        for si in ET.fromstring(parts["xl/sharedStrings.xml"]).iter(f"{SHEET_NS}si")
    ]
    cells = {
        c.get("r"): strings[int(c.find(f"{SHEET_NS}v").text)]
        for c in ET.fromstring(parts["xl/worksheets/sheet1.xml"]).iter(f"{SHEET_NS}c")
    }
    assert cells == {
        "A1": "UDF Modules",
        "B1": UDF_MODULE,
        "A2": "ADD_WORKBOOK_TO_PYTHONPATH",
        "B2": "False",
        "A3": "Interpreter_Win",
        "B3": r"C:\py\python.exe",
    }
    assert b'codeName="Sheet2"' in parts["xl/worksheets/sheet1.xml"]


def test_a_cloud_workbook_reaches_icp_xl_because_the_addin_keeps_its_folder_off_sys_path(
    built: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """RunPython's first Python statement is ``xlwings.utils.prepare_sys_path(args)``, args
    as the add-in's VBA joins them: the config value of ADD_WORKBOOK_TO_PYTHONPATH, the
    active and the add-in's FullName, three OneDrive/SharePoint settings, PYTHONPATH. For
    a workbook on OneDrive with AutoSave the FullName is an https address."""
    from xlwings.utils import fullname_url_to_local_path, prepare_sys_path

    monkeypatch.setenv("HOME", str(tmp_path))  # no OneDrive folder on this machine
    monkeypatch.delenv("OneDrive", raising=False)
    fullname_url_to_local_path.cache_clear()
    parts = read_package(built.read_bytes())
    strings = [
        si.find(f"{SHEET_NS}t").text
        for si in ET.fromstring(parts["xl/sharedStrings.xml"]).iter(f"{SHEET_NS}si")
    ]
    setting = dict(zip(strings[::2], strings[1::2], strict=True))["ADD_WORKBOOK_TO_PYTHONPATH"]
    url = "https://d.docs.live.net/4f2a/Documents/ICP.xlsx"
    addin = r"C:\Users\me\AppData\Roaming\Microsoft\Excel\XLSTART\ICP.xlam"
    before = list(sys.path)
    monkeypatch.setattr(sys, "path", list(before))
    prepare_sys_path(f"{setting};{url};{addin};;;;")
    assert sys.path[1:] == before and sys.path[0] == ""  # only the empty PYTHONPATH setting
    with pytest.raises(Exception, match="local OneDrive file"):  # what the default did
        prepare_sys_path(f"true;{url};{addin};;;;")


def test_icp_udfs_module_gets_a_wrapper_for_each_of_its_functions(tmp_path: Path) -> None:
    spec = importlib.util.find_spec("icp_xl.excel.formulas")
    if spec is None or spec.origin is None:
        pytest.skip("icp_xl.excel.formulas is not written yet")
    result = build_addin(tmp_path / "ICP.xlam")
    expected = decorated_functions(Path(spec.origin).read_text(encoding="utf-8"))
    wrappers = olevba_modules(result.path)["xlwings_udfs"]
    assert expected and set(re.findall(r"^Function (\w+)\(", wrappers, re.M)) >= expected


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not on PATH")
def test_libreoffice_opens_the_addin_with_its_config_sheet_and_vba(
    built: Path, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    # LibreOffice has no type detection for the add-in content type, so the
    # OOXML import filter is named explicitly.
    for target in ("xlsx", "xlsm:Calc MS Excel 2007 VBA XML"):
        subprocess.run(
            [
                "soffice",
                "--headless",
                "--norestore",
                f"-env:UserInstallation=file://{tmp_path / 'profile'}",
                "--infilter=Calc MS Excel 2007 XML",
                "--convert-to",
                target,
                "--outdir",
                str(tmp_path),
                str(built),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    book = load_workbook(tmp_path / "ICP.xlsx")
    assert book.sheetnames == [CONFIG_SHEET]
    assert [book[CONFIG_SHEET]["A1"].value, book[CONFIG_SHEET]["B1"].value] == [
        "UDF Modules",
        UDF_MODULE,
    ]
    resaved = olevba_modules(tmp_path / "ICP.xlsm")
    assert "Sub OnRescore(control As IRibbonControl)" in resaved["IcpRibbon"]
    assert "Function twice(x)" in resaved["xlwings_udfs"]


def test_unknown_udf_module_is_a_user_error_and_leaves_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "ICP.xlam"
    out.write_bytes(b"previous add-in")
    with pytest.raises(IcpError, match="no_such_icp_module"):
        build_addin(out, ["no_such_icp_module"])
    assert out.read_bytes() == b"previous add-in"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ICP.xlam"]


def test_module_without_xw_func_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(IcpError, match="defines no @xw.func"):
        build_addin(tmp_path / "ICP.xlam", ["json"])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "message"),
    [("missing/ICP.xlam", "does not exist"), ("ICP.xlsx", "must end in .xlam")],
)
def test_bad_output_path_is_a_user_error_and_writes_nothing(
    tmp_path: Path, name: str, message: str
) -> None:
    with pytest.raises(IcpError, match=message):
        build_addin(tmp_path / name, [])
    assert list(tmp_path.iterdir()) == []


def test_unknown_setting_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(IcpError, match="Unknown add-in setting 'Interpreter'"):
        build_addin(tmp_path / "ICP.xlam", [], {"Interpreter": "python"})


def test_wrapper_generation_leaves_xlwings_and_the_imported_module_alone(
    udf_module_dir: Path,
) -> None:
    from icp_xl.excel.addin.udf_wrappers import generate_udf_wrapper_module

    module = importlib.import_module(UDF_MODULE)
    decorator = xlwings.func
    wrappers = generate_udf_wrapper_module([UDF_MODULE], "ICP.xlam")
    assert "Function twice(x)" in wrappers.source
    assert sys.modules[UDF_MODULE] is module
    assert xlwings.func is decorator
    assert "pythoncom" not in sys.modules or sys.platform.startswith("win")
