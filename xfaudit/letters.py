"""Letters and the monthly circular as 公文 drafts (docx, GB/T 9704-2012 layout).

- one 督办及改进工作建议函 per responsible unit a month, in the 信函格式 — :func:`improvement_letter`:
  a short body (the problems counted by type, the quoted article, the recommendations, the
  reply deadline) and the case list in a 附件 table, never ids in the text;
- one 完善政策建议 per category with a cross-unit pattern — :func:`policy_letter`;
- one 行政处分建议 / 追究责任建议 draft per unit and statute text, marked 草稿（供审核）, listing
  each conduct and each consequence by its id and date — :func:`sanction_letter`;
- the monthly 通报 in the 文件格式 — :func:`write_circular`.

Every document is a draft without a 发文字号 until the inspector approves it in the follow-up
register (:mod:`xfaudit.followup`). Letters are built only from recommendation data, i.e. from
findings fields, events and figures: no petitioner's name, phone or id number can reach them,
and the free-text 主要诉求 is never used. Layout is :mod:`xfaudit.writers.gongwen`; wording is
Chinese text here and in ``accountability.toml`` ``[letters]``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from xfaudit.audit import AuditResult
from xfaudit.config import AccountabilityConfig, load_config
from xfaudit.dates import month_text, parse_period
from xfaudit.errors import XfauditError
from xfaudit.followup import doc_number
from xfaudit.periods import CONTINUING, CURRENT, NEW
from xfaudit.recommend import (Recommendation, RecommendationSet, accountable, default_period,
                               issue_date, period_items)
from xfaudit.schema import checks
from xfaudit.writers.gongwen import GongwenDocument, chinese_number, date_text

__all__ = ["Letter", "write_letters", "write_circular", "improvement_letter", "policy_letter",
           "sanction_letter", "fallback_ranking", "overdue_by_unit", "to_pdf", "doc_number",
           "CASE_TABLE_HEADERS", "PreviewError"]

#: The 附件 case table: 序号, 信访件编号, 问题类型, 期限届满日, 实际办理日期, 超期天数, 状态
#: (mm, 156 in all: the A4 type area); 9 pt (小五) with 1 mm cell margins, so that a 15-digit
#: id and a date stay on one line. The provision each problem type rests on follows the table
#: (依据), per statute text.
CASE_TABLE_HEADERS = ["序号", "信访件编号", "问题类型", "期限届满日", "实际办理日期", "超期天数",
                      "状态"]
CASE_TABLE_WIDTHS = [9, 34, 41, 20, 20, 14, 18]
CASE_TABLE_ALIGN = ["center", "left", "left", "center", "center", "center", "center"]
CASE_TABLE_SIZE = 9
#: Short labels of the period status in the case table.
STATUS_SHORT = {NEW: "新发现", CONTINUING: "持续未办"}

_UNSAFE = re.compile(r'[\\/:*?"<>|\s\x00-\x1f\x7f]+')

#: Column names of a ranking frame shown with Chinese headers in the circular.
RANKING_HEADERS = {"rank": "排名", "unit": "责任单位", "handling_unit": "责任单位",
                   "items": "事项数", "findings": "问题数", "open_overdue": "超期未办",
                   "score": "得分"}


@dataclass(frozen=True)
class Letter:
    """A written document: where it is and what it is."""

    path: Path
    kind: str                 # improvement | policy | sanction | circular
    title: str
    unit: str | None
    recommendation: str | None
    doc_no: str | None        # None: a draft awaiting approval (no 发文字号 yet)

    @property
    def draft(self) -> bool:
        return self.doc_no is None


def safe_name(text: str) -> str:
    """A file-name-safe version of a unit or category name."""
    return _UNSAFE.sub("_", str(text)).strip("_")[:60] or "未命名"


def _table_day(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.strftime("%Y.%m.%d")


def _case_rows(cases: pd.DataFrame, detail_checks=()) -> list[list[str]]:
    """The case table's cells (vectorised formatting, one list per row for the writer).

    For ``detail_checks`` (checks whose detail is a fixed phrase, e.g. the reasons an
    extension is irregular) the detail follows the check name.
    """
    if cases.empty:
        return []
    kind = cases["check_name"].astype(str)
    with_detail = cases["check_id"].isin(list(detail_checks)) & cases["detail"].notna()
    # the check's own reasons; a rest-day note stays in the workbook
    reasons = cases["detail"].astype("string").str.split("；期限届满日", n=1).str[0]
    kind = kind.where(~with_detail, kind + "（" + reasons.astype(str) + "）")
    last = _table_day(cases["last_day"]).fillna("—")
    done = _table_day(cases["actual_on"])
    reply = cases["check_id"] == "REPLY_MISSING"
    done = done.where(done.notna(), pd.Series("—", index=cases.index).where(
        ~cases["is_open"].astype(bool), "尚未办理"))
    done = done.where(~reply, "未出具")
    late = cases["days_late"].astype("Int64").astype("string").fillna("—")
    status = cases["period_status"].map(STATUS_SHORT).fillna("")
    table = pd.DataFrame({"n": [str(i) for i in range(1, len(cases) + 1)],
                          "a": cases["case_id"].astype(str).to_numpy(), "b": kind.to_numpy(),
                          "c": last.to_numpy(), "d": done.to_numpy(), "e": late.to_numpy(),
                          "s": status.to_numpy()})
    return table.astype(str).values.tolist()


def _basis_line(cases: pd.DataFrame, statute: str) -> str:
    """依据 under a case table: each problem type with the article(s) of the statute its
    cases cite (a check may cite two, e.g. the notice of a routed and of a direct item)."""
    order = {cid.value: i for i, cid in enumerate(checks())}
    pairs = (cases[["check_id", "check_name", "citation"]].dropna(subset=["citation"])
             .drop_duplicates().sort_values("check_id", key=lambda s: s.map(order),
                                            kind="stable"))
    by_check = pairs.groupby(["check_id", "check_name"], sort=False)["citation"].agg(
        lambda c: "、".join(dict.fromkeys(x.removeprefix(statute) for x in c)))
    text = "；".join(f"{name}：{articles}" for (_cid, name), articles in by_check.items())
    return f"依据（{statute}）：{text}。" if text else ""


def _new_document(cfg: AccountabilityConfig, title: str, subject: str, issued: dt.date,
                  keywords: str, category: str) -> GongwenDocument:
    created = dt.datetime.combine(issued, dt.time(9, 0))
    return GongwenDocument(cfg.letters, {
        "title": title.replace("|", ""), "subject": subject, "author": cfg.bureau["issuer"],
        "keywords": keywords, "comments": "由 xfaudit 生成的草稿，须经审核后使用",
        "category": category, "created": created})


def _number(rec_or_no, cfg: AccountabilityConfig, year: int) -> str:
    """The 发文字号 line: the number given, else the draft's blank serial."""
    doc_no = rec_or_no.doc_no if isinstance(rec_or_no, Recommendation) else rec_or_no
    return doc_no or doc_number(cfg.bureau["issuer_code"], year, None)


