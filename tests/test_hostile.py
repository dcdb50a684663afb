"""Hostile and careless text through `xfaudit check` and the monthly run: personal data,
CSV injection, control characters, ``$…$`` — every output opens, nothing leaks, nothing runs.

The ledgers are built by :mod:`hostile_fixtures` (the hand-checked fixture month with text
changed). Expected values: the fixture month gives 6 accountability findings on XF-A2, XF-A3,
XF-B1, XF-B2, XF-B4 (see ``test_indicators``); here only what the text changes do is checked.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import docx
import openpyxl
import pandas as pd
import pytest

from hostile_fixtures import (ADDRESS, CONTROL_UNIT, DOLLAR_UNIT, FORMULA_UNIT, ID_NUMBER, KEPT,
                              NAME, PHONE, SEEDED, output_texts, write_hostile_names_ledger,
                              write_hostile_personal_ledger, write_personal_ledger)
from monthly_fixtures import AS_OF, PERIOD
from xfaudit.cli import main
from xfaudit.privacy import CLASSIFICATION, UNMASKED_NOTICE
from xfaudit.writers.safe import CSV_TRIGGERS

CALLBACK_LIST = "回访抽查.xlsx"
HOLIDAYS = Path(__file__).parent / "files" / "holidays_2027.csv"
#: The fictional bureau of the sample: the run drafts its letters.
BUREAU = Path(__file__).parent / "files" / "sample_bureau.toml"


def check(extract: Path, out: Path, *extra: str) -> int:
    return main(["check", str(extract), "--as-of", AS_OF, "--out", str(out), *extra])


def leaks(texts: dict[str, str], allowed=()) -> list[tuple[str, str]]:
    return [(name, value) for name, text in texts.items() for value in SEEDED
            if value in text and not name.startswith(tuple(allowed))]


def csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text("utf-8-sig"), newline="")))


def injectable(rows: list[list[str]]) -> list[str]:
    """Cells a spreadsheet would evaluate (OWASP): starting with = + - @ tab CR, not a number."""
    def number(cell):
        try:
            float(cell)
            return True
        except ValueError:
            return False
    return [c for row in rows for c in row if c[:1] and c[:1] in CSV_TRIGGERS and not number(c)]


def strict_json(path: Path):
    def refuse(constant):
        raise ValueError(f"{path.name}: {constant} is not JSON")
    return json.loads(path.read_text("utf-8"), parse_constant=refuse)


def assert_every_output_opens(folder: Path) -> None:
    """Every workbook and document parses (openpyxl / python-docx refuse invalid XML), every
    JSON is strict, no CSV cell is injectable."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files
    for path in files:
        if path.suffix == ".xlsx":
            book = openpyxl.load_workbook(path)
            for sheet in book.worksheets:
                assert not any(ord(ch) < 32 for ch in sheet.title), (path, sheet.title)
                for row in sheet.iter_rows():
                    assert not any(cell.data_type == "f" for cell in row), path
        elif path.suffix == ".docx":
            assert docx.Document(str(path)).paragraphs
        elif path.suffix in (".json", ".ipynb"):
            strict_json(path)
        elif path.suffix == ".csv":
            assert injectable(csv_rows(path)) == [], path


# -- xfaudit check -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def personal(tmp_path_factory):
    root = tmp_path_factory.mktemp("personal")
    return write_personal_ledger(root / "台账.csv")


def test_check_masks_by_default_and_leaves_ordinary_numbers(personal, tmp_path, capsys):
    assert check(personal, tmp_path / "out") == 0
    texts = output_texts(tmp_path / "out")
    assert set(texts) >= {"findings.csv", "summary.json"}
    assert leaks(texts) == []
    csv_text = texts["findings.csv"]
    # the summaries were written, masked: 5 forms of the mobile, the name, the address
    assert csv_text.count("139****5678") >= 5 and "测**" in csv_text and "幸福路****" in csv_text
    assert "110101****123X" in csv_text and "0571-****4321" in csv_text
    for kept in KEPT:
        assert kept in csv_text
    assert not csv_text.startswith(CLASSIFICATION)  # masked: nothing personal to mark
    assert_every_output_opens(tmp_path / "out")
    assert "未屏蔽" not in capsys.readouterr().out


def test_check_no_mask_writes_personal_data_and_marks_it_confidential(personal, tmp_path,
                                                                      capsys):
    assert check(personal, tmp_path / "out", "--no-mask") == 0
    assert "未屏蔽" in capsys.readouterr().out
    findings_csv = tmp_path / "out" / "findings.csv"
    lines = findings_csv.read_text("utf-8-sig").splitlines()
    assert lines[0] == UNMASKED_NOTICE and lines[1].startswith("case_id,")
    assert NAME in findings_csv.read_text("utf-8-sig")
    frame = pd.read_csv(findings_csv, skiprows=1, encoding="utf-8-sig", dtype=str)
    assert frame["summary"].str.contains(PHONE).all()
    book = openpyxl.load_workbook(tmp_path / "out" / "findings.xlsx")
    for sheet in book.worksheets:
        assert sheet["A1"].value == UNMASKED_NOTICE, sheet.title
        assert CLASSIFICATION in sheet.oddHeader.left.text
    assert book.properties.category == CLASSIFICATION
    sheet = book["全部问题"]
    summary = next(c.column_letter for c in sheet[2] if c.value == "主要诉求")
    assert any(ADDRESS in str(c.value) for c in sheet[summary])


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    return write_hostile_names_ledger(root / "台账.csv")


