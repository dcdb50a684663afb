"""The notebooks: committed clean, thin (library calls only), and explore.ipynb executes."""

import ast
import json
from pathlib import Path

import nbformat
import papermill
import pytest

from monthly_fixtures import personal_values, write_xlsx

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
MONTHLY_PARAMETERS = {"extract": None, "period": None, "as_of": None, "profile": "auto",
                      "holidays": None, "waivers": None, "out_dir": "reports",
                      "mask_personal_data": True, "seed": 0}


def read(name: str):
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def parameters_cell(nb):
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    return cells[0]


@pytest.mark.parametrize("name", ["monthly_audit.ipynb", "explore.ipynb"])
def test_committed_without_outputs_on_the_xfaudit_kernel(name):
    nb = read(name)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "xfaudit"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert "papermill" not in nb.metadata


def test_monthly_parameters_cell_declares_every_parameter_with_its_default():
    source = parameters_cell(read("monthly_audit.ipynb")).source
    values = {t.id: ast.literal_eval(node.value) for node in ast.parse(source).body
              for t in node.targets}
    assert {k: values[k] for k in MONTHLY_PARAMETERS} == MONTHLY_PARAMETERS
    assert values["stage_dir"] is None


@pytest.mark.parametrize("name", ["monthly_audit.ipynb", "explore.ipynb"])
def test_cells_only_call_the_library(name):
    """No audit logic in cells: no definitions, loops, comprehensions or pandas imports."""
    for cell in read(name).cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        banned = (ast.FunctionDef, ast.ClassDef, ast.For, ast.While, ast.Lambda, ast.ListComp,
                  ast.DictComp, ast.GeneratorExp)
        assert not [n for n in ast.walk(tree) if isinstance(n, banned)], cell.source
        imports = [a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                   for a in n.names]
        modules = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert all(m.startswith("xfaudit") for m in modules), modules
        assert not [i for i in imports if i in ("pandas", "numpy", "matplotlib")]


def test_monthly_report_sections_are_in_chinese():
    headings = [line for c in read("monthly_audit.ipynb").cells if c.cell_type == "markdown"
                for line in c.source.splitlines() if line.startswith("#")]
    assert headings[0] == "# 信访事项办理情况月度审计报告"
    assert "## 一、概况" in headings and "## 八、单位考核指标" in headings


def test_monthly_sections_carry_the_anchors_the_contents_list_links_to():
    """Each section cell starts with <a id="…"></a> then its ## heading, in SECTIONS order:
    the first screen's contents list links to these anchors."""
    from xfaudit.monthly_report import SECTIONS

    found = []
    for cell in read("monthly_audit.ipynb").cells:
        lines = cell.source.splitlines()
        if cell.cell_type == "markdown" and lines[0].startswith("<a id="):
            found.append((lines[0].split('"')[1], lines[2].removeprefix("## ")))
    assert found == list(SECTIONS)
    assert "台账文件 --period YYYY-MM" not in json.dumps(read("monthly_audit.ipynb").cells,
                                                     ensure_ascii=False)


RAW_VALUES = ("NaN", "None", "NaT", "<NA>", "&lt;NA&gt;", "True", "False", "00:00:00")


def test_explore_notebook_executes(tmp_path):
    """With a local header that only the mapping file knows (承办科室 → 责任单位), the ledger on
    a second sheet and the bureau's own configuration (its name owes the 登记转送 duty)."""
    import openpyxl

    extract = write_xlsx(tmp_path / "台账.xlsx")
    book = openpyxl.load_workbook(extract)
    sheet = book["台账"]
    unit_col = next(c for c in sheet[1] if c.value == "责任单位")
    unit_col.value = "承办科室"
    book.create_sheet("填表说明", 0)["A1"] = "本表由各单位填报"
    book.save(extract)
    config = tmp_path / "本局.toml"
    config.write_text('[bureau]\nissuer = "测试县信访局"\nissuer_code = "测信督"\n'
                      'government = "测试县人民政府"\n', encoding="utf-8")
    out = tmp_path / "explore_out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / "explore.ipynb"), str(out), kernel_name="xfaudit", progress_bar=False,
        parameters={"extract": str(extract), "sheet": "台账",
                    "mapping": str(Path(__file__).parent / "files" / "mapping.toml"),
                    "config": str(config), "as_of": "2026-10-31", "check": "登记",
                    "case_id": "XF-B1"})
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the timeline chart
    text = json.dumps([o for o in outputs], ensure_ascii=False)
    assert "XF-B1" in text and "超期12日仍未办" in text
    assert [v for v in personal_values() if v in text] == []
    assert "王**" in text  # the masked ledger rows are shown
    assert "承办科室" in text and "表头映射" in text          # the ingest report is shown
    assert "测试县信访局" in text                           # REG_LATE owed by the bureau
    html = " ".join("".join(o.get("data", {}).get("text/html", "")) for o in outputs)
    assert "信访件编号" in html and ">case_id</th>" not in html  # Chinese headers everywhere
    assert [raw for raw in RAW_VALUES if raw in html] == []
