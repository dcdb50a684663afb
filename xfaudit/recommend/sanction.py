"""行政处分建议 (2005 第三十八条) / 追究责任建议 (2022 第四十条第三款): drafts on distinct, proven
facts only.

Both texts require conduct (推诿、敷衍、拖延、弄虚作假) that **caused** a serious consequence.
A draft is made for an item only when the ledger proves both, as two different facts:

- **conduct** — a finding of this month (:func:`~xfaudit.recommend.model.accountable`):
  拖延 = a finding of ``overdue_checks`` at least ``overdue_days`` days late; 敷衍 = a finding of
  ``no_reply_checks``. Its *failure day* is the finding's last day (for a check without one,
  the day the act was owed: the 办结日期 of an item without a written reply);
- **consequence** — an event of :mod:`xfaudit.events` on the same matter, dated after the
  failure day and within the audited month: a later petition of the same petitioner (marked
  重件 and of the same 内容分类, as ``[sanction]`` says) — 重复信访, and also 越级 or 集体访 when it
  is one.

A consequence the ledger does not date — the item's own 是否越级 flag, its 不满意 rating — can
never be shown to follow the failure: it is listed in the draft as 待核实 and counts for
nothing. A record contradiction (RECORD_INCONSISTENT) is not proven 弄虚作假: an item whose only
conduct it is goes to the 待核实 list. Under the 2005 text a 行政处分建议 reaches only 行政机关
staff: a unit the unit register does not mark 行政机关 gets no draft (待核实 when the register
does not say).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xfaudit.events import ESCALATED, LATER, RATED
from xfaudit.periods import CURRENT
from xfaudit.recommend.model import (CONDUCT_COLUMNS, CONSEQUENCE_COLUMNS, PENDING_COLUMNS, UNIT,
                                     Context, Recommendation, case_table, unit_class,
                                     with_grounds)
from xfaudit.dates import chinese_dates, parse_period


def conduct(ctx: Context) -> pd.DataFrame:
    """Per finding that is conduct: ``source_row``, ``unit``, ``profile``, ``code``,
    ``proven`` and :data:`CONDUCT_COLUMNS` (vectorised over the findings)."""
    rules, labels = ctx.cfg["sanction"], ctx.cfg["sanction"]["labels"]
    f = ctx.accountable()
    parts = []
    late = f[f["check_id"].isin(rules["overdue_checks"])
             & (f["days_late"].fillna(0) >= int(rules["overdue_days"]))]
    if len(late):
        when = pd.Series(np.where(late["is_open"], "截至审计日仍未办理",
                                  chinese_dates(late["actual_on"]) + "办理"), index=late.index)
        parts.append(late.assign(
            code="overdue", label=labels["overdue"], since=late["last_day"], proven=True,
            text=(late["check_name"] + "，超过期限" + late["days_late"].astype("Int64")
                  .astype(str) + "日（期限届满日" + chinese_dates(late["last_day"]) + "，" + when
                  + "）")))
    silent = f[f["check_id"].isin(rules["no_reply_checks"])]
    if len(silent):
        parts.append(silent.assign(
            code="no_reply", label=labels["no_reply"], since=silent["start_on"], proven=True,
            text=chinese_dates(silent["start_on"]) + "办结，未出具书面答复意见"))
    # record contradictions are data-quality findings: suspected only, never proven conduct
    all_f = ctx.result.findings
    fake = all_f[all_f["check_id"].isin(rules["false_record_checks"])
                 & ~all_f["waived"].astype(bool) & all_f["period_status"].isin(CURRENT)]
    fake = fake[unit_class(fake, ctx.bureau, ctx.units) == UNIT]
    if len(fake):
        parts.append(fake.assign(code="false_record", label=labels["false_record"],
                                 since=fake["start_on"], proven=False,
                                 text=fake["detail"].fillna(fake["check_name"])))
    columns = ["source_row", "unit", "profile", "code", "proven", *CONDUCT_COLUMNS]
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)
    out = out.rename(columns={"responsible_unit": "unit"})
    return out[columns]


def _later_kinds(later: pd.DataFrame, rules: dict, labels: dict) -> tuple[pd.Series, pd.Series]:
    """Label and text of each later petition taken as a consequence."""
    crowd = later["people"].fillna(0).astype(int) >= int(rules["collective_people"])
    if rules["collective_channels"]:
        crowd &= later["channel"].isin(rules["collective_channels"])
    up = later["escalated"].fillna(False).astype(bool)
    label = pd.Series(labels["repeat"], index=later.index, dtype=object)
    label = label.where(~up, label + "、" + labels["escalated"])
    label = label.where(~crowd, label + "、" + labels["collective"])
    people = np.where(crowd, "（" + later["people"].astype("Int64").astype(str) + "人）", "")
    text = ("同一信访人就同一事项于" + chinese_dates(later["on"]) + "再次信访（信访件编号 "
            + later["later_case_id"].astype(str) + people + "）")
    return label, text


def consequences(ctx: Context, rows: pd.Index) -> pd.DataFrame:
    """The consequence facts of the items ``rows`` (source rows): ``source_row`` and
    :data:`CONSEQUENCE_COLUMNS`; ``counts`` is False for an undated fact (待核实)."""
    rules, labels = ctx.cfg["sanction"], ctx.cfg["sanction"]["labels"]
    events = ctx.result.events
    events = events[events["source_row"].isin(rows)]
    month = parse_period(ctx.period)
    parts = []
    later = events[events["event"] == LATER]
    if rules["repeat_needs_flag"]:
        later = later[later["repeat"].fillna(False).astype(bool)]
    if rules["repeat_same_category"]:
        later = later[later["same_category"].fillna(False).astype(bool)]
    later = later[later["on"].between(month.first_day, month.last_day)]
    if len(later):
        label, text = _later_kinds(later, rules, labels)
        parts.append(pd.DataFrame({"source_row": later["source_row"], "case_id": later["case_id"],
                                   "label": label, "on": later["on"],
                                   "later_case_id": later["later_case_id"], "text": text,
                                   "counts": True}))
    up = events[events["event"] == ESCALATED]
    if len(up):
        parts.append(pd.DataFrame({"source_row": up["source_row"], "case_id": up["case_id"],
                                   "label": "越级上访（待核实）", "on": pd.NaT,
                                   "later_case_id": None, "text": labels["undated_escalated"],
                                   "counts": False}))
    unhappy = events[(events["event"] == RATED)
                     & events["rating"].isin(ctx.cfg["policy"]["dissatisfied_values"])]
    if len(unhappy):
        parts.append(pd.DataFrame({"source_row": unhappy["source_row"],
                                   "case_id": unhappy["case_id"], "label": "不满意（待核实）",
                                   "on": pd.NaT, "later_case_id": None,
                                   "text": labels["undated_dissatisfied"], "counts": False}))
    columns = ["source_row", *CONSEQUENCE_COLUMNS]
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)
    out["on"] = pd.to_datetime(out["on"])
    return out[columns]


def _pairs(acts: pd.DataFrame, harm: pd.DataFrame) -> pd.DataFrame:
    """Every (conduct, counting consequence) on the same item with the consequence after the
    conduct's failure day."""
    counted = harm[harm["counts"].astype(bool)]
    pairs = acts.reset_index(names="act").merge(
        counted.reset_index(names="harm")[["source_row", "harm", "on"]], on="source_row")
    return pairs[(pairs["on"] > pairs["since"]).fillna(False)]


