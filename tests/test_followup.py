"""Follow-up across two consecutive months: unanswered recommendations past due are flagged,
units failing the same check two months running are escalated, the inspector's entries and the
document numbers survive the next run and a rerun."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from accountability_data import LATE, docx_document, item, run
from xfaudit.accountability import produce
from xfaudit.errors import RegisterError
from xfaudit.followup import FollowupRegister, read_followup, review

#: The bureau's own feedback limit for 2022-text recommendations, short enough to pass due
#: within the next month: issued 2026-10-01 → due 2026-10-16.
CONFIG = {"followup": {"default_feedback_days": 15}}


def september() -> list[dict]:
    return [item(n=1, handling_unit="青石镇", concluded_on="2026-09-20", reply_on=None),
            item(n=2, handling_unit="白沙街道", escalated=True, **LATE),
            item(n=3, handling_unit="东湖乡", received_on="2026-08-01", routed_on="2026-08-02",
                 unit_received_on="2026-08-03", notice_on="2026-08-25", accepted_on="2026-08-25",
                 concluded_on="2026-09-10", reply_on="2026-09-10")]


def october() -> list[dict]:
    return september() + [item(n=4, handling_unit="西岭镇", received_on="2026-10-01",
                               routed_on="2026-10-02", unit_received_on="2026-10-03",
                               notice_on="2026-10-28", accepted_on="2026-10-28",
                               concluded_on=None, reply_on=None)]


def enter_feedback(path, rec_id: str, day: dt.datetime, adopted: str = "是") -> None:
    """What the inspector does in Excel: fill 反馈日期 and 是否采纳 of one recommendation."""
    book = openpyxl.load_workbook(path)
    sheet = book["建议台账"]
    headers = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[headers.index("建议编号")].value == rec_id:
            row[headers.index("反馈日期")].value = day
            row[headers.index("是否采纳")].value = adopted
    book.save(path)


@pytest.fixture(scope="module")
def two_months(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    sep = produce(run(september(), as_of="2026-09-30"), "2026-09", root / "2026-09",
                  config=CONFIG, seed=1)
    qs = next(r.id for r in sep.recommendations if r.unit == "青石镇")
    enter_feedback(sep.paths["register"], qs, dt.datetime(2026, 10, 10))
    oct_result = run(october(), as_of="2026-10-31")
    oct_ = produce(oct_result, "2026-10", root / "2026-10", config=CONFIG, seed=1)
    return {"root": root, "sep": sep, "oct": oct_, "oct_result": oct_result, "qs": qs}


def test_first_month_has_no_history_and_registers_what_it_issued(two_months):
    sep = two_months["sep"]
    assert sep.review.overdue.empty and sep.review.escalations.empty
    assert not sep.review.history_available and "2026-08" in sep.review.notes[0]
    assert sep.paths["register"] == two_months["root"] / "registers" / "建议跟踪台账.xlsx"
    improvement = [r for r in sep.recommendations if r.kind == "improvement"]
    assert {r.feedback_due for r in improvement} == {dt.date(2026, 10, 16)}
    assert all("未规定天数，按本局设定的15日" in r.feedback_basis for r in improvement)


def test_unanswered_recommendations_past_due_are_flagged(two_months):
    sep, oct_ = two_months["sep"], two_months["oct"]
    overdue = oct_.review.overdue
    assert set(overdue["unit"]) == {"白沙街道", "东湖乡"}             # 青石镇 answered
    assert set(overdue["days_overdue"]) == {15}                    # due 10-16, as-of 10-31
    assert (oct_.review.pending, oct_.review.answered) == (2, 1)
    draft = next(r.id for r in sep.recommendations if r.draft)
    assert draft not in set(overdue["id"])                         # a draft was never sent


def test_units_failing_the_same_check_two_months_running_are_escalated(two_months):
    esc = two_months["oct"].review.escalations
    assert set(zip(esc["unit"], esc["check_id"])) == {
        ("青石镇", "REPLY_MISSING"), ("白沙街道", "HANDLING_OVERDUE"), ("东湖乡", "NOTICE_LATE")}
    assert set(esc["months"]) == {2} and set(esc["since"]) == {"2026-09"}
    assert "西岭镇" not in set(esc["unit"])                          # first month with a finding


def test_next_month_letters_and_circular_carry_the_follow_up(two_months):
    oct_ = two_months["oct"]
    letter = next(l.path for l in oct_.letters if l.kind == "improvement" and l.unit == "白沙街道")
    xml = docx_document(letter)
    assert "重点督办事项" in xml and "连续2个月" in xml and "逾期15日仍未反馈" in xml
    circular = docx_document(oct_.paths["circular"])
    assert "连续出现同类问题的单位" in circular and "未按期书面反馈" in circular


def test_register_keeps_entries_and_continues_numbers(two_months):
    register = read_followup(two_months["oct"].paths["register"])
    recs = register.recommendations.set_index("id")
    assert recs.loc[two_months["qs"], "feedback_on"] == dt.datetime(2026, 10, 10)
    assert bool(recs.loc[two_months["qs"], "adopted"]) is True
    docs = register.documents
    sep_serials = docs.loc[docs["period"] == "2026-09", "serial"]
    oct_serials = docs.loc[docs["period"] == "2026-10", "serial"]
    assert list(sep_serials) == [1, 2, 3, 4] and oct_serials.min() == 5
    assert set(register.checks["period"]) == {"2026-09", "2026-10"}


def test_rerun_of_the_month_is_idempotent(two_months, tmp_path):
    before = read_followup(two_months["oct"].paths["register"])
    again = produce(two_months["oct_result"], "2026-10", two_months["root"] / "2026-10",
                    config=CONFIG, seed=1)
    after = read_followup(again.paths["register"])
    assert len(after.recommendations) == len(before.recommendations)
    assert list(after.documents["doc_no"]) == list(before.documents["doc_no"])
    assert after.recommendations.set_index("id").loc[two_months["qs"], "feedback_on"] \
        == dt.datetime(2026, 10, 10)
    assert [l.doc_no for l in again.letters] == [l.doc_no for l in two_months["oct"].letters]


def test_previous_findings_can_be_given_instead_of_the_register(two_months):
    previous = run(september(), as_of="2026-09-30").findings
    got = review(FollowupRegister(), two_months["oct_result"], "2026-10",
                 previous_findings=previous)
    assert got.history_available and len(got.escalations) == 3


def test_a_damaged_register_is_reported_with_row_and_column(two_months, tmp_path):
    path = tmp_path / "建议跟踪台账.xlsx"
    book = openpyxl.load_workbook(two_months["oct"].paths["register"])
    sheet = book["建议台账"]
    headers = [c.value for c in sheet[1]]
    sheet.cell(row=3, column=headers.index("反馈日期") + 1).value = "下周"
    sheet.cell(row=4, column=headers.index("是否采纳") + 1).value = "也许"
    book.save(path)
    with pytest.raises(RegisterError) as caught:
        read_followup(path)
    text = str(caught.value)
    assert "第3行「反馈日期」列：无法识别的日期“下周”（请写成 2026-10-28 这样含年月日的日期）" in text
    assert "第4行「是否采纳」列" in text and "建议台账" in text
