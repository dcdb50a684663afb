"""The failing rows of an expectation, read from the suite JSON (xfaudit.failing): the rule and
its pandas rendering, by hand-computed cases. The Spark and SQL renderings are checked against
GX's counts in tests/test_spark.py and tests/test_sql.py; the pandas one against GX's row
positions in tests/test_validate.py."""

import pandas as pd
import pytest

from xfaudit.failing import (DUPLICATED, NOT_IN, OUTSIDE, PAIR, Condition, pandas_mask,
                             rule_of)

D = pd.Timestamp


def spec(kind, **kwargs):
    return {"type": kind, "kwargs": kwargs}


FRAME = pd.DataFrame({
    "last": pd.Series([D("2026-10-01"), D("2026-10-01"), pd.NaT, D("2026-10-05")]),
    "act": pd.Series([D("2026-10-01"), D("2026-10-02"), D("2026-10-09"), pd.NaT]),
    "flag": pd.array([False, True, pd.NA, True], dtype="boolean"),
    "days": pd.array([30, 31, pd.NA, 90], dtype="Int64"),
    "id": pd.Series(["A", "B", "A", None], dtype=object),
    "profile": pd.Series(["p1", "p2", "p1", "p2"], dtype=object),
})


def test_a_pair_fails_where_a_is_earlier_and_ignores_rows_with_either_missing():
    rule = rule_of(spec("expect_column_pair_values_a_to_be_greater_than_b", column_A="last",
                        column_B="act", or_equal=True, ignore_row_if="either_value_is_missing"))
    assert rule.kind == PAIR and not rule.strict
    # row 0 equal (kept), row 1 act a day late (fails), rows 2 and 3 have a missing date
    assert pandas_mask(rule, FRAME).tolist() == [False, True, False, False]
    strict = rule_of(spec("expect_column_pair_values_a_to_be_greater_than_b", column_A="last",
                          column_B="act", ignore_row_if="either_value_is_missing"))
    assert pandas_mask(strict, FRAME).tolist() == [True, True, False, False]


def test_a_flag_in_false_fails_where_true_and_never_where_missing():
    rule = rule_of(spec("expect_column_values_to_be_in_set", column="flag", value_set=[False]))
    assert rule.kind == NOT_IN and rule.values == (False,)
    assert pandas_mask(rule, FRAME).tolist() == [False, True, False, True]


def test_between_with_a_row_condition_restricts_the_rows():
    condition = {"type": "comparison", "column": {"name": "profile"}, "operator": "IN",
                 "parameter": ["p2"]}
    rule = rule_of(spec("expect_column_values_to_be_between", column="days", max_value=30,
                        row_condition=condition))
    assert rule.kind == OUTSIDE and rule.where == (Condition("profile", "IN", ["p2"]),)
    # 31 and 90 exceed 30, but only rows of p2 count: rows 1 and 3
    assert pandas_mask(rule, FRAME).tolist() == [False, True, False, True]


def test_unique_fails_every_row_of_a_shared_value_and_no_missing_one():
    rule = rule_of(spec("expect_column_values_to_be_unique", column="id"))
    assert rule.kind == DUPLICATED and not rule.row_local
    assert pandas_mask(rule, FRAME).tolist() == [True, False, True, False]


def test_not_null_with_an_equality_condition():
    condition = {"type": "comparison", "column": {"name": "flag"}, "operator": "==",
                 "parameter": True}
    rule = rule_of(spec("expect_column_values_to_not_be_null", column="act",
                        row_condition=condition))
    # act is missing on row 3 only; flag is True there: fails; row 2's flag is NA: not a row
    assert pandas_mask(rule, FRAME).tolist() == [False, False, False, True]


@pytest.mark.parametrize("bad", [
    spec("expect_column_values_to_match_regex", column="id", regex="A"),
    spec("expect_column_pair_values_a_to_be_greater_than_b", column_A="last", column_B="act"),
    spec("expect_column_values_to_be_between", column="days", max_value=3, strict_max=True),
])
def test_an_expectation_the_suites_never_state_is_refused(bad):
    with pytest.raises(ValueError):
        rule_of(bad)


def test_every_expectation_of_the_built_in_suites_has_a_rule():
    from xfaudit.profile import builtin_profiles, load_profile_set
    from xfaudit.suites import suite_dicts

    for name in builtin_profiles():
        for suite in suite_dicts(load_profile_set(name)).values():
            kinds = {rule_of(e).kind for e in suite["expectations"]}
            assert kinds <= {PAIR, NOT_IN, OUTSIDE, DUPLICATED, "is_null"}
