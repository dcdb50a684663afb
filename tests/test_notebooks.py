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
    headings = [c.source.splitlines()[0] for c in read("monthly_audit.ipynb").cells
                if c.cell_type == "markdown"]
    assert headings[0] == "# 信访事项办理情况月度审计报告"
    assert "## 一、概况" in headings and "## 七、单位考核指标" in headings


def test_explore_notebook_executes(tmp_path):
    extract = write_xlsx(tmp_path / "台账.xlsx")
    out = tmp_path / "explore_out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS / "explore.ipynb"), str(out), kernel_name="xfaudit", progress_bar=False,
        parameters={"extract": str(extract), "as_of": "2026-10-31", "unit": "城南街道",
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
