"""Follow-up of issued recommendations across months (建议跟踪).

Where the history lives
-----------------------
In one Excel register the inspector keeps beside the waiver register, in the registers
folder: ``建议跟踪台账.xlsx`` (name in ``accountability.toml`` ``[followup] register_file``).
Its sheets:

- **建议台账** — one row per recommendation: id, period, type, unit, addressee, title,
  statute, 发文字号, date issued, whether it was sent, feedback due and the basis of that date
  (30日 under the 2005 text, from the rule profile; under the 2022 text, which sets no day
  count, the bureau's configurable default — the 期限依据 column says so), and the columns the
  inspector fills in: 反馈日期, 是否采纳, 采纳情况, 备注 (and 是否发出 once a draft is approved);
- **发文登记** — every 发文字号 given (letters and circulars), so serial numbers continue across
  months and a rerun of the same month reuses its numbers;
- **检查项记录** — per period, unit and check, the number of non-waived accountability findings:
  the previous months' results the next run compares with.

Why an Excel register and not SQLite: the inspector must enter the units' answers, and does so
in Excel on an office PC with no other tool; the register is what gets printed and filed; a
month adds tens of rows, so size and concurrency (one run a month, one inspector) do not call
for a database; and a damaged edit is reported with its row and column like every other
register. The run reads the register first, writes it last (atomically, through a temporary
file), keeps every inspector-entered cell, and is idempotent for a rerun of the same month.

The next month's run (:func:`review`) flags recommendations sent and past their feedback due
date (at the audit date) with no feedback, and escalates units that fail the same check in
``escalate_after_months`` consecutive months (compared with the 检查项记录 of earlier periods,
or with a previous findings table given explicitly).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from xfaudit.audit import AuditResult
from xfaudit.config import load_config
from xfaudit.dates import parse_period
from xfaudit.recommend import RecommendationSet, accountable
from xfaudit.registers import (Column, Formats, atomic_write, new_workbook, read_register,
                               write_records)

REC_SHEET, DOC_SHEET, CHECK_SHEET = "建议台账", "发文登记", "检查项记录"

REC_COLUMNS = [
    Column("id", "建议编号", required=True, width=18),
    Column("period", "期间", required=True, width=9),
    Column("kind", "类型代码", required=True, width=11),
    Column("kind_name", "建议类型", width=14),
    Column("unit", "责任单位", width=18),
    Column("addressee", "主送机关", width=22),
    Column("title", "标题", width=40),
    Column("statute", "适用条例", width=14),
    Column("doc_no", "发文字号", width=20),
    Column("issued_on", "发文日期", "date", width=12),
    Column("sent", "是否发出", "yesno", width=9),
    Column("feedback_due", "反馈期限", "date", width=12),
    Column("feedback_basis", "期限依据", width=40),
    Column("feedback_on", "反馈日期", "date", width=12),
    Column("adopted", "是否采纳", "yesno", width=9),
    Column("feedback_note", "采纳情况", width=30),
    Column("note", "备注", width=24),
]
DOC_COLUMNS = [
    Column("doc_no", "发文字号", required=True, width=20),
    Column("code", "机关代字", required=True, width=12),
    Column("year", "年份", "int", required=True, width=8),
    Column("serial", "序号", "int", required=True, width=8),
    Column("key", "文件", required=True, width=22),
    Column("title", "标题", width=44),
    Column("period", "期间", width=9),
    Column("issued_on", "发文日期", "date", width=12),
]
CHECK_COLUMNS = [
    Column("period", "期间", required=True, width=9),
    Column("unit", "责任单位", required=True, width=20),
    Column("check_id", "检查项编号", required=True, width=24),
    Column("check_name", "问题类型", width=18),
    Column("findings", "问题数", "int", required=True, width=9),
]
#: Columns the inspector fills in; a rerun never overwrites them.
INSPECTOR_COLUMNS = ("sent", "feedback_on", "adopted", "feedback_note", "note")


def _empty(columns: list[Column]) -> pd.DataFrame:
    dtypes = {"date": "datetime64[ns]", "yesno": "boolean", "int": "Int64", "text": object}
    return pd.DataFrame({c.name: pd.Series(dtype=dtypes[c.kind]) for c in columns})


@dataclass
class FollowupRegister:
    """The register's three tables (canonical column names) and its file."""

    recommendations: pd.DataFrame = field(default_factory=lambda: _empty(REC_COLUMNS))
    documents: pd.DataFrame = field(default_factory=lambda: _empty(DOC_COLUMNS))
    checks: pd.DataFrame = field(default_factory=lambda: _empty(CHECK_COLUMNS))
    path: Path | None = None