def _opening(doc: GongwenDocument, cfg: AccountabilityConfig, doc_no: str, title: str,
             addressee: str) -> None:
    """版头 (信函格式), title, 主送机关."""
    doc.letter_head(cfg.bureau["issuer"], doc_no)
    doc.title(title)
    doc.blank()
    doc.paragraph(f"{addressee}：", indent=False, align="left")


def _closing(doc: GongwenDocument, cfg: AccountabilityConfig, issued: dt.date,
             attachments: list[str] = ()) -> None:
    """附件说明, 落款, 成文日期, 附注 (联系人), then — after any attachment the caller adds —
    the 版记 (:meth:`GongwenDocument.colophon`) is written by :func:`_colophon`."""
    b = cfg.bureau
    if attachments:
        doc.attachment_note(list(attachments))
    doc.signature(b["issuer"], date_text(issued))
    contact = "；".join(part for part in (f"联系人：{b['contact']}" if b["contact"] else "",
                                          f"联系电话：{b['phone']}" if b["phone"] else "")
                       if part)
    if contact:
        doc.note(contact)


def _colophon(doc: GongwenDocument, cfg: AccountabilityConfig, issued: dt.date,
              printer: bool) -> None:
    b = cfg.bureau
    doc.colophon(list(b["cc"]), b["issuer"] if printer else None, date_text(issued))


def _quote_sentence(citation: str, quote: str) -> str:
    """``《…》第…条规定：“….”`` (a sentence: nothing needs to follow it but the next one)."""
    quote = quote.rstrip("。")
    return f"{citation}规定：“{quote}。”" if quote else f"根据{citation}的规定，"


def _sentence(text: str) -> str:
    """End a sentence once: after a closing quote or a comma nothing is added."""
    return text if text.endswith(("”", "。", "，")) else text + "。"


def _feedback_sentence(rec: Recommendation, what: str) -> str:
    if rec.feedback_due is None:
        return f"请将{what}情况及时书面反馈我局。"
    quotes = [p for p in rec.parts if p.feedback_due == rec.feedback_due and p.feedback_quote]
    basis = ""
    if quotes:
        part = quotes[0]
        basis = f"（{part.feedback_citation}：“{part.feedback_quote.rstrip('。')}”）"
    return f"请于{date_text(rec.feedback_due)}前将{what}情况书面反馈我局{basis}。"


