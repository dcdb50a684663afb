"""Unit indicators (单位考核指标) per handling unit and for the whole extract (全县合计).

The indicators and their formulas are data (``[indicators.*]`` in
``xfaudit/data/monthly.toml``; README, "Unit indicators"); every figure is reported with
its numerator, its denominator and the Chinese formula text, which the report prints beside it.

- 及时受理率 = 按期登记转送交办件数 ÷ 登记转送期限届满日在本期内的件数
- 按期办结率 = 按期办结件数 ÷ 办理期限（含有效延期）届满日在本期内的件数
- 参评率 = 已评价件数 ÷ (已评价件数 + 超期未评价件数)，本期办结的事项
- 满意率 = (满意件数 + 基本满意件数) ÷ 已评价件数，本期办结的事项
- 重复信访率 = 重件数 ÷ 本期收到的全部件数

The two time indicators read the derived clocks of the audit (``result.clocks.frame``: the
``REG_LATE`` / ``HANDLING_OVERDUE`` last day, act and open flag), so the deadline, the rule profile
in force for the item and any valid extension are exactly those the findings use; nothing is
recomputed here. "In the period" means on or after the period's first day and on or before
the earlier of its last day and the as-of date. Items are counted for the unit in their 责任单位
column (REG_LATE is the petition bureau's act, but it is reported per 责任单位 like its
findings). An indicator whose input columns are absent is reported as "未计算：缺少…"; a unit
with no item in a denominator has no figure ("本期无适用事项").

Ranking for the circular (通报): units are ordered by the keys of ``[ranking]`` in
monthly.toml — by default 按期办结率 (higher first), then 及时受理率 (higher first), then the
number of accountability findings (fewer first). The counts (履职问题, 超期仍未办) are the
circular's: the non-waived findings of this month (本期新发现, 持续未办) whose duty the unit
owes (``responsible_unit``). A unit without a figure for a key comes after
every unit with one; units equal on every key share a rank (1, 2, 2, 4 …) and are listed by name.
Rank 1 is the best.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from xfaudit.clocks import ACT_ON, LAST_DAY, OPEN
from xfaudit.schema import CheckId, checks, header_of
from xfaudit.config import settings
from xfaudit.dates import parse_period
from xfaudit.periods import current
from xfaudit.views import open_overdue_mask, pseudo_units

#: Columns of :attr:`Indicators.table`.
TABLE_COLUMNS = ["unit", "indicator", "name", "numerator", "denominator", "rate", "status",
                 "formula"]

STATUS_OK = "已计算"
STATUS_EMPTY = "本期无适用事项"

#: Count keys a ranking may use beside the indicators (name → Chinese header).
COUNT_KEYS = {"accountability_findings": "履职问题", "open_overdue": "超期仍未办"}


@dataclass(frozen=True)
class IndicatorSpec:
    """One indicator's definition (from monthly.toml)."""

    key: str
    name: str
    kind: str                                  # "clock" or "values"
    numerator: str                             # Chinese name of the numerator
    denominator: str                           # Chinese name of the denominator
    check: str | None = None                   # kind "clock": the check whose clock is read
    period_field: str | None = None            # kind "values": the date placing an item in a period
    sources: tuple[ValueSource, ...] = ()      # kind "values": the first whose column exists

    @property
    def formula(self) -> str:
        """The formula as printed in the report."""
        return f"{self.name} = {_term(self.numerator)} ÷ {_term(self.denominator)} × 100%"

    def source_for(self, columns) -> ValueSource | None:
        """The first source whose column the extract has."""
        return next((s for s in self.sources if s.column in columns), None)


@dataclass(frozen=True)
class ValueSource:
    """Where a "values" indicator reads its items: a column and the values that count."""

    column: str
    numerator_values: tuple = ()
    denominator_values: tuple | None = None


def _term(text: str) -> str:
    """A sum is bracketed so that the printed formula reads unambiguously."""
    return f"（{text}）" if "+" in text else text


@cache
def indicator_specs() -> dict[str, IndicatorSpec]:
    """The indicators in report order, keyed by their key (``on_time_conclusion`` …)."""
    specs = {}
    for key, spec in settings()["indicators"].items():
        sources = tuple(
            ValueSource(column=s["column"], numerator_values=tuple(s.get("numerator_values", ())),
                        denominator_values=(tuple(s["denominator_values"])
                                            if s.get("denominator_values") else None))
            for s in spec.get("sources", ()))
        specs[key] = IndicatorSpec(
            key=key, name=spec["name"], kind=spec["kind"], numerator=spec["numerator"],
            denominator=spec["denominator"], check=spec.get("check"),
            period_field=spec.get("period_field"), sources=sources)
    return specs


