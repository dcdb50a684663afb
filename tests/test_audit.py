"""Boundary tests of every check, through the public ``audit`` call (clocks → GX → findings).

Each case is one item; the table says which checks must fire at the as-of date. Day counting:
day 1 is the day after the start; day N is on time, day N+1 late (rules.md §2).
"""

from __future__ import annotations

import pandas as pd
import pytest

from xfaudit.audit import audit
from xfaudit.model import Extract, UNREADABLE_COLUMNS
from xfaudit.schema import CheckId

AS_OF = "2026-10-31"


def item(**fields) -> dict:
    """A compliant routed item received 2026-09-01; keyword arguments override fields."""
    base = dict(case_id="XF001", handling_unit="青石镇", category="城乡建设", summary="道路破损",
                petitioner="测试甲", routing="转送", track="信访程序",
                received_on="2026-09-01", routed_on="2026-09-05",
                unit_received_on="2026-09-06", notice_on="2026-09-10",
                accepted_on="2026-09-10", concluded_on="2026-10-20", reply_on="2026-10-20",
                extension_days=None, extension_approved_on=None, extension_notice_on=None,
                assigned_deadline=None, feedback_on=None, outcome="解释说明",
                review_requested_on=None, review_decided_on=None, review_outcome=None,
                rereview_requested_on=None, rereview_decided_on=None, rereview_outcome=None,
                hearing_days=None, implementation_due=None, implemented_on=None,
                implementation_status=None, registered_on=None)
    base.update(fields)
    return base


def run(rows: list[dict], as_of=AS_OF, profile="auto", **kw):
    return audit(Extract.from_frame(pd.DataFrame(rows)), as_of=as_of, profile=profile, **kw)


def fired(rows, **kw) -> set[str]:
    return set(run(rows, **kw).findings["check_id"])


def test_compliant_item_has_no_finding():
    assert fired([item()]) == set()


