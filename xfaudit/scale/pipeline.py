"""The audit of a slice of the rows: the steps every engine shares.

The pandas engine audits the whole table in one pass; the chunked and Spark engines audit
slices of it with the same code. What a slice needs besides its rows is prepared once
(:class:`Plan`: profile, as-of date, calendar, suites, the checks evaluated) and the
whole-table facts are handed in (:func:`slice_facts`): then the derivation
(:func:`xfaudit.clocks.derive_clocks`), the findings (:func:`xfaudit.findings.build_findings`),
their masking and the summary counts (:class:`xfaudit.audit.Tally`) are per row, and a slice
gives exactly its rows of the one-pass result.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from xfaudit.audit import audit_date, legal_calendar
from xfaudit.calendar import LegalCalendar
from xfaudit.clocks import TableFacts, doubtful_cells, evaluable
from xfaudit.dates import DateWindow
from xfaudit.model import Extract, NotEvaluated
from xfaudit.profile import ProfileSet, load_profile_set
from xfaudit.schema import CheckId
from xfaudit.suites import suite_dicts
from xfaudit.validate import Validation


#: The whole-table facts as columns beside a slice's rows (Spark's frames, the county split).
COPY_OF, DUPLICATES = "__copy_of", "__duplicate_ids"


@dataclass
class Plan:
    """Everything a slice's audit needs besides its rows, prepared once.

    Attributes
    ----------
    profiles, as_of, calendar
        As for :func:`xfaudit.audit.audit`.
    window : DateWindow
        The plausible days at ``as_of`` (doubtful cells).
    suites : dict
        Frame name → suite dict (:func:`xfaudit.suites.suite_dicts`).
    evaluated, not_evaluated
        The checks the extract's fields allow, and those they do not.
    period, history, bureau
        For the findings' period status and duty-holders.
    mask : bool
        Mask personal data in the findings written.
    """

    profiles: ProfileSet
    as_of: pd.Timestamp
    calendar: LegalCalendar
    window: DateWindow
    suites: dict
    evaluated: list[CheckId]
    not_evaluated: list[NotEvaluated]
    period: str | None = None
    history: pd.DataFrame | None = None
    bureau: str | None = None
    mask: bool = True


def plan(fields_present, *, as_of=None, profile: str = "auto", holidays=None,
         calendar: LegalCalendar | None = None, period=None, history=None, bureau=None,
         mask: bool = True) -> Plan:
    """The :class:`Plan` of an audit of an extract with ``fields_present``."""
    as_of = audit_date(as_of)
    profiles = load_profile_set(str(profile))
    calendar = legal_calendar(holidays, calendar)
    evaluated, skipped = evaluable(set(fields_present))
    return Plan(profiles=profiles, as_of=as_of.normalize(), calendar=calendar,
                window=profiles.date_window(as_of), suites=suite_dicts(profiles),
                evaluated=evaluated, not_evaluated=skipped, period=period, history=history,
                bureau=bureau, mask=mask)


def slice_facts(extract: Extract, window: DateWindow, copy_of, duplicate_ids) -> TableFacts:
    """A slice's :class:`~xfaudit.clocks.TableFacts`: its doubtful cells (row-local) and its
    rows of the whole-table facts."""
    doubtful, detail = doubtful_cells(extract, window)
    index = extract.frame.index
    return TableFacts(doubtful=doubtful, doubtful_detail=detail,
                      duplicate_ids=pd.Series(np.asarray(duplicate_ids, dtype="int64"),
                                              index=index),
                      copy_of=pd.Series(pd.array(copy_of, dtype="Int64"), index=index))


def slice_findings(extract: Extract, facts: TableFacts, clocks, validation: Validation,
                   p: Plan) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A slice's findings as built (for the counts) and as written (masked unless not)."""
    from xfaudit.findings import build_findings
    from xfaudit.privacy import finding_names, mask_frame

    findings = build_findings(extract.frame, clocks, validation, p.profiles, period=p.period,
                              history=p.history, bureau=p.bureau,
                              shared={"case_id": facts.duplicate_ids})
    if not p.mask:
        return findings, findings
    return findings, mask_frame(findings, names=finding_names(extract.frame, findings))


def with_outcomes(validation: Validation, extra: list, order: dict) -> Validation:
    """``validation`` with more outcomes (another pass's, already sliced to these rows), in
    suite order (``order``: id of a spec → its place)."""
    outcomes = sorted([*validation.outcomes, *extra], key=lambda o: order[id(o.spec)])
    return replace(validation, outcomes=outcomes)


def spec_order(suites: dict) -> dict[int, tuple[int, int]]:
    """id of each expectation dict → (suite, position): the suites' order."""
    return {id(spec): (s, e) for s, suite in enumerate(suites.values())
            for e, spec in enumerate(suite["expectations"])}
