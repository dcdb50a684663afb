"""The two frames the suites judge: the clock table's column contract (names, dtypes, NULL for
"no clock") and the extract as judged."""

import numpy as np
import pandas as pd
import pytest

from xfaudit.audit import derive
from xfaudit.clocks import (cell_hashes, clock_schema, content_hashes, copies_of,
                            judged_ledger, ledger_positions)
from xfaudit.model import Extract

AS_OF = "2026-10-31"
SAMPLE = "tests/files/sample_2026-10.xlsx"


def item(**fields):
    """A routed item received 2026-09-01 (keyword arguments override fields)."""
    base = dict(case_id="XF1", handling_unit="青石镇", petitioner="测试甲", routing="转送",
                track="信访程序", received_on="2026-09-01", routed_on="2026-09-05",
                unit_received_on="2026-09-06", notice_on="2026-09-10",
                accepted_on="2026-09-10", concluded_on="2026-10-20", reply_on="2026-10-20")
    base.update(fields)
    return base


def clocks_of(rows, **kw):
    return derive(Extract.from_frame(pd.DataFrame(rows)), as_of=AS_OF, **kw)


@pytest.fixture(scope="module")
def sample():
    return derive(SAMPLE, as_of=AS_OF)


def test_the_clock_table_has_exactly_the_declared_columns_and_dtypes(sample):
    frame = sample.clocks.frame
    schema = clock_schema(sample.clocks.evaluated)
    assert {c: str(t) for c, t in frame.dtypes.items()} == schema
    assert list(frame.columns) == list(schema)
    assert "float64" not in schema.values()          # never NaN for "no clock"


def test_a_smaller_extract_declares_fewer_columns_in_the_same_dtypes():
    d = clocks_of([item()])
    schema = clock_schema(d.clocks.evaluated)
    assert {c: str(t) for c, t in d.clocks.frame.dtypes.items()} == schema
    assert "REVIEW_OVERDUE__state" not in schema     # no 复查 columns: not evaluated
    assert schema["REG_LATE__act_on"] == "datetime64[ns]"
    assert schema["REG_LATE__note"] == "object"      # present even when no note is written


def test_a_late_act_an_open_clock_and_a_clock_not_yet_started():
    d = clocks_of([
        item(case_id="A", routed_on="2026-09-17", unit_received_on="2026-09-17"),
        item(case_id="B", routed_on=None, unit_received_on=None, notice_on=None,
             accepted_on=None, concluded_on=None, reply_on=None),
        item(case_id="C", received_on="2026-11-02", routed_on=None, unit_received_on=None,
             notice_on=None, accepted_on=None, concluded_on=None, reply_on=None)])
    f = d.clocks.frame
    # 15日 from 2026-09-01: day 1 is 09-02, the last day 09-16
    assert f["REG_LATE__last_day"].tolist()[:2] == [pd.Timestamp("2026-09-16")] * 2
    # A acted on 09-17 (one day late); B has not acted: its act is the as-of date
    assert f["REG_LATE__act_on"].tolist()[:2] == [pd.Timestamp("2026-09-17"),
                                                  pd.Timestamp(AS_OF)]
    assert f["REG_LATE__open"].tolist()[:2] == [False, True]
    # C was received after the as-of date: judged, but its clock has not run — NULL, not NaN
    assert f["REG_LATE__state"].tolist() == [1, 1, 1]
    assert pd.isna(f.loc[2, "REG_LATE__act_on"]) and f.loc[2, "REG_LATE__open"] is pd.NA


def test_no_clock_is_null_in_every_column():
    # a direct item (直接办理) owes no registration: REG_LATE does not apply
    d = clocks_of([item(routing="直接办理", routed_on=None, unit_received_on=None)])
    f = d.clocks.frame
    assert f.loc[0, "REG_LATE__state"] == 0
    assert f[["REG_LATE__start", "REG_LATE__last_day", "REG_LATE__act_on"]].isna().all(axis=None)
    assert f.loc[0, "REG_LATE__open"] is pd.NA
    assert f.loc[0, "REG_LATE__note"] is None


