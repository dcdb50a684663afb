"""The follow-up register (建议跟踪台账): drafts, approval, numbers, answers — across months.

Where the history lives
-----------------------
In one Excel register the inspector keeps in the registers folder beside the waiver register:
``建议跟踪台账.xlsx`` (``[followup] register_file``). Its sheets:

- **建议台账** — one row per document drafted (督办及改进工作建议函, 完善政策建议, 追究责任建议草稿,
  通报): 文书编号, 期间, 文书类型, 责任单位, 主送机关, 标题, 适用条例, 成文日期, 反馈期限 and its
  basis, and the columns the inspector fills in — **审核意见** (同意签发 / 修改后签发 / 暂缓 /
  不予签发), **是否发出**, **反馈日期**, **是否采纳**, **整改情况** (已整改 / 整改中 / 未整改),
  采纳情况, 备注 — with drop-down lists, and dates typed as dates;
- **发文登记** — every 发文字号 given, so serials continue across months and years.

**Drafts until approved.** Every document is drafted without a 发文字号. Once the inspector
marks it 同意签发 (or 修改后签发), the next run gives it the next serial of the year (in
发文登记 and in its row); a rerun of the month writes the number into the letter. 是否发出 stays
empty until the inspector fills it; only a document marked sent is followed for its answer.

**Escalation.** The findings history (:mod:`xfaudit.periods`, kept beside the register) says,
per month, which findings were new or still open. A unit that had such findings of the same
check in ``escalate_after_months`` consecutive months, this one included, is escalated (重点督办):
the same old finding never counts again once it is closed (it is then 历史问题).

Why an Excel register and not SQLite: the inspector enters the units' answers in Excel on an
office PC with no other tool; the register is what gets printed and filed; a month adds tens of
rows. A damaged edit is reported with its row and column like every other register. The run
reads the register first and writes it only when it publishes (staged with the report folder,
see :func:`xfaudit.monthly.publish_report`), keeping every cell the inspector fills in; a rerun
of the same month is idempotent.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from xfaudit.config import load_config
from xfaudit.dates import parse_period
from xfaudit.periods import CURRENT
from xfaudit.registers import (Column, Formats, atomic_write, new_workbook, read_register,
                               write_records)
from xfaudit.schema import checks

REC_SHEET, DOC_SHEET = "建议台账", "发文登记"

#: 审核意见 values; the first two approve the document for numbering.
APPROVALS = ("同意签发", "修改后签发", "暂缓", "不予签发")
APPROVED = APPROVALS[:2]
#: 整改情况 values.
RECTIFICATION = ("已整改", "整改中", "未整改")

REC_COLUMNS = [
    Column("id", "文书编号", required=True, width=16),
    Column("period", "期间", required=True, width=9),
    Column("kind_name", "文书类型", width=18),
    Column("unit", "责任单位", width=18),
    Column("addressee", "主送机关", width=22),
    Column("title", "标题", width=40),
    Column("statute", "适用条例", width=14),
    Column("issued_on", "成文日期", "date", width=12),
    Column("approval", "审核意见", width=12),
    Column("doc_no", "发文字号", width=18),
    Column("sent", "是否发出", "yesno", width=9),
    Column("feedback_due", "反馈期限", "date", width=12),
    Column("feedback_basis", "期限依据", width=36),
    Column("feedback_on", "反馈日期", "date", width=12),
    Column("adopted", "是否采纳", "yesno", width=9),
    Column("rectified", "整改情况", width=10),
    Column("feedback_note", "采纳情况", width=30),
    Column("note", "备注", width=24),
]
DOC_COLUMNS = [
    Column("doc_no", "发文字号", required=True, width=20),
    Column("code", "机关代字", required=True, width=12),
    Column("year", "年份", "int", required=True, width=8),
    Column("serial", "序号", "int", required=True, width=8),
    Column("key", "文书编号", required=True, width=18),
    Column("title", "标题", width=44),
    Column("period", "期间", width=9),
    Column("issued_on", "成文日期", "date", width=12),
]
#: Columns the inspector fills in; a rerun never overwrites them.
INSPECTOR_COLUMNS = ("approval", "sent", "feedback_on", "adopted", "rectified",
                     "feedback_note", "note")
#: Drop-down lists of the 建议台账 sheet (column → values).
CHOICES = {"approval": APPROVALS, "sent": ("是", "否"), "adopted": ("是", "否"),
           "rectified": RECTIFICATION}


def _empty(columns: list[Column]) -> pd.DataFrame:
    dtypes = {"date": "datetime64[ns]", "yesno": "boolean", "int": "Int64", "text": object}
    return pd.DataFrame({c.name: pd.Series(dtype=dtypes[c.kind]) for c in columns})


@dataclass
class FollowupRegister:
    """The register's tables (canonical column names) and its file."""

    recommendations: pd.DataFrame = field(default_factory=lambda: _empty(REC_COLUMNS))
    documents: pd.DataFrame = field(default_factory=lambda: _empty(DOC_COLUMNS))
    path: Path | None = None