@pytest.mark.parametrize("fields, as_of, expected", [
    # REG_LATE: 15日 from received_on (2026-09-01 → last day 2026-09-16)
    (dict(routed_on="2026-09-16", unit_received_on="2026-09-16", notice_on="2026-09-20",
          accepted_on="2026-09-20"), AS_OF, set()),
    (dict(routed_on="2026-09-17", unit_received_on="2026-09-17", notice_on="2026-09-20",
          accepted_on="2026-09-20"), AS_OF, {"REG_LATE"}),
    (dict(routed_on=None, unit_received_on=None, notice_on=None, accepted_on=None,
          concluded_on=None, reply_on=None), "2026-09-16", set()),
    (dict(routed_on=None, unit_received_on=None, notice_on=None, accepted_on=None,
          concluded_on=None, reply_on=None), "2026-09-17", {"REG_LATE"}),
    (dict(routing="直接办理", routed_on=None, unit_received_on=None), AS_OF, set()),
    (dict(routing="告知", routed_on=None, unit_received_on=None, notice_on="2026-09-16",
          accepted_on=None, concluded_on=None, reply_on=None), AS_OF, set()),
    # NOTICE_LATE, routed: 15日 from unit_received_on (2026-09-06 → 2026-09-21)
    (dict(notice_on="2026-09-21"), AS_OF, set()),
    (dict(notice_on="2026-09-22"), AS_OF, {"NOTICE_LATE"}),
    (dict(notice_on=None), AS_OF, {"NOTICE_LATE"}),
    # the unknown name/address exemption is for items submitted directly only (2022 第二十三条
    # 第二款); a routed item's notice (第三款) is owed all the same
    (dict(notice_on=None, petitioner="匿名"), AS_OF, {"NOTICE_LATE"}),
    (dict(routing="直接办理", routed_on=None, unit_received_on=None, notice_on=None,
          petitioner="匿名"), AS_OF, set()),
    # NOTICE_LATE, direct: 15日 from received_on (2026-09-01 → 2026-09-16)
    (dict(routing="直接办理", routed_on=None, unit_received_on=None, notice_on="2026-09-16"),
     AS_OF, set()),
    (dict(routing="直接办理", routed_on=None, unit_received_on=None, notice_on="2026-09-17",
          accepted_on="2026-09-17"), AS_OF, {"NOTICE_LATE"}),
    # HANDLING_OVERDUE: 60日 from accepted_on (2026-06-01 → 2026-07-31)
    (dict(received_on="2026-05-20", routed_on="2026-05-21", unit_received_on="2026-05-22",
          notice_on="2026-05-25", accepted_on="2026-06-01", concluded_on="2026-07-31",
          reply_on="2026-07-31"), AS_OF, set()),
    (dict(received_on="2026-05-20", routed_on="2026-05-21", unit_received_on="2026-05-22",
          notice_on="2026-05-25", accepted_on="2026-06-01", concluded_on="2026-08-01",
          reply_on="2026-08-01"), AS_OF, {"HANDLING_OVERDUE"}),
    (dict(received_on="2026-05-20", routed_on="2026-05-21", unit_received_on="2026-05-22",
          notice_on="2026-05-25", accepted_on="2026-06-01", concluded_on=None, reply_on=None),
     "2026-07-31", set()),
    (dict(received_on="2026-05-20", routed_on="2026-05-21", unit_received_on="2026-05-22",
          notice_on="2026-05-25", accepted_on="2026-06-01", concluded_on=None, reply_on=None),
     "2026-08-01", {"HANDLING_OVERDUE"}),
    # 2022: the 60-day limit applies only to track 信访程序
    (dict(received_on="2026-05-20", routed_on="2026-05-21", unit_received_on="2026-05-22",
          notice_on="2026-05-25", accepted_on="2026-06-01", concluded_on="2026-09-01",
          reply_on="2026-09-01", track="诉讼"), AS_OF, set()),
    # 2005: every accepted item (received before 2022-05-01)
    (dict(received_on="2021-05-20", routed_on="2021-05-21", unit_received_on="2021-05-22",
          notice_on="2021-05-25", accepted_on="2021-06-01", concluded_on="2021-09-01",
          reply_on="2021-09-01", track="诉讼"), AS_OF, {"HANDLING_OVERDUE"}),
    # leap year: 2024-01-01 + 60日 = 2024-03-01
    (dict(received_on="2023-12-20", routed_on="2023-12-21", unit_received_on="2023-12-22",
          notice_on="2023-12-25", accepted_on="2024-01-01", concluded_on="2024-03-01",
          reply_on="2024-03-01"), AS_OF, set()),
    (dict(received_on="2023-12-20", routed_on="2023-12-21", unit_received_on="2023-12-22",
          notice_on="2023-12-25", accepted_on="2024-01-01", concluded_on="2024-03-02",
          reply_on="2024-03-02"), AS_OF, {"HANDLING_OVERDUE"}),
    # REPLY_MISSING
    (dict(reply_on=None), AS_OF, {"REPLY_MISSING"}),
    # FEEDBACK_MISSING: 交办 with an assigned deadline
    (dict(routing="交办", assigned_deadline="2026-10-15", feedback_on="2026-10-15"), AS_OF, set()),
    (dict(routing="交办", assigned_deadline="2026-10-15", feedback_on="2026-10-16"), AS_OF,
     {"FEEDBACK_MISSING"}),
    (dict(routing="交办", assigned_deadline="2026-10-15", feedback_on=None), "2026-10-15", set()),
    (dict(routing="交办", assigned_deadline="2026-10-15", feedback_on=None), "2026-10-16",
     {"FEEDBACK_MISSING"}),
    (dict(routing="转送", assigned_deadline="2026-10-15", feedback_on=None), AS_OF, set()),
    # REVIEW_OVERDUE: 30日 from review_requested_on (2026-09-01 → 2026-10-01)
    (dict(review_requested_on="2026-10-21", review_decided_on="2026-11-20"), "2026-11-30", set()),
    (dict(review_requested_on="2026-10-21", review_decided_on="2026-11-21"), "2026-11-30",
     {"REVIEW_OVERDUE"}),
    (dict(review_requested_on="2026-10-21"), "2026-11-20", set()),
    (dict(review_requested_on="2026-10-21"), "2026-11-21", {"REVIEW_OVERDUE"}),
    # REREVIEW_OVERDUE: 30日 + hearing days
    (dict(rereview_requested_on="2026-10-21", rereview_decided_on="2026-11-21"), "2026-12-31",
     {"REREVIEW_OVERDUE"}),
    (dict(rereview_requested_on="2026-10-21", rereview_decided_on="2026-11-30", hearing_days=10),
     "2026-12-31", set()),
    (dict(rereview_requested_on="2026-10-21", rereview_decided_on="2026-12-01", hearing_days=10),
     "2026-12-31", {"REREVIEW_OVERDUE"}),
    # DECISION_UNIMPLEMENTED
    (dict(review_outcome="撤销", review_requested_on="2026-10-21",
          review_decided_on="2026-10-25", implementation_due="2026-11-10",
          implemented_on="2026-11-10", implementation_status="已落实"), "2026-11-30", set()),
    (dict(review_outcome="撤销", review_requested_on="2026-10-21",
          review_decided_on="2026-10-25", implementation_due="2026-11-10",
          implemented_on="2026-11-11", implementation_status="已落实"), "2026-11-30",
     {"DECISION_UNIMPLEMENTED"}),
    (dict(review_outcome="撤销", review_requested_on="2026-10-21",
          review_decided_on="2026-10-25", implementation_due="2026-11-10"), "2026-11-10", set()),
    (dict(review_outcome="撤销", review_requested_on="2026-10-21",
          review_decided_on="2026-10-25", implementation_due="2026-11-10"), "2026-11-11",
     {"DECISION_UNIMPLEMENTED"}),
    # 未落实 before the 落实期限 is not a failure: due 2026-12-10 is after the as-of date
    (dict(outcome="支持", implementation_due="2026-12-10", implementation_status="未落实"),
     AS_OF, set()),
    # past the 落实期限 (2026-10-10 < as-of 2026-10-31) with no 落实日期: 21 days late
    (dict(outcome="支持", implementation_due="2026-10-10", implementation_status="未落实"),
     AS_OF, {"DECISION_UNIMPLEMENTED"}),
    # 部分支持 requires the supported part to be carried out (第三十二条第二款)
    (dict(outcome="部分支持", implementation_due="2026-10-10"), AS_OF,
     {"DECISION_UNIMPLEMENTED"}),
    # 未落实 with no 落实期限: no day is proven — not judged, no finding
    (dict(outcome="支持", implementation_status="未落实"), AS_OF, set()),
    (dict(outcome="不予支持", implementation_status="未落实"), AS_OF, set()),
])
def test_check_boundaries(fields, as_of, expected):
    assert fired([item(**fields)], as_of=as_of) == expected


