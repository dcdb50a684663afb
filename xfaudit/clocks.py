"""Derive every legal clock of every item in one vectorised pass.

For each check this module computes, per row of the canonical frame, the clock's start, last
allowed day, actual date, days late and whether the act is still open — or, for checks without
a day count, a 0/1 violation flag. Great Expectations then judges these derived columns
(``validate.py``); nothing here decides what becomes a finding.

Column naming: ``<check_id>__start``, ``__last_day``, ``__actual``, ``__days_late`` (float,
NaN where the clock does not run), ``__flag`` (float 0/1, NaN where not applicable),
``__detail`` (Chinese text or NA). The exact semantics are in docs/checks.md.

Everything is computed per profile *member* (at most a handful), never per row: the rows a
member governs are a mask, and day arithmetic is done by the vectorised calendar.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xfaudit.calendar import LegalCalendar
from xfaudit.model import Extract, NotEvaluated, SOURCE_ROW
from xfaudit.profile import Profile, ProfileSet
from xfaudit.schema import CheckId, checks, date_order_pairs, header_of, fields

_NS = np.dtype("datetime64[ns]")

#: Column with the name of the profile that governs each row.
PROFILE_COLUMN = "profile"

#: Suffixes of the derived columns (see module docstring).
START, LAST_DAY, ACTUAL, DAYS_LATE, FLAG, DETAIL = (
    "__start", "__last_day", "__actual", "__days_late", "__flag", "__detail")

#: Raw values with a fixed meaning in the extract contract (extract-format.md).
DIRECT = "直接办理"
ASSIGNED = "交办"
NOTICE_ROUTINGS = ("告知", "不予受理", "不再受理")
NOT_IMPLEMENTED = "未落实"

#: Fields by which `auto` picks the text in force, in order of preference.
PROFILE_DATE_FIELDS = ("received_on", "accepted_on", "unit_received_on")

#: Events of the 复查/复核 decision chain, latest first (DECISION_UNIMPLEMENTED's start).
DECISION_DATES = ("rereview_decided_on", "review_decided_on", "concluded_on")
DECISION_OUTCOMES = ("outcome", "review_outcome", "rereview_outcome")


@dataclass
class Clocks:
    """The derived frame plus what could not be evaluated.

    ``frame`` is aligned with the extract's frame (same RangeIndex).
    """

    frame: pd.DataFrame
    as_of: pd.Timestamp
    evaluated: list[CheckId]
    not_evaluated: list[NotEvaluated] = field(default_factory=list)

    def judged_columns(self, check_id: CheckId) -> list[str]:
        """The derived columns GX judges for a check (days late and/or a flag)."""
        return [c for c in (f"{check_id}{DAYS_LATE}", f"{check_id}{FLAG}")
                if c in self.frame.columns and _is_judged(check_id, c)]


def _is_judged(check_id: CheckId, column: str) -> bool:
    return column.endswith(FLAG) or check_id in TIMED_CHECKS


#: Checks judged on days late (the rest are judged on a flag; DECISION_UNIMPLEMENTED on both).
TIMED_CHECKS = (CheckId.REG_LATE, CheckId.NOTICE_LATE, CheckId.HANDLING_OVERDUE,
                CheckId.FEEDBACK_MISSING, CheckId.REVIEW_OVERDUE, CheckId.REREVIEW_OVERDUE,
                CheckId.DECISION_UNIMPLEMENTED)


class _Deriver:
    """Holds the inputs of one derivation so the per-check functions stay small."""

    def __init__(self, extract: Extract, profiles: ProfileSet, as_of: pd.Timestamp,
                 calendar: LegalCalendar):
        self.df = extract.frame
        self.unreadable = extract.report.unreadable
        self.profiles = profiles
        self.as_of = as_of
        self.calendar = calendar
        self.n = len(self.df)
        self.out: dict[str, pd.Series | np.ndarray] = {}
        self.member_of = self._assign_members()
        self.masks = {p.name: (self.member_of == p.name).to_numpy() for p in profiles.members}

    # -- inputs -------------------------------------------------------------------------
    def has(self, name: str) -> bool:
        return name in self.df.columns

    def col(self, name: str) -> pd.Series:
        """A canonical column, or an all-NA column of the field's dtype when absent."""
        if name in self.df.columns:
            return self.df[name]
        kind = fields()[name].kind if name in fields() else "text"
        dtype = {"date": "datetime64[ns]", "int": "Int64", "flag": "boolean",
                 "repeat": "boolean"}.get(kind, "object")
        return pd.Series(pd.NA if dtype != "datetime64[ns]" else pd.NaT,
                         index=self.df.index, dtype=dtype)

    def text_is(self, name: str, values) -> np.ndarray:
        """Boolean mask: the text column equals one of ``values`` (False where absent/NA)."""
        values = [values] if isinstance(values, str) else list(values)
        return self.col(name).isin(values).fillna(False).to_numpy(dtype=bool)

    def _assign_members(self) -> pd.Series:
        """Name of the profile member governing each row (auto: by the item's date)."""
        members = self.profiles.members
        if len(members) == 1:
            return pd.Series(members[0].name, index=self.df.index, dtype=object)
        date = pd.Series(pd.NaT, index=self.df.index, dtype="datetime64[ns]")
        for name in PROFILE_DATE_FIELDS:
            if self.has(name):
                date = date.fillna(self.df[name])
        chosen = pd.Series(members[-1].name, index=self.df.index, dtype=object)
        for member in members:
            if member.effective_from is not None:
                chosen[date >= pd.Timestamp(member.effective_from)] = member.name
        earliest = members[0]
        before_all = date < pd.Timestamp(earliest.effective_from or pd.Timestamp.min)
        chosen[before_all] = earliest.name
        return chosen

    # -- day arithmetic -----------------------------------------------------------------
    def deadline(self, start: pd.Series, limit_key: str, *, row_mask=None,
                 extra_days: pd.Series | None = None) -> pd.Series:
        """Last allowed day of ``limit_key`` from ``start``, each row by its own profile."""
        result = pd.Series(pd.NaT, index=self.df.index, dtype="datetime64[ns]")
        for member in self.profiles.members:
            rows = self.masks[member.name]
            if row_mask is not None:
                rows = rows & row_mask
            if not rows.any():
                continue
            limit = member.limit(limit_key)
            result[rows] = self.calendar.add_days(
                start[rows], limit.days, limit.day_kind,
                roll_forward=member.roll_forward_holidays)
        return result

    def per_member(self, values: dict[str, float], default: float = np.nan) -> np.ndarray:
        """A per-row float array from a value per profile member."""
        out = np.full(self.n, default, dtype=float)
        for name, value in values.items():
            out[self.masks[name]] = value
        return out

    # -- output -------------------------------------------------------------------------
    def clock(self, cid: CheckId, applies: np.ndarray, start: pd.Series, last_day: pd.Series,
              actual: pd.Series) -> np.ndarray:
        """Store a timed clock; return its days-late array (NaN where it does not run)."""
        applies = applies & start.notna().to_numpy() & last_day.notna().to_numpy()
        effective = actual.fillna(self.as_of)
        late = (effective - last_day).dt.days.to_numpy(dtype=float, na_value=np.nan)
        late = np.where(applies, late, np.nan)
        self.out[f"{cid}{START}"] = start.where(applies)
        self.out[f"{cid}{LAST_DAY}"] = last_day.where(applies)
        self.out[f"{cid}{ACTUAL}"] = actual.where(applies)
        self.out[f"{cid}{DAYS_LATE}"] = late
        return late

    def flag(self, cid: CheckId, applies: np.ndarray, violated: np.ndarray,
             detail: pd.Series | None = None) -> None:
        """Store a 0/1 flag (NaN where the rule does not apply) and its detail text."""
        self.out[f"{cid}{FLAG}"] = np.where(applies, violated.astype(float), np.nan)
        if detail is not None:
            self.out[f"{cid}{DETAIL}"] = detail.where(applies & violated)


