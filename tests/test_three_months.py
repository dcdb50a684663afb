"""Three consecutive months of one synthetic county, exported cumulatively at each month's end:
each month's letters list only that month's facts, escalation follows months with new or
still-open findings (never one old finding again), and a month-only export gives the same
letters as the cumulative one.

The population is written here by hand: every item with its whole timeline; the export at a
month's end is that timeline cut at the as-of date (an event after it is not yet in the
ledger). Each unit's name says what its items show:

- 甲镇 — handled late and concluded in September (17 days past its 08-24 last day): a
  September fact, history afterwards;
- 乙镇 — a notice given late every month (a different item each month);
- 丙镇 — one item open past its handling limit since August (still open every month);
- 丁镇 — a late notice in September and in November, none in October;
- 戊镇 — concluded in September without a written reply (never given);
- 己镇 — everything on time.
"""

from __future__ import annotations

import re
import zipfile

import pandas as pd
import pytest

from accountability_data import BUREAU, item
from xfaudit import periods
from xfaudit.accountability import produce
from xfaudit.audit import audit
from xfaudit.model import Extract

MONTHS = {"2026-09": ("2026-09-01", "2026-09-30"), "2026-10": ("2026-10-01", "2026-10-31"),
          "2026-11": ("2026-11-01", "2026-11-30")}
DATES = ("received_on", "routed_on", "unit_received_on", "notice_on", "accepted_on",
         "concluded_on", "reply_on")


def day(text: str, plus: int) -> str:
    return (pd.Timestamp(text) + pd.Timedelta(days=plus)).date().isoformat()


def routed(n: int, unit: str, received: str, *, notice_after: int = 4, handled_in: int = 20,
           reply: bool = True, concluded: bool = True) -> dict:
    """A routed item: routed the next day, received by the unit the day after, its notice
    ``notice_after`` days after that (15 allowed), accepted with the notice, concluded
    ``handled_in`` days later (60 allowed)."""
    unit_received = day(received, 2)
    accepted = day(unit_received, notice_after)
    done = day(accepted, handled_in) if concluded else None
    return item(n=n, case_id=f"M{n:03d}", handling_unit=unit, received_on=received,
                routed_on=day(received, 1), unit_received_on=unit_received,
                notice_on=accepted, accepted_on=accepted, concluded_on=done,
                reply_on=done if reply else None, satisfaction="满意" if done else None)


def population() -> list[dict]:
    return [
        # 甲镇: accepted 06-25, last day 08-24, concluded 09-10: 17 days late, done in September
        routed(1, "甲镇", "2026-06-20", notice_after=3, handled_in=77),
        # 乙镇: unit received 08-27 / 09-26 / 10-27, notice 24 days later (last day +15):
        # late 9 days within September / October / November
        routed(2, "乙镇", "2026-08-25", notice_after=24),
        routed(3, "乙镇", "2026-09-24", notice_after=24),
        routed(4, "乙镇", "2026-10-25", notice_after=24),
        # 丙镇: accepted 06-05, never concluded: open past its 08-04 last day
        routed(5, "丙镇", "2026-06-01", notice_after=2, concluded=False),
        # 丁镇: late notices in September and November only
        routed(6, "丁镇", "2026-08-25", notice_after=24),
        routed(7, "丁镇", "2026-10-25", notice_after=24),
        # 戊镇: concluded 09-15 (accepted 08-26), never a written reply
        routed(8, "戊镇", "2026-08-20", notice_after=4, handled_in=20, reply=False),
        # 己镇: on time, one item a month
        routed(9, "己镇", "2026-08-28"), routed(10, "己镇", "2026-09-28"),
        routed(11, "己镇", "2026-10-28"),
    ]


def cumulative(rows: list[dict], as_of: str) -> list[dict]:
    """The ledger at ``as_of``: items received by then, events after it not yet recorded."""
    out = []
    for row in rows:
        if row["received_on"] > as_of:
            continue
        row = {**row, **{k: None for k in DATES if row[k] and row[k] > as_of}}
        if row["concluded_on"] is None:
            row.update(reply_on=None, outcome=None, satisfaction=None)
        out.append(row)
    return out


def month_only(rows: list[dict], period: str) -> list[dict]:
    """A month-only export (as xfaudit.periods defines it): the items with any event in the
    month, or still open at its start — not concluded and answered before it."""
    first, last = MONTHS[period]

    def closed_before(row):
        return (row["concluded_on"] is not None and row["concluded_on"] < first
                and row["reply_on"] is not None and row["reply_on"] < first)
    return [row for row in cumulative(rows, last)
            if any(row[k] and first <= row[k] <= last for k in DATES) or not closed_before(row)]