EXTENDED = dict(received_on="2026-05-20", routed_on="2026-05-21", unit_received_on="2026-05-22",
                notice_on="2026-05-25", accepted_on="2026-06-01", extension_days=30,
                extension_approved_on="2026-07-20", extension_notice_on="2026-07-21")


@pytest.mark.parametrize("fields, expected", [
    (dict(concluded_on="2026-08-30", reply_on="2026-08-30"), set()),
    (dict(concluded_on="2026-08-31", reply_on="2026-08-31"), {"HANDLING_OVERDUE"}),
    (dict(concluded_on="2026-08-15", reply_on="2026-08-15", extension_days=31),
     {"HANDLING_OVERDUE", "EXTENSION_IRREGULAR"}),
    (dict(concluded_on="2026-08-15", reply_on="2026-08-15", extension_approved_on=None),
     {"HANDLING_OVERDUE", "EXTENSION_IRREGULAR"}),
    (dict(concluded_on="2026-08-15", reply_on="2026-08-15", extension_approved_on="2026-07-31"),
     set()),
    (dict(concluded_on="2026-08-15", reply_on="2026-08-15", extension_approved_on="2026-08-01"),
     {"HANDLING_OVERDUE", "EXTENSION_IRREGULAR"}),
    (dict(concluded_on="2026-08-15", reply_on="2026-08-15", extension_notice_on=None),
     {"HANDLING_OVERDUE", "EXTENSION_IRREGULAR"}),
    (dict(concluded_on="2026-07-25", reply_on="2026-07-25", extension_notice_on=None),
     {"EXTENSION_IRREGULAR"}),
])
def test_extensions(fields, expected):
    assert fired([item(**{**EXTENDED, **fields})]) == expected


def test_extension_detail_names_every_reason():
    result = run([item(**{**EXTENDED, "concluded_on": "2026-07-25", "reply_on": "2026-07-25",
                          "extension_days": 40, "extension_notice_on": None})])
    detail = result.filter(check="EXTENSION_IRREGULAR")["detail"].iloc[0]
    assert "超过30日" in detail and "未告知" in detail


def test_finding_fields_for_an_open_overdue_item():
    f = run([item(routed_on=None, unit_received_on=None, notice_on=None, accepted_on=None,
                  concluded_on=None, reply_on=None)], as_of="2026-09-20").findings
    row = f.iloc[0]
    assert (row.check_id, row.handling_unit, row.days_late, bool(row.is_open)) == (
        "REG_LATE", "青石镇", 4, True)
    assert row.start_on == pd.Timestamp("2026-09-01")
    assert row.last_day == pd.Timestamp("2026-09-16")
    assert pd.isna(row.actual_on)
    assert row.citation == "《信访工作条例》第二十二条第一款"
    assert row.profile == "national-2022"


