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
    assert table.loc["REVIEW_OVERDUE", "评估状态"] == "未评估（缺少：复查申请日期、复查意见日期）"


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
    # who owes them: the bureau (XF-A2 routed 17 days after receipt, XF-A3 not routed after
    # 26), 青石镇 (XF-A5 concluded 10-15, its 60 days ended 10-09), 城南街道 (XF-B1 open
    # past 10-19) — the duty-holders, as the tile counts this month's
    assert table["涉及责任单位（全部履职问题）"] == 3


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


# -- coverage, what to know first, 临期预警, filter --------------------------------------------

def test_coverage_rate_is_findings_over_rows_judged():
    """REG_LATE on the fixture: all 11 items are 转送 with a 收到日期, so the duty applies
    to 11 and each is judged (the two without 转交日期 are open: 转送 is known); findings:
    XF-A2 (routed on day 17) and XF-A3 (open since day 26): 2 ÷ 11 = 18.2%."""
    table = views.coverage(audit_result()).set_index("检查项编号")
    row = table.loc["REG_LATE"]
    assert [row["适用"], row["已判断"], row["无法判断"], row["问题数"]] == [11, 11, 0, 2]
    assert row["问题率"] == "18.2%" and row["评估状态"] == "已评估"
    assert "15日内" in row["判定规则"] and "《信访工作条例》第二十二条第一款" in row["依据"]
    not_run = table.loc["REVIEW_OVERDUE"]
    assert [not_run["适用"], not_run["问题率"]] == ["—", "—"]
    assert not_run["评估状态"].startswith("未评估（缺少：")


def test_every_check_states_its_rule_in_one_sentence():
    from xfaudit.schema import checks

    for check in checks().values():
        assert check.rule.endswith("。") and check.rule.count("。") == 1, check.id


def test_rule_days_follow_each_profile_in_use():
    from xfaudit.profile import load_profile_set
    from xfaudit.schema import checks

    check = checks()[CheckId.HANDLING_OVERDUE]
    members = load_profile_set("zhejiang-example").members + load_profile_set(
        "national-2022").members
    text = views.check_rule(check, members)
    assert "30日（" in text and "60日（" in text   # 浙江's 30 days beside the national 60


def test_run_warnings_say_first_what_the_reader_must_know():
    from xfaudit.audit import audit
    from xfaudit.model import Extract
    from monthly_fixtures import frame

    from xfaudit.synth import generate

    partial = views.run_warnings(audit_result())   # the fixture lacks 复查/复核/落实/… columns
    assert partial == ["履职检查项 10 项中有 6 项未评估（台账缺少相关列），本期履职问题数不代表全面审计结果。"
                       "未评估：延期不规范、交办件未按期反馈、复查超期、复核超期、复查复核意见未落实、"
                       "按系统限办时间超期。",
                       # XF-A3 and XF-B4 are 转送 without a 单位收到日期: the notice clock cannot start
                       "1 项履职检查只判断了部分适用事项（部分评估），其余事项因日期无法识别或缺失而无法判断："
                       "受理告知超期（9/11）。"]
    data = generate(200, "2026-10", 3)
    full = audit(Extract.from_frame(data.frame), as_of=data.as_of)
    assert not [w for w in views.run_warnings(full) if "未评估" in w or "责任单位列" in w]
    bare = audit(Extract.from_frame(frame()[["case_id", "received_on"]]), as_of="2026-10-31")
    warnings = views.run_warnings(bare)
    assert warnings[0].startswith("台账没有责任单位列") and "不做单位排名" in warnings[0]
    assert warnings[1].startswith("履职检查项 10 项中有 10 项未评估")
    empty = audit(Extract.from_frame(frame().iloc[:0]), as_of="2026-10-31")
    assert views.run_warnings(empty)[0].startswith("台账中没有可审计的事项")


def test_due_soon_lists_open_deadlines_in_the_next_days():
    """At 2026-10-31 one open deadline falls in the next 15 days: XF-B4 was received on
    10-20 and not yet routed; 10-20 + 15 days = 11-04, 4 days after the as-of date. The
    ledger names no 登记部门, so the bureau owes it. (XF-A3, received 10-05, was due 10-20:
    overdue, not due soon; every open handling clock is due after 11-15.)"""
    table = views.due_soon(audit_result())
    assert table[["信访件编号", "剩余天数", "责任单位", "期限"]].values.tolist() == [
        ["XF-B4", 4, "信访部门（本局）", "登记转送交办期限"]]
    assert table["期限届满日"].tolist() == [pd.Timestamp("2026-11-04")]
    assert views.due_soon(audit_result(), days=3).empty
    per_unit = views.due_soon_by_unit(table, [7, 15])
    assert per_unit.values.tolist() == [["信访部门（本局）", 1, 1], ["合计", 1, 1]]


