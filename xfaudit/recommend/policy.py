"""完善政策建议 (2005 第三十七条; 2022 第四十条第二款): per category with a pattern across units.

The figures are counts over the month's items (:func:`~xfaudit.recommend.model.period_items`:
the items a month-only export holds), not rule evaluations: a category qualifies when it is
broad (``min_items`` items over ``min_units`` units) and one signal — volume, repeat petitions,
dissatisfaction — reaches its line (``[policy]`` in recommendations.toml).
"""

from __future__ import annotations

import pandas as pd

from xfaudit.audit import AuditResult
from xfaudit.config import AccountabilityConfig
from xfaudit.indicators import unit_labels
from xfaudit.recommend.model import Context, Recommendation, period_items


def month_items(result: AuditResult, period: str) -> pd.DataFrame:
    """The items of the month (:func:`period_items`) with the profile governing each."""
    frame = result.extract.frame.assign(profile=result.clocks.frame["profile"].to_numpy())
    return frame[period_items(frame, period).to_numpy(dtype=bool)]


def category_figures(result: AuditResult, cfg: AccountabilityConfig, period: str
                     ) -> pd.DataFrame:
    """Per category: items, units, share of all items, repeat and dissatisfaction figures, and
    which policy signals reach their thresholds — over the month's items (vectorised)."""
    rules = cfg["policy"]
    frame = month_items(result, period)
    if "category" not in frame.columns or frame.empty:
        return pd.DataFrame()
    items = frame[frame["category"].notna()]
    g = items.groupby("category", sort=True)
    stats = pd.DataFrame({"items": g.size(),
                          "units": g["handling_unit"].nunique() if "handling_unit" in items
                          else 0})
    stats["share"] = stats["items"] / max(len(frame), 1)
    if "is_repeat" in items.columns:
        stats["repeat"] = g["is_repeat"].sum().astype(int)
        stats["repeat_known"] = g["is_repeat"].count()
    else:
        stats["repeat"], stats["repeat_known"] = 0, 0
    if "satisfaction" in items.columns:
        rated = items["satisfaction"].isin(rules["rated_values"])
        unhappy = items["satisfaction"].isin(rules["dissatisfied_values"])
        stats["rated"] = rated.groupby(items["category"]).sum().astype(int)
        stats["dissatisfied"] = unhappy.groupby(items["category"]).sum().astype(int)
    else:
        stats["rated"], stats["dissatisfied"] = 0, 0
    stats["repeat_share"] = stats["repeat"] / stats["repeat_known"].where(
        stats["repeat_known"] > 0)
    stats["dissatisfied_share"] = stats["dissatisfied"] / stats["rated"].where(stats["rated"] > 0)
    eps = 1e-12  # shares equal to a threshold must reach it despite binary fractions
    stats["volume_signal"] = stats["share"] >= rules["volume_share"] - eps
    stats["repeat_signal"] = (stats["repeat_share"] >= rules["repeat_share"] - eps).fillna(False)
    stats["dissatisfied_signal"] = ((stats["rated"] >= rules["min_rated"])
                                    & (stats["dissatisfied_share"]
                                       >= rules["dissatisfied_share"] - eps).fillna(False))
    stats["broad"] = (stats["items"] >= rules["min_items"]) & (stats["units"] >= rules["min_units"])
    stats["eligible"] = stats["broad"] & (stats["volume_signal"] | stats["repeat_signal"]
                                          | stats["dissatisfied_signal"])
    order = _profile_rank(result)
    counts = items.groupby(["category", "profile"]).size().rename("n").reset_index()
    counts["rank"] = counts["profile"].map(order)
    top = counts.sort_values(["category", "n", "rank"], ascending=[True, False, False])
    stats["profile"] = top.drop_duplicates("category").set_index("category")["profile"]
    return stats


def _profile_rank(result: AuditResult) -> dict[str, int]:
    return {p.name: i for i, p in enumerate(result.profiles.members)}


def _round(x) -> float | None:
    """A share for the figures dict (JSON-ready; None where there is no denominator)."""
    return None if pd.isna(x) else round(float(x), 4)


def _pct(x: float) -> str:
    return f"{x:.1%}"


def _pattern_lines(row: pd.Series, rules: dict) -> list[str]:
    lines = []
    if row["volume_signal"]:
        lines.append(f"事项数量集中：{row['items']}件，占全部事项的{_pct(row['share'])}"
                     f"（预警线{_pct(rules['volume_share'])}）")
    if row["repeat_signal"]:
        lines.append(f"重复信访突出：重件{row['repeat']}件，重复信访率{_pct(row['repeat_share'])}"
                     f"（预警线{_pct(rules['repeat_share'])}）")
    if row["dissatisfied_signal"]:
        lines.append(f"群众不满意率高：参评{row['rated']}件中不满意{row['dissatisfied']}件，"
                     f"不满意率{_pct(row['dissatisfied_share'])}"
                     f"（预警线{_pct(rules['dissatisfied_share'])}）")
    return lines


def _by_unit(items: pd.DataFrame, category: str, cfg: AccountabilityConfig) -> list[dict]:
    rules = cfg["policy"]
    part = items[items["category"] == category]
    unit = unit_labels(part)
    g = part.groupby(unit)
    table = pd.DataFrame({"items": g.size()})
    table["repeat"] = (g["is_repeat"].sum().astype(int) if "is_repeat" in part.columns else 0)
    table["dissatisfied"] = (part["satisfaction"].isin(rules["dissatisfied_values"])
                             .groupby(unit).sum().astype(int)
                             if "satisfaction" in part.columns else 0)
    table = table.sort_values(["items", "repeat"], ascending=False, kind="stable")
    table = table.head(int(rules["top_units"])).reset_index(names="unit")
    return table.to_dict(orient="records")


def policy(ctx: Context) -> list[Recommendation]:
    """完善政策建议 per category whose figures over the month's items show a pattern across
    units."""
    stats = category_figures(ctx.result, ctx.cfg, ctx.period)
    if stats.empty:
        return []
    items = month_items(ctx.result, ctx.period)
    rules = ctx.cfg["policy"]
    chosen = stats[stats["eligible"]].sort_values("items", ascending=False, kind="stable")
    out = []
    for category, row in chosen.iterrows():
        naming = ctx.naming("policy", row["profile"])
        scheme = ctx.profile_info(row["profile"])["scheme"]
        figures = {
            "category": category, "items": int(row["items"]), "units": int(row["units"]),
            "share": _round(row["share"]), "total_items": int(len(items)),
            "repeat": int(row["repeat"]), "repeat_known": int(row["repeat_known"]),
            "repeat_share": _round(row["repeat_share"]),
            "rated": int(row["rated"]), "dissatisfied": int(row["dissatisfied"]),
            "dissatisfied_share": _round(row["dissatisfied_share"]),
            "signals": [s for s in ("volume", "repeat", "dissatisfied") if row[f"{s}_signal"]],
            "pattern": _pattern_lines(row, rules),
            "by_unit": _by_unit(items, category, ctx.cfg),
            "thresholds": {k: rules[k] for k in ("min_items", "min_units", "volume_share",
                                                 "repeat_share", "dissatisfied_share",
                                                 "min_rated")},
        }
        addressee = scheme.policy_addressee.format(**ctx.cfg.bureau)
        out.append(Recommendation(
            id="", kind="policy", unit=None, addressee=addressee, category=str(category),
            title=ctx.title("policy", category=category, name=naming["name"]),
            period=ctx.period, issued_on=ctx.issued_on, figures=figures,
            quote=ctx.quote("policy", row["profile"]), **naming))
    return out