def test_citation_follows_the_text_in_force_for_the_item():
    old = item(case_id="OLD", received_on="2021-05-20", routed_on="2021-06-20",
               unit_received_on="2021-06-21", notice_on="2021-06-22", accepted_on="2021-06-22",
               concluded_on="2021-07-01", reply_on="2021-07-01")
    new = item(case_id="NEW", routed_on="2026-09-30", unit_received_on="2026-09-30",
               notice_on="2026-10-01", accepted_on="2026-10-01")
    f = run([old, new]).findings.set_index("case_id")
    assert f.loc["OLD", "citation"] == "《信访条例》第二十一条第一款"
    assert f.loc["NEW", "citation"] == "《信访工作条例》第二十二条第一款"


def test_pinned_profile_overrides_the_date():
    old = item(received_on="2021-05-20", routed_on="2021-05-21", unit_received_on="2021-05-22",
               notice_on="2021-05-25", accepted_on="2021-06-01", concluded_on="2021-09-01",
               reply_on="2021-09-01", track="诉讼")
    assert fired([old], profile="national-2022") == set()
    assert fired([old], profile="national-2005") == {"HANDLING_OVERDUE"}


def test_working_days_across_national_day_count_the_makeup_saturday():
    # 浙江 example: 5 工作日. Received Mon 2026-09-28: 09-29, 09-30, 10-08, 10-09 and the
    # 调休 Saturday 10-10 → last day 2026-10-10.
    on_time = item(received_on="2026-09-28", routed_on="2026-10-10",
                   unit_received_on="2026-10-10", notice_on="2026-10-12",
                   accepted_on="2026-10-12", concluded_on="2026-10-20", reply_on="2026-10-20")
    late = {**on_time, "case_id": "XF002", "routed_on": "2026-10-12",
            "unit_received_on": "2026-10-12"}
    f = run([on_time, late], profile="zhejiang-example").findings
    reg = f[f["check_id"] == "REG_LATE"]
    assert list(reg["case_id"]) == ["XF002"]
    assert reg["last_day"].iloc[0] == pd.Timestamp("2026-10-10")
    assert reg["days_late"].iloc[0] == 2


def _roll_profile(tmp_path, mode: str) -> str:
    profile = tmp_path / f"roll-{mode}.toml"
    profile.write_text(f'name = "roll"\nbase = "national-2022"\nroll_forward = "{mode}"\n',
                       encoding="utf-8")
    return str(profile)


@pytest.mark.parametrize("mode, expected", [("none", {"REG_LATE"}), ("holidays", set()),
                                            ("holidays_and_weekends", set())])
def test_holiday_last_day_roll_forward(tmp_path, mode, expected):
    # 2026-09-16 + 15日 = 2026-10-01 (国庆, 10-01..10-07 rest); rolled forward → 2026-10-08
    row = item(received_on="2026-09-16", routed_on="2026-10-08", unit_received_on="2026-10-08",
               notice_on="2026-10-09", accepted_on="2026-10-09", concluded_on="2026-10-20",
               reply_on="2026-10-20")
    assert fired([row], profile=_roll_profile(tmp_path, mode)) == expected


@pytest.mark.parametrize("mode, expected", [("none", {"REG_LATE"}), ("holidays", {"REG_LATE"}),
                                            ("holidays_and_weekends", set())])
def test_an_ordinary_weekend_rolls_only_when_the_profile_says_so(tmp_path, mode, expected):
    # 2026-10-02 + 15日 = 2026-10-17, a Saturday that is no holiday; weekends too → Mon 10-19
    row = item(received_on="2026-10-02", routed_on="2026-10-19", unit_received_on="2026-10-19",
               notice_on="2026-10-20", accepted_on="2026-10-20", concluded_on="2026-10-26",
               reply_on="2026-10-26")
    assert fired([row], profile=_roll_profile(tmp_path, mode)) == expected


def test_a_date_an_organ_fixed_is_never_rolled(tmp_path):
    # 交办 with a 交办期限 of Saturday 2026-08-01 (an ordinary weekend), 反馈 Monday 08-03: two
    # days late even when the profile rolls weekends, because the organ fixed that date itself
    # (docs/checks.md, Roll-forward); the 说明 still gives the rolled date (Sunday 08-02 is no
    # working day either → Monday 08-03) for an objection
    row = item(routing="交办", received_on="2026-07-10", routed_on="2026-07-13",
               unit_received_on="2026-07-14", notice_on="2026-07-20", accepted_on="2026-07-20",
               assigned_deadline="2026-08-01", feedback_on="2026-08-03")
    findings = run([row], profile=_roll_profile(tmp_path, "holidays_and_weekends")).findings
    late = findings[findings["check_id"] == "FEEDBACK_MISSING"]
    assert late["days_late"].tolist() == [2]
    assert "若顺延至2026年8月3日，则未超期" in late["detail"].iloc[0]


