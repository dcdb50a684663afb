"""Tests of xfaudit.synth: determinism, the planted truth, the controls and the written files.

The truth is checked against a reference evaluator written here straight from docs/checks.md
(independent of the engine: it reads only the data files — rule profiles, values.toml, the
[order] pairs — never xfaudit.clocks), so every planted (case, check) and every control that
must stay silent is verified at the as-of date.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from xfaudit.errors import ConfigError, SynthError, XfauditError
from xfaudit.profile import load_profile
from xfaudit.schema import CheckId, date_fields, date_order_pairs, fields
from xfaudit.synth import DATE_STYLES, FIRST_DATA_ROW, GARBAGE_STYLE, generate, write
from xfaudit.synth.plan import read_county

FILES = Path(__file__).parent / "files"
SAMPLE = FILES / "sample_2026-10.xlsx"
SAMPLE_ARGS = {"cases": 1500, "period": "2026-10", "seed": 20261031}


@pytest.fixture(scope="module")
def small():
    return generate(300, "2026-10", 7)


@pytest.fixture(scope="module")
def sample_data():
    return generate(**SAMPLE_ARGS)


@pytest.fixture(scope="module")
def written(small, tmp_path_factory):
    return write(small, tmp_path_factory.mktemp("synth") / "small.xlsx")


@pytest.fixture(scope="module")
def sheet(written):
    wb = CalamineWorkbook.from_path(str(written["extract"]))
    return wb.get_sheet_by_name("台账").to_python(skip_empty_area=False)


# ---------------------------------------------------------------------------------------------
# Reference evaluator (docs/checks.md, national profiles, auto selection)
# ---------------------------------------------------------------------------------------------

P05, P22 = load_profile("national-2005"), load_profile("national-2022")
# the evaluator counts calendar days only: the limits it uses must be in calendar days
USED_LIMITS = ("register", "notice_routed", "notice_direct", "handling", "extension", "review",
               "rereview")
assert all(prof.limit(key).day_kind == "calendar" for prof in (P05, P22) for key in USED_LIMITS)

# docs/checks.md, "Vocabularies and roles"
DIRECT, ROUTED, ASSIGNED = {"直接办理"}, {"转送", "交办", "督办"}, {"交办"}
BY_NOTICE, KEPT = {"告知", "不予受理", "不再受理"}, {"存"}
PETITION, UPHELD, DONE, NOT_DONE = "信访程序", "维持", "已落实", "未落实"
# docs/checks.md, "Vocabularies and roles": 信访件状态
OPEN_STATUS = {"受理申请审查中", "受理", "超期未作出处理意见"}
NOT_ACCEPTED = {"不予受理", "不再受理"}
# per statutory clock: the statuses saying it was missed, and those saying the item is in it
STATUS_OVERDUE = {"handling": {"超期未作出处理意见"}, "review": {"超期未作出复查意见"},
                  "rereview": {"超期未作出复核意见"}}
STATUS_STAGE = {"handling": {"受理", "超期未作出处理意见"}, "review": {"复查", "超期未作出复查意见"},
                "rereview": {"复核", "超期未作出复核意见"}}
# docs/checks.md, DATA_VALUE_UNKNOWN: the fields whose values must be in their vocabulary
VOCABULARY_FIELDS = ("routing", "track", "outcome", "review_outcome", "rereview_outcome",
                     "implementation_status", "status", "evaluation_status")


def _toml(name: str) -> dict:
    return tomllib.loads(resources.files("xfaudit.data").joinpath(name).read_text("utf-8"))


VALUES, KINDS = _toml("values.toml"), {n: s["kind"] for n, s in _toml("fields.toml").items()}


def vocabulary(name: str) -> set:
    """The canonical values of a field's values.toml table."""
    return {v for v in VALUES[KINDS[name]].values() if isinstance(v, str)}


class Ledger:
    """The generated frame as an auditor reads it: doubtful cells, vocabularies, profiles."""

    def __init__(self, data):
        f = data.frame.reset_index(drop=True)
        self.f, self.as_of = f, pd.Timestamp(data.as_of)
        u = data.unreadable
        self.doubtful = {name: pd.Series(f.index.isin(u.row[u.field == name]), index=f.index)
                         for name in f.columns}
        # a row pasted twice: identical in every written cell, garbled cells included
        raw = pd.Series(None, index=f.index, dtype=object)
        raw[u.row.to_numpy()] = u.raw.astype(str).to_numpy()
        self.copy = f.assign(_raw=raw).astype(str).duplicated(keep="first")
        basis = f.received_on.mask(self.doubt("received_on"))
        for name in ("accepted_on", "unit_received_on"):
            basis = basis.fillna(f[name].mask(self.doubt(name)))
        self.old = (basis < pd.Timestamp(P22.effective_from)).fillna(False)

    def doubt(self, *names) -> pd.Series:
        out = pd.Series(False, index=self.f.index)
        for name in names:
            out |= self.doubtful[name]
        return out

    def present(self, name) -> pd.Series:
        return self.f[name].notna() & ~self.doubt(name)

    def written(self, name) -> pd.Series:
        """A value or a doubtful cell."""
        return self.f[name].notna() | self.doubt(name)

    def unknown(self, name) -> pd.Series:
        return self.f[name].notna() & ~self.f[name].isin(vocabulary(name))

    def is_(self, name, values) -> pd.Series:
        return self.f[name].isin(values).fillna(False)

    def days(self, key) -> pd.Series:
        n = np.where(self.old, P05.limit(key).days, P22.limit(key).days)
        return pd.Series(pd.to_timedelta(n, unit="D"), index=self.f.index)

    def listed(self, attr, name) -> pd.Series:
        """The field's value is in the item's profile list ``attr``."""
        a, b = (self.f[name].isin(list(getattr(p, attr))).fillna(False) for p in (P05, P22))
        return a.where(self.old, b)

    def on_tracks(self, attr) -> pd.Series:
        """The track is covered by the profile's list (empty or unknown track = 信访程序;
        an empty list covers every track)."""
        track = self.f.track.mask(self.unknown("track"))
        track = track.where(track.notna(), PETITION)

        def covered(p):
            listed = list(getattr(p, attr))
            return track.isin(listed) if listed else pd.Series(True, index=track.index)
        return covered(P05).where(self.old, covered(P22))

    def late(self, last, act, applies, judged) -> pd.Series:
        """Fires: the act after the last day, or no act and the as-of date after it."""
        return self.clock(last, act, applies, judged).fired

    def clock(self, last, act, applies, judged) -> Clock:
        """Which rows are judged (the copy of a row pasted twice never is), which are late,
        which are still open."""
        judged = (applies & judged & ~self.copy).astype(bool)
        fired = (act.notna() & (act > last)) | (act.isna() & (self.as_of > last))
        return Clock(judged, (judged & fired.fillna(False)).astype(bool), judged & act.isna())