@dataclass
class FollowupReview:
    """What the register says at this month's audit date.

    Attributes
    ----------
    overdue : DataFrame
        Recommendations sent, past their feedback due date and unanswered: id, unit,
        addressee, kind_name, doc_no, issued_on, feedback_due, days_overdue, title.
    escalations : DataFrame
        Units failing the same check ``escalate_after_months`` months running (this one
        included): unit, check_id, check_name, months, since, findings.
    pending, answered : int
        Sent recommendations still awaiting / having an answer.
    previous_period : str
    history_available : bool
        Whether the previous period's check results were known.
    """

    period: str
    as_of: pd.Timestamp
    previous_period: str
    overdue: pd.DataFrame
    escalations: pd.DataFrame
    pending: int = 0
    answered: int = 0
    history_available: bool = False
    notes: list[str] = field(default_factory=list)

    def describe(self) -> list[str]:
        lines = [f"建议跟踪（{self.period}）：逾期未反馈 {len(self.overdue)} 件，待反馈 {self.pending} 件，"
                 f"已反馈 {self.answered} 件；连续出现同类问题的单位 "
                 f"{self.escalations['unit'].nunique() if len(self.escalations) else 0} 个。"]
        return lines + self.notes

    def to_dict(self) -> dict:
        return {"period": self.period, "previous_period": self.previous_period,
                "history_available": self.history_available,
                "overdue": int(len(self.overdue)), "pending": self.pending,
                "answered": self.answered,
                "escalations": self.escalations.astype(object).to_dict(orient="records"),
                "notes": list(self.notes)}

    def _repr_html_(self) -> str:
        from xfaudit.display import html_table

        out = "".join(f"<p>{html.escape(line)}</p>" for line in self.describe())
        if len(self.overdue):
            out += html_table(self.overdue.rename(columns={
                "id": "建议编号", "unit": "责任单位", "addressee": "主送机关", "kind_name": "建议类型",
                "doc_no": "发文字号", "issued_on": "发文日期", "feedback_due": "反馈期限",
                "days_overdue": "逾期天数", "title": "标题"}))
        if len(self.escalations):
            out += html_table(self.escalations.rename(columns={
                "unit": "责任单位", "check_id": "检查项编号", "check_name": "问题类型",
                "months": "连续月数", "since": "起始期间", "findings": "本月问题数"}))
        return out


# -- reading and writing ----------------------------------------------------------------------

def read_followup(path: str | Path) -> FollowupRegister:
    """Read the register; a file that does not exist yet is an empty register.

    Raises
    ------
    RegisterError
        A sheet or header is missing, or cells cannot be read (with row and column).
    """
    path = Path(path)
    if not path.exists():
        return FollowupRegister(path=path)
    recs, _ = read_register(path, REC_COLUMNS, sheet=REC_SHEET, strict=True)
    docs, _ = read_register(path, DOC_COLUMNS, sheet=DOC_SHEET, strict=True)
    checks, _ = read_register(path, CHECK_COLUMNS, sheet=CHECK_SHEET, strict=True)
    return FollowupRegister(recommendations=recs.drop(columns="source_row"),
                            documents=docs.drop(columns="source_row"),
                            checks=checks.drop(columns="source_row"), path=path)