def _track_applies(d: _Deriver) -> np.ndarray:
    """Rows the handling limit applies to: under 2022, only items on track 信访程序."""
    ok = np.ones(d.n, dtype=bool)
    track = d.col("track")
    for member in d.profiles.members:
        if member.handling_tracks:
            on_track = (track.isna() | track.isin(member.handling_tracks)).to_numpy(dtype=bool)
            ok &= ~d.masks[member.name] | on_track
    return ok


def _reg_late(d: _Deriver) -> None:
    received, routed = d.col("received_on"), d.col("routed_on")
    applies = received.notna().to_numpy() & ~d.text_is("routing", DIRECT)
    by_notice = d.text_is("routing", NOTICE_ROUTINGS)
    actual = routed.where(~by_notice, routed.fillna(d.col("notice_on")))
    d.clock(CheckId.REG_LATE, applies, received, d.deadline(received, "register"), actual)


def _notice_late(d: _Deriver) -> None:
    direct = d.text_is("routing", DIRECT)
    start = d.col("received_on").where(direct, d.col("unit_received_on"))
    routed_last = d.deadline(start, "notice_routed", row_mask=~direct)
    direct_last = d.deadline(start, "notice_direct", row_mask=direct)
    last_day = routed_last.where(~direct, direct_last)
    known = np.ones(d.n, dtype=bool)
    if d.has("petitioner"):
        names = d.col("petitioner")
        known = names.notna().to_numpy(dtype=bool)
        for member in d.profiles.members:
            known = known & ~(d.masks[member.name]
                       & names.isin(member.anonymous_petitioners).fillna(False).to_numpy(bool))
    d.clock(CheckId.NOTICE_LATE, known, start, last_day, d.col("notice_on"))