@dataclass
class FollowupReview:
    """What the register and the findings history say at this month's audit date.

    Attributes
    ----------
    overdue : DataFrame
        Documents sent, past their feedback due date and unanswered: id, unit, addressee,
        kind_name, doc_no, issued_on, feedback_due, days_overdue, title.
    escalations : DataFrame
        Units with findings of this month of the same check ``escalate_after_months`` months
        running (this one included): unit, check_id, check_name, months, since, findings, new,
        continuing.
    pending, answered : int
        Sent documents still awaiting / having an answer.
    claims : DataFrame
        Answers saying 已整改 for a unit that still has open findings this month: unit, id,
        doc_no, open_findings — a claim the data does not bear out.
    previous_period : str
    history_available : bool
        Whether the findings history holds the previous period.
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
    claims: pd.DataFrame = field(default_factory=pd.DataFrame)

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
                "escalations": self.escalations.astype(object).where(
                    self.escalations.notna(), None).to_dict(orient="records"),
                "notes": list(self.notes)}

    def _repr_html_(self) -> str:
        from xfaudit.display import html_table

        out = "".join(f"<p>{html.escape(line)}</p>" for line in self.describe())
        if len(self.overdue):
            out += html_table(self.overdue.rename(columns={
                "id": "文书编号", "unit": "责任单位", "addressee": "主送机关", "kind_name": "文书类型",
                "doc_no": "发文字号", "issued_on": "成文日期", "feedback_due": "反馈期限",
                "days_overdue": "逾期天数", "title": "标题"}))
        if len(self.escalations):
            out += html_table(self.escalations.drop(columns="check_id").rename(columns={
                "unit": "责任单位", "check_name": "问题类型",
                "months": "连续月数", "since": "起始期间", "findings": "本月问题数",
                "new": "本期新发现", "continuing": "持续未办"}))
        return out


@dataclass(eq=False)
class Document:
    """One document of the month as the register records it (a recommendation's letter or the
    circular)."""

    id: str
    period: str
    kind: str                      # improvement | policy | sanction | circular
    kind_name: str                 # its Chinese name (文书类型)
    title: str                     # may hold "|", where the title breaks
    unit: str | None
    addressee: str
    statute: str
    issued_on: dt.date
    feedback_due: dt.date | None = None
    feedback_basis: str = ""
    doc_no: str | None = None
    recommendation: object = None

    @property
    def plain_title(self) -> str:
        return self.title.replace("|", "")

    @classmethod
    def of(cls, rec) -> "Document":
        """The document of a :class:`~xfaudit.recommend.Recommendation`."""
        from xfaudit.recommend import DOCUMENT_NAMES

        name = DOCUMENT_NAMES[rec.kind] if rec.kind != "sanction" else f"{rec.name}（草稿）"
        return cls(id=rec.id, period=rec.period, kind=rec.kind, kind_name=name,
                   title=rec.title, unit=rec.unit,
                   addressee=rec.addressee, statute=rec.statute, issued_on=rec.issued_on,
                   feedback_due=rec.feedback_due, feedback_basis=rec.feedback_basis,
                   doc_no=rec.doc_no, recommendation=rec)


# -- reading and writing ----------------------------------------------------------------------

def _choice_problems(frame: pd.DataFrame) -> list[tuple[int, str, str]]:
    problems = []
    for column in REC_COLUMNS:
        allowed = CHOICES.get(column.name)
        if allowed is None or column.kind != "text":
            continue
        bad = frame[column.name].notna() & ~frame[column.name].isin(allowed)
        for row, value in zip(frame.loc[bad, "source_row"], frame.loc[bad, column.name]):
            problems.append((int(row), column.header,
                             f"应填“{'”“'.join(allowed)}”之一，而不是“{value}”"))
    return problems


def read_followup(path: str | Path) -> FollowupRegister:
    """Read the register; a file that does not exist yet is an empty register.

    Raises
    ------
    RegisterError
        A sheet or header is missing, or cells cannot be read (each with row and column).
    """
    path = Path(path)
    if not path.exists():
        return FollowupRegister(path=path)
    recs, _ = read_register(path, REC_COLUMNS, sheet=REC_SHEET, strict=True,
                            check=_choice_problems)
    docs, _ = read_register(path, DOC_COLUMNS, sheet=DOC_SHEET, strict=True)
    return FollowupRegister(recommendations=recs.drop(columns="source_row"),
                            documents=docs.drop(columns="source_row"), path=path)


def _instructions(book, formats: Formats) -> None:
    sheet = book.add_worksheet("说明")
    sheet.set_column(0, 0, 100)
    lines = [
        "建议跟踪台账：由 xfaudit 每月运行时读取并更新，请勿改动表头、“文书编号”和“发文登记”。",
        "每份文书生成时均为草稿，没有发文字号。审核后在「建议台账」的“审核意见”中选择“同意签发”或“修改后签发”，"
        "下次运行时按年度顺序编发文字号，写入“发文字号”列和「发文登记」；重新运行该月即可得到带文号的文书。",
        "文书实际发出后，将“是否发出”填为“是”；只有已发出的文书才计算反馈期限、列入逾期未反馈。",
        "收到反馈后填写：反馈日期（写成 2026-11-20 这样含年月日的日期）、是否采纳（是/否）、"
        "整改情况（已整改/整改中/未整改）、采纳情况和备注。这些由督查人员填写的内容在重新运行时保留。",
        "反馈期限：《信访条例》（2005）改进建议按规则配置的天数计算；《信访工作条例》（2022）未规定天数，"
        "按本局配置的天数计算，见“期限依据”列。",
        "单位填报“已整改”但本月仍有未办结的同类问题的，报告中列出，供核实。",
        "连续出现同类问题：以问题记录（问题记录.csv）为据，同一单位同一检查项连续数月有本期新发现或持续未办的问题，"
        "列为重点督办；已办结的旧问题不再重复计算。",
    ]
    for r, text in enumerate(lines):
        sheet.write_string(r, 0, text, formats.note)


def _drop_downs(sheet, frame: pd.DataFrame) -> None:
    """List validation on the inspector's choice columns (a few hundred rows beyond the data,
    for rows the inspector adds by hand)."""
    last = max(len(frame), 1) + 500
    for col, column in enumerate(REC_COLUMNS):
        if column.name in CHOICES:
            sheet.data_validation(1, col, last, col, {
                "validate": "list", "source": list(CHOICES[column.name]),
                "error_type": "stop", "error_title": column.header,
                "error_message": f"请从下拉列表中选择：{'、'.join(CHOICES[column.name])}"})
        elif column.kind == "date":
            sheet.data_validation(1, col, last, col, {
                "validate": "date", "criteria": ">=", "value": dt.date(1990, 1, 1),
                "error_type": "warning", "error_title": column.header,
                "error_message": "请填写含年月日的日期，如 2026-11-20"})


def write_followup(register: FollowupRegister, path: str | Path | None = None, *,
                   created=None) -> Path:
    """Write the register (atomically). ``created`` fixes the workbook's creation date."""
    path = Path(path or register.path)

    def build(tmp: Path) -> None:
        book = new_workbook(tmp, title="建议跟踪台账", created=created or dt.datetime(2026, 1, 1),
                            extra={"subject": "改进工作、完善政策、追究责任建议及通报的审核、发文与反馈跟踪"})
        formats = Formats(book)
        sheet = book.add_worksheet(REC_SHEET)
        write_records(sheet, formats, 0, register.recommendations, REC_COLUMNS)
        _drop_downs(sheet, register.recommendations)
        _page(sheet)
        docs = book.add_worksheet(DOC_SHEET)
        write_records(docs, formats, 0, register.documents, DOC_COLUMNS)
        _page(docs)
        _instructions(book, formats)
        book.close()

    return atomic_write(path, build)