def audit_month(rows, period, registers):
    history = periods.read_history(registers / "问题记录.csv")
    return audit(Extract.from_frame(pd.DataFrame(rows)), as_of=MONTHS[period][1],
                 period=period, history=history, bureau="云溪县信访局")


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    """Each month audited on its cumulative export and published, in order."""
    root = tmp_path_factory.mktemp("three")
    registers = root / "registers"
    out = {}
    for period, (_first, last) in MONTHS.items():
        result = audit_month(cumulative(population(), last), period, registers)
        produced = produce(result, period, root / f".{period}", registers_dir=registers,
                           config=BUREAU)
        produced.publish()
        out[period] = produced
    return root, out


def letter_cases(produced) -> pd.DataFrame:
    return pd.concat([r.cases.assign(unit=r.unit) for r in produced.recommendations
                      if r.kind == "improvement"], ignore_index=True)


def test_each_month_writes_only_its_facts(months):
    _, out = months
    units = {p: {r.unit for r in o.recommendations if r.kind == "improvement"}
             for p, o in out.items()}
    assert units["2026-09"] == {"甲镇", "乙镇", "丙镇", "丁镇", "戊镇"}
    # 甲镇's lateness was done in September: no letter afterwards, one history row
    assert units["2026-10"] == {"乙镇", "丙镇", "戊镇"}
    assert units["2026-11"] == {"乙镇", "丙镇", "丁镇", "戊镇"}
    november = letter_cases(out["2026-11"])
    first = pd.Timestamp("2026-11-01")
    # no finding of a November letter was closed before November
    assert (november["is_open"] | (november["actual_on"] >= first)).all()
    assert set(november.loc[november["unit"] == "乙镇", "case_id"]) == {"M004"}
    assert set(out["2026-11"].recommendations.history["case_id"]) >= {"M001", "M002", "M003"}


def test_escalation_counts_months_with_new_or_open_findings(months):
    _, out = months
    esc = {p: {(u, c): m for u, c, m in zip(o.review.escalations["unit"],
                                            o.review.escalations["check_id"],
                                            o.review.escalations["months"])}
           for p, o in out.items()}
    assert esc["2026-09"] == {}                                     # no history yet
    assert esc["2026-10"] == {("乙镇", "NOTICE_LATE"): 2, ("丙镇", "HANDLING_OVERDUE"): 2,
                              ("戊镇", "REPLY_MISSING"): 2}
    # 乙镇: a new late notice three months running; 丙镇 and 戊镇: the same failure still
    # open; 丁镇: September and November, not October — no streak; 甲镇: history only
    assert esc["2026-11"] == {("乙镇", "NOTICE_LATE"): 3, ("丙镇", "HANDLING_OVERDUE"): 3,
                              ("戊镇", "REPLY_MISSING"): 3}
    rows = out["2026-11"].review.escalations.set_index("unit")
    assert (rows.loc["乙镇", "new"], rows.loc["乙镇", "continuing"]) == (1, 0)
    assert (rows.loc["丙镇", "new"], rows.loc["丙镇", "continuing"]) == (0, 1)


def _texts(folder) -> dict[str, str]:
    """Every document of a staging folder: its file name → its visible text."""
    texts = {}
    for path in sorted(folder.rglob("*.docx")):
        with zipfile.ZipFile(path) as z:
            xml = z.read("word/document.xml").decode("utf-8")
        texts[path.relative_to(folder).as_posix()] = "".join(
            re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml))
    return texts


@pytest.mark.parametrize("period", ["2026-10", "2026-11"])
def test_month_only_and_cumulative_exports_give_the_same_letters(months, tmp_path, period):
    root, _ = months
    registers = tmp_path / "registers"
    # the registers as they were before this month was published
    previous = [p for p in MONTHS if p < period]
    history = periods.read_history(root / "registers" / "问题记录.csv")
    registers.mkdir()
    periods.write_history(history[history["period"].isin(previous)], registers / "问题记录.csv")
    texts = {}
    for name, rows in (("cumulative", cumulative(population(), MONTHS[period][1])),
                       ("month", month_only(population(), period))):
        result = audit_month(rows, period, registers)
        produce(result, period, tmp_path / name, registers_dir=registers, config=BUREAU)
        texts[name] = _texts(tmp_path / name)
    assert len(month_only(population(), period)) < len(cumulative(population(),
                                                                  MONTHS[period][1]))
    assert texts["cumulative"] and texts["cumulative"] == texts["month"]