def _handling_and_extension(d: _Deriver) -> None:
    accepted = d.col("accepted_on")
    applies = accepted.notna().to_numpy() & _track_applies(d)
    original = d.deadline(accepted, "handling")
    days = d.col("extension_days").astype("Float64").fillna(0).to_numpy(dtype=float)
    has_extension = days > 0
    max_days = d.per_member({p.name: p.limit("extension").days for p in d.profiles.members}, 0)
    approved, told = d.col("extension_approved_on"), d.col("extension_notice_on")
    over = has_extension & (days > max_days.astype(float))
    unapproved = has_extension & approved.isna().to_numpy()
    approved_late = has_extension & (approved > original).fillna(False).to_numpy(dtype=bool)
    untold = has_extension & told.isna().to_numpy()
    valid = has_extension & ~(over | unapproved | approved_late | untold)
    extended = original.copy()
    for member in d.profiles.members:
        rows = d.masks[member.name] & valid
        if rows.any():
            kind = member.limit("extension").day_kind
            extended[rows] = d.calendar.add_days(
                original[rows], d.col("extension_days")[rows].astype("int64"), kind,
                roll_forward=member.roll_forward_holidays)
    d.clock(CheckId.HANDLING_OVERDUE, applies, accepted, extended, d.col("concluded_on"))
    if all(d.has(f) for f in checks()[CheckId.EXTENSION_IRREGULAR].needs):
        reasons = _reasons(d.n, [
            (over, "延期天数超过" + _max_text(d, "extension")),
            (unapproved, "无延期批准日期"),
            (approved_late, "延期批准晚于原办理期限"),
            (untold, "未告知信访人延期理由"),
        ])
        ext_applies = applies & has_extension
        d.clock(CheckId.EXTENSION_IRREGULAR, ext_applies, accepted, original, approved)
        d.out.pop(f"{CheckId.EXTENSION_IRREGULAR}{DAYS_LATE}")
        d.flag(CheckId.EXTENSION_IRREGULAR, ext_applies, over | unapproved | approved_late | untold,
               reasons)


def _max_text(d: _Deriver, key: str) -> str:
    return "/".join(sorted({p.limit(key).describe() for p in d.profiles.members}))


def _reasons(n: int, parts: list[tuple[np.ndarray, str]]) -> pd.Series:
    """Join the Chinese reasons whose masks are true, per row ('；'-separated).

    Only rows with at least one reason are touched, with numpy's vectorised string ops.
    """
    hit = np.zeros(n, dtype=bool)
    for mask, _ in parts:
        hit = hit | mask
    out = pd.Series(pd.NA, index=range(n), dtype=object)
    rows = np.flatnonzero(hit)
    if not len(rows):
        return out
    text = np.zeros(len(rows), dtype=np.dtypes.StringDType())
    for mask, reason in parts:
        text = np.strings.add(text, np.where(mask[rows], reason + "；", ""))
    out.iloc[rows] = np.strings.rstrip(text, "；").astype(object)
    return out


def _reply_missing(d: _Deriver) -> None:
    concluded = d.col("concluded_on")
    applies = concluded.notna().to_numpy()
    d.out[f"{CheckId.REPLY_MISSING}{START}"] = concluded.where(applies)
    d.out[f"{CheckId.REPLY_MISSING}{ACTUAL}"] = d.col("reply_on").where(applies)
    d.flag(CheckId.REPLY_MISSING, applies, d.col("reply_on").isna().to_numpy())