def _page(sheet) -> None:
    """Landscape A4, one page wide, the header row on every page."""
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)


# -- ids and numbers --------------------------------------------------------------------------

def stable_ids(register: FollowupRegister, documents: list) -> None:
    """Give this run's documents the ids their rows already have (same period, type and
    title), so that an approval written against an id never moves to another unit when a rerun
    drafts more or fewer documents; a new document keeps its id unless the register uses it,
    else takes the next free number of its code."""
    rows = register.recommendations
    known = {(p, k, t): i for i, p, k, t in zip(rows["id"], rows["period"], rows["kind_name"],
                                                rows["title"])}
    fresh = []
    for doc in documents:
        key = (doc.period, doc.kind_name, doc.plain_title)
        if key in known:
            doc.id = known[key]
        else:
            fresh.append(doc)
    fresh_ones = {id(d) for d in fresh}
    taken = set(rows["id"]) | {d.id for d in documents if id(d) not in fresh_ones}
    for doc in fresh:
        if doc.id in taken:
            stem = doc.id.rsplit("-", 1)[0]
            n = 1
            while f"{stem}-{n:03d}" in taken:
                n += 1
            doc.id = f"{stem}-{n:03d}"
        taken.add(doc.id)


def doc_number(code: str, year: int, serial: int | None) -> str:
    """发文字号 such as 青信督〔2026〕12号 (a draft without a number keeps the blank)."""
    blank = "\u3000\u3000"  # a draft keeps two full-width spaces for the serial
    return f"{code}〔{year}〕{serial if serial is not None else blank}号"


