"""督办及改进工作建议 (2005 第三十六条; 2022 第四十条第一款): one per responsible unit a month.

A unit with at least ``[improvement] min_findings`` findings of this month (:func:`accountable`)
gets one recommendation — one letter — holding its items under either statute text, each part
citing its own article and grounds (2005 第三十六条第一款（一）–（六）; 2022 第四十条第一款).
"""

from __future__ import annotations

import pandas as pd

from xfaudit.periods import CONTINUING, NEW
from xfaudit.recommend.model import (Context, GroundSummary, Recommendation, StatutePart,
                                     case_table, with_grounds)


def _part(ctx: Context, profile: str, part: pd.DataFrame) -> StatutePart:
    naming = ctx.naming("improvement", profile)
    scheme = ctx.profile_info(profile)["scheme"]
    grounds = tuple(
        GroundSummary(code=g.code, label=g.label, citation=g.citation, advice=g.advice,
                      findings=int((part["ground"] == g.code).sum()),
                      case_ids=tuple(dict.fromkeys(part.loc[part["ground"] == g.code,
                                                            "case_id"].astype(str))))
        for g in scheme.grounds if (part["ground"] == g.code).any())
    return StatutePart(scheme=scheme.key, statute=scheme.statute, profile=profile,
                       citation=naming["citation"], quote=ctx.quote("improvement", profile),
                       grounds=grounds, findings=int(len(part)),
                       feedback_due=naming["feedback_due"],
                       feedback_basis=naming["feedback_basis"],
                       feedback_citation=naming["feedback_citation"],
                       feedback_quote=ctx.profile_info(profile)["spec"].get("feedback_quote", ""))


def _joined(values) -> str:
    return "、".join(dict.fromkeys(v for v in values if v))


def improvement(ctx: Context) -> list[Recommendation]:
    """One improvement recommendation per responsible unit with enough findings this month."""
    f = ctx.accountable()
    if f.empty:
        return []
    f = with_grounds(f, ctx)
    order = ctx.profile_order()
    threshold = int(ctx.cfg["improvement"]["min_findings"])
    out = []
    for unit, part in sorted(f.groupby("responsible_unit", sort=False), key=lambda g: str(g[0])):
        if len(part) < threshold:
            continue
        profiles = sorted(part["profile"].dropna().unique(), key=lambda p: order.get(p, 0))
        parts = tuple(_part(ctx, p, part[part["profile"] == p]) for p in profiles)
        dues = [p.feedback_due for p in parts if p.feedback_due is not None]
        due = min(dues) if dues else None
        basis = "；".join(dict.fromkeys(p.feedback_basis for p in parts
                                         if p.feedback_due == due)) if due else \
            "；".join(dict.fromkeys(p.feedback_basis for p in parts))
        first = parts[0]
        figures = {"findings": int(len(part)), "cases": int(part["case_id"].nunique()),
                   "new": int((part["period_status"] == NEW).sum()),
                   "continuing": int((part["period_status"] == CONTINUING).sum()),
                   "open": int(part["is_open"].sum()),
                   "by_check": part.groupby("check_name", sort=False).size().to_dict(),
                   "threshold_min_findings": threshold}
        out.append(Recommendation(
            id="", kind="improvement", name=ctx.naming("improvement", first.profile)["name"],
            unit=str(unit), addressee=str(unit),
            title=ctx.title("improvement", unit=unit, name="改进工作建议"),
            statute=_joined(p.statute for p in parts), citation=_joined(p.citation for p in parts),
            scheme="+".join(p.scheme for p in parts), profile=_joined(p.profile for p in parts),
            period=ctx.period, issued_on=ctx.issued_on, feedback_due=due, feedback_basis=basis,
            feedback_citation=_joined(p.feedback_citation for p in parts if p.feedback_due == due),
            parts=parts, cases=case_table(part), figures=figures,
            quote=first.quote))
    return out
