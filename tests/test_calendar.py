"""Tests of xfaudit.calendar: day counting by rules.md §2 and docs/checks.md "Day counting"."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import chinese_calendar
import numpy as np
import pandas as pd
import pytest

from xfaudit.calendar import LegalCalendar, read_holiday_file
from xfaudit.errors import CalendarError

FILES = Path(__file__).parent / "files"
HOLIDAYS_2027 = FILES / "holidays_2027.csv"  # illustrative fixture, not the official 2027 table


def dates(*values: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)), dtype="datetime64[ns]")


def one(cal: LegalCalendar, start: str | None, days, kind: str, roll: bool = False):
    result = cal.add_days(dates(start), days, kind, roll_forward=roll)
    value = result.iloc[0]
    return None if pd.isna(value) else value.date().isoformat()


@pytest.fixture(scope="module")
def cal() -> LegalCalendar:
    return LegalCalendar.default()


@pytest.fixture(scope="module")
def cal2027() -> LegalCalendar:
    return LegalCalendar([HOLIDAYS_2027])


def write(tmp_path: Path, text: str, name: str = "h.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# -- the official calendar as chinese_calendar has it (guards the hand-written expectations) --

@pytest.mark.parametrize("day, workday", [
    ("2026-09-20", True),    # Sunday, 调休上班 before 中秋/国庆 2026
    ("2026-09-25", False),   # Friday, 中秋节
    ("2026-10-01", False),   # Thursday, 国庆节
    ("2026-10-07", False),   # Wednesday, 国庆节
    ("2026-10-08", True),    # Thursday, first working day after 国庆
    ("2026-10-10", True),    # Saturday, 调休上班
    ("2026-10-11", False),   # ordinary Sunday
    ("2025-09-28", True),    # Sunday, 调休上班
    ("2025-10-08", False),   # Wednesday, 国庆/中秋 2025
    ("2025-10-11", True),    # Saturday, 调休上班
    ("2024-02-29", True),    # leap day, a Thursday
])
def test_fixture_days_agree_with_chinese_calendar(cal, day, workday):
    date = dt.date.fromisoformat(day)
    assert chinese_calendar.is_workday(date) is workday
    assert cal.is_workday(dates(day)).tolist() == [workday]


# -- add_days: the arithmetic ----------------------------------------------------------------

@pytest.mark.parametrize("start, days, kind, roll, expected", [
    # rules.md §2 example: accepted 2023-10-01, 60日 → last day 2023-11-30.
    ("2023-10-01", 60, "calendar", False, "2023-11-30"),
    ("2023-10-01", 0, "calendar", False, "2023-10-01"),
    ("2023-10-01", 1, "calendar", False, "2023-10-02"),        # day 1 is the next day
    ("2023-12-31", 1, "calendar", False, "2024-01-01"),
    # leap day
    ("2024-01-30", 30, "calendar", False, "2024-02-29"),
    ("2024-02-29", 1, "calendar", False, "2024-03-01"),
    ("2024-02-28", 1, "calendar", False, "2024-02-29"),
    ("2023-02-28", 1, "calendar", False, "2023-03-01"),
    ("2024-02-28", 1, "working", False, "2024-02-29"),
    ("2024-02-29", 1, "working", False, "2024-03-01"),
    # 5 工作日 across 国庆 2026 (10-01..07 rest, 10-10 Saturday works)
    ("2026-09-30", 1, "working", False, "2026-10-08"),
    ("2026-09-30", 3, "working", False, "2026-10-10"),         # 调休 Saturday counts
    ("2026-09-30", 4, "working", False, "2026-10-12"),         # Sunday 10-11 does not
    ("2026-09-30", 5, "working", False, "2026-10-13"),
    ("2026-09-18", 1, "working", False, "2026-09-20"),         # 调休 Sunday counts
    ("2026-09-24", 1, "working", False, "2026-09-28"),         # 中秋 Friday + weekend skipped
    ("2026-10-01", 0, "working", False, "2026-10-01"),         # N = 0: start itself
    ("2026-10-03", 1, "working", False, "2026-10-08"),         # start on a holiday
    # 国庆/中秋 2025 (10-01..08 rest, 09-28 Sunday and 10-11 Saturday work)
    ("2025-09-26", 1, "working", False, "2025-09-28"),
    ("2025-09-28", 1, "working", False, "2025-09-29"),
    ("2025-09-30", 1, "working", False, "2025-10-09"),
    ("2025-09-30", 3, "working", False, "2025-10-11"),
    ("2025-09-30", 5, "working", False, "2025-10-14"),
    # roll-forward of a last day on a statutory holiday (民法典第二百零三条)
    ("2026-09-16", 15, "calendar", False, "2026-10-01"),
    ("2026-09-16", 15, "calendar", True, "2026-10-08"),
    ("2026-09-26", 15, "calendar", True, "2026-10-12"),        # Sunday 10-11 → Monday
    ("2026-09-25", 14, "calendar", True, "2026-10-09"),        # already a working day
    ("2026-09-26", 15, "calendar", False, "2026-10-11"),
    ("2026-09-25", 15, "calendar", True, "2026-10-10"),        # 调休 Saturday stays
    ("2026-09-25", 0, "calendar", True, "2026-09-28"),         # 中秋 itself rolls
    ("2026-09-05", 5, "calendar", True, "2026-09-10"),         # Thursday: unchanged
    ("2025-09-23", 15, "calendar", True, "2025-10-09"),        # 10-08 holiday → 10-09
    ("2025-09-27", 14, "calendar", True, "2025-10-11"),        # 调休 Saturday stays
    ("2026-10-01", 0, "working", True, "2026-10-08"),
    ("2026-09-30", 5, "working", True, "2026-10-13"),          # a working day never moves
])
def test_add_days(cal, start, days, kind, roll, expected):
    assert one(cal, start, days, kind, roll) == expected


def test_roll_forward_keeps_a_make_up_sunday(cal):
    # 2026-09-20 is a Sunday but a 调休 working day: a last day on it does not move.
    assert one(cal, "2026-09-14", 6, "calendar", True) == "2026-09-20"
    assert one(cal, "2026-09-14", 6, "calendar", False) == "2026-09-20"


@pytest.mark.parametrize("act_on, late", [
    ("2023-11-29", False),
    ("2023-11-30", False),   # day N: on time
    ("2023-12-01", True),    # day N+1: late
])
def test_day_n_on_time_day_n_plus_one_late(cal, act_on, late):
    last_day = cal.add_days(dates("2023-10-01"), 60, "calendar").iloc[0]
    assert (pd.Timestamp(act_on) > last_day) is late


def test_missing_start_and_missing_days_give_nat(cal):
    start = dates("2026-09-30", None, "2026-09-30", "2023-10-01")
    days = pd.Series([5, 5, pd.NA, 60], dtype="Int64")
    for kind in ("calendar", "working"):
        result = cal.add_days(start, days, kind)
        assert result.isna().tolist() == [False, True, True, False]
    assert cal.add_days(start, days, "working").iloc[0] == pd.Timestamp("2026-10-13")
    assert cal.add_days(start, days, "calendar").iloc[3] == pd.Timestamp("2023-11-30")
    assert cal.add_days(start, pd.NA, "working").isna().all()


def test_days_series_float_with_nan_and_alignment(cal):
    start = pd.Series(pd.to_datetime(["2026-09-30", "2023-10-01"]), index=[10, 20])
    days = pd.Series([60.0, np.nan], index=[20, 10])     # aligned on the index, not position
    result = cal.add_days(start, days, "calendar")
    assert result.index.tolist() == [10, 20]
    assert pd.isna(result.loc[10])
    assert result.loc[20] == pd.Timestamp("2023-11-30")


@pytest.mark.parametrize("days, kind", [
    (1.5, "calendar"),
    (pd.Series([1.5]), "working"),
    (-1, "working"),
    (5, "business"),
])
def test_bad_arguments(cal, days, kind):
    with pytest.raises(ValueError):
        cal.add_days(dates("2026-09-30"), days, kind)


def test_negative_calendar_days(cal):
    assert one(cal, "2024-03-01", -1, "calendar") == "2024-02-29"


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_result_dtype_and_index(cal, unit):
    start = pd.Series(pd.to_datetime(["2026-09-30", None]).as_unit(unit), index=["a", "b"],
                      name="accepted_on")
    for kind in ("calendar", "working"):
        for roll in (False, True):
            result = cal.add_days(start, 5, kind, roll_forward=roll)
            assert result.dtype == np.dtype("datetime64[ns]")
            assert result.index.tolist() == ["a", "b"]
    assert cal.add_days(start.iloc[:0], 5, "working").dtype == np.dtype("datetime64[ns]")


def test_time_of_day_is_dropped(cal):
    start = pd.Series(pd.to_datetime(["2026-09-30 17:45"]))
    assert cal.add_days(start, 1, "working").iloc[0] == pd.Timestamp("2026-10-08")
    assert cal.add_days(start, 1, "calendar").iloc[0] == pd.Timestamp("2026-10-01")


# -- coverage: unknown years -------------------------------------------------------------------

@pytest.mark.parametrize("start, days, kind, roll, year", [
    ("2027-03-01", 5, "working", False, 2027),
    ("2026-12-30", 5, "working", False, 2027),   # start known, last day not
    ("2026-12-25", 10, "calendar", True, 2027),  # roll-forward consults the table
    ("2027-01-10", 30, "calendar", True, 2027),
    ("2003-12-30", 5, "working", False, 2003),
    ("2003-12-20", 30, "calendar", True, 2003),  # the start's year must be known too
])
def test_unknown_year_raises(cal, start, days, kind, roll, year):
    with pytest.raises(CalendarError) as info:
        cal.add_days(dates("2026-09-30", start), days, kind, roll_forward=roll)
    assert info.value.year == year
    message = str(info.value)
    assert str(year) in message and "--holidays" in message
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("start, days", [("2027-01-10", 30), ("2003-01-01", 5), ("2099-01-01", 1)])
def test_calendar_days_without_roll_never_need_the_table(cal, start, days):
    result = cal.add_days(dates(start), days, "calendar")
    assert result.iloc[0] == pd.Timestamp(start) + pd.Timedelta(days=days)


def test_unknown_year_in_missing_rows_is_ignored(cal):
    start = dates("2026-09-30", "2027-06-01")
    days = pd.Series([5, pd.NA], dtype="Int64")
    assert cal.add_days(start, days, "working").iloc[0] == pd.Timestamp("2026-10-13")


def test_is_workday_and_between_raise_for_unknown_year(cal):
    with pytest.raises(CalendarError, match="2027"):
        cal.is_workday(dates("2026-10-08", "2027-01-04"))
    with pytest.raises(CalendarError, match="2027"):
        cal.working_days_between(dates("2026-12-01"), dates("2027-01-04"))


# -- user holiday files ------------------------------------------------------------------------

def test_known_years(cal, cal2027):
    assert cal.known_years == tuple(range(2004, 2027))
    assert cal2027.known_years == tuple(range(2004, 2028))
    assert isinstance(cal.known_years[0], int)


@pytest.mark.parametrize("start, days, roll, expected", [
    ("2027-09-30", 1, False, "2027-10-08"),
    ("2027-09-30", 2, False, "2027-10-09"),   # the file's 调休 Saturday
    ("2027-09-30", 3, False, "2027-10-11"),
    ("2027-09-24", 1, False, "2027-09-26"),   # the file's 调休 Sunday
    ("2027-02-04", 1, False, "2027-02-12"),   # 春节 rest days skipped
    ("2026-12-30", 3, False, "2027-01-05"),   # across the year end, 元旦 skipped
    ("2027-09-30", 0, True, "2027-09-30"),
    ("2027-10-01", 0, True, "2027-10-08"),
])
def test_holiday_file_adds_2027(cal2027, start, days, roll, expected):
    assert one(cal2027, start, days, "working", roll) == expected


def test_2027_needs_the_file(cal):
    with pytest.raises(CalendarError) as info:
        cal.add_days(dates("2027-09-30"), 3, "working")
    assert info.value.year == 2027
    assert "2027" in str(info.value)


def test_holiday_file_keeps_builtin_years(cal, cal2027):
    rng = pd.Series(pd.date_range("2004-01-01", "2026-12-31", freq="D"))
    assert (cal.is_workday(rng) == cal2027.is_workday(rng)).all()


def test_holiday_file_provenance(cal2027):
    info = cal2027.provenance
    assert info["holiday_files"][0]["years"] == [2027]
    assert len(info["holiday_files"][0]["sha256"]) == 64
    assert info["known_years"][-1] == 2027


@pytest.mark.parametrize("text, encoding", [
    ("日期,类型,名称\n2027-10-01,休息,国庆节\n2027-10-09,上班,调休\n", "utf-8"),
    ("\ufeff日期,类型,名称\r\n2027-10-01,休息,国庆节\r\n2027-10-09,上班,调休\r\n", "utf-8"),
    ("日期,类型,名称\n2027-10-01,休息,国庆节\n2027-10-09,上班,调休\n", "gbk"),
    ("date,type,name\n2027/10/1,holiday,National Day\n20271009,workday,\n", "utf-8"),
    ("# comment\n\n名称,类型,日期,备注\n国庆节,节假日,2027年10月1日,x\n,工作日,2027.10.09,\n", "gbk"),
])
def test_holiday_file_variants(tmp_path, text, encoding):
    path = write(tmp_path, text, encoding=encoding)
    parsed = read_holiday_file(path)
    assert parsed.years == (2027,)
    cal = LegalCalendar(path)
    assert cal.is_workday(dates("2027-10-01", "2027-10-09", "2027-10-10")).tolist() == \
        [False, True, False]


@pytest.mark.parametrize("text, fragments", [
    ("日期,类型,名称\n2027-13-01,休息,x\n", ["h.csv", "第2行", "日期「2027-13-01」无法识别"]),
    ("日期,类型,名称\n2027-10-01,休息,x\n,休息,x\n", ["第3行", "日期为空"]),
    ("日期,类型,名称\n2027-10-01,放假了,x\n", ["第2行", "类型「放假了」无法识别"]),
    ("日期,类型,名称\n2027-10-01,,x\n", ["第2行", "类型为空"]),
    ("日期,名称\n2027-10-01,x\n", ["第1行", "缺少「类型」（或 type）列"]),
    ("day,kind\n2027-10-01,休息\n", ["缺少「日期」（或 date）、「类型」（或 type）列", "day、kind"]),
    ("日期,类型,名称\n", ["没有任何日期"]),
    ("", ["文件为空"]),
    ("日期,类型,名称\n2027-10-01,休息,x\n2027-10-01,上班,y\n", ["第3行", "已在第2行"]),
])
def test_bad_holiday_file(tmp_path, text, fragments):
    path = write(tmp_path, text)
    with pytest.raises(CalendarError) as info:
        LegalCalendar([path])
    message = str(info.value)
    assert message.startswith("节假日文件 h.csv 有误")
    for fragment in fragments:
        assert fragment in message


def test_missing_holiday_file(tmp_path):
    with pytest.raises(CalendarError, match="节假日文件 .*holidays_2030.csv 不存在"):
        LegalCalendar([tmp_path / "holidays_2030.csv"])


def test_undecodable_holiday_file(tmp_path):
    path = tmp_path / "h.csv"
    path.write_bytes(b"\xff\xfe\xff\xfe\x81\x30")
    with pytest.raises(CalendarError, match="UTF-8 或 GBK"):
        LegalCalendar([path])


def test_holiday_file_overrides_a_whole_year(tmp_path, cal):
    # A corrected 2026 table in which only 10-01 and 10-02 rest: the built-in 10-05 is a
    # working day now, and the built-in 调休 Saturday 10-10 an ordinary rest day.
    path = write(tmp_path, "日期,类型\n2026-10-01,休息\n2026-10-02,休息\n")
    override = LegalCalendar([path])
    days = dates("2026-10-02", "2026-10-05", "2026-10-10", "2025-10-06")
    assert cal.is_workday(days).tolist() == [False, False, True, False]
    assert override.is_workday(days).tolist() == [False, True, False, False]


def test_later_file_wins_for_a_year(tmp_path):
    first = write(tmp_path, "日期,类型\n2027-10-01,休息\n", "a.csv")
    second = write(tmp_path, "日期,类型\n2027-10-04,休息\n", "b.csv")
    days = dates("2027-10-01", "2027-10-04")
    assert LegalCalendar([first, second]).is_workday(days).tolist() == [True, False]
    assert LegalCalendar([second, first]).is_workday(days).tolist() == [False, True]


def test_december_spill_over_changes_days_only(tmp_path, cal):
    # Like the 2019 notice naming 2018-12-29 (Saturday) as a working day.
    path = write(tmp_path, "日期,类型\n2026-12-26,上班\n2027-01-01,休息\n")
    spill = LegalCalendar([path])
    assert read_holiday_file(path).years == (2027,)
    assert spill.known_years[-1] == 2027
    days = dates("2026-12-26", "2026-10-05", "2027-01-01")
    assert spill.is_workday(days).tolist() == [True, False, False]   # built-in 2026 kept
    # Spill-over into a year no table covers does not make that year known.
    path = write(tmp_path, "日期,类型\n2027-12-31,休息\n2028-01-03,休息\n", "h2028.csv")
    only_2028 = LegalCalendar([path])
    assert 2027 not in only_2028.known_years and 2028 in only_2028.known_years
    with pytest.raises(CalendarError) as info:
        only_2028.add_days(dates("2027-12-20"), 5, "working")
    assert info.value.year == 2027
    with pytest.raises(CalendarError) as info:
        only_2028.add_days(dates("2026-12-20"), 20, "working")   # would cross 2027
    assert info.value.year == 2027


# -- is_workday / working_days_between ---------------------------------------------------------

def test_is_workday_matches_chinese_calendar_every_day(cal):
    every = pd.date_range("2004-01-01", "2026-12-31", freq="D")
    expected = np.array([chinese_calendar.is_workday(d.date()) for d in every])
    assert (cal.is_workday(pd.Series(every)) == expected).all()


def test_is_workday_nat_and_scalar(cal):
    assert cal.is_workday(dates("2026-10-10", None)).tolist() == [True, False]
    assert cal.is_workday(pd.Timestamp("2026-10-01")).tolist() == [False]


@pytest.mark.parametrize("a, b, expected", [
    ("2026-09-30", "2026-10-13", 5),
    ("2026-09-30", "2026-10-07", 0),
    ("2026-09-30", "2026-09-30", 0),
    ("2026-10-13", "2026-09-30", -5),
    ("2025-09-30", "2025-10-11", 3),
    (None, "2025-10-11", None),
])
def test_working_days_between(cal, a, b, expected):
    result = cal.working_days_between(dates(a), dates(b))
    assert str(result.dtype) == "Int64"
    value = result.iloc[0]
    assert (pd.isna(value) and expected is None) or value == expected


def test_working_days_between_inverts_add_days(cal):
    start = dates(*[d.date().isoformat() for d in pd.date_range("2025-01-01", periods=400)])
    n = pd.Series(np.arange(400) % 23)
    end = cal.add_days(start, n, "working")
    assert (cal.working_days_between(start, end).to_numpy() == n.to_numpy()).all()


# -- vectorisation: 100k rows against a scalar reference --------------------------------------

@functools.cache
def _official_workdays() -> dict[dt.date, bool]:
    first, last = dt.date(2004, 1, 1), dt.date(2026, 12, 31)
    return {first + dt.timedelta(i): chinese_calendar.is_workday(first + dt.timedelta(i))
            for i in range((last - first).days + 1)}


def _reference(starts, counts, kind, roll):
    """Row-by-row reference built on chinese_calendar.is_workday."""
    is_work = _official_workdays()
    ahead: dict[dt.date, list[dt.date]] = {}   # start -> the working days after it, in order
    out = []
    for start, n in zip(starts, counts):
        if start is None or n is None:
            out.append(None)
            continue
        if kind == "calendar":
            day = start + dt.timedelta(days=n)
        elif n == 0:
            day = start
        else:
            if start not in ahead:
                found, day = [], start
                while len(found) < max(90, n):
                    day += dt.timedelta(days=1)
                    if is_work[day]:
                        found.append(day)
                ahead[start] = found
            day = ahead[start][n - 1]
        while roll and not is_work[day]:
            day += dt.timedelta(days=1)
        out.append(day)
    return out


@pytest.mark.parametrize("kind, roll", [
    ("working", False), ("working", True), ("calendar", True), ("calendar", False),
])
def test_vectorised_matches_reference(cal, kind, roll):
    rng = np.random.default_rng(20240229)
    size = 100_000
    offsets = rng.integers(0, (dt.date(2026, 8, 1) - dt.date(2004, 1, 1)).days, size)
    counts = rng.integers(0, 91, size)
    start = pd.Series(pd.Timestamp("2004-01-01") + pd.to_timedelta(offsets, unit="D"),
                      index=np.arange(size) * 3)
    start[rng.random(size) < 0.02] = pd.NaT
    days = pd.Series(counts, index=start.index, dtype="Int64")
    days[rng.random(size) < 0.02] = pd.NA
    result = cal.add_days(start, days, kind, roll_forward=roll)

    starts = [None if pd.isna(s) else s.date() for s in start]
    ns = [None if pd.isna(n) else int(n) for n in days]
    expected = pd.Series(pd.to_datetime(_reference(starts, ns, kind, roll)), index=start.index,
                         dtype="datetime64[ns]")
    pd.testing.assert_series_equal(result, expected, check_names=False)


def test_vectorised_scalar_days_matches_find_workday(cal):
    start = pd.Series(pd.date_range("2010-01-01", "2025-12-31", freq="7D"))
    result = cal.add_days(start, 10, "working")
    # find_workday(k, d) is the k-th working day after the first working day on or after d;
    # so the 10th working day strictly after s is find_workday(9, s + 1 day).
    expected = [chinese_calendar.find_workday(9, s.date() + dt.timedelta(days=1)) for s in start]
    assert [r.date() for r in result] == expected