def _feedback_missing(d: _Deriver) -> None:
    due = d.col("assigned_deadline")
    applies = d.text_is("routing", ASSIGNED) & due.notna().to_numpy()
    start = d.col("routed_on")
    d.clock(CheckId.FEEDBACK_MISSING, applies, start.fillna(due), due, d.col("feedback_on"))
    d.out[f"{CheckId.FEEDBACK_MISSING}{START}"] = start.where(applies)


def _review_overdue(d: _Deriver) -> None:
    requested = d.col("review_requested_on")
    d.clock(CheckId.REVIEW_OVERDUE, requested.notna().to_numpy(), requested,
            d.deadline(requested, "review"), d.col("review_decided_on"))


def _rereview_overdue(d: _Deriver) -> None:
    requested = d.col("rereview_requested_on")
    last_day = d.deadline(requested, "rereview")
    hearing = d.col("hearing_days").astype("Float64").fillna(0)
    last_day = last_day + pd.to_timedelta(hearing.to_numpy(dtype=float), unit="D")
    d.clock(CheckId.REREVIEW_OVERDUE, requested.notna().to_numpy(), requested, last_day,
            d.col("rereview_decided_on"))


def _decision_unimplemented(d: _Deriver) -> None:
    requires_action = np.zeros(d.n, dtype=bool)
    for member in d.profiles.members:
        member_rows = d.masks[member.name]
        for name in DECISION_OUTCOMES:
            requires_action |= member_rows & d.text_is(name, member.action_outcomes)
    start = pd.Series(pd.NaT, index=d.df.index, dtype="datetime64[ns]")
    for name in DECISION_DATES:
        start = start.fillna(d.col(name))
    due = d.col("implementation_due")
    d.clock(CheckId.DECISION_UNIMPLEMENTED, requires_action & due.notna().to_numpy(),
            start.fillna(due), due, d.col("implemented_on"))
    d.out[f"{CheckId.DECISION_UNIMPLEMENTED}{START}"] = start.where(requires_action)
    marked = d.text_is("implementation_status", NOT_IMPLEMENTED)
    late = np.nan_to_num(d.out[f"{CheckId.DECISION_UNIMPLEMENTED}{DAYS_LATE}"], nan=0) > 0
    detail = _reasons(d.n, [(marked, "落实情况为“未落实”"),
                            (late & d.col("implemented_on").isna().to_numpy(), "落实期限已过仍未落实"),
                            (late & d.col("implemented_on").notna().to_numpy(), "逾期落实")])
    d.flag(CheckId.DECISION_UNIMPLEMENTED, requires_action, marked, detail)
    d.out[f"{CheckId.DECISION_UNIMPLEMENTED}{DETAIL}"] = detail.where(requires_action)


def _date_unreadable(d: _Deriver) -> None:
    bad = d.unreadable[d.unreadable["field"].isin([f for f in d.df.columns
                                                    if fields().get(f) and fields()[f].is_date])]
    position = pd.Series(np.arange(d.n), index=d.df[SOURCE_ROW].to_numpy())
    bad = bad[bad["source_row"].isin(position.index)]
    text = (bad["header"].astype(str) + "：“" + bad["raw"].astype(str) + "”")
    per_row = text.groupby(bad["source_row"].to_numpy()).agg("；".join)
    detail = pd.Series(pd.NA, index=d.df.index, dtype=object)
    if len(per_row):
        detail.iloc[position[per_row.index].to_numpy()] = per_row.to_numpy()
    d.flag(CheckId.DATA_DATE_UNREADABLE, np.ones(d.n, dtype=bool), detail.notna().to_numpy(),
           "无法识别的日期：" + detail)


def _date_order(d: _Deriver) -> None:
    parts = []
    for earlier, later in date_order_pairs():
        if not (d.has(earlier) and d.has(later)):
            continue
        a, b = d.df[earlier], d.df[later]
        wrong = (b < a).fillna(False).to_numpy(dtype=bool)
        parts.append((wrong, f"{header_of(later)}早于{header_of(earlier)}"))
    violated = np.zeros(d.n, dtype=bool)
    for wrong, _ in parts:
        violated |= wrong
    d.flag(CheckId.DATA_DATE_ORDER, np.ones(d.n, dtype=bool), violated, _reasons(d.n, parts))