@dataclass
class Indicators:
    """Indicator figures of one period, per unit and overall.

    Attributes
    ----------
    table : DataFrame
        Long form, columns :data:`TABLE_COLUMNS`: one row per (unit, indicator); the overall
        row's unit is ``[report] overall_label`` (全县合计). ``rate`` is a fraction (NaN when
        not computed or when the denominator is 0), ``status`` says why.
    period : str
    window : (Timestamp, Timestamp)
        First and last day counted (the last is the earlier of the period's end and as-of).
    ranking : DataFrame
        See :func:`rank_units`.
    """

    table: pd.DataFrame
    period: str
    window: tuple[pd.Timestamp, pd.Timestamp]
    ranking: pd.DataFrame

    @property
    def overall_label(self) -> str:
        return overall_label()

    def overall(self) -> pd.DataFrame:
        """The whole extract's indicators with the formula beside each figure."""
        t = self.table[self.table["unit"] == self.overall_label]
        return pd.DataFrame({
            "指标": t["name"].to_numpy(), "数值": format_rates(t).to_numpy(),
            "分子": t["numerator"].to_numpy(), "分母": t["denominator"].to_numpy(),
            "计算公式": t["formula"].to_numpy(), "说明": t["status"].to_numpy()})

    def by_unit(self) -> pd.DataFrame:
        """Units × indicators, each cell ``93.3%（14/15）`` (the overall row first)."""
        t = self.table.assign(text=format_rates(self.table, with_counts=True))
        wide = t.pivot(index="unit", columns="name", values="text")
        wide = wide[[s.name for s in indicator_specs().values()]]
        order = ([self.overall_label] + list(self.ranking["责任单位"])
                 + sorted(pseudo_units() & set(wide.index)))   # shown, never ranked
        wide = wide.reindex([u for u in order if u in wide.index])
        wide.columns.name = None
        return wide.rename_axis("责任单位").reset_index()

    def _repr_html_(self) -> str:
        """Notebook view: the overall figures with their formulas, the units × indicators
        table and the ranking rule (Chinese, no NaN)."""
        from xfaudit.display import Table

        first, last = self.window
        from xfaudit.dates import chinese_date

        head = (f"<h4>考核指标（{self.period}，统计区间 {chinese_date(first)}至{chinese_date(last)}）</h4>")
        return (head + Table(self.overall(), f"{self.overall_label}")._repr_html_()
                + Table(self.by_unit(), "各责任单位（单元格为“比率（分子/分母）”）",
                        empty="没有责任单位。")._repr_html_()
                + Table(self.ranking, "通报排名", note=ranking_rule_text(),
                        empty="没有可排名的责任单位。")._repr_html_())

    def __repr__(self) -> str:
        overall = "，".join(f"{n} {v}" for n, v in zip(self.overall()["指标"],
                                                       self.overall()["数值"]))
        return (f"Indicators(period={self.period!r}, units={len(self.ranking)}, "
                f"{self.overall_label}：{overall})")

    def formulas(self) -> pd.DataFrame:
        """指标 / 计算公式 / 说明 (the notes under the unit table)."""
        return pd.DataFrame([{"指标": s.name, "计算公式": s.formula,
                              "统计范围": _scope_text(s)} for s in indicator_specs().values()])

    def to_dict(self) -> dict:
        """JSON-ready overall figures (for manifest.json)."""
        t = self.table[self.table["unit"] == self.overall_label]
        return {row.indicator: {"name": row.name, "numerator": int(row.numerator),
                                "denominator": int(row.denominator),
                                "rate": None if pd.isna(row.rate) else round(float(row.rate), 6),
                                "status": row.status, "formula": row.formula}
                for row in t.itertuples(index=False)}


def _scope_text(spec: IndicatorSpec) -> str:
    if spec.kind == "clock":
        name = checks()[CheckId(spec.check)].name
        return f"期限届满日在本期内（且不晚于审计日）的事项；期限与实际日期取自“{name}”检查"
    columns = "或".join(header_of(s.column) for s in spec.sources)
    return f"{header_of(spec.period_field)}在本期内（且不晚于审计日）的事项；取自{columns}"


def format_rates(table: pd.DataFrame, with_counts: bool = False) -> pd.Series:
    """``93.3%`` (or ``93.3%（14/15）``); the status text where there is no figure."""
    rate = pd.to_numeric(table["rate"], errors="coerce").astype(float)
    pct = (rate * 100).round(1).map("{:.1f}%".format, na_action="ignore").astype(object)
    if with_counts:
        counts = ("（" + table["numerator"].astype(str) + "/" + table["denominator"].astype(str)
                  + "）")
        pct = pct.where(rate.isna(), pct.astype(str) + counts)
    return pct.where(rate.notna(), table["status"]).astype(object)


