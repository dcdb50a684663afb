"""Turn failing rows into findings: one row per (item, check) with stable fields.

Every report is a view of this table (model.FINDING_COLUMNS); no writer recomputes a rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xfaudit.clocks import (ACT_ON, DETAIL, LAST_DAY, NOTE, OPEN, PROFILE_COLUMN, RULE, START,
                            TIMED_CHECKS, Clocks)
from xfaudit.model import FINDING_COLUMNS, SOURCE_ROW
from xfaudit.profile import ProfileSet
from xfaudit.config import settings
from xfaudit.periods import classify
from xfaudit.schema import CheckId, checks, duty_holders
from xfaudit.validate import Validation

#: Item fields carried beside each finding (context for the inspector; no personal data).
CONTEXT_FIELDS = ("case_id", "handling_unit", "category", "summary")

_DATE_COLUMNS = ("start_on", "last_day", "actual_on")


def open_overdue(findings: pd.DataFrame) -> pd.Series:
    """超期仍未办 — the one definition the report, the workbook, the circular and ``result``
    use: an accountability finding whose act is still missing at the as-of date and whose last
    day has passed (``days_late > 0``). An open finding without a day count (a missing reply,
    REPLY_MISSING) is open but not 超期."""
    late = pd.to_numeric(findings["days_late"]).fillna(0) > 0
    return (findings["kind"] == "accountability") & findings["is_open"].astype(bool) & late


def responsible_units(cid: CheckId, frame: pd.DataFrame, rows: np.ndarray,
                      bureau: str | None = None) -> pd.Series:
    """Who owes the act of check ``cid`` on the given rows of the extract (the findings'
    ``responsible_unit``): also for rows without a finding, e.g. items due soon."""
    return _duty_holder(cid, frame, np.asarray(rows, dtype=np.int64), bureau)[0]


def empty_findings() -> pd.DataFrame:
    """A findings table with no rows and the stable dtypes."""
    return _typed(pd.DataFrame({c: [] for c in FINDING_COLUMNS}))


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    for column in _DATE_COLUMNS:
        df[column] = pd.to_datetime(df[column]).astype("datetime64[ns]")
    df["days_late"] = df["days_late"].astype("Int64")
    df["source_row"] = df["source_row"].astype("int64")
    df["is_open"] = df["is_open"].astype(bool)
    df["waived"] = df["waived"].astype(bool)
    for column in ("case_id", "check_id", "check_name", "kind", "severity", "handling_unit",
                   "responsible_unit", "responsible_role", "period_status", "category",
                   "summary", "citation", "profile", "detail", "waiver_reason"):
        values = df[column]
        df[column] = (values.where(values.notna(), None) if values.dtype == object
                      else _shared_objects(values))
    return df[FINDING_COLUMNS]


def _shared_objects(values: pd.Series) -> pd.Series:
    """``values.astype(object)`` with ``None`` for missing values, holding one Python object
    per distinct value: a column such as ``check_name`` has a handful of texts over hundreds
    of thousands of findings, and a string per cell would cost more than the table itself."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = np.append(np.asarray(uniques, dtype=object), None)     # code -1 (missing): None
    return pd.Series(table[codes], index=values.index, dtype=object)


def _clock_column(clocks: pd.DataFrame, name: str, rows: np.ndarray) -> pd.Series:
    if name in clocks.columns:
        return clocks[name].iloc[rows].reset_index(drop=True)
    if name.endswith(DETAIL):
        return pd.Series(None, index=range(len(rows)), dtype=object)
    return pd.Series(pd.NaT, index=range(len(rows)), dtype="datetime64[ns]")


def _timing_detail(days_late: pd.Series, is_open: pd.Series) -> pd.Series:
    """'截至审计日已超期N日仍未办理' or '超期N日后办理', vectorised."""
    days = days_late.astype("Int64").astype("string")
    open_text = "截至审计日已超期" + days + "日，仍未办理"
    done_text = "超期" + days + "日后办理"
    return _shared_objects(open_text.where(is_open, done_text).where(days_late.notna()))