def _instructions(book, formats: Formats) -> None:
    sheet = book.add_worksheet("说明")
    sheet.set_column(0, 0, 100)
    lines = [
        "建议跟踪台账：由 xfaudit 每月运行时读取并更新，请勿改动表头和“建议编号”“发文字号”。",
        "「建议台账」中由督查人员填写：反馈日期、是否采纳（是/否）、采纳情况、备注；"
        "处分/追责建议草稿经批准发出后，将“是否发出”改为“是”并填写发文字号。",
        "反馈期限：《信访条例》（2005）按规则配置的30日计算；《信访工作条例》（2022）未规定天数，"
        "按本局在配置文件 [followup] default_feedback_days 中设定的天数计算，见“期限依据”列。",
        "下月运行时：已发出、超过反馈期限且未填反馈日期的建议列为“逾期未反馈”，写入通报和该单位的督办函；"
        "同一单位同一检查项连续出现问题的，列为重点督办。",
        "「发文登记」记录已使用的发文字号，序号按年份连续编排；「检查项记录」保存各月各单位各检查项的问题数，供下月比较。",
    ]
    for r, text in enumerate(lines):
        sheet.write_string(r, 0, text, formats.note)


def write_followup(register: FollowupRegister, path: str | Path | None = None, *,
                   created=None) -> Path:
    """Write the register (atomically). ``created`` fixes the workbook's creation date."""
    path = Path(path or register.path)

    def build(tmp: Path) -> None:
        book = new_workbook(tmp, title="建议跟踪台账", created=created or dt.datetime(2026, 1, 1),
                            extra={"subject": "改进工作、完善政策、追究责任建议的发出与反馈跟踪"})
        formats = Formats(book)
        for name, frame, columns in ((REC_SHEET, register.recommendations, REC_COLUMNS),
                                     (DOC_SHEET, register.documents, DOC_COLUMNS),
                                     (CHECK_SHEET, register.checks, CHECK_COLUMNS)):
            write_records(book.add_worksheet(name), formats, 0, frame, columns)
        _instructions(book, formats)
        book.close()

    return atomic_write(path, build)


# -- numbering --------------------------------------------------------------------------------

def circular_key(period: str) -> str:
    """The 发文登记 key of a month's circular."""
    return f"通报-{period}"


def _used_serials(register: FollowupRegister, code: str, year: int) -> list[int]:
    """Serials of ``code``/``year`` already used: 发文登记, plus numbers the inspector typed
    into 建议台账 (an approved draft), so a hand-given number is never given twice."""
    docs = register.documents
    used = docs.loc[(docs["code"] == code) & (docs["year"] == year), "serial"].dropna()
    typed = register.recommendations["doc_no"].dropna().astype(str).str.extract(
        rf"^{re.escape(code)}〔(\d{{4}})〕(\d+)号$").dropna()
    typed = typed[typed[0].astype(int) == year][1].astype(int)
    return [int(v) for v in used] + [int(v) for v in typed]


def assign_numbers(register: FollowupRegister, recommendations: RecommendationSet,
                   config=None, *, extra: dict[str, str] | None = None
                   ) -> tuple[FollowupRegister, dict[str, str]]:
    """Give every non-draft recommendation (and each ``extra`` key → title) a 发文字号.

    A key already in 发文登记 keeps its number (rerun of a month); new ones take the next
    serial of the issuing code and year (``[issuer] serial_start`` for the first).
    Sets ``doc_no`` on the recommendations; returns the updated register and key → number.
    """
    from xfaudit.letters import doc_number

    cfg = load_config(config)
    code = cfg.issuer["code"]
    docs = register.documents.copy()
    year = recommendations.issued_on.year
    known = dict(zip(docs["key"], docs["doc_no"]))
    serial = max(_used_serials(register, code, year), default=int(cfg.issuer["serial_start"]) - 1)
    wanted = [(rec.id, rec.title) for rec in recommendations if not rec.draft]
    wanted += list((extra or {}).items())
    new_rows, numbers = [], {}
    for key, title in wanted:
        if key in known:
            numbers[key] = known[key]
            continue
        serial += 1
        numbers[key] = doc_number(code, year, serial)
        new_rows.append({"doc_no": numbers[key], "code": code, "year": year, "serial": serial,
                         "key": key, "title": title, "period": recommendations.period,
                         "issued_on": pd.Timestamp(recommendations.issued_on)})
    for rec in recommendations:
        rec.doc_no = numbers.get(rec.id)
    if new_rows:
        docs = pd.concat([docs, pd.DataFrame(new_rows)], ignore_index=True)
        docs = docs.astype({"year": "Int64", "serial": "Int64"})
    return replace(register, documents=docs), numbers


