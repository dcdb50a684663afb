"""The three recommendations (三项建议) drafted from an audit's findings.

- 改进工作建议 (:mod:`~xfaudit.recommend.improvement`): one per responsible unit a month, its
  findings of this month grouped by the legal grounds of the statute in force for each item
  (2005 第三十六条第一款（一）–（六）; 2022 第四十条第一款);
- 完善政策建议 (:mod:`~xfaudit.recommend.policy`): per category whose items of the month show a
  pattern across units — volume, repeat-petition share, dissatisfaction share;
- 行政处分建议 (2005) / 追究责任建议 (2022) (:mod:`~xfaudit.recommend.sanction`): drafts only
  where a proven conduct (a finding) and a dated consequence after it (an event) are distinct
  facts on the same matter.

What a recommendation may rest on, and what is kept out of every letter (the bureau's own
failures → 自查; unknown units → 待核实; earlier months' closed lateness → 历史问题) is in
:mod:`~xfaudit.recommend.model`. Names, citations and grounds come from the rule profile in
force for each item and from ``xfaudit/data/recommendations.toml``; every threshold lives there.
Nothing here reads a petitioner's name, phone or id number: consequences come from
:mod:`xfaudit.events`, computed by the audit.
"""

from __future__ import annotations

import pandas as pd

from xfaudit.audit import AuditResult
from xfaudit.config import load_config
from xfaudit.dates import parse_period
from xfaudit.recommend.improvement import improvement
from xfaudit.recommend.model import (CASE_COLUMNS, CONDUCT_COLUMNS, CONSEQUENCE_COLUMNS,
                                     DOCUMENT_NAMES, HEADERS, KIND_TITLES, KINDS,
                                     OUTSIDE_PREFIX, PENDING_COLUMNS, PENDING, SELF, Context,
                                     GroundSummary, Recommendation, RecommendationSet,
                                     StatutePart, accountable, add_days, current,
                                     default_period, historical, issue_date, number,
                                     period_items, unit_class)
from xfaudit.recommend.policy import category_figures, policy
from xfaudit.recommend.sanction import sanction

__all__ = ["recommend", "Recommendation", "RecommendationSet", "GroundSummary", "StatutePart",
           "accountable", "current", "historical", "unit_class", "period_items", "issue_date",
           "add_days", "default_period", "category_figures", "KINDS", "KIND_TITLES",
           "DOCUMENT_NAMES", "HEADERS", "CASE_COLUMNS", "CONDUCT_COLUMNS",
           "CONSEQUENCE_COLUMNS", "PENDING_COLUMNS"]

#: Columns of the 自查 and 历史问题 tables (findings fields).
FINDING_VIEW = ["case_id", "check_name", "responsible_unit", "responsible_role", "last_day",
                "actual_on", "days_late", "is_open", "period_status", "citation", "detail"]


def _unit_pending(ctx: Context) -> list[dict]:
    """Findings of this month whose duty-holder is not known: no letter, listed 待核实."""
    f = ctx.result.findings
    mine = f[current(f) & (unit_class(f, ctx.bureau, ctx.units) == PENDING)]
    rows = []
    for unit, part in mine.groupby("responsible_unit", sort=True, dropna=False):
        outside = isinstance(unit, str) and unit.startswith(OUTSIDE_PREFIX)
        rows.append({"unit": unit.removeprefix(OUTSIDE_PREFIX) if outside else unit,
                     "what": "督办及改进工作建议函",
                     "reason": ("责任单位不属本县区（不在本县区单位名录中，或也出现在其他县区的事项中），"
                                "本县区不发函，请核实" if outside
                                else "责任主体不明（请在台账中补全后重新运行）"),
                     "findings": int(len(part)),
                     "cases": "、".join(dict.fromkeys(part["case_id"].astype(str)))})
    return rows


def recommend(result: AuditResult, period: str | None = None, *, config=None,
              issued_on=None, units=None, calendar=None) -> RecommendationSet:
    """Draft the three recommendations of an audit (waivers applied beforehand).

    Parameters
    ----------
    result : AuditResult
        The audit, with waivers applied (:func:`xfaudit.waivers.apply_waivers`); its
        findings' ``period_status`` says which are this month's.
    period : str, optional
        ``YYYY-MM`` (default: the month of ``result.as_of``); part of every id.
    config : AccountabilityConfig, path or dict, optional
        The bureau's configuration (:func:`xfaudit.config.load_config`).
    issued_on : date-like, optional
        成文日期 (default: ``[letters] issue_offset_days`` working days after as_of).
    units : UnitRegister, optional
        The unit register: which unit is the bureau itself, which is a 行政机关.
    calendar : LegalCalendar, optional
        The run's calendar (working days of the 成文日期 and feedback limits).

    Returns
    -------
    RecommendationSet
    """
    cfg = load_config(config)
    period = parse_period(period).label if period else default_period(result.as_of)
    issued = issue_date(result.as_of, cfg, issued_on, calendar)
    ctx = Context(result, cfg, period, issued, calendar=calendar, units=units)
    drafts, pending = sanction(ctx)
    items = improvement(ctx) + policy(ctx) + drafts
    number(items, cfg, period)
    f = result.findings
    notes = []
    if "category" not in result.extract.frame.columns:
        notes.append("台账缺少“内容分类”列，未评估完善政策建议。")
    own = f[current(f) & (unit_class(f, cfg.issuer, units) == SELF)]
    rules = {k: cfg[k] for k in ("improvement", "policy", "sanction")}
    return RecommendationSet(
        items=items, period=period, as_of=result.as_of, issued_on=issued, rules=rules,
        notes=notes, self_check=own.reindex(columns=FINDING_VIEW).reset_index(drop=True),
        pending=pd.DataFrame(_unit_pending(ctx) + pending, columns=PENDING_COLUMNS),
        history=historical(f).reindex(columns=FINDING_VIEW).reset_index(drop=True))
