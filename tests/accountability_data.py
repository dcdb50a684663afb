"""Synthetic items for the accountability tests (waivers, recommendations, letters, sampling,
follow-up). Every person is fictional: names 测试甲…, phones 1380000xxxx, id numbers 999999….

``item(**fields)`` is a compliant 2022-text item received 2026-09-01; keyword arguments
override fields. ``LATE`` makes handling overdue and still open (accepted 2026-06-01, last day
2026-07-31). ``OLD`` moves an item to 2021 (the 2005 text applies).
"""

from __future__ import annotations

import itertools
import zipfile
from pathlib import Path

import pandas as pd

from xfaudit.audit import AuditResult, audit
from xfaudit.model import Extract

AS_OF = "2026-10-31"
PERIOD = "2026-10"

_serial = itertools.count(1)


def person(n: int) -> dict:
    """Fictional petitioner n: name, phone and id number (distinct for every n)."""
    names = "甲乙丙丁戊己庚辛壬癸"
    name = "测试" + names[n % 10] + ("" if n < 10 else str(n // 10))
    return {"petitioner": name, "petitioner_phone": f"1380000{n:04d}",
            "petitioner_id_no": f"999999{19800101 + n:08d}{n % 10000:04d}"}


def item(**fields) -> dict:
    """A compliant routed item received 2026-09-01 under the 2022 text."""
    n = fields.pop("n", None)
    n = next(_serial) if n is None else n
    base = dict(case_id=f"XF{n:05d}", handling_unit="青石镇", category="城乡建设",
                summary=f"{person(n)['petitioner']}反映道路破损，电话{person(n)['petitioner_phone']}",
                channel="来信", people_count=1, is_repeat=False, escalated=False,
                routing="转送", track="信访程序",
                received_on="2026-09-01", routed_on="2026-09-05", unit_received_on="2026-09-06",
                notice_on="2026-09-10", accepted_on="2026-09-10", concluded_on="2026-10-20",
                reply_on="2026-10-20", outcome="解释说明", satisfaction="满意",
                extension_days=None, extension_approved_on=None, extension_notice_on=None,
                assigned_deadline=None, feedback_on=None,
                review_requested_on=None, review_decided_on=None, review_outcome=None,
                rereview_requested_on=None, rereview_decided_on=None, rereview_outcome=None,
                hearing_days=None, implementation_due=None, implemented_on=None,
                implementation_status=None, **person(n))
    base.update(fields)
    return base


#: Handling overdue and still open: accepted 2026-06-01, last day 2026-07-31 (92 days late at
#: 2026-10-31).
LATE = dict(received_on="2026-05-20", routed_on="2026-05-21", unit_received_on="2026-05-22",
            notice_on="2026-05-25", accepted_on="2026-06-01", concluded_on=None, reply_on=None,
            satisfaction=None)

#: An item of 2021 (the 2005 text): registered/routed 16 days late, otherwise done.
OLD = dict(received_on="2021-05-20", routed_on="2021-06-20", unit_received_on="2021-06-21",
           notice_on="2021-06-22", accepted_on="2021-06-22", concluded_on="2021-07-01",
           reply_on="2021-07-01", satisfaction=None)


#: The fictional bureau of the accountability tests.
BUREAU = {"bureau": {"issuer": "云溪县信访局", "issuer_code": "云溪信督",
                     "government": "云溪县人民政府", "contact": "测试联系人",
                     "phone": "0000-00000000", "cc": ["云溪县人民政府办公室", "云溪县纪委监委"]}}


def run(rows: list[dict], as_of: str = AS_OF, **kw) -> AuditResult:
    """Audit the rows (as an extract built from a frame)."""
    return audit(Extract.from_frame(pd.DataFrame(rows)), as_of=as_of, **kw)


def personal_values(rows: list[dict]) -> set[str]:
    """Every petitioner name, phone and id number of the rows."""
    return {str(r[k]) for r in rows for k in ("petitioner", "petitioner_phone",
                                              "petitioner_id_no") if r.get(k)}


def month_rows() -> list[dict]:
    """A county month with something for every output: two units with findings, a 2005 item
    (its lateness closed in 2021: history), a sanction draft (XF00002 and its repeat petition
    XF00029), a policy pattern and concluded items to sample."""
    rows = [
        item(n=1, case_id="XF00001", reply_on=None, satisfaction="不满意"),       # REPLY_MISSING
        item(n=2, case_id="XF00002", handling_unit="白沙街道", escalated=True, **LATE),
        item(n=3, case_id="XF00003", handling_unit="白沙街道", notice_on="2026-09-25"),
        item(n=4, case_id="XF00004", handling_unit="东湖乡", **OLD),
    ]
    # XF00002's petitioner petitions again on 10-12 (重件, same category), 73 days after its
    # last day 07-31: with its 92 days' 拖延, the facts of a 追究责任建议 draft
    rows.append(item(n=2, case_id="XF00029", handling_unit="白沙街道", is_repeat=True,
                     received_on="2026-10-12", routed_on="2026-10-12",
                     unit_received_on="2026-10-13", notice_on="2026-10-14",
                     accepted_on="2026-10-14", concluded_on=None, reply_on=None,
                     satisfaction=None))
    units = ["青石镇", "白沙街道", "东湖乡", "西岭镇"]
    for k in range(5, 29):
        rows.append(item(n=k, case_id=f"XF{k:05d}", handling_unit=units[k % 4],
                         category="征地拆迁" if k % 2 else "城乡建设",
                         is_repeat=(k % 4 == 1), satisfaction="满意" if k % 3 else "基本满意"))
    return rows


def docx_parts(path: Path) -> dict[str, str]:
    """Every XML part of a .docx, as text."""
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name).decode("utf-8", "replace") for name in z.namelist()
                if name.endswith((".xml", ".rels"))}


def docx_document(path: Path) -> str:
    """The main document part (word/document.xml) of a .docx."""
    return docx_parts(path)["word/document.xml"]