def _duplicate_id(d: _Deriver) -> None:
    ids = d.col("case_id")
    dup = (ids.notna() & ids.duplicated(keep=False)).to_numpy(dtype=bool)
    detail = pd.Series(pd.NA, index=d.df.index, dtype=object)
    if dup.any():
        counts = ids[dup].map(ids[dup].value_counts())
        detail[dup] = "编号在台账中出现" + counts.astype(str) + "次"
    d.flag(CheckId.DATA_DUPLICATE_ID, np.ones(d.n, dtype=bool), dup, detail)


def _required_missing(d: _Deriver) -> None:
    parts = []
    for name in ("case_id", "handling_unit", "received_on"):
        if not d.has(name):
            continue
        rows_with_text = d.unreadable.loc[d.unreadable["field"] == name, "source_row"]
        empty = d.df[name].isna().to_numpy() & ~d.df[SOURCE_ROW].isin(rows_with_text).to_numpy()
        parts.append((empty, f"{header_of(name)}为空"))
    violated = np.zeros(d.n, dtype=bool)
    for empty, _ in parts:
        violated |= empty
    d.flag(CheckId.DATA_REQUIRED_MISSING, np.ones(d.n, dtype=bool), violated,
           _reasons(d.n, parts))


#: Each check's derivation; HANDLING_OVERDUE also derives EXTENSION_IRREGULAR (shared clock).
DERIVATIONS = {
    CheckId.REG_LATE: _reg_late,
    CheckId.NOTICE_LATE: _notice_late,
    CheckId.HANDLING_OVERDUE: _handling_and_extension,
    CheckId.REPLY_MISSING: _reply_missing,
    CheckId.FEEDBACK_MISSING: _feedback_missing,
    CheckId.REVIEW_OVERDUE: _review_overdue,
    CheckId.REREVIEW_OVERDUE: _rereview_overdue,
    CheckId.DECISION_UNIMPLEMENTED: _decision_unimplemented,
    CheckId.DATA_DATE_UNREADABLE: _date_unreadable,
    CheckId.DATA_DATE_ORDER: _date_order,
    CheckId.DATA_DUPLICATE_ID: _duplicate_id,
    CheckId.DATA_REQUIRED_MISSING: _required_missing,
}


def derive_clocks(extract: Extract, profiles: ProfileSet, as_of, calendar: LegalCalendar
                  ) -> Clocks:
    """Compute every clock of every item.

    Parameters
    ----------
    extract : Extract
        The loaded extract.
    profiles : ProfileSet
        The rule profile(s) in force (``auto`` selects per item by date).
    as_of : date-like
        The audit date: open items are judged against it.
    calendar : LegalCalendar
        Official holiday table for working-day limits.

    Returns
    -------
    Clocks
        Derived frame aligned with ``extract.frame`` and the list of checks not evaluated.
    """
    as_of = pd.Timestamp(as_of).normalize()
    d = _Deriver(extract, profiles, as_of, calendar)
    present = set(extract.fields_present)
    evaluated, skipped = [], []
    for cid, check in checks().items():
        missing = check.missing_fields(present)
        if cid == CheckId.DATA_REQUIRED_MISSING and not present & {"case_id", "handling_unit",
                                                                  "received_on"}:
            missing = ["case_id"]
        if missing:
            skipped.append(NotEvaluated(cid.value, check.name, missing))
        else:
            evaluated.append(cid)
    for cid, derive in DERIVATIONS.items():
        if cid in evaluated or (cid == CheckId.HANDLING_OVERDUE
                                and CheckId.EXTENSION_IRREGULAR in evaluated):
            derive(d)
    columns = {PROFILE_COLUMN: d.member_of.to_numpy()}
    for name, values in d.out.items():
        values = values.to_numpy() if isinstance(values, pd.Series) else values
        if name.endswith((START, LAST_DAY, ACTUAL)) and values.dtype != _NS:
            values = pd.Series(values).astype(_NS).to_numpy()
        columns[name] = values
    del d
    # copy=False: the derived arrays become the frame's columns as they are (no consolidated
    # copy of the whole clocks table next to them)
    frame = pd.DataFrame(columns, index=extract.frame.index, copy=False)
    return Clocks(frame=frame, as_of=as_of, evaluated=evaluated, not_evaluated=skipped)
