"""Every (check, profile, case) cites the provision that imposes the duty it judges.

The expected citations are the table in docs/checks.md ("Citations"), which quotes each
provision; this test reads that table and, for every row, audits an item built to violate the
check under that profile and case, and compares the finding's citation.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from xfaudit.audit import audit
from xfaudit.model import Extract

DOCS = Path(__file__).resolve().parent.parent / "docs" / "checks.md"
AS_OF = "2026-10-31"


def _citation_table() -> list[tuple[str, str, str, str]]:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Citations", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"[A-Z_]+", cells[0]) and cells[0] != "check":
            rows.append(tuple(cells[:4]))
    return rows


TABLE = _citation_table()

# A compliant routed item received 2026-09-01 (2022 text); the 2005 rows shift every date five
# years back (received 2021-09-01, before 2022-05-01).
BASE = dict(case_id="C1", handling_unit="青石镇", petitioner="测试甲", routing="转送",
            track="信访程序", received_on="2026-09-01", routed_on="2026-09-05",
            unit_received_on="2026-09-06", notice_on="2026-09-10", accepted_on="2026-09-10",
            concluded_on="2026-10-20", reply_on="2026-10-20", outcome="解释说明")

# What breaks each check (dates in the 2022 frame); every late act is one day past its limit.
VIOLATIONS = {
    "REG_LATE": dict(routed_on="2026-09-17", unit_received_on="2026-09-17",
                     notice_on="2026-09-18", accepted_on="2026-09-18"),   # 09-01 + 15 = 09-16
    "NOTICE_LATE": dict(notice_on="2026-09-22"),                          # 09-06 + 15 = 09-21
    "HANDLING_OVERDUE": dict(concluded_on="2026-11-10", reply_on="2026-11-10"),  # 09-10+60=11-09
    "EXTENSION_IRREGULAR": dict(extension_days=40, extension_approved_on="2026-11-01",
                                extension_notice_on="2026-11-01"),        # over 30 days
    "REPLY_MISSING": dict(reply_on=None),
    "FEEDBACK_MISSING": dict(routing="交办", assigned_deadline="2026-10-15",
                             feedback_on="2026-10-16"),
    "REVIEW_OVERDUE": dict(review_requested_on="2026-10-21",
                           review_decided_on="2026-11-21"),               # 10-21 + 30 = 11-20
    "REREVIEW_OVERDUE": dict(review_requested_on="2026-10-21", review_decided_on="2026-10-25",
                             rereview_requested_on="2026-10-26",
                             rereview_decided_on="2026-11-26"),           # 10-26 + 30 = 11-25
    "DECISION_UNIMPLEMENTED": dict(outcome="支持", implementation_due="2026-10-25",
                                   implemented_on=None),
    # no 受理日期: the statutory clock cannot run; concluded 10-20, after the system's 10-10
    "SYSTEM_DEADLINE_OVERDUE": dict(accepted_on=None, system_deadline="2026-10-10",
                                    is_concluded="是"),
    # a data-quality finding that cites the provision naming 弄虚作假 (why it is verified)
    "RECORD_INCONSISTENT": dict(outcome="支持", implementation_due="2026-10-25",
                                implementation_status="已落实", implemented_on=None),
}
DIRECT = dict(routing="直接办理", routed_on=None, unit_received_on=None,
              notice_on="2026-09-17", accepted_on="2026-09-17")           # 09-01 + 15 = 09-16


def _shift(value):
    return value.replace("2026-", "2021-") if isinstance(value, str) and value[:5] == "2026-" \
        else value


def test_the_table_covers_every_accountability_check_and_the_record_check():
    covered = {(check, profile) for check, profile, _, _ in TABLE}
    assert covered == {(c, p) for c in VIOLATIONS for p in ("national-2005", "national-2022")}


@pytest.mark.parametrize("check, profile, case, citation", TABLE)
def test_finding_cites_the_duty(check, profile, case, citation):
    fields = {**BASE, **VIOLATIONS[check], **(DIRECT if case == "direct" else {})}
    if profile == "national-2005":
        fields = {k: _shift(v) for k, v in fields.items()}
    as_of = "2026-12-31" if check in ("REVIEW_OVERDUE", "REREVIEW_OVERDUE") else AS_OF
    result = audit(Extract.from_frame(pd.DataFrame([fields])), as_of=as_of, profile="auto")
    found = result.filter(check=check)
    assert len(found) == 1, result.findings[["check_id", "detail"]]
    assert found["profile"].iloc[0] == profile
    assert found["citation"].iloc[0] == citation