# -- 改进工作建议 ------------------------------------------------------------------------------

def _unit_rows(frame, unit: str) -> pd.DataFrame:
    if frame is None or len(frame) == 0:
        return pd.DataFrame()
    return frame[frame["unit"] == unit]


def _count_text(cases: pd.DataFrame) -> str:
    """办理超期5个、未出具书面答复3个 … in the checks' report order."""
    order = {cid.value: i for i, cid in enumerate(checks())}
    counts = cases.groupby(["check_id", "check_name"]).size().reset_index(name="n")
    counts = counts.sort_values("check_id", key=lambda s: s.map(order))
    return "、".join(f"{name}{n}个" for name, n in zip(counts["check_name"], counts["n"]))


def improvement_letter(rec: Recommendation, result: AuditResult, cfg: AccountabilityConfig,
                       review=None) -> GongwenDocument:
    """督办及改进工作建议函 to one unit: the month's problems counted by type, the quoted
    articles, the recommendations, the reply deadline; the cases in a 附件 table."""
    doc = _new_document(cfg, rec.title, f"{rec.name}（{rec.id}）", rec.issued_on,
                        f"{rec.name},督办,{rec.unit}", "督办函")
    _opening(doc, cfg, _number(rec, cfg, rec.issued_on.year), rec.title, rec.addressee)
    fig = rec.figures
    laws = "".join(_quote_sentence(p.citation, p.quote) for p in rec.parts)
    doc.paragraph(f"{_sentence(laws)}我局对你单位{month_text(rec.period)}信访事项办理情况进行了督查，"
                  "现将发现的问题函告如下，请认真整改。")
    doc.heading("一、存在的问题")
    text = f"本月发现你单位履职问题{fig['findings']}个，涉及信访事项{fig['cases']}件"
    split = [f"本月新发现{fig['new']}个" if fig["new"] else "",
             f"以前月份已超期、至今仍未办理{fig['continuing']}个" if fig["continuing"] else ""]
    split = [s for s in split if s]
    if len(split) == 2:
        text += "，其中" + "，".join(split)
    text += f"。按问题类型分：{_count_text(rec.cases)}。"
    if len(rec.parts) > 1:
        text += "其中" + "，".join(f"适用{p.statute}的{p.findings}个" for p in rec.parts) + "。"
    doc.paragraph(text + "具体事项见附件。")
    doc.heading("二、改进工作建议")
    advice = list(dict.fromkeys(g.advice for g in rec.grounds if g.advice))
    for n, line in enumerate(advice, start=1):
        doc.paragraph(f"（{chinese_number(n)}）{line}")
    section = 3
    escalated = _unit_rows(getattr(review, "escalations", None), rec.unit)
    overdue = _unit_rows(getattr(review, "overdue", None), rec.unit)
    if len(escalated) or len(overdue):
        doc.heading(f"{chinese_number(section)}、重点督办事项")
        section += 1
        for row in escalated.itertuples(index=False):
            parts = [f"本月新发现{row.new}个" if row.new else "",
                     f"持续未办{row.continuing}个" if row.continuing else ""]
            doc.paragraph(f"你单位已连续{row.months}个月存在“{row.check_name}”问题（"
                          + "、".join(p for p in parts if p) + "），列为重点督办单位，"
                          "请主要负责同志亲自研究，提出整改措施。")
        for row in overdue.itertuples(index=False):
            number = f"（{row.doc_no}）" if isinstance(row.doc_no, str) else ""
            issued = f"于{date_text(row.issued_on)}" if pd.notna(row.issued_on) else ""
            doc.paragraph(f"我局{issued}发出的{row.kind_name}{number}，"
                          f"应于{date_text(row.feedback_due)}前书面反馈，截至"
                          f"{date_text(result.as_of.date())}已逾期{row.days_overdue}日仍未反馈，请一并补报。")
    doc.heading(f"{chinese_number(section)}、反馈要求")
    doc.paragraph(_feedback_sentence(rec, "整改落实和建议采纳"))
    name = f"{rec.unit}信访事项问题清单"
    _closing(doc, cfg, rec.issued_on, [name])
    doc.attachment(name)
    _case_tables(doc, rec, cfg)
    _colophon(doc, cfg, rec.issued_on, printer=False)
    return doc


