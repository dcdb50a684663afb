"""A month is a period, not a snapshot: each finding's status in the audited month.

Every finding gets a ``period_status`` (本期状态):

- **本期新发现** — it arose in the period: the act was done late within the period, or it is
  still missing and its first day overdue (the day after the last day) is in the period — a
  last day on the previous month's last day was still kept at that month's end; for the
  checks without a day count, the event it is about (办结 without reply, an irregular
  extension's approval) happened in it; a data-quality finding not reported in an earlier
  month;
- **持续未办** — still open and overdue already before the period: its last day is before the
  previous month's last day (reported in an earlier month, or not — the first run of the tool
  finds such items too); a data-quality finding already reported;
- **本期已纠正** — reported open in an earlier month and done now (late, within the period);
- **历史问题** — a late act completed before the period: not this month's fact.

Letters, the circular's problem counts and escalation streaks use only 本期新发现 and 持续未办;
历史问题 appear once, in the report's history table. So a month-only export (the items with any
event in the month or still open) and a cumulative export give the same letters: the cumulative
one adds only items closed before the month, whose findings are 历史问题.

The earlier months' findings are the **findings history** (问题记录): one row per (period,
finding) the monthly run published, kept with the registers (:func:`read_history`,
:func:`record`). "Reported before" means the same (信访件编号, 检查项) in an earlier period.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from xfaudit.dates import parse_period
from xfaudit.writers.safe import restore_cells, write_csv

__all__ = ["NEW", "CONTINUING", "CORRECTED", "HISTORICAL", "STATUSES", "CURRENT",
           "HISTORY_COLUMNS", "classify", "read_history", "record", "write_history"]

NEW, CONTINUING, CORRECTED, HISTORICAL = "本期新发现", "持续未办", "本期已纠正", "历史问题"
STATUSES = (NEW, CONTINUING, CORRECTED, HISTORICAL)
#: The statuses letters, circulars and streaks act on.
CURRENT = (NEW, CONTINUING)


def current(findings: pd.DataFrame) -> pd.Series:
    """What this month's accountability counts (letters, the circular, the ranking, the
    report's figures): non-waived accountability findings 本期新发现 or 持续未办."""
    return ((findings["kind"] == "accountability") & ~findings["waived"].astype(bool)
            & findings["period_status"].isin(CURRENT))

#: Columns of the findings history (one row per finding per published period).
HISTORY_COLUMNS = ["period", "case_id", "check_id", "responsible_unit", "is_open",
                   "period_status", "waived"]

#: Untimed checks: the date of the event the finding is about (an unapproved extension's: the
#: original last day, by which it should have been approved).
_EVENT_OF = {"REPLY_MISSING": ("start_on",), "EXTENSION_IRREGULAR": ("actual_on", "last_day")}


def classify(findings: pd.DataFrame, period, history: pd.DataFrame | None = None
             ) -> pd.Series:
    """The period status of every finding (see the module docstring).

    Parameters
    ----------
    findings : DataFrame
        The audit's findings (``model.FINDING_COLUMNS``).
    period : str or Period
        The audited month.
    history : DataFrame, optional
        The findings history (:data:`HISTORY_COLUMNS`); rows of this period or later are
        ignored (a rerun of the month reclassifies it from the months before).

    Returns
    -------
    Series of str, aligned with ``findings``.
    """
    month = parse_period(period)
    first, last = month.first_day, month.last_day
    reported, reported_open = _reported(history, month.label)
    keys = _keys(findings)
    before = keys.isin(reported)
    was_open = keys.isin(reported_open)
    is_open = findings["is_open"].to_numpy(dtype=bool)
    last_day = findings["last_day"]
    event = findings["actual_on"].copy()
    for check, columns in _EVENT_OF.items():
        rows = (findings["check_id"] == check).to_numpy()
        if rows.any():
            value = findings.loc[rows, columns[0]]
            for column in columns[1:]:
                value = value.fillna(findings.loc[rows, column])
            event[rows] = value
    done_before = (event < first).fillna(False).to_numpy(dtype=bool)
    status = np.full(len(findings), NEW, dtype=object)
    # open: new when its first day overdue (the day after the last day) falls in the period
    # (or the last day is unknown), else still open: a last day on the eve of the period was
    # kept on the previous month's as-of date, so the lateness is this month's
    overdue_from = last_day + pd.Timedelta(days=1)
    open_old = is_open & (overdue_from < first).fillna(False).to_numpy(dtype=bool)
    untimed_open = is_open & last_day.isna().to_numpy() & done_before
    status[open_old | untimed_open] = CONTINUING
    # done: late within the period — corrected when reported open before; else new
    done = ~is_open
    status[done & _within(event, first, last) & was_open] = CORRECTED
    status[done & done_before] = HISTORICAL
    # data-quality findings: new unless already reported
    quality = (findings["kind"] == "data_quality").to_numpy()
    status[quality] = np.where(before[quality], CONTINUING, NEW)
    return pd.Series(status, index=findings.index, dtype=object)


def _keys(frame: pd.DataFrame) -> pd.MultiIndex:
    """(case_id, check_id) of each row, as text (an empty id stays NA)."""
    return pd.MultiIndex.from_arrays([frame["case_id"].astype("string"),
                                      frame["check_id"].astype("string")])


def _within(days: pd.Series, first, last) -> np.ndarray:
    """Whether each day falls from ``first`` to ``last`` (False where missing)."""
    return days.between(first, last).fillna(False).to_numpy(dtype=bool)


def _reported(history: pd.DataFrame | None, period: str
              ) -> tuple[pd.MultiIndex, pd.MultiIndex]:
    """(case_id, check_id) reported in an earlier period, and those reported open; rows
    without an id are left out (nothing proves a finding without an id is the same item)."""
    if history is None or history.empty:
        empty = pd.MultiIndex.from_arrays([pd.Series([], dtype="string")] * 2)
        return empty, empty
    earlier = history[(history["period"].astype(str) < period) & history["case_id"].notna()]
    keys = _keys(earlier)
    return keys, keys[earlier["is_open"].astype(bool).to_numpy()]


def record(history: pd.DataFrame | None, findings: pd.DataFrame, period) -> pd.DataFrame:
    """The history with this period's findings (replacing an earlier run of the same period)."""
    label = parse_period(period).label
    rows = findings.assign(period=label)[HISTORY_COLUMNS]
    kept = (history[history["period"].astype(str) != label] if history is not None
            and not history.empty else pd.DataFrame(columns=HISTORY_COLUMNS))
    out = pd.concat([kept, rows], ignore_index=True) if len(kept) else rows.reset_index(drop=True)
    return out.sort_values(["period", "check_id", "case_id"], kind="stable").reset_index(drop=True)


def read_history(path: str | Path) -> pd.DataFrame:
    """The findings history file (UTF-8 CSV); an empty history when it does not exist yet."""
    path = Path(path)
    if not path.is_file():
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    frame = restore_cells(
        pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False))
    frame["is_open"] = frame["is_open"].isin(["True", "true", "1", "是"])
    frame["waived"] = frame["waived"].isin(["True", "true", "1", "是"])
    return frame[HISTORY_COLUMNS]


def write_history(history: pd.DataFrame, path: str | Path) -> Path:
    """Write the findings history (UTF-8 with BOM, so Excel opens it; cells that Excel would
    read as a formula neutralised, and restored by :func:`read_history`)."""
    return write_csv(history[HISTORY_COLUMNS], path)
