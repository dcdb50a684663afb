"""Letters and the monthly circular as 公文 drafts (docx, GB/T 9704-2012 layout).

- one 督办及改进工作建议函 per unit (and statute text) — :func:`improvement_letter`;
- one 完善政策建议 per category with a cross-unit pattern — :func:`policy_letter`;
- one 行政处分建议 / 追究责任建议 draft per unit, marked 草稿（供审核） — :func:`sanction_letter`;
- the monthly 通报 with the unit ranking and the units named for overdue items —
  :func:`write_circular`.

Letters are built only from recommendation data, i.e. from findings fields and figures: no
petitioner's name, phone or id number can reach them, and the free-text 主要诉求 (which may
contain names) is never used. Layout is :mod:`xfaudit.writers.gongwen`; wording is Chinese
text here and in ``accountability.toml`` ``[letters]``.
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
from xfaudit.recommend import Recommendation, RecommendationSet, accountable
from xfaudit.writers.gongwen import GongwenDocument, chinese_number, date_text

#: Widths (mm) of the case table: 信访件编号, 问题类型, 期限届满日, 实际办理日期, 超期天数, 依据
#: — 156 mm, the A4 text width with 28/26 mm margins.
CASE_TABLE_HEADERS = ["信访件编号", "问题类型", "期限届满日", "实际办理日期", "超期天数", "依据"]
CASE_TABLE_WIDTHS = [34, 24, 23, 23, 13, 39]
CASE_TABLE_ALIGN = ["left", "left", "center", "center", "center", "left"]

_UNSAFE = re.compile(r'[\\/:*?"<>|\s\x00-\x1f\x7f]+')

#: Column names of a ranking frame shown with Chinese headers in the circular.
RANKING_HEADERS = {"rank": "排名", "unit": "责任单位", "handling_unit": "责任单位",
                   "items": "事项数", "findings": "问题数", "open_overdue": "超期未办",
                   "score": "得分"}


@dataclass(frozen=True)
class Letter:
    """A written letter: where it is and what it is."""

    path: Path
    kind: str                 # improvement | policy | sanction | circular
    title: str
    unit: str | None
    recommendation: str | None
    doc_no: str


def doc_number(code: str, year: int, serial: int | None) -> str:
    """发文字号 such as 云溪信督〔2026〕12号 (a draft without a number keeps the blank)."""
    blank = "\u3000\u3000"  # a draft keeps two full-width spaces for the serial
    return f"{code}〔{year}〕{serial if serial is not None else blank}号"


def safe_name(text: str) -> str:
    """A file-name-safe version of a unit or category name."""
    return _UNSAFE.sub("_", str(text)).strip("_")[:60] or "未命名"


def _day(value) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d")


def _case_rows(cases: pd.DataFrame, detail_checks=()) -> list[list[str]]:
    """The case table's cells (vectorised formatting, one list per row for the writer).

    For ``detail_checks`` (checks whose detail is a fixed phrase, e.g. the reasons an
    extension is irregular) the detail follows the check name.
    """
    if cases.empty:
        return []
    kind = cases["check_name"].astype(str)
    with_detail = cases["check_id"].isin(list(detail_checks)) & cases["detail"].notna()
    kind = kind.where(~with_detail, kind + "（" + cases["detail"].astype(str) + "）")
    last = cases["last_day"].dt.strftime("%Y-%m-%d").fillna("—")
    done = cases["actual_on"].dt.strftime("%Y-%m-%d")
    done = done.where(done.notna(), cases["is_open"].map({True: "尚未办理", False: "—"}))
    late = cases["days_late"].astype("Int64").astype("string").fillna("—")
    table = pd.DataFrame({"a": cases["case_id"].astype(str), "b": kind,
                          "c": last, "d": done, "e": late, "f": cases["citation"].fillna("")})
    return table.astype(str).values.tolist()


def _new_document(cfg: AccountabilityConfig, title: str, subject: str, issued: dt.date,
                  keywords: str, category: str) -> GongwenDocument:
    created = dt.datetime.combine(issued, dt.time(9, 0))
    return GongwenDocument(cfg.letters, {
        "title": title, "subject": subject, "author": cfg.issuer["name"],
        "keywords": keywords, "comments": "由 xfaudit 生成的草稿，须经审核后使用",
        "category": category, "created": created})


def _head(doc: GongwenDocument, cfg: AccountabilityConfig, doc_no: str, title: str,
          addressee: str) -> None:
    doc.head(cfg.issuer["name"], doc_no)
    doc.title(title)
    doc.blank()
    doc.paragraph(f"{addressee}：", indent=False, align="left")


def _close(doc: GongwenDocument, cfg: AccountabilityConfig, issued: dt.date) -> None:
    doc.signature(cfg.issuer["name"], date_text(issued))
    doc.colophon(cfg.issuer["name"], date_text(issued))


def _case_table(doc: GongwenDocument, cases: pd.DataFrame, cfg: AccountabilityConfig) -> None:
    rows = _case_rows(cases, cfg.letters["detail_checks"])
    doc.table(CASE_TABLE_HEADERS, rows, CASE_TABLE_WIDTHS, align=CASE_TABLE_ALIGN)


def _number_of(rec: Recommendation, cfg: AccountabilityConfig) -> str:
    return rec.doc_no or doc_number(cfg.issuer["code"], rec.issued_on.year, None)


def _feedback_sentence(rec: Recommendation, what: str) -> str:
    if rec.feedback_due is None:
        return f"请将{what}情况及时书面反馈我局。"
    return (f"根据{rec.feedback_citation}规定，请于{date_text(rec.feedback_due)}前将{what}情况"
            "书面反馈我局。")


# -- 改进工作建议 ------------------------------------------------------------------------------

def _unit_rows(frame, unit: str) -> pd.DataFrame:
    if frame is None or len(frame) == 0:
        return pd.DataFrame()
    return frame[frame["unit"] == unit]


def improvement_letter(rec: Recommendation, result: AuditResult, cfg: AccountabilityConfig,
                       review=None) -> GongwenDocument:
    """督办及改进工作建议函 to one unit: findings by legal ground, case table, requests."""
    doc = _new_document(cfg, rec.title, f"{rec.name}（{rec.id}）", rec.issued_on,
                        f"{rec.name},督办,{rec.unit}", "督办函")
    _head(doc, cfg, _number_of(rec, cfg), rec.title, rec.addressee)
    fig = rec.figures
    doc.paragraph(
        f"根据{rec.citation}等规定，我局对你单位截至{date_text(result.as_of.date())}的信访事项办理"
        f"情况进行了督查，发现{fig['cases']}件信访事项存在{fig['findings']}个履职问题"
        f"（其中截至督查日仍未办理的{fig['open']}个；经审核认定有正当理由的问题已予豁免，不计入本函）。"
        f"现予督办，并提出{rec.name}如下。")
    doc.heading("一、存在的问题")
    for n, ground in enumerate(rec.grounds, start=1):
        ids = "、".join(ground.case_ids[:10]) + ("等" if len(ground.case_ids) > 10 else "")
        doc.labelled(f"（{chinese_number(n)}）{ground.label}。",
                     f"{ground.findings}个问题，涉及信访件{ids}（{ground.citation}）。")
    doc.paragraph("具体事项如下表：", keep_next=True)
    _case_table(doc, rec.cases, cfg)
    doc.heading("二、改进工作建议")
    for n, ground in enumerate(rec.grounds, start=1):
        doc.paragraph(f"（{chinese_number(n)}）{ground.advice}")
    section = 3
    escalated = _unit_rows(getattr(review, "escalations", None), rec.unit)
    overdue = _unit_rows(getattr(review, "overdue", None), rec.unit)
    if len(escalated) or len(overdue):
        doc.heading(f"{chinese_number(section)}、重点督办事项")
        section += 1
        for row in escalated.itertuples(index=False):
            doc.paragraph(f"你单位已连续{row.months}个月出现“{row.check_name}”问题（本月{row.findings}个），"
                          "列为重点督办单位，请主要负责同志亲自研究，提出整改措施。")
        for row in overdue.itertuples(index=False):
            doc.paragraph(f"我局于{date_text(row.issued_on)}提出的{row.kind_name}（{row.doc_no}），"
                          f"应于{date_text(row.feedback_due)}前书面反馈采纳情况，截至"
                          f"{date_text(result.as_of.date())}已逾期{row.days_overdue}日仍未反馈，请一并补报。")
    doc.heading(f"{chinese_number(section)}、反馈要求")
    doc.paragraph(_feedback_sentence(rec, "整改落实和建议采纳"))
    _close(doc, cfg, rec.issued_on)
    return doc


# -- 完善政策建议 ------------------------------------------------------------------------------

def _share(value) -> str:
    return "—" if value is None else f"{value:.1%}"


def policy_letter(rec: Recommendation, result: AuditResult, cfg: AccountabilityConfig,
                  review=None) -> GongwenDocument:
    """完善政策建议 on one category: the pattern with its figures, the units concerned."""
    doc = _new_document(cfg, rec.title, f"{rec.name}（{rec.id}）", rec.issued_on,
                        f"{rec.name},{rec.category}", "建议")
    _head(doc, cfg, _number_of(rec, cfg), rec.title, rec.addressee)
    f = rec.figures
    doc.paragraph(
        f"根据{rec.citation}等规定，我局对{month_text(rec.period)}{cfg.issuer['county']}信访事项"
        f"办理情况进行了分析。“{rec.category}”类信访事项在多个单位反复出现，反映出相关政策和工作"
        f"机制需要完善，现提出{rec.name}如下。")
    doc.heading("一、基本情况")
    text = (f"本次共分析信访事项{f['total_items']}件，其中“{rec.category}”类{f['items']}件，"
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
    _close(doc, cfg, rec.issued_on)
    return doc


# -- 行政处分建议 / 追究责任建议 ----------------------------------------------------------------

def sanction_letter(rec: Recommendation, result: AuditResult, cfg: AccountabilityConfig,
                    review=None) -> GongwenDocument:
    """处分/追责建议 draft: for every item the behaviour AND the serious consequence."""
    doc = _new_document(cfg, rec.title + "（草稿）", f"{rec.name}（草稿，{rec.id}）",
                        rec.issued_on, f"草稿,供审核,{rec.name},{rec.unit}", "草稿")
    doc.draft_banner("草稿（供审核，未经批准不得印发）")
    _head(doc, cfg, _number_of(rec, cfg), rec.title, rec.addressee)
    scheme = cfg.raw["schemes"][rec.scheme]
    doc.paragraph(
        f"我局在信访事项办理情况督查中发现，{rec.unit}在办理下列{len(rec.evidence)}件信访事项中"
        "存在推诿、敷衍、拖延、弄虚作假等行为，并造成了严重后果。根据"
        f"{rec.citation}规定，现提出{rec.name}如下。")
    doc.heading("一、基本事实")
    for n, row in enumerate(rec.evidence.itertuples(index=False), start=1):
        doc.subheading(f"（{chinese_number(n)}）信访件{row.case_id}")
        doc.labelled("行为：", row.behaviour + "。")
        doc.labelled("后果：", row.consequences + "。")
    doc.paragraph("相关问题如下表：", keep_next=True)
    _case_table(doc, rec.cases, cfg)
    doc.heading("二、认定依据")
    t = rec.figures["thresholds"]
    doc.paragraph(f"上述每件事项均同时具备行为和严重后果两方面证据（拖延以超过期限{t['overdue_days']}日以上计，"
                  f"集体访以{t['collective_people']}人以上计），符合{rec.citation}规定的情形。"
                  "以上事实依据信访信息系统台账，须经调查核实。")
    doc.heading("三、建议")
    doc.paragraph(f"建议对{rec.unit}及有关责任人员{scheme['sanction_action']}。")
    doc.paragraph(_feedback_sentence(rec, "处理"))
    _close(doc, cfg, rec.issued_on)
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
        With ``doc_no`` assigned (see :func:`xfaudit.followup.assign_numbers`); without one,
        the 发文字号 keeps a blank serial for the inspector.
    result : AuditResult
    out_dir : folder
    review : FollowupReview, optional
        Units escalated or late with feedback get a 重点督办 section in their letter.
    config : configuration overrides
    """
    cfg = load_config(config)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for rec in recommendations:
        doc = BUILDERS[rec.kind](rec, result, cfg, review)
        path = doc.save(letter_path(out_dir, rec))
        written.append(Letter(path=path, kind=rec.kind, title=rec.title, unit=rec.unit,
                              recommendation=rec.id, doc_no=_number_of(rec, cfg)))
    return written