def _case_tables(doc: GongwenDocument, rec: Recommendation, cfg: AccountabilityConfig) -> None:
    """The 附件 table, one per statute text (its name above it; 依据 gives the article)."""
    for part in rec.parts:
        cases = rec.cases[rec.cases["profile"].eq(part.profile)] if "profile" in rec.cases \
            else rec.cases[rec.cases["scheme"] == part.scheme]
        if len(rec.parts) > 1:
            doc.paragraph(f"适用{part.statute}（{len(cases)}个问题）", indent=False,
                          align="left", font=cfg.letters["heading_font"], keep_next=True)
        rows = _case_rows(cases, cfg.letters["detail_checks"])
        doc.table(CASE_TABLE_HEADERS, rows, CASE_TABLE_WIDTHS, align=CASE_TABLE_ALIGN,
                  size=CASE_TABLE_SIZE, cell_margin_mm=1)
        basis = _basis_line(cases, part.statute)
        if basis:
            doc.paragraph(basis, indent=False, align="left", size=CASE_TABLE_SIZE + 1.5,
                          line=(CASE_TABLE_SIZE + 1.5) * 1.5)


# -- 完善政策建议 ------------------------------------------------------------------------------

def _share(value) -> str:
    return "—" if value is None else f"{value:.1%}"


def policy_letter(rec: Recommendation, result: AuditResult, cfg: AccountabilityConfig,
                  review=None) -> GongwenDocument:
    """完善政策建议 on one category: the pattern with its figures, the units concerned."""
    doc = _new_document(cfg, rec.title, f"{rec.name}（{rec.id}）", rec.issued_on,
                        f"{rec.name},{rec.category}", "建议")
    _opening(doc, cfg, _number(rec, cfg, rec.issued_on.year), rec.title, rec.addressee)
    f = rec.figures
    doc.paragraph(
        f"{_sentence(_quote_sentence(rec.citation, rec.quote))}我局对{month_text(rec.period)}"
        f"{cfg.bureau['county']}信访事项办理情况进行了分析。“{rec.category}”类信访事项在多个单位反复出现，"
        f"反映出相关政策和工作机制需要完善，现提出{rec.name}如下。")
    doc.heading("一、基本情况")
    text = (f"本月办理的信访事项{f['total_items']}件中，“{rec.category}”类{f['items']}件，"
            f"占{_share(f['share'])}，涉及{f['units']}个责任单位。")
    if f["repeat_known"]:
        text += f"其中重复信访（重件）{f['repeat']}件，重复信访率{_share(f['repeat_share'])}。"
    if f["rated"]:
        text += (f"参加满意度评价{f['rated']}件，不满意{f['dissatisfied']}件，"
                 f"不满意率{_share(f['dissatisfied_share'])}。")
    doc.paragraph(text)
    doc.paragraph("各单位分布如下表（按事项数排列）：", keep_next=True)
    rows = [[r["unit"], str(r["items"]), str(r["repeat"]), str(r["dissatisfied"])]
            for r in f["by_unit"]]
    doc.table(["责任单位", "事项数", "重复信访件数", "不满意件数"], rows, [66, 30, 30, 30],
              align=["left", "center", "center", "center"])
    doc.heading("二、反映出的问题")
    for n, line in enumerate(f["pattern"], start=1):
        doc.paragraph(f"（{chinese_number(n)}）{line}。")
    t = f["thresholds"]
    doc.paragraph(f"（预警规则：同一类别事项不少于{t['min_items']}件、分布于不少于{t['min_units']}个单位，"
                  "且上述指标之一达到预警线。）")
    doc.heading("三、建议")
    doc.paragraph(f"建议组织有关部门对“{rec.category}”领域的政策规定及执行情况进行梳理评估，"
                  "研究解决群众反映集中的共性问题，完善相关政策措施和工作机制，从源头上减少同类信访事项。")
    doc.paragraph(_feedback_sentence(rec, "采纳"))
    _closing(doc, cfg, rec.issued_on)
    _colophon(doc, cfg, rec.issued_on, printer=False)
    return doc


# -- 行政处分建议 / 追究责任建议 ----------------------------------------------------------------

