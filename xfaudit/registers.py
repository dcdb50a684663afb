"""Registers the inspector keeps in Excel (waivers, follow-up): read clearly, write safely.

A register is a sheet with one header row of Chinese headers, one record per row. Reading maps
the headers to field names, parses dates and yes/no cells and collects every problem with its
row and column before raising one :class:`~xfaudit.errors.RegisterError`. A date cell is read by
the ledger's own parser (:mod:`xfaudit.dates`), so the same forms are accepted — a real Excel
date, a serial number, ``2026-11-20``, ``2026/11/20``, ``2026.11.20``, ``2026年11月20日`` (or
``号``), ``20261120``, a date-time — and the same are refused, never guessed: a date without a
year (``10月28日``), an ambiguous ``1/2/2026``, a month alone (``2026-11``, ``2026年``), or a day
outside 1 January 1990 … 31 December ten years after the current year (``2206-11-20``). Writing uses
xlsxwriter with the findings workbook's options, so text stays text (a reason starting with
``=`` is not a formula, a case id keeps its leading zeros), and replaces the file atomically.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import xlsxwriter

from xfaudit import dates as _dates
from xfaudit.dates import DateWindow
from xfaudit.errors import RegisterError, RegisterNotFoundError
from xfaudit.writers.workbook import WORKBOOK_OPTIONS

#: Rows searched for the header row (a register may carry a title or banner above it).
HEADER_SEARCH_ROWS = 5

#: Text read as yes / no in a yes-no column.
YES_NO = {"是": True, "否": False, "采纳": True, "未采纳": False, "部分采纳": True,
          "Y": True, "N": False, "1": True, "0": False, "TRUE": True, "FALSE": False}


@dataclass(frozen=True)
class Column:
    """One column of a register: field name, Chinese header, kind and whether it is required."""

    name: str
    header: str
    kind: str = "text"          # text | date | yesno | int
    required: bool = False
    width: int = 14


def _read_raw(path: Path, sheet: str | None, strict: bool) -> tuple[pd.DataFrame, str]:
    if not path.is_file():
        raise RegisterNotFoundError(path, "文件不存在")
    try:
        # keep_default_na=False: a cell reading "#N/A", "NA" or "null" is text to report (or a
        # name), not silently an empty cell; empty cells come back as "" and are set to None.
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object,
                               engine="calamine", keep_default_na=False, na_values=[])
    except Exception as exc:  # calamine raises several types for a non-xlsx file
        raise RegisterError(path, f"无法作为 Excel 文件读取（{type(exc).__name__}）") from None
    sheets = {name: frame.where(frame.ne(""), None) for name, frame in sheets.items()}
    if sheet is not None and sheet in sheets:
        return sheets[sheet], sheet
    if strict:
        raise RegisterError(path, f"缺少工作表「{sheet}」（现有：{'、'.join(map(str, sheets))}）")
    name = next(iter(sheets)) if sheets else None
    if name is None:
        raise RegisterError(path, "文件中没有工作表")
    return sheets[name], name


def _find_header(raw: pd.DataFrame, columns: list[Column]) -> int | None:
    wanted = {c.header for c in columns if c.required}
    for i in range(min(HEADER_SEARCH_ROWS, len(raw))):
        cells = {str(v).strip() for v in raw.iloc[i] if isinstance(v, str)}
        if wanted <= cells:
            return i
    return None


def _as_text(values: pd.Series) -> pd.Series:
    """Cells as trimmed text (None for empty); whole floats lose their '.0' (Excel numbers)."""
    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if isinstance(v, (dt.datetime, pd.Timestamp)):
            v = pd.Timestamp(v).date().isoformat()
        text = str(v).strip()
        return text or None
    return values.map(one).astype(object)


def parse_dates(values: pd.Series, window: DateWindow | None = None
                ) -> tuple[pd.Series, list[tuple[int, str]]]:
    """Read register date cells with the ledger's parser (:func:`xfaudit.dates.parse_dates`).

    Parameters
    ----------
    values : pandas.Series
        Raw cells (real dates, serial numbers, text in any form a ledger date may take).
    window : DateWindow, optional
        Plausible days (default :meth:`DateWindow.for_registers`: 1990 to ten years ahead).

    Returns
    -------
    (pandas.Series, list)
        The days (``datetime64[ns]``, ``NaT`` where empty or not read) and, per cell not read,
        ``(position, Chinese reason naming the raw text)``; an empty cell is not a problem.
    """
    window = window or DateWindow.for_registers()
    parsed = _dates.parse_dates(values, window)
    raw = _as_text(values)
    problems = [(i, _dates.problem_text(raw.iloc[i], bool(parsed.implausible.iloc[i]), window))
                for i in np.flatnonzero(parsed.unreadable.to_numpy())]
    return parsed.dates, problems


def read_register(path: str | Path, columns: list[Column], *, sheet: str | None = None,
                  strict: bool = False,
                  skip: Callable[[pd.DataFrame], pd.Series] | None = None,
                  check: Callable[[pd.DataFrame], list] | None = None,
                  window: DateWindow | None = None) -> tuple[pd.DataFrame, str]:
    """Read one register sheet into a frame with ``columns``' names plus ``source_row``.

    Parameters
    ----------
    path : the .xlsx file
    columns : the register's columns (required ones must have a header)
    sheet : sheet name to use when present (default: the first sheet)
    strict : the named sheet must exist (otherwise the first sheet is used)
    skip : function(frame) → boolean mask of rows to drop (e.g. example rows), applied after
        text conversion and before validation
    check : function(parsed frame) → list of further ``(row, header, reason)`` problems,
        reported together with the parsing problems
    window : plausible days of a date cell (default :meth:`DateWindow.for_registers`)

    Returns
    -------
    (frame, sheet name). Dates are ``datetime64[ns]``, yes/no ``boolean``, the rest text.

    Raises
    ------
    RegisterError
        Missing headers, or every unreadable/missing cell with its row and column.
    """
    path = Path(path)
    raw, used = _read_raw(path, sheet, strict)
    top = _find_header(raw, columns)
    if top is None:
        need = "、".join(c.header for c in columns if c.required)
        raise RegisterError(path, f"找不到表头（前{HEADER_SEARCH_ROWS}行中须有：{need}）",
                            sheet=used)
    headers = [str(v).strip() if isinstance(v, str) else None for v in raw.iloc[top]]
    body = raw.iloc[top + 1:].reset_index(drop=True)
    frame = pd.DataFrame({"source_row": np.arange(len(body)) + top + 2})
    where = {h: i for i, h in enumerate(headers) if h}
    for column in columns:
        cells = (body.iloc[:, where[column.header]] if column.header in where
                 else pd.Series([None] * len(body), dtype=object))
        frame[column.name] = cells.reset_index(drop=True)
    text_cols = [c.name for c in columns if c.kind in ("text", "yesno", "int")]
    for name in text_cols:
        frame[name] = _as_text(frame[name])
    blank = frame[[c.name for c in columns]].isna().all(axis=1)
    frame = frame[~blank]
    if skip is not None and len(frame):
        frame = frame[~skip(frame).to_numpy(dtype=bool)]
    problems = []
    for column in columns:
        values = frame[column.name]
        if column.required:
            for row in frame.loc[values.isna(), "source_row"]:
                problems.append((int(row), column.header, "不能为空"))
        if column.kind == "date":
            dates, bad = parse_dates(values, window)
            rows = frame["source_row"].to_numpy()
            problems += [(int(rows[i]), column.header, reason) for i, reason in bad]
            frame[column.name] = dates.to_numpy()
        elif column.kind == "yesno":
            known = values.isna() | values.str.upper().isin(YES_NO)
            for row, raw_value in zip(frame.loc[~known, "source_row"], values[~known]):
                problems.append((int(row), column.header,
                                 f"应填“是”或“否”，而不是“{raw_value}”"))
            frame[column.name] = values.str.upper().map(YES_NO).astype("boolean")
        elif column.kind == "int":
            number = pd.to_numeric(values, errors="coerce")
            bad = values.notna() & number.isna()
            for row, raw_value in zip(frame.loc[bad, "source_row"], values[bad]):
                problems.append((int(row), column.header, f"应为整数，而不是“{raw_value}”"))
            frame[column.name] = number.astype("Int64")
    if check is not None:
        problems += check(frame)
    if problems:
        problems.sort(key=lambda p: (p[0] or 0, p[1] or ""))
        raise RegisterError(path, sheet=used, problems=problems)
    return frame.reset_index(drop=True), used


class Formats:
    """Cell formats shared by the register workbooks."""

    def __init__(self, book: xlsxwriter.Workbook):
        font = {"font_name": "等线", "font_size": 10}
        self.header = book.add_format({**font, "bold": True, "bg_color": "#DDEBF7",
                                       "border": 1, "text_wrap": True, "valign": "vcenter"})
        self.text = book.add_format({**font, "valign": "top", "num_format": "@"})
        self.wrap = book.add_format({**font, "text_wrap": True, "valign": "top"})
        self.date = book.add_format({**font, "num_format": "yyyy-mm-dd", "valign": "top"})
        self.int = book.add_format({**font, "num_format": "0", "valign": "top"})
        self.example = book.add_format({**font, "italic": True, "font_color": "#808080",
                                        "valign": "top", "num_format": "@"})
        self.example_date = book.add_format({**font, "italic": True, "font_color": "#808080",
                                             "num_format": "yyyy-mm-dd", "valign": "top"})
        self.title = book.add_format({"font_name": "等线", "font_size": 13, "bold": True})
        self.note = book.add_format({**font, "font_color": "#555555", "text_wrap": True,
                                     "valign": "top"})
        self.banner = book.add_format({"font_name": "等线", "font_size": 12, "bold": True,
                                       "font_color": "#C00000", "align": "center",
                                       "valign": "vcenter", "border": 2,
                                       "border_color": "#C00000"})


def write_cell(sheet, row: int, col: int, value, fmt_text, fmt_date, fmt_int) -> None:
    """Write one value with its type: text always as text, dates as dates, numbers as numbers."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) \
            or value is pd.NaT:
        sheet.write_blank(row, col, None, fmt_text)
    elif isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        sheet.write_datetime(row, col, pd.Timestamp(value).to_pydatetime(), fmt_date)
    elif isinstance(value, (bool, np.bool_)):
        sheet.write_string(row, col, "是" if value else "否", fmt_text)
    elif isinstance(value, (int, np.integer)):
        sheet.write_number(row, col, int(value), fmt_int)
    elif isinstance(value, (float, np.floating)):
        sheet.write_number(row, col, float(value), fmt_int)
    else:
        sheet.write_string(row, col, str(value), fmt_text)