# -- 通报 -------------------------------------------------------------------------------------

FALLBACK_RANKING_RULE = "各单位履职问题数（已豁免的问题不计），由少到多排列；问题数相同的并列"


def fallback_ranking(result: AuditResult) -> pd.DataFrame:
    """A simple unit ranking by non-waived accountability findings (fewest first).

    Used only when no ranking (xfaudit.indicators) is given. Columns: rank, unit, items,
    findings, open_overdue; every unit of the extract is ranked (ties share a rank).
    """
    frame = result.extract.frame
    units = (frame["handling_unit"].dropna() if "handling_unit" in frame
             else pd.Series([], dtype=object))
    items = units.value_counts()
    f = accountable(result.findings)
    findings = f.groupby("handling_unit").size()
    overdue = f[f["is_open"] & f["days_late"].notna()]
    open_over = overdue.groupby("handling_unit")["case_id"].nunique()
    table = pd.DataFrame({"items": items}).rename_axis("unit")
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
                             else values.round(2).astype("string").fillna(""))
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


def overdue_by_unit(result: AuditResult) -> pd.DataFrame:
    """Units with overdue items (non-waived timed findings): open and done-late item counts."""
    f = accountable(result.findings)
    f = f[f["days_late"].notna()]
    if f.empty:
        return pd.DataFrame(columns=["unit", "open_items", "late_items", "max_days"])
    g = f.groupby("handling_unit")
    table = pd.DataFrame({
        "open_items": f[f["is_open"]].groupby("handling_unit")["case_id"].nunique(),
        "late_items": f[~f["is_open"]].groupby("handling_unit")["case_id"].nunique(),
        "max_days": g["days_late"].max()}).fillna(0).astype(int)
    table = table.rename_axis("unit").reset_index()
    return table.sort_values(["open_items", "max_days", "unit"], ascending=[False, False, True],
                             kind="stable").reset_index(drop=True)


