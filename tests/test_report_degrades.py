"""No crash, ever, on a readable extract: every section of the monthly report degrades.

In-process (fast): the report's every section, chart, the accountability drafts and the
written files, on extracts each lacking one optional field of ``fields.toml``, without items,
with only four system columns, without any date a clock needs, and with unit and category
names holding ``$…$`` (matplotlib's mathtext) and control characters. Every shown table is
checked for clean values. Then two real ``xfaudit monthly`` runs (papermill, the HTML export):
a header-only ledger and an extract with only 信访件编号 / 收到日期 / 限办时间 / 是否办结.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
import xlsxwriter

from clean_values import dirty, visible_text
from xfaudit.audit import audit
from xfaudit.model import Extract
from xfaudit.monthly import MonthlyParameters, run_monthly_audit
from xfaudit.monthly_report import MonthlyReport
from xfaudit.schema import fields, header_of, required_fields

PERIOD, AS_OF = "2026-10", "2026-10-31"

#: Every method a notebook cell calls to show a section (section 十二 is ``finish``).
SECTIONS = ["first_screen", "headline", "overview", "not_evaluated", "rejected", "unit_register",
            "waivers",
            "check_coverage", "check_rules", "by_check", "by_unit", "unit_matrix", "aging",
            "aging_by_unit", "open_overdue_list", "due_soon_by_unit", "due_soon_list", "trend",
            "data_quality", "indicators_overall", "indicators_by_unit", "indicator_formulas",
            "ranking", "accountability", "unit_pages"]
CHARTS = ["findings_by_check", "findings_by_unit", "aging", "trend", "indicators"]


@cache
def base_frame():
    """A synthetic county month cut to the two units with the most kinds of planted
    findings (and the items without a unit): every section has something to show, and the
    accountability step writes a handful of letters, not thirty."""
    from xfaudit.synth import generate

    data = generate(200, PERIOD, 1)
    frame = data.frame
    planted = (frame[["case_id", "handling_unit"]].drop_duplicates("case_id")
               .merge(data.truth, on="case_id"))
    units = planted.groupby("handling_unit")["check_id"].nunique().sort_values(
        ascending=False, kind="stable").index[:2]
    return frame[frame["handling_unit"].isin(units) | frame["handling_unit"].isna()]


def run_sections(frame, tmp_path: Path, charts: bool = True) -> dict[str, str]:
    """Audit ``frame`` and show every section as the notebook does; the HTML per section.

    ``charts=False`` leaves the five charts out: they draw the views' tables, whose columns
    no single missing field changes; what does change what they draw (no items, no unit
    column, no indicator or clock computable, odd names) has its own test below, with charts.
    """
    result = audit(Extract.from_frame(frame, name="台账.xlsx"), as_of=AS_OF, period=PERIOD)
    params = MonthlyParameters.from_values("台账.xlsx", PERIOD, out_dir=str(tmp_path / "reports"))
    report = MonthlyReport.from_result(result, params, tmp_path / "stage")
    report.draft_accountability()
    shown = {name: getattr(report, name)()._repr_html_() for name in SECTIONS}
    for name in CHARTS if charts else ():
        chart = report.chart(name)
        assert chart.png.startswith(b"\x89PNG") and chart.alt, name
    shown["finish"] = report.finish()._repr_html_()
    assert {"findings.xlsx", "summary.json", "manifest.json", "indicators.csv"} <= {
        p.name for p in (tmp_path / "stage").iterdir()}
    return shown


def assert_clean(shown: dict[str, str]) -> None:
    for name, markup in shown.items():
        assert dirty(visible_text(markup)) == [], (name, dirty(visible_text(markup))[:5])


OPTIONAL = [f for f in fields() if f not in required_fields()]


@pytest.mark.parametrize("missing", OPTIONAL)
def test_every_section_without_one_optional_field(missing, tmp_path):
    frame = base_frame()
    shown = run_sections(frame.drop(columns=[missing], errors="ignore"), tmp_path, charts=False)
    assert_clean(shown)


def test_without_items(tmp_path):
    shown = run_sections(base_frame().iloc[:0], tmp_path)
    assert_clean(shown)
    assert "台账中没有可审计的事项" in shown["first_screen"]
    assert "本期没有可排名的责任单位" in shown["ranking"]


def test_without_a_unit_column_no_ranking_no_unit_letter(tmp_path):
    shown = run_sections(base_frame().drop(columns=["handling_unit"]), tmp_path)
    assert_clean(shown)
    first = visible_text(shown["first_screen"])
    assert first.index("台账没有责任单位列") < first.index("审计事项（件）")  # said first
    assert "无法计算（缺少：责任单位）" in shown["ranking"]
    assert "无法计算（缺少：责任单位）" in shown["unit_pages"]
    drafts = visible_text(shown["accountability"])
    # No letter to a unit the ledger cannot name: nothing drafted, the unit's findings are
    # listed under 待核实 with the reason instead.
    assert "待审核签发的文书 0 份" in drafts
    assert "责任单位未知（台账无此列）  督办及改进工作建议函  责任主体不明" in drafts


def test_with_only_the_system_columns(tmp_path):
    frame = base_frame()[["case_id", "received_on", "system_deadline", "is_concluded"]]
    shown = run_sections(frame, tmp_path)
    assert_clean(shown)
    first = visible_text(shown["first_screen"])
    assert "履职检查项 10 项中有 9 项未评估" in first    # SYSTEM_DEADLINE_OVERDUE alone runs
    assert "按系统限办时间超期" in visible_text(shown["check_coverage"])


def test_without_any_date_a_clock_needs(tmp_path):
    shown = run_sections(base_frame()[["case_id", "handling_unit", "received_on"]], tmp_path)
    assert_clean(shown)
    for section in ("aging", "aging_by_unit", "open_overdue_list", "due_soon_by_unit"):
        assert "无法计算（缺少：" in shown[section], section


def test_dollar_and_control_characters_in_names(tmp_path):
    frame = base_frame().copy()
    units = sorted(frame["handling_unit"].dropna().unique())
    frame["handling_unit"] = frame["handling_unit"].replace(
        {units[0]: "县$^$局", units[1]: "云溪$街道\x08\x1b"})
    frame["category"] = frame["category"].where(frame.index % 2 == 0, "$x^2$类")
    shown = run_sections(frame, tmp_path)
    assert_clean(shown)
    pages = visible_text(shown["unit_pages"])
    assert "县$^$局" in pages and "云溪$街道" in pages


# -- two real runs of `xfaudit monthly` ----------------------------------------------------------

def write_ledger(path: Path, columns: list[str], rows: list[list[str]]) -> Path:
    with xlsxwriter.Workbook(path, {"strings_to_numbers": False}) as book:
        sheet = book.add_worksheet("台账")
        for c, name in enumerate(columns):
            sheet.write_string(0, c, header_of(name))
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if value:
                    sheet.write_string(r, c, value)
    return path


def published(out) -> dict:
    return json.loads((out.folder / "manifest.json").read_text("utf-8"))


def test_monthly_run_on_a_header_only_ledger(tmp_path):
    ledger = write_ledger(tmp_path / "空台账.xlsx", [f for f in fields()], [])
    out = run_monthly_audit(ledger, PERIOD, out_dir=tmp_path / "reports")
    page = (out.folder / "report.html").read_text("utf-8")
    assert "台账中没有可审计的事项" in page
    assert dirty(visible_text(page)) == []
    assert published(out)["rows"]["audited"] == 0


def test_monthly_run_on_four_system_columns(tmp_path):
    """Items open past 限办时间 (是否办结 = 否) at 2026-10-31 are SYSTEM_DEADLINE_OVERDUE:
    S1 due 10-20 (11 days late) and S3 due 10-01 (30 days); S2 is concluded (是), S4 due
    11-05 (not yet due: 5 days left, so in 临期预警)."""
    rows = [["S1", "2026-08-21", "2026-10-20", "否"], ["S2", "2026-08-01", "2026-09-30", "是"],
            ["S3", "2026-08-02", "2026-10-01", "否"], ["S4", "2026-09-06", "2026-11-05", "否"]]
    ledger = write_ledger(tmp_path / "省系统导出.xlsx",
                          ["case_id", "received_on", "system_deadline", "is_concluded"], rows)
    out = run_monthly_audit(ledger, PERIOD, out_dir=tmp_path / "reports")
    page = (out.folder / "report.html").read_text("utf-8")
    text = visible_text(page)
    assert dirty(text) == []
    assert text.index("台账没有责任单位列") < text.index("审计事项（件）")
    manifest = published(out)
    assert manifest["findings"]["by_check"]["SYSTEM_DEADLINE_OVERDUE"]["findings"] == 2
    assert manifest["findings"]["open_overdue"] == 2
    assert manifest["due_soon"] == {"7日内": 1, "15日内": 1}
    assert "无法计算（缺少：责任单位）" in text