# -- review -----------------------------------------------------------------------------------

def _previous(period: str, k: int = 1) -> str:
    return parse_period(period).shift(-k).label


def _counts(findings: pd.DataFrame) -> pd.DataFrame:
    """Non-waived accountability findings per (unit, check)."""
    f = accountable(findings)
    if f.empty:
        return pd.DataFrame({"unit": pd.Series(dtype=object), "check_id": pd.Series(dtype=object),
                             "check_name": pd.Series(dtype=object),
                             "findings": pd.Series(dtype="int64")})
    g = f.groupby(["handling_unit", "check_id"], sort=True)
    out = pd.DataFrame({"check_name": g["check_name"].first(), "findings": g.size()})
    return out.reset_index().rename(columns={"handling_unit": "unit"})


def _overdue(register: FollowupRegister, period: str, as_of: pd.Timestamp) -> pd.DataFrame:
    recs = register.recommendations
    late = recs[recs["sent"].fillna(False).astype(bool) & recs["feedback_on"].isna()
                & recs["feedback_due"].notna() & (recs["feedback_due"] < as_of)
                & (recs["period"] != period)]
    out = late.assign(days_overdue=(as_of - late["feedback_due"]).dt.days.astype(int))
    return out[["id", "unit", "addressee", "kind_name", "doc_no", "issued_on", "feedback_due",
                "days_overdue", "title"]].sort_values(["unit", "id"]).reset_index(drop=True)


def _history(register: FollowupRegister, period: str,
             previous_findings: pd.DataFrame | None) -> pd.DataFrame:
    hist = register.checks[register.checks["period"] != period][["period", "unit", "check_id",
                                                                 "findings"]]
    if previous_findings is not None:
        prev = _counts(previous_findings).assign(period=_previous(period))
        hist = pd.concat([hist[hist["period"] != _previous(period)],
                          prev[["period", "unit", "check_id", "findings"]]], ignore_index=True)
    return hist[hist["findings"].fillna(0) > 0]


def _streaks(current: pd.DataFrame, hist: pd.DataFrame, period: str, months_back: int
             ) -> pd.DataFrame:
    """Months in a row (this one included) each failing (unit, check) has failed."""
    out = current[current["findings"] > 0].copy()
    out["months"] = 1
    running = np.ones(len(out), dtype=bool)
    for k in range(1, months_back):
        seen = hist[hist["period"] == _previous(period, k)][["unit", "check_id"]]
        hit = pd.MultiIndex.from_frame(out[["unit", "check_id"]]).isin(
            pd.MultiIndex.from_frame(seen)) if len(seen) and len(out) else np.zeros(len(out), bool)
        running &= hit
        if not running.any():
            break
        out["months"] += running.astype(int)
    out["since"] = [_previous(period, m - 1) for m in out["months"]]
    return out


def review(register: FollowupRegister, result: AuditResult, period: str, *, config=None,
           previous_findings: pd.DataFrame | None = None) -> FollowupReview:
    """Read the register at this month's audit date.

    Parameters
    ----------
    register : FollowupRegister (as read before this month is recorded)
    result : AuditResult (waivers applied)
    period : ``YYYY-MM`` of this run
    previous_findings : DataFrame, optional
        Last month's findings table; by default the register's 检查项记录 is used.
    """
    cfg = load_config(config)
    rules = cfg["followup"]
    as_of = result.as_of
    prev = _previous(period)
    hist = _history(register, period, previous_findings)
    known_prev = (previous_findings is not None
                  or bool((register.checks["period"] == prev).any())
                  or bool((register.recommendations["period"] == prev).any()))
    streaks = _streaks(_counts(result.findings), hist, period, int(rules["history_months"]))
    escalate = streaks[streaks["months"] >= int(rules["escalate_after_months"])]
    escalate = escalate[["unit", "check_id", "check_name", "months", "since", "findings"]]
    recs = register.recommendations
    sent = recs["sent"].fillna(False).astype(bool) & (recs["period"] != period)
    notes = []
    if not known_prev:
        notes.append(f"建议跟踪台账中没有上一期（{prev}）的记录，本月无法判断连续出现的问题。")
    return FollowupReview(
        period=period, as_of=as_of, previous_period=prev,
        overdue=_overdue(register, period, as_of),
        escalations=escalate.sort_values(["unit", "check_id"]).reset_index(drop=True),
        pending=int((sent & recs["feedback_on"].isna()).sum()),
        answered=int((sent & recs["feedback_on"].notna()).sum()),
        history_available=known_prev, notes=notes)