def test_a_row_is_a_copy_only_when_every_cell_is_the_same():
    # rows 1 and 3 are the same in every cell; row 4 differs from row 1 only by an empty
    # cell where row 1 holds the text "None", row 5 only by a day
    frame = pd.DataFrame({
        "source_row": [2, 3, 4, 5, 6],
        "case_id": ["XF1", "XF2", "XF1", "XF1", "XF1"],
        "petitioner": ["None", "测试乙", "None", None, "None"],
        "received_on": pd.to_datetime(["2026-09-01"] * 4 + ["2026-09-02"]),
        "people_count": pd.array([1, 2, 1, 1, 1], dtype="Int64")})
    copy_of = copies_of(content_hashes(frame), frame["source_row"].to_numpy())
    assert copy_of.tolist() == [pd.NA, pd.NA, 2, pd.NA, pd.NA]


def test_cells_hash_alike_whether_their_column_repeats_values_or_not():
    # a column of few values is hashed per distinct value, one of many values cell by cell:
    # the same value hashes the same either way, and in any slice of the rows
    few = pd.Series(["甲", "乙", None, "甲"] * 300, dtype=object)
    many = pd.Series([f"XF{i}" for i in range(1200)], dtype=object)
    many[[5, 7]] = ["甲", None]
    a, b = cell_hashes(few), cell_hashes(many)
    assert a[0] == b[5] and a[2] == b[7]
    assert a[0] == a[3] and a[0] != a[1] and a[2] != cell_hashes(pd.Series(["None"]))[0]
    assert (cell_hashes(few.iloc[600:].reset_index(drop=True)) == a[600:]).all()
    assert len(set(b.tolist())) == 1200


def test_text_questions_answered_per_distinct_value_are_answered_per_row():
    # the deriver answers "is it one of", "is it unknown", "is it blank", "is it there" for a
    # text column once per distinct value; every empty form (None, NaN, NA) is blank, never a
    # value, never unknown
    from xfaudit.clocks import _Deriver

    tracks = ["信访程序", None, "诉讼", float("nan"), "乱写", pd.NA, "信访程序", "诉讼"]
    d = clocks_of([item(case_id=f"XF{i}", track=t) for i, t in enumerate(tracks)])
    deriver = _Deriver(d.extract.frame, d.facts, d.profiles, d.as_of, None)
    assert deriver.distinct("track") is not None
    assert deriver.text_is("track", ["信访程序"]).tolist() == [
        True, False, False, False, False, False, True, False]
    assert deriver.text_is("track", "诉讼").tolist() == [
        False, False, True, False, False, False, False, True]
    assert deriver.blank("track").tolist() == [
        False, True, False, True, False, True, False, False]
    assert deriver.present("track").tolist() == [
        True, False, True, False, True, False, True, True]
    assert deriver.unknown("track").tolist() == [
        False, False, False, False, True, False, False, False]
    assert deriver.distinct("received_on") is None            # not a text column


def test_the_judged_ledger_nulls_doubtful_cells_and_leaves_out_copies():
    rows = [item(case_id="A"), item(case_id="B", accepted_on="2206-09-10"),  # a typo: 2206
            item(case_id="C", routing="奇怪"), item(case_id="C", routing="奇怪")]  # a copy
    d = clocks_of(rows)
    ledger = judged_ledger(d.extract, d.facts)
    assert ledger["case_id"].tolist() == ["A", "B", "C"]          # the copy left out
    assert ledger_positions(d.facts).tolist() == [0, 1, 2]
    assert ledger["source_row"].tolist() == [2, 3, 4]
    assert pd.isna(ledger.loc[1, "accepted_on"])                  # implausible: no date
    assert ledger.loc[0, "accepted_on"] == pd.Timestamp("2026-09-10")
    assert ledger["received_on__doubtful"].tolist() == [False, False, False]
    assert ledger["routing"].tolist() == ["转送", "转送", "奇怪"]
    assert ledger.index.equals(pd.RangeIndex(3))


