"""Never a false accusation: the engine judges only what the ledger proves (issue 8).

Hand-computed cases through the public ``audit`` call: an unreadable, implausible or
unknown-valued cell never starts, stops or switches off a clock into an accountability finding;
it is a data-quality finding and the check counts the row as 无法判断. A property test
(hypothesis) asserts the same over random ledgers.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xfaudit.audit import audit
from xfaudit.load import load_extract
from xfaudit.model import UNREADABLE_COLUMNS, Extract
from xfaudit.profile import load_profile_set
from xfaudit.schema import checks, fields

AS_OF = "2026-10-31"
ACCOUNTABILITY = {c.value for c, spec in checks().items() if spec.kind == "accountability"}


#: Dates of a compliant item received in May (accepted 06-01: 60 days → 07-31).
MAY = dict(received_on="2026-05-20", routed_on="2026-05-21", unit_received_on="2026-05-22",
           notice_on="2026-05-25", accepted_on="2026-06-01", concluded_on="2026-07-20",
           reply_on="2026-07-20")


def item(**kw) -> dict:
    """A compliant routed item received 2026-09-01 (the same as test_audit.item)."""
    base = dict(case_id="XF001", handling_unit="青石镇", petitioner="测试甲", routing="转送",
                track="信访程序", received_on="2026-09-01", routed_on="2026-09-05",
                unit_received_on="2026-09-06", notice_on="2026-09-10",
                accepted_on="2026-09-10", concluded_on="2026-10-20", reply_on="2026-10-20",
                registered_on=None, outcome="解释说明", implementation_due=None,
                implemented_on=None, implementation_status=None)
    base.update(kw)
    return base


def audited(rows, unreadable=(), as_of=AS_OF, profile="auto", window=None):
    """Audit rows; ``unreadable`` lists (row index, field, raw text) cells the loader could not
    read (their value in the frame is empty, as the loader leaves it)."""
    extract = Extract.from_frame(pd.DataFrame(rows), window=window)
    if unreadable:
        extract.report.unreadable = pd.concat([extract.report.unreadable, pd.DataFrame(
            [[i + 2, rows[i]["case_id"], f, fields()[f].header, raw, "无法识别"]
             for i, f, raw in unreadable], columns=UNREADABLE_COLUMNS)], ignore_index=True)
    return audit(extract, as_of=as_of, profile=profile)


def found(result) -> set[str]:
    return set(result.findings["check_id"])


def coverage(result, check: str) -> dict:
    row = next(c for c in result.summary["checks"] if c["check_id"] == check)
    return {k: row[k] for k in ("applicable", "judged", "unjudged", "status")}


# -- 1. Unreadable is not empty --------------------------------------------------------------

def test_an_unreadable_act_date_is_not_judged_as_not_done():
    # 转交日期 written as "10/5" (no year): without the rule, REG_LATE would read "仍未办理"
    # (received 09-01 + 15 = 09-16, as-of 10-31: 45 days). With it: no REG_LATE.
    result = audited([item(routed_on=None)], unreadable=[(0, "routed_on", "10/5")])
    assert found(result) == {"DATA_DATE_UNREADABLE"}
    detail = result.filter(check="DATA_DATE_UNREADABLE")["detail"].iloc[0]
    assert detail == "转交日期：“10/5”（无法识别）"
    assert coverage(result, "REG_LATE") == {"applicable": 1, "judged": 0, "unjudged": 1,
                                            "status": "部分评估（0/1，1件无法判断）"}


@pytest.mark.parametrize("field_, raw, check", [
    ("concluded_on", "#DIV/0!", "HANDLING_OVERDUE"),      # an Excel error cell
    ("concluded_on", "2026年13月5日", "REPLY_MISSING"),     # concluded? unknown: reply not judged
    ("notice_on", "10月5日", "NOTICE_LATE"),                # year-less
    ("received_on", "待定", "REG_LATE"),                    # the start itself
])
def test_an_unreadable_cell_leaves_its_checks_unjudged(field_, raw, check):
    # received 05-20, accepted 06-01: had the cell been read as empty, each check would fire
    # (06-01 + 60 = 07-31 < as-of 10-31; the notice and routing would be "never done")
    row = item(**{**MAY, field_: None})
    result = audited([row], unreadable=[(0, field_, raw)])
    assert found(result) == {"DATA_DATE_UNREADABLE"}
    assert coverage(result, check)["unjudged"] == 1


def test_an_unreadable_date_read_from_a_file_never_accuses(tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text("信访件编号,责任单位,收到日期,转交日期,办理方式\n"
                    "A1,青石镇,2026,2026-10-05,转送\n"            # a year typed alone
                    "A2,青石镇,2026-10-01,10/5,转送\n"            # an unreadable act
                    "A3,青石镇,2026-10-01,45000,转送\n",          # serial 45000 = 2023-03-15
                    encoding="utf-8")
    result = audit(load_extract(path), as_of=AS_OF, profile="national-2022")
    got = set(zip(result.findings["case_id"], result.findings["check_id"]))
    assert got == {("A1", "DATA_DATE_UNREADABLE"), ("A2", "DATA_DATE_UNREADABLE"),
                   ("A3", "DATA_DATE_ORDER")}
    detail = result.findings.set_index("case_id")["detail"]
    assert detail["A1"] == "收到日期：“2026”（不在合理日期范围内）"
    assert detail["A3"] == "转交日期早于收到日期"


def test_an_excel_error_in_a_required_text_cell_is_unreadable_not_empty(tmp_path):
    # 责任单位 holds #REF! (a broken formula): the cell is written but cannot be read, so the
    # ledger does not show it empty (no DATA_REQUIRED_MISSING); an empty cell still is
    import xlsxwriter

    path = tmp_path / "台账.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("台账")
    for col, header in enumerate(["信访件编号", "收到日期", "责任单位", "办理方式"]):
        sheet.write_string(0, col, header)
    for row, (case, unit) in enumerate([("R1", "#REF!"), ("R2", None), ("R3", "青石镇")], 1):
        sheet.write_string(row, 0, case)
        sheet.write_string(row, 1, "2026-10-01")
        if unit == "#REF!":
            sheet.write_formula(row, 2, "=#REF!", None, "#REF!")
        elif unit:
            sheet.write_string(row, 2, unit)
        sheet.write_string(row, 3, "转送")
    book.close()
    result = audit(load_extract(path), as_of=AS_OF, profile="national-2022")
    got = set(zip(result.findings["case_id"], result.findings["check_id"]))
    assert got == {("R1", "DATA_DATE_UNREADABLE"), ("R2", "DATA_REQUIRED_MISSING")}
    assert result.filter(check="DATA_DATE_UNREADABLE")["detail"].iloc[0] == \
        "责任单位：“#REF!”（无法识别）"


# -- 2. Plausible dates only ---------------------------------------------------------------

def test_an_implausible_year_is_a_finding_on_its_row_not_a_stopped_audit():
    # zhejiang-example counts registration in working days; a 1985 date must not ask for a
    # 1985 holiday table. The normal row is judged: received Mon 2026-09-28, 5 工作日 →
    # 09-29, 09-30, 10-08, 10-09, 10-10 (调休 Saturday) → routed 10-12 is 2 days late.
    rows = [item(case_id="OLD", received_on="1985-03-01", routed_on="1985-03-05",
                 unit_received_on=None, notice_on=None, accepted_on=None, concluded_on=None,
                 reply_on=None),
            item(case_id="NEW", received_on="2026-09-28", routed_on="2026-10-12",
                 unit_received_on="2026-10-12", notice_on="2026-10-12",
                 accepted_on="2026-10-12")]
    result = audited(rows, profile="zhejiang-example")
    got = set(zip(result.findings["case_id"], result.findings["check_id"]))
    assert ("OLD", "DATA_DATE_UNREADABLE") in got and ("NEW", "REG_LATE") in got
    assert not {c for i, c in got if i == "OLD"} & ACCOUNTABILITY
    detail = result.filter(check="DATA_DATE_UNREADABLE")["detail"].iloc[0]
    assert detail == ("收到日期：“1985-03-01”（不在合理日期范围内）；"
                      "转交日期：“1985-03-05”（不在合理日期范围内）")


def test_the_window_is_set_in_the_profile(tmp_path):
    profile = tmp_path / "p.toml"
    profile.write_text('name = "p"\nbase = "national-2022"\n[dates]\nearliest = 1980-01-01\n',
                       encoding="utf-8")
    # accepted 1985-03-01 + 60 = 1985-04-30; concluded 1985-05-10: 10 days late (2022 rules
    # pinned by the profile, track 信访程序)
    row = item(received_on="1985-02-20", routed_on="1985-02-21", unit_received_on="1985-02-22",
               notice_on="1985-03-01", accepted_on="1985-03-01", concluded_on="1985-05-10",
               reply_on="1985-05-10")
    # the loader (here from_frame) is given the profile's window, as `xfaudit check` does
    window = load_profile_set(str(profile)).date_window(AS_OF)
    assert window.first == pd.Timestamp("1980-01-01")
    result = audited([row], profile=str(profile), window=window)
    assert found(result) == {"HANDLING_OVERDUE"}
    assert result.findings["days_late"].iloc[0] == 10


# -- 4. Vocabularies --------------------------------------------------------------------------

def test_an_unknown_track_keeps_the_60_day_clock_and_is_reported():
    # accepted 2026-06-01 + 60 = 07-31; open at 10-31: 92 days
    row = item(**{**MAY, "track": "按程序办", "concluded_on": None, "reply_on": None})
    result = audited([row])
    assert found(result) == {"HANDLING_OVERDUE", "DATA_VALUE_UNKNOWN"}
    assert result.filter(check="DATA_VALUE_UNKNOWN")["detail"].iloc[0] == (
        "办理途径：“按程序办”不在词表中")
    assert result.filter(check="HANDLING_OVERDUE")["days_late"].iloc[0] == 92


@pytest.mark.parametrize("track", ["诉讼", "仲裁", "行政复议", "涉法涉诉"])
def test_diverted_items_owe_neither_the_60_days_nor_the_reply(track):
    row = item(**{**MAY, "track": track, "concluded_on": "2026-09-01", "reply_on": None})
    assert found(audited([row])) == set()


def test_under_2005_the_60_days_apply_whatever_the_track_but_not_the_reply():
    # received 2021: 2005 text; accepted 2021-06-01 + 60 = 07-31, concluded 09-01: late
    row = item(track="诉讼", received_on="2021-05-20", routed_on="2021-05-21",
               unit_received_on="2021-05-22", notice_on="2021-05-25", accepted_on="2021-06-01",
               concluded_on="2021-09-01", reply_on=None)
    assert found(audited([row])) == {"HANDLING_OVERDUE"}


def test_an_unknown_routing_judges_a_recorded_act_but_never_an_open_one():
    late = item(case_id="LATE", routing="转来", routed_on="2026-09-17",
                unit_received_on="2026-09-17", notice_on="2026-09-18", accepted_on="2026-09-18")
    silent = item(case_id="SILENT", routing="转来", routed_on=None, unit_received_on=None,
                  notice_on=None, accepted_on=None, concluded_on=None, reply_on=None)
    result = audited([late, silent])
    got = set(zip(result.findings["case_id"], result.findings["check_id"]))
    assert got == {("LATE", "REG_LATE"), ("LATE", "DATA_VALUE_UNKNOWN"),
                   ("SILENT", "DATA_VALUE_UNKNOWN")}


def test_a_kept_item_is_never_a_permanent_reg_late():
    # 存 with a 登记日期 09-20 (received 09-01 + 15 = 09-16): 4 days late; without any date:
    # unjudged, not "仍未办理"
    dated = item(case_id="DATED", routing="存", routed_on=None, unit_received_on=None,
                 notice_on=None, accepted_on=None, concluded_on=None, reply_on=None,
                 registered_on="2026-09-20")
    undated = {**dated, "case_id": "UNDATED", "registered_on": None}
    result = audited([dated, undated])
    reg = result.filter(check="REG_LATE")
    assert list(reg["case_id"]) == ["DATED"] and reg["days_late"].iloc[0] == 4
    assert not reg["is_open"].iloc[0]
    assert coverage(result, "REG_LATE")["unjudged"] == 1


# -- 5. A duty before a finding -------------------------------------------------------------

@pytest.mark.parametrize("track", ["涉法涉诉", "诉讼", "纪检监察"])
def test_notices_of_law_related_items_follow_other_rules(track):
    # 2022 第二十三条第四款: not judged (不适用), even with no notice at all
    result = audited([item(track=track, notice_on=None)])
    assert "NOTICE_LATE" not in found(result)
    assert coverage(result, "NOTICE_LATE")["applicable"] == 0


def test_a_routed_item_without_the_units_receipt_date_is_unjudged_not_passed():
    result = audited([item(unit_received_on=None, notice_on=None)])
    assert "NOTICE_LATE" not in found(result)
    assert coverage(result, "NOTICE_LATE") == {"applicable": 1, "judged": 0, "unjudged": 1,
                                               "status": "部分评估（0/1，1件无法判断）"}


# -- 7. The whole lifecycle is ordered --------------------------------------------------------

@pytest.mark.parametrize("fields_, pair", [
    (dict(review_requested_on="2026-10-10"), "复查申请日期早于答复日期"),
    (dict(implementation_due="2026-11-30", outcome="支持", implemented_on="2026-10-01"),
     "落实日期早于办结日期"),
    (dict(registered_on="2026-08-30"), "登记日期早于收到日期"),
    (dict(notice_on="2026-09-05"), "告知日期早于单位收到日期"),
])
def test_every_pair_of_the_items_life_is_ordered(fields_, pair):
    result = audited([item(**fields_)])
    assert pair in result.filter(check="DATA_DATE_ORDER")["detail"].iloc[0].split("；")


# The item above was concluded and answered on 10-20, so a 落实日期 of 10-26 follows the
# original decision; a 复查 decided on 10-28 that replaces it (撤销, 变更, 责令重新办理) puts
# 落实 after 10-28 too, and 10-26 < 10-28 is out of order. After 维持 the original decision stays
# in force and 10-26 is in order. The 复核 the same: decided 10-30, replacing, 落实 10-29 < 10-30.
REVIEWED = dict(review_requested_on="2026-10-22", review_decided_on="2026-10-28",
                implementation_status="已落实", implemented_on="2026-10-26")
REPLACED_BY_REVIEW = "落实日期早于改变原意见的复查意见日期"
REPLACED_BY_REREVIEW = "落实日期早于改变原意见的复核意见日期"


@pytest.mark.parametrize("outcome", ["撤销", "变更", "责令重作"])
def test_implemented_before_the_review_that_replaced_the_decision_is_out_of_order(outcome):
    result = audited([item(review_outcome=outcome, **REVIEWED)])
    details = result.filter(check="DATA_DATE_ORDER")["detail"].iloc[0].split("；")
    assert details == [REPLACED_BY_REVIEW]


@pytest.mark.parametrize("outcome", ["维持", "维持原处理意见", None])
def test_implemented_before_an_upholding_or_unstated_review_is_in_order(outcome):
    result = audited([item(review_outcome=outcome, **REVIEWED)])
    assert "DATA_DATE_ORDER" not in found(result)


def test_implemented_before_the_rereview_that_replaced_the_upheld_decision():
    result = audited([item(**{**REVIEWED, "implemented_on": "2026-10-29"}, review_outcome="维持",
                           rereview_requested_on="2026-10-29",
                           rereview_decided_on="2026-10-30", rereview_outcome="变更")])
    details = result.filter(check="DATA_DATE_ORDER")["detail"].iloc[0].split("；")
    assert details == [REPLACED_BY_REREVIEW]


# -- property: no accountability finding rests on a doubtful cell -----------------------------

#: The cells each check reads, independently of the engine (docs/checks.md): a doubtful cell
#: among them means the check may not fire on that row.
READS = {
    "REG_LATE": ("received_on", "routed_on"),
    "NOTICE_LATE": ("notice_on",),
    "HANDLING_OVERDUE": ("accepted_on", "concluded_on"),
    "REPLY_MISSING": ("concluded_on", "reply_on"),
    "DECISION_UNIMPLEMENTED": ("implementation_due", "implemented_on"),
}
#: Cells whose unknown value may not make an *open* finding (the act's absence unproven).
OPEN_NEEDS_KNOWN = {"REG_LATE": ("routing",), "NOTICE_LATE": ("routing",),
                    "DECISION_UNIMPLEMENTED": ("outcome", "implementation_status")}
DATES = ("received_on", "routed_on", "unit_received_on", "notice_on", "accepted_on",
         "concluded_on", "reply_on", "implementation_due", "implemented_on")

day = st.integers(min_value=-120, max_value=120).map(
    lambda n: (pd.Timestamp("2026-08-01") + pd.Timedelta(days=n)).strftime("%Y-%m-%d"))
maybe_day = st.one_of(st.none(), day)


@st.composite
def ledger_row(draw, i):
    row = item(case_id=f"P{i}", **{name: draw(maybe_day) for name in DATES})
    row["routing"] = draw(st.sampled_from(["转送", "交办", "直接办理", "告知", "存", "转来", None]))
    row["track"] = draw(st.sampled_from(["信访程序", "诉讼", "按程序办", None]))
    row["outcome"] = draw(st.sampled_from(["支持", "部分支持", "不予支持", "待定意见", None]))
    row["implementation_status"] = draw(st.sampled_from(["已落实", "未落实", "落实了", None]))
    doubtful = draw(st.lists(st.sampled_from(DATES), max_size=3, unique=True))
    kinds = draw(st.lists(st.sampled_from(["unreadable", "implausible"]), min_size=len(doubtful),
                          max_size=len(doubtful)))
    return row, list(zip(doubtful, kinds, strict=True))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=4).flatmap(
    lambda seeds: st.tuples(*[ledger_row(i) for i in range(len(seeds))])))
def test_no_accountability_finding_rests_on_a_doubtful_or_unknown_cell(drawn):
    rows, unreadable, doubtful_cells = [], [], set()
    for i, (row, doubtful) in enumerate(drawn):
        for name, kind in doubtful:
            doubtful_cells.add((row["case_id"], name))
            if kind == "unreadable":
                row[name] = None
                unreadable.append((i, name, "10月5日"))
            else:
                row[name] = "1985-03-01"
        rows.append(row)
    result = audited(rows, unreadable=unreadable)
    vocab = {"routing": {"转送", "交办", "直接办理", "告知", "存"},
             "outcome": {"支持", "部分支持", "不予支持"},
             "implementation_status": {"已落实", "未落实"}}
    by_id = {r["case_id"]: r for r in rows}
    for f in result.findings.itertuples():
        if f.check_id not in ACCOUNTABILITY:
            continue
        for name in READS.get(f.check_id, ()):
            assert (f.case_id, name) not in doubtful_cells, (f.check_id, name, by_id[f.case_id])
        if f.is_open:
            for name in OPEN_NEEDS_KNOWN.get(f.check_id, ()):
                value = by_id[f.case_id][name]
                assert value is None or value in vocab[name], (f.check_id, name, value)


# -- the systems' own fields (issue 9) --------------------------------------------------------

def system_row(**kw) -> dict:
    """An item as a province export has it: no 受理日期, a 限办时间 and 是否办结."""
    base = dict(case_id="S1", handling_unit="青石镇", received_on="2026-08-01",
                system_deadline="2026-09-30", is_concluded=None, concluded_on=None,
                status=None, system_overdue=None)
    base.update(kw)
    return base


@pytest.mark.parametrize("fields_, expected", [
    # open (是否办结 = 否) past 09-30 at as-of 10-31: 31 days late
    (dict(is_concluded=False), {"SYSTEM_DEADLINE_OVERDUE": 31}),
    # concluded 10-05, 5 days after the system's deadline
    (dict(is_concluded=True, concluded_on="2026-10-05"), {"SYSTEM_DEADLINE_OVERDUE": 5}),
    # concluded on the deadline: on time
    (dict(is_concluded=True, concluded_on="2026-09-30"), {}),
    # concluded, but no date: nothing proven
    (dict(is_concluded=True), {}),
    # nothing says whether it is concluded: nothing proven
    (dict(), {}),
    # an open status proves the absence of a conclusion
    (dict(status="超期未作出处理意见"), {"SYSTEM_DEADLINE_OVERDUE": 31}),
    (dict(status="审核认定办结"), {}),
    (dict(status="不予受理", is_concluded=False), {}),
])
def test_system_deadline_where_the_statutory_clock_cannot_run(fields_, expected):
    result = audited([system_row(**fields_)])
    f = result.findings[result.findings["kind"] == "accountability"]
    assert dict(zip(f["check_id"], f["days_late"])) == expected


def test_the_statutory_clock_wins_where_it_runs():
    # accepted 06-01 + 60 = 07-31, concluded 07-20: on time by statute, whatever 限办时间 says
    row = item(**{**MAY, "system_deadline": "2026-07-01", "is_concluded": True})
    result = audited([row])
    assert found(result) == set()
    assert coverage(result, "SYSTEM_DEADLINE_OVERDUE")["applicable"] == 0


@pytest.mark.parametrize("fields_, detail", [
    # statute: concluded 07-20 ≤ 07-31, on time; the system flags 超期
    (dict(system_overdue=True), "系统标记为超期，但按法定时限未超期（办理超期）"),
    # statute: open past 07-31 at 10-31; the system says not overdue
    (dict(system_overdue=False, concluded_on=None, reply_on=None),
     "按法定时限已超期，但系统标记为未超期（办理超期）"),
    (dict(status="超期未作出处理意见"), "信访件状态为超期，但按法定时限未超期或已办理（办理超期）"),
    (dict(status="受理", concluded_on=None, reply_on=None),
     "按法定时限已超期仍未办理，但信访件状态未显示超期（办理超期）"),
])
def test_a_system_flag_that_disagrees_with_the_statute_is_reported(fields_, detail):
    result = audited([item(**{**MAY, **fields_})])
    assert result.filter(check="SYSTEM_FLAG_MISMATCH")["detail"].tolist() == [detail]


def test_a_system_flag_without_a_statutory_clock_to_compare_is_not_judged():
    # Three items. S1 as a province export has it (no 受理日期: the 办理 clock cannot run),
    # status 超期未作出处理意见; S2 the same with 是否超期 = 是; S3 says nothing (no status, no
    # flag). SYSTEM_FLAG_MISMATCH applies to S1 and S2 (the system says something about 办理)
    # and judges neither (no statutory clock): 0/2, never a silent 已评估; S3 not applicable.
    rows = [system_row(case_id="S1", status="超期未作出处理意见"),
            system_row(case_id="S2", system_overdue=True), system_row(case_id="S3")]
    result = audited(rows)
    assert coverage(result, "SYSTEM_FLAG_MISMATCH") == {
        "applicable": 2, "judged": 0, "unjudged": 2, "status": "部分评估（0/2，2件无法判断）"}
    assert result.filter(check="SYSTEM_FLAG_MISMATCH").empty


def test_a_system_flag_is_judged_where_the_statutory_clock_runs():
    # MAY: accepted 06-01 + 60 = 07-31, concluded 07-20. Row 1 flags 是否超期 = 否 (agrees),
    # row 2 is 受理 status while concluded on time (agrees), row 3 says nothing, row 4 is
    # 不予受理 and never accepted (no 办理 clock by statute: nothing to compare its 否 with):
    # 2 applicable, 2 judged, no finding
    rows = [item(**{**MAY, "case_id": "M1", "system_overdue": False}),
            item(**{**MAY, "case_id": "M2", "status": "受理"}),
            item(**{**MAY, "case_id": "M3"}),
            item(**{**MAY, "case_id": "M4", "status": "不予受理", "accepted_on": None,
                    "concluded_on": None, "reply_on": None, "system_overdue": False})]
    result = audited(rows)
    assert coverage(result, "SYSTEM_FLAG_MISMATCH") == {
        "applicable": 2, "judged": 2, "unjudged": 0, "status": "已评估"}
    assert result.filter(check="SYSTEM_FLAG_MISMATCH").empty