def _used_serials(register: FollowupRegister, code: str, year: int) -> list[int]:
    """Serials of ``code``/``year`` already used: 发文登记, plus numbers the inspector typed
    into 建议台账, so a hand-given number is never given twice."""
    docs = register.documents
    used = docs.loc[(docs["code"] == code) & (docs["year"] == year), "serial"].dropna()
    typed = register.recommendations["doc_no"].dropna().astype(str).str.extract(
        rf"^{re.escape(code)}〔(\d{{4}})〕(\d+)号$").dropna()
    typed = typed[typed[0].astype(int) == year][1].astype(int)
    return [int(v) for v in used] + [int(v) for v in typed]


def number_approved(register: FollowupRegister, config=None) -> tuple[FollowupRegister, list[str]]:
    """Give every approved row (审核意见 同意签发 / 修改后签发) without a 发文字号 the next serial
    of its year, in id order; record it in 发文登记. Returns the register and the ids numbered."""
    cfg = load_config(config)
    code = cfg.bureau["issuer_code"]
    recs = register.recommendations.copy()
    docs = register.documents.copy()
    waiting = recs[recs["approval"].isin(APPROVED) & recs["doc_no"].isna()
                   & recs["issued_on"].notna()].sort_values(["issued_on", "id"], kind="stable")
    if waiting.empty or not code:
        return register, []
    new_rows, numbered = [], []
    for index, row in waiting.iterrows():
        year = int(row["issued_on"].year)
        current = replace(register, recommendations=recs, documents=docs)
        serial = max(_used_serials(current, code, year),
                     default=int(cfg.bureau["serial_start"]) - 1) + 1
        number = doc_number(code, year, serial)
        recs.loc[index, "doc_no"] = number
        row_doc = {"doc_no": number, "code": code, "year": year, "serial": serial,
                   "key": row["id"], "title": row["title"], "period": row["period"],
                   "issued_on": row["issued_on"]}
        docs = pd.concat([docs, pd.DataFrame([row_doc])], ignore_index=True)
        new_rows.append(row_doc)
        numbered.append(row["id"])
    docs = docs.astype({"year": "Int64", "serial": "Int64"})
    return replace(register, recommendations=recs, documents=docs), numbered


def number_of(register: FollowupRegister, doc_id: str) -> str | None:
    """The 发文字号 a document's row holds (None: a draft)."""
    recs = register.recommendations
    hit = recs.loc[recs["id"] == doc_id, "doc_no"].dropna()
    return str(hit.iloc[0]) if len(hit) else None


# -- review -----------------------------------------------------------------------------------

def _previous(period: str, k: int = 1) -> str:
    return parse_period(period).shift(-k).label


