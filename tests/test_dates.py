"""Tests of xfaudit.dates: every date form of extract-format.md, and what is unreadable."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from xfaudit.dates import (FIRST_DAY, LAST_DAY, DateWindow, chinese_date, chinese_dates,
                           from_excel_serial, parse_date, parse_dates)

DAY = pd.Timestamp("2026-10-08")


@pytest.mark.parametrize("raw", [
    dt.datetime(2026, 10, 8),                 # a real Excel date (calamine: datetime)
    dt.date(2026, 10, 8),                     # a real Excel date (calamine: date)
    pd.Timestamp("2026-10-08 14:30"),         # a real date-time (pandas readers)
    np.datetime64("2026-10-08T23:59:59"),
    46303,                                    # Excel serial number
    46303.0,
    46303.604,                                # serial with a time of day
    "46303",                                  # serial written as text
    "46303.5",
    "2026-10-08",                             # ISO
    "2026/10/8",
    "2026/10/08",
    "2026.10.8",
    "2026年10月8日",
    "2026年10月8号",
    "2026年10月8",
    "2026 年 10 月 8 日",
    "2026-10-08 14:30",                       # date-times: the time is dropped
    "2026/10/8 14:30:00",
    "2026-10-08T14:30:00",
    "2026-10-08T14:30:00+08:00",
    "2026-10-08 14:30:00.123",
    "2026年10月8日 14:30",
    "2026年10月8日14:30",
    "2026-10-08 14时30分",
    "20261008",                               # compact
    "  2026-10-08\n",                         # surrounding whitespace
    "２０２６－１０－０８",                      # full-width digits and dash
    "２０２６年１０月８日",
])
def test_every_supported_form_reads_as_the_day(raw):
    result = parse_dates(pd.Series([raw], dtype=object))
    assert result.dates.iloc[0] == DAY
    assert not result.unreadable.iloc[0]


@pytest.mark.parametrize("raw", [
    "2026-13-45",        # no such month/day
    "2026-02-30",        # impossible day
    "2025-02-29",        # not a leap year
    "2026年13月1日",
    "待定",
    "十月五日",
    "二〇二六年十月八日",
    "2026-10",           # month only
    "26/10/8",           # two-digit year
    "10/8/2026",         # US order
    "2026-10/08",        # mixed separators
    "2026-10-0814:30",   # time glued to the day: ambiguous
    "2026-10-08 25:00",  # impossible time
    "2026-10-08 办结",
    "3026-10-08",        # outside FIRST_DAY..LAST_DAY
    "1899-12-31",
    "0",                 # serial 0 is not a day
    -5,
    1e9,                 # far beyond 2100
    dt.time(14, 30),     # a time-only cell
    dt.timedelta(days=3),
    True,
    dt.datetime(9999, 12, 31),
    "#N/A",
])
def test_unreadable_values_become_nat_and_are_flagged(raw):
    result = parse_dates(pd.Series([raw], dtype=object))
    assert pd.isna(result.dates.iloc[0])
    assert result.unreadable.iloc[0]


@pytest.mark.parametrize("raw", [None, np.nan, pd.NaT, pd.NA, "", "   ", "\n"])
def test_empty_cells_are_nat_but_not_unreadable(raw):
    result = parse_dates(pd.Series([raw], dtype=object))
    assert pd.isna(result.dates.iloc[0])
    assert not result.unreadable.iloc[0]


def test_leap_day_is_a_real_date():
    assert parse_date("2028-02-29", DateWindow.around("2028-01-31")) == pd.Timestamp("2028-02-29")


def test_mixed_column_keeps_index_and_gives_ns_midnight():
    raw = pd.Series([dt.datetime(2026, 10, 8, 16, 45), "2026/10/9", 46304, None, "待定"],
                    index=[10, 11, 12, 13, 14], dtype=object)
    result = parse_dates(raw)
    assert result.dates.dtype == "datetime64[ns]"
    assert list(result.dates.index) == [10, 11, 12, 13, 14]
    assert result.dates.dropna().eq(result.dates.dropna().dt.normalize()).all()
    assert result.dates.dt.strftime("%Y-%m-%d").tolist()[:3] == [
        "2026-10-08", "2026-10-09", "2026-10-09"]
    assert result.unreadable.tolist() == [False, False, False, False, True]


def test_parse_dates_accepts_lists_and_arrays():
    assert parse_dates(["2026-10-08", None]).dates.iloc[0] == DAY
    assert parse_dates(np.array(["2026-10-08"], dtype=object)).dates.iloc[0] == DAY


def test_repeated_values_are_parsed_consistently():
    raw = pd.Series(["2026/10/8", "待定"] * 1000, dtype=object)
    result = parse_dates(raw)
    assert (result.dates.iloc[::2] == DAY).all()
    assert result.unreadable.sum() == 1000


@pytest.mark.parametrize("serial, expected", [
    (1, "1900-01-01"),        # Excel's day 1
    (59, "1900-02-28"),
    (61, "1900-03-01"),       # after Excel's fictitious 29 February 1900
    (45658, "2025-01-01"),
    (46303, "2026-10-08"),
    (46303.9999, "2026-10-08"),
])
def test_excel_serials(serial, expected):
    assert from_excel_serial(serial)[0] == np.datetime64(expected, "ns")


def test_range_bounds_are_readable_inside_a_window_that_allows_them():
    everything = DateWindow(FIRST_DAY, LAST_DAY)
    assert parse_date(FIRST_DAY.strftime("%Y-%m-%d"), everything) == FIRST_DAY
    assert parse_date(LAST_DAY.strftime("%Y/%m/%d"), everything) == LAST_DAY


# The default window is 1990-01-01 … as-of + 366 days. Hand-computed: as-of 2026-10-31 + 366
# days = 2027-11-01 (2027 is not a leap year: 2026-10-31 + 365 = 2027-10-31, + 1 = 2027-11-01).
WINDOW = DateWindow.around("2026-10-31")


def test_default_window_bounds():
    assert WINDOW.first == pd.Timestamp("1990-01-01")
    assert WINDOW.last == pd.Timestamp("2027-11-01")
    assert WINDOW.describe() == "1990年1月1日至2027年11月1日"


@pytest.mark.parametrize("raw", [
    2026,                     # a year typed alone: Excel serial 2026 = 1905-07-18
    "2026",                   # the same as text
    2026.0,
    "1985-03-01",             # before 1990
    dt.date(1985, 3, 1),      # a real date cell is judged by the same window
    "2206-11-20",             # a typo for 2026
    "2027-11-02",             # one day past as-of + 366
    "1989-12-31",
    1,                        # Excel's day 1 (1900-01-01)
    60,
])
def test_implausible_dates_are_unreadable_never_guessed(raw):
    result = parse_dates(pd.Series([raw], dtype=object), WINDOW)
    assert pd.isna(result.dates.iloc[0])
    assert result.unreadable.iloc[0] and result.implausible.iloc[0]
    assert result.reasons().iloc[0] == "不在合理日期范围内"


@pytest.mark.parametrize("raw, expected", [
    ("1990-01-01", "1990-01-01"),     # first day of the window
    ("2027-11-01", "2027-11-01"),     # last day of the window
    (46346, "2026-11-20"),            # a serial inside the window
    ("46346", "2026-11-20"),
])
def test_window_bounds_are_inclusive(raw, expected):
    result = parse_dates(pd.Series([raw], dtype=object), WINDOW)
    assert result.dates.iloc[0] == pd.Timestamp(expected)
    assert not result.unreadable.iloc[0] and not result.implausible.iloc[0]


@pytest.mark.parametrize("raw", ["10月28日", "1/2/2026", "11/20/2026", "Nov", "Dec 1", "2026年",
                                 "2026-11", "#DIV/0!", "#N/A"])
def test_unreadable_is_not_implausible(raw):
    result = parse_dates(pd.Series([raw], dtype=object), WINDOW)
    assert result.unreadable.iloc[0] and not result.implausible.iloc[0]
    assert result.reasons().iloc[0] == "无法识别"


def test_chinese_date_has_no_leading_zeros():
    assert chinese_date("2026-11-02") == "2026年11月2日"


def test_a_missing_chinese_date_is_empty_text():
    assert chinese_date(pd.NaT) == "" and chinese_date(None) == ""


def test_chinese_dates_of_a_column_as_the_single_day_reads():
    days = pd.Series([pd.Timestamp("2026-07-31"), pd.NaT, pd.Timestamp("2027-01-05")])
    assert chinese_dates(days).tolist() == ["2026年7月31日", "", "2027年1月5日"]


def test_parse_date_scalar_returns_nat_for_garbage():
    assert pd.isna(parse_date("待定"))
    assert parse_date(dt.date(2026, 10, 8)) == DAY


@pytest.mark.parametrize("series", [
    pd.Series(["2026-10-08", None], dtype="string"),
    pd.Series(pd.to_datetime(["2026-10-08 10:00", None])),
    pd.Series([46303.0, None]),
])
def test_typed_series_are_accepted(series):
    result = parse_dates(series)
    assert result.dates.iloc[0] == DAY
    assert pd.isna(result.dates.iloc[1])
    assert not result.unreadable.any()


def test_empty_input():
    result = parse_dates(pd.Series([], dtype=object))
    assert result.dates.dtype == "datetime64[ns]"
    assert result.unreadable.empty
