"""A month is a period: each finding's status (本期新发现 / 持续未办 / 本期已纠正 / 历史问题) and
who owes the act (责任主体). Hand-computed against the October 2026 audit (as-of 10-31)."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from xfaudit.audit import audit
from xfaudit.model import Extract
from xfaudit.periods import classify, read_history, record, write_history

AS_OF = "2026-10-31"


def item(case_id, **kw) -> dict:
    base = dict(case_id=case_id, handling_unit="青石镇", routing="转送", track="信访程序",
                received_on=None, routed_on=None, accepted_on=None, concluded_on=None,
                reply_on=None, registered_on=None, registering_body=None, review_organ=None,
                review_requested_on=None, review_decided_on=None)
    base.update(kw)
    return base


ROWS = [
    # REG_LATE last day = received + 15
    item("NEW_OPEN", received_on="2026-10-01"),                         # 10-16 passed in Oct, open
    item("NEW_LATE", received_on="2026-09-01", routed_on="2026-10-03"),  # 09-16, routed in Oct
    item("OLD_OPEN", received_on="2026-08-01"),                         # 08-16, open since Aug
    item("OLD_DONE", received_on="2026-07-01", routed_on="2026-08-20"),  # 07-16, routed in Aug
    item("FIXED", received_on="2026-08-01", routed_on="2026-10-10"),    # open in Sept, done Oct
]
HISTORY = pd.DataFrame({
    "period": ["2026-09", "2026-09"], "case_id": ["OLD_OPEN", "FIXED"],
    "check_id": ["REG_LATE", "REG_LATE"], "responsible_unit": ["信访部门（本局）"] * 2,
    "is_open": [True, True], "period_status": ["持续未办", "本期新发现"], "waived": [False, False]})


def statuses(history=None, period="2026-10"):
    result = audit(Extract.from_frame(pd.DataFrame(ROWS)), as_of=AS_OF, period=period,
                   history=history)
    reg = result.filter(check="REG_LATE")
    return dict(zip(reg["case_id"], reg["period_status"]))


def test_statuses_with_the_history_of_september():
    assert statuses(HISTORY) == {"NEW_OPEN": "本期新发现", "NEW_LATE": "本期新发现",
                                 "OLD_OPEN": "持续未办", "OLD_DONE": "历史问题",
                                 "FIXED": "本期已纠正"}


def test_without_history_an_old_open_item_is_still_open_and_a_late_act_in_october_is_new():
    assert statuses() == {"NEW_OPEN": "本期新发现", "NEW_LATE": "本期新发现",
                          "OLD_OPEN": "持续未办", "OLD_DONE": "历史问题", "FIXED": "本期新发现"}


def test_a_rerun_of_the_month_ignores_the_months_own_history(tmp_path):
    october = audit(Extract.from_frame(pd.DataFrame(ROWS)), as_of=AS_OF, period="2026-10",
                    history=HISTORY).findings
    history = record(HISTORY, october, "2026-10")
    path = write_history(history, tmp_path / "问题记录.csv")
    again = read_history(path)
    assert len(again) == 2 + len(october)
    assert statuses(again) == statuses(HISTORY)          # October's own rows are ignored
    # recording October again replaces its rows
    assert len(record(again, october, "2026-10")) == len(again)


def test_the_history_file_holds_no_formula_and_reads_back_the_names_written(tmp_path):
    # 问题记录.csv is a CSV a user opens in Excel: a unit "=1+2" or "@SUM(1)" or an id
    # "-17" must not start a cell (OWASP), yet next month must match them to the extract again
    history = HISTORY.assign(case_id=["-17", "FIXED"],
                             responsible_unit=["=1+2", "@SUM(1)"])
    path = write_history(history, tmp_path / "问题记录.csv")
    cells = [c for row in csv.reader(io.StringIO(path.read_text("utf-8-sig"))) for c in row]
    assert "'-17" in cells and "'=1+2" in cells and "'@SUM(1)" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    again = read_history(path)
    assert again["case_id"].tolist() == ["-17", "FIXED"]
    assert again["responsible_unit"].tolist() == ["=1+2", "@SUM(1)"]
    assert again["is_open"].tolist() == [True, True]


def test_reply_missing_is_new_when_concluded_in_the_period():
    rows = [item("R_OCT", received_on="2026-09-01", routed_on="2026-09-02", accepted_on="2026-09-03",
                 concluded_on="2026-10-05"),
            item("R_SEP", received_on="2026-08-01", routed_on="2026-08-02", accepted_on="2026-08-03",
                 concluded_on="2026-09-05")]
    f = audit(Extract.from_frame(pd.DataFrame(rows)), as_of=AS_OF).filter(check="REPLY_MISSING")
    assert dict(zip(f["case_id"], f["period_status"])) == {"R_OCT": "本期新发现",
                                                           "R_SEP": "持续未办"}


@pytest.mark.parametrize("fields, check, unit, role", [
    # registration is the petition bureau's duty: its 登记部门 (first part of the path) …
    (dict(received_on="2026-10-01", registering_body="青禾县信访局/办信科"), "REG_LATE",
     "青禾县信访局", "信访部门"),
    # … or the bureau itself when blank
    (dict(received_on="2026-10-01"), "REG_LATE", "青禾县信访局（配置）", "信访部门"),
    # 复查 is the higher organ's duty; unknown → 待核实, never the handling unit
    (dict(received_on="2026-08-01", routed_on="2026-08-02", review_requested_on="2026-09-01"),
     "REVIEW_OVERDUE", "待核实（复查机关）", "复查机关"),
    (dict(received_on="2026-08-01", routed_on="2026-08-02", review_requested_on="2026-09-01",
          review_organ="青禾县人民政府"), "REVIEW_OVERDUE", "青禾县人民政府", "复查机关"),
    (dict(received_on="2026-08-01", routed_on="2026-08-02", accepted_on="2026-08-03"),
     "HANDLING_OVERDUE", "青石镇", "办理单位"),
])
def test_the_duty_holder_owes_the_finding(fields, check, unit, role):
    result = audit(Extract.from_frame(pd.DataFrame([item("X", **fields)])), as_of=AS_OF,
                   bureau="青禾县信访局（配置）")
    row = result.filter(check=check).iloc[0]
    assert (row.responsible_unit, row.responsible_role) == (unit, role)
    assert row.handling_unit == "青石镇"


def test_an_extract_without_a_unit_column_says_so_on_every_finding():
    rows = [{k: v for k, v in item("X", received_on="2026-08-01", routed_on="2026-08-02",
                                   accepted_on="2026-08-03").items() if k != "handling_unit"}]
    f = audit(Extract.from_frame(pd.DataFrame(rows)), as_of=AS_OF).filter(check="HANDLING_OVERDUE")
    assert f["responsible_unit"].tolist() == ["责任单位未知（台账无此列）"]
    assert f["handling_unit"].tolist() == ["责任单位未知（台账无此列）"]


def test_classify_on_no_findings():
    empty = audit(Extract.from_frame(pd.DataFrame([item("A")])), as_of=AS_OF).findings.iloc[0:0]
    assert classify(empty, "2026-10").empty


def test_a_finding_without_an_id_is_never_matched_to_last_months_history():
    # without 信访件编号 nothing proves it is last month's item: 本期新发现, not 持续未办
    # both rows lack a required field (the first its 信访件编号, the second its 责任单位), and
    # September reported both data-quality findings
    rows = [item(None, received_on="2026-10-01"),
            item("KNOWN", received_on="2026-10-01", handling_unit=None)]
    history = pd.DataFrame({
        "period": ["2026-09", "2026-09"], "case_id": [float("nan"), "KNOWN"],
        "check_id": ["DATA_REQUIRED_MISSING"] * 2, "responsible_unit": [None, None],
        "is_open": [True, True], "period_status": ["本期新发现"] * 2, "waived": [False, False]})
    result = audit(Extract.from_frame(pd.DataFrame(rows)), as_of=AS_OF, period="2026-10",
                   history=history)
    missing = result.filter(check="DATA_REQUIRED_MISSING")
    assert dict(zip(missing["case_id"].fillna("（无编号）"), missing["period_status"])) == {
        "（无编号）": "本期新发现", "KNOWN": "持续未办"}


def test_an_item_due_on_the_eve_of_the_month_is_new_not_still_open():
    """November 2026, as-of 11-30; REG_LATE last day = received + 15.

    - EVE: received 10-16 → last day 10-31, October's as-of: on time then (no October
      finding); its first day overdue is 11-01 → 本期新发现 in November (11-30 − 10-31 = 30 days);
    - DAY_BEFORE: received 10-15 → last day 10-30, overdue from 10-31, so October's run
      (as-of 10-31) reported it open 1 day late → 持续未办 in November (11-30 − 10-30 = 31 days).
    """
    rows = [item("EVE", received_on="2026-10-16"), item("DAY_BEFORE", received_on="2026-10-15")]
    october = audit(Extract.from_frame(pd.DataFrame(rows)), as_of=AS_OF, period="2026-10")
    assert list(october.filter(check="REG_LATE")["case_id"]) == ["DAY_BEFORE"]
    history = record(None, october.findings, "2026-10")
    november = audit(Extract.from_frame(pd.DataFrame(rows)), as_of="2026-11-30",
                     period="2026-11", history=history).filter(check="REG_LATE")
    got = {c: (s, int(d)) for c, s, d in zip(november["case_id"], november["period_status"],
                                             november["days_late"])}
    assert got == {"EVE": ("本期新发现", 30), "DAY_BEFORE": ("持续未办", 31)}