def _overdue(register: FollowupRegister, period: str, as_of: pd.Timestamp) -> pd.DataFrame:
    recs = register.recommendations
    late = recs[recs["sent"].fillna(False).astype(bool) & recs["feedback_on"].isna()
                & recs["feedback_due"].notna() & (recs["feedback_due"] < as_of)
                & (recs["period"] != period)]
    # a row the inspector added by hand may lack the unit or the kind: name it by what it has
    out = late.assign(days_overdue=(as_of - late["feedback_due"]).dt.days.astype(int),
                      unit=late["unit"].fillna(late["addressee"]).fillna(late["id"]),
                      kind_name=late["kind_name"].fillna("建议"))
    return out[["id", "unit", "addressee", "kind_name", "doc_no", "issued_on", "feedback_due",
                "days_overdue", "title"]].sort_values(["unit", "id"]).reset_index(drop=True)


def current_counts(findings: pd.DataFrame) -> pd.DataFrame:
    """This month's letter-worthy findings (:func:`xfaudit.recommend.accountable`, already
    filtered by the caller) per (unit, check): findings, new, continuing."""
    if findings.empty:
        return pd.DataFrame(columns=["unit", "check_id", "check_name", "findings", "new",
                                     "continuing"])
    counted = findings.assign(new=findings["period_status"].eq(CURRENT[0]).astype("int64"),
                              continuing=findings["period_status"].eq(CURRENT[1])
                              .astype("int64"))
    g = counted.groupby(["responsible_unit", "check_id"], sort=True)
    out = pd.DataFrame({"check_name": g["check_name"].first(), "findings": g.size(),
                        "new": g["new"].sum(), "continuing": g["continuing"].sum()})
    return out.reset_index().rename(columns={"responsible_unit": "unit"})


def _months_with_findings(history: pd.DataFrame) -> pd.DataFrame:
    """(period, unit, check_id) of earlier months with new or still-open accountability
    findings (not waived)."""
    if history is None or history.empty:
        return pd.DataFrame(columns=["period", "unit", "check_id"])
    accountability = {c.value for c, spec in checks().items() if spec.kind == "accountability"}
    h = history[history["period_status"].isin(CURRENT) & ~history["waived"].astype(bool)
                & history["check_id"].isin(accountability)]
    return (h.rename(columns={"responsible_unit": "unit"})[["period", "unit", "check_id"]]
            .drop_duplicates())


def streaks(current: pd.DataFrame, history: pd.DataFrame | None, period: str,
            months_back: int) -> pd.DataFrame:
    """Months in a row (this one included) each (unit, check) of ``current`` had new or
    still-open findings, from the findings history."""
    out = current[current["findings"] > 0].copy()
    out["months"] = 1
    seen_all = _months_with_findings(history)
    running = np.ones(len(out), dtype=bool)
    for k in range(1, months_back):
        seen = seen_all[seen_all["period"] == _previous(period, k)][["unit", "check_id"]]
        hit = (pd.MultiIndex.from_frame(out[["unit", "check_id"]]).isin(
            pd.MultiIndex.from_frame(seen)) if len(seen) and len(out)
            else np.zeros(len(out), bool))
        running &= hit
        if not running.any():
            break
        out["months"] += running.astype(int)
    out["since"] = [_previous(period, m - 1) for m in out["months"]]
    return out


def _claims(register: FollowupRegister, current: pd.DataFrame, period: str) -> pd.DataFrame:
    """Answers of earlier documents saying 已整改 while the unit still has open findings."""
    recs = register.recommendations
    said = recs[(recs["rectified"] == RECTIFICATION[0]) & (recs["period"] != period)
                & recs["unit"].notna()]
    open_now = current.groupby("unit")["continuing"].sum() if len(current) else pd.Series(
        dtype="int64")
    said = said[said["unit"].map(open_now).fillna(0) > 0]
    return pd.DataFrame({"unit": said["unit"], "id": said["id"], "doc_no": said["doc_no"],
                         "open_findings": said["unit"].map(open_now).astype(int)}
                        ).reset_index(drop=True)


