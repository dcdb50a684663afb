"""The legal calendar: exact, vectorised deadline arithmetic in calendar or working days.

Days are counted as ``rules.md`` §2 says: the day of the triggering event is not counted, day 1
is the next day. ``日`` means calendar days; ``工作日`` means working days by the official
arrangement of the State Council (国务院办公厅关于部分节假日安排的通知): ordinary weekends and
statutory holidays rest, make-up working days (调休上班) work. An optional roll-forward moves a
last day that is not a working day to the next working day (民法典第二百零三条).

The official tables for 2004–2026 come from the ``chinese_calendar`` package. A later year (the
next year's arrangement is published each November/December), or a corrected year, is added
with a holiday file. A date in a year no table covers is an error naming the year
(:class:`~xfaudit.errors.CalendarError`), never a guess.

Holiday file (节假日文件)
-------------------------
A CSV file, encoded UTF-8 (with or without BOM) or GBK, one day per line::

    日期,类型,名称
    2027-01-01,休息,元旦
    2027-02-06,上班,春节调休
    2027-10-01,休息,国庆节

- Columns ``日期,类型,名称`` (or in English ``date,type,name``); ``名称`` is optional and free
  text; further columns (e.g. ``备注``) are ignored. The header is the first line that is not
  blank and not a comment.
- ``日期``: any form a ledger date may take (:mod:`xfaudit.dates`): ``2027-01-01``,
  ``2027/1/1``, ``2027.1.1``, ``20270101``, ``2027年1月1日`` (or ``号``), a date-time or an
  Excel serial number, between 1990 and 2100; a date without a year or an ambiguous
  ``1/2/2027`` is an error.
- ``类型``: a rest day — ``休息``, ``休息日``, ``节假日``, ``休``, ``放假`` (English ``rest``,
  ``holiday``, ``off``); or a make-up working day — ``上班``, ``调休上班``, ``班``, ``工作日``
  (English ``work``, ``workday``).
- List the statutory holidays that fall on weekdays (rest) and the weekend days that are
  working days (调休上班). Listing a weekend day inside a holiday as rest, or a normal weekday as
  working, is allowed and changes nothing.
- Every year that appears in the file becomes a known year: its weekends rest, its weekdays
  work, except the days listed. If that year is already known (built-in or an earlier file),
  the file's list replaces the old one for that whole year.
- One exception: a notice for one year sometimes names days at the end of December of the
  previous year (the 2019 notice: "2018年12月29日（星期六）上班"). December dates of a year that
  appears in the file only in December, next to dates of the following year, change just those
  days; they do not make that year known or replace its table.
- Blank lines and lines starting with ``#`` are ignored.
- Errors (missing file, unreadable encoding, missing column, bad date, unknown type, one date
  listed twice with different types) raise :class:`~xfaudit.errors.CalendarError` with a
  Chinese reason naming the file and the line.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from xfaudit.dates import DateWindow, parse_dates
from xfaudit.errors import CalendarError, CalendarInputError

__all__ = ["DAY_KINDS", "LegalCalendar", "read_holiday_file"]

#: The day kinds :meth:`LegalCalendar.add_days` understands (profile value → Chinese name).
DAY_KINDS = {"calendar": "日", "working": "工作日"}

#: Roll-forward modes of :meth:`LegalCalendar.add_days` (see profile.ROLL_FORWARD).
ROLL_MODES = ("none", "holidays", "holidays_and_weekends")

#: Chinese names of the holidays of the built-in tables (chinese_calendar names them in English).
HOLIDAY_NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
                 "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
                 "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利纪念日"}

_REST_TYPES = frozenset({"休息", "休息日", "节假日", "休", "放假", "rest", "holiday", "off"})
_WORK_TYPES = frozenset({"上班", "调休上班", "班", "工作日", "work", "workday"})
_DATE_COLUMNS = ("日期", "date")
_TYPE_COLUMNS = ("类型", "type")
_NAME_COLUMNS = ("名称", "name")

_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class HolidayEntry:
    """One line of a holiday file: a day and whether it is a working day."""

    date: dt.date
    workday: bool
    name: str
    line: int


@dataclass(frozen=True)
class HolidayFile:
    """A parsed holiday file.

    Attributes
    ----------
    path : Path
        The file read.
    sha256 : str
        Hex digest of its bytes (for provenance).
    encoding : str
        ``"utf-8"`` or ``"gbk"``.
    entries : tuple of HolidayEntry
        The days listed, in file order.
    years : tuple of int
        The years the file defines completely (it makes them known).
    spill_over : tuple of HolidayEntry
        December days of a previous year listed with the next year's arrangement: they change
        only those days.
    """

    path: Path
    sha256: str
    encoding: str
    entries: tuple[HolidayEntry, ...]
    years: tuple[int, ...]
    spill_over: tuple[HolidayEntry, ...]


def _file_error(path: Path, reason: str, line: int | None = None) -> CalendarError:
    where = f"第{line}行：" if line is not None else ""
    return CalendarError(reason=f"节假日文件 {path.name} 有误：{where}{reason}")


def _header_columns(path: Path, header: list[str], line: int) -> tuple[int, int, int | None]:
    """Positions of the 日期, 类型 and (optional) 名称 columns, or a CalendarError."""
    date_col = _find_column(header, _DATE_COLUMNS)
    type_col = _find_column(header, _TYPE_COLUMNS)
    if date_col is None or type_col is None:
        missing = "、".join(
            f"「{zh}」（或 {en}）"
            for (zh, en), col in ((_DATE_COLUMNS, date_col), (_TYPE_COLUMNS, type_col))
            if col is None
        )
        found = "、".join(c for c in header if c) or "（无）"
        raise _file_error(path, f"表头缺少{missing}列。找到的表头：{found}。"
                                "表头应为：日期,类型,名称。", line)
    return date_col, type_col, _find_column(header, _NAME_COLUMNS)


def _entries(path: Path, rows: list[tuple[int, list[str]]],
             columns: tuple[int, int, int | None]) -> list[HolidayEntry]:
    """The listed days in file order; the first bad line (date, type, conflict) raises.

    Dates are read by the ledger's parser (:func:`xfaudit.dates.parse_dates`) in the wide
    window (1990–2100), so a holiday file accepts the forms a ledger does.
    """
    date_col, type_col, name_col = columns

    def cell(cells: list[str], col: int | None) -> str:
        return cells[col] if col is not None and col < len(cells) else ""

    window = DateWindow.wide()
    parsed = parse_dates([cell(cells, date_col) for _, cells in rows], window)
    entries: list[HolidayEntry] = []
    seen: dict[dt.date, HolidayEntry] = {}
    for (line, cells), day, far in zip(rows, parsed.dates, parsed.implausible, strict=True):
        date_text, type_text = cell(cells, date_col), cell(cells, type_col)
        if pd.isna(day):
            shown = f"「{date_text}」" if date_text else "为空"
            reason = (f"不在{window.describe()}之间，请核对年份" if far
                      else "无法识别，应写成 2027-10-01 这样的格式")
            raise _file_error(path, f"日期{shown}{reason}。", line)
        date = day.date()
        kind = type_text.lower()
        if kind in _REST_TYPES:
            workday = False
        elif kind in _WORK_TYPES:
            workday = True
        else:
            shown = f"「{type_text}」" if type_text else "为空"
            raise _file_error(path, f"类型{shown}无法识别，应为 休息、休息日、节假日、休、放假"
                                    "（休息）或 上班、调休上班、班、工作日（调休上班）。", line)
        previous = seen.get(date)
        if previous is not None:
            if previous.workday != workday:
                raise _file_error(path, f"日期 {date.isoformat()} 已在第{previous.line}行"
                                        "列为另一种类型，同一天不能既休息又上班。", line)
            continue
        seen[date] = entry = HolidayEntry(date, workday, cell(cells, name_col), line)
        entries.append(entry)
    return entries


def _find_column(header: list[str], names: tuple[str, ...]) -> int | None:
    for i, cell in enumerate(header):
        if cell.strip().lstrip("\ufeff").strip().lower() in names:
            return i
    return None


def read_holiday_file(path: str | Path) -> HolidayFile:
    """Read and check one holiday file (format: see the module docstring).

    Parameters
    ----------
    path : str or Path
        The CSV file.

    Returns
    -------
    HolidayFile

    Raises
    ------
    CalendarError
        The file is missing or unreadable, a column is missing, or a line holds a bad date, an
        unknown type, or a date already listed with another type. The reason is in Chinese and
        names the file and the line.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CalendarError(reason=f"节假日文件 {path} 不存在。") from None
    except OSError as exc:
        raise _file_error(path, f"无法读取（{exc.strerror or exc}）。") from None
    try:
        text, encoding = raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        try:
            text, encoding = raw.decode("gbk"), "gbk"
        except UnicodeDecodeError:
            raise _file_error(path, "无法按 UTF-8 或 GBK 编码读取，请另存为 UTF-8 编码的 CSV 文件。") from None

    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    columns: tuple[int, int, int | None] | None = None
    rows: list[tuple[int, list[str]]] = []
    for row in reader:
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].lstrip("\ufeff").startswith("#"):
            continue
        if header is None:
            header = cells
            columns = _header_columns(path, header, reader.line_num)
        else:
            rows.append((reader.line_num, cells))
    entries = _entries(path, rows, columns) if columns is not None else []
    if header is None:
        raise _file_error(path, "文件为空，没有表头（日期,类型,名称）。")
    if not entries:
        raise _file_error(path, "没有任何日期行。")

    # A year seen only in December, next to the following year, is that year's notice spilling
    # over (e.g. 2018-12-29 上班 in the 2019 notice): it must not make the year "known".
    by_year: dict[int, list[HolidayEntry]] = {}
    for entry in entries:
        by_year.setdefault(entry.date.year, []).append(entry)
    spill_years = {
        year for year, listed in by_year.items()
        if year + 1 in by_year and all(e.date.month == 12 for e in listed)
    }
    return HolidayFile(
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        encoding=encoding,
        entries=tuple(entries),
        years=tuple(sorted(set(by_year) - spill_years)),
        spill_over=tuple(e for e in entries if e.date.year in spill_years),
    )


