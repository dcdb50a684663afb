"""Planting: which items carry a violation of which check, and the controls that must not fire.

:class:`Planter` chooses items for each planted *kind* (``REG_LATE/routed_late``,
``control/anonymous_direct_no_notice`` …), edits their plan and records the checks a correct
engine following ``docs/checks.md`` reports for them at the as-of date — an empty tuple for a
control. Eligibility is judged on the first planned timeline: a plant only edits its own items
at or after the step it targets, so what came before stays as planned, and an item is planted
once. The kinds cover every check of :class:`~xfaudit.schema.CheckId` and the edges of the
rules where a careless engine would accuse wrongly (see README "Synthetic data").
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from xfaudit.schema import CheckId, checks
from xfaudit.synth.plan import (ASSIGN, BY_NOTICE, DIRECT, KEPT, NEVER, ROUTED, SYSTEM_CELLS,
                                TRANSFER, UPHELD, Plan, Rules, county)

#: Extra days after a last day that keep a late act (and the steps after it) before as_of.
MARGIN = 25
PLANT_RATE = 0.025                   # share of items planted per check
MIN_PER_CHECK = 6
#: The diverted track of the item judged differently by the two texts (2005: every accepted
#: item has the 60-day limit; 2022: only the 信访程序 track).
LITIGATION = "诉讼"
#: An outcome that supports part of the request: the supported part must be carried out.
PARTIAL = "部分支持"
#: The routings by which the 信访部门 refuses an item (its status: 不予受理 / 不再受理).
REFUSALS = ("不予受理", "不再受理")

C = CheckId


class Planter:
    """Chooses items for each planted kind, edits their plan and records what must fire."""

    def __init__(self, p: Plan, d: dict[str, np.ndarray], lim: dict[str, np.ndarray],
                 rules: Rules, as_of: int, rng: np.random.Generator, per_check: int):
        self.p, self.d, self.lim, self.rules = p, d, lim, rules
        self.as_of, self.rng, self.per_check = as_of, rng, per_check
        self.county = county()
        n = len(p["received"])
        self.used = np.zeros(n, dtype=bool)
        self.texts_used = 0
        self.records: list[tuple[np.ndarray, str, tuple[str, ...]]] = []
        routing, track, received = p["routing"], p["track"], p["received"]
        self.new = ~p["old_block"]
        self.routed = np.isin(routing, ROUTED)
        self.transfer = routing == TRANSFER
        self.direct = routing == DIRECT
        self.inform = np.isin(routing, BY_NOTICE)
        self.assigned = routing == ASSIGN
        self.kept = routing == KEPT
        self.handled = np.isin(routing, (TRANSFER, DIRECT)) & self.new
        self.judged = self.handled & (track == self.county.petition_track)
        self.concluded = (d["reply"] <= as_of) & self.new
        self.reg_duty = ~self.direct & ~rules.listed("register_exempt_tracks", track, received)
        self.notice_duty = ~rules.listed("notice_exempt_tracks", track, received)
        self.reply_duty = rules.on_tracks("reply_tracks", track, received)

    def count(self, share: float) -> int:
        return max(1, round(self.per_check * share))

    def take(self, mask: np.ndarray, count: int) -> np.ndarray:
        """Up to ``count`` unused items from ``mask``, chosen by the seeded generator."""
        pool = np.flatnonzero(mask & ~self.used)
        idx = np.sort(self.rng.choice(pool, size=min(count, len(pool)), replace=False))
        self.used[idx] = True
        return idx

    def excess(self, size: int) -> np.ndarray:
        """Days past the last day: a third exactly on day N+1, the rest 2..20 days."""
        k = self.rng.integers(2, 21, size=size)
        k[: (size + 2) // 3] = 1
        return k

    def plant(self, kind: str, checks: tuple[CheckId, ...], mask: np.ndarray, count: int,
              edit: Callable[[np.ndarray], None]) -> None:
        idx = self.take(mask, count)
        if len(idx):
            edit(idx)
            self.record(idx, kind, checks)

    def record(self, idx: np.ndarray, kind: str, checks: tuple[CheckId, ...]) -> None:
        self.records.append((idx, kind, tuple(c.value for c in checks)))

    def due(self, start: np.ndarray, limit, margin: int) -> np.ndarray:
        """Items whose last day (start + limit) lies at least ``margin`` days before as_of."""
        return start + limit + margin <= self.as_of

    def write_unknown(self, idx: np.ndarray, name: str) -> None:
        """Write a value outside values.toml in field ``name`` (DATA_VALUE_UNKNOWN)."""
        values = self.county.unknown[name]
        self.p[f"{name}_as"][idx] = [values[i % len(values)] for i in range(len(idx))]

    def garble(self, idx: np.ndarray, name: str, form: str) -> None:
        """Write field ``name`` unreadable: ``text`` (no date at all), ``year`` (the year
        alone, a number) or ``typo`` (the year's middle digits swapped: 2026 → 2206)."""
        p = self.p
        p["garbage_field"][idx] = name
        p["garbage_form"][idx] = form
        if form == "text":                   # the texts in turn, across every garbled field
            texts = self.county.unreadable_dates
            p["garbage_raw"][idx] = [texts[(self.texts_used + i) % len(texts)]
                                     for i in range(len(idx))]
            self.texts_used += len(idx)


# ---------------------------------------------------------------------------------------------
# Edits shared by several kinds
# ---------------------------------------------------------------------------------------------

def _no_ext(p: Plan, idx: np.ndarray) -> None:
    p["ext_days"][idx] = 0
    p["approve_off"][idx] = NEVER
    p["enotice_off"][idx] = NEVER


def _calm(pl: Planter, idx: np.ndarray) -> None:
    """No review and no decision requiring action: nothing after the conclusion can fire."""
    p = pl.p
    p["review"][idx] = False
    p["rereview"][idx] = False
    acts = pl.rules.is_action(p["outcome"][idx], p["received"][idx])
    calm = pl.rules.non_action(pl.county.mix["outcome"])
    p["outcome"][idx] = np.where(acts, pl.rng.choice(calm, size=len(idx)), p["outcome"][idx])


def _conclude_late(pl: Planter, idx: np.ndarray) -> None:
    pl.p["conclude_gap"][idx] = pl.lim["handling"][idx] + pl.excess(len(idx))


def _notice_start(pl: Planter) -> tuple[np.ndarray, np.ndarray]:
    d, lim = pl.d, pl.lim
    start = np.where(pl.direct, d["received"], d["unit_received"])
    limit = np.where(pl.direct, lim["notice_direct"], lim["notice_routed"])
    return start, limit


def _notice_late(pl: Planter, idx: np.ndarray, limit: np.ndarray) -> None:
    """A notice after its last day; the conclusion stays on or after the notice."""
    p = pl.p
    p["notice_gap"][idx] = limit[idx] + pl.excess(len(idx))
    p["conclude_gap"][idx] = np.maximum(p["conclude_gap"][idx],
                                        p["notice_gap"][idx] - p["accept_gap"][idx])


def _anonymous(pl: Planter, idx: np.ndarray) -> None:
    """The petitioner's name is unclear (匿名, 不详, 无, or an empty cell)."""
    names = [*pl.rules.new.anonymous_petitioners, ""]
    pl.p["petitioner_as"][idx] = [names[i % len(names)] for i in range(len(idx))]


# ---------------------------------------------------------------------------------------------
# The planters, one per check (with its controls)
# ---------------------------------------------------------------------------------------------

def _plant_reg(pl: Planter) -> None:
    p, d, reg = pl.p, pl.d, pl.lim["register"]
    duty = pl.reg_duty & pl.new
    on_time_room = pl.due(d["received"], reg, MARGIN)

    def late(idx):
        p["route_gap"][idx] = reg[idx] + pl.excess(len(idx))

    def never(idx):
        p["route_gap"][idx] = NEVER

    def kept_late(idx):
        p["reg_gap"][idx] = reg[idx] + pl.excess(len(idx))

    def unknown_routing_late(idx):
        late(idx)
        pl.write_unknown(idx, "routing")

    def kept_without_date(idx):
        p["registered_missing"][idx] = True

    exempt = [t for t in pl.rules.new.register_exempt_tracks
              if t in pl.rules.new.notice_exempt_tracks]

    def exempt_track_late(idx):
        p["track"][idx] = [exempt[i % len(exempt)] for i in range(len(idx))]
        late(idx)
        p["notice_gap"][idx] = NEVER

    def old_law_track_late(idx):
        p["track"][idx] = exempt[0]
        late(idx)

    pl.plant("REG_LATE/routed_late", (C.REG_LATE,), pl.routed & duty & on_time_room,
             pl.count(0.35), late)
    pl.plant("REG_LATE/not_routed", (C.REG_LATE,),
             pl.routed & duty & pl.due(d["received"], reg, 1), pl.count(0.25), never)
    pl.plant("REG_LATE/inform_notice_late", (C.REG_LATE,), pl.inform & duty & on_time_room,
             pl.count(0.2), late)
    pl.plant("REG_LATE/kept_registered_late", (C.REG_LATE,), pl.kept & duty & on_time_room,
             pl.count(0.1), kept_late)
    pl.plant("REG_LATE+DATA_VALUE_UNKNOWN/unknown_routing_routed_late",
             (C.REG_LATE, C.DATA_VALUE_UNKNOWN), pl.transfer & duty & on_time_room,
             pl.count(0.15), unknown_routing_late)
    pl.plant("REG_LATE/2005_law_track_routed_late", (C.REG_LATE,),
             p["old_block"] & pl.transfer & pl.rules.era_old(d["received"]), 1,
             old_law_track_late)
    pl.plant("control/kept_without_date", (), pl.kept & duty & pl.due(d["received"], reg, 1),
             max(1, pl.count(0.1)), kept_without_date)
    if exempt:
        pl.plant("control/2022_exempt_track_routed_late_no_notice", (),
                 pl.transfer & pl.new & on_time_room, max(2, pl.count(0.15)),
                 exempt_track_late)


def _plant_notice(pl: Planter) -> None:
    p = pl.p
    start, limit = _notice_start(pl)
    duty = pl.notice_duty & pl.new

    def late(idx):
        _notice_late(pl, idx, limit)

    def never(idx):
        p["notice_gap"][idx] = NEVER

    def anonymous_never(idx):
        never(idx)
        _anonymous(pl, idx)

    pl.plant("NOTICE_LATE/routed_late", (C.NOTICE_LATE,),
             pl.transfer & duty & pl.due(start, limit, MARGIN), pl.count(0.3), late)
    pl.plant("NOTICE_LATE/direct_late", (C.NOTICE_LATE,),
             pl.direct & duty & pl.due(start, limit, MARGIN), pl.count(0.25), late)
    pl.plant("NOTICE_LATE/missing", (C.NOTICE_LATE,),
             (pl.routed | pl.direct) & duty & pl.due(start, limit, 1), pl.count(0.25), never)
    # the exemption for an unclear name is for items submitted directly only (第二十三条第二款)
    pl.plant("NOTICE_LATE/anonymous_routed_missing", (C.NOTICE_LATE,),
             pl.routed & duty & pl.due(start, limit, 1), pl.count(0.2), anonymous_never)
    pl.plant("control/anonymous_direct_no_notice", (),
             pl.direct & pl.new & pl.due(start, limit, 1), max(4, pl.count(0.3)),
             anonymous_never)


def _plant_handling(pl: Planter) -> None:
    p, d, h = pl.p, pl.d, pl.lim["handling"]

    def late(idx):
        _no_ext(p, idx)
        _conclude_late(pl, idx)

    def never(idx):
        _no_ext(p, idx)
        p["conclude_gap"][idx] = NEVER

    def unknown_track(idx):
        half = np.arange(len(idx)) % 2 == 0
        late(idx[half])
        never(idx[~half])
        pl.write_unknown(idx, "track")

    pl.plant("HANDLING_OVERDUE/concluded_late", (C.HANDLING_OVERDUE,),
             pl.judged & pl.due(d["accepted"], h, MARGIN), pl.count(0.35), late)
    pl.plant("HANDLING_OVERDUE/open_overdue", (C.HANDLING_OVERDUE,),
             pl.judged & pl.due(d["accepted"], h, 1), pl.count(0.25), never)
    # an unknown track is the residual 信访程序: the 60-day clock keeps running
    pl.plant("HANDLING_OVERDUE+DATA_VALUE_UNKNOWN/unknown_track_overdue",
             (C.HANDLING_OVERDUE, C.DATA_VALUE_UNKNOWN),
             pl.judged & pl.due(d["accepted"], h, MARGIN), pl.count(0.2), unknown_track)


def _plant_system_deadline(pl: Planter) -> None:
    """限办时间 where the statutory handling clock cannot run (no 受理日期, or an unreadable one):
    the system's own deadline is judged, open past it or concluded after it; controls where
    nothing proves the act or its absence, an item not accepted, a deadline not yet passed."""
    p, d, h = pl.p, pl.d, pl.lim["handling"]
    late_room = pl.judged & pl.due(d["accepted"], h, MARGIN)
    past = pl.judged & pl.due(d["accepted"], h, 1)
    accepted = pl.judged & (d["accepted"] <= pl.as_of)

    def without_accepted(idx):
        _no_ext(p, idx)
        p["accepted_missing"][idx] = True

    def open_(idx):
        without_accepted(idx)
        p["conclude_gap"][idx] = NEVER

    def open_past(idx):                 # 是否办结 = 否; every other one without a status
        open_(idx)
        p["status_blank"][idx[1::2]] = True

    def open_status_only(idx):          # 是否办结 empty; the open status proves it
        open_(idx)
        p["is_concluded_blank"][idx] = True

    def concluded_late(idx):
        without_accepted(idx)
        _conclude_late(pl, idx)

    def unreadable_accepted_late(idx):
        _no_ext(p, idx)
        _conclude_late(pl, idx)
        pl.garble(idx, "accepted_on", "text")

    def concluded_without_date(idx):    # 是否办结 = 是 and a concluded status, but no date
        concluded_late(idx)
        _calm(pl, idx)
        p["concluded_missing"][idx] = True

    def silent(idx):                    # neither 是否办结 nor a status: nothing proven
        open_(idx)
        for name in SYSTEM_CELLS:
            p[f"{name}_blank"][idx] = True

    def refused(idx):                   # 不予受理 / 不再受理 with a 限办时间 and 是否办结 = 否
        p["refused_deadline"][idx] = True
        p["is_concluded_as"][idx] = False

    s = (C.SYSTEM_DEADLINE_OVERDUE,)
    pl.plant("SYSTEM_DEADLINE_OVERDUE/no_accepted_open_past_deadline", s, past, pl.count(0.35),
             open_past)
    pl.plant("SYSTEM_DEADLINE_OVERDUE/no_accepted_open_status_only", s, past, pl.count(0.15),
             open_status_only)
    pl.plant("SYSTEM_DEADLINE_OVERDUE/no_accepted_concluded_late", s, late_room,
             pl.count(0.3), concluded_late)
    pl.plant("SYSTEM_DEADLINE_OVERDUE+DATA_DATE_UNREADABLE/accepted_on_unreadable_concluded_late",
             (C.SYSTEM_DEADLINE_OVERDUE, C.DATA_DATE_UNREADABLE), late_room, pl.count(0.2),
             unreadable_accepted_late)
    pl.plant("control/system_concluded_without_date", (), late_room, max(2, pl.count(0.15)),
             concluded_without_date)
    pl.plant("control/system_silent", (), past, max(2, pl.count(0.15)), silent)
    refusals = (np.isin(p["routing"], REFUSALS) & pl.new & (d["notice"] <= pl.as_of)
                & pl.due(d["received"], h, 1))
    pl.plant("control/system_not_accepted", (), refusals, max(2, pl.count(0.15)), refused)
    pl.plant("control/system_deadline_due_today", (),
             accepted & (d["accepted"] + h == pl.as_of), 1, open_)
    pl.plant("control/system_deadline_not_yet_due", (),
             accepted & (d["accepted"] + h > pl.as_of), 2, open_)


def _plant_flag_mismatch(pl: Planter) -> None:
    """The system's 是否超期 or 信访件状态 against the statute, both ways, for 办理 and 复查."""
    p, d, h, rv = pl.p, pl.d, pl.lim["handling"], pl.lim["review"]
    room = pl.judged & pl.due(d["accepted"], h, MARGIN)

    def deadline_early(idx):            # 限办时间 k days early; concluded after it, by day N
        _no_ext(p, idx)
        k = pl.rng.integers(5, 16, size=len(idx))
        p["deadline_shift"][idx] = -k
        p["conclude_gap"][idx] = h[idx] - pl.rng.integers(0, k)
        p["reply_gap"][idx] = np.minimum(p["reply_gap"][idx], h[idx] - p["conclude_gap"][idx])

    def deadline_late(idx):             # 限办时间 k days late; concluded after day N, by it
        _no_ext(p, idx)
        k = pl.rng.integers(5, 21, size=len(idx))
        p["deadline_shift"][idx] = k
        p["conclude_gap"][idx] = h[idx] + pl.rng.integers(1, k + 1)

    def statute_wins(idx):              # as deadline_early, 是否超期 empty: nothing to compare
        deadline_early(idx)
        p["system_overdue_blank"][idx] = True

    def stale(status: str, edit=None):
        def plant(idx):
            if edit is not None:
                edit(idx)
            p["status_as"][idx] = status
        return plant

    def never_concluded(idx):
        _no_ext(p, idx)
        p["conclude_gap"][idx] = NEVER

    def review_on_time(idx):
        _start_review(pl, idx, np.minimum(pl.rng.integers(3, 31, size=len(idx)), rv[idx]))

    def review_never(idx):
        _start_review(pl, idx, NEVER)

    m = (C.SYSTEM_FLAG_MISMATCH,)
    review_start = d["reply"] + 5                          # latest request day
    pl.plant("SYSTEM_FLAG_MISMATCH/flag_overdue_but_on_time", m, room, pl.count(0.2),
             deadline_early)
    pl.plant("HANDLING_OVERDUE+SYSTEM_FLAG_MISMATCH/flag_on_time_but_late",
             (C.HANDLING_OVERDUE, C.SYSTEM_FLAG_MISMATCH), room, pl.count(0.2), deadline_late)
    pl.plant("SYSTEM_FLAG_MISMATCH/status_overdue_but_concluded_on_time", m,
             pl.judged & pl.concluded & ~p["review"], pl.count(0.15), stale("超期未作出处理意见"))
    pl.plant("HANDLING_OVERDUE+SYSTEM_FLAG_MISMATCH/status_accepted_open_past_deadline",
             (C.HANDLING_OVERDUE, C.SYSTEM_FLAG_MISMATCH), pl.judged & pl.due(d["accepted"], h, 1),
             pl.count(0.15), stale("受理", never_concluded))
    pl.plant("SYSTEM_FLAG_MISMATCH/status_review_overdue_but_decided", m,
             pl.concluded & pl.due(review_start, rv, MARGIN), pl.count(0.15),
             stale("超期未作出复查意见", review_on_time))
    pl.plant("REVIEW_OVERDUE+SYSTEM_FLAG_MISMATCH/status_review_open_past_deadline",
             (C.REVIEW_OVERDUE, C.SYSTEM_FLAG_MISMATCH), pl.concluded & pl.due(review_start, rv, 1),
             pl.count(0.15), stale("复查", review_never))
    # the statutory clock runs: the system's earlier deadline is not judged
    pl.plant("control/statute_wins_over_system_deadline", (), room, max(2, pl.count(0.15)),
             statute_wins)


def _plant_old_era(pl: Planter) -> None:
    """Track 诉讼 concluded late: a finding under the 2005 text, none under the 2022 text."""
    p, d = pl.p, pl.d
    old = pl.rules.era_old(d["received"])

    def litigation_late(idx):
        p["track"][idx] = LITIGATION
        _no_ext(p, idx)
        _conclude_late(pl, idx)

    def diverted_late(idx):
        p["track"][idx] = pl.rng.choice(pl.county.diverted_tracks, size=len(idx))
        _no_ext(p, idx)
        _conclude_late(pl, idx)

    block = p["old_block"] & np.isin(p["routing"], (TRANSFER, DIRECT))
    pl.plant("HANDLING_OVERDUE/2005_track_litigation_late", (C.HANDLING_OVERDUE,),
             block & old & (d["received"] == pl.rules.switch_day - 1), 1, litigation_late)
    pl.plant("HANDLING_OVERDUE/2005_track_litigation_late", (C.HANDLING_OVERDUE,),
             block & old, max(1, pl.count(0.05)), litigation_late)
    pl.plant("control/2022_track_litigation_late", (), block & ~old, 1, litigation_late)
    pl.plant("control/2022_track_other_late", (),
             pl.handled & pl.due(d["accepted"], pl.lim["handling"], MARGIN),
             max(2, pl.count(0.15)), diverted_late)


def _extension(pl: Planter, idx: np.ndarray, days, approve, notice) -> None:
    p = pl.p
    p["ext_days"][idx] = days
    p["approve_off"][idx] = approve
    p["enotice_off"][idx] = notice


def _plant_extension(pl: Planter) -> None:
    """Irregular extensions; with a conclusion the extension would have covered, also late."""
    p, d, lim = pl.p, pl.d, pl.lim
    h, e = lim["handling"], lim["extension"]
    both = (C.HANDLING_OVERDUE, C.EXTENSION_IRREGULAR)
    room = pl.judged & pl.due(d["accepted"], h, e + MARGIN)
    on_time = pl.judged & pl.due(d["accepted"], h, 5)

    def in_time(idx):                                   # concluded by the original last day
        p["conclude_gap"][idx] = h[idx] - pl.rng.integers(0, 11, size=len(idx))

    def approved_late(idx):
        days = np.minimum(20, e[idx])
        after = pl.rng.integers(1, 6, size=len(idx))
        _extension(pl, idx, days, after, after)
        p["conclude_gap"][idx] = h[idx] + np.minimum(pl.excess(len(idx)), days)

    def over_limit_late(idx):
        days = e[idx] + 10
        _extension(pl, idx, days, -3, -2)
        p["conclude_gap"][idx] = h[idx] + np.minimum(pl.excess(len(idx)), days)

    def no_notice_late(idx):
        _extension(pl, idx, np.minimum(15, e[idx]), -3, NEVER)
        p["conclude_gap"][idx] = h[idx] + np.minimum(pl.excess(len(idx)), 15)

    def over_limit(idx):
        _extension(pl, idx, e[idx] + pl.excess(len(idx)), -5, -4)
        in_time(idx)

    def no_approval(idx):
        _extension(pl, idx, pl.rng.integers(15, e[idx] + 1), NEVER, -3)
        in_time(idx)

    def no_notice(idx):
        _extension(pl, idx, np.minimum(15, e[idx]), -3, NEVER)
        in_time(idx)

    pl.plant("HANDLING_OVERDUE+EXTENSION_IRREGULAR/approved_late", both, room,
             pl.count(0.12), approved_late)
    pl.plant("HANDLING_OVERDUE+EXTENSION_IRREGULAR/over_limit", both, room,
             pl.count(0.1), over_limit_late)
    pl.plant("HANDLING_OVERDUE+EXTENSION_IRREGULAR/no_notice", both, room,
             pl.count(0.1), no_notice_late)
    pl.plant("EXTENSION_IRREGULAR/over_limit", (C.EXTENSION_IRREGULAR,), on_time,
             pl.count(0.25), over_limit)
    pl.plant("EXTENSION_IRREGULAR/no_approval", (C.EXTENSION_IRREGULAR,), on_time,
             pl.count(0.25), no_approval)
    pl.plant("EXTENSION_IRREGULAR/no_notice", (C.EXTENSION_IRREGULAR,), on_time,
             pl.count(0.2), no_notice)
    _plant_valid_extension(pl, room)


def _plant_valid_extension(pl: Planter, room: np.ndarray) -> None:
    """Control: a valid extension covers a conclusion after the original last day."""
    p, lim = pl.p, pl.lim

    def covered(idx):
        e = lim["extension"][idx]
        edge = np.arange(len(idx)) % 2 == 0                 # on the boundaries themselves
        _extension(pl, idx, e, np.where(edge, 0, -3), np.where(edge, 0, -1))
        p["conclude_gap"][idx] = lim["handling"][idx] + np.where(edge, e, e - 4)

    pl.plant("control/valid_extension_covers", (), room, max(2, pl.count(0.2)), covered)


def _plant_due_today(pl: Planter) -> None:
    """Controls: last day == as_of and nothing done yet is not (yet) a finding."""
    p, d, lim = pl.p, pl.d, pl.lim

    def never_routed(idx):
        p["route_gap"][idx] = NEVER

    def never_concluded(idx):
        _no_ext(p, idx)
        p["conclude_gap"][idx] = NEVER

    pl.plant("control/routing_due_today", (), pl.routed & pl.new & pl.reg_duty
             & (d["received"] + lim["register"] == pl.as_of), 2, never_routed)
    pl.plant("control/handling_due_today", (), pl.judged
             & (d["accepted"] + lim["handling"] == pl.as_of), 2, never_concluded)


def _plant_reply(pl: Planter) -> None:
    p, d = pl.p, pl.d

    def drop(idx):
        _calm(pl, idx)
        p["reply_drop"][idx] = True

    def diverted_drop(idx):
        p["track"][idx] = pl.rng.choice(pl.county.diverted_tracks, size=len(idx))
        drop(idx)

    done = pl.concluded & ~pl.assigned & (d["reply"] < pl.as_of)
    pl.plant("REPLY_MISSING/no_reply", (C.REPLY_MISSING,), done & pl.reply_duty,
             pl.count(1.0), drop)
    # items diverted to litigation, arbitration or 复议 owe no 信访处理意见书
    pl.plant("control/diverted_track_no_reply", (), done, max(2, pl.count(0.2)), diverted_drop)


def _plant_feedback(pl: Planter) -> None:
    p, d = pl.p, pl.d
    deadline = d["assigned_deadline"]
    ready = pl.assigned & pl.new & (d["reply"] <= deadline)

    def late(idx):
        p["fb_gap"][idx] = deadline[idx] - d["reply"][idx] + pl.excess(len(idx))

    def never(idx):
        p["fb_gap"][idx] = NEVER

    pl.plant("FEEDBACK_MISSING/late", (C.FEEDBACK_MISSING,),
             ready & pl.due(deadline, 0, MARGIN), pl.count(0.55), late)
    pl.plant("FEEDBACK_MISSING/missing", (C.FEEDBACK_MISSING,),
             ready & pl.due(deadline, 0, 1), pl.count(0.45), never)
    waiting = ready & (d["reply"] <= pl.as_of)
    pl.plant("control/feedback_due_today", (), waiting & (deadline == pl.as_of), 1, never)
    pl.plant("control/feedback_not_yet_due", (), waiting & (deadline > pl.as_of),
             max(2, pl.count(0.15)), never)


def _start_review(pl: Planter, idx: np.ndarray, decided_gap) -> None:
    """Open a 复查 a few days after the reply, decided ``decided_gap`` days after the request."""
    p = pl.p
    _calm(pl, idx)
    p["review"][idx] = True
    p["rq_gap"][idx] = pl.rng.integers(1, 6, size=len(idx))
    p["rd_gap"][idx] = decided_gap
    p["review_outcome"][idx] = UPHELD


def _plant_review(pl: Planter) -> None:
    d, rv = pl.d, pl.lim["review"]

    def late(idx):
        _start_review(pl, idx, rv[idx] + pl.excess(len(idx)))

    def never(idx):
        _start_review(pl, idx, NEVER)

    start = d["reply"] + 5                                 # latest request day
    pl.plant("REVIEW_OVERDUE/decided_late", (C.REVIEW_OVERDUE,),
             pl.concluded & pl.due(start, rv, MARGIN), pl.count(0.55), late)
    pl.plant("REVIEW_OVERDUE/open_overdue", (C.REVIEW_OVERDUE,),
             pl.concluded & pl.due(start, rv, 1), pl.count(0.45), never)


def _plant_rereview(pl: Planter) -> None:
    p, d, lim = pl.p, pl.d, pl.lim
    rr = lim["rereview"]

    def rereview(idx, hearing, decided_gap):
        _start_review(pl, idx, np.minimum(10, lim["review"][idx]))
        p["rereview"][idx] = True
        p["rrq_gap"][idx] = pl.rng.integers(1, 6, size=len(idx))
        p["hearing"][idx] = hearing
        p["rrd_gap"][idx] = decided_gap
        p["rereview_outcome"][idx] = UPHELD

    def late(idx):
        rereview(idx, 0, rr[idx] + pl.excess(len(idx)))

    def beyond_hearing(idx):
        h = pl.rng.integers(5, 21, size=len(idx))
        rereview(idx, h, rr[idx] + h + pl.excess(len(idx)))

    def never(idx):
        rereview(idx, np.where(np.arange(len(idx)) % 2, 10, 0), NEVER)

    def covered(idx):                                  # late by calendar, within 30 + hearing
        h = pl.rng.integers(8, 21, size=len(idx))
        edge = np.arange(len(idx)) % 2 == 0
        rereview(idx, h, rr[idx] + np.where(edge, h, h - 4))

    start = d["reply"] + 5 + 10 + 5 + 20                   # latest request day + hearing
    pl.plant("REREVIEW_OVERDUE/decided_late", (C.REREVIEW_OVERDUE,),
             pl.concluded & pl.due(start, rr, MARGIN), pl.count(0.35), late)
    pl.plant("REREVIEW_OVERDUE/late_beyond_hearing", (C.REREVIEW_OVERDUE,),
             pl.concluded & pl.due(start, rr, MARGIN), pl.count(0.35), beyond_hearing)
    pl.plant("REREVIEW_OVERDUE/open_overdue", (C.REREVIEW_OVERDUE,),
             pl.concluded & pl.due(start, rr, 1), pl.count(0.3), never)
    pl.plant("control/rereview_within_hearing", (),
             pl.concluded & pl.due(start, rr, MARGIN), max(2, pl.count(0.15)), covered)


def _plant_decision(pl: Planter) -> None:
    """Decisions in force that require action, carried out late or not by their 落实期限."""
    p, d = pl.p, pl.d
    cid = (C.DECISION_UNIMPLEMENTED,)
    supported = (pl.concluded & ~p["review"]
                 & pl.rules.is_action(p["outcome"], p["received"]))
    due = p["due_days"]
    past_due = supported & pl.due(d["concluded"], due, 1)

    def never(idx):
        p["impl_gap"][idx] = NEVER

    def unimplemented(idx):
        never(idx)
        p["unimplemented"][idx] = True

    def unimplemented_without_due(idx):
        unimplemented(idx)
        p["due_missing"][idx] = True

    def late(idx):
        p["impl_gap"][idx] = due[idx] + pl.excess(len(idx))

    def review_action_late(idx):
        _start_review(pl, idx, np.minimum(pl.rng.integers(3, 11, size=len(idx)),
                                          pl.lim["review"][idx]))
        p["review_outcome"][idx] = pl.rng.choice(["撤销", "变更", "责令重新办理"], size=len(idx))
        late(idx)

    def partial_upheld(idx):                          # a 维持 leaves 部分支持 in force
        _start_review(pl, idx, np.minimum(pl.rng.integers(3, 11, size=len(idx)),
                                          pl.lim["review"][idx]))
        p["outcome"][idx] = PARTIAL
        never(idx)

    def unknown_outcome(idx):
        never(idx)
        pl.write_unknown(idx, "outcome")

    def unknown_status(idx):
        never(idx)
        pl.write_unknown(idx, "implementation_status")

    pl.plant("DECISION_UNIMPLEMENTED/status_unimplemented_past_due", cid, past_due,
             pl.count(0.25), unimplemented)
    pl.plant("DECISION_UNIMPLEMENTED/not_implemented_past_due", cid, past_due,
             pl.count(0.2), never)
    pl.plant("DECISION_UNIMPLEMENTED/implemented_late", cid,
             supported & pl.due(d["concluded"], due, MARGIN), pl.count(0.2), late)
    pl.plant("DECISION_UNIMPLEMENTED/review_decision_implemented_late", cid,
             pl.concluded & pl.due(d["reply"] + 15, due, MARGIN), pl.count(0.15),
             review_action_late)
    pl.plant("DECISION_UNIMPLEMENTED/partial_support_upheld_on_review", cid,
             pl.concluded & ~p["review"] & pl.due(d["concluded"], due, 1), pl.count(0.2),
             partial_upheld)
    # 未落实 proves no failure before the 落实期限, nor without one
    pl.plant("control/not_implemented_before_due", (),
             supported & (d["concluded"] + due > pl.as_of), max(2, pl.count(0.15)),
             unimplemented)
    pl.plant("control/not_implemented_without_due", (), past_due, max(2, pl.count(0.15)),
             unimplemented_without_due)
    # an unknown 处理意见 or 落实情况 cannot prove that action was owed or missing
    pl.plant("DATA_VALUE_UNKNOWN/outcome", (C.DATA_VALUE_UNKNOWN,), past_due,
             pl.count(0.15), unknown_outcome)
    pl.plant("DATA_VALUE_UNKNOWN/implementation_status", (C.DATA_VALUE_UNKNOWN,), past_due,
             pl.count(0.15), unknown_status)


def _plant_record(pl: Planter) -> None:
    """Records that contradict themselves (RECORD_INCONSISTENT): the act written one way, its
    date or flag the other. Each is a data-quality finding only: the decision's own clock is
    either kept (on time) or cannot be judged (已落实 without a date)."""
    p, d = pl.p, pl.d
    implemented = pl.new & (d["implemented"] <= pl.as_of) & (d["decision_seen"] <= pl.as_of)
    on_time = implemented & (p["impl_gap"] <= p["due_days"])

    def date_left_empty(idx):               # 落实情况 已落实, no 落实日期
        p["implemented_missing"][idx] = True

    def status_unimplemented(idx):          # a 落实日期 on time, 落实情况 written 未落实
        p["implementation_status_as"][idx] = "未落实"

    def flag_open(idx):                     # 是否办结 = 否 beside the 办结日期
        p["is_concluded_as"][idx] = False

    r = (C.RECORD_INCONSISTENT,)
    pl.plant("RECORD_INCONSISTENT/implemented_without_date", r, implemented, pl.count(0.4),
             date_left_empty)
    pl.plant("RECORD_INCONSISTENT/date_but_status_unimplemented", r, on_time, pl.count(0.3),
             status_unimplemented)
    pl.plant("RECORD_INCONSISTENT/concluded_but_flag_open", r, pl.judged & pl.concluded,
             pl.count(0.3), flag_open)


def _plant_unreadable(pl: Planter) -> None:
    """Unreadable and implausible date cells: the clocks reading them are not judged."""
    p, d, h = pl.p, pl.d, pl.lim["handling"]
    start, limit = _notice_start(pl)
    registered = pl.new & (d["registered"] <= pl.as_of) & ~pl.kept

    def garbled(name: str, form: str):
        return lambda idx: pl.garble(idx, name, form)

    def concluded_late_garbled(idx):               # late, but the 办结日期 cannot be read
        _no_ext(p, idx)
        _conclude_late(pl, idx)
        _calm(pl, idx)
        pl.garble(idx, "concluded_on", "text")

    def notice_late_typo(idx):                     # late, but the 告知日期 is implausible
        _notice_late(pl, idx, limit)
        pl.garble(idx, "notice_on", "typo")

    u = (C.DATA_DATE_UNREADABLE,)
    pl.plant("DATA_DATE_UNREADABLE/registered_on_text", u, registered, pl.count(0.35),
             garbled("registered_on", "text"))
    pl.plant("DATA_DATE_UNREADABLE/received_on_year_alone", u, pl.new, pl.count(0.15),
             garbled("received_on", "year"))
    pl.plant("DATA_DATE_UNREADABLE/accepted_on_year_alone", u,
             pl.new & (d["accepted"] <= pl.as_of), pl.count(0.1), garbled("accepted_on", "year"))
    pl.plant("DATA_DATE_UNREADABLE/reply_on_year_alone", u, pl.concluded, pl.count(0.1),
             garbled("reply_on", "year"))
    pl.plant("DATA_DATE_UNREADABLE/concluded_on_overdue_unjudged", u,
             pl.judged & pl.due(d["accepted"], h, MARGIN), pl.count(0.15),
             concluded_late_garbled)
    pl.plant("DATA_DATE_UNREADABLE/notice_on_late_year_typo", u,
             pl.transfer & pl.notice_duty & pl.new & pl.due(start, limit, MARGIN),
             pl.count(0.15), notice_late_typo)


def _plant_order(pl: Planter) -> None:
    p, d = pl.p, pl.d
    registered = pl.new & (d["registered"] <= pl.as_of) & ~pl.kept
    implemented = (pl.new & (d["decision"] == d["concluded"]) & (d["implemented"] <= pl.as_of)
                   & (d["decision_seen"] <= pl.as_of))

    def early(kind: str, calm: bool = False):
        def edit(idx):
            if calm:
                _calm(pl, idx)
            p["order"][idx] = kind
            p["order_k"][idx] = pl.rng.integers(1, 6, size=len(idx))
        return edit

    o = (C.DATA_DATE_ORDER,)
    pl.plant("DATA_DATE_ORDER/reply_before_accepted", o, pl.concluded, pl.count(0.4),
             early("reply", calm=True))
    pl.plant("DATA_DATE_ORDER/registered_before_received", o, registered, pl.count(0.3),
             early("registered"))
    pl.plant("DATA_DATE_ORDER/implemented_before_concluded", o, implemented, pl.count(0.3),
             early("implemented"))


def _plant_rows(pl: Planter) -> None:
    """Missing required cells, rows pasted twice, ids given to two different rows."""
    p, d = pl.p, pl.d

    def flag(name: str):
        def edit(idx):
            p[name][idx] = True
        return edit

    pl.plant("DATA_REQUIRED_MISSING/handling_unit", (C.DATA_REQUIRED_MISSING,), pl.new,
             pl.count(0.6), flag("unit_missing"))
    pl.plant("DATA_REQUIRED_MISSING/received_on", (C.DATA_REQUIRED_MISSING,), pl.new,
             pl.count(0.4), flag("received_missing"))
    # a copy identical in every cell: one item, the copy judged by no other check
    pl.plant("DATA_DUPLICATE_ROW/pasted_twice", (C.DATA_DUPLICATE_ROW,), pl.new,
             pl.count(1.0), flag("pasted_twice"))
    # different rows sharing an id: entered again with a corrected phone, or two items given
    # the same number
    pl.plant("DATA_DUPLICATE_ID/reentered_with_new_phone", (C.DATA_DUPLICATE_ID,),
             pl.new & ~p["no_phone"], pl.count(0.5), flag("reentered"))
    pairs = pl.take(pl.new, 2 * pl.count(0.5))
    if len(pairs) % 2:
        pl.used[pairs[-1]] = False
        pairs = pairs[:-1]
    if len(pairs):
        p["id_of"][pairs[1::2]] = pairs[0::2]
        pl.record(pairs, "DATA_DUPLICATE_ID/number_given_twice", (C.DATA_DUPLICATE_ID,))

    def unknown_never_routed(idx):
        p["route_gap"][idx] = NEVER
        pl.write_unknown(idx, "routing")

    # an unknown 办理方式 cannot prove that routing was owed: no open REG_LATE
    pl.plant("DATA_VALUE_UNKNOWN/routing_never_routed", (C.DATA_VALUE_UNKNOWN,),
             pl.transfer & pl.reg_duty & pl.new
             & pl.due(d["received"], pl.lim["register"], 1), pl.count(0.2),
             unknown_never_routed)
    pl.plant("DATA_VALUE_UNKNOWN/status", (C.DATA_VALUE_UNKNOWN,), pl.new, pl.count(0.1),
             lambda idx: pl.write_unknown(idx, "status"))


#: Planting order: the kinds with the narrowest pools first.
PLANTERS = (_plant_due_today, _plant_old_era, _plant_rereview, _plant_decision, _plant_record,
            _plant_review, _plant_extension, _plant_handling, _plant_system_deadline,
            _plant_flag_mismatch, _plant_feedback, _plant_notice, _plant_reply, _plant_reg,
            _plant_unreadable, _plant_order, _plant_rows)


def plant_all(pl: Planter) -> None:
    """Run every planter; every check must have been planted at least once."""
    for step in PLANTERS:
        step(pl)
    planted = {c for _, _, checks in pl.records for c in checks}
    missing = [c.value for c in CheckId if c.value not in planted]
    if missing:
        raise RuntimeError(f"could not plant {missing}; use more cases")


def escalate_plants(pl: Planter) -> None:
    """Items with an accountability finding escalate more often (evidence of consequence)."""
    for idx, _, planted in pl.records:
        if any(checks()[C(c)].kind == "accountability" for c in planted):
            pl.p["escalated"][idx] |= pl.rng.random(len(idx)) < 0.15
