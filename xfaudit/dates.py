"""Read the date forms of an extract into calendar days.

Extracts carry dates as real Excel dates, Excel serial numbers, ISO strings (``2026-10-08``),
``2026/10/8``, ``2026.10.8``, ``2026年10月8日``, compact ``20261008`` or a date-time
(``2026-10-08 14:30``); see README, "表头映射 (mapping file)". The time of day is dropped: every
clock counts days.

Parsing is vectorised: a column is factorised first, so each distinct cell value is examined
once, and the distinct strings are read with a few regular-expression passes
(``Series.str.extract``) rather than one ``strptime`` per cell.

A cell that is not empty but cannot be read (``2026-13-45``, ``待定``, ``十月五日``, a year-less
``10月28日``, an ambiguous ``1/2/2026``, 30 February, an Excel error such as ``#DIV/0!``)
becomes ``NaT`` *and* is flagged, so the loader can report it as a data-quality finding instead
of a silent blank. Nothing is guessed.

**Plausible dates only.** A number or a text is a date only inside a plausible
:class:`DateWindow` (by default 1 January 1990 to one year after the audit date): a year typed
alone (``2026``, which Excel would read as serial day 2026 = 18 July 1905), a typo such as
``2206-11-20`` or a stray 1985 is *implausible* — unreadable, reported with its raw text, never
a date that starts or stops a legal clock.
"""

from __future__ import annotations

import datetime as dt
import numbers
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xfaudit.errors import ConfigError

#: The range of Excel serial numbers read as days (1900 date system). Whether such a day is a
#: plausible ledger date is for the :class:`DateWindow` to say.
FIRST_DAY = pd.Timestamp("1900-01-01")
LAST_DAY = pd.Timestamp("2100-12-31")

#: Day 0 of Excel's 1900 date system as used for serials >= 61 (Excel counts a fictitious
#: 29 February 1900, so serials 1..60 are one day off from this origin).
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_EXCEL_LEAP_BUG_SERIAL = 61

#: Excel serials that fall inside FIRST_DAY..LAST_DAY.
SERIAL_MIN = 1
SERIAL_MAX = (LAST_DAY - EXCEL_EPOCH).days

_NS = "datetime64[ns]"

# An optional time of day after the date: "14:30", "14:30:05", "14:30:05.123", "14时30分",
# with an optional ISO "T" separator and time-zone suffix. The time itself is discarded.
_TIME = (r"(?:\s*T\s*|\s+|(?<=[日号])\s*)"
         r"(?:(?P<hh>\d{1,2}):(?P<mi>\d{1,2})(?::(?P<ss>\d{1,2})(?:\.\d+)?)?"
         r"|(?P<hh2>\d{1,2})时(?:(?P<mi2>\d{1,2})分(?:(?P<ss2>\d{1,2})秒)?)?)"
         r"(?:\s*(?:Z|[+-]\d{2}:?\d{2}))?")

# 2026-10-08, 2026/10/8, 2026.10.8 (one separator used twice), 2026年10月8日 (日 or 号).
_YMD = (r"^(?P<y>\d{4})\s*(?:(?P<sep>[-/.])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<d>\d{1,2})"
        r"|年\s*(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*[日号]?)"
        rf"(?:{_TIME})?$")

# 20261008 (eight digits, no separators).
_COMPACT = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"

# A number written as text, read as an Excel serial ("46303", "46303.604").
_SERIAL_TEXT = r"^\d{1,6}(?:\.\d+)?$"


#: Default first plausible day of a petition record, and how far after the audit date a date
#: may lie (deadlines set for the future, such as 落实期限, are legitimate).
DEFAULT_EARLIEST = pd.Timestamp("1990-01-01")
DEFAULT_DAYS_AFTER_AS_OF = 366

#: How many years after the current one a date in the inspector's registers may lie.
REGISTER_YEARS_AHEAD = 10


