"""Views of the findings: counts, aging, data quality, trend, one item's timeline."""

import json

import numpy as np
import pandas as pd
import pytest

from xfaudit import views
from xfaudit.errors import CaseNotFoundError, ConfigError
from xfaudit.findings import empty_findings
from xfaudit.schema import CheckId
from monthly_fixtures import PERIOD, audit_result


def findings_with(days_late, is_open=True, kind="accountability", unit="青石镇",
                  check="REG_LATE"):
    """A findings table with one row per days-late value."""
    n = len(days_late)
    base = empty_findings()
    rows = pd.DataFrame({c: [None] * n for c in base.columns})
    rows["case_id"] = [f"X{i}" for i in range(n)]
    rows["check_id"], rows["check_name"], rows["kind"] = check, "登记转送交办超期", kind
    rows["handling_unit"] = unit
    rows["days_late"] = pd.array(days_late, dtype="Int64")
    rows["is_open"] = is_open
    rows["waived"] = False
    rows["source_row"] = range(2, n + 2)
    return rows


@pytest.mark.parametrize("period, first, last", [
    ("2026-10", "2026-10-01", "2026-10-31"), ("2028-02", "2028-02-01", "2028-02-29"),
    ("2026-12", "2026-12-01", "2026-12-31")])
def test_period_bounds(period, first, last):
    assert views.period_bounds(period) == (pd.Timestamp(first), pd.Timestamp(last))


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "", "2026-1", "2026-10-31", "十月",
                                 "1985-03", "2206-11"])
def test_bad_period_is_a_chinese_error(bad):
    with pytest.raises(ConfigError, match=f"审计期间「{bad}」格式不对，应写成 2026-10"):
        views.period_bounds(bad)


def test_period_label_is_chinese():
    assert views.period_label("2026-02") == "2026年2月"


def test_aging_labels_come_from_the_bounds():
    assert views.aging_labels() == ["1–15日", "16–30日", "31–60日", "60日以上"]
    assert views.aging_labels([7, 14]) == ["1–7日", "8–14日", "14日以上"]


def test_aging_bucket_boundaries():
    f = findings_with([1, 15, 16, 30, 31, 60, 61, 400])
    table = views.aging(f)
    assert list(table["问题数"]) == [2, 2, 2, 2]
    assert table.index.name == "账龄"


def test_aging_counts_only_open_overdue_accountability_findings():
    f = pd.concat([findings_with([5]), findings_with([5], is_open=False),
                   findings_with([5], kind="data_quality"), findings_with([None])],
                  ignore_index=True)
    assert views.aging(f)["问题数"].sum() == 1


def test_aging_by_unit_has_every_bucket_and_a_total():
    table = views.aging(audit_result().findings, by="unit")
    assert list(table.index) == views.aging_labels()
    assert table.loc["1–15日", "合计"] == 2  # A3 (11 days) and B1 (12 days)
    assert set(table.columns) == {"青石镇", "城南街道", "合计"}


def test_by_check_lists_every_check_with_status():
    table = views.by_check(audit_result()).set_index("检查项编号")
    assert len(table) == len(CheckId)
    assert table.loc["REG_LATE", ["问题数", "超期仍未办", "涉及单位"]].tolist() == [2, 1, 1]
    assert table.loc["HANDLING_OVERDUE", "问题数"] == 2
    assert table.loc["REVIEW_OVERDUE", "评估状态"] == "未评估"


def test_by_unit_most_findings_first():
    table = views.by_unit(audit_result().findings)
    assert list(table["责任单位"]) == ["青石镇", "城南街道"]
    assert table.iloc[0][["履职问题", "超期仍未办", "台账质量问题", "合计"]].tolist() == [3, 1, 0, 3]
    assert views.by_unit(empty_findings()).empty


def test_unit_check_matrix():
    matrix = views.unit_check_matrix(audit_result().findings).set_index("责任单位")
    assert matrix.loc["青石镇", "登记转送交办超期"] == 2
    assert matrix.loc["城南街道", "合计"] == 1


def test_overview_accounts_for_every_row():
    table = dict(zip(*views.overview(audit_result()).T.values))
    assert table["读取行数"] == table["审计行数"] + table["剔除行数"] == 11
    assert table["履职问题"] == 4 and table["其中超期仍未办"] == 2


def test_data_quality_view_lists_rows_and_details():
    f = findings_with([None, None], kind="data_quality")
    f["check_name"], f["detail"] = "日期先后矛盾", ["答复日期早于受理日期", None]
    table = views.data_quality(f)
    assert list(table.columns) == ["台账行号", "信访件编号", "责任单位", "问题类型", "说明"]
    assert table["说明"].iloc[0] == "答复日期早于受理日期"


