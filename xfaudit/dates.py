"""Read the date forms of an extract into calendar days.

Extracts carry dates as real Excel dates, Excel serial numbers, ISO strings (``2026-10-08``),
``2026/10/8``, ``2026.10.8``, ``2026年10月8日``, compact ``20261008`` or a date-time
(``2026-10-08 14:30``); see shared/domain/extract-format.md. The time of day is dropped: every
clock counts days.

Parsing is vectorised: a column is factorised first, so each distinct cell value is examined
once, and the distinct strings are read with a few regular-expression passes
(``Series.str.extract``) rather than one ``strptime`` per cell.

A cell that is not empty but cannot be read (``2026-13-45``, ``待定``, ``十月五日``, 30 February,
a year outside :data:`FIRST_DAY`..:data:`LAST_DAY`) becomes ``NaT`` *and* is flagged, so the
loader can report it as a data-quality finding instead of a silent blank.
"""

from __future__ import annotations

import datetime as dt
import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Earliest and latest day accepted. Anything outside is far more likely a typo (``2206``) or
#: a stray number in a date column than a real event, and would break the holiday calendar.
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


@dataclass(frozen=True)
class ParsedDates:
    """The result of :func:`parse_dates`.

    Attributes
    ----------
    dates : pandas.Series
        ``datetime64[ns]`` at midnight, ``NaT`` where the cell is empty or unreadable; same
        index as the input.
    unreadable : pandas.Series
        Boolean, ``True`` where the cell is not empty but could not be read as a date.
    """

    dates: pd.Series
    unreadable: pd.Series


def parse_dates(values: pd.Series | list | np.ndarray) -> ParsedDates:
    """Read a column of raw cells (any mix of the supported forms) as calendar days.

    Parameters
    ----------
    values : pandas.Series, list or numpy.ndarray
        Raw cells as a spreadsheet reader returns them: ``datetime``/``date``/``Timestamp``,
        ``int``/``float`` (Excel serials), ``str`` or empty (``None``, ``NaN``, ``""``).

    Returns
    -------
    ParsedDates
        The days (``datetime64[ns]``, midnight) and the mask of unreadable non-empty cells.

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
    u_dates, u_blank = parse_unique(uniques)
    # Append one slot for the NA sentinel (-1 indexes the last element).
    u_dates = np.append(u_dates, np.datetime64("NaT", "ns"))
    u_blank = np.append(u_blank, True)
    dates = pd.Series(u_dates[codes], index=series.index, dtype=_NS)
    unreadable = pd.Series(~u_blank[codes] & np.isnat(u_dates[codes]), index=series.index)
    return ParsedDates(dates=dates, unreadable=unreadable)


def parse_date(value: object) -> pd.Timestamp:
    """Read one cell or string as a day (``NaT`` when empty or unreadable).

    Examples
    --------
    >>> parse_date("2026.10.8")
    Timestamp('2026-10-08 00:00:00')
    """
    return parse_dates(pd.Series([value], dtype=object)).dates.iloc[0]


def parse_unique(uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parse distinct raw values.

    Parameters
    ----------
    uniques : numpy.ndarray
        Object array of distinct, non-NA raw values.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``datetime64[ns]`` days (``NaT`` if unreadable or blank) and a boolean "blank" mask
        (empty or whitespace-only strings).
    """
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
    """Real date/datetime cells → midnight days, with the accepted range applied."""
    stamps = pd.to_datetime(pd.Series(values, dtype=object), errors="coerce")
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


def _in_range(stamps: pd.Series) -> np.ndarray:
    """Apply FIRST_DAY..LAST_DAY (before narrowing to ns, which cannot hold year 206)."""
    keep = stamps.between(FIRST_DAY, LAST_DAY).to_numpy(dtype=bool)
    out = np.full(len(stamps), np.datetime64("NaT", "ns"))
    if keep.any():
        out[keep] = stamps[keep].to_numpy().astype(_NS)
    return out