@dataclass
class Clock:
    """One statutory clock of the reference: judged rows, late rows, judged rows still open."""

    judged: pd.Series
    fired: pd.Series
    open: pd.Series


def _reg_late(g: Ledger) -> pd.Series:
    f = g.f
    notice, kept = g.is_("routing", BY_NOTICE), g.is_("routing", KEPT)
    fallback = f.notice_on.where(notice, f.registered_on.where(kept))
    act = f.routed_on.fillna(fallback)
    fallback_doubt = (notice & g.doubt("notice_on")) | (kept & g.doubt("registered_on"))
    applies = ~g.is_("routing", DIRECT) & ~g.listed("register_exempt_tracks", "track")
    judged = (g.present("received_on") & ~g.doubt("routed_on")
              & ~(f.routed_on.isna() & fallback_doubt)
              & ~((kept | g.unknown("routing")) & act.isna()))
    return g.late(f.received_on + g.days("register"), act, applies, judged)


def _notice_late(g: Ledger) -> pd.Series:
    f = g.f
    direct = g.is_("routing", DIRECT)
    inferred = (f.routing.isna() | g.unknown("routing")) & g.written("unit_received_on")
    routed = g.is_("routing", ROUTED) | inferred
    anonymous = f.petitioner.isna() | g.listed("anonymous_petitioners", "petitioner")
    applies = ((direct & ~anonymous) | routed) & ~g.listed("notice_exempt_tracks", "track")
    start = f.received_on.where(direct, f.unit_received_on)
    start_doubt = g.doubt("received_on").where(direct, g.doubt("unit_received_on"))
    last = start + g.days("notice_direct").where(direct, g.days("notice_routed"))
    unproven_absence = (g.unknown("routing") | (inferred & anonymous)) & f.notice_on.isna()
    judged = start.notna() & ~start_doubt & ~g.doubt("notice_on") & ~unproven_absence
    return g.late(last, f.notice_on, applies, judged)


def _extension(g: Ledger):
    f = g.f
    original = f.accepted_on + g.days("handling")
    days = f.extension_days.fillna(0).astype(int)
    over = days > g.days("extension").dt.days
    unapproved = f.extension_approved_on.isna()
    approved_late = f.extension_approved_on > original
    untold = f.extension_notice_on.isna()
    irregular = (days > 0) & (over | unapproved | approved_late.fillna(False) | untold)
    valid = (days > 0) & ~irregular
    last = original + pd.to_timedelta(days.where(valid, 0), unit="D")
    return last, irregular


def _handling(g: Ledger) -> tuple[Clock, pd.Series]:
    f = g.f
    applies = g.written("accepted_on") & g.on_tracks("handling_tracks")
    extension_doubt = g.doubt("extension_days", "extension_approved_on", "extension_notice_on")
    last, irregular = _extension(g)
    judged = g.present("accepted_on") & ~g.doubt("concluded_on") & ~extension_doubt
    handling = g.clock(last, f.concluded_on, applies, judged)
    extension = (applies & (f.extension_days.fillna(0) > 0) & judged & irregular
                 & ~g.copy)
    return handling, extension.astype(bool)


def _system_deadline(g: Ledger, handling: Clock) -> pd.Series:
    """限办时间 where the statutory handling clock is not judged, on a handling track, for an
    item not refused; the act is 办结日期, its absence proven only by 是否办结 = 否 or an open
    status (not contradicted by 是否办结 = 是; an unknown status proves nothing)."""
    f = g.f
    applies = (g.written("system_deadline") & ~handling.judged & ~g.is_("status", NOT_ACCEPTED)
               & g.on_tracks("handling_tracks"))
    said_open = ((f.is_concluded.eq(False).fillna(False) & ~g.doubt("is_concluded"))
                 | (g.is_("status", OPEN_STATUS) & ~f.is_concluded.eq(True).fillna(False)))
    proven = f.concluded_on.notna() | (said_open & ~g.unknown("status"))
    # the clock is shown from the receipt (else the deadline); one that starts after the
    # as-of date has not run
    start = f.received_on.mask(g.doubt("received_on")).fillna(f.system_deadline)
    judged = ~g.doubt("system_deadline", "concluded_on") & proven & ~(start > g.as_of)
    return g.late(f.system_deadline, f.concluded_on, applies, judged)


def _flag_mismatch(g: Ledger, clocks: dict[str, Clock]) -> pd.Series:
    """Where a statutory clock is judged: 是否超期 (办理 only) or the status says otherwise."""
    f, out = g.f, pd.Series(False, index=g.f.index)
    for name, c in clocks.items():
        if name == "handling":
            out |= c.judged & f.system_overdue.eq(True).fillna(False) & ~c.fired
            out |= c.judged & f.system_overdue.eq(False).fillna(False) & c.fired
        says_overdue = g.is_("status", STATUS_OVERDUE[name])
        out |= c.judged & says_overdue & ~(c.open & c.fired)
        out |= c.judged & g.is_("status", STATUS_STAGE[name]) & ~says_overdue & c.open & c.fired
    return out


def _reply_missing(g: Ledger) -> pd.Series:
    applies = g.written("concluded_on") & g.on_tracks("reply_tracks")
    judged = ~g.doubt("concluded_on", "reply_on")
    return (applies & judged & g.f.reply_on.isna() & ~g.copy).astype(bool)


def _feedback_missing(g: Ledger) -> pd.Series:
    f = g.f
    applies = g.is_("routing", ASSIGNED) & g.written("assigned_deadline")
    judged = ~g.doubt("routed_on", "assigned_deadline", "feedback_on")
    return g.late(f.assigned_deadline, f.feedback_on, applies, judged)


def _review_overdue(g: Ledger, prefix: str, key: str, extra=None) -> Clock:
    f = g.f
    requested, decided = f[f"{prefix}_requested_on"], f[f"{prefix}_decided_on"]
    last = requested + g.days(key) + (extra if extra is not None else pd.Timedelta(0))
    judged = ~g.doubt(f"{prefix}_requested_on", f"{prefix}_decided_on")
    return g.clock(last, decided, g.written(f"{prefix}_requested_on"), judged)