def test_an_unreadable_required_date_is_marked_not_empty():
    d = clocks_of([item(case_id="A", received_on="1985-01-01"), item(case_id="B")])
    ledger = judged_ledger(d.extract, d.facts)
    assert ledger["received_on__doubtful"].tolist() == [True, False]
    assert pd.isna(ledger.loc[0, "received_on"])
    assert np.issubdtype(ledger["received_on"].dtype, np.datetime64)


# -- the row-local contract (what lets a chunk or a Spark batch derive its own rows) ----------

@pytest.fixture(scope="module")
def loaded():
    from xfaudit.audit import date_window
    from xfaudit.load import load_extract

    return load_extract(SAMPLE, date_window=date_window("auto", AS_OF))


def _derive(extract, profile, facts=None):
    from xfaudit.calendar import LegalCalendar
    from xfaudit.clocks import derive_clocks, table_facts
    from xfaudit.profile import load_profile_set

    profiles = load_profile_set(profile)
    facts = facts or table_facts(extract, profiles.date_window(pd.Timestamp(AS_OF)))
    return derive_clocks(extract, profiles, AS_OF, LegalCalendar.default(), facts), facts


@pytest.mark.parametrize("profile", ["auto", "zhejiang-example"])
def test_deriving_on_only_the_fields_read_gives_the_same_clock_table(loaded, profile):
    from xfaudit.clocks import fields_read
    from xfaudit.profile import load_profile_set

    full, facts = _derive(loaded, profile)
    wanted = fields_read(load_profile_set(profile))
    # the sample holds fields the derivation must not need (phone, summary, satisfaction …)
    dropped = [c for c in loaded.fields_present if c not in wanted]
    assert {"petitioner_phone", "summary", "satisfaction", "category"} <= set(dropped)
    slim = Extract(frame=loaded.frame[["source_row"] + [c for c in loaded.fields_present
                                                        if c in wanted]],
                   report=loaded.report)
    narrow, _ = _derive(slim, profile, facts)
    pd.testing.assert_frame_equal(narrow.frame, full.frame)
    assert narrow.evaluated == full.evaluated


def test_a_slice_of_the_rows_derives_the_same_rows_given_the_whole_table_facts(loaded):
    from xfaudit.clocks import TableFacts

    full, facts = _derive(loaded, "auto")
    rows = slice(700, 1100)       # holds copies whose original is above the slice
    part = Extract(frame=loaded.frame.iloc[rows].reset_index(drop=True), report=loaded.report)
    cut = TableFacts(doubtful=facts.doubtful.iloc[rows].reset_index(drop=True),
                     doubtful_detail=facts.doubtful_detail.iloc[rows].reset_index(drop=True),
                     duplicate_ids=facts.duplicate_ids.iloc[rows].reset_index(drop=True),
                     copy_of=facts.copy_of.iloc[rows].reset_index(drop=True))
    assert cut.copy_of.notna().any()
    sliced, _ = _derive(part, "auto", cut)
    pd.testing.assert_frame_equal(sliced.frame, full.frame.iloc[rows].reset_index(drop=True))


@pytest.mark.parametrize("profile", ["auto", "national-2005", "national-2022",
                                     "zhejiang-example"])
def test_no_float_nan_anywhere_in_the_clock_table(loaded, profile):
    import math

    frame = _derive(loaded, profile)[0].frame
    for name, values in frame.items():
        assert values.dtype.kind != "f", name             # no float column at all
        if values.dtype == object:
            floats = [v for v in values if isinstance(v, float)]
            assert floats == [], name                      # None, never float('nan')
            assert not any(isinstance(v, float) and math.isnan(v) for v in values)
    assert frame.isna().any(axis=None)                      # NULLs exist: NaT / <NA> / None


def test_each_row_is_keyed_by_its_source_file_and_row(sample):
    frame = sample.clocks.frame
    assert set(frame["source_file"]) == {"sample_2026-10.xlsx"}
    assert not frame[["source_file", "source_row"]].duplicated().any()