def sanction_letter(rec: Recommendation, result: AuditResult, cfg: AccountabilityConfig,
                    review=None) -> GongwenDocument:
    """处分/追责建议 draft: for every item the conduct (a finding) and the consequence after it
    (an event with its date), each by its id; undated facts listed 待核实."""
    doc = _new_document(cfg, rec.title, f"{rec.name}（草稿，{rec.id}）", rec.issued_on,
                        f"草稿,供审核,{rec.name},{rec.unit}", "草稿")
    doc.draft_banner("草稿（供审核，未经批准不得印发）")
    _opening(doc, cfg, _number(rec, cfg, rec.issued_on.year), rec.title + "（草稿）",
             rec.addressee)
    scheme = cfg.raw["schemes"][rec.scheme]
    items = list(dict.fromkeys(rec.conduct["case_id"].astype(str)))
    doc.paragraph(
        f"{_sentence(_quote_sentence(rec.citation, rec.quote))}"
        f"我局在信访事项办理情况督查中发现，{rec.unit}在办理下列{len(items)}件信访事项中存在"
        "拖延或敷衍的行为，其后发生了严重后果。现提出建议如下。")
    doc.heading("一、基本事实")
    for n, case_id in enumerate(items, start=1):
        doc.subheading(f"（{chinese_number(n)}）信访件{case_id}")
        acts = rec.conduct[rec.conduct["case_id"].astype(str) == case_id]
        for row in acts.itertuples(index=False):
            doc.labelled("行为：", f"{row.label}——{row.text}（问题类型：{row.check_name}）。")
        harm = rec.consequences[rec.consequences["case_id"].astype(str) == case_id]
        for row in harm.itertuples(index=False):
            label = "后果：" if row.counts else "待核实："
            doc.labelled(label, f"{row.label}——{row.text}。")
    doc.heading("二、认定依据")
    t = rec.figures["thresholds"]
    doc.paragraph(f"上述每件事项的行为与后果是两项不同的事实：行为为本月仍存在的履职问题（拖延以超过期限"
                  f"{t['overdue_days']}日以上计），后果为期限届满之后、本月内同一信访人就同一事项再次信访"
                  f"（集体访以{t['collective_people']}人以上计）；无日期的后果只列为待核实，不作为依据。"
                  "以上事实依据信访信息系统台账，须经调查核实。")
    doc.heading("三、建议")
    doc.paragraph(f"建议对{rec.unit}及有关责任人员{scheme['sanction_action']}。")
    doc.paragraph(_feedback_sentence(rec, "处理"))
    _closing(doc, cfg, rec.issued_on)
    _colophon(doc, cfg, rec.issued_on, printer=False)
    return doc


BUILDERS = {"improvement": improvement_letter, "policy": policy_letter,
            "sanction": sanction_letter}
FILE_LABELS = {"improvement": "督办及改进工作建议函", "policy": "完善政策建议", "sanction": "草稿"}


def letter_path(out_dir: Path, rec: Recommendation) -> Path:
    subject = rec.unit if rec.kind != "policy" else rec.category
    label = FILE_LABELS[rec.kind]
    if rec.kind == "sanction":
        label = f"草稿_{rec.name}"
    return out_dir / f"{rec.id}_{label}_{safe_name(subject)}.docx"


def write_letters(recommendations: RecommendationSet, result: AuditResult, out_dir,
                  *, review=None, config=None) -> list[Letter]:
    """Write one docx per recommendation into ``out_dir`` (created if needed).

    Parameters
    ----------
    recommendations : RecommendationSet
        With ``doc_no`` set on the approved ones (:func:`xfaudit.followup.number_approved`);
        the others are drafts whose 发文字号 keeps a blank serial.
    result : AuditResult
    out_dir : folder
    review : FollowupReview, optional
        Units escalated or late with feedback get a 重点督办 section in their letter.
    config : the bureau's configuration
    """
    cfg = load_config(config)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for rec in recommendations:
        doc = BUILDERS[rec.kind](rec, result, cfg, review)
        path = doc.save(letter_path(out_dir, rec))
        written.append(Letter(path=path, kind=rec.kind, title=rec.title.replace("|", ""),
                              unit=rec.unit, recommendation=rec.id, doc_no=rec.doc_no))
    return written


# -- 通报 -------------------------------------------------------------------------------------

FALLBACK_RANKING_RULE = "各单位本月履职问题数（已豁免的问题不计），由少到多排列；问题数相同的并列"


def _without_label(rule: str) -> str:
    """The ranking rule without its own label (the report's note reads ``排序规则：…``): the
    circular prints it after ``排名依据：`` once, never ``排名依据：排序规则：…``."""
    for label in ("排名依据：", "排序规则："):
        rule = rule.removeprefix(label)
    return rule


def _letter_units(result: AuditResult, cfg: AccountabilityConfig, units=None) -> pd.DataFrame:
    return accountable(result.findings, cfg.issuer, units)