def write_records(sheet, formats: Formats, top: int, frame: pd.DataFrame,
                  columns: list[Column]) -> None:
    """Header row at ``top``, then the frame's rows; frozen header, autofilter, widths.

    Each column carries its kind's format, empty cells included, so a date typed into an
    empty date cell is a date (never text) and a typed id stays text.
    """
    kind_format = {"date": formats.date, "int": formats.int}
    for col, column in enumerate(columns):
        sheet.write_string(top, col, column.header, formats.header)
        sheet.set_column(col, col, column.width, kind_format.get(column.kind, formats.text))
    values = {c.name: frame[c.name].astype(object).where(frame[c.name].notna(), None).tolist()
              if c.name in frame.columns else [None] * len(frame) for c in columns}
    for col, column in enumerate(columns):
        blank = kind_format.get(column.kind, formats.text)
        for r, value in enumerate(values[column.name], start=top + 1):
            write_cell(sheet, r, col, value, blank if value is None else formats.text,
                       formats.date, formats.int)
    sheet.freeze_panes(top + 1, 0)
    sheet.autofilter(top, 0, top + max(len(frame), 1), len(columns) - 1)


def _new_temporary(path: Path) -> str:
    """An empty new file beside ``path`` with the user's normal file mode (0666 less the
    umask, as any file they save; ``tempfile.mkstemp`` would make it 0600, and colleagues
    sharing the reports folder could not open the register)."""
    for _attempt in range(100):
        tmp = path.parent / f".{path.stem}.{secrets.token_hex(4)}{path.suffix}"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return str(tmp)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Write a file through a temporary file in the same folder, then replace it atomically.

    The file gets the user's normal file mode (0666 less the umask).

    Raises
    ------
    RegisterError
        The target cannot be replaced (e.g. it is open in Excel on Windows).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _new_temporary(path)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except PermissionError:
        raise RegisterError(path, "无法写入（文件可能正在 Excel 中打开，请关闭后重试）") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def new_workbook(path: Path, *, title: str, created: dt.datetime | pd.Timestamp,
                 extra: dict | None = None) -> xlsxwriter.Workbook:
    """An xlsxwriter workbook with the text-as-text options and fixed properties."""
    book = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    book.set_properties({"title": title, "author": "xfaudit",
                         "created": pd.Timestamp(created).to_pydatetime(), **(extra or {})})
    return book