def review(register: FollowupRegister, current: pd.DataFrame, period: str, as_of, *,
           history: pd.DataFrame | None = None, config=None) -> FollowupReview:
    """Read the register and the findings history at this month's audit date.

    Parameters
    ----------
    register : FollowupRegister (as read before this month is recorded)
    current : DataFrame
        This month's letter-worthy findings (:func:`xfaudit.recommend.accountable`).
    period : ``YYYY-MM`` of this run
    as_of : the audit date
    history : DataFrame, optional
        The findings history (:func:`xfaudit.periods.read_history`).
    """
    cfg = load_config(config)
    rules = cfg["followup"]
    as_of = pd.Timestamp(as_of)
    prev = _previous(period)
    counts = current_counts(current)
    runs = streaks(counts, history, period, int(rules["history_months"]))
    escalate = runs[runs["months"] >= int(rules["escalate_after_months"])]
    escalate = escalate[["unit", "check_id", "check_name", "months", "since", "findings", "new",
                         "continuing"]]
    recs = register.recommendations
    sent = recs["sent"].fillna(False).astype(bool) & (recs["period"] != period)
    known_prev = history is not None and bool((history["period"].astype(str) == prev).any())
    notes = []
    if not known_prev:
        notes.append(f"问题记录中没有上一期（{prev}）的记录，本月无法判断连续出现的问题。")
    claims = _claims(register, counts, period)
    if len(claims):
        notes.append("以下单位反馈“已整改”，但本月仍有持续未办的问题，请核实："
                     + "、".join(f"{u}（{i}）" for u, i in zip(claims["unit"], claims["id"])) + "。")
    return FollowupReview(
        period=period, as_of=as_of, previous_period=prev,
        overdue=_overdue(register, period, as_of),
        escalations=escalate.sort_values(["unit", "check_id"]).reset_index(drop=True),
        pending=int((sent & recs["feedback_on"].isna()).sum()),
        answered=int((sent & recs["feedback_on"].notna()).sum()),
        history_available=known_prev, notes=notes, claims=claims)


# -- recording this month -------------------------------------------------------------------

def _rows_of(documents: list) -> pd.DataFrame:
    rows = [{"id": d.id, "period": d.period, "kind_name": d.kind_name, "unit": d.unit,
             "addressee": d.addressee, "title": d.plain_title, "statute": d.statute,
             "issued_on": pd.Timestamp(d.issued_on), "approval": None, "doc_no": d.doc_no,
             "sent": pd.NA,
             "feedback_due": pd.Timestamp(d.feedback_due) if d.feedback_due else pd.NaT,
             "feedback_basis": d.feedback_basis, "note": None}
            for d in documents]
    frame = pd.DataFrame(rows, columns=[c.name for c in REC_COLUMNS])
    frame["sent"] = frame["sent"].astype("boolean")
    return frame


def record(register: FollowupRegister, documents: list, period: str) -> FollowupRegister:
    """This month's documents merged into the register.

    Rows are upserted by id: system columns are refreshed, the inspector's columns
    (``INSPECTOR_COLUMNS``) and a 发文字号 already given are kept. Rows of this period no longer
    drafted (a rerun after new waivers) are dropped unless the inspector wrote in them.
    """
    old = register.recommendations.set_index("id")
    new = _rows_of(documents).set_index("id")
    for column in INSPECTOR_COLUMNS:
        kept = old[column].reindex(new.index)
        new[column] = kept.astype(new[column].dtype) if column == "sent" else kept
    new["doc_no"] = old["doc_no"].reindex(new.index).where(
        old["doc_no"].reindex(new.index).notna(), new["doc_no"])
    touched = old[list(INSPECTOR_COLUMNS)].notna().any(axis=1) | old["doc_no"].notna()
    stale = (old["period"] == period) & ~old.index.isin(new.index)
    keep_old = old[~old.index.isin(new.index) & (~stale | touched)].copy()
    flagged = (stale & touched).reindex(keep_old.index, fill_value=False)
    keep_old.loc[flagged, "note"] = "重新运行后未再生成（保留督查人员填写的内容）"
    merged = pd.concat([keep_old, new]).reset_index(names="id")
    merged = merged.sort_values(["period", "id"], kind="stable").reset_index(drop=True)
    removed = set(old.index[stale & ~touched])
    docs = register.documents[~register.documents["key"].isin(removed)]
    return replace(register, recommendations=merged[[c.name for c in REC_COLUMNS]],
                   documents=docs.reset_index(drop=True))