@dataclass(frozen=True)
class DateWindow:
    """The days a ledger date may plausibly fall on: ``first`` to ``last``, both included.

    Outside it a cell is *implausible*: unreadable, never a date.
    """

    first: pd.Timestamp
    last: pd.Timestamp

    @classmethod
    def around(cls, as_of=None, *, earliest=DEFAULT_EARLIEST,
               days_after=DEFAULT_DAYS_AFTER_AS_OF) -> "DateWindow":
        """``earliest`` … ``as_of + days_after`` (as_of defaults to today)."""
        anchor = pd.Timestamp(as_of if as_of is not None else dt.date.today()).normalize()
        return cls(first=pd.Timestamp(earliest).normalize(),
                   last=anchor + pd.Timedelta(days=int(days_after)))

    @classmethod
    def wide(cls) -> "DateWindow":
        """1 January 1990 … 31 December 2100: for dates tied to no audit date (holiday files,
        the audit date itself)."""
        return cls(first=DEFAULT_EARLIEST, last=LAST_DAY)

    @classmethod
    def for_registers(cls, today=None, *, years_ahead=REGISTER_YEARS_AHEAD) -> "DateWindow":
        """1 January 1990 … 31 December ``years_ahead`` years after ``today``'s year.

        The inspector's registers hold approval, issue and feedback dates (past) and validity
        and feedback deadlines (ahead, a waiver may run for years); ``2206-11-20`` is a typo.
        """
        year = pd.Timestamp(today if today is not None else dt.date.today()).year
        return cls(first=DEFAULT_EARLIEST, last=pd.Timestamp(year + int(years_ahead), 12, 31))

    def contains(self, days) -> np.ndarray:
        """Per day: inside the window (``NaT`` → False)."""
        values = pd.Series(np.asarray(days, dtype="datetime64[ns]"))
        return values.between(self.first, self.last).to_numpy(dtype=bool)

    def describe(self) -> str:
        """Chinese, e.g. '1990年1月1日至2027年11月1日'."""
        return f"{chinese_date(self.first)}至{chinese_date(self.last)}"


def chinese_date(day) -> str:
    """A day as Chinese prose writes it: 2026年10月31日 (no leading zeros); a missing day
    (None, NaT) as an empty text, never ``nan年nan月nan日``."""
    if day is None or pd.isna(day):
        return ""
    day = pd.Timestamp(day)
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_dates(days: pd.Series) -> pd.Series:
    """:func:`chinese_date` over a column, vectorised (text; empty where missing)."""
    s = pd.to_datetime(days)
    text = (s.dt.year.astype("Int64").astype("string") + "年"
            + s.dt.month.astype("Int64").astype("string") + "月"
            + s.dt.day.astype("Int64").astype("string") + "日")
    return text.fillna("")


#: Reasons an unreadable date cell is given in reports.
REASON_UNREADABLE = "无法识别"
REASON_IMPLAUSIBLE = "不在合理日期范围内"


@dataclass(frozen=True)
class ParsedDates:
    """The result of :func:`parse_dates`.

    Attributes
    ----------
    dates : pandas.Series
        ``datetime64[ns]`` at midnight, ``NaT`` where the cell is empty or unreadable; same
        index as the input.
    unreadable : pandas.Series
        Boolean, ``True`` where the cell is not empty but could not be read as a date
        (implausible cells included).
    implausible : pandas.Series
        Boolean, ``True`` where the cell reads as a day outside the plausible window.
    """

    dates: pd.Series
    unreadable: pd.Series
    implausible: pd.Series

    def reasons(self) -> pd.Series:
        """Per cell: the Chinese reason it is unreadable (``None`` where it is not)."""
        out = pd.Series(None, index=self.dates.index, dtype=object)
        out[self.unreadable] = REASON_UNREADABLE
        out[self.implausible] = REASON_IMPLAUSIBLE
        return out


def parse_dates(values: pd.Series | list | np.ndarray,
                window: DateWindow | None = None) -> ParsedDates:
    """Read a column of raw cells (any mix of the supported forms) as calendar days.

    Parameters
    ----------
    values : pandas.Series, list or numpy.ndarray
        Raw cells as a spreadsheet reader returns them: ``datetime``/``date``/``Timestamp``,
        ``int``/``float`` (Excel serials), ``str`` or empty (``None``, ``NaN``, ``""``).
    window : DateWindow, optional
        The plausible days (default :meth:`DateWindow.around` today). A day outside it is
        unreadable (and flagged implausible).

    Returns
    -------
    ParsedDates
        The days (``datetime64[ns]``, midnight) and the masks of unreadable non-empty cells
        and of implausible ones.

    Examples
    --------
    >>> r = parse_dates(["2026/10/8", "2026年10月8日", 46303, "待定", None])
    >>> r.dates.dt.strftime("%Y-%m-%d").tolist()
    ['2026-10-08', '2026-10-08', '2026-10-08', nan, nan]
    >>> r.unreadable.tolist()
    [False, False, False, True, False]
    """
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    codes, uniques = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)
    u_dates, u_blank, u_implausible = parse_unique(uniques, window)
    # Append one slot for the NA sentinel (-1 indexes the last element).
    u_dates = np.append(u_dates, np.datetime64("NaT", "ns"))
    u_blank = np.append(u_blank, True)
    u_implausible = np.append(u_implausible, False)
    dates = pd.Series(u_dates[codes], index=series.index, dtype=_NS)
    unreadable = pd.Series(~u_blank[codes] & np.isnat(u_dates[codes]), index=series.index)
    implausible = pd.Series(u_implausible[codes], index=series.index)
    return ParsedDates(dates=dates, unreadable=unreadable, implausible=implausible)


