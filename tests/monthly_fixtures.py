"""A small, hand-checked county month (2026-10) for the monthly-report tests.

Eleven items in two units, with personal data, satisfaction, first/repeat flags, a summary
that looks like a formula (on XF-A3, which has a finding) and one that quotes the petitioner's
phone and id number (XF-B1, also with a finding). The expected findings and indicator
figures are worked out by hand in ``tests/test_indicators.py``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
import xlsxwriter

from xfaudit.schema import header_of

PERIOD = "2026-10"
AS_OF = "2026-10-31"
FORMULA_SUMMARY = '=HYPERLINK("http://example.invalid/x","点击查看")'

_BLANK = dict(
    channel="来信", petitioner=None, petitioner_phone=None, petitioner_id_no=None,
    category="城乡建设", summary="反映道路破损，要求修复", is_repeat="初件", routing="转送",
    track="信访程序", received_on=None, routed_on=None, unit_received_on=None, notice_on=None,
    accepted_on=None, concluded_on=None, reply_on=None, outcome="解释说明", satisfaction=None)


def _row(case_id, unit, name, phone, id_no, **dates):
    return {"case_id": case_id, "handling_unit": unit, **_BLANK, "petitioner": name,
            "petitioner_phone": phone, "petitioner_id_no": id_no, **dates}


def rows() -> list[dict]:
    """The items (canonical field names; dates as ISO text)."""
    qs, cn = "青石镇", "城南街道"
    return [
        _row("XF-A1", qs, "王测一", "13800008001", "999999199003070011",
             received_on="2026-09-20", routed_on="2026-09-22", unit_received_on="2026-09-23",
             notice_on="2026-09-25", accepted_on="2026-09-25", concluded_on="2026-10-20",
             reply_on="2026-10-20", satisfaction="满意"),
        _row("XF-A2", qs, "李测二", "13800008002", "999999199003070022",
             received_on="2026-09-25", routed_on="2026-10-12", unit_received_on="2026-10-12",
             notice_on="2026-10-14", accepted_on="2026-10-14", is_repeat="重件"),
        _row("XF-A3", qs, "赵测三", "13800008003", "999999199003070033",
             received_on="2026-10-05", is_repeat="重件") | {"summary": FORMULA_SUMMARY},
        _row("XF-A4", qs, "钱测四", "13800008004", "999999199003070044",
             received_on="2026-07-20", routed_on="2026-07-22", unit_received_on="2026-07-23",
             notice_on="2026-07-25", accepted_on="2026-08-05", concluded_on="2026-10-04",
             reply_on="2026-10-04", satisfaction="基本满意"),
        _row("XF-A5", qs, "孙测五", "13800008005", "999999199003070055",
             received_on="2026-07-20", routed_on="2026-07-22", unit_received_on="2026-07-23",
             notice_on="2026-07-25", accepted_on="2026-08-10", concluded_on="2026-10-15",
             reply_on="2026-10-15", satisfaction="不满意"),
        _row("XF-B1", cn, "周测六", "13800008006", "999999199003070066",
             received_on="2026-07-25", routed_on="2026-07-27", unit_received_on="2026-07-28",
             notice_on="2026-07-30", accepted_on="2026-08-20")
        | {"summary": "反映小区路灯损坏，请回电13800008006（身份证999999199003070066）"},
        _row("XF-B2", cn, "吴测七", "13800008007", "999999199003070077",
             received_on="2026-10-10", routed_on="2026-10-11", unit_received_on="2026-10-12",
             notice_on="2026-10-13", accepted_on="2026-10-13"),
        _row("XF-B3", cn, "郑测八", "13800008008", "999999199003070088",
             received_on="2026-08-01", routed_on="2026-08-03", unit_received_on="2026-08-04",
             notice_on="2026-08-05", accepted_on="2026-08-05", concluded_on="2026-09-30",
             reply_on="2026-09-30", satisfaction="满意"),
        _row("XF-B4", cn, "冯测九", "13800008009", "999999199003070099",
             received_on="2026-10-20", is_repeat="重件"),
        _row("XF-B5", cn, "陈测十", "13800008010", "999999199003070100",
             received_on="2026-09-01", routed_on="2026-09-05", unit_received_on="2026-09-06",
             notice_on="2026-09-10", accepted_on="2026-09-10", concluded_on="2026-10-10",
             reply_on="2026-10-10", satisfaction="超期未评价"),
        _row("XF-B6", cn, "褚测十一", "13800008011", "999999199003070111",
             received_on="2026-09-01", routed_on="2026-09-05", unit_received_on="2026-09-06",
             notice_on="2026-09-10", accepted_on="2026-09-10", concluded_on="2026-10-28",
             reply_on="2026-10-28", satisfaction="未评价"),
    ]


def personal_values() -> list[str]:
    """Every petitioner name, phone and id number of the fixture (must never leak)."""
    return [v for r in rows() for v in (r["petitioner"], r["petitioner_phone"],
                                         r["petitioner_id_no"])]


def frame() -> pd.DataFrame:
    """The items as a canonical frame (for ``Extract.from_frame``)."""
    df = pd.DataFrame(rows())
    df["is_repeat"] = df["is_repeat"].map({"初件": False, "重件": True})
    return df


def write_xlsx(path: str | Path) -> Path:
    """Write the items as an exported ledger with the canonical Chinese headers."""
    path = Path(path)
    data = rows()
    columns = list(data[0])
    with xlsxwriter.Workbook(path, {"strings_to_formulas": False,
                                    "strings_to_urls": False}) as book:
        sheet = book.add_worksheet("台账")
        for c, name in enumerate(columns):
            sheet.write_string(0, c, header_of(name))
        for r, row in enumerate(data, start=1):
            for c, name in enumerate(columns):
                if row[name] is not None:
                    sheet.write_string(r, c, str(row[name]))
    return path


@cache
def audit_result(as_of: str = AS_OF):
    """The fixture audited (once per test session and as-of date)."""
    from xfaudit.audit import audit
    from xfaudit.model import Extract

    return audit(Extract.from_frame(frame(), name="fixture"), as_of=as_of)
