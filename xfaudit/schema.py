"""The canonical schema as data: fields of an extract, value normalisation and the checks.

Everything here is read from ``xfaudit/data/*.toml`` so that headers, aliases, check names and
severities are data, not code. The loader, the engine, the generator and the writers all read
the same definitions.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from xfaudit.tomlfiles import read_only


def _read_toml(name: str) -> dict:
    return tomllib.loads(resources.files("xfaudit.data").joinpath(name).read_text("utf-8"))


@dataclass(frozen=True)
class Field:
    """One canonical field of the extract contract."""

    name: str
    header: str
    aliases: tuple[str, ...]
    kind: str
    personal: bool = False
    required: bool = False

    @property
    def is_date(self) -> bool:
        return self.kind == "date"


@cache
def fields() -> dict[str, Field]:
    """Canonical fields in contract order, keyed by field name."""
    return {
        name: Field(name=name, header=spec["header"], aliases=tuple(spec.get("aliases", ())),
                    kind=spec["kind"], personal=spec.get("personal", False),
                    required=spec.get("required", False))
        for name, spec in _read_toml("fields.toml").items()
    }


def date_fields() -> list[str]:
    return [f.name for f in fields().values() if f.is_date]


def personal_fields() -> list[str]:
    return [f.name for f in fields().values() if f.personal]


def required_fields() -> list[str]:
    return [f.name for f in fields().values() if f.required]


def header_of(name: str) -> str:
    """The canonical Chinese header of a field (or the name itself for derived columns)."""
    spec = fields().get(name)
    return spec.header if spec else name


@cache
def value_maps() -> Mapping[str, Mapping[str, object]]:
    """Raw-value → canonical-value maps per field kind (channel, routing, repeat, flag, …).

    Read-only (shared by every caller in the process: a notebook cell must not be able to change
    what ``转送`` means for the rest of the kernel).
    """
    return read_only(_read_toml("values.toml"))


def fold_text(text: str) -> str:
    """Trim, fold full-width forms to half-width and drop inner line breaks and spaces.

    Used to compare headers and coded values the way a person reads them: ``"收到\\n日期 "``
    and ``"收到日期"`` are the same header.
    """
    folded = unicodedata.normalize("NFKC", text)
    return "".join(folded.split())


# --------------------------------------------------------------------------------------------
# Reading a cell for its field kind (every kind but dates; dates: xfaudit.dates)
# --------------------------------------------------------------------------------------------

#: A whole non-negative number as people type it: 15, 15.0, "15", "15天", "3个工作日", "5人".
_INT_TEXT = re.compile(r"^\+?(\d+)(?:\.0*)?\s*(?:天|日|个?工作日|人|个|次)?$")


def cell_text(value: object) -> str | None:
    """A raw cell as text, the way Excel shows it; ``None`` when empty.

    Whole numbers lose their ``.0`` (an id typed as 123 reads "123"); strings are only
    trimmed, never otherwise altered (a summary starting with ``=`` stays as it is).
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if not math.isfinite(value):
            return None
        return str(int(value)) if value.is_integer() else format(float(value), ".15g")
    if isinstance(value, dt.datetime):  # also pandas.Timestamp
        if pd.isna(value):
            return None
        return value.strftime("%Y-%m-%d" if value.time() == dt.time() else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    return str(value).strip() or None


@dataclass(frozen=True)
class Normalised:
    """Cells read for a field kind by :func:`normalise_values`.

    Attributes
    ----------
    values : numpy.ndarray
        Object array: the canonical value per cell (``int``, ``bool``, ``str``), ``None`` where
        the cell is empty or could not be read.
    unreadable : numpy.ndarray
        Boolean: the cell is not empty but is no value of its kind (a count ``十五``, a yes/no
        ``也许``). Coded and text kinds keep every value, so never flag one.
    dtype : object
        The column type of the canonical frame: ``"Int64"``, ``"boolean"`` or ``object``.
    """

    values: np.ndarray
    unreadable: np.ndarray
    dtype: object


def value_reading(kind: str) -> str:
    """How cells of a field kind are read: ``"date"``, ``"int"``, ``"boolean"`` (its values.toml
    table maps to booleans: flag, repeat, concluded), ``"coded"`` (any other values.toml table:
    channel, routing, track, outcome, …), ``"place"`` (the county of an administrative path,
    :func:`county_name`) or ``"text"``."""
    if kind in ("date", "int", "place"):
        return kind
    table = value_maps().get(kind)
    if table is None:
        return "text"
    return "boolean" if all(isinstance(v, bool) for v in table.values()) else "coded"


def normalise_values(kind: str, texts: Iterable[str | None],
                     aliases: Mapping[str, object] | None = None, *,
                     raw: Iterable[object] | None = None) -> Normalised:
    """Read cells of one field kind (not dates: :func:`xfaudit.dates.parse_dates`).

    The one place the loader and :meth:`xfaudit.model.Extract.from_frame` turn cell text into
    canonical values.

    Parameters
    ----------
    kind : str
        The field kind (fields.toml ``kind``).
    texts : iterable of str or None
        The cells as text (:func:`cell_text`), ``None`` for an empty cell. Pass distinct values
        and take the result back to rows: each is read once.
    aliases : Mapping, optional
        Local spellings (raw value → canonical value), e.g. a mapping file's
        ``[values.<field>]``: they win over the kind's values.toml table, and apply to text
        and whole-number fields too (compared folded).
    raw : iterable, optional
        The cells ``texts`` were made from, in the same order: a real boolean cell (``True``,
        not the text ``TRUE``) is then read as itself in a yes/no field — unless ``aliases``
        say what it means (an inverted flag).

    Returns
    -------
    Normalised
        - int: whole non-negative numbers (``15``, ``15.0``, ``15天``); anything else unreadable;
        - boolean: the table's yes/no spellings (compared folded, then upper-cased) and real
          boolean cells (``raw``); anything else unreadable;
        - coded: folded (:func:`fold_text`) and mapped through the table; an unknown value is
          kept as folded, never unreadable (the checks report it);
        - text: as given;
        - place: the county-level name of an administrative path (:func:`county_name`).
    """
    texts = list(texts)
    reading = value_reading(kind)
    if reading == "date":
        raise ValueError("dates are read by xfaudit.dates.parse_dates")
    local = {fold_text(str(k)): v for k, v in (aliases or {}).items()}
    if reading in ("text", "place"):
        read = county_name if reading == "place" else (lambda t: t)
        values = [local.get(fold_text(t), read(t)) if local and t else t and read(t)
                  for t in texts]
        return Normalised(_objects(values), np.zeros(len(texts), dtype=bool), object)
    if reading == "int":
        values = [None if t is None else local.get(fold_text(t), _whole_number(t))
                  for t in texts]
        dtype = "Int64"
    else:
        table = {**_folded_table(kind), **local}
        folded = [fold_text(t) if t is not None else None for t in texts]
        if reading == "coded":
            values = [table.get(f, f) if f else None for f in folded]
            return Normalised(_objects(values), np.zeros(len(texts), dtype=bool), object)
        values = [None if not f else table.get(f, table.get(f.upper())) for f in folded]
        if raw is not None:
            values = [bool(r) if isinstance(r, bool | np.bool_) and (v is None or not local)
                      else v for r, v in zip(raw, values, strict=True)]
        dtype = "boolean"
    unreadable = np.array([v is None and t is not None for v, t in zip(values, texts)],
                          dtype=bool)
    return Normalised(_objects(values), unreadable, dtype)


#: What separates the levels of a written path (河北省/保定市/涞水县, 河北省>保定市, 保定市（涞水县）).
_PATH_SEPARATORS = re.compile(r"[/>|\\,，、;；\-—()（）\[\]【】<\s]+")

#: A county-level unit: 县, 自治县, 旗, 自治旗, 区 (also 新区, 开发区, 园区, 景区 — not 社区, 小区,
#: 街区), 县级市, 林区, 特区 — never spanning a township (镇, 街道) after its first character
#: (镇平县 is a county, 石桥镇工业园区 is not). A 市 goes on when 区 or 县 follows (沙市区, 新市区) or
#: when it is a township's own name (新市镇 — but 浏阳市镇头镇 is 浏阳市 and a town).
_COUNTY = (r"(?:.(?:(?!镇|街道).){0,11}?(?:自治县|自治旗|林区|特区|县|旗|(?<![社小街])区"
           r"|市(?!区|县)(?!(?:镇|乡)(?!.{1,6}?(?:镇|乡|街道|村|社区)))))")

#: A path down to the county: an optional province (省, 自治区, 特别行政区, or one of the four
#: municipalities), an optional prefecture (市, 自治州, 地区, 盟) and the first county-level unit.
_COUNTY_PATH = re.compile(
    r"^(?:(?:北京|天津|上海|重庆)市|.{2,7}?省|.{2,10}?自治区|.{2,4}?特别行政区)?"
    r"(?P<prefecture>.{1,10}?(?:自治州|地区|盟|市))?"
    rf"(?P<county>{_COUNTY})")

#: The county a 新区 administers, written after it (雄安新区容城县).
_UNDER_NEW_AREA = re.compile(rf"^(?P<county>{_COUNTY})")


def county_name(text: str) -> str | None:
    """The county-level unit an administrative path names (with its prefecture when the path
    names one), or the text itself.

    ``河北省保定市涞水县`` → 保定市涞水县 (two prefectures of one province may each have a
    桥西区: 石家庄市桥西区 and 张家口市桥西区 are two counties), ``浙江省宁波市余姚市梨洲街道`` →
    宁波市余姚市, ``北京市朝阳区`` → 朝阳区, ``青禾县石桥镇`` → 青禾县, ``东莞市南城街道`` → 东莞市 (a
    prefecture without counties answers itself), ``河北省雄安新区容城县`` → 雄安新区容城县.
    Separators between the levels are ignored (``河北省/保定市/涞水县``). A cell naming no
    county-level unit (``石桥镇``) is kept as typed: the per-county outputs show it under its own
    name rather than guess a county. Blank text is None.
    """
    folded = _PATH_SEPARATORS.sub("", fold_text(text))
    if not folded:
        return None
    match = _COUNTY_PATH.match(folded)
    if not match:
        return text.strip()
    prefecture, county = match.group("prefecture") or "", match.group("county")
    if county.endswith("新区"):
        below = _UNDER_NEW_AREA.match(folded[match.end():])
        if below:
            prefecture, county = prefecture + county, below.group("county")
    return prefecture + county


@cache
def _folded_table(kind: str) -> Mapping[str, object]:
    return read_only({fold_text(str(k)): v for k, v in value_maps().get(kind, {}).items()})


def _whole_number(text: str) -> int | None:
    match = _INT_TEXT.match(fold_text(text))
    return int(match.group(1)) if match else None


def _objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


class CheckId(StrEnum):
    """Stable ids of the audit checks (docs/checks.md)."""

    REG_LATE = "REG_LATE"
    NOTICE_LATE = "NOTICE_LATE"
    HANDLING_OVERDUE = "HANDLING_OVERDUE"
    EXTENSION_IRREGULAR = "EXTENSION_IRREGULAR"
    REPLY_MISSING = "REPLY_MISSING"
    FEEDBACK_MISSING = "FEEDBACK_MISSING"
    REVIEW_OVERDUE = "REVIEW_OVERDUE"
    REREVIEW_OVERDUE = "REREVIEW_OVERDUE"
    DECISION_UNIMPLEMENTED = "DECISION_UNIMPLEMENTED"
    SYSTEM_DEADLINE_OVERDUE = "SYSTEM_DEADLINE_OVERDUE"
    DATA_DATE_UNREADABLE = "DATA_DATE_UNREADABLE"
    DATA_DATE_ORDER = "DATA_DATE_ORDER"
    DATA_DUPLICATE_ID = "DATA_DUPLICATE_ID"
    DATA_DUPLICATE_ROW = "DATA_DUPLICATE_ROW"
    DATA_REQUIRED_MISSING = "DATA_REQUIRED_MISSING"
    SYSTEM_FLAG_MISMATCH = "SYSTEM_FLAG_MISMATCH"
    DATA_VALUE_UNKNOWN = "DATA_VALUE_UNKNOWN"
    RECORD_INCONSISTENT = "RECORD_INCONSISTENT"


@dataclass(frozen=True)
class Check:
    """A check's declaration: name, kind, severity, the profile limit it cites, needed fields."""

    id: CheckId
    name: str
    kind: str
    severity: str
    limit: str | None
    needs: tuple[str, ...]
    needs_any: tuple[str, ...]
    duty_holder: str = "handling_unit"
    rule: str = ""             # the rule in one sentence ({days}: the limit's days, per profile)

    @property
    def is_data_quality(self) -> bool:
        return self.kind == "data_quality"

    def missing_fields(self, present: set[str] | list[str]) -> list[str]:
        """Fields this check needs that the extract lacks (empty list: it can be evaluated)."""
        present = set(present)
        missing = [f for f in self.needs if f not in present]
        if self.needs_any and not present.intersection(self.needs_any):
            missing.append("|".join(self.needs_any))
        return missing


KIND_LABELS = {"accountability": "履职问题", "data_quality": "台账质量问题"}


@cache
def checks() -> dict[CheckId, Check]:
    """All checks in report order."""
    data = _read_toml("checks.toml")
    return {
        CheckId(cid): Check(id=CheckId(cid), name=spec["name"], kind=spec["kind"],
                            severity=spec["severity"], limit=spec.get("limit"),
                            needs=tuple(spec.get("needs", ())),
                            needs_any=tuple(spec.get("needs_any", ())),
                            duty_holder=spec.get("duty_holder", "handling_unit"),
                            rule=spec.get("rule", ""))
        for cid, spec in data.items() if cid in CheckId.__members__
    }


@cache
def date_order_pairs() -> list[tuple[str, str]]:
    """(earlier, later) event pairs checked by DATA_DATE_ORDER."""
    return [tuple(p) for p in _read_toml("checks.toml")["order"]["pairs"]]


#: The 复查/复核 结论 that leaves the earlier decision in force.
UPHELD = "维持"


def changed_decision_pairs() -> list[tuple[str, str, str, tuple[str, ...]]]:
    """DATA_DATE_ORDER pairs checked only where a 复查/复核 replaced the decision
    (checks.toml ``[order] after_changed_decision``): (decision date, its 结论 field, the later
    event, the 结论 values that replace the decision — the field's ``changes_decision`` role)."""
    pairs = _read_toml("checks.toml")["order"]["after_changed_decision"]
    return [(decided_on, outcome, later, role_values(outcome, "changes_decision"))
            for decided_on, outcome, later in pairs]


@dataclass(frozen=True)
class DutyHolder:
    """Who owes the act a check judges (checks.toml ``[duty_holders]``)."""

    key: str
    field: str
    role: str
    when_blank: str


@cache
def duty_holders() -> dict[str, DutyHolder]:
    return {key: DutyHolder(key=key, field=spec["field"], role=spec["role"],
                            when_blank=spec["when_blank"])
            for key, spec in _read_toml("checks.toml")["duty_holders"].items()}


@cache
def roles() -> dict[str, dict[str, tuple[str, ...]]]:
    """Per vocabulary field, role → canonical values (checks.toml ``[roles]``)."""
    return {name: {role: tuple(values) for role, values in table.items()}
            for name, table in _read_toml("checks.toml")["roles"].items()}


def role_values(field: str, role: str) -> tuple[str, ...]:
    """The canonical values of ``field`` that play ``role`` (e.g. routing → direct)."""
    return roles().get(field, {}).get(role, ())


@cache
def vocabulary(kind: str) -> frozenset:
    """The canonical values of a vocabulary (the values of its values.toml table)."""
    return frozenset(v for v in value_maps().get(kind, {}).values() if isinstance(v, str))


@cache
def unknown_value_fields() -> tuple[str, ...]:
    """Fields whose values outside their vocabulary are DATA_VALUE_UNKNOWN findings."""
    return tuple(_read_toml("checks.toml")["DATA_VALUE_UNKNOWN"]["fields"])