def problem_text(raw: object, implausible: bool, window: DateWindow | None = None) -> str:
    """The Chinese reason a date cell was not read, naming its text, for a message that
    already names the row and column.

    Examples
    --------
    >>> problem_text("10月28日", False)
    '无法识别的日期“10月28日”（请写成 2026-10-28 这样含年月日的日期）'
    """
    if implausible:
        where = f"（应在{window.describe()}之间）" if window is not None else ""
        return f"日期“{raw}”不在合理的日期范围内{where}，请核对年份"
    return f"无法识别的日期“{raw}”（请写成 2026-10-28 这样含年月日的日期）"


def parse_date(value: object, window: DateWindow | None = None) -> pd.Timestamp:
    """Read one cell or string as a day (``NaT`` when empty, unreadable or implausible).

    Examples
    --------
    >>> parse_date("2026.10.8")
    Timestamp('2026-10-08 00:00:00')
    >>> parse_date("2026") is pd.NaT     # a year alone is not a day (Excel serial = 1905)
    True
    """
    return parse_dates(pd.Series([value], dtype=object), window).dates.iloc[0]


def parse_unique(uniques: np.ndarray, window: DateWindow | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse distinct raw values.

    Parameters
    ----------
    uniques : numpy.ndarray
        Object array of distinct, non-NA raw values.
    window : DateWindow, optional
        Plausible days (default: :meth:`DateWindow.around` today).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        ``datetime64[ns]`` days (``NaT`` if unreadable, implausible or blank), a boolean
        "blank" mask (empty or whitespace-only strings) and a boolean "implausible" mask (the
        value reads as a day outside ``window``).
    """
    days, blank = _parse_unique(uniques)
    window = window or DateWindow.around()
    implausible = ~np.isnat(days) & ~window.contains(days)
    days[implausible] = np.datetime64("NaT", "ns")
    return days, blank, implausible


def _parse_unique(uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Days and the blank mask of distinct raw values, before the plausible window."""
    n = len(uniques)
    out = np.full(n, np.datetime64("NaT", "ns"))
    blank = np.zeros(n, dtype=bool)
    moments, numbers_, texts = [], [], []
    for i, value in enumerate(uniques):  # distinct values only, never every cell
        kind = _kind(value)
        if kind == "moment":
            moments.append(i)
        elif kind == "number":
            numbers_.append(i)
        elif kind == "text":
            if value.strip():
                texts.append(i)
            else:
                blank[i] = True
        elif kind == "blank":
            blank[i] = True
    if moments:
        out[moments] = _from_moments(uniques[moments])
    if numbers_:
        out[numbers_] = from_excel_serial(uniques[numbers_].astype(float))
    if texts:
        out[texts] = _from_texts(uniques[texts])
    return out, blank


def from_excel_serial(serials: np.ndarray | pd.Series | float) -> np.ndarray:
    """Convert Excel (1900 system) serial day numbers to days; out-of-range gives ``NaT``.

    The fractional part (the time of day) is dropped. Serials 1..60 are corrected for Excel's
    fictitious 29 February 1900.

    Examples
    --------
    >>> [str(d)[:10] for d in from_excel_serial(np.array([46303.0, 46303.75, 0.0]))]
    ['2026-10-08', '2026-10-08', 'NaT']
    """
    arr = np.atleast_1d(np.asarray(serials, dtype=float))
    ok = np.isfinite(arr) & (arr >= SERIAL_MIN) & (arr < SERIAL_MAX + 1)
    days = np.floor(np.where(ok, arr, 0)).astype("int64")
    days = np.where(days < _EXCEL_LEAP_BUG_SERIAL, days + 1, days)
    out = EXCEL_EPOCH.to_datetime64().astype(_NS) + days.astype("timedelta64[D]")
    return np.where(ok, out, np.datetime64("NaT", "ns")).astype(_NS)


def _kind(value: object) -> str:
    """Classify one raw value: moment, number, text, blank or other (unreadable)."""
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool | np.bool_):
        return "other"
    if isinstance(value, dt.date | np.datetime64):  # datetime and Timestamp are dates too
        return "blank" if pd.isna(value) else "moment"
    if isinstance(value, numbers.Real):
        return "blank" if pd.isna(value) else "number"
    return "other"  # time-only cells, durations, anything else