def test_due_soon_earlier_as_of():
    """At 2026-10-15, XF-A3 (received 10-05, due 10-20) has 5 days left and XF-A2's late
    routing is not yet a fact (routed 10-12: done, not open)."""
    table = views.due_soon(audit_result("2026-10-15"))
    rows = table[table["期限"] == "登记转送交办期限"]
    assert rows[["信访件编号", "剩余天数"]].values.tolist() == [["XF-A3", 5]]


def test_filter_matches_parts_of_names_and_explains_an_empty_result():
    result = audit_result()
    assert len(result.filter(unit="青石", check="登记")) == 2        # A2 and A3
    assert len(result.filter(check="reg_late")) == 2
    found = result.filter(unit="青石镇", check="复核超期")
    assert found.empty and "“青石镇”有 3 个问题，但其中没有“复核超期”的问题" in found.message
    assert result.filter(check="复核").message.startswith("本期没有“复核超期”的问题（未评估（缺少：")
    wrong = result.filter(unit="城北街道")
    assert wrong.message.startswith("没有责任单位包含“城北街道”的问题。相近的单位：城南街道")
    near = result.filter(check="受理超期")
    assert "相近的检查项：受理告知超期" in near.message
    html = result.filter(unit="城北街道")._repr_html_()
    assert "相近的单位" in html and "城南街道" in html
    # the rows keep the stable columns; the display has the Chinese ones
    some = result.filter(unit="青石镇")
    assert list(some.columns)[:3] == ["case_id", "check_id", "check_name"]
    assert "信访件编号" in some._repr_html_() and "case_id" not in some._repr_html_()
    assert type(some.head(1)) is pd.DataFrame


def test_all_findings_show_with_chinese_headers_and_keep_their_stable_columns():
    result = audit_result()
    findings = result.findings
    assert list(findings.columns)[:3] == ["case_id", "check_id", "check_name"]
    html = findings._repr_html_()
    assert f"审计发现的问题（{len(findings)} 个）" in html
    assert "信访件编号" in html and "case_id" not in html
    for raw in ("None", "NaN", "NaT", "&lt;NA&gt;", "True", "False"):
        assert raw not in html
    assert type(findings[findings["check_id"] == "REG_LATE"]) is pd.DataFrame


def test_result_table_shows_chinese_headers_and_clean_values():
    html = audit_result().table(unit="青石镇")._repr_html_()
    for raw in ("None", "NaN", "NaT", "&lt;NA&gt;", "True", "False", "accountability"):
        assert raw not in html
    assert "信访件编号" in html and "履职问题" in html


def test_case_record_has_no_raw_values():
    record = views.case_record(audit_result(), "XF-A3")
    text = record.to_string()
    for raw in ("None", "NaN", "NaT", "<NA>", "True", "False", "00:00:00"):
        assert raw not in text
    values = dict(zip(record["字段"], record["值"]))
    assert values["收到日期"] == "2026-10-05" and values["办结日期"] == ""


def test_the_readme_example_returns_rows_on_the_bundled_sample(monkeypatch):
    """The README's JupyterLab example, run as written from the repository's root."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text("utf-8")
    section = readme.split("## In JupyterLab", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(root)
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    result = namespace["result"]
    found = result.filter(unit="青石镇", check="办理超期")
    # sample_2026-10.truth.csv (the generator's planted findings) has one HANDLING_OVERDUE for
    # an item of 青石镇: XF2026070000578
    assert list(found["case_id"]) == ["XF2026070000578"]
    assert set(found["check_id"]) == {"HANDLING_OVERDUE"}
    assert found.message is None
    assert len(result.findings) > 500


def test_extract_and_its_ingest_report_display_in_chinese_without_raw_values(tmp_path):
    from clean_values import dirty, visible_text
    from xfaudit.load import load_extract
    from monthly_fixtures import write_xlsx

    extract = load_extract(write_xlsx(tmp_path / "台账.xlsx"))
    shown = extract._repr_html_()
    assert ">信访件编号</th>" in shown and ">case_id</th>" not in shown
    assert "王**" in shown and "王测一" not in shown           # masked
    report = extract.report._repr_html_()
    # the fixture has no 复查 columns: each missing field with the checks it disables
    assert "表头映射" in report and "因此无法评估的检查" in report and "复查超期" in report
    for markup in (shown, report):
        assert dirty(visible_text(markup)) == []
