"""The events after an item (xfaudit.events): later petitions of the same petitioner, matched
inside the audit only, never a stranger through a placeholder; the item's own undated flags."""

from __future__ import annotations

import pandas as pd

from accountability_data import LATE, item, person, personal_values, run


def later(rows, **kw) -> pd.DataFrame:
    events = run(rows, **kw).events
    return events[events["event"] == "later"]


def test_a_later_petition_of_the_same_person_is_an_event_of_the_earlier_item():
    rows = [item(n=1, case_id="A", **LATE),
            item(n=1, case_id="B", is_repeat=True, received_on="2026-10-05",
                 routed_on="2026-10-05", unit_received_on="2026-10-05", notice_on="2026-10-05",
                 accepted_on="2026-10-05", concluded_on=None, reply_on=None)]
    got = later(rows)
    assert list(zip(got["case_id"], got["later_case_id"])) == [("A", "B")]   # never B → A
    assert got["on"].iloc[0] == pd.Timestamp("2026-10-05")
    assert bool(got["repeat"].iloc[0]) and bool(got["same_category"].iloc[0])
    text = run(rows).events.astype(str).to_string()
    assert not [v for v in personal_values(rows) if v in text]


def test_the_id_number_decides_before_name_and_phone():
    a = item(n=2, case_id="A", **LATE)
    # the same name and phone, another id number: another person
    b = item(n=3, case_id="B", received_on="2026-10-05",
             **{k: v for k, v in person(2).items() if k != "petitioner_id_no"},
             petitioner_id_no=person(3)["petitioner_id_no"])
    assert later([a, b]).empty


def test_placeholders_and_anonymous_petitioners_match_nobody():
    placeholder = dict(petitioner="张某", petitioner_phone="无", petitioner_id_no="无")
    anonymous = dict(petitioner="匿名", petitioner_phone="13800001111", petitioner_id_no=None)
    rows = [item(n=10, case_id="P1", **LATE, **placeholder),
            item(n=11, case_id="P2", received_on="2026-10-05", **placeholder),
            item(n=12, case_id="N1", **LATE, **anonymous),
            item(n=13, case_id="N2", received_on="2026-10-05", **anonymous)]
    assert later(rows).empty


def test_the_items_own_flags_are_undated_events():
    events = run([item(n=20, case_id="E", escalated=True, satisfaction="不满意")]).events
    own = events[events["case_id"] == "E"].set_index("event")
    assert own.loc["escalated", "on"] is pd.NaT or pd.isna(own.loc["escalated", "on"])
    assert own.loc["rated", "rating"] == "不满意"