def _decision_unimplemented(g: Ledger) -> pd.Series:
    """The decision in force is the latest outcome that is not 维持; it requires action when
    it is one of the profile's action outcomes; an unknown one cannot prove anything."""
    f = g.f
    value = pd.Series(None, index=f.index, dtype=object)
    date_doubt = pd.Series(False, index=f.index)
    unknown = pd.Series(False, index=f.index)
    for name, on in (("outcome", "concluded_on"), ("review_outcome", "review_decided_on"),
                     ("rereview_outcome", "rereview_decided_on")):   # earliest first
        later = f[name].notna() & (f[name] != UPHELD)
        value = value.mask(later, f[name])
        date_doubt = date_doubt.mask(later, g.doubt(on))
        unknown = unknown.mask(later, g.unknown(name))
    action = value.isin(list(P05.action_outcomes)).where(
        g.old, value.isin(list(P22.action_outcomes))).fillna(False)
    applies = action | unknown
    due, done = f.implementation_due, f.implemented_on
    # 已落实 without a date, or a 落实情况 outside the vocabulary, proves no absence of the act
    unproven = done.isna() & (g.is_("implementation_status", [DONE])
                              | g.unknown("implementation_status"))
    judged = (~unknown & ~date_doubt & g.present("implementation_due")
              & ~g.doubt("implemented_on") & ~unproven)
    return g.late(due, done, applies, judged)


def _statutory_clocks(g: Ledger) -> tuple[dict[str, Clock], pd.Series]:
    """The 办理, 复查 and 复核 clocks, and the EXTENSION_IRREGULAR rows."""
    handling, extension = _handling(g)
    hearing = pd.to_timedelta(g.f.hearing_days.fillna(0).astype(int), unit="D")
    return {"handling": handling, "review": _review_overdue(g, "review", "review"),
            "rereview": _review_overdue(g, "rereview", "rereview", hearing)}, extension


def _accountability(g: Ledger, clocks: dict[str, Clock], extension: pd.Series
                    ) -> dict[str, pd.Series]:
    return {
        "REG_LATE": _reg_late(g),
        "NOTICE_LATE": _notice_late(g),
        "HANDLING_OVERDUE": clocks["handling"].fired,
        "EXTENSION_IRREGULAR": extension,
        "REPLY_MISSING": _reply_missing(g),
        "FEEDBACK_MISSING": _feedback_missing(g),
        "REVIEW_OVERDUE": clocks["review"].fired,
        "REREVIEW_OVERDUE": clocks["rereview"].fired,
        "DECISION_UNIMPLEMENTED": _decision_unimplemented(g),
        "SYSTEM_DEADLINE_OVERDUE": _system_deadline(g, clocks["handling"]),
    }


def _record_inconsistent(g: Ledger) -> pd.Series:
    """docs/checks.md, RECORD_INCONSISTENT: 已落实 without a 落实日期, a 落实日期 with 未落实,
    是否办结 = 否 with a 办结日期; not judged where a compared cell is doubtful."""
    f = g.f
    status = g.is_("implementation_status", [DONE, NOT_DONE])
    flag = f.is_concluded.notna() & ~g.doubt("is_concluded")
    doubtful = ((status & g.doubt("implemented_on")) | (flag & g.doubt("concluded_on"))
                | g.doubt("is_concluded"))
    contradiction = ((g.is_("implementation_status", [DONE]) & f.implemented_on.isna()
                      & ~g.doubt("implemented_on"))
                     | (g.is_("implementation_status", [NOT_DONE]) & g.present("implemented_on"))
                     | (flag & f.is_concluded.eq(False).fillna(False)
                        & g.present("concluded_on")))
    return (contradiction & ~doubtful & ~g.copy).astype(bool)


def _data_quality(g: Ledger, clocks: dict[str, Clock]) -> dict[str, pd.Series]:
    f, judged = g.f, ~g.copy
    order = pd.Series(False, index=f.index)
    for earlier, later in date_order_pairs():
        order |= g.present(earlier) & g.present(later) & (f[later] < f[earlier])
    distinct = f.case_id.where(judged)
    shared = distinct.map(distinct.value_counts()).fillna(0) > 1
    required = pd.Series(False, index=f.index)
    for name in ("case_id", "handling_unit", "received_on"):
        required |= f[name].isna() & ~g.doubt(name)
    unknown = pd.Series(False, index=f.index)
    for name in (n for n in VOCABULARY_FIELDS if n in f.columns):
        unknown |= g.unknown(name)
    doubtful = pd.Series(False, index=f.index)
    for name in f.columns:
        doubtful |= g.doubt(name)
    return {
        "DATA_DATE_UNREADABLE": doubtful & judged,
        "DATA_DATE_ORDER": order & judged,
        "DATA_DUPLICATE_ID": shared & judged,
        "DATA_DUPLICATE_ROW": g.copy,
        "DATA_REQUIRED_MISSING": required & judged,
        "SYSTEM_FLAG_MISMATCH": _flag_mismatch(g, clocks) & judged,
        "DATA_VALUE_UNKNOWN": unknown & judged,
        "RECORD_INCONSISTENT": _record_inconsistent(g),
    }


def reference_truth(data) -> set[tuple[str, str]]:
    g = Ledger(data)
    clocks, extension = _statutory_clocks(g)
    hits = _accountability(g, clocks, extension)
    hits.update(_data_quality(g, clocks))
    assert set(hits) == {c.value for c in CheckId}
    return {(cid, check) for check, mask in hits.items()
            for cid in g.f.case_id[mask.to_numpy(bool)]}


def truth_set(data) -> set[tuple[str, str]]:
    return set(data.truth.itertuples(index=False, name=None))


def checks_of(data, case_id: str) -> set[str]:
    return set(data.truth.check_id[data.truth.case_id == case_id])


# ---------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cases,seed", [(300, 7), (300, 8), (200, 1), (600, 42)])
def test_truth_is_what_the_rules_report(cases, seed):
    data = generate(cases, "2026-10", seed)
    expected = reference_truth(data)
    assert truth_set(data) - expected == set(), "planted but would not fire"
    assert expected - truth_set(data) == set(), "would fire but not in the truth"


@pytest.mark.parametrize("period", ["2025-03", "2022-10"])
def test_truth_holds_for_other_periods(period):
    data = generate(300, period, 3)
    assert truth_set(data) == reference_truth(data)