def fallback_ranking(result: AuditResult, period: str | None = None, config=None,
                     units=None) -> pd.DataFrame:
    """A simple unit ranking by this month's non-waived findings (fewest first).

    Used only when no ranking (xfaudit.indicators) is given. Columns: rank, unit, items,
    findings, open_overdue; every unit with items this month is ranked (ties share a rank);
    the bureau itself and rows without a unit are not.
    """
    cfg = load_config(config)
    period = parse_period(period).label if period else default_period(result.as_of)
    frame = result.extract.frame
    from xfaudit.views import pseudo_units

    if "handling_unit" in frame:
        month = frame[period_items(frame, period).to_numpy(dtype=bool)]
        names = month["handling_unit"].dropna()
        names = names[~names.isin(pseudo_units()) & (names != cfg.issuer)]
        if units is not None:
            names = names[~names.map(units.is_bureau).astype(bool)]
    else:
        names = pd.Series([], dtype=object)
    items = names.value_counts()
    f = _letter_units(result, cfg, units)
    findings = f.groupby("responsible_unit").size()
    overdue = f[f["is_open"] & f["days_late"].notna()]
    open_over = overdue.groupby("responsible_unit")["case_id"].nunique()
    index = items.index.union(findings.index)
    table = pd.DataFrame({"items": items.reindex(index).fillna(0).astype(int)}).rename_axis(
        "unit")
    table["findings"] = findings.reindex(table.index).fillna(0).astype(int)
    table["open_overdue"] = open_over.reindex(table.index).fillna(0).astype(int)
    table = table.reset_index().sort_values(["findings", "open_overdue", "unit"], kind="stable")
    table.insert(0, "rank", table["findings"].rank(method="min").astype(int))
    return table.reset_index(drop=True)