# -- recording this month -------------------------------------------------------------------

def _rows_of(recommendations: RecommendationSet) -> pd.DataFrame:
    rows = [{"id": r.id, "period": r.period, "kind": r.kind, "kind_name": r.name,
             "unit": r.unit, "addressee": r.addressee, "title": r.title, "statute": r.statute,
             "doc_no": r.doc_no, "issued_on": pd.Timestamp(r.issued_on), "sent": not r.draft,
             "feedback_due": pd.Timestamp(r.feedback_due) if r.feedback_due else pd.NaT,
             "feedback_basis": r.feedback_basis,
             "note": "草稿，经审核批准发出后请将“是否发出”改为“是”" if r.draft else None}
            for r in recommendations]
    frame = pd.DataFrame(rows, columns=[c.name for c in REC_COLUMNS])
    frame["sent"] = frame["sent"].astype("boolean")
    return frame


def record(register: FollowupRegister, recommendations: RecommendationSet,
           result: AuditResult, period: str) -> FollowupRegister:
    """This month's recommendations and check results, merged into the register.

    Recommendations are upserted by id: system columns are refreshed, inspector columns
    (``INSPECTOR_COLUMNS``) kept. Rows of this period no longer produced (a rerun after new
    waivers) are dropped unless the inspector wrote in them. The 检查项记录 of this period is
    replaced.
    """
    old = register.recommendations.set_index("id")
    new = _rows_of(recommendations).set_index("id")
    for column in INSPECTOR_COLUMNS:
        kept = old[column].reindex(new.index)
        if column == "note":
            new[column] = kept.where(kept.notna(), new[column])
        elif column == "sent":
            new[column] = kept.where(kept.notna(), new[column]).astype("boolean")
        else:
            new[column] = kept
    # A number typed in by the inspector (an approved draft) survives a rerun.
    new["doc_no"] = new["doc_no"].where(new["doc_no"].notna(), old["doc_no"].reindex(new.index))
    approved = (old["kind"] == "sanction") & old["sent"].fillna(False).astype(bool)
    touched = old[["feedback_on", "adopted", "feedback_note"]].notna().any(axis=1) | approved
    stale = (old["period"] == period) & ~old.index.isin(new.index)
    keep_old = old[~old.index.isin(new.index) & (~stale | touched)].copy()
    flagged = (stale & touched).reindex(keep_old.index, fill_value=False)
    keep_old.loc[flagged, "note"] = "重新运行后未再生成（保留督查人员填写的内容）"
    merged = pd.concat([keep_old, new]).reset_index()
    merged = merged.sort_values(["period", "id"], kind="stable").reset_index(drop=True)
    removed = set(old.index[stale & ~touched])
    docs = register.documents[~register.documents["key"].isin(removed)]
    counts = _counts(result.findings).assign(period=period)
    checks = pd.concat([register.checks[register.checks["period"] != period],
                        counts[[c.name for c in CHECK_COLUMNS]]], ignore_index=True)
    checks = checks.sort_values(["period", "unit", "check_id"], kind="stable")
    return replace(register, recommendations=merged[[c.name for c in REC_COLUMNS]],
                   documents=docs.reset_index(drop=True), checks=checks.reset_index(drop=True))