def _missing_text(names) -> str:
    return "未计算：缺少" + "、".join(header_of(n) for n in names)


def _clock_masks(result, spec: IndicatorSpec, window) -> tuple[np.ndarray, np.ndarray] | str:
    """(in population, on time) per item from a check's clock, or why it cannot be computed."""
    if spec.check not in {str(c) for c in result.clocks.evaluated}:
        missing = next((n.missing for n in result.not_evaluated if n.check_id == spec.check),
                       [])
        names = [p for m in missing for p in m.split("|")[:1]]
        return _missing_text(names) if names else "未计算：该检查项未评估"
    clocks = result.clocks.frame
    last, act_on = clocks[f"{spec.check}{LAST_DAY}"], clocks[f"{spec.check}{ACT_ON}"]
    done = ~clocks[f"{spec.check}{OPEN}"].fillna(True).to_numpy(dtype=bool)
    in_period = last.between(*window).fillna(False).to_numpy(dtype=bool)
    on_time = done & (act_on <= last).fillna(False).to_numpy(dtype=bool)
    return in_period, in_period & on_time


def _value_masks(frame: pd.DataFrame, spec: IndicatorSpec, window
                 ) -> tuple[np.ndarray, np.ndarray] | str:
    """(in population, counted in the numerator) per item from a column's values."""
    source = spec.source_for(frame.columns)
    missing = ([] if source else ["或".join(header_of(s.column) for s in spec.sources)]) + (
        [header_of(spec.period_field)] if spec.period_field not in frame.columns else [])
    if missing:
        return "未计算：缺少" + "、".join(missing)
    values = frame[source.column]
    in_period = frame[spec.period_field].between(*window).fillna(False).to_numpy(dtype=bool)
    if source.denominator_values is not None:
        in_period = in_period & values.isin(source.denominator_values).fillna(False).to_numpy(
            dtype=bool)
    hit = values.isin(source.numerator_values).fillna(False).to_numpy(dtype=bool)
    return in_period, in_period & hit


def _rows_of(spec, units: pd.Series, masks, overall_label: str) -> pd.DataFrame:
    """Long rows (every unit + overall) of one indicator."""
    index = [overall_label] + sorted(units.unique())
    if isinstance(masks, str):
        return pd.DataFrame({"unit": index, "numerator": 0, "denominator": 0,
                             "rate": np.nan, "status": masks})
    population, hits = masks
    den = pd.Series(population, index=units.index).groupby(units).sum()
    num = pd.Series(hits, index=units.index).groupby(units).sum()
    den = pd.concat([pd.Series({overall_label: den.sum()}), den]).reindex(index, fill_value=0)
    num = pd.concat([pd.Series({overall_label: num.sum()}), num]).reindex(index, fill_value=0)
    rate = (num / den.where(den > 0)).astype(float)
    status = pd.Series(STATUS_OK, index=index).where(den > 0, STATUS_EMPTY)
    return pd.DataFrame({"unit": index, "numerator": num.to_numpy(dtype="int64"),
                         "denominator": den.to_numpy(dtype="int64"), "rate": rate.to_numpy(),
                         "status": status.to_numpy()})


def compute(result, period: str, *, as_of=None) -> Indicators:
    """Every indicator per unit and overall, and the ranking of units.

    Parameters
    ----------
    result : AuditResult
        The audit (its clocks, extract and findings are read, never changed).
    period : str
        ``YYYY-MM``.
    as_of : date-like, optional
        Items due after it are not counted (default: the audit's as-of date).

    Returns
    -------
    Indicators
    """
    month = parse_period(period)
    start, end = month.first_day, month.last_day
    as_of = pd.Timestamp(as_of if as_of is not None else result.as_of).normalize()
    window = (start, min(end, as_of))
    frame = result.extract.frame
    overall_label = settings()["report"]["overall_label"]
    units = unit_labels(frame)
    parts = []
    for key, spec in indicator_specs().items():
        masks = (_clock_masks(result, spec, window) if spec.kind == "clock"
                 else _value_masks(frame, spec, window))
        rows = _rows_of(spec, units, masks, overall_label)
        parts.append(rows.assign(indicator=key, name=spec.name, formula=spec.formula))
    table = pd.concat(parts, ignore_index=True)[TABLE_COLUMNS]
    ranking = rank_units(table, result.findings, overall_label)
    return Indicators(table=table, period=period, window=window, ranking=ranking)