def _day_number(date: dt.date) -> int:
    return (date - _EPOCH).days


def _to_days(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """datetime64 array → (int64 days since 1970-01-01, NaT mask); NaT rows hold 0."""
    days = values.astype("datetime64[D]")
    missing = np.isnat(days)
    out = days.view(np.int64).copy()
    out[missing] = 0
    return out, missing


def _years_of(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _as_datetime_series(values, name: str) -> pd.Series:
    """Any date-like input as a tz-naive datetime64 Series (local wall dates kept)."""
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_localize(None)
    elif not pd.api.types.is_datetime64_dtype(series.dtype):
        try:
            series = pd.to_datetime(series)
        except (ValueError, TypeError) as exc:
            raise CalendarInputError(f"{name} 不是日期：{exc}") from None
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            series = series.dt.tz_localize(None)
    return series


def _as_days_count(days, index: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """An int or an integer Series/array → (int64 values, NA mask), aligned with ``index``."""
    n = len(index)
    if isinstance(days, pd.Series):
        if not days.index.equals(index):
            days = days.reindex(index)
        values = days.array
    elif np.ndim(days) == 0:
        if days is None or pd.isna(days):
            return np.zeros(n, np.int64), np.ones(n, bool)
        if isinstance(days, (bool, np.bool_)) or int(days) != days:
            raise CalendarInputError(f"天数必须是整数，得到 {days!r}。")
        return np.full(n, int(days), np.int64), np.zeros(n, bool)
    else:
        values = days
        if len(values) != n:
            raise CalendarInputError(f"天数的个数（{len(values)}）与日期的个数（{n}）不一致。")
    if pd.api.types.is_bool_dtype(getattr(values, "dtype", None)):
        raise CalendarInputError("天数必须是整数，得到布尔值。")
    try:
        counts = pd.array(values, dtype="Int64")
    except (TypeError, ValueError) as exc:
        raise CalendarInputError(f"天数必须是整数：{exc}") from None
    missing = np.asarray(counts.isna(), dtype=bool)
    return counts.to_numpy(dtype=np.int64, na_value=0), missing


class LegalCalendar:
    """Working days by the official holiday arrangement, for 2004–2026 plus user files.

    Parameters
    ----------
    holiday_files : iterable of str or Path, or a single str or Path
        Holiday files (format: see the module docstring) read in order after the built-in
        tables; a later file replaces an earlier table for every year it defines.

    Raises
    ------
    CalendarError
        A holiday file is missing or malformed.

    Examples
    --------
    >>> cal = LegalCalendar.default()
    >>> start = pd.Series(pd.to_datetime(["2023-10-01", "2026-09-30"]))
    >>> cal.add_days(start, 60, "calendar").dt.strftime("%Y-%m-%d").tolist()
    ['2023-11-30', '2026-11-29']
    >>> cal.add_days(start[1:], 5, "working").dt.strftime("%Y-%m-%d").tolist()
    ['2026-10-13']
    """

    def __init__(self, holiday_files: Iterable[str | Path] | str | Path = ()) -> None:
        import chinese_calendar

        if isinstance(holiday_files, (str, Path)):
            holiday_files = [holiday_files]
        self._files = tuple(read_holiday_file(p) for p in holiday_files)

        # year -> {day number: is working day}: the days that differ from "weekdays work".
        tables: dict[int, dict[int, bool]] = {}
        builtin = [(d, False) for d in chinese_calendar.holidays] + \
                  [(d, True) for d in chinese_calendar.workdays]
        first = min(d.year for d in chinese_calendar.holidays)
        last = max(d.year for d in chinese_calendar.holidays)
        self._builtin_years = tuple(range(first, last + 1))
        self._builtin_version = getattr(chinese_calendar, "__version__", "unknown")
        for year in self._builtin_years:
            tables[year] = {}
        for date, workday in builtin:
            if date.year in tables:
                tables[date.year][_day_number(date)] = workday
        # day number -> holiday name, for roll-forward over holidays and the findings' notes
        names: dict[int, str] = {_day_number(d): HOLIDAY_NAMES.get(n, str(n))
                                 for d, n in chinese_calendar.holidays.items()}
        for hf in self._files:
            for year in hf.years:
                tables[year] = {_day_number(e.date): e.workday
                                for e in hf.entries if e.date.year == year}
                names = {d: n for d, n in names.items() if _years_of(np.array([d]))[0] != year}
                names.update({_day_number(e.date): e.name or "节假日"
                              for e in hf.entries if e.date.year == year and not e.workday})
        # Spill-over days change single days of a year, known or not, after all replacements.
        overlay = {_day_number(e.date): e.workday for hf in self._files for e in hf.spill_over}

        self._known = tuple(sorted(tables))
        lo_year, hi_year = self._known[0], self._known[-1]
        self._first_day = _day_number(dt.date(lo_year, 1, 1))
        span = np.arange(self._first_day, _day_number(dt.date(hi_year, 12, 31)) + 1, dtype=np.int64)
        # 1970-01-01 was a Thursday: weekday (Mon=0) = (day + 3) % 7.
        workday = ((span + 3) % 7) < 5
        span_years = _years_of(span)
        for table in tables.values():
            for day, is_work in table.items():
                workday[day - self._first_day] = is_work
        for day, is_work in overlay.items():
            if 0 <= day - self._first_day < len(span):
                workday[day - self._first_day] = is_work
        known_day = np.isin(span_years, self._known)
        self._workdays = span[workday & known_day]
        self._holiday_period, self._holiday_name = _holiday_periods(
            span, workday, known_day, {d - self._first_day: n for d, n in names.items()
                                       if 0 <= d - self._first_day < len(span)})
        # Per-day lookup tables over the span, so that each row costs one gather instead of a
        # binary search: the index in _workdays of the first working day on/after and after
        # each day, and each day's year. The ends get one extra entry for "past the span".
        self._span_years = span_years
        self._on_or_after = np.searchsorted(self._workdays, span, side="left")
        self._after = np.searchsorted(self._workdays, span, side="right")

        # _next_unknown[y - _lookup_lo] = the first year >= y that no table covers.
        self._lookup_lo = lo_year - 1
        years = np.arange(self._lookup_lo, hi_year + 2)
        next_unknown = years.copy()
        known_set = set(self._known)
        for i in range(len(years) - 2, -1, -1):
            if int(years[i]) in known_set:
                next_unknown[i] = next_unknown[i + 1]
        self._next_unknown_table = next_unknown

    @classmethod
    def default(cls) -> LegalCalendar:
        """The calendar of the built-in tables only (2004–2026), built once and shared."""
        return _default_calendar()

    @property
    def known_years(self) -> tuple[int, ...]:
        """The years for which an official arrangement is known, sorted."""
        return self._known

    @property
    def provenance(self) -> dict:
        """JSON-ready description of the tables used (for manifests)."""
        return {
            "builtin": {"package": "chinese_calendar", "version": self._builtin_version,
                        "years": [self._builtin_years[0], self._builtin_years[-1]]},
            "holiday_files": [
                {"path": str(hf.path), "sha256": hf.sha256, "encoding": hf.encoding,
                 "years": list(hf.years),
                 "spill_over_days": [e.date.isoformat() for e in hf.spill_over]}
                for hf in self._files
            ],
            "known_years": list(self._known),
        }

    def __repr__(self) -> str:
        files = ", ".join(hf.path.name for hf in self._files)
        years = f"{self._known[0]}–{self._known[-1]}" if self._known else "none"
        return f"LegalCalendar(known_years={years}{', files=' + files if files else ''})"

    # -- internals -------------------------------------------------------------------------

    def _next_unknown(self, years: np.ndarray) -> np.ndarray:
        """For each year, the first year at or after it that no table covers."""
        hi = self._lookup_lo + len(self._next_unknown_table) - 1
        clipped = np.clip(years, self._lookup_lo, hi)
        found = self._next_unknown_table[clipped - self._lookup_lo]
        return np.where((years < self._lookup_lo) | (years > hi), years, found)

    def _offsets(self, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Offsets of day numbers into the span (clipped) and whether each lies inside it."""
        offset = days - self._first_day
        inside = (offset >= 0) & (offset < len(self._span_years))
        return np.clip(offset, 0, len(self._span_years) - 1), inside

    def _years(self, days: np.ndarray) -> np.ndarray:
        offset, inside = self._offsets(days)
        years = self._span_years[offset]
        if not inside.all():
            years[~inside] = _years_of(days[~inside])
        return years

    def _position(self, days: np.ndarray, side: str) -> np.ndarray:
        """``np.searchsorted(self._workdays, days, side)``, by table look-up.

        Outside the span the answer is 0 (before) or ``len(self._workdays)`` (after); such
        days are in unknown years and rejected by :meth:`_check_covered`.
        """
        offset, inside = self._offsets(days)
        table = self._after if side == "right" else self._on_or_after
        pos = table[offset]
        if not inside.all():
            pos[~inside] = np.where(days[~inside] < self._first_day, 0, len(self._workdays))
        return pos

    def _check_covered(self, lo: np.ndarray, hi: np.ndarray, rows: np.ndarray,
                       beyond: np.ndarray | None = None) -> None:
        """Raise CalendarError unless every year from ``lo`` to ``hi`` (day numbers) is known.

        ``beyond`` marks rows whose answer fell past the last known working day.
        """
        all_rows = rows.all()
        lo_years = self._years(lo if all_rows else lo[rows])
        first_unknown = self._next_unknown(lo_years)
        bad = first_unknown <= self._years(hi if all_rows else hi[rows])
        if beyond is not None:
            bad |= beyond if all_rows else beyond[rows]
        if bad.any():
            raise CalendarError(year=int(first_unknown[bad].min()))

    def _roll(self, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The first working day on or after each day; and where none is known."""
        pos = self._position(days, "left")
        beyond = pos >= len(self._workdays)
        return self._workdays[np.minimum(pos, len(self._workdays) - 1)], beyond

    def _in_holiday_period(self, days: np.ndarray) -> np.ndarray:
        """Per day: a rest day inside a statutory holiday period (unknown years: False)."""
        offset, inside = self._offsets(days)
        return self._holiday_period[offset] & inside

    # -- public ----------------------------------------------------------------------------

    def add_days(self, start: pd.Series, days: int | pd.Series, kind: str,
                 roll_forward: str | bool = "none") -> pd.Series:
        """The last day of a period of ``days`` days that starts after ``start``.

        Parameters
        ----------
        start : Series of datetime64
            The day of the triggering event (not counted). NaT gives NaT. Time of day is
            dropped.
        days : int or Series of int
            The length of the period. A Series is aligned on ``start``'s index; a missing value
            (NA) gives NaT. Negative values are allowed for ``"calendar"`` only.
        kind : {"calendar", "working"}
            ``"calendar"`` (日): ``start + days``. ``"working"`` (工作日): the ``days``-th
            working day strictly after ``start``; ``days == 0`` gives ``start`` itself.
        roll_forward : {"none", "holidays", "holidays_and_weekends"}, default "none"
            ``holidays``: a last day inside a statutory holiday period (a run of rest days
            holding an official holiday, its weekend days included) moves to the next working
            day (民法典第二百零三条); ``holidays_and_weekends``: any last day that is not a
            working day moves. ``True``/``False`` are accepted as ``holidays_and_weekends`` /
            ``none``.

        Returns
        -------
        Series of datetime64[ns]
            The last day, with the index of ``start``.

        Raises
        ------
        CalendarError
            The holiday table is needed (``kind="working"`` or ``roll_forward``) and a start or
            a last day (or a year between them) is in a year no table covers; ``year`` is the
            first such year. Calendar days without roll-forward never raise it.
        ValueError
            Unknown ``kind``, non-integer ``days``, or negative working days.
        """
        if kind not in DAY_KINDS:
            raise CalendarInputError(f"未知的天数类型「{kind}」，应为 calendar（日）或 working（工作日）。")
        if isinstance(roll_forward, bool):
            roll_forward = "holidays_and_weekends" if roll_forward else "none"
        if roll_forward not in ROLL_MODES:
            raise CalendarInputError(f"未知的顺延方式「{roll_forward}」，应为 {'、'.join(ROLL_MODES)}。")
        series = _as_datetime_series(start, "start")
        index = series.index
        begin, start_missing = _to_days(series.to_numpy())
        count, count_missing = _as_days_count(days, index)
        rows = ~(start_missing | count_missing)
        count = np.where(rows, count, 0)
        beyond = np.zeros(len(begin), bool)

        if kind == "calendar":
            end = begin + count
        else:
            if (count < 0).any():
                raise CalendarInputError("工作日天数不能为负数。")
            wd = self._workdays
            # The first working day strictly after start is wd[searchsorted(wd, start, "right")].
            pos = self._position(begin, "right") + count - 1
            beyond = (count > 0) & (pos >= len(wd))
            end = np.where(count == 0, begin, wd[np.clip(pos, 0, len(wd) - 1)])
        if roll_forward != "none":
            # the table is needed to know whether the last day rests (and until when)
            self._check_covered(np.minimum(begin, end), np.maximum(begin, end), rows, beyond)
            rolled, roll_beyond = self._roll(end)
            move = rows if roll_forward == "holidays_and_weekends" else (
                rows & self._in_holiday_period(end))
            beyond |= roll_beyond & move
            end = np.where(move, rolled, end)
        if kind == "working" or roll_forward != "none":
            self._check_covered(np.minimum(begin, end), np.maximum(begin, end), rows, beyond)

        out = end.astype("datetime64[D]").astype("datetime64[ns]")
        out[~rows] = np.datetime64("NaT", "ns")
        return pd.Series(out, index=index, name=series.name)

    def rest_days(self, dates) -> tuple[np.ndarray, np.ndarray]:
        """What kind of rest day each date is, and the first working day after it.

        For the findings' notes on a last day that fell on a rest day; it never raises: a date
        in a year no table covers is reported as a working day (no note).

        Parameters
        ----------
        dates : Series or array-like of datetime64

        Returns
        -------
        (numpy.ndarray, numpy.ndarray)
            Per date: ``""`` (a working day, NaT or unknown year), the holiday's name
            (``国庆节`` …; a weekend day inside a holiday period takes the period's name) or
            ``周末``; and the first working day on or after the date (``NaT`` where there is
            no note).
        """
        series = _as_datetime_series(dates, "dates")
        day, missing = _to_days(series.to_numpy())
        offset, inside = self._offsets(day)
        known = inside & ~missing & np.isin(self._span_years[offset], self._known)
        pos = self._position(day, "left")
        working = (self._workdays[np.minimum(pos, len(self._workdays) - 1)] == day) & (
            pos < len(self._workdays))
        rest = known & ~working
        label = np.full(len(day), "", dtype=object)
        period = rest & self._holiday_period[offset]
        label[period] = self._holiday_name[offset[period]]
        label[rest & ~period] = "周末"
        rolled, beyond = self._roll(day)
        nxt = rolled.astype("datetime64[D]").astype("datetime64[ns]")
        nxt[~rest | beyond] = np.datetime64("NaT", "ns")
        label[beyond] = ""
        return label, nxt

    def is_workday(self, dates) -> np.ndarray:
        """Whether each date is a working day.

        Parameters
        ----------
        dates : Series, array-like of datetime64, or a single date
            NaT gives False.

        Returns
        -------
        ndarray of bool

        Raises
        ------
        CalendarError
            A date is in a year no table covers.
        """
        scalar = np.ndim(dates) == 0 and not isinstance(dates, pd.Series)
        series = _as_datetime_series([dates] if scalar else dates, "dates")
        day, missing = _to_days(series.to_numpy())
        rows = ~missing
        self._check_covered(day, day, rows)
        pos = self._position(day, "left")
        hit = self._workdays[np.minimum(pos, len(self._workdays) - 1)] == day
        return hit & (pos < len(self._workdays)) & rows

    def working_days_between(self, a, b) -> pd.Series:
        """The number of working days in ``(a, b]``.

        Parameters
        ----------
        a, b : Series or array-like of datetime64
            Aligned by position (same length) or ``b`` a single date. NaT on either side gives
            NA. When ``b`` is before ``a`` the count is negative: minus the working days in
            ``(b, a]``.

        Returns
        -------
        Series of Int64
            With the index of ``a`` when it is a Series.

        Raises
        ------
        CalendarError
            A date, or a year between ``a`` and ``b``, is in a year no table covers.
        """
        left = _as_datetime_series(a, "a")
        if np.ndim(b) == 0 and not isinstance(b, pd.Series):
            b = pd.Series(pd.Timestamp(b), index=left.index)
        right = _as_datetime_series(b, "b")
        if len(right) != len(left):
            raise CalendarInputError(f"两组日期的个数不一致（{len(left)} 与 {len(right)}）。")
        da, ma = _to_days(left.to_numpy())
        db, mb = _to_days(right.to_numpy())
        rows = ~(ma | mb)
        self._check_covered(np.minimum(da, db), np.maximum(da, db), rows)
        count = self._position(db, "right") - self._position(da, "right")
        return pd.Series(pd.arrays.IntegerArray(count.astype(np.int64), ~rows), index=left.index)


def _holiday_periods(span: np.ndarray, workday: np.ndarray, known: np.ndarray,
                     names: dict[int, str]) -> tuple[np.ndarray, np.ndarray]:
    """Per day of the span: inside a statutory holiday period, and the period's name.

    A period is a maximal run of consecutive rest days (of known years) holding at least one
    official holiday; the weekend days of 国庆 and 春节 weeks belong to it, an ordinary weekend
    does not.
    """
    rest = ~workday & known
    run = np.cumsum(np.r_[True, rest[1:] != rest[:-1]])   # id of each run of equal rest-ness
    named = np.zeros(len(span), dtype=bool)
    label = np.full(len(span), "", dtype=object)
    for offset, name in names.items():
        if rest[offset]:
            named[offset] = True
            label[offset] = name
    period_runs = np.unique(run[named])
    in_period = rest & np.isin(run, period_runs)
    if period_runs.size:
        first_name = pd.Series(label[named]).groupby(run[named]).first()
        label[in_period] = first_name.reindex(run[in_period]).to_numpy()
    return in_period, label


@cache
def _default_calendar() -> LegalCalendar:
    return LegalCalendar()