def _reason_texts(outcome, rows: np.ndarray, frame: pd.DataFrame,
                  validation: Validation, shared: dict | None = None) -> pd.Series:
    """The reason an expectation's ``meta`` states, per finding row: ``{value}`` is the row's
    value of the expectation's column, ``{count}`` how many rows of the judged frame share it
    (``shared[column]``, per row of ``frame``, where the caller knows it for the whole table;
    else counted in ``frame``)."""
    template = outcome.spec["meta"]["reason"]
    if "{value}" not in template and "{count}" not in template:
        return pd.Series(template, index=range(len(rows)), dtype="string")
    column = outcome.spec["kwargs"]["column"]
    values = frame[column].iloc[rows].reset_index(drop=True)
    if "{count}" in template and column in (shared or {}):
        filled = pd.Series(np.asarray(shared[column])[rows]).astype("Int64").astype("string")
        head, tail = template.split("{count}", 1)
    elif "{count}" in template:
        population = frame[column].iloc[validation.rows.get(outcome.frame, slice(None))]
        filled = values.map(population.value_counts()).astype("Int64").astype("string")
        head, tail = template.split("{count}", 1)
    else:
        filled = values.astype("string")
        head, tail = template.split("{value}", 1)
    return head + filled + tail


def _reasons(cid: CheckId, rows: np.ndarray, frame: pd.DataFrame,
             validation: Validation, shared: dict | None = None) -> pd.Series:
    """Per finding row, the reasons of every expectation of the check it failed, in suite
    order, joined by '；' (None where no expectation of the check states a reason)."""
    text = pd.Series(pd.NA, index=range(len(rows)), dtype="string")
    for outcome in validation.outcomes:
        if outcome.check_id != cid or "reason" not in outcome.spec["meta"]:
            continue
        hit = np.isin(rows, outcome.failing, assume_unique=True)
        if not hit.any():
            continue
        reason = _reason_texts(outcome, rows, frame, validation, shared).where(hit)
        text = ((text + "；").fillna("") + reason).where(hit, text)
    return _shared_objects(text)


def _duty_holder(cid: CheckId, frame: pd.DataFrame, rows: np.ndarray, bureau: str | None
                 ) -> tuple[pd.Series, str]:
    """Who owes the act of each finding (checks.toml ``duty_holder``), and their role.

    The registering body is read by its first part (``青禾县信访局/办信科`` → the bureau); a
    blank one is the bureau itself. An unknown review organ is 待核实 — never the handling unit.
    """
    holder = duty_holders()[checks()[cid].duty_holder]
    report = settings()["report"]
    if holder.field in frame.columns:
        values = frame[holder.field].iloc[rows].reset_index(drop=True)
        if holder.field == "registering_body":
            values = values.str.split("/", n=1).str[0].str.strip().replace("", None)
    else:
        values = pd.Series(None, index=range(len(rows)), dtype=object)
    blank = {"unit": report["no_unit_label"],
             "bureau": bureau or "信访部门（本局）"}.get(holder.when_blank, holder.when_blank)
    if holder.when_blank == "unit" and holder.field not in frame.columns:
        blank = report["no_unit_column_label"]
    return values.where(values.notna(), blank).astype(object), holder.role