def test_check_with_control_characters_dollars_and_formulas_in_names(hostile, tmp_path):
    out = tmp_path / "out"
    assert check(hostile, out) == 0
    assert_every_output_opens(out)
    book = openpyxl.load_workbook(out / "findings.xlsx")
    # one sheet per unit with findings, named without the backspace
    assert {"青石镇", "县$^$局", '=HYPERLINK("http___x","城南街道")'} <= set(book.sheetnames)
    rows = csv_rows(out / "findings.csv")
    header = rows[0]
    cells = {name: [r[header.index(name)] for r in rows[1:]]
             for name in ("handling_unit", "category", "summary")}
    # findings on XF-A2 (-3+4), XF-A3 (@SUM…), XF-A5 (tab =1+2: the loader trims the tab),
    # XF-B1 (=cmd…)
    assert sorted(cells["summary"]) == sorted(["'-3+4", "'@SUM(1+1)*cmd|' /C calc'!A0",
                                               "'=1+2", "'=cmd|' /C calc'!A0"])
    assert "'" + FORMULA_UNIT in cells["handling_unit"]
    assert "'+城乡建设" in cells["category"]
    # the texts are kept readable: the escape is one leading quote, nothing else changes
    assert CONTROL_UNIT in cells["handling_unit"] and DOLLAR_UNIT in cells["handling_unit"]
    summary = strict_json(out / "summary.json")
    assert summary["rows"]["audited"] == 11


# -- the monthly run ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def monthly_run(tmp_path_factory):
    """One masked monthly run on the ledger with hostile names and personal data."""
    root = tmp_path_factory.mktemp("monthly-hostile")
    extract = write_hostile_personal_ledger(root / "台账.csv")
    code = main(["monthly", str(extract), "--period", PERIOD, "--out", str(root / "reports"),
                 "--holidays", str(HOLIDAYS), "--config", str(BUREAU)])
    return code, root / "reports" / PERIOD, root / "reports"


def test_monthly_run_with_hostile_names_completes_and_every_output_opens(monthly_run):
    code, folder, _reports = monthly_run
    assert code == 0
    assert (folder / "report.html").is_file()
    assert sorted(p.name for p in (folder / "charts").glob("*.png")) == [
        "aging.png", "findings_by_check.png", "findings_by_unit.png", "indicators.png",
        "trend.png"]
    assert list((folder / "letters").glob("*.docx"))
    assert_every_output_opens(folder)
    indicators = csv_rows(folder / "indicators.csv")
    assert "'" + FORMULA_UNIT in [row[0] for row in indicators]


def test_monthly_run_leaks_no_personal_data_outside_the_callback_list(monthly_run):
    _code, folder, reports = monthly_run
    texts = {**output_texts(folder),
             **{f"registers/{k}": v for k, v in output_texts(reports / "registers").items()}}
    kinds = {name.split(":")[0].rsplit(".", 1)[-1] for name in texts}
    assert {"xlsx", "docx", "html", "ipynb", "json", "csv"} <= kinds
    assert leaks(texts, allowed=[CALLBACK_LIST]) == []
    # the callback list does carry them, and says so
    callback = {k: v for k, v in texts.items() if k.startswith(CALLBACK_LIST)}
    assert any(NAME in v for v in callback.values()) and any(PHONE in v for v in callback.values())
    assert any(CLASSIFICATION in v for v in callback.values())
    # the summaries were shown, masked, and ordinary numbers kept
    html = texts["report.html"]
    assert "139****5678" in html and "幸福路****" in html and "XF2026050000094" in html
    assert ID_NUMBER not in html


def test_manifest_and_every_json_output_is_strict(monthly_run):
    _code, folder, _reports = monthly_run
    manifest = strict_json(folder / "manifest.json")
    assert manifest["mask_personal_data"] is True
    strict_json(folder / "summary.json")


def test_an_unmasked_monthly_run_marks_every_output_that_carries_personal_data(tmp_path):
    extract = write_personal_ledger(tmp_path / "台账.csv")
    reports = tmp_path / "reports"
    assert main(["monthly", str(extract), "--period", PERIOD, "--out", str(reports),
                 "--holidays", str(HOLIDAYS), "--no-mask", "--config", str(BUREAU)]) == 0
    folder = reports / PERIOD
    texts = output_texts(folder)
    carrying = {name.split(":")[0] for name, value in leaks(texts)}
    # the outputs that show the findings' summaries, and the callback list
    assert carrying == {"report.html", "monthly_audit.ipynb", "findings.xlsx", "findings.csv",
                        CALLBACK_LIST}
    first_line = (folder / "findings.csv").read_text("utf-8-sig").splitlines()[0]
    assert first_line.strip('"') == UNMASKED_NOTICE
    html = (folder / "report.html").read_text("utf-8")
    body = html[html.index("<body"):]
    assert body.index(UNMASKED_NOTICE) < body.index("信访事项办理情况月度审计")  # first line
    notebook = json.loads((folder / "monthly_audit.ipynb").read_text("utf-8"))
    assert UNMASKED_NOTICE in "".join(notebook["cells"][0]["source"])
    book = openpyxl.load_workbook(folder / "findings.xlsx")
    assert all(sheet["A1"].value == UNMASKED_NOTICE for sheet in book.worksheets)
    assert strict_json(folder / "manifest.json")["mask_personal_data"] is False