def write_circular(result: AuditResult, path, *, period: str | None = None,
                   ranking: pd.DataFrame | None = None,
                   recommendations: RecommendationSet | None = None, review=None,
                   config=None, issued_on=None, doc_no: str | None = None,
                   ranking_rule: str | None = None) -> Path:
    """Write the monthly 通报: overview, unit ranking, units named for overdue items,
    escalated units, late feedback, and the requirements.

    Parameters
    ----------
    result : AuditResult (waivers applied)
    path : the .docx to write
    period : ``YYYY-MM`` (default: the month of as_of)
    ranking : DataFrame, optional
        Unit ranking (e.g. from ``xfaudit.indicators``), shown as given (known column names
        get Chinese headers). Default: :func:`fallback_ranking`.
    recommendations, review : optional, for the counts and the follow-up sections
    config, issued_on, doc_no : configuration overrides, 成文日期, 发文字号
    ranking_rule : str, optional
        How the given ranking was ordered (e.g. ``indicators.ranking_rule_text()``), printed
        above the table.
    """
    from xfaudit.recommend import default_period, issue_date

    cfg = load_config(config)
    period = parse_period(period).label if period else default_period(result.as_of)
    issued = issue_date(result.as_of, cfg, issued_on)
    month = month_text(period)
    title = cfg.letters["titles"]["circular"].format(period_text=month,
                                                     county=cfg.issuer["county"])
    doc = _new_document(cfg, title, f"{month}信访事项办理情况通报", issued,
                        "通报,信访事项办理", "通报")
    _head(doc, cfg, doc_no or doc_number(cfg.issuer["code"], issued.year, None), title,
          cfg.issuer["circular_addressee"])
    as_of = date_text(result.as_of.date())
    f_all = result.findings
    f = accountable(f_all)
    rows = result.summary["rows"]
    waived = int((f_all["kind"].eq("accountability") & f_all["waived"]).sum())
    dq = int((f_all["kind"] == "data_quality").sum())
    doc.paragraph(f"我局对{month}{cfg.issuer['county']}信访事项办理情况进行了督查（督查截至{as_of}）。"
                  "现将有关情况通报如下。")
    n = 1
    doc.heading(f"{chinese_number(n)}、总体情况")
    text = (f"本次共审计信访事项{rows['audited']}件。发现履职问题{len(f)}个，涉及信访事项"
            f"{f['case_id'].nunique()}件、责任单位{f['handling_unit'].nunique()}个；"
            f"截至{as_of}仍超期未办的{int((f['is_open'] & f['days_late'].notna()).sum())}个。")
    if waived:
        text += f"经审核认定有正当理由的{waived}个问题已标注豁免，不计入本通报统计。"
    if dq:
        text += f"另发现台账质量问题{dq}个，请各单位核对更正。"
    doc.paragraph(text)
    for item in result.summary.get("not_evaluated", []):
        doc.paragraph(f"因台账缺少相应字段，“{item['name']}”未能评估。")
    if recommendations is not None:
        units = {r.unit for r in recommendations.of_kind("improvement")}
        policies = len(recommendations.of_kind("policy"))
        if units or policies:
            text = f"针对上述问题，我局向{len(units)}个单位发出督办及改进工作建议函"
            text += f"，提出完善政策建议{policies}件。" if policies else "。"
            doc.paragraph(text)
    n += 1
    doc.heading(f"{chinese_number(n)}、各单位排名")
    if ranking is None:
        ranking = fallback_ranking(result)
        ranking_rule = ranking_rule or FALLBACK_RANKING_RULE
    doc.paragraph(f"排名依据：{ranking_rule.removeprefix('排名依据：')}" if ranking_rule
                  else "各单位排名如下表：", keep_next=True)
    headers, cells = _ranking_cells(ranking)
    doc.table(headers, cells, _ranking_widths(headers))
    n += 1
    doc.heading(f"{chinese_number(n)}、超期事项点名通报")
    over = overdue_by_unit(result)
    named = over[over["open_items"] > 0]
    if len(named):
        names = "、".join(f"{u}（{k}件）" for u, k in zip(named["unit"], named["open_items"]))
        doc.paragraph(f"截至{as_of}，以下单位存在超期未办结事项，予以通报：{names}。")
    else:
        doc.paragraph(f"截至{as_of}，未发现超期未办结事项。")
    if len(over):
        doc.paragraph("各单位超期情况如下表：", keep_next=True)
        cells = [[u, str(a), str(b), str(m)] for u, a, b, m in
                 over[["unit", "open_items", "late_items", "max_days"]].itertuples(index=False)]
        doc.table(["责任单位", "超期未办（件）", "超期办结（件）", "最长超期（日）"], cells,
                  [60, 32, 32, 32], align=["left", "center", "center", "center"])
    escalations = getattr(review, "escalations", None)
    if escalations is not None and len(escalations):
        n += 1
        doc.heading(f"{chinese_number(n)}、连续出现同类问题的单位")
        for unit, part in escalations.groupby("unit", sort=True):
            checks = "、".join(f"“{c}”（连续{m}个月）" for c, m in zip(part["check_name"], part["months"]))
            doc.paragraph(f"{unit}：{checks}，列为重点督办单位。")
    overdue = getattr(review, "overdue", None)
    if overdue is not None and len(overdue):
        n += 1
        doc.heading(f"{chinese_number(n)}、建议反馈情况")
        listed = "、".join(f"{u}（{d}，逾期{k}日）" for u, d, k in
                           zip(overdue["unit"].fillna(overdue["addressee"]), overdue["doc_no"],
                               overdue["days_overdue"]))
        doc.paragraph(f"截至{as_of}，以下单位未按期书面反馈我局所提建议的采纳情况：{listed}。")
    n += 1
    doc.heading(f"{chinese_number(n)}、工作要求")
    for k, line in enumerate(cfg.letters["circular"]["requirements"], start=1):
        doc.paragraph(f"（{chinese_number(k)}）{line}")
    _close(doc, cfg, issued)
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