def _findings_of(cid: CheckId, rows: np.ndarray, frame: pd.DataFrame, clocks: pd.DataFrame,
                 profiles: ProfileSet, validation: Validation, bureau: str | None = None,
                 shared: dict | None = None) -> pd.DataFrame:
    check = checks()[cid]
    out = pd.DataFrame(index=range(len(rows)))
    for name in CONTEXT_FIELDS:
        out[name] = (frame[name].iloc[rows].reset_index(drop=True)
                     if name in frame.columns else None)
    if "handling_unit" not in frame.columns:
        out["handling_unit"] = settings()["report"]["no_unit_column_label"]
    out["responsible_unit"], out["responsible_role"] = _duty_holder(cid, frame, rows, bureau)
    out["period_status"] = None
    out["check_id"] = cid.value
    out["check_name"] = check.name
    out["kind"] = check.kind
    out["severity"] = check.severity
    out["start_on"] = _clock_column(clocks, f"{cid}{START}", rows)
    out["last_day"] = _clock_column(clocks, f"{cid}{LAST_DAY}", rows)
    act_on = _clock_column(clocks, f"{cid}{ACT_ON}", rows)
    if cid in TIMED_CHECKS:
        is_open = clocks[f"{cid}{OPEN}"].iloc[rows].reset_index(drop=True).fillna(False)
        late = (act_on - out["last_day"]).dt.days.astype("Int64")
        out["actual_on"] = act_on.where(~is_open)
        out["days_late"] = late.where(late > 0)
        out["is_open"] = is_open.astype(bool)
    else:
        out["actual_on"] = act_on
        out["days_late"] = pd.array([pd.NA] * len(rows), dtype="Int64")
        out["is_open"] = cid == CheckId.REPLY_MISSING
    member = clocks[PROFILE_COLUMN].iloc[rows].reset_index(drop=True)
    out["profile"] = member
    out["citation"] = _citations(cid, clocks, rows, member, profiles)
    detail = _clock_column(clocks, f"{cid}{DETAIL}", rows)
    reasons = _reasons(cid, rows, frame, validation, shared)
    detail = detail.where(detail.notna(), reasons)
    timing = _timing_detail(out["days_late"], out["is_open"])
    detail = detail.where(detail.notna(), timing)
    note = _clock_column(clocks, f"{cid}{NOTE}", rows)
    if note.notna().any():
        detail = (detail.astype("string") + "；" + note.astype("string")).where(
            note.notna(), detail).astype(object)
    out["detail"] = detail
    out["source_row"] = frame[SOURCE_ROW].iloc[rows].to_numpy()
    out["waived"] = False
    out["waiver_reason"] = None
    return out


def _citations(cid: CheckId, clocks: pd.DataFrame, rows: np.ndarray, member: pd.Series,
               profiles: ProfileSet) -> pd.Series:
    """The provision each finding cites: the limit of the check, or the row's own rule where
    it varies (e.g. notice of a direct vs a routed item), in the row's profile."""
    limit = checks()[cid].limit
    rule = _clock_column(clocks, f"{cid}{RULE}", rows)
    keys = rule.where(rule.notna(), limit) if limit else rule
    out = pd.Series(None, index=member.index, dtype=object)
    for m in profiles.members:
        for key in keys.dropna().unique():
            out[(member == m.name) & (keys == key)] = m.citation(key)
    return out


def build_findings(frame: pd.DataFrame, clocks: Clocks, validation: Validation,
                   profiles: ProfileSet, *, period=None, history: pd.DataFrame | None = None,
                   bureau: str | None = None, shared: dict | None = None) -> pd.DataFrame:
    """Assemble the findings table from the rows that fail each check's expectations.

    Rows are ordered by check (report order), handling unit and source row, so the same
    inputs always give the same table. A finding's 说明 is the check's own detail (clock
    table ``__detail``), else the reasons of the expectations the row failed (their
    ``meta.reason``), else how late it is. ``period`` (default: the as-of date's month) and
    the findings ``history`` give each finding its period status (:mod:`xfaudit.periods`);
    ``bureau`` names the petition bureau where the registering body is blank.

    Everything here is per finding row, so the findings of a slice of the rows (a chunk, a
    Spark batch, with its own ``validation``) are the rows of the whole table's findings;
    ``shared`` gives, per column and per row of ``frame``, how many rows of the whole judged
    frame hold the row's value (``{"case_id": TableFacts.duplicate_ids}``: the count a
    DATA_DUPLICATE_ID finding states), which a slice cannot count itself.
    """
    failing = validation.failing(list(clocks.evaluated))
    parts = [_findings_of(cid, np.asarray(rows, dtype=np.int64), frame, clocks.frame, profiles,
                          validation, bureau, shared)
             for cid, rows in failing.items() if len(rows)]
    if not parts:
        return empty_findings()
    findings = pd.concat(parts, ignore_index=True)
    order = {cid.value: i for i, cid in enumerate(checks())}
    findings["_order"] = findings["check_id"].map(order)
    findings = findings.sort_values(["_order", "handling_unit", "source_row"],
                                    kind="stable", na_position="last")
    findings = _typed(findings.drop(columns="_order").reset_index(drop=True))
    month = period if period is not None else f"{clocks.as_of:%Y-%m}"
    findings["period_status"] = _shared_objects(classify(findings, month, history))
    return findings
