"""Derive every legal clock of every item in one vectorised pass: the clock table.

For each check this module computes, per row of the canonical frame, whether the duty applies
and could be judged, and the legal facts the check's Great Expectations rules compare: the
clock's start, its last allowed day and the day of the act (the as-of date while the act has
not happened) — or, for the rules that span several fields, a yes/no flag named for the rule.
The GX suites (``suites.py``) state the rules on these columns; ``validate.py`` runs them;
nothing here decides what becomes a finding.

**Never accuse wrongly.** A clock is judged only where the ledger proves the duty, the act (or
its absence) and the dates: a row whose start or act cell was unreadable or implausible, whose
vocabulary value is unknown where it decides the duty, or whose start is missing is
*unjudged* (无法判断) — counted, never a finding. Only readable facts make an accountability
finding.

The clock table (column contract, docs/checks.md "The clock table"): ``source_row`` and
``source_file`` (the row's key), ``profile``, and per check ``<check_id>__state`` (int8: :data:`NOT_APPLICABLE`,
:data:`JUDGED`, :data:`UNJUDGED`). Timed checks add ``__start``, ``__last_day``,
``__act_on`` (datetime64[ns]; NaT where the clock is not judged or has not started by the
as-of date) and ``__open`` (boolean: the act has not happened by the as-of date; NA where not
judged); the multi-field rules add their flags (:data:`FLAGS`, nullable ``boolean``/``Int64``,
NA where not judged). ``__detail`` (Chinese text), ``__rule`` (the profile limit whose
citation the row's finding carries, where it varies by row) and ``__note`` (a last day that
fell on a rest day) explain findings; they are object columns with ``None`` where empty.
"No clock" is always NULL (NaT / NA), never NaN: on Spark and SQL, NaN compares true.

The derivation is row-local by contract, so that it can run on any slice of the rows (a chunk,
an Arrow batch inside Spark) and give the rows of the same clock table:

- the whole-table facts (duplicate ids and rows, each row's doubtful cells) are computed first
  (:func:`table_facts`) and passed in (:class:`TableFacts`);
- it reads only the fields :func:`fields_read` lists (the derivations' fields, the profile's
  start events, the fields that decide which checks are evaluated);
- its output is :func:`clock_schema`: the same columns and dtypes for every slice;
- each row is keyed by (``source_file``, ``source_row``).

Everything is computed per profile *member* (at most a handful), never per row. :func:`judged_ledger` gives the other
frame the suites judge: the canonical extract as the checks read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from xfaudit.calendar import LegalCalendar
from xfaudit.dates import DateWindow, REASON_IMPLAUSIBLE, chinese_date
from xfaudit.io.grid import take
from xfaudit.model import Extract, NotEvaluated, SOURCE_FILE, SOURCE_ROW
from xfaudit.profile import START_EVENTS, Profile, ProfileSet
from xfaudit.schema import (UPHELD, CheckId, checks, fields, header_of, required_fields,
                            role_values, vocabulary)

_NS = np.dtype("datetime64[ns]")

#: Column with the name of the profile that governs each row.
PROFILE_COLUMN = "profile"

#: Suffixes of the clock table's columns (see module docstring).
STATE, START, LAST_DAY, ACT_ON, OPEN, DETAIL, RULE, NOTE = (
    "__state", "__start", "__last_day", "__act_on", "__open", "__detail", "__rule", "__note")

#: Suffix of the judged ledger's marker column of a required field that can hold a doubtful
#: cell (:func:`judged_ledger`).
DOUBTFUL = "__doubtful"

#: The columns of the rules that span several fields, per check: suffix → dtype. A flag is
#: True where the rule is broken, False where it is kept, NA where not judged.
FLAGS = {
    CheckId.EXTENSION_IRREGULAR: {"__extension_days": "Int64", "__no_approval": "boolean",
                                  "__no_notice": "boolean"},
    CheckId.REPLY_MISSING: {"__no_reply": "boolean"},
    CheckId.DATA_DATE_UNREADABLE: {"__unreadable": "boolean"},
    CheckId.DATA_DUPLICATE_ROW: {"__copy": "boolean"},
    CheckId.SYSTEM_FLAG_MISMATCH: {"__mismatch": "boolean"},
    CheckId.RECORD_INCONSISTENT: {"__done_without_date": "boolean",
                                  "__date_but_not_done": "boolean",
                                  "__open_with_date": "boolean"},
}

#: Checks the suites judge on the judged ledger (:func:`judged_ledger`), not on the clock table.
LEDGER_CHECKS = (CheckId.DATA_DATE_ORDER, CheckId.DATA_DUPLICATE_ID,
                 CheckId.DATA_REQUIRED_MISSING, CheckId.DATA_VALUE_UNKNOWN)

#: Checks whose failing rows carry their own ``__detail`` text.
DETAILED = (CheckId.DECISION_UNIMPLEMENTED, CheckId.DATA_DATE_UNREADABLE,
            CheckId.DATA_DUPLICATE_ROW, CheckId.SYSTEM_FLAG_MISMATCH)

#: Per check and row: the duty does not apply / it applies and was judged / it applies but the
#: ledger cannot say (unreadable, implausible or unknown-valued cell, missing start).
NOT_APPLICABLE, JUDGED, UNJUDGED = 0, 1, 2

#: Fields by which `auto` picks the text in force, in order of preference.
PROFILE_DATE_FIELDS = ("received_on", "accepted_on", "unit_received_on")

#: Decisions, latest first, and the dates they were made on (DECISION_UNIMPLEMENTED).
DECISIONS = (("rereview_outcome", "rereview_decided_on"), ("review_outcome", "review_decided_on"),
             ("outcome", "concluded_on"))

#: The canonical fields the derivations read, whatever the profile (the profile adds its
#: clocks' start events: :func:`fields_read`).
DERIVE_FIELDS = (
    "received_on", "registered_on", "routing", "routed_on", "track",
    "petitioner", "assigned_deadline", "unit_received_on", "notice_on", "accepted_on",
    "extension_days", "extension_approved_on", "extension_notice_on", "concluded_on",
    "reply_on", "outcome", "feedback_on", "review_requested_on", "review_decided_on",
    "review_outcome", "rereview_requested_on", "rereview_decided_on", "rereview_outcome",
    "hearing_days", "implementation_due", "implemented_on", "implementation_status",
    "status", "system_deadline", "is_concluded", "system_overdue")

#: Checks judged on a last day and the act (``__last_day`` ≥ ``__act_on``).
TIMED_CHECKS = (CheckId.REG_LATE, CheckId.NOTICE_LATE, CheckId.HANDLING_OVERDUE,
                CheckId.FEEDBACK_MISSING, CheckId.REVIEW_OVERDUE, CheckId.REREVIEW_OVERDUE,
                CheckId.DECISION_UNIMPLEMENTED, CheckId.SYSTEM_DEADLINE_OVERDUE)


@dataclass
class TableFacts:
    """The whole-table facts the row-local derivation needs, computed before it.

    Attributes
    ----------
    doubtful : DataFrame
        Boolean per field (columns: the fields with at least one doubtful cell): the cell was
        written but could not be read, or reads as an implausible date.
    doubtful_detail : Series
        Per row, the Chinese list of its doubtful date cells (``收到日期：“2026”（不在合理日期
        范围内）``), NA where none.
    duplicate_ids : Series
        Per row, how many distinct rows share its case id (0 where the id is empty; copies of a
        row are not counted twice).
    copy_of : Series
        Per row, the source row it is an exact copy of (identical in every cell), or NA.
    id_codes : ndarray (int64) or None
        Per row, its case id as a code into ``ids`` (-1: empty), as the duplicate count was
        computed; None where not computed (no 信访件编号, or a part of the rows).
    ids : ndarray (object) or None
        The distinct case ids, in code order.
    """

    doubtful: pd.DataFrame
    doubtful_detail: pd.Series
    duplicate_ids: pd.Series
    copy_of: pd.Series
    id_codes: np.ndarray | None = None
    ids: np.ndarray | None = None


@dataclass
class Clocks:
    """The derived frame plus what could not be evaluated.

    ``frame`` is aligned with the extract's frame (same RangeIndex).
    """

    frame: pd.DataFrame
    as_of: pd.Timestamp
    evaluated: list[CheckId]
    not_evaluated: list[NotEvaluated] = field(default_factory=list)

    def coverage(self, check_id: CheckId) -> dict[str, int]:
        """Rows the check applies to, rows judged and rows that could not be judged."""
        column = f"{check_id}{STATE}"
        if column not in self.frame.columns:
            return {"applicable": 0, "judged": 0, "unjudged": 0}
        state = self.frame[column].to_numpy()
        judged = int((state == JUDGED).sum())
        unjudged = int((state == UNJUDGED).sum())
        return {"applicable": judged + unjudged, "judged": judged, "unjudged": unjudged}


# ---------------------------------------------------------------------------------------------
# Whole-table facts
# ---------------------------------------------------------------------------------------------

def table_facts(extract: Extract, window: DateWindow) -> TableFacts:
    """The facts that need the whole table: doubtful cells, duplicate ids, copied rows.

    Doubtful cells are those the loader could not read (``report.unreadable``) and the dates
    outside ``window`` (the audit's plausible window, which depends on the as-of date). The
    other two are computed from each row's content hash and id, so an engine that sees the
    rows in chunks computes the same facts from the same per-row values
    (:func:`content_hashes`, :func:`copies_of`, :func:`duplicate_counts`).
    """
    frame = extract.frame
    doubtful, detail = doubtful_cells(extract, window)
    copy_of = copies_of(content_hashes(frame), frame[SOURCE_ROW].to_numpy())
    codes = ids = None
    if "case_id" in frame.columns:
        codes, ids = pd.factorize(frame["case_id"], use_na_sentinel=True)
        duplicate_ids = duplicate_counts(codes, copy_of.notna().to_numpy())
        ids = np.asarray(ids, dtype=object)
    else:
        duplicate_ids = np.zeros(len(frame), dtype="int64")
    return TableFacts(doubtful=doubtful, doubtful_detail=detail,
                      duplicate_ids=pd.Series(duplicate_ids, index=frame.index),
                      copy_of=copy_of, id_codes=codes, ids=ids)


def doubtful_cells(extract: Extract, window: DateWindow) -> tuple[pd.DataFrame, pd.Series]:
    """Each row's doubtful cells (row-local): per field, whether the cell is doubtful
    (columns: the fields with at least one), and per row their Chinese list (NA where none).

    ``extract.report.unreadable`` may list rows the frame does not hold (a chunk's report may
    be the whole table's); only the frame's rows are read.
    """
    frame = extract.frame
    n = len(frame)
    position = pd.Series(np.arange(n), index=frame[SOURCE_ROW].to_numpy())
    position = position[~position.index.duplicated()]
    bad = extract.report.unreadable
    bad = bad[bad["source_row"].isin(position.index)]
    doubtful: dict[str, np.ndarray] = {}
    for name, rows in bad.groupby("field")["source_row"]:
        mask = np.zeros(n, dtype=bool)
        mask[position[rows.to_numpy()].to_numpy()] = True
        doubtful[str(name)] = mask
    parts = [bad.assign(row=position[bad["source_row"].to_numpy()].to_numpy())]
    for name in (f for f in frame.columns if fields().get(f) and fields()[f].is_date):
        values = frame[name]
        far = values.notna().to_numpy() & ~window.contains(values.to_numpy())
        if far.any():
            doubtful[name] = doubtful.get(name, np.zeros(n, dtype=bool)) | far
            rows = np.flatnonzero(far)
            parts.append(pd.DataFrame({
                "row": rows, "field": name, "header": header_of(name),
                "raw": values.iloc[rows].dt.strftime("%Y-%m-%d").to_numpy(object),
                "reason": REASON_IMPLAUSIBLE}))
    return (pd.DataFrame(doubtful, index=frame.index),
            _doubtful_detail(pd.concat(parts, ignore_index=True), n))


def _doubtful_detail(bad: pd.DataFrame, n: int) -> pd.Series:
    """Per row: '收到日期：“2026”（不在合理日期范围内）；…' over its doubtful cells."""
    out = pd.Series(pd.NA, index=range(n), dtype=object)
    if bad.empty:
        return out
    reason = bad["reason"].fillna("无法识别") if "reason" in bad else "无法识别"
    text = (bad["header"].astype(str) + "：“" + bad["raw"].astype(str) + "”（"
            + reason + "）")
    # one column feeding two fields lists its cell once
    text = pd.DataFrame({"row": bad["row"].to_numpy(), "text": text.to_numpy()}
                        ).drop_duplicates()
    per_row = text.groupby("row")["text"].agg("；".join)
    out.iloc[per_row.index.to_numpy()] = per_row.to_numpy()
    return out


def content_hashes(frame: pd.DataFrame) -> np.ndarray | None:
    """Per row, a 64-bit hash of every cell but ``source_row`` (row-local: a chunk of the
    rows, with the same columns and dtypes, hashes its rows alike); None without content.

    Each column's cells are hashed (:func:`cell_hashes`), then pandas hashes each row of
    those hashes."""
    content = frame.drop(columns=[SOURCE_ROW])
    if content.empty or not len(content.columns):
        return None
    cells = pd.DataFrame({i: cell_hashes(content.iloc[:, i]) for i in range(content.shape[1])},
                         copy=False)
    return pd.util.hash_pandas_object(cells, index=False).to_numpy()


#: The hash of an empty cell (a text cell never hashes to it: pandas hashes ``None`` as the
#: text "None").
_EMPTY_CELL = np.uint64(np.iinfo(np.uint64).max)


def cell_hashes(values: pd.Series) -> np.ndarray:
    """Per cell, a 64-bit hash of its value (:func:`pandas.util.hash_array`): equal values
    hash alike in any slice of the rows, an empty cell as :data:`_EMPTY_CELL`.

    A text column is hashed per distinct value when it repeats its values, else cell by
    cell: pandas' own way (``categorize=True``) builds a categorical of the distinct values
    first, which for a column of ids or names — nearly all distinct — cost six times the
    hashing (0.17 s against 0.03 s for 100k ids). Either way a value hashes the same."""
    if not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
        return pd.util.hash_pandas_object(values, index=False).to_numpy()
    cells = values.to_numpy(dtype=object)
    sample = cells[:1000]
    if 2 * len(pd.unique(sample)) <= len(sample):
        codes, distinct = pd.factorize(cells, use_na_sentinel=True)     # empty: code -1
        return take(pd.util.hash_array(np.asarray(distinct, dtype=object), categorize=False),
                    codes, _EMPTY_CELL)
    hashed = pd.util.hash_array(cells, categorize=False)
    hashed[pd.isna(cells)] = _EMPTY_CELL
    return hashed


def copies_of(hashes: np.ndarray | None, source_rows: np.ndarray) -> pd.Series:
    """Per row: the source row of the first row above it with the same content hash, or NA
    (an exact copy: identical in every cell)."""
    out = pd.Series(pd.NA, index=pd.RangeIndex(len(source_rows)), dtype="Int64")
    if hashes is None:
        return out
    keys = pd.Series(hashes)
    repeated = keys.duplicated(keep="first").to_numpy()
    if repeated.any():
        first = pd.Series(np.asarray(source_rows), index=hashes)
        first = first[~first.index.duplicated()]
        out[repeated] = first[hashes[repeated]].to_numpy()
    return out


def duplicate_counts(codes: np.ndarray, copy: np.ndarray) -> np.ndarray:
    """Per row: how many distinct rows (a copy does not count) share its case id.

    ``codes`` are the ids factorized over the whole table (-1: empty id, which counts 0).
    """
    codes = np.asarray(codes)
    counted = (codes >= 0) & ~np.asarray(copy, dtype=bool)
    size = int(codes.max()) + 1 if len(codes) else 0
    per_id = np.bincount(codes[counted], minlength=size)
    return np.where(codes >= 0, per_id[np.maximum(codes, 0)] if size else 0, 0).astype("int64")


def doubt_marked_fields() -> list[str]:
    """Required fields whose cell can be written but unreadable — all of them: a date or a
    number the parser cannot read, and in any field an Excel error cell (``#REF!``). The
    judged ledger marks their doubtful cells, which are not "empty"."""
    return list(required_fields())


def ids_as_codes(ledger: pd.DataFrame, facts: TableFacts) -> dict:
    """Put the case ids of :func:`judged_ledger` ``ledger`` as the codes :func:`table_facts`
    already computed (Int64, NULL where the judged id is NULL), in place; return the
    ``decoders`` entry for :func:`xfaudit.validate.run_suites`.

    Only for a ledger whose ``case_id`` just the not-null and unique rules read: they judge
    the codes row for row as the ids, and GX then does not hash a million strings again.
    """
    if "case_id" not in ledger.columns or facts.id_codes is None:
        return {}
    codes = facts.id_codes[facts.copy_of.isna().to_numpy()]
    null = (codes < 0) | ledger["case_id"].isna().to_numpy()
    ledger["case_id"] = pd.arrays.IntegerArray(np.maximum(codes, 0).astype("int64"), null)
    return {"case_id": facts.ids}


def judged_ledger(extract: Extract, facts: TableFacts, columns=None) -> pd.DataFrame:
    """The canonical extract as the checks judge it — the frame of the ledger suite.

    - every doubtful cell (unreadable, or a date outside the plausible window) is NULL: the
      audit never reads it as a date;
    - exact copies of an earlier row are left out (the copy is DATA_DUPLICATE_ROW, judged on
      the clock table, and no other check sees it);
    - for each required field that can hold a doubtful cell (:func:`doubt_marked_fields`),
      ``<field>__doubtful`` (bool) marks the rows whose cell held something unreadable: such a
      cell is not empty, and the suite's not-null rule skips those rows.

    Columns: ``source_row``, the canonical fields present (their loader dtypes), the markers.
    Index: a fresh RangeIndex (row ``i`` is the ``i``-th row of ``extract.frame`` that is not
    a copy).

    Parameters
    ----------
    extract : Extract
    facts : TableFacts
        From :func:`table_facts` (the doubtful cells and the copies).
    columns : iterable of str, optional
        Only these fields (default: every field present).
    """
    frame = extract.frame
    keep = facts.copy_of.isna().to_numpy()
    wanted = None if columns is None else set(columns)
    out = {}
    for name in frame.columns:
        if name != SOURCE_ROW and wanted is not None and name not in wanted:
            continue
        values = frame[name]
        if name in facts.doubtful.columns:
            values = values.mask(facts.doubtful[name].to_numpy(dtype=bool))
        out[name] = values[keep].reset_index(drop=True)
    for name in doubt_marked_fields():
        if name in frame.columns and (wanted is None or name in wanted):
            doubt = (facts.doubtful[name].to_numpy(dtype=bool) if name in facts.doubtful.columns
                     else np.zeros(len(frame), dtype=bool))
            out[f"{name}{DOUBTFUL}"] = pd.Series(doubt[keep])
    return pd.DataFrame(out, index=pd.RangeIndex(int(keep.sum())))


def ledger_positions(facts: TableFacts) -> np.ndarray:
    """Row positions in ``extract.frame`` of the judged ledger's rows (copies left out)."""
    return np.flatnonzero(facts.copy_of.isna().to_numpy())


# ---------------------------------------------------------------------------------------------
# The row-local derivation
# ---------------------------------------------------------------------------------------------

class _Deriver:
    """Holds the inputs of one derivation so the per-check functions stay small."""

    def __init__(self, frame: pd.DataFrame, facts: TableFacts, profiles: ProfileSet,
                 as_of: pd.Timestamp, calendar: LegalCalendar):
        self.df = frame
        self.facts = facts
        self.profiles = profiles
        self.as_of = as_of
        self.calendar = calendar
        self.n = len(self.df)
        self.out: dict[str, pd.Series | np.ndarray] = {}
        self.copy = facts.copy_of.notna().to_numpy()
        self._distinct: dict[str, tuple[np.ndarray, np.ndarray]] = {}
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
                 "repeat": "boolean", "concluded": "boolean"}.get(kind, "object")
        return pd.Series(pd.NA if dtype != "datetime64[ns]" else pd.NaT,
                         index=self.df.index, dtype=dtype)

    def doubt(self, *names: str) -> np.ndarray:
        """Rows where any of the fields holds a doubtful cell (unreadable or implausible)."""
        out = np.zeros(self.n, dtype=bool)
        for name in names:
            if name in self.facts.doubtful.columns:
                out |= self.facts.doubtful[name].to_numpy(dtype=bool)
        return out

    def distinct(self, name: str) -> tuple[np.ndarray, np.ndarray] | None:
        """A text column's per-row codes (-1: empty) and distinct values, factorized once per
        derivation: the checks ask about the same few vocabulary columns dozens of times, and
        each question is then one about its handful of values. None for other columns."""
        if name not in self._distinct:
            column = self.col(name)
            if column.dtype != object:
                return None
            codes, values = pd.factorize(column.to_numpy(), use_na_sentinel=True)
            self._distinct[name] = (codes, np.asarray(values, dtype=object))
        return self._distinct[name]

    def _per_row(self, name: str, per_value: Callable[[object], bool]) -> np.ndarray:
        """Per row of a text column: ``per_value`` of its value (False where empty)."""
        codes, values = self.distinct(name)
        said = np.fromiter((per_value(v) for v in values), dtype=bool, count=len(values))
        return take(said, codes, False)

    def present(self, name: str) -> np.ndarray:
        """Rows where the field holds a value (a doubtful cell holds none the audit can use)."""
        coded = self.distinct(name)
        filled = (coded[0] >= 0 if coded is not None
                  else self.col(name).notna().to_numpy(dtype=bool))
        return filled & ~self.doubt(name)

    def text_is(self, name: str, values) -> np.ndarray:
        """Boolean mask: the text column equals one of ``values`` (False where absent/NA)."""
        values = [values] if isinstance(values, str) else list(values)
        if self.distinct(name) is not None:
            wanted = set(values)
            return self._per_row(name, lambda v: v in wanted)
        return self.col(name).isin(values).fillna(False).to_numpy(dtype=bool)

    def role(self, name: str, role: str) -> np.ndarray:
        """Rows whose value of a vocabulary field plays ``role`` (checks.toml ``[roles]``)."""
        return self.text_is(name, role_values(name, role))

    def unknown(self, name: str) -> np.ndarray:
        """Rows whose value is not in the field's vocabulary (written, but not understood)."""
        if not self.has(name):
            return np.zeros(self.n, dtype=bool)
        known = vocabulary(fields()[name].kind)
        if self.distinct(name) is not None:
            known = set(known)
            return self._per_row(name, lambda v: v not in known)
        values = self.df[name]
        return (values.notna() & ~values.isin(known)).to_numpy(dtype=bool)

    def blank(self, name: str) -> np.ndarray:
        coded = self.distinct(name)
        return coded[0] < 0 if coded is not None else self.col(name).isna().to_numpy(dtype=bool)

    def on_tracks(self, member_key: str) -> np.ndarray:
        """Rows whose 办理途径 is one of the member profile's list ``member_key``; an empty or
        unknown track counts as 信访程序 (the residual track, 2022 第三十一条第六项); an empty list
        means every row."""
        ok = np.zeros(self.n, dtype=bool)
        residual = self.blank("track") | self.unknown("track")
        for member in self.profiles.members:
            tracks = getattr(member, member_key)
            rows = self.masks[member.name]
            if not tracks:
                ok |= rows
            else:
                listed = self.text_is("track", tracks)
                ok |= rows & (listed | (residual & ("信访程序" in tracks)))
        return ok

    def off_tracks(self, member_key: str) -> np.ndarray:
        """Rows whose 办理途径 is one of the member profile's exemption list ``member_key``."""
        out = np.zeros(self.n, dtype=bool)
        for member in self.profiles.members:
            tracks = getattr(member, member_key)
            if tracks:
                out |= self.masks[member.name] & self.text_is("track", tracks)
        return out

    def _assign_members(self) -> pd.Series:
        """Name of the profile member governing each row (auto: by the item's date)."""
        members = self.profiles.members
        if len(members) == 1:
            return pd.Series(members[0].name, index=self.df.index, dtype=object)
        date = pd.Series(pd.NaT, index=self.df.index, dtype="datetime64[ns]")
        for name in PROFILE_DATE_FIELDS:
            if self.has(name):
                date = date.fillna(self.df[name].where(~self.doubt(name)))
        chosen = pd.Series(members[-1].name, index=self.df.index, dtype=object)
        for member in members:
            if member.effective_from is not None:
                chosen[date >= pd.Timestamp(member.effective_from)] = member.name
        earliest = members[0]
        before_all = date < pd.Timestamp(earliest.effective_from or pd.Timestamp.min)
        chosen[before_all] = earliest.name
        return chosen

    # -- day arithmetic -----------------------------------------------------------------
    def start_of(self, limit_key: str) -> pd.Series:
        """The event each row's clock of ``limit_key`` starts from (per its profile); a
        doubtful start is no start (the calendar never sees an implausible year)."""
        result = pd.Series(pd.NaT, index=self.df.index, dtype="datetime64[ns]")
        for member in self.profiles.members:
            name = member.start_of(limit_key)
            rows = self.masks[member.name] & ~self.doubt(name)
            if rows.any():
                result[rows] = self.col(name)[rows]
        return result

    def start_fields(self, limit_key: str) -> tuple[str, ...]:
        return tuple({m.start_of(limit_key) for m in self.profiles.members})

    def deadline(self, start: pd.Series, limit_key: str, *, row_mask=None) -> pd.Series:
        """Last allowed day of ``limit_key`` from ``start``, each row by its own profile.

        Rows whose start is after the as-of date are not computed (their clock cannot have run
        out), so a date in a year without a holiday table never stops the audit for them.
        """
        result = pd.Series(pd.NaT, index=self.df.index, dtype="datetime64[ns]")
        started = (start <= self.as_of).fillna(False).to_numpy(dtype=bool)
        for member in self.profiles.members:
            rows = self.masks[member.name] & started
            if row_mask is not None:
                rows = rows & row_mask
            if not rows.any():
                continue
            limit = member.limit(limit_key)
            result[rows] = self.calendar.add_days(
                start[rows], limit.days, limit.day_kind, roll_forward=member.roll_forward)
        return result

    def per_member(self, values: dict[str, float], default: float = np.nan) -> np.ndarray:
        """A per-row float array from a value per profile member."""
        out = np.full(self.n, default, dtype=float)
        for name, value in values.items():
            out[self.masks[name]] = value
        return out

    # -- output -------------------------------------------------------------------------
    def clock(self, cid: CheckId, applies: np.ndarray, start: pd.Series, last_day: pd.Series,
              actual: pd.Series, *, doubtful: np.ndarray, may_be_open: np.ndarray | None = None,
              rule: pd.Series | None = None) -> np.ndarray:
        """Store a timed clock: its start, last day, act (the as-of date while open) and
        whether it is still open. Return its days late (NaN where it does not run), which the
        notes and details derived here use; the judgement itself is the suite's
        (``__last_day`` ≥ ``__act_on``).

        A row is judged when the duty ``applies``, its start and last day are known, none of
        its inputs is ``doubtful``, and — where the act is missing — an open item is a fact
        (``may_be_open``: False where a missing act date proves nothing, e.g. an unknown
        routing or a 存 item without a date). A judged clock whose start is after the as-of
        date has not run: its act is NULL, so it can never fail.
        """
        applies = applies & ~self.copy
        open_ = actual.isna().to_numpy()
        pending = (start > self.as_of).fillna(False).to_numpy(dtype=bool)
        known = (start.notna().to_numpy() & (last_day.notna().to_numpy() | pending)
                 & ~doubtful)
        if may_be_open is not None:
            known &= ~open_ | may_be_open
        judged = applies & known
        running = judged & ~pending
        act_on = actual.fillna(self.as_of).where(running)
        late = (act_on - last_day).dt.days.to_numpy(dtype=float, na_value=np.nan)
        self._state(cid, applies, judged)
        self.out[f"{cid}{START}"] = start.where(judged)
        self.out[f"{cid}{LAST_DAY}"] = last_day.where(judged)
        self.out[f"{cid}{ACT_ON}"] = act_on
        self.out[f"{cid}{OPEN}"] = _nullable(open_, running)
        if rule is not None:
            self.out[f"{cid}{RULE}"] = rule.where(judged)
        self._rest_day_note(cid, last_day, late)
        return late

    def flag(self, cid: CheckId, applies: np.ndarray, flags: dict[str, np.ndarray],
             detail: pd.Series | None = None, *, doubtful: np.ndarray | None = None
             ) -> np.ndarray:
        """Store the flags of a multi-field rule (NA where not judged) and the detail text of
        the rows that break it; return the judged mask."""
        applies = applies & ~self.copy
        judged = applies if doubtful is None else applies & ~doubtful
        self._state(cid, applies, judged)
        broken = np.zeros(self.n, dtype=bool)
        for suffix, violated in flags.items():
            self.out[f"{cid}{suffix}"] = _nullable(violated, judged)
            broken |= violated
        if detail is not None:
            self.out[f"{cid}{DETAIL}"] = detail.where(judged & broken)
        return judged

    def judged_elsewhere(self, cid: CheckId) -> None:
        """A check the suites judge on the judged ledger: every row but a copy is judged."""
        self._state(cid, ~self.copy, ~self.copy)

    def _state(self, cid: CheckId, applies: np.ndarray, judged: np.ndarray) -> None:
        state = np.where(applies, np.where(judged, JUDGED, UNJUDGED), NOT_APPLICABLE)
        self.out[f"{cid}{STATE}"] = state.astype("int8")

    def _rest_day_note(self, cid: CheckId, last_day: pd.Series, late: np.ndarray) -> None:
        """For late rows whose last day was a rest day: say so, and what roll-forward gives."""
        rows = np.flatnonzero(np.nan_to_num(late, nan=0) > 0)
        if not len(rows):
            return
        label, following = self.calendar.rest_days(last_day.iloc[rows])
        rest = label != ""
        if not rest.any():
            return
        rows, label, following = rows[rest], label[rest], following[rest]
        notes = pd.Series(pd.NA, index=self.df.index, dtype=object)
        days = late[rows] - (following - last_day.iloc[rows].to_numpy()).astype(
            "timedelta64[D]").astype(float)
        text = [f"期限届满日{chinese_date(day)}为{name}；若顺延至{chinese_date(nxt)}，"
                + (f"则超期{int(d)}日" if d > 0 else "则未超期")
                for day, name, nxt, d in zip(last_day.iloc[rows], label, following, days,
                                             strict=True)]
        notes.iloc[rows] = text
        self.out[f"{cid}{NOTE}"] = notes


def _nullable(values: np.ndarray, known: np.ndarray) -> pd.arrays.BooleanArray:
    """A nullable boolean column: ``values`` where ``known``, NA elsewhere (never NaN)."""
    return pd.arrays.BooleanArray(np.asarray(values, dtype=bool), mask=~np.asarray(known))


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


# -- accountability checks ----------------------------------------------------------------

def _reg_late(d: _Deriver) -> None:
    """登记转送交办: the 信访部门 disposes of every item within the limit (2022 第二十二条第一款).

    The act depends on the disposal: routed → 转交日期; by notice (告知, 不予受理, 不再受理) →
    转交日期, else 告知日期; kept (存) → 转交日期, else 登记日期 (never open: a kept item
    without a date is unjudged). An unknown routing value judges a recorded date but never an
    open item.
    """
    start = d.start_of("register")
    applies = ~d.role("routing", "direct") & ~d.off_tracks("register_exempt_tracks")
    routed = d.col("routed_on")
    by_notice, kept = d.role("routing", "notice"), d.role("routing", "kept")
    actual = routed.where(~by_notice, routed.fillna(d.col("notice_on")))
    actual = actual.where(~kept, actual.fillna(d.col("registered_on")))
    act_fields = np.where(by_notice, "notice", np.where(kept, "kept", "routed"))
    doubtful = d.doubt(*d.start_fields("register"), "routed_on") | (
        (act_fields == "notice") & d.blank("routed_on") & d.doubt("notice_on")) | (
        (act_fields == "kept") & d.blank("routed_on") & d.doubt("registered_on"))
    may_be_open = ~kept & ~d.unknown("routing")
    d.clock(CheckId.REG_LATE, applies, start, d.deadline(start, "register"), actual,
            doubtful=doubtful, may_be_open=may_be_open)


def _notice_late(d: _Deriver) -> None:
    """受理告知: the handling unit's written notice within 15 days.

    Routed items (转送/交办/督办, or any item with a 单位收到日期 whose routing is blank): from
    the unit's receipt (2022 第二十三条第三款); items submitted directly (直接办理): from
    receipt, not owed when the petitioner's name or address is unclear (第二十三条第二款).
    Tracks whose notices follow other rules (第二十三条第四款) are not judged. An unknown
    routing value judges a recorded notice but never a missing one.
    """
    direct = d.role("routing", "direct")
    unknown = d.unknown("routing")
    received_by_unit = d.present("unit_received_on") | d.doubt("unit_received_on")
    routed = d.role("routing", "routed") | ((d.blank("routing") | unknown) & received_by_unit)
    anonymous = np.zeros(d.n, dtype=bool)
    if d.has("petitioner"):
        names = d.col("petitioner")
        anonymous = names.isna().to_numpy(dtype=bool, copy=True)
        for member in d.profiles.members:
            anonymous |= d.masks[member.name] & names.isin(
                member.anonymous_petitioners).fillna(False).to_numpy(dtype=bool)
    applies = ((direct & ~anonymous) | routed) & ~d.off_tracks("notice_exempt_tracks")
    start = d.start_of("notice_direct").where(direct, d.start_of("notice_routed"))
    last_day = d.deadline(start, "notice_routed", row_mask=~direct).where(
        ~direct, d.deadline(start, "notice_direct", row_mask=direct))
    doubtful = d.doubt("notice_on") | np.where(
        direct, d.doubt(*d.start_fields("notice_direct")),
        d.doubt(*d.start_fields("notice_routed")))
    may_be_open = ~unknown & ~(anonymous & ~direct & ~d.role("routing", "routed"))
    rule = pd.Series(np.where(direct, "notice_direct", "notice_routed"), index=d.df.index,
                     dtype=object)
    d.clock(CheckId.NOTICE_LATE, applies, start, last_day, d.col("notice_on"),
            doubtful=doubtful, may_be_open=may_be_open, rule=rule)


def _handling_and_extension(d: _Deriver) -> None:
    """办结 within 60 days of acceptance (+ a valid extension), and the extension's validity.

    Applies where the item was accepted (a 受理日期, readable or not) on a handling track; an
    unknown track value keeps the clock (信访程序 is the residual track).
    """
    accepted = d.start_of("handling")
    accepted_fields = d.start_fields("handling")
    applies = ((accepted.notna().to_numpy(dtype=bool) | d.doubt(*accepted_fields))
               & d.on_tracks("handling_tracks"))
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
        rows = d.masks[member.name] & valid & original.notna().to_numpy()
        if rows.any():
            kind = member.limit("extension").day_kind
            extended[rows] = d.calendar.add_days(
                original[rows], d.col("extension_days")[rows].astype("int64"), kind,
                roll_forward=member.roll_forward)
    extension_doubt = d.doubt("extension_days", "extension_approved_on", "extension_notice_on")
    d.clock(CheckId.HANDLING_OVERDUE, applies, accepted, extended, d.col("concluded_on"),
            doubtful=d.doubt(*accepted_fields, "concluded_on") | extension_doubt)
    if CheckId.EXTENSION_IRREGULAR in d.evaluated:
        _extension(d, applies & (has_extension | d.doubt("extension_days")), accepted, original,
                   doubtful=d.doubt(*accepted_fields) | extension_doubt,
                   no_approval=unapproved, no_notice=untold)


def _extension(d: _Deriver, applies: np.ndarray, accepted: pd.Series, original: pd.Series, *,
               doubtful: np.ndarray, no_approval: np.ndarray, no_notice: np.ndarray) -> None:
    """The extension's facts, which the suite judges: its days (at most the profile's cap),
    an approval on or before the original last day (``__last_day`` ≥ ``__act_on``, the
    approval date) and a notice to the petitioner."""
    cid = CheckId.EXTENSION_IRREGULAR
    judged = d.flag(cid, applies & original.notna().to_numpy(),
                    {"__no_approval": no_approval, "__no_notice": no_notice}, doubtful=doubtful)
    d.out[f"{cid}__extension_days"] = d.col("extension_days").astype("Int64").where(
        judged, pd.NA).array
    d.out[f"{cid}{START}"] = accepted.where(judged)
    d.out[f"{cid}{LAST_DAY}"] = original.where(judged)
    d.out[f"{cid}{ACT_ON}"] = d.col("extension_approved_on").where(judged)


def _reply_missing(d: _Deriver) -> None:
    """书面答复 / 信访处理意见书: owed for a concluded item on a reply track (2022 第三十一条
    第六项、第三十二条第一款; 2005 第三十二条第一款); diverted items owe none."""
    concluded = d.col("concluded_on")
    applies = ((concluded.notna().to_numpy(dtype=bool) | d.doubt("concluded_on"))
               & d.on_tracks("reply_tracks"))
    doubtful = d.doubt("concluded_on", "reply_on")
    judged = d.flag(CheckId.REPLY_MISSING, applies, {"__no_reply": d.blank("reply_on")},
                    doubtful=doubtful)
    d.out[f"{CheckId.REPLY_MISSING}{START}"] = concluded.where(judged)


def _feedback_missing(d: _Deriver) -> None:
    """交办 items report back by the assigning body's deadline (2022 第二十二条第一款第（三）项)."""
    due = d.col("assigned_deadline")
    applies = d.role("routing", "assigned") & (due.notna().to_numpy() | d.doubt("assigned_deadline"))
    start = d.col("routed_on")
    d.clock(CheckId.FEEDBACK_MISSING, applies, start.fillna(due), due, d.col("feedback_on"),
            doubtful=d.doubt("assigned_deadline", "feedback_on"))
    judged = d.out[f"{CheckId.FEEDBACK_MISSING}{STATE}"] == JUDGED
    d.out[f"{CheckId.FEEDBACK_MISSING}{START}"] = start.where(judged & ~d.doubt("routed_on"))


def _review_overdue(d: _Deriver) -> None:
    requested = d.start_of("review")
    applies = requested.notna().to_numpy(dtype=bool) | d.doubt(*d.start_fields("review"))
    d.clock(CheckId.REVIEW_OVERDUE, applies, requested, d.deadline(requested, "review"),
            d.col("review_decided_on"),
            doubtful=d.doubt(*d.start_fields("review"), "review_decided_on"))


def _rereview_overdue(d: _Deriver) -> None:
    requested = d.start_of("rereview")
    applies = requested.notna().to_numpy(dtype=bool) | d.doubt(*d.start_fields("rereview"))
    last_day = d.deadline(requested, "rereview")
    hearing = d.col("hearing_days").astype("Float64").fillna(0)
    last_day = last_day + pd.to_timedelta(hearing.to_numpy(dtype=float), unit="D")
    d.clock(CheckId.REREVIEW_OVERDUE, applies, requested, last_day, d.col("rereview_decided_on"),
            doubtful=d.doubt(*d.start_fields("rereview"), "rereview_decided_on", "hearing_days"))


def _operative_decision(d: _Deriver) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """The decision in force per row: the latest outcome that is not 维持 (a 维持 leaves the
    earlier decision standing), its date, and whether an unknown value made it unclear."""
    outcome = pd.Series(None, index=d.df.index, dtype=object)
    date = pd.Series(pd.NaT, index=d.df.index, dtype="datetime64[ns]")
    unclear = np.zeros(d.n, dtype=bool)
    settled = np.zeros(d.n, dtype=bool)
    for name, date_field in DECISIONS:
        values = d.col(name)
        take = values.notna().to_numpy(dtype=bool) & ~d.text_is(name, UPHELD) & ~settled
        unclear |= take & d.unknown(name)
        outcome[take] = values[take]
        date[take] = d.col(date_field)[take]
        settled |= take
    return outcome, date, unclear


def _decision_unimplemented(d: _Deriver) -> None:
    """A decision that requires action is carried out by its 落实期限 (第三十二条第二款).

    Fires when the 落实期限 has passed and no 落实日期 is recorded (the status not 已落实), or
    the 落实日期 is after it. Without a 落实期限 no day is proven: 未落实 alone is unjudged.
    """
    outcome, decided_on, unclear = _operative_decision(d)
    requires_action = np.zeros(d.n, dtype=bool)
    for member in d.profiles.members:
        requires_action |= d.masks[member.name] & outcome.isin(
            member.action_outcomes).fillna(False).to_numpy(dtype=bool)
    applies = requires_action | unclear
    due = d.col("implementation_due")
    done_status = d.role("implementation_status", "done")
    marked_not_done = d.role("implementation_status", "not_done")
    doubtful = (unclear | d.doubt("implementation_due", "implemented_on")
                | d.unknown("implementation_status"))
    # 已落实 without a date proves neither an act nor its absence: not judged here
    may_be_open = ~done_status
    start = decided_on.fillna(due)
    late = d.clock(CheckId.DECISION_UNIMPLEMENTED, applies, start, due, d.col("implemented_on"),
                   doubtful=doubtful, may_be_open=may_be_open)
    judged = d.out[f"{CheckId.DECISION_UNIMPLEMENTED}{STATE}"] == JUDGED
    d.out[f"{CheckId.DECISION_UNIMPLEMENTED}{START}"] = decided_on.where(judged)
    overdue = np.nan_to_num(late, nan=0) > 0
    implemented = d.present("implemented_on")
    detail = _reasons(d.n, [(overdue & ~implemented & marked_not_done, "落实情况为“未落实”"),
                            (overdue & ~implemented, "落实期限已过仍未落实"),
                            (overdue & implemented, "逾期落实")])
    d.out[f"{CheckId.DECISION_UNIMPLEMENTED}{DETAIL}"] = detail.where(judged)


# -- data-quality checks -------------------------------------------------------------------

def _system_deadline_overdue(d: _Deriver) -> None:
    """按系统限办时间超期: where the statutory handling clock is not judged for a row, the
    deadline the petition system set (限办时间) is: open past it, or concluded after it.

    The act is 办结日期. Without one, the absence is proven only by 是否办结 = 否 or an open
    信访件状态; a concluded item without a date is unjudged. Items not accepted (不予受理,
    不再受理) or on a diverted track are not judged.
    """
    handling_state = d.out.get(f"{CheckId.HANDLING_OVERDUE}{STATE}")
    statutory = (np.asarray(handling_state) == JUDGED
                 if CheckId.HANDLING_OVERDUE in d.evaluated else np.zeros(d.n, dtype=bool))
    due = d.col("system_deadline")
    applies = ((due.notna().to_numpy(dtype=bool) | d.doubt("system_deadline")) & ~statutory
               & ~d.role("status", "not_accepted") & d.on_tracks("handling_tracks"))
    concluded_on = d.col("concluded_on")
    flag = d.col("is_concluded")
    said_open = (flag.eq(False).fillna(False).to_numpy(dtype=bool) & ~d.doubt("is_concluded")) | (
        d.role("status", "open") & ~flag.eq(True).fillna(False).to_numpy(dtype=bool))
    # the start is shown as the item's receipt; the clock runs on the system's own deadline
    start = d.col("received_on").where(~d.doubt("received_on")).fillna(due)
    d.clock(CheckId.SYSTEM_DEADLINE_OVERDUE, applies, start, due.where(~d.doubt("system_deadline")),
            concluded_on, doubtful=d.doubt("system_deadline", "concluded_on"),
            may_be_open=said_open & ~d.unknown("status"))


def _system_flag_mismatch(d: _Deriver) -> None:
    """The system's 超期 flag or status disagrees with the statutory computation, either way.

    It applies where the system says something about a stage (是否超期 for 办理; a status of
    the stage or its 超期 status) that the statute sets a clock for, and is judged only where
    that clock is judged: a system flag with no statutory clock to compare it with (its
    columns missing, its dates unreadable) is 无法判断, not 已评估.
    """
    parts = []
    says = np.zeros(d.n, dtype=bool)
    compared = np.zeros(d.n, dtype=bool)
    for cid, overdue_role, stage_role in (
            (CheckId.HANDLING_OVERDUE, "overdue_handling", "in_handling"),
            (CheckId.REVIEW_OVERDUE, "overdue_review", "in_review"),
            (CheckId.REREVIEW_OVERDUE, "overdue_rereview", "in_rereview")):
        stage_says = d.role("status", stage_role) | d.role("status", overdue_role)
        if cid == CheckId.HANDLING_OVERDUE and d.has("system_overdue"):
            stage_says = stage_says | d.col("system_overdue").notna().to_numpy(dtype=bool)
        state = d.out.get(f"{cid}{STATE}")
        if state is None or cid not in d.evaluated:
            says |= stage_says      # the clock lacks its columns: unjudged
            continue
        state = np.asarray(state)
        # where the statute sets no such clock for the row (不予受理 …) there is nothing to compare
        says |= stage_says & (state != NOT_APPLICABLE)
        judged = state == JUDGED
        compared |= stage_says & judged
        act_on = pd.Series(d.out[f"{cid}{ACT_ON}"])
        last_day = pd.Series(d.out[f"{cid}{LAST_DAY}"])
        late = (act_on > last_day).fillna(False).to_numpy(dtype=bool)
        still_open = pd.Series(d.out[f"{cid}{OPEN}"]).eq(True).fillna(False).to_numpy(dtype=bool)
        name = checks()[cid].name
        if cid == CheckId.HANDLING_OVERDUE and d.has("system_overdue"):
            flag = d.col("system_overdue")
            says_late = flag.eq(True).fillna(False).to_numpy(dtype=bool)
            says_on_time = flag.eq(False).fillna(False).to_numpy(dtype=bool)
            parts.append((judged & says_late & ~late,
                          f"系统标记为超期，但按法定时限未超期（{name}）"))
            parts.append((judged & says_on_time & late,
                          f"按法定时限已超期，但系统标记为未超期（{name}）"))
        in_stage = d.role("status", stage_role)
        says_overdue = d.role("status", overdue_role)
        parts.append((judged & says_overdue & ~(still_open & late),
                      f"信访件状态为超期，但按法定时限未超期或已办理（{name}）"))
        parts.append((judged & in_stage & ~says_overdue & still_open & late,
                      f"按法定时限已超期仍未办理，但信访件状态未显示超期（{name}）"))
    violated = np.zeros(d.n, dtype=bool)
    for mask, _ in parts:
        violated |= mask
    d.flag(CheckId.SYSTEM_FLAG_MISMATCH, says, {"__mismatch": violated}, _reasons(d.n, parts),
           doubtful=~compared)


def _date_unreadable(d: _Deriver) -> None:
    detail = d.facts.doubtful_detail
    d.flag(CheckId.DATA_DATE_UNREADABLE, np.ones(d.n, dtype=bool),
           {"__unreadable": detail.notna().to_numpy()}, detail)


def _duplicate_row(d: _Deriver) -> None:
    """The copy of a row pasted twice (the copy itself is judged by no other check)."""
    cid = CheckId.DATA_DUPLICATE_ROW
    detail = ("与台账第" + d.facts.copy_of.astype("string")
              + "行完全相同（重复录入），不重复计算").astype(object)
    d.out[f"{cid}{STATE}"] = np.full(d.n, JUDGED, dtype="int8")
    d.out[f"{cid}__copy"] = _nullable(d.copy, np.ones(d.n, dtype=bool))
    d.out[f"{cid}{DETAIL}"] = detail.where(d.copy)


def _record_inconsistent(d: _Deriver) -> None:
    """The ledger contradicts itself about an act (docs/checks.md, RECORD_INCONSISTENT), as
    three flags: 落实情况 *done* with no 落实日期 (``__done_without_date``); a 落实日期 with
    落实情况 *not_done* (``__date_but_not_done``); 是否办结 = 否 with a 办结日期
    (``__open_with_date``). A row whose compared date or flag cell is doubtful is not judged
    (a cell that cannot be read is neither a date nor its absence).
    """
    cid = CheckId.RECORD_INCONSISTENT
    done = d.role("implementation_status", "done")
    not_done = d.role("implementation_status", "not_done")
    status_known = done | not_done
    flag = d.col("is_concluded")
    flag_known = flag.notna().to_numpy(dtype=bool) & ~d.doubt("is_concluded")
    applies = status_known | flag_known | d.doubt("is_concluded")
    doubtful = ((status_known & d.doubt("implemented_on"))
                | (flag_known & d.doubt("concluded_on")) | d.doubt("is_concluded"))
    said_open = flag_known & flag.eq(False).fillna(False).to_numpy(dtype=bool)
    judged = d.flag(cid, applies, {
        "__done_without_date": done & d.blank("implemented_on"),
        "__date_but_not_done": not_done & d.present("implemented_on"),
        "__open_with_date": said_open & d.present("concluded_on")}, doubtful=doubtful)
    # shown only: the 落实期限 of the decision, else the 办结日期 the flag contradicts
    on = d.col("implementation_due").where(status_known, d.col("concluded_on"))
    d.out[f"{cid}{START}"] = on.where(judged & ~d.doubt("implementation_due", "concluded_on"))


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
    CheckId.SYSTEM_DEADLINE_OVERDUE: _system_deadline_overdue,
    CheckId.DATA_DATE_UNREADABLE: _date_unreadable,
    CheckId.DATA_DUPLICATE_ROW: _duplicate_row,
    CheckId.SYSTEM_FLAG_MISMATCH: _system_flag_mismatch,
    CheckId.RECORD_INCONSISTENT: _record_inconsistent,
    **{cid: partial(_Deriver.judged_elsewhere, cid=cid) for cid in LEDGER_CHECKS},
}


def fields_read(profiles: ProfileSet) -> list[str]:
    """Every canonical field the clock table depends on, in contract order.

    The fields the derivations read (:data:`DERIVE_FIELDS`), the events the profile's clocks
    start from (``start`` of its limits) and the fields that decide which checks are
    evaluated (each check's ``needs``, the required fields). Deriving on a frame holding only
    these fields (and ``source_row``) gives the same clock table: a chunked or distributed
    engine needs to move no other column to the derivation.
    """
    wanted = set(DERIVE_FIELDS) | set(PROFILE_DATE_FIELDS) | set(required_fields())
    for member in profiles.members:
        wanted |= {member.start_of(key) for key in START_EVENTS if key in member.limits}
    for check in checks().values():
        wanted |= set(check.needs) | set(check.needs_any)
    return [name for name in fields() if name in wanted]


def calendar_starts(profiles: ProfileSet) -> dict[str, list[tuple[Profile, str]]]:
    """The start events whose clocks need the holiday table: field → (member, limit key) of
    every limit counted in working days or rolled forward over rest days (``extension``
    counts from the handling clock's last day: listed under the handling start)."""
    out: dict[str, list[tuple[Profile, str]]] = {}
    for member in profiles.members:
        for key in START_EVENTS:
            if key not in member.limits:
                continue
            limit = member.limit(key)
            needs = limit.day_kind == "working" or member.roll_forward != "none"
            extension = key == "handling" and "extension" in member.limits and (
                member.limit("extension").day_kind == "working")
            if needs or extension:
                out.setdefault(member.start_of(key), []).append((member, key))
    return out


def check_calendar(starts: dict[str, pd.Series], profiles: ProfileSet, as_of,
                   calendar: LegalCalendar) -> None:
    """Raise the :class:`~xfaudit.errors.CalendarError` the derivation would raise, from a
    sample of each start event's dates: an engine that derives in tasks (Spark) checks the
    holiday table's years on the driver first, where the error keeps its class.

    Parameters
    ----------
    starts : dict
        Field → dates of that field; for an exact check, per calendar year present the
        earliest and the latest date on or before the as-of date (every row's clock lies
        between its year's earliest start and its latest start's last day).
    profiles, as_of, calendar
        As for :func:`derive_clocks`.
    """
    as_of = pd.Timestamp(as_of).normalize()
    for name, uses in calendar_starts(profiles).items():
        dates = pd.Series(starts.get(name, pd.Series(dtype="datetime64[ns]")),
                          dtype="datetime64[ns]").dropna()
        dates = dates[dates <= as_of].reset_index(drop=True)
        if dates.empty:
            continue
        for member, key in uses:
            limit = member.limit(key)
            last = calendar.add_days(dates, limit.days, limit.day_kind,
                                     roll_forward=member.roll_forward)
            if key == "handling" and "extension" in member.limits:
                extension = member.limit("extension")
                calendar.add_days(last, extension.days, extension.day_kind,
                                  roll_forward=member.roll_forward)


def derived_checks(evaluated) -> list[CheckId]:
    """The checks whose columns the clock table holds, in report order (HANDLING_OVERDUE's
    clock is derived with EXTENSION_IRREGULAR's, which needs its original last day)."""
    wanted = set(evaluated)
    if CheckId.EXTENSION_IRREGULAR in wanted:
        wanted.add(CheckId.HANDLING_OVERDUE)
    return [cid for cid in checks() if cid in wanted]


def clock_schema(evaluated) -> dict[str, str]:
    """The clock table's columns and dtypes for the checks evaluated, in order — the same for
    every extract (and every chunk of one) with those checks (docs/checks.md)."""
    schema = {SOURCE_ROW: "int64", SOURCE_FILE: "object", PROFILE_COLUMN: "object"}
    for cid in derived_checks(evaluated):
        schema[f"{cid}{STATE}"] = "int8"
        if cid in TIMED_CHECKS:
            dates = (START, LAST_DAY, ACT_ON)
        else:
            dates = {CheckId.EXTENSION_IRREGULAR: (START, LAST_DAY, ACT_ON),
                     CheckId.REPLY_MISSING: (START,),
                     CheckId.RECORD_INCONSISTENT: (START,)}.get(cid, ())
        schema.update({f"{cid}{suffix}": "datetime64[ns]" for suffix in dates})
        if cid in TIMED_CHECKS:
            schema[f"{cid}{OPEN}"] = "boolean"
        schema.update({f"{cid}{suffix}": dtype for suffix, dtype in FLAGS.get(cid, {}).items()})
        if cid in DETAILED:
            schema[f"{cid}{DETAIL}"] = "object"
        if cid == CheckId.NOTICE_LATE:
            schema[f"{cid}{RULE}"] = "object"
        if cid in TIMED_CHECKS:
            schema[f"{cid}{NOTE}"] = "object"
    return schema


def _empty_column(dtype: str, n: int):
    """An all-NULL column of a contract dtype (a note column without notes)."""
    if dtype == "object":
        return pd.Series([None] * n, dtype=object)
    return pd.array([pd.NA] * n, dtype=dtype) if dtype in ("boolean", "Int64") else \
        np.full(n, np.datetime64("NaT"), dtype=_NS)


def _contract_dtype(name: str, values):
    """A derived column in the clock table's dtype: dates ``datetime64[ns]`` (NaT), text
    ``object`` with ``None``, flags and counts nullable (NA) — never NaN for "no clock"."""
    if isinstance(values, pd.Series):
        values = values.array if isinstance(values.dtype, pd.api.extensions.ExtensionDtype) \
            and not name.endswith(_TEXT) else values.to_numpy()
    if name.endswith((START, LAST_DAY, ACT_ON)):
        return np.asarray(values).astype(_NS)
    if name.endswith(_TEXT) or name in (PROFILE_COLUMN, SOURCE_FILE):
        # a Series: from an object array pandas would infer its NaN-valued str dtype
        values = np.asarray(values, dtype=object)
        return pd.Series(np.where(pd.isna(values), None, values), dtype=object)
    return values


_TEXT = (DETAIL, RULE, NOTE)


def evaluable(present: set[str]) -> tuple[list[CheckId], list[NotEvaluated]]:
    """Which checks the fields present allow, and why the others are not evaluated."""
    evaluated, skipped = [], []
    required = set(required_fields())
    for cid, check in checks().items():
        missing = check.missing_fields(present)
        if cid == CheckId.DATA_REQUIRED_MISSING and not present & required:
            missing = sorted(required)
        if missing:
            skipped.append(NotEvaluated(cid.value, check.name, missing))
        else:
            evaluated.append(cid)
    return evaluated, skipped


def derive_clocks(extract: Extract, profiles: ProfileSet, as_of, calendar: LegalCalendar,
                  facts: TableFacts | None = None) -> Clocks:
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
    facts : TableFacts, optional
        The whole-table facts (default: :func:`table_facts` with the profiles' plausible
        window at ``as_of``).

    Returns
    -------
    Clocks
        Derived frame aligned with ``extract.frame`` and the list of checks not evaluated.
    """
    as_of = pd.Timestamp(as_of).normalize()
    if facts is None:
        facts = table_facts(extract, profiles.date_window(as_of))
    evaluated, skipped = evaluable(set(extract.fields_present))
    d = _Deriver(extract.frame, facts, profiles, as_of, calendar)
    d.evaluated = evaluated
    derived = derived_checks(evaluated)
    for cid, derive in DERIVATIONS.items():   # HANDLING_OVERDUE's derives EXTENSION_IRREGULAR
        if cid in derived:
            derive(d)
    d.out[SOURCE_ROW] = extract.frame[SOURCE_ROW].to_numpy()
    d.out[SOURCE_FILE] = np.full(d.n, extract.source_file, dtype=object)
    d.out[PROFILE_COLUMN] = pd.Series(d.member_of.to_numpy(), dtype=object)
    schema = clock_schema(evaluated)
    undeclared = set(d.out) - set(schema)
    if undeclared:  # a defect: every derived column is part of the contract
        raise RuntimeError(f"clock columns missing from clock_schema: {sorted(undeclared)}")
    columns = {name: (_contract_dtype(name, d.out[name]) if name in d.out
                      else _empty_column(dtype, d.n))
               for name, dtype in schema.items()}
    del d
    # copy=False: the derived arrays become the frame's columns as they are (no consolidated
    # copy of the whole clocks table next to them)
    frame = pd.DataFrame(columns, index=extract.frame.index, copy=False)
    return Clocks(frame=frame, as_of=as_of, evaluated=evaluated, not_evaluated=skipped)