def _from_moments(values: np.ndarray) -> np.ndarray:
    """Real date/datetime cells → midnight days, with the accepted range applied.

    A time-zone-aware moment keeps the day written in its own zone, as a text
    ``2026-11-20T08:30:00Z`` does (a frame may mix aware and naive moments).
    """
    naive = [v.replace(tzinfo=None) if getattr(v, "tzinfo", None) is not None else v
             for v in values]
    stamps = pd.to_datetime(pd.Series(naive, dtype=object), errors="coerce")
    return _in_range(stamps.dt.normalize())


def _from_texts(values: np.ndarray) -> np.ndarray:
    """Date strings → days, by vectorised regular-expression passes."""
    text = (pd.Series(values, dtype=object).str.normalize("NFKC").str.strip()
            .str.replace(r"\s+", " ", regex=True))
    out = np.full(len(text), np.datetime64("NaT", "ns"))

    ymd = text.str.extract(_YMD)
    hit = ymd["y"].notna().to_numpy()
    if hit.any():
        part = ymd[hit]
        month = part["m"].fillna(part["m2"])
        day = part["d"].fillna(part["d2"])
        days = _assemble(part["y"], month, day)
        days[~_time_ok(part)] = np.datetime64("NaT", "ns")
        out[hit] = days

    compact = text.str.extract(_COMPACT)
    hit_c = compact["y"].notna().to_numpy()
    if hit_c.any():
        part = compact[hit_c]
        out[hit_c] = _assemble(part["y"], part["m"], part["d"])

    serial = text.str.fullmatch(_SERIAL_TEXT).fillna(False).to_numpy(dtype=bool) & ~hit_c
    if serial.any():
        out[serial] = from_excel_serial(text[serial].astype(float).to_numpy())
    return out


def _assemble(year: pd.Series, month: pd.Series, day: pd.Series) -> np.ndarray:
    """Year/month/day digit strings → days; impossible dates (30 Feb, month 13) → NaT."""
    parts = pd.DataFrame({"year": year.astype("int64").to_numpy(),
                          "month": month.astype("int64").to_numpy(),
                          "day": day.astype("int64").to_numpy()})
    return _in_range(pd.to_datetime(parts, errors="coerce"))


def _time_ok(part: pd.DataFrame) -> np.ndarray:
    """False where a time of day is present but impossible (25:00, 14:75)."""
    hour = pd.to_numeric(part["hh"].fillna(part["hh2"]), errors="coerce")
    minute = pd.to_numeric(part["mi"].fillna(part["mi2"]), errors="coerce")
    second = pd.to_numeric(part["ss"].fillna(part["ss2"]), errors="coerce")
    bad = (hour > 24) | (minute > 59) | (second > 59)
    return ~bad.fillna(False).to_numpy(dtype=bool)


#: The days a ``datetime64[ns]`` can hold; whether a day inside them is plausible is the
#: :class:`DateWindow`'s decision (so ``2206-11-20`` is reported as implausible, not garbled).
_NS_FIRST = pd.Timestamp("1678-01-01")
_NS_LAST = pd.Timestamp("2261-12-31")


def _in_range(stamps: pd.Series) -> np.ndarray:
    """Keep the days a ``datetime64[ns]`` can hold (before narrowing to ns, which cannot hold
    year 206)."""
    keep = stamps.between(_NS_FIRST, _NS_LAST).to_numpy(dtype=bool)
    out = np.full(len(stamps), np.datetime64("NaT", "ns"))
    if keep.any():
        out[keep] = stamps[keep].to_numpy().astype(_NS)
    return out