def test_same_seed_same_result_and_other_seed_differs(small):
    again = generate(300, "2026-10", 7)
    pd.testing.assert_frame_equal(small.frame, again.frame)
    pd.testing.assert_frame_equal(small.truth, again.truth)
    pd.testing.assert_frame_equal(small.date_styles, again.date_styles)
    pd.testing.assert_frame_equal(small.plants, again.plants)
    other = generate(300, "2026-10", 8)
    assert not small.frame.equals(other.frame)
    assert not small.truth.equals(other.truth)


def test_every_check_planted_within_the_target_share(small):
    counts = small.planted_counts()
    assert set(counts) == {c.value for c in CheckId}
    assert all(5 <= n <= 0.06 * small.cases for n in counts.values()), counts


def test_as_of_is_last_day_of_period():
    assert generate(200, "2026-02", 1).as_of == dt.date(2026, 2, 28)
    assert generate(200, "2024-02", 1).as_of == dt.date(2024, 2, 29)
    assert generate(200, "2026-10", 1).as_of == dt.date(2026, 10, 31)


@pytest.mark.parametrize("period, error, text", [
    ("2026-13", ConfigError, "审计期间「2026-13」格式不对，应写成 2026-10"),
    ("2026-1", ConfigError, "审计期间「2026-1」格式不对，应写成 2026-10"),
    # items are received over the 183 days up to the as-of date, all under the 2022 text
    # (in force 2022-05-01): 2022-10-31 − 183 days is 2022-05-01 itself
    ("2022-06", SynthError, "无法生成模拟台账：期间2022-06太早：.*最早可用的期间为2022-10"),
    ("2022-09", SynthError, "最早可用的期间为2022-10"),
])
def test_bad_period_is_a_chinese_user_error(period, error, text):
    with pytest.raises(error, match=text) as caught:
        generate(300, period, 1)
    assert isinstance(caught.value, XfauditError) and isinstance(caught.value, ValueError)


def test_earliest_period_and_other_forms_are_accepted():
    assert generate(200, "2022-10", 1).as_of == dt.date(2022, 10, 31)
    assert generate(200, "2026年2月", 1).period == "2026-02"


def test_too_few_cases_is_a_chinese_user_error():
    with pytest.raises(SynthError, match="至少为200件.*现为50件"):
        generate(50, "2026-10", 1)


def test_truth_has_no_duplicates_and_valid_ids(small):
    t = small.truth
    assert list(t.columns) == ["case_id", "check_id"]
    assert not t.duplicated().any()
    assert set(t.check_id) <= {c.value for c in CheckId}
    assert t.equals(t.sort_values(["case_id", "check_id"]).reset_index(drop=True))
    assert set(t.case_id) <= set(small.frame.case_id)


def test_frame_has_canonical_fields_and_types(small):
    f = small.frame
    # every contract field the generator models, in contract order; 评价状态, 登记部门, the
    # review organs and 所属县区 (a county's own ledger) are not generated (限办时间, 是否办结 and
    # 是否超期 are)
    absent = ["evaluation_status", "registering_body", "review_organ", "rereview_organ",
              "county"]
    assert list(f.columns) == [c for c in fields() if c not in absent]
    assert f.is_concluded.dtype == "boolean" and f.system_overdue.dtype == "boolean"
    dates = [c for c in date_fields() if c in f.columns]
    assert all(f[c].dtype == "datetime64[ns]" for c in dates)
    stacked = f[dates].stack().dropna()
    assert (stacked.dt.normalize() == stacked).all()
    kinds = small.plants.kind.value_counts()
    extra = kinds["DATA_DUPLICATE_ROW/pasted_twice"] + kinds["DATA_DUPLICATE_ID/reentered_with_new_phone"]
    assert len(f) == small.cases + extra
    assert f.case_id.notna().all()
    no_received = f.case_id[f.received_on.isna()]
    planted = set(_kind(small, "DATA_REQUIRED_MISSING/received_on").case_id) | set(
        small.unreadable.case_id[small.unreadable.field == "received_on"])
    assert set(no_received) == planted


def test_realistic_mix(small):
    f = small.frame
    channels = f.channel.value_counts(normalize=True)
    assert channels.idxmax() == "网上信访" and set(channels.index) == {"来信", "来访", "网上信访", "来电"}
    routings = f.routing.value_counts()
    assert routings.idxmax() == "转送"
    assert {"转送", "交办", "直接办理", "告知", "不予受理", "存"} <= set(routings.index)
    assert routings[~routings.index.isin(vocabulary("routing"))].sum() <= 5
    tracks = f.track.value_counts()
    assert tracks.idxmax() == "信访程序" and {"涉法涉诉", "纪检监察", "诉讼"} <= set(tracks.index)
    assert (f.people_count >= 5).any() and (f.people_count == 1).mean() > 0.7
    assert f.handling_unit.nunique() >= 15 and f.category.nunique() >= 9
    assert {"未评价", "满意"} <= set(f.satisfaction.dropna())
    assert f.is_repeat.any() and f.escalated.any()
    assert f.summary.str.startswith("=").sum() >= 2
    assert {"支持", "部分支持", "解释说明", "不予支持"} <= set(f.outcome.dropna())
    assert f.received_on.lt(pd.Timestamp("2022-05-01")).mean() < 0.03
    assert f.received_on.min() < pd.Timestamp("2022-05-01") <= f.received_on.max()


def test_open_items_not_yet_due_exist(small):
    f, as_of = small.frame, pd.Timestamp(small.as_of)
    open_handling = f.accepted_on.notna() & f.concluded_on.isna() \
        & (f.accepted_on + pd.Timedelta(days=60) >= as_of)
    assert open_handling.sum() >= 10
    assert (f.implementation_due > as_of).any() and f.extension_days.notna().any()
    assert f.rereview_decided_on.notna().any() and f.hearing_days.notna().any()


def test_personal_data_is_obviously_synthetic(small):
    f = small.frame
    phones, ids = f.petitioner_phone.dropna(), f.petitioner_id_no.dropna()
    assert phones.str.fullmatch(r"1380000\d{4}").all()
    assert ids.str.fullmatch(r"999999\d{11}[\dX]").all()
    names = f.petitioner.dropna()
    assert names.str.fullmatch(r"(测试.\d+|.某某\d+|匿名|不详|无)").all()