def _pending_rows(items: pd.DataFrame, what: str, reason: str) -> list[dict]:
    return [{"unit": unit, "what": what, "reason": reason, "findings": int(len(part)),
             "cases": "、".join(dict.fromkeys(part["case_id"].astype(str)))}
            for unit, part in items.groupby("unit", sort=True)]


def sanction(ctx: Context) -> tuple[list[Recommendation], list[dict]]:
    """The drafts, one per (unit, statute text), and the 待核实 rows of what made none."""
    acts = conduct(ctx)
    if acts.empty:
        return [], []
    harm = consequences(ctx, pd.Index(acts["source_row"].unique()))
    pairs = _pairs(acts, harm)
    proven = pairs[acts.loc[pairs["act"], "proven"].to_numpy(dtype=bool)]
    draft_rows = pd.Index(proven["source_row"].unique())
    pending: list[dict] = []
    # suspected 弄虚作假 followed by a dated consequence, no proven conduct: verify first
    suspected = pairs[~pairs["source_row"].isin(draft_rows)]
    if len(suspected):
        pending += _pending_rows(acts.loc[suspected["act"].unique()], "追究责任建议",
                                 "仅有台账记录矛盾（疑似弄虚作假），须核实后再决定是否提出")
    # proven conduct with only undated consequences
    undated = harm[~harm["counts"].astype(bool)]["source_row"]
    waiting = acts[acts["proven"].astype(bool) & acts["source_row"].isin(undated)
                   & ~acts["source_row"].isin(draft_rows)]
    if len(waiting):
        pending += _pending_rows(waiting.drop_duplicates("source_row"), "追究责任建议",
                                 "行为已查实，但后果（越级、不满意）台账无日期，无法确定发生在期限届满之后")
    if draft_rows.empty:
        return [], pending
    acts_used = acts.loc[proven["act"].unique()]
    harm_used = harm.loc[proven["harm"].unique()]
    harm_undated = harm[~harm["counts"].astype(bool) & harm["source_row"].isin(draft_rows)]
    findings = with_grounds(ctx.accountable(), ctx)
    order = ctx.profile_order()
    out = []
    groups = sorted(acts_used.groupby(["unit", "profile"], sort=False),
                    key=lambda g: (str(g[0][0]), order.get(g[0][1], 0)))
    for (unit, profile), part in groups:
        spec = ctx.profile_info(profile)["spec"]
        if spec.get("sanction_administrative_only"):
            administrative = ctx.units.is_administrative(unit) if ctx.units is not None else None
            if administrative is not True:
                reason = ("单位名录未说明该单位是否行政机关（待核实）" if administrative is None
                          else "该单位在单位名录中不是行政机关")
                pending += _pending_rows(part.drop_duplicates("source_row"), "行政处分建议",
                                         f"《信访条例》第三十八条的行政处分建议只适用于行政机关工作人员；{reason}")
                continue
        rows = part["source_row"].unique()
        naming = ctx.naming("sanction", profile)
        harm_part = pd.concat([harm_used[harm_used["source_row"].isin(rows)],
                               harm_undated[harm_undated["source_row"].isin(rows)]])
        harm_part = harm_part.sort_values(["case_id", "counts", "on"],
                                          ascending=[True, False, True], kind="stable")
        cases = findings[findings["source_row"].isin(rows)
                         & (findings["responsible_unit"] == unit)]
        figures = {"items": int(len(rows)), "conduct": int(len(part)),
                   "consequences": int(harm_part["counts"].astype(bool).sum()),
                   "thresholds": {k: ctx.cfg["sanction"][k] for k in
                                  ("overdue_days", "collective_people")}}
        out.append(Recommendation(
            id="", kind="sanction", unit=str(unit),
            addressee=ctx.cfg.bureau["sanction_addressee"],
            title=ctx.title("sanction", unit=unit, name=naming["name"]),
            period=ctx.period, issued_on=ctx.issued_on, cases=case_table(cases),
            conduct=part.sort_values(["case_id", "since"])[CONDUCT_COLUMNS]
            .reset_index(drop=True),
            consequences=harm_part[CONSEQUENCE_COLUMNS].reset_index(drop=True),
            figures=figures, draft=True, quote=ctx.quote("sanction", profile), **naming))
    return out, pending


__all__ = ["conduct", "consequences", "sanction", "PENDING_COLUMNS"]
