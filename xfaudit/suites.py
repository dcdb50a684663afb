"""Great Expectations suites built from a rule profile: the checks, declared.

One expectation per judged column: ``<check>__days_late`` must be at most 0 (the act happened
on or before its last day, or is not yet due) and ``<check>__flag`` must be 0 (the rule is
kept). Only built-in expectation types are used, so plain GX loads the JSON files in
``expectations/`` without importing xfaudit. Each expectation's ``meta`` carries the check id,
its Chinese name, kind, severity and, per profile, the limit and its citation.

The checked-in suites must equal what :func:`build_suite` produces (a test enforces it);
regenerate them with ``python -m xfaudit.suites``, which writes the package's copies and, in a
source checkout, the repository's ``expectations/`` (see :mod:`xfaudit.resources`).
"""

from __future__ import annotations

import json
from pathlib import Path

from xfaudit.clocks import DAYS_LATE, FLAG, TIMED_CHECKS
from xfaudit.profile import ProfileSet, builtin_profiles, load_profile_set
from xfaudit.resources import packaged, source_root
from xfaudit.schema import CheckId, KIND_LABELS, checks

#: Where the suites shipped with the package live (``xfaudit/data/expectations/``, identical
#: to the repository's top-level ``expectations/``).
EXPECTATIONS_DIR = packaged("expectations")

#: The greatest value a judged column may take: 0 days late, flag 0.
ALLOWED_MAX = 0

#: Checks judged on a 0/1 flag.
FLAG_CHECKS = (CheckId.EXTENSION_IRREGULAR, CheckId.REPLY_MISSING,
               CheckId.DATA_DATE_UNREADABLE, CheckId.DATA_DATE_ORDER, CheckId.DATA_DUPLICATE_ID,
               CheckId.DATA_DUPLICATE_ROW, CheckId.DATA_REQUIRED_MISSING,
               CheckId.SYSTEM_FLAG_MISMATCH, CheckId.DATA_VALUE_UNKNOWN,
               CheckId.RECORD_INCONSISTENT)


def judged_columns(check_id: CheckId) -> list[str]:
    """Derived columns the suite judges for a check."""
    columns = []
    if check_id in TIMED_CHECKS:
        columns.append(f"{check_id}{DAYS_LATE}")
    if check_id in FLAG_CHECKS:
        columns.append(f"{check_id}{FLAG}")
    return columns


def _limit_meta(profiles: ProfileSet, limit_key: str | None) -> dict:
    if not limit_key:
        return {}
    meta = {}
    for member in profiles.members:
        limit = member.limits.get(limit_key)
        if limit is not None:
            meta[member.name] = {"limit": limit.describe(), "days": limit.days,
                                 "day_kind": limit.day_kind, "citation": limit.citation}
    return meta


def suite_dict(profiles: ProfileSet) -> dict:
    """The suite as GX's JSON dict, without importing GX (fast, deterministic)."""
    expectations = []
    for cid, check in checks().items():
        for column in judged_columns(cid):
            expectations.append({
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": column, "max_value": float(ALLOWED_MAX)},
                "meta": {"check_id": cid.value, "check_name": check.name,
                         "kind": check.kind, "kind_label": KIND_LABELS[check.kind],
                         "severity": check.severity,
                         "judged": "days_late" if column.endswith(DAYS_LATE) else "flag",
                         "limits": _limit_meta(profiles, check.limit)},
                "severity": "critical",
            })
    return {
        "name": f"xfaudit.{profiles.name}",
        "id": None,
        "expectations": expectations,
        "meta": {"profile": profiles.name, "title": profiles.title,
                 "members": [m.name for m in profiles.members],
                 "generated_by": "xfaudit.suites.build_suite"},
        "notes": "由规则配置自动生成，请勿手工修改；修改规则请编辑规则配置后重新生成。",
    }


def build_suite(profiles: ProfileSet):
    """Build the GX ``ExpectationSuite`` for a profile set."""
    import great_expectations as gx

    return gx.ExpectationSuite(**suite_dict(profiles))


def suite_json(profiles: ProfileSet) -> str:
    """Canonical JSON text of the suite (what is checked in)."""
    return json.dumps(suite_dict(profiles), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_builtin_suites(folder: Path = EXPECTATIONS_DIR) -> list[Path]:
    """(Re)write the suites of every built-in profile into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in builtin_profiles():
        path = folder / f"{name}.json"
        path.write_text(suite_json(load_profile_set(name)), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    root = source_root()
    for p in write_builtin_suites() + (write_builtin_suites(root / "expectations") if root
                                       else []):
        print(p)