def test_clean_lifecycle_is_in_order(sample_data):
    """Only the planted DATA_DATE_ORDER rows break a pair of checks.toml [order]."""
    f = sample_data.frame
    planted = f.case_id.isin(_planted(sample_data, "DATA_DATE_ORDER").case_id)
    for earlier, later in date_order_pairs():
        wrong = f[later] < f[earlier]
        assert not (wrong & ~planted).any(), (earlier, later)


# ---------------------------------------------------------------------------------------------
# Semantic spot checks of the plants and controls
# ---------------------------------------------------------------------------------------------


def _planted(data, check: str) -> pd.DataFrame:
    ids = data.truth.case_id[data.truth.check_id == check]
    return data.frame[data.frame.case_id.isin(ids)]


def _kind(data, prefix: str) -> pd.DataFrame:
    ids = data.plants.case_id[data.plants.kind.str.startswith(prefix)]
    return data.frame[data.frame.case_id.isin(ids)]


def _only(data, prefix: str, checks: set[str], at_least: int = 1) -> pd.DataFrame:
    """Every item of the kind fires exactly ``checks``."""
    rows = _kind(data, prefix)
    assert len(rows) >= at_least, prefix
    for case_id in rows.case_id:
        assert checks_of(data, case_id) == checks, (prefix, case_id)
    return rows


def test_reg_late_rows_routed_late_or_not_at_all(small):
    rows = _planted(small, "REG_LATE")
    by_notice = rows.routing.isin(["告知", "不予受理", "不再受理"])
    actual = rows.routed_on.fillna(rows.notice_on.where(by_notice))
    actual = actual.fillna(rows.registered_on.where(rows.routing == "存"))
    assert (actual.isna() | (actual > rows.received_on + pd.Timedelta(days=15))).all()
    # a third of the late ones exactly on day N+1
    assert ((actual - rows.received_on).dt.days == 16).any()


def test_clean_items_at_day_n_exist(sample_data):
    f = sample_data.frame[~sample_data.frame.case_id.isin(sample_data.truth.case_id)]
    assert ((f.routed_on - f.received_on).dt.days == 15).any()
    assert ((f.concluded_on - f.accepted_on).dt.days == 60).any()
    assert ((f.review_decided_on - f.review_requested_on).dt.days == 30).any()


def test_every_control_is_silent(small, sample_data):
    for data in (small, sample_data):
        controls = data.plants[data.plants.kind.str.startswith("control/")]
        assert len(controls) >= 20
        assert not controls.case_id.isin(data.truth.case_id).any()


def test_anonymous_petitioner_exempts_direct_items_only(small):
    direct = _only(small, "control/anonymous_direct_no_notice", set(), at_least=4)
    assert (direct.routing == "直接办理").all() and direct.notice_on.isna().all()
    assert direct.petitioner.isna().any()          # an empty 信访人 cell is unclear too
    assert direct.petitioner.dropna().isin(["匿名", "不详", "无"]).all()
    routed = _only(small, "NOTICE_LATE/anonymous_routed_missing", {"NOTICE_LATE"})
    assert routed.routing.isin(["转送", "交办"]).all() and routed.notice_on.isna().all()
    assert (routed.petitioner.isna() | routed.petitioner.isin(["匿名", "不详", "无"])).all()


def test_track_rule_by_text(small):
    old = _kind(small, "HANDLING_OVERDUE/2005_track")
    assert (old.track == "诉讼").all() and (old.received_on < pd.Timestamp("2022-05-01")).all()
    assert (old.received_on == pd.Timestamp("2022-04-30")).any()
    assert ((old.concluded_on - old.accepted_on).dt.days > 60).all()
    new = _kind(small, "control/2022_track")
    assert (new.track != "信访程序").all() and (new.received_on >= pd.Timestamp("2022-05-01")).all()
    assert (new.received_on == pd.Timestamp("2022-05-01")).any()
    assert ((new.concluded_on - new.accepted_on).dt.days > 60).all()


def test_exempt_tracks_owe_no_registration_limit_or_notice_under_2022(small):
    rows = _only(small, "control/2022_exempt_track_routed_late_no_notice", set(), at_least=2)
    assert rows.track.isin(["涉法涉诉", "纪检监察"]).all() and rows.notice_on.isna().all()
    assert ((rows.routed_on - rows.received_on).dt.days > 15).all()
    old = _only(small, "REG_LATE/2005_law_track_routed_late", {"REG_LATE"})
    assert (old.track == "涉法涉诉").all() and (old.received_on < pd.Timestamp("2022-05-01")).all()


def test_diverted_items_owe_no_reply(small):
    rows = _only(small, "control/diverted_track_no_reply", set(), at_least=2)
    assert rows.concluded_on.notna().all() and rows.reply_on.isna().all()
    assert rows.track.isin(["诉讼", "行政复议", "仲裁"]).all()


def test_unknown_values_keep_clocks_but_never_accuse_an_open_item(small):
    track = _only(small, "HANDLING_OVERDUE+DATA_VALUE_UNKNOWN/unknown_track_overdue",
                  {"HANDLING_OVERDUE", "DATA_VALUE_UNKNOWN"})
    assert not track.track.isin(vocabulary("track")).any()
    never = _only(small, "DATA_VALUE_UNKNOWN/routing_never_routed", {"DATA_VALUE_UNKNOWN"})
    assert never.routed_on.isna().all() and not never.routing.isin(vocabulary("routing")).any()
    # received more than 15 days before the as-of date: a known routing would be REG_LATE
    assert (never.received_on + pd.Timedelta(days=15) < pd.Timestamp(small.as_of)).all()
    late = _only(small, "REG_LATE+DATA_VALUE_UNKNOWN", {"REG_LATE", "DATA_VALUE_UNKNOWN"})
    assert ((late.routed_on - late.received_on).dt.days > 15).all()
    _only(small, "DATA_VALUE_UNKNOWN/outcome", {"DATA_VALUE_UNKNOWN"})
    _only(small, "DATA_VALUE_UNKNOWN/implementation_status", {"DATA_VALUE_UNKNOWN"})


def test_not_implemented_is_a_finding_only_past_the_due_date(small):
    as_of = pd.Timestamp(small.as_of)
    before = _only(small, "control/not_implemented_before_due", set(), at_least=2)
    assert (before.implementation_status == "未落实").all()
    assert (before.implementation_due > as_of).all()
    without = _only(small, "control/not_implemented_without_due", set(), at_least=2)
    assert (without.implementation_status == "未落实").all()
    assert without.implementation_due.isna().all()
    past = _only(small, "DECISION_UNIMPLEMENTED/status_unimplemented_past_due",
                 {"DECISION_UNIMPLEMENTED"})
    assert (past.implementation_due < as_of).all() and past.implemented_on.isna().all()