def test_case_timeline_has_events_and_deadlines_from_the_clocks():
    table = views.case_timeline(audit_result(), "XF-A5")
    assert list(table.columns) == views.TIMELINE_COLUMNS
    assert table["日期"].is_monotonic_increasing
    events = table[table["类别"] == "事件"].set_index("名称")["日期"]
    assert events["受理日期"] == pd.Timestamp("2026-08-10")
    handling = table[table["检查项编号"] == "HANDLING_OVERDUE"].iloc[0]
    assert handling["日期"] == pd.Timestamp("2026-10-09")
    assert handling["起算日期"] == pd.Timestamp("2026-08-10")
    assert handling["实际日期"] == pd.Timestamp("2026-10-15")
    assert handling["超期天数"] == 6 and handling["状态"] == "超期6日后办理"
    assert handling["依据"] == "《信访工作条例》第三十四条"
    reg = table[table["检查项编号"] == "REG_LATE"].iloc[0]
    assert reg["状态"] == "按期" and pd.isna(reg["超期天数"])


def test_case_timeline_of_an_open_late_item():
    table = views.case_timeline(audit_result(), "XF-B1")
    handling = table[table["检查项编号"] == "HANDLING_OVERDUE"].iloc[0]
    assert handling["状态"] == "超期12日仍未办" and pd.isna(handling["实际日期"])


def test_unknown_case_is_a_chinese_error():
    with pytest.raises(CaseNotFoundError, match="XF-NONE"):
        views.case_timeline(audit_result(), "XF-NONE")


def test_case_record_is_masked():
    record = views.case_record(audit_result(), "XF-A1").set_index("字段")["值"]
    assert record["信访人"] == "王**" and record["联系电话"] == "138****8001"
    assert views.case_record(audit_result(), "XF-A1", mask=False).set_index("字段").loc[
        "信访人", "值"] == "王测一"


def test_pick_case_prefers_the_longest_open_overdue():
    assert views.pick_case(audit_result()) == "XF-B1"


def test_findings_table_has_chinese_headers_and_values():
    table = views.findings_table(audit_result().findings)
    assert {"信访件编号", "问题性质", "是否仍未办"} <= set(table.columns)
    assert set(table["问题性质"]) == {"履职问题"} and set(table["是否仍未办"]) == {"是", "否"}


def _run_folder(root, period, manifest=None, summary=None):
    folder = root / period
    folder.mkdir(parents=True)
    if manifest is not None:
        (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    if summary is not None:
        (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")


def test_trend_reads_earlier_runs_and_ignores_staging_later_and_broken(tmp_path):
    record = {"items": 10, "accountability": 4, "open_overdue": 2, "data_quality": 1}
    _run_folder(tmp_path, "2026-08", summary={"rows": {"audited": 8},
                                              "totals": {"accountability": 3,
                                                         "data_quality": 0}})
    _run_folder(tmp_path, "2026-09", manifest={"trend": {**record, "period": "x"}})
    _run_folder(tmp_path, "2026-10", manifest={"trend": {**record, "items": 999}})  # replaced
    _run_folder(tmp_path, "2026-11", manifest={"trend": record})                     # later
    _run_folder(tmp_path, ".2026-07.tmp-abc", manifest={"trend": record})            # staging
    _run_folder(tmp_path, "2026-06")                                                 # no record
    (tmp_path / "2026-05").mkdir()
    (tmp_path / "2026-05" / "manifest.json").write_text("{broken", encoding="utf-8")
    current = views.trend_record(audit_result(), PERIOD)
    table = views.trend(tmp_path, PERIOD, current)
    assert list(table["期间"]) == ["2026-08", "2026-09", "2026-10"]
    assert list(table["审计事项"]) == [8, 10, 11]
    assert table["超期仍未办"].isna().tolist() == [True, False, False]
    assert current == {"period": "2026-10", "items": 11, "accountability": 4,
                       "open_overdue": 2, "data_quality": 0}


def test_trend_without_a_reports_folder_is_the_current_month(tmp_path):
    table = views.trend(tmp_path / "none", PERIOD, views.trend_record(audit_result(), PERIOD))
    assert list(table["期间"]) == [PERIOD]


def test_not_evaluated_and_rejected_views():
    ne = views.not_evaluated(audit_result())
    assert "REVIEW_OVERDUE" in set(ne["检查项编号"])
    assert ne.set_index("检查项编号").loc["REVIEW_OVERDUE", "缺少的列"] == "复查申请日期、复查意见日期"
    assert list(views.rejected_rows(audit_result()).columns) == ["台账行号", "剔除原因"]


def test_views_do_not_change_the_findings():
    result = audit_result()
    before = result.findings.copy()
    for view in (views.by_unit, views.aging, views.data_quality, views.unit_check_matrix,
                 views.findings_table):
        view(result.findings)
    pd.testing.assert_frame_equal(result.findings, before)
    assert np.all(result.findings.columns == before.columns)
