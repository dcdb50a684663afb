"""Synthetic county extracts with planted violations, and the truth a correct audit must find.

:func:`generate` builds a realistic ledger (信访事项台账) of the fictional county 云溪县 for one
month: items received over the six months up to the end of the month (plus a few received
before 2022-05-01, judged under the 2005 text), handled by townships, street offices and county
departments. A known share of items carries a planted violation of every check in
:class:`~xfaudit.schema.CheckId`, and controls sit on the edges where a careless engine would
accuse wrongly; the truth table lists exactly the (case, check) pairs that a correct engine
following ``docs/checks.md`` reports at the as-of date. :func:`write` saves the ledger as
``.xlsx`` (or ``.csv``) the way a county exports it, beside the truth and a JSON description.

The package: ``vocab.toml`` (the county as data), :mod:`.plan` (each item's plan as gaps in days,
its timeline and the cut at the as-of date), :mod:`.plant` (the planted kinds and controls),
:mod:`.render` (the frame, the truth and the files).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xfaudit.dates import chinese_date, month_text, parse_period
from xfaudit.errors import SynthError
from xfaudit.schema import CheckId
from xfaudit.synth.plan import WINDOW_DAYS, Rules, county, cut, day_number, draw, timeline
from xfaudit.synth.plant import (MIN_PER_CHECK, PLANT_RATE, Planter, escalate_plants,
                                 plant_all)
from xfaudit.synth.render import (DATE_STYLES, FIRST_DATA_ROW, GARBAGE_STYLE, assemble,
                                  date_styles, headers, write)

__all__ = ["DATE_STYLES", "FIRST_DATA_ROW", "GARBAGE_STYLE", "MIN_CASES", "SynthExtract",
           "generate", "synth", "write"]

MIN_CASES = 200


@dataclass
class SynthExtract:
    """A generated extract and what a correct audit of it must find.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per written row, canonical field names as columns, in sheet order (row ``i`` is
        sheet row ``i + FIRST_DATA_ROW``). Dates are ``datetime64[ns]`` (``NaT``: empty cell, or
        a cell holding an unreadable or implausible value, see ``unreadable``), counts
        ``Int64``, 初重件, 是否越级, 是否办结 and 是否超期 ``boolean``, the rest strings
        (vocabulary values as written, planted unknown values included); what a loader should
        read back.
    truth : pandas.DataFrame
        Columns ``case_id, check_id``: one row per (case, check) that fires at ``as_of``,
        sorted.
    as_of : datetime.date
        The audit date: the last day of ``period``.
    period : str
        ``YYYY-MM``.
    seed : int
        Seed of the generator.
    date_styles : pandas.DataFrame
        Same index as ``frame``, one column per date field: how each cell is written
        (a key of :data:`DATE_STYLES`, ``"garbage"``, or ``None`` for an empty cell).
    unreadable : pandas.DataFrame
        Columns ``row, case_id, field, raw, reason``: the date cells written unreadable (text
        that is no date, reason 无法识别) or implausible (the year alone as a number, a year
        typo; reason 不在合理日期范围内).
    headers : dict
        Canonical field → header written (canonical, or an alias).
    plants : pandas.DataFrame
        Columns ``case_id, kind, checks``: every planted item, including controls that must
        *not* fire (``checks`` empty), e.g. ``control/anonymous_direct_no_notice``.
    cases : int
        Number of items (rows = items + rows pasted twice + items entered again).
    use_aliases : bool
        Whether aliases were chosen for some headers.
    """

    frame: pd.DataFrame
    truth: pd.DataFrame
    as_of: dt.date
    period: str
    seed: int
    date_styles: pd.DataFrame
    unreadable: pd.DataFrame
    headers: dict[str, str]
    plants: pd.DataFrame
    cases: int
    use_aliases: bool = False
    profile: str = "auto"

    @property
    def title(self) -> str:
        """The sheet title, e.g. ``云溪县2026年10月信访事项台账``."""
        return f"{county().name}{month_text(self.period)}信访事项台账"

    def planted_counts(self) -> dict[str, int]:
        """Number of cases per check id in the truth (every check listed, zeros included)."""
        counts = self.truth["check_id"].value_counts()
        return {c.value: int(counts.get(c.value, 0)) for c in CheckId}

    def to_dict(self) -> dict:
        """JSON-ready description (written as ``<stem>.synth.json``)."""
        styles = self.date_styles.stack().value_counts()
        kinds = self.plants["kind"].value_counts()
        return {
            "generator": "xfaudit.synth", "seed": self.seed, "period": self.period,
            "as_of": self.as_of.isoformat(), "cases": self.cases, "rows": len(self.frame),
            "profile": self.profile, "use_aliases": self.use_aliases,
            "planted": self.planted_counts(),
            "kinds": {k: int(v) for k, v in kinds.sort_index().items()},
            "date_styles": {k: int(v) for k, v in styles.sort_index().items()},
            "headers": self.headers,
        }


def _last_day(period) -> dt.date:
    """The last day of the audited month (:func:`xfaudit.dates.parse_period`, the one period
    reader)."""
    return parse_period(period).last_day.date()


def _earliest_period(rules: Rules) -> str:
    """The first month whose six-month window lies wholly under the 2022 text."""
    month = parse_period(f"{rules.new.effective_from:%Y-%m}")
    while day_number(month.last_day.date()) - WINDOW_DAYS < rules.switch_day:
        month = month.shift(1)
    return month.label


def generate(cases: int, period: str, seed: int, *, use_aliases: bool = False) -> SynthExtract:
    """Generate a county extract with planted violations and its truth.

    Parameters
    ----------
    cases : int
        Number of items (at least 200). Rows pasted twice and items entered again come on top.
    period : str
        The audited month, ``YYYY-MM``; the as-of date is its last day. Items are received over
        the six months up to it (plus a few before 2022-05-01).
    seed : int
        Seed: the same arguments give the same frame, truth and file.
    use_aliases : bool, optional
        Write some columns under an alias header instead of the canonical one.

    Returns
    -------
    SynthExtract
        The frame, the truth at ``as_of`` and how each date cell is to be written.

    Raises
    ------
    ConfigError
        ``period`` malformed (:func:`xfaudit.dates.parse_period`).
    SynthError
        ``cases`` below 200, or ``period`` too early (its window must lie under the 2022
        text). Both are :class:`~xfaudit.errors.XfauditError` (and ``ValueError``) with a
        Chinese message.
    """
    if cases < MIN_CASES:
        raise SynthError(f"事项数至少为{MIN_CASES}件（每类问题都要植入若干件），现为{cases}件")
    period = parse_period(period).label
    last = _last_day(period)
    rules = Rules.national()
    as_of = day_number(last)
    if as_of - WINDOW_DAYS < rules.switch_day:
        raise SynthError(f"期间{period}太早：模拟台账含审计日前六个月收到的事项，须都在"
                         f"{rules.new.statute}施行（{chinese_date(rules.new.effective_from)}）之后，"
                         f"最早可用的期间为{_earliest_period(rules)}")
    rng = np.random.default_rng(seed)
    p, lim = draw(rng, cases, as_of, rules)
    per_check = max(MIN_PER_CHECK, round(PLANT_RATE * cases))
    pl = Planter(p, timeline(p, lim, rules), lim, rules, as_of, rng, per_check)
    plant_all(pl)
    escalate_plants(pl)
    d = timeline(p, lim, rules)
    frame, truth, plants, unreadable = assemble(p, d, cut(d, p, as_of), lim, as_of, pl.records)
    return SynthExtract(frame=frame, truth=truth, as_of=last, period=period, seed=seed,
                        date_styles=date_styles(frame, unreadable, rng), unreadable=unreadable,
                        headers=headers(use_aliases, seed), plants=plants, cases=cases,
                        use_aliases=use_aliases)


def synth(out, *, cases: int = 1500, period: str = "2026-10", seed: int = 20261031,
          use_aliases: bool = False):
    """Generate and write in one call (see :func:`generate` and :func:`write`)."""
    return write(generate(cases, period, seed, use_aliases=use_aliases), out)