def test_partial_support_upheld_on_review_must_be_carried_out(small):
    rows = _only(small, "DECISION_UNIMPLEMENTED/partial_support_upheld_on_review",
                 {"DECISION_UNIMPLEMENTED"})
    assert (rows.outcome == "部分支持").all() and (rows.review_outcome == "维持").all()
    assert rows.implemented_on.isna().all()
    # the 落实期限 counts from the decision in force: the 处理意见 of the 办结日期
    assert ((rows.implementation_due - rows.concluded_on).dt.days.isin([30, 60, 90])).all()


def test_invalid_extension_fires_both(small):
    both = set(_kind(small, "HANDLING_OVERDUE+EXTENSION_IRREGULAR").case_id)
    t = small.truth
    for check in ("HANDLING_OVERDUE", "EXTENSION_IRREGULAR"):
        assert both <= set(t.case_id[t.check_id == check])
    valid = _kind(small, "control/valid_extension")
    assert ((valid.concluded_on - valid.accepted_on).dt.days > 60).all()


def test_hearing_days_cover_late_rereview(small):
    rows = _kind(small, "control/rereview_within_hearing")
    took = (rows.rereview_decided_on - rows.rereview_requested_on).dt.days
    assert (took > 30).all() and (took <= 30 + rows.hearing_days).all()


def test_unreadable_and_implausible_cells(small):
    u = small.unreadable
    assert list(u.columns) == ["row", "case_id", "field", "raw", "reason"]
    assert {"registered_on", "received_on", "accepted_on", "reply_on", "concluded_on",
            "notice_on"} == set(u.field)
    text = u[u.reason == "无法识别"]
    assert {"2026-13-45", "待定", "十月五日"} <= set(text.raw)
    year = u[u.raw.map(type) == int]
    assert (year.reason == "不在合理日期范围内").all() and year.raw.isin([2026]).all()
    typo = u[u.field == "notice_on"]
    assert typo.raw.str.fullmatch(r"22\d\d-\d\d-\d\d").all()
    for _, cell in u.iterrows():
        assert pd.isna(small.frame.loc[cell.row, cell.field])
        assert small.date_styles.loc[cell.row, cell.field] == GARBAGE_STYLE
    assert set(u.case_id) == set(_planted(small, "DATA_DATE_UNREADABLE").case_id)
    # an unreadable cell never makes a finding for the checks reading it
    _only(small, "DATA_DATE_UNREADABLE/received_on_year_alone", {"DATA_DATE_UNREADABLE"})
    overdue = _only(small, "DATA_DATE_UNREADABLE/concluded_on_overdue_unjudged",
                    {"DATA_DATE_UNREADABLE"})
    assert (overdue.accepted_on + pd.Timedelta(days=60) < pd.Timestamp(small.as_of)).all()
    _only(small, "DATA_DATE_UNREADABLE/notice_on_late_year_typo", {"DATA_DATE_UNREADABLE"})


def _all(values: pd.Series, value: bool) -> bool:
    """Every cell holds ``value`` (an empty cell does not)."""
    return bool(values.notna().all() and (values == value).all())


def _system_planted(data) -> pd.Series:
    kinds = data.plants.kind
    return data.plants.case_id[kinds.str.contains("SYSTEM_") | kinds.str.contains("control/system")
                               | kinds.str.contains("control/statute")]


def test_system_fields_follow_the_statute_where_nothing_is_planted(sample_data):
    f, as_of = sample_data.frame, pd.Timestamp(sample_data.as_of)
    f = f[~f.case_id.isin(_system_planted(sample_data)) & f.extension_days.isna()]
    accepted = f[f.accepted_on.notna()]
    # 限办时间 = 受理日期 + 60 days (both texts; no extension on these rows)
    assert (accepted.system_deadline == accepted.accepted_on + pd.Timedelta(days=60)).all()
    # a 限办时间 without a 受理日期: only where the 受理日期 cell is unreadable
    u = sample_data.unreadable
    assert set(f.case_id[f.accepted_on.isna() & f.system_deadline.notna()]) <= set(
        u.case_id[u.field == "accepted_on"])
    # 是否超期: the conclusion shown (else the as-of date) after 限办时间
    act = f.concluded_on.fillna(as_of)
    has = f.system_deadline.notna()
    assert (f.system_overdue[has] == (act > f.system_deadline)[has]).all()
    assert not f.system_overdue[~has].any()
    # 是否办结 = 否 exactly while the status is an open one (a planted unknown status and a
    # planted contradicting flag aside)
    flagged = sample_data.plants.case_id[sample_data.plants.kind.str.startswith(
        "RECORD_INCONSISTENT/concluded_but_flag_open")]
    known = f.status.isin(vocabulary("status"))
    assert known.mean() > 0.99
    known &= ~f.case_id.isin(flagged)
    assert (f.is_concluded[known] == ~f.status[known].isin(OPEN_STATUS)).all()
    assert f.is_concluded.notna().all() and f.system_overdue.notna().all()
    assert f.system_overdue.any() and f.is_concluded.any() and not f.is_concluded.all()


def test_system_deadline_judged_where_the_statutory_clock_cannot_run(small):
    as_of, s = pd.Timestamp(small.as_of), {"SYSTEM_DEADLINE_OVERDUE"}
    open_past = _only(small, "SYSTEM_DEADLINE_OVERDUE/no_accepted_open_past_deadline", s, 2)
    assert open_past.accepted_on.isna().all() and open_past.concluded_on.isna().all()
    assert (open_past.system_deadline < as_of).all() and _all(open_past.is_concluded, False)
    assert open_past.status.isna().any()           # 是否办结 = 否 alone proves it open
    status_only = _only(small, "SYSTEM_DEADLINE_OVERDUE/no_accepted_open_status_only", s)
    assert status_only.is_concluded.isna().all() and status_only.status.isin(OPEN_STATUS).all()
    assert (status_only.system_deadline < as_of).all() and status_only.concluded_on.isna().all()
    late = _only(small, "SYSTEM_DEADLINE_OVERDUE/no_accepted_concluded_late", s)
    assert late.accepted_on.isna().all() and (late.concluded_on > late.system_deadline).all()
    garbled = _only(small, "SYSTEM_DEADLINE_OVERDUE+DATA_DATE_UNREADABLE",
                    s | {"DATA_DATE_UNREADABLE"})
    u = small.unreadable
    assert set(garbled.case_id) <= set(u.case_id[u.field == "accepted_on"])
    assert (garbled.concluded_on > garbled.system_deadline).all()