def _ranking_cells(ranking: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    headers = [RANKING_HEADERS.get(c, str(c)) for c in ranking.columns]
    shown = pd.DataFrame(index=ranking.index)
    for column in ranking.columns:
        values = ranking[column]
        if pd.api.types.is_float_dtype(values):
            rate = str(column).endswith(("率", "rate")) and values.dropna().between(0, 1).all()
            shown[column] = (values.map(lambda v: "" if pd.isna(v) else f"{v:.1%}") if rate
                             else values.map(lambda v: "" if pd.isna(v) else
                                             (f"{v:.0f}" if float(v).is_integer()
                                              else f"{v:.1f}")))
        else:
            shown[column] = values.astype("string").fillna("")
    shown = shown.astype(str)
    filled = [c for c in shown.columns if (shown[c] != "").any()]   # drop all-empty columns
    return ([h for h, c in zip(headers, shown.columns) if c in filled],
            shown[filled].values.tolist())


def _ranking_widths(headers: list[str]) -> list[float]:
    total = 156.0
    unit_cols = [i for i, h in enumerate(headers) if h == "责任单位"]
    wide = 44.0 if unit_cols else 0.0
    rest = (total - wide) / max(len(headers) - len(unit_cols), 1)
    return [wide if i in unit_cols else rest for i in range(len(headers))]


def _without_pseudo_units(ranking: pd.DataFrame, bureau: str | None) -> pd.DataFrame:
    """A ranking never names "（未填写单位）" nor the bureau itself (a data-quality matter and
    the 自查 table, not ranked units)."""
    from xfaudit.views import pseudo_units

    column = next((c for c in ("责任单位", "unit", "handling_unit") if c in ranking.columns),
                  None)
    if column is None:
        return ranking
    keep = ~ranking[column].isin(pseudo_units() | ({bureau} if bureau else set()))
    return ranking[keep.to_numpy(dtype=bool)].reset_index(drop=True)


def overdue_by_unit(result: AuditResult, config=None, units=None) -> pd.DataFrame:
    """Units with overdue items this month (non-waived timed findings): open and done-late item
    counts."""
    cfg = load_config(config)
    f = _letter_units(result, cfg, units)
    f = f[f["days_late"].notna()]
    if f.empty:
        return pd.DataFrame(columns=["unit", "open_items", "late_items", "max_days"])
    g = f.groupby("responsible_unit")
    table = pd.DataFrame({
        "open_items": f[f["is_open"]].groupby("responsible_unit")["case_id"].nunique(),
        "late_items": f[~f["is_open"]].groupby("responsible_unit")["case_id"].nunique(),
        "max_days": g["days_late"].max()}).fillna(0).astype(int)
    table = table.rename_axis("unit").reset_index()
    return table.sort_values(["open_items", "max_days", "unit"], ascending=[False, False, True],
                             kind="stable").reset_index(drop=True)


def write_circular(result: AuditResult, path, *, period: str | None = None,
                   ranking: pd.DataFrame | None = None,
                   recommendations: RecommendationSet | None = None, review=None,
                   config=None, issued_on=None, doc_no: str | None = None,
                   ranking_rule: str | None = None, units=None, calendar=None) -> Path:
    """Write the monthly 通报 (文件格式): this month's figures, unit ranking, units named for
    overdue items, escalated units, late feedback, and the requirements.

    Parameters
    ----------
    result : AuditResult (waivers applied)
    path : the .docx to write
    period : ``YYYY-MM`` (default: the month of as_of)
    ranking : DataFrame, optional
        Unit ranking (e.g. from ``xfaudit.indicators``), shown as given without the pseudo-units
        and the bureau (known column names get Chinese headers). Default:
        :func:`fallback_ranking`.
    recommendations, review : optional, for the counts and the follow-up sections
    config, issued_on, doc_no : the bureau's configuration, 成文日期, 发文字号 (None: a draft)
    ranking_rule : str, optional
        How the given ranking was ordered (e.g. ``indicators.ranking_rule_text()``), printed
        above the table.
    units, calendar : the unit register and the run's calendar, optional
    """
    cfg = load_config(config)
    period = parse_period(period).label if period else default_period(result.as_of)
    issued = issue_date(result.as_of, cfg, issued_on, calendar)
    month = month_text(period)
    b = cfg.bureau
    title = cfg.letters["titles"]["circular"].format(period_text=month, county=b["county"])
    doc = _new_document(cfg, title, f"{month}信访事项办理情况通报", issued,
                        "通报,信访事项办理", "通报")
    doc.file_head(f"{b['issuer']}文件", _number(doc_no, cfg, issued.year))
    doc.title(title)
    doc.blank()
    doc.paragraph(f"{b['circular_addressee']}：", indent=False, align="left")
    as_of = date_text(result.as_of.date())
    f_all = result.findings
    f = _letter_units(result, cfg, units)
    frame = result.extract.frame
    in_month = period_items(frame, period)
    month_count = int(in_month.sum())
    waived = int((f_all["kind"].eq("accountability") & f_all["waived"]
                  & f_all["period_status"].isin(CURRENT)).sum())
    # new ledger-quality findings on the month's items (an old closed item's are not news)
    month_rows = set(frame.loc[in_month.to_numpy(dtype=bool), "source_row"])
    dq = int(((f_all["kind"] == "data_quality") & (f_all["period_status"] == NEW)
              & f_all["source_row"].isin(month_rows)).sum())
    doc.paragraph(f"我局对{month}{b['county']}信访事项办理情况进行了督查（督查截至{as_of}）。"
                  "现将有关情况通报如下。")
    n = 1
    doc.heading(f"{chinese_number(n)}、总体情况")
    new, cont = int((f["period_status"] == NEW).sum()), int((f["period_status"] == CONTINUING).sum())
    text = (f"本月办理的信访事项{month_count}件。发现各单位履职问题{len(f)}个，涉及信访事项"
            f"{f['case_id'].nunique()}件、责任单位{f['responsible_unit'].nunique()}个")
    if new and cont:
        text += f"，其中本月新发现{new}个，以前月份已超期、至今仍未办理{cont}个"
    text += "。"
    if len(f):
        text += f"按问题类型分：{_count_text(f)}。"
    if waived:
        text += f"经审核认定有正当理由的{waived}个问题已标注豁免，不计入本通报统计。"
    if dq:
        text += f"另发现台账质量问题{dq}个，请各单位核对更正。"
    doc.paragraph(text)
    missing = [item["name"] for item in result.summary.get("not_evaluated", [])]
    if missing:
        doc.paragraph("因台账缺少相应字段，" + "".join(f"“{name}”" for name in missing) + "未能评估。")
    if recommendations is not None:
        units_sent = {r.unit for r in recommendations.of_kind("improvement")}
        policies = len(recommendations.of_kind("policy"))
        if units_sent or policies:
            text = f"针对上述问题，我局向{len(units_sent)}个单位发出督办及改进工作建议函"
            text += f"，提出完善政策建议{policies}件。" if policies else "。"
            doc.paragraph(text)
    n += 1
    doc.heading(f"{chinese_number(n)}、各单位排名")
    if ranking is None:
        ranking = fallback_ranking(result, period, cfg, units)
        ranking_rule = ranking_rule or FALLBACK_RANKING_RULE
    ranking = _without_pseudo_units(ranking, cfg.issuer)
    doc.paragraph(f"排名依据：{_without_label(ranking_rule)}" if ranking_rule
                  else "各单位排名如下表：", keep_next=True)
    headers, cells = _ranking_cells(ranking)
    doc.table(headers, cells, _ranking_widths(headers), cell_margin_mm=1)
    n += 1
    doc.heading(f"{chinese_number(n)}、超期事项点名通报")
    over = overdue_by_unit(result, cfg, units)
    named = over[over["open_items"] > 0]
    if len(named):
        names = "、".join(f"{u}（{k}件）" for u, k in zip(named["unit"], named["open_items"]))
        doc.paragraph(f"截至{as_of}，以下单位存在超期未办结事项，予以通报：{names}。")
    else:
        doc.paragraph(f"截至{as_of}，未发现超期未办结事项。")
    if len(over):
        doc.paragraph("各单位超期情况如下表：", keep_next=True)
        cells = [[u, str(a), str(b_), str(m)] for u, a, b_, m in
                 over[["unit", "open_items", "late_items", "max_days"]].itertuples(index=False)]
        doc.table(["责任单位", "超期未办（件）", "本月超期办结（件）", "最长超期（日）"], cells,
                  [60, 32, 32, 32], align=["left", "center", "center", "center"],
                  cell_margin_mm=1)
    escalations = getattr(review, "escalations", None)
    if escalations is not None and len(escalations):
        n += 1
        doc.heading(f"{chinese_number(n)}、连续出现同类问题的单位")
        for unit, part in escalations.groupby("unit", sort=True):
            listed = "、".join(f"“{c}”（连续{m}个月）" for c, m in zip(part["check_name"], part["months"]))
            doc.paragraph(f"{unit}：{listed}，列为重点督办单位。")
    overdue = getattr(review, "overdue", None)
    if overdue is not None and len(overdue):
        n += 1
        doc.heading(f"{chinese_number(n)}、建议反馈情况")
        listed = "、".join(
            f"{u}（{d if isinstance(d, str) else k}，逾期{days}日）" for u, d, k, days in
            zip(overdue["unit"].fillna(overdue["addressee"]), overdue["doc_no"],
                overdue["kind_name"], overdue["days_overdue"]))
        doc.paragraph(f"截至{as_of}，以下单位未按期书面反馈我局所提建议的采纳情况：{listed}。")
    n += 1
    doc.heading(f"{chinese_number(n)}、工作要求")
    for k, line in enumerate(cfg.letters["circular"]["requirements"], start=1):
        doc.paragraph(f"（{chinese_number(k)}）{line}")
    _closing(doc, cfg, issued)
    _colophon(doc, cfg, issued, printer=True)
    return doc.save(path)


# -- preview ----------------------------------------------------------------------------------

#: fontconfig aliases so that a preview renders the 公文 font names with free CJK fonts.
FONT_ALIASES = {"方正小标宋简体": "Noto Serif CJK SC", "仿宋_GB2312": "Noto Serif CJK SC",
                "楷体_GB2312": "Noto Serif CJK SC", "黑体": "Noto Sans CJK SC",
                "宋体": "Noto Serif CJK SC"}


class PreviewError(XfauditError, RuntimeError):
    """LibreOffice is missing or failed to convert a letter."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    def message(self) -> str:
        return f"无法生成 PDF 预览：{self.reason}"


def _fontconfig_file(folder: Path) -> Path:
    aliases = "".join(f"<alias binding=\"same\"><family>{name}</family><prefer><family>{target}"
                      f"</family></prefer></alias>" for name, target in FONT_ALIASES.items())
    path = folder / "fonts.conf"
    path.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
                    f"{aliases}</fontconfig>", encoding="utf-8")
    return path


def to_pdf(paths: list[str | Path], out_dir: str | Path, *, timeout: float = 240) -> list[Path]:
    """Convert docx files to PDF with LibreOffice headless (one process for all files).

    The 公文 font names are kept in the documents; for the preview a private fontconfig file
    maps them to Noto CJK. Raises :class:`PreviewError` when ``soffice`` is missing or fails.
    """
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise PreviewError("未安装 LibreOffice（soffice），请安装 libreoffice-writer-nogui")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xfaudit-lo-") as tmp:
        env = {**os.environ, "FONTCONFIG_FILE": str(_fontconfig_file(Path(tmp))),
               "HOME": tmp}
        command = [soffice, "--headless", "--norestore",
                   f"-env:UserInstallation=file://{tmp}/profile", "--convert-to", "pdf",
                   "--outdir", str(out_dir), *map(str, paths)]
        try:
            done = subprocess.run(command, env=env, capture_output=True, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise PreviewError(f"LibreOffice 转换超时（{timeout}秒）") from None
    pdfs = [out_dir / (Path(p).stem + ".pdf") for p in paths]
    missing = [p.name for p in pdfs if not p.is_file()]
    if missing:
        detail = done.stderr.decode("utf-8", "replace")[-300:]
        raise PreviewError(f"未生成 {'、'.join(missing)}（{detail.strip() or done.returncode}）")
    return pdfs