def test_a_late_finding_on_a_rest_day_says_so_with_the_rolled_date():
    # last day 2026-10-01 (国庆节); routed 10-08: 7 days late; rolled to 10-08: on time
    row = item(received_on="2026-09-16", routed_on="2026-10-08", unit_received_on="2026-10-08",
               notice_on="2026-10-09", accepted_on="2026-10-09", concluded_on="2026-10-20",
               reply_on="2026-10-20")
    detail = run([row]).filter(check="REG_LATE")["detail"].iloc[0]
    assert detail == ("超期7日后办理；期限届满日2026年10月1日为国庆节；若顺延至2026年10月8日，"
                      "则未超期")


def test_data_quality_checks():
    rows = [item(case_id="A"), item(case_id="A", summary="另一件"),
            item(case_id="B", handling_unit=None),
            item(case_id="C", reply_on="2026-09-01"), item(case_id="D")]
    extract = Extract.from_frame(pd.DataFrame(rows))
    extract.report.unreadable = pd.DataFrame(
        [[6, "D", "registered_on", "登记日期", "2026-13-45", "无法识别"]], columns=UNREADABLE_COLUMNS)
    f = audit(extract, as_of=AS_OF).findings
    got = set(zip(f["case_id"], f["check_id"]))
    assert got == {("A", "DATA_DUPLICATE_ID"), ("B", "DATA_REQUIRED_MISSING"),
                   ("C", "DATA_DATE_ORDER"), ("D", "DATA_DATE_UNREADABLE")}
    assert (f["check_id"] == "DATA_DUPLICATE_ID").sum() == 2
    assert "2026-13-45" in f.set_index("case_id").loc["D", "detail"]
    # reply 09-01 is before acceptance 09-10 and before conclusion 10-20: both pairs named
    assert (f.set_index("check_id").loc["DATA_DATE_ORDER", "detail"]
            == "答复日期早于办结日期；答复日期早于受理日期")
    assert set(f["kind"]) == {"data_quality"}


def test_a_row_pasted_twice_is_one_item():
    late = dict(routed_on=None, unit_received_on=None, notice_on=None, accepted_on=None,
                concluded_on=None, reply_on=None)
    f = run([item(case_id="A", **late), item(case_id="A", **late)]).findings
    got = sorted(zip(f["case_id"], f["check_id"], f["source_row"]))
    # the original (row 2) is judged once; the copy (row 3) is only the duplicate-row finding
    assert got == [("A", "DATA_DUPLICATE_ROW", 3), ("A", "REG_LATE", 2)]
    assert f.set_index("check_id").loc["DATA_DUPLICATE_ROW", "detail"] == (
        "与台账第2行完全相同（重复录入），不重复计算")


def test_missing_columns_make_a_check_not_evaluated_never_passed():
    frame = pd.DataFrame([item()]).drop(columns=["reply_on"])
    result = audit(Extract.from_frame(frame), as_of=AS_OF)
    status = {c["check_id"]: c for c in result.summary["checks"]}
    assert status["REPLY_MISSING"]["evaluated"] is False
    assert "答复日期" in status["REPLY_MISSING"]["status"]
    assert status["REG_LATE"]["evaluated"] is True
    assert any(n.check_id == "REPLY_MISSING" for n in result.not_evaluated)


def test_summary_counts_and_html_repr():
    result = run([item(reply_on=None), item(case_id="XF002", reply_on=None,
                                            handling_unit="城南街道")])
    s = result.summary
    assert s["totals"] == {"accountability": 2, "data_quality": 0}
    assert s["by_unit"] == {"城南街道": {"REPLY_MISSING": 1}, "青石镇": {"REPLY_MISSING": 1}}
    assert s["rows"]["audited"] == 2
    assert "未出具书面答复" in result._repr_html_()


def test_year_without_holiday_table_is_an_error_naming_the_year():
    from xfaudit.errors import CalendarError

    row = item(received_on="2027-03-01", routed_on="2027-03-02", unit_received_on="2027-03-02",
               notice_on="2027-03-03", accepted_on="2027-03-03", concluded_on=None,
               reply_on=None)
    with pytest.raises(CalendarError, match="2027"):
        run([row], as_of="2027-03-31", profile="zhejiang-example")