def test_system_deadline_controls_stay_silent(small, sample_data):
    as_of = pd.Timestamp(small.as_of)
    undated = _only(small, "control/system_concluded_without_date", set(), 2)
    assert _all(undated.is_concluded, True) and undated.concluded_on.isna().all()
    assert (undated.system_deadline < as_of).all() and undated.accepted_on.isna().all()
    silent = _only(small, "control/system_silent", set(), 2)
    assert silent.status.isna().all() and silent.is_concluded.isna().all()
    assert (silent.system_deadline < as_of).all() and silent.concluded_on.isna().all()
    refused = _only(small, "control/system_not_accepted", set(), 2)
    assert refused.status.isin(NOT_ACCEPTED).all() and _all(refused.is_concluded, False)
    assert (refused.system_deadline < as_of).all()
    # open, 限办时间 on or after the as-of date (both extracts: 2026-10-31)
    waiting = pd.concat([_kind(data, "control/system_deadline_") for data in (small, sample_data)])
    assert _all(waiting.is_concluded, False) and waiting.accepted_on.isna().all()
    assert len(waiting) >= 4 and (waiting.system_deadline >= as_of).all()
    today = _kind(sample_data, "control/system_deadline_due_today")
    assert len(today) == 1 and (today.system_deadline == pd.Timestamp(sample_data.as_of)).all()
    # the statutory clock runs: a 限办时间 before the conclusion is not judged
    wins = _only(small, "control/statute_wins_over_system_deadline", set(), 2)
    assert (wins.concluded_on > wins.system_deadline).all() and wins.system_overdue.isna().all()
    assert (wins.concluded_on <= wins.accepted_on + pd.Timedelta(days=60)).all()


def test_system_flag_mismatch_both_ways(small):
    as_of, m = pd.Timestamp(small.as_of), {"SYSTEM_FLAG_MISMATCH"}
    day_60 = pd.Timedelta(days=60)
    early = _only(small, "SYSTEM_FLAG_MISMATCH/flag_overdue_but_on_time", m)
    assert _all(early.system_overdue, True)
    assert (early.concluded_on <= early.accepted_on + day_60).all()
    late = _only(small, "HANDLING_OVERDUE+SYSTEM_FLAG_MISMATCH/flag_on_time_but_late",
                 m | {"HANDLING_OVERDUE"})
    assert _all(late.system_overdue, False)
    assert (late.concluded_on > late.accepted_on + day_60).all()
    stale = _only(small, "SYSTEM_FLAG_MISMATCH/status_overdue_but_concluded_on_time", m)
    assert (stale.status == "超期未作出处理意见").all()
    assert (stale.concluded_on <= stale.accepted_on + day_60).all()
    still = _only(small, "HANDLING_OVERDUE+SYSTEM_FLAG_MISMATCH/status_accepted_open_past",
                  m | {"HANDLING_OVERDUE"})
    assert (still.status == "受理").all() and still.concluded_on.isna().all()
    assert (still.accepted_on + day_60 < as_of).all()
    decided = _only(small, "SYSTEM_FLAG_MISMATCH/status_review_overdue_but_decided", m)
    assert (decided.status == "超期未作出复查意见").all()
    assert (decided.review_decided_on <= decided.review_requested_on + pd.Timedelta(days=30)).all()
    review = _only(small, "REVIEW_OVERDUE+SYSTEM_FLAG_MISMATCH/status_review_open_past",
                   m | {"REVIEW_OVERDUE"})
    assert (review.status == "复查").all() and review.review_decided_on.isna().all()


def test_pasted_twice_is_one_item_and_shared_ids_are_different_rows(small):
    f = small.frame
    copies = _only(small, "DATA_DUPLICATE_ROW/pasted_twice", {"DATA_DUPLICATE_ROW"}, 5)
    for case_id in copies.case_id:
        rows = f.index[f.case_id == case_id]
        assert len(rows) == 2 and rows[1] == rows[0] + 1
        assert f.loc[rows[0]].equals(f.loc[rows[1]])
    again = _only(small, "DATA_DUPLICATE_ID/reentered_with_new_phone", {"DATA_DUPLICATE_ID"})
    for case_id in again.case_id:
        assert _differing(f[f.case_id == case_id]) == ["petitioner_phone"]
    shared = _only(small, "DATA_DUPLICATE_ID/number_given_twice", {"DATA_DUPLICATE_ID"})
    for case_id, pair in shared.groupby("case_id"):
        assert len(_differing(pair)) >= 5                          # two different items


def _differing(pair: pd.DataFrame) -> list[str]:
    """The columns in which the two rows of ``pair`` differ (empty equals empty)."""
    assert len(pair) == 2
    first, second = pair.iloc[0], pair.iloc[1]
    return [c for c in pair.columns
            if not ((pd.isna(first[c]) and pd.isna(second[c])) or first[c] == second[c])]


def test_vocabulary_file_is_read_strictly():
    text = resources.files("xfaudit.synth").joinpath("vocab.toml").read_text("utf-8")
    assert read_county(text).name == "云溪县"
    with pytest.raises(ConfigError, match="countty"):
        read_county(text.replace('county = "云溪县"', 'countty = "云溪县"'))
    with pytest.raises(ConfigError, match="unknown.routing"):
        read_county(text.replace('routing = ["转相关部门"', 'routing = ["转办"'))
    with pytest.raises(ConfigError, match="不在"):
        read_county(text.replace('"存" = 0.03', '"存放" = 0.03'))


# ---------------------------------------------------------------------------------------------
# Written files
# ---------------------------------------------------------------------------------------------


def test_xlsx_title_and_headers(small, written, sheet):
    assert sheet[0][0] == "云溪县2026年10月信访事项台账"
    assert sheet[1] == [fields()[name].header for name in small.frame.columns]
    ws = openpyxl.load_workbook(written["extract"], read_only=False)["台账"]
    last = openpyxl.utils.get_column_letter(len(small.frame.columns))
    assert [str(r) for r in ws.merged_cells.ranges] == [f"A1:{last}1"]
    assert ws.max_row == len(small.frame) + FIRST_DATA_ROW - 1


