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

import pytest
import xlwings
from oletools.olevba import VBA_Parser

from icp_xl.core.errors import IcpError
from icp_xl.excel.addin import RIBBON_ACTIONS, build_addin
from icp_xl.excel.addin.build import CONFIG_SHEET, TEMPLATE_NAME
from icp_xl.excel.addin.package import content_type_of, read_package
from icp_xl.excel.addin.sources import CUSTOM_UI_NAMESPACE, CUSTOM_UI_PART, CUSTOM_UI_RELATIONSHIP

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


def test_every_ribbon_on_action_is_a_callback_sub_running_a_known_action(built: Path) -> None:
    modules = olevba_modules(built)
    with zipfile.ZipFile(built) as archive:
        on_actions = ribbon_on_actions(archive.read(CUSTOM_UI_PART))
    assert len(on_actions) >= 10
    seen = []
    for on_action in on_actions:
        module, sub = on_action.split(".")
        body = re.search(
            rf"Sub {sub}\(control As IRibbonControl\)\s*\n(.*?)\nEnd Sub", modules[module], re.S
        )
        assert body, f"no callback Sub for {on_action}"
        calls = re.findall(r"RunPython \"(.*?)\"", body.group(1))
        assert len(calls) == 1, on_action
        match = re.fullmatch(
            r"import icp_xl\.excel\.ribbon; icp_xl\.excel\.ribbon\.run_action\('(\w+)'\)", calls[0]
        )
        assert match and match.group(1) in RIBBON_ACTIONS, calls[0]
        seen.append(match.group(1))
    assert sorted(seen) == sorted(RIBBON_ACTIONS)


def test_every_xw_func_has_a_vba_wrapper_and_nothing_else_does(built: Path) -> None:
    wrappers = olevba_modules(built)["xlwings_udfs"]
    functions = set(re.findall(r"^Function (\w+)\(", wrappers, re.M))
    assert functions == decorated_functions(UDF_SOURCE)
    for name in functions:
        assert f'XLPy.CallUDF("{UDF_MODULE}", "{name}", ' in wrappers
    assert "Function greeting(name, Optional punctuation)" in wrappers
    assert "ParamArray weights()" in wrappers
    assert "ActiveWorkbook" in wrappers  # add-in wrappers run on the active workbook


def test_template_vba_modules_are_kept_and_only_project_name_changes(built: Path) -> None:
    template = olevba_modules(Path(xlwings.__file__).parent / TEMPLATE_NAME)
    ours = olevba_modules(built)
    assert "RibbonMyAddin" in template and "RibbonMyAddin" not in ours
    for name in ("ThisWorkbook", "Dictionary", "Sheet2"):
        assert ours[name].strip() == template[name].strip()
    old_lines = template["xlwings"].splitlines()
    new_lines = ours["xlwings"].splitlines()
    changed = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
    assert changed == [
        (
            'Public Const PROJECT_NAME As String = "myaddin"',
            'Public Const PROJECT_NAME As String = "icp_xl"',
        )
    ]
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
        "A2": "Interpreter_Win",
        "B2": r"C:\py\python.exe",
    }
    assert b'codeName="Sheet2"' in parts["xl/worksheets/sheet1.xml"]


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