# --------------------------------------------------------------------------------------------
# The audit date and the audited month, as a user gives them (CLI, notebook, library)
# --------------------------------------------------------------------------------------------

def parse_as_of(value: object) -> pd.Timestamp:
    """The audit date (审计日) from a user value, read like a ledger date cell.

    Accepts what :func:`parse_dates` accepts — ``2026-10-31``, ``2026/10/31``, ``2026.10.31``,
    ``2026年10月31日``, ``20261031`` (also as the integer papermill passes), a ``date`` or
    ``Timestamp`` — between 1 January 1990 and 31 December 2100.

    Raises
    ------
    ConfigError
        ``审计日「…」格式不对，应写成 2026-10-31`` for anything else (empty included).

    Examples
    --------
    >>> parse_as_of("2026年10月31日")
    Timestamp('2026-10-31 00:00:00')
    """
    cell = str(value) if isinstance(value, numbers.Integral) and not isinstance(value, bool) \
        else value
    day = parse_date(cell, DateWindow.wide()) if not isinstance(value, bool) else pd.NaT
    if pd.isna(day):
        raise ConfigError(None, f"审计日「{'' if value is None else value}」格式不对，应写成 2026-10-31")
    return day


#: A canonical period label, as used for report folders and recommendation ids.
PERIOD_LABEL = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

# 2026-10, 2026/10, 2026.10 (two-digit month: "2026-1" may be 2026-10 missing a digit);
# 2026年10月 or 2026年1月(份); 202610.
_PERIOD_FORMS = (re.compile(r"^(?P<y>\d{4})\s*[-/.]\s*(?P<m>\d{2})$"),
                 re.compile(r"^(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月份?$"),
                 re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})$"))
_PERIOD_YEARS = (DEFAULT_EARLIEST.year, LAST_DAY.year)


@dataclass(frozen=True)
class Period:
    """An audited month.

    Attributes
    ----------
    first_day, last_day : pandas.Timestamp
        Its first and last calendar day (the default audit date is the last).
    label : str
        ``2026-10``: the form used in folder names, ids and registers.
    """

    first_day: pd.Timestamp
    last_day: pd.Timestamp
    label: str

    @property
    def text(self) -> str:
        """As Chinese prose writes it: ``2026年10月`` (no leading zero)."""
        return f"{self.first_day.year}年{self.first_day.month}月"

    def shift(self, months: int) -> "Period":
        """The period ``months`` later (negative: earlier)."""
        index = self.first_day.year * 12 + self.first_day.month - 1 + int(months)
        return _period(index // 12, index % 12 + 1)

    def __str__(self) -> str:
        return self.label


def parse_period(value: object) -> Period:
    """The audited month from a user value: ``2026-10``, ``2026/10``, ``2026.10``,
    ``2026年10月``, ``202610`` (also the integer papermill passes) or a :class:`Period`.

    A one-digit month after a dash (``2026-1``) is refused: it may be ``2026-10`` with a digit
    missing, and a wrong month would audit the wrong dates.

    Raises
    ------
    ConfigError
        ``审计期间「…」格式不对，应写成 2026-10``.

    Examples
    --------
    >>> p = parse_period("2026年2月")
    >>> p.label, p.text, p.last_day.date().isoformat()
    ('2026-02', '2026年2月', '2026-02-28')
    """
    if isinstance(value, Period):
        return value
    if isinstance(value, pd.Period):
        value = value.strftime("%Y-%m")
    text = "" if value is None or isinstance(value, bool) else str(value)
    text = unicodedata.normalize("NFKC", text).strip()
    for form in _PERIOD_FORMS:
        match = form.match(text)
        if match:
            year, month = int(match["y"]), int(match["m"])
            if 1 <= month <= 12 and _PERIOD_YEARS[0] <= year <= _PERIOD_YEARS[1]:
                return _period(year, month)
    raise ConfigError(None, f"审计期间「{'' if value is None else value}」格式不对，应写成 2026-10")


def month_text(period: object) -> str:
    """``2026-10`` (or any form :func:`parse_period` reads) → ``2026年10月``."""
    return parse_period(period).text


def _period(year: int, month: int) -> Period:
    first = pd.Timestamp(year, month, 1)
    return Period(first_day=first, last_day=first + pd.offsets.MonthEnd(0),
                  label=f"{year:04d}-{month:02d}")