def test_xlsx_text_cells_are_text(small, sheet):
    col = list(small.frame.columns).index
    ids = [row[col("case_id")] for row in sheet[2:]]
    assert ids == list(small.frame.case_id)
    assert any(i.startswith("0") for i in ids)
    summaries = [row[col("summary")] for row in sheet[2:]]
    assert '=HYPERLINK("http://example.invalid","详情")' in summaries and "=1+1" in summaries
    phones = {row[col("petitioner_phone")] for row in sheet[2:]} - {""}
    assert all(isinstance(p, str) and p.startswith("1380000") for p in phones)


def _read_date(value) -> pd.Timestamp | None:
    if value == "" or value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return pd.Timestamp(value).normalize()
    if isinstance(value, (int, float)):
        return pd.Timestamp("1899-12-30") + pd.Timedelta(days=int(value))
    m = re.fullmatch(r"(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|年(\d{1,2})月(\d{1,2})日)"
                     r"(?: \d{2}:\d{2})?", value)
    if not m:
        return pd.NaT
    y, mo, d = m.group(1), m.group(2) or m.group(4), m.group(3) or m.group(5)
    try:
        return pd.Timestamp(int(y), int(mo), int(d))
    except ValueError:
        return pd.NaT


def test_xlsx_dates_read_back_as_planned(small, sheet):
    names = list(small.frame.columns)
    raw = {(r.row, r.field): r.raw for r in small.unreadable.itertuples()}
    for name in (f for f in date_fields() if f in names):
        j = names.index(name)
        want = small.frame[name]
        styles = small.date_styles[name]
        for i, (w, s) in enumerate(zip(want, styles)):
            cell = sheet[i + 2][j]
            if pd.isna(s):
                assert _read_date(cell) is None, (name, i)
            elif s == GARBAGE_STYLE:
                assert pd.isna(w) and cell == raw[(i, name)], (name, i, cell)
            else:
                assert _read_date(cell) == w, (name, i, s, cell)


def test_date_style_variants_all_present(small, sheet):
    used = set(small.date_styles.stack().dropna())
    assert used == set(DATE_STYLES) | {GARBAGE_STYLE}
    cells = [c for row in sheet[2:] for c in row]
    assert any(isinstance(c, dt.date) for c in cells)             # real Excel dates
    assert any(isinstance(c, float) and c > 40000 for c in cells)  # bare serials
    for pattern in (r"\d{4}-\d{2}-\d{2}", r"\d{4}/\d{1,2}/\d{1,2}", r"\d{4}\.\d{1,2}\.\d{1,2}",
                    r"\d{4}年\d{1,2}月\d{1,2}日", r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"):
        assert any(isinstance(c, str) and re.fullmatch(pattern, c) for c in cells), pattern


def test_truth_and_meta_files(small, written):
    truth = pd.read_csv(written["truth"], dtype=str, encoding="utf-8-sig")
    assert written["truth"].read_bytes().startswith(b"\xef\xbb\xbf")
    pd.testing.assert_frame_equal(truth, small.truth, check_dtype=False)
    meta = json.loads(written["meta"].read_text("utf-8"))
    assert meta["seed"] == 7 and meta["period"] == "2026-10" and meta["as_of"] == "2026-10-31"
    assert meta["profile"] == "auto" and meta["cases"] == 300
    assert meta["rows"] == len(small.frame) and meta["planted"] == small.planted_counts()
    assert meta["kinds"]["control/anonymous_direct_no_notice"] >= 4


def test_csv_with_bom_and_aliases(tmp_path):
    data = generate(200, "2026-10", 5, use_aliases=True)
    paths = write(data, tmp_path / "x.csv")
    raw = paths["extract"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("云溪县2026年10月信访事项台账")
    header = lines[1].split(",")
    assert header == [data.headers[n] for n in data.frame.columns]
    aliased = [n for n, h in data.headers.items() if h != fields()[n].header]
    assert len(aliased) >= 5 and all(data.headers[n] in fields()[n].aliases for n in aliased)
    table = pd.read_csv(paths["extract"], skiprows=1, dtype=str, encoding="utf-8-sig")
    assert list(table.iloc[:, 0]) == list(data.frame.case_id)


def test_aliases_are_deterministic():
    a = generate(200, "2026-10", 5, use_aliases=True).headers
    assert a == generate(200, "2026-10", 5, use_aliases=True).headers
    assert generate(200, "2026-10", 5).headers == {n: f.header for n, f in fields().items()}


def test_xlsx_bytes_are_reproducible(small, written, tmp_path):
    again = write(small, tmp_path / "again.xlsx")
    assert again["extract"].read_bytes() == written["extract"].read_bytes()
    fresh = write(generate(300, "2026-10", 7), tmp_path / "fresh.xlsx")
    assert fresh["extract"].read_bytes() == written["extract"].read_bytes()


# ---------------------------------------------------------------------------------------------
# The committed sample
# ---------------------------------------------------------------------------------------------


def test_committed_sample_matches_generator(sample_data, tmp_path):
    data = sample_data
    truth = pd.read_csv(FILES / "sample_2026-10.truth.csv", dtype=str, encoding="utf-8-sig")
    pd.testing.assert_frame_equal(truth, data.truth, check_dtype=False)
    meta = json.loads((FILES / "sample_2026-10.synth.json").read_text("utf-8"))
    assert meta["seed"] == SAMPLE_ARGS["seed"] and meta["rows"] == len(data.frame)
    assert meta == json.loads(write(data, tmp_path / "sample_2026-10.xlsx")["meta"]
                              .read_text("utf-8"))
    assert (tmp_path / "sample_2026-10.xlsx").read_bytes() == SAMPLE.read_bytes()
    assert truth_set(data) == reference_truth(data)
    assert SAMPLE.stat().st_size < 400_000


def test_record_contradictions_fire_the_record_check_only(small):
    r = {"RECORD_INCONSISTENT"}
    undated = _only(small, "RECORD_INCONSISTENT/implemented_without_date", r)
    assert (undated.implementation_status == DONE).all() and undated.implemented_on.isna().all()
    status = _only(small, "RECORD_INCONSISTENT/date_but_status_unimplemented", r)
    assert (status.implementation_status == NOT_DONE).all()
    # the 落实日期 is on time: the decision's own clock stays silent
    assert (status.implemented_on <= status.implementation_due).all()
    flag = _only(small, "RECORD_INCONSISTENT/concluded_but_flag_open", r)
    assert _all(flag.is_concluded, False) and flag.concluded_on.notna().all()
