"""The canonical schema as data: fields of an extract, value normalisation and the checks.

Everything here is read from ``xfaudit/data/*.toml`` so that headers, aliases, check names and
severities are data, not code. The loader, the engine, the generator and the writers all read
the same definitions.
"""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources


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
def value_maps() -> dict[str, dict[str, object]]:
    """Raw-value → canonical-value maps per field kind (channel, routing, repeat, flag, …)."""
    return _read_toml("values.toml")


def fold_text(text: str) -> str:
    """Trim, fold full-width forms to half-width and drop inner line breaks and spaces.

    Used to compare headers and coded values the way a person reads them: ``"收到\\n日期 "``
    and ``"收到日期"`` are the same header.
    """
    folded = unicodedata.normalize("NFKC", text)
    return "".join(folded.split())


class CheckId(StrEnum):
    """Stable ids of the audit checks (shared/domain/rules.md §3)."""

    REG_LATE = "REG_LATE"
    NOTICE_LATE = "NOTICE_LATE"
    HANDLING_OVERDUE = "HANDLING_OVERDUE"
    EXTENSION_IRREGULAR = "EXTENSION_IRREGULAR"
    REPLY_MISSING = "REPLY_MISSING"
    FEEDBACK_MISSING = "FEEDBACK_MISSING"
    REVIEW_OVERDUE = "REVIEW_OVERDUE"
    REREVIEW_OVERDUE = "REREVIEW_OVERDUE"
    DECISION_UNIMPLEMENTED = "DECISION_UNIMPLEMENTED"
    DATA_DATE_UNREADABLE = "DATA_DATE_UNREADABLE"
    DATA_DATE_ORDER = "DATA_DATE_ORDER"
    DATA_DUPLICATE_ID = "DATA_DUPLICATE_ID"
    DATA_DUPLICATE_ROW = "DATA_DUPLICATE_ROW"
    DATA_REQUIRED_MISSING = "DATA_REQUIRED_MISSING"
    DATA_VALUE_UNKNOWN = "DATA_VALUE_UNKNOWN"


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
                            needs_any=tuple(spec.get("needs_any", ())))
        for cid, spec in data.items() if cid in CheckId.__members__
    }


@cache
def date_order_pairs() -> list[tuple[str, str]]:
    """(earlier, later) event pairs checked by DATA_DATE_ORDER."""
    return [tuple(p) for p in _read_toml("checks.toml")["order"]["pairs"]]


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