def unit_labels(frame: pd.DataFrame) -> pd.Series:
    """Each item's 责任单位 for the unit tables: an empty cell is ``no_unit_label``, an extract
    without the column ``no_unit_column_label``."""
    report = settings()["report"]
    if "handling_unit" not in frame.columns:
        return pd.Series(report["no_unit_column_label"], index=frame.index, dtype=object)
    return frame["handling_unit"].fillna(report["no_unit_label"]).astype(str)


def _unit_counts(findings: pd.DataFrame) -> pd.DataFrame:
    """履职问题 and 超期仍未办 per unit as the circular counts problems: the unit's own duties
    (``responsible_unit``: registration is the bureau's, 复查/复核 the review organ's), this
    month's facts (本期新发现, 持续未办 — never 历史问题), waived findings left out."""
    counted = findings[current(findings).to_numpy()]
    units = counted["responsible_unit"].fillna(settings()["report"]["no_unit_label"])
    return pd.DataFrame({
        "accountability_findings": units.value_counts(),
        "open_overdue": open_overdue_mask(counted).groupby(units).sum()})


def _competition_rank(ordered: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """1, 2, 2, 4 …: equal on every key → same rank (frame already sorted by the keys)."""
    if ordered.empty:
        return np.array([], dtype=int)
    values = ordered[keys].astype(float).fillna(-np.inf)
    changed = (values != values.shift()).any(axis=1).to_numpy()
    group = np.cumsum(changed)
    position = pd.Series(np.arange(1, len(ordered) + 1))
    return position.groupby(group).transform("min").to_numpy()


def rank_units(table: pd.DataFrame, findings: pd.DataFrame,
               overall_label: str | None = None) -> pd.DataFrame:
    """The ranking of units for the circular (rule: module docstring and ``[ranking]``).

    Parameters
    ----------
    table : DataFrame
        :attr:`Indicators.table`.
    findings : DataFrame
        The audit's findings (for the count keys).
    overall_label : str, optional
        The overall row's label, left out of the ranking.

    Returns
    -------
    DataFrame
        排名, 责任单位, one column per indicator (percent, 1 decimal; NaN without a figure),
        履职问题, 超期仍未办, 说明.
    """
    overall_label = overall_label or settings()["report"]["overall_label"]
    per_unit = table[(table["unit"] != overall_label) & ~table["unit"].isin(pseudo_units())]
    rates = (per_unit.pivot(index="unit", columns="indicator", values="rate")
             .reindex(columns=list(indicator_specs())).astype(float))
    counts = _unit_counts(findings).reindex(rates.index, fill_value=0)
    frame = rates.join(counts).fillna({k: 0 for k in COUNT_KEYS})
    keys = [k["by"] for k in settings()["ranking"]["keys"]]
    ascending = [not k.get("descending", False) for k in settings()["ranking"]["keys"]]
    frame = frame.rename_axis("unit").reset_index()
    ordered = frame.sort_values(keys + ["unit"], ascending=ascending + [True],
                                na_position="last", kind="stable").reset_index(drop=True)
    specs = indicator_specs()
    shown = pd.DataFrame({"排名": _competition_rank(ordered, keys), "责任单位": ordered["unit"]})
    for key, spec in specs.items():
        shown[f"{spec.name}(%)"] = (ordered[key] * 100).round(1) if key in ordered else np.nan
    for key, header in COUNT_KEYS.items():
        shown[header] = ordered[key].astype("int64")
    rate_keys = [k for k in keys if k in specs]
    no_figure = ordered[rate_keys].isna().all(axis=1) if rate_keys else False
    shown["说明"] = np.where(no_figure, "无可比数据（本期无适用事项或未计算）", "")
    return shown


def overall_label() -> str:
    """Label of the whole-extract row (``[report] overall_label``, e.g. 全县合计)."""
    return settings()["report"]["overall_label"]


def ranking_rule_text() -> str:
    """The ordering rule of :func:`rank_units` in Chinese, from ``[ranking] keys``."""
    specs = indicator_specs()
    parts = []
    for key in settings()["ranking"]["keys"]:
        name = specs[key["by"]].name if key["by"] in specs else COUNT_KEYS[key["by"]]
        more = "高者在前" if key.get("descending") else "低者在前"
        if key["by"] in COUNT_KEYS:
            more = "多者在前" if key.get("descending") else "少者在前"
        parts.append(f"{name}{more}")
    return ("排序规则：依次按" + "，再按".join(parts) + "；某项无数据的单位排在有数据的单位之后；"
            "各项均相同的单位名次相同，按单位名称列出。第1名为最好。履职问题、超期仍未办只计本单位负有"
            "办理责任的本月新发现和持续未办问题，已豁免的不计。")
