"""The rows below the header, typed: records kept or rejected, every cell converted for its
field's kind, every cell that cannot be read listed.

The work is vectorised per column: each column is factorised once (:class:`~xfaudit.io.grid.
Column`) and every distinct value is converted once; date texts shared by several columns are
read once. Column types of the result: dates ``datetime64[ns]`` at midnight; counts ``Int64``;
yes/no fields ``boolean``; everything else ``object`` holding ``str`` or ``None`` (as
:meth:`~xfaudit.model.Extract.from_frame`), so ``frame.routing == "交办"`` is a plain boolean
mask. An Excel error cell (``#N/A`` …) is unreadable whatever the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xfaudit import dates as _dates
from xfaudit.headers import KEY_FIELDS, Columns
from xfaudit.io.grid import Column, Grid, object_array, take
from xfaudit.model import (REJECTED_COLUMNS, SOURCE_ROW, UNREADABLE_COLUMNS,
                           UNREADABLE_PLACE_COLUMNS)

from xfaudit.schema import fields, normalise_values

#: Columns of the loader's unreadable-cells table.
UNREADABLE_TABLE = UNREADABLE_COLUMNS + UNREADABLE_PLACE_COLUMNS

#: A row without any key field and with at most this many filled cells is a footer or note.
FOOTER_MAX_CELLS = 2

#: Text that opens a footer or note line rather than a record.
_FOOTER_TEXT = re.compile(r"^\s*(合\s*计|总\s*计|小\s*计|制表|填表|审核|说明|备注|注[:：])")

REASON_REPEATED_HEADER = "重复的表头行"
REASON_NOT_A_RECORD = "不是信访件记录（合计/说明行）"


@dataclass
class Body:
    """The rows below the header, as factorised columns."""

    columns: list[Column]
    blank: np.ndarray                           # rows x columns: cell is empty
    numbers: np.ndarray                         # 1-based source row numbers
    read: np.ndarray                            # row is not fully empty
    empty_rows: int

    @classmethod
    def from_grid(cls, grid: Grid, header_index: int) -> Body:
        start = header_index + 1
        rows = grid.filled_down(start, len(grid.rows))
        width = max([len(grid.rows[header_index])] + [len(r) for r in rows])
        if any(len(r) != width for r in rows):
            rows = [list(r) + [None] * (width - len(r)) for r in rows]
        table = np.array(rows, dtype=object).reshape(len(rows), width)
        del rows
        columns = [Column.of(table[:, c]) for c in range(width)]
        numbers = (grid.numbers[start:] if grid.numbers is not None
                   else np.arange(start + 1, start + len(table) + 1, dtype="int64"))
        body = cls.from_columns(columns, numbers)
        if grid.sparse and len(body.numbers):
            # rows a sparse grid does not list are empty rows of the sheet
            listed = len(body.numbers)
            body.empty_rows += int(body.numbers[-1]) - grid.number(header_index) - listed
        return body

    @classmethod
    def from_columns(cls, columns: list[Column], numbers: np.ndarray) -> Body:
        """The body from its factorised columns and the source row number of each row."""
        n = len(numbers)
        blank = (np.column_stack([c.blank() for c in columns]) if columns
                 else np.ones((n, 0), dtype=bool))
        filled = ~blank.all(axis=1)
        # Trailing empty rows (formatting left below the data, blank lines ending a CSV) are
        # not rows of the ledger; empty rows inside the data are counted.
        last = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0
        read = filled[:last]
        return cls([c.head(last) for c in columns], blank[:last],
                   np.asarray(numbers[:last], dtype="int64"), read, int((~read).sum()))

    def filled_columns(self) -> set[int]:
        """Columns with at least one filled cell in a read row."""
        return {c for c in range(self.blank.shape[1]) if (~self.blank[self.read, c]).any()}


@dataclass
class Built:
    """The typed rows of one table and their accounting."""

    frame: pd.DataFrame                 # source_row, then the fields fed, in contract order
    unreadable: pd.DataFrame            # UNREADABLE_TABLE
    rejected: pd.DataFrame              # REJECTED_COLUMNS
    keep: np.ndarray                    # per body row: kept as a record


def build(body: Body, columns: Columns, window: _dates.DateWindow,
          rules: dict[str, dict[str, object]] | None = None, *, file: str = "",
          sheet: str | None = None) -> Built:
    """Reject non-records, convert the kept rows, collect unreadable cells.

    ``rules`` are the mapping file's value rules per field (folded raw value → canonical);
    ``file`` and ``sheet`` name where the cells are, in the unreadable table.
    """
    repeated = _repeated_header_rows(body, columns) & body.read
    footer = _footer_rows(body, columns) & body.read & ~repeated
    keep = body.read & ~repeated & ~footer
    rejected = _rejected_table(body.numbers, repeated, footer)

    data: dict[str, object] = {SOURCE_ROW: body.numbers[keep].astype("int64")}
    bad: dict[str, np.ndarray] = {}
    implausible: dict[str, np.ndarray] = {}
    dates = DateCache(window)           # the date columns of a ledger share most of their texts
    every = bool(keep.all())            # the usual case: no row to drop, no copy to make
    for name, spec in fields().items():
        if name not in columns.feeds:
            continue
        values, unreadable, far = convert(body.columns[columns.feeds[name]], spec.kind, dates,
                                          (rules or {}).get(name))
        data[name] = values if every else values[keep].reset_index(drop=True)
        if unreadable is not None:
            unreadable = unreadable if every else unreadable[keep]
            if unreadable.any():
                bad[name] = unreadable
                if far is not None:
                    implausible[name] = far if every else far[keep]
    # copy=False: one block per column, not one copy of the whole table to consolidate it
    frame = pd.DataFrame(data, copy=False)
    table = _unreadable_table(frame, body, columns, keep, bad, implausible, file, sheet)
    return Built(frame, table, rejected, keep)


def _repeated_header_rows(body: Body, columns: Columns) -> np.ndarray:
    """Rows that repeat the header's text (paginated exports) in at least half their cells."""
    n = len(body.numbers)
    matches = np.zeros(n, dtype="int64")
    for col in sorted(set(columns.feeds.values())):
        column = body.columns[col]
        same = np.equal(column.texts, columns.texts[col]) | np.equal(column.texts,
                                                                      columns.labels[col])
        matches += take(same, column.codes, False)
    filled = (~body.blank).sum(axis=1)
    return (matches >= 2) & (2 * matches >= filled)


def _footer_rows(body: Body, columns: Columns) -> np.ndarray:
    """Rows with no key field and at most FOOTER_MAX_CELLS filled cells (合计, 制表人…).

    When the id column comes first, a footer's 合计 sits in it: a key cell holding such a
    footer word does not count as a key.
    """
    has_key = np.zeros(len(body.numbers), dtype=bool)
    for col in {columns.feeds[k] for k in KEY_FIELDS if k in columns.feeds}:
        column = body.columns[col]
        real = np.fromiter((t is not None and not _FOOTER_TEXT.match(t) for t in column.texts),
                           dtype=bool, count=len(column.uniques))
        has_key |= take(real, column.codes, False)
    return ~has_key & ((~body.blank).sum(axis=1) <= FOOTER_MAX_CELLS)


def _rejected_table(numbers: np.ndarray, repeated: np.ndarray, footer: np.ndarray) -> pd.DataFrame:
    reasons = np.where(repeated, REASON_REPEATED_HEADER, REASON_NOT_A_RECORD)
    mask = repeated | footer
    return pd.DataFrame({"source_row": numbers[mask].astype("int64"),
                         "reason": reasons[mask].astype(object)}, columns=REJECTED_COLUMNS)


def empty_unreadable() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in UNREADABLE_TABLE}
                        ).astype({"source_row": "int64", "file_row": "int64"})


def _unreadable_table(frame: pd.DataFrame, body: Body, columns: Columns, keep: np.ndarray,
                      bad: dict[str, np.ndarray], implausible: dict[str, np.ndarray],
                      file: str, sheet: str | None) -> pd.DataFrame:
    parts = []
    for name, mask in bad.items():
        col = columns.feeds[name]
        column = body.columns[col]
        raw = np.append(column.texts, None)[column.codes[keep][mask]]
        case_id = frame["case_id"][mask] if "case_id" in frame else pd.Series([None] * mask.sum())
        far = implausible.get(name)
        reason = (np.where(far[mask], _dates.REASON_IMPLAUSIBLE, _dates.REASON_UNREADABLE)
                  if far is not None else _dates.REASON_UNREADABLE)
        rows = frame[SOURCE_ROW][mask].to_numpy()
        parts.append(pd.DataFrame({
            "source_row": rows, "case_id": case_id.to_numpy(dtype=object),
            "field": name, "header": columns.labels[col], "raw": raw, "reason": reason,
            "file": file, "sheet": sheet, "file_row": rows}))
    if not parts:
        return empty_unreadable()
    table = pd.concat(parts, ignore_index=True)
    return (table.sort_values("source_row", kind="stable").reset_index(drop=True)
            [UNREADABLE_TABLE])


# --------------------------------------------------------------------------------------------
# Cell conversion by field kind (on distinct values, then taken back to rows)
# --------------------------------------------------------------------------------------------

def convert(column: Column, kind: str, dates: DateCache | None = None,
            rules: dict[str, object] | None = None
            ) -> tuple[pd.Series, np.ndarray | None, np.ndarray | None]:
    """One column's rows converted for its field kind, the unreadable-cell mask and, for
    dates, the mask of cells read as a day outside the plausible window.

    ``dates`` caches date texts already read in other columns of the file; ``rules`` are the
    mapping file's value rules for the field (applied before the built-in vocabulary).
    """
    errors = column.errors
    if kind == "date":
        days, blank, far = (dates or DateCache(_dates.DateWindow.around())).parse(column.uniques)
        if errors.any():
            days = np.where(errors, np.datetime64("NaT", "ns"), days)
            far = far & ~errors
        values = take(days, column.codes, np.datetime64("NaT", "ns"))
        bad = take(~blank & np.isnat(days), column.codes, False)
        return (pd.Series(values, dtype="datetime64[ns]"), bad, take(far, column.codes, False))
    values, bad, dtype = _normalised(column, kind, rules or {})
    if errors.any():
        values = values.copy()
        values[errors] = None
        bad = bad | errors
    rows = take(values, column.codes, None)
    series = pd.Series(rows if dtype is object else pd.array(rows, dtype=dtype), dtype=dtype)
    return series, (take(bad, column.codes, False) if bad.any() else None), None


class DateCache:
    """:func:`xfaudit.dates.parse_unique` in one window, with texts read once for all the
    file's date columns; values other than ``str`` (real dates, serial numbers) are read per
    column."""

    def __init__(self, window: _dates.DateWindow):
        self.window = window
        self.texts: dict[str, tuple] = {}   # text -> (day, blank, implausible)

    def parse(self, uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        text = np.fromiter((isinstance(u, str) for u in uniques), dtype=bool,
                           count=len(uniques))
        if not text.any():
            return _dates.parse_unique(_plain(uniques), self.window)
        days = np.full(len(uniques), np.datetime64("NaT", "ns"))
        blank = np.zeros(len(uniques), dtype=bool)
        far = np.zeros(len(uniques), dtype=bool)
        if not text.all():
            days[~text], blank[~text], far[~text] = _dates.parse_unique(
                _plain(uniques[~text]), self.window)
        strings = uniques[text]
        new = [s for s in strings if s not in self.texts]
        if new:
            parsed = _dates.parse_unique(object_array(new), self.window)
            self.texts.update(zip(new, zip(parsed[0], parsed[1].tolist(), parsed[2].tolist(),
                                           strict=True), strict=True))
        found = [self.texts[s] for s in strings]
        days[text] = np.array([d for d, _, _ in found], dtype="datetime64[ns]")
        blank[text] = [b for _, b, _ in found]
        far[text] = [f for _, _, f in found]
        return days, blank, far


def _plain(uniques: np.ndarray) -> np.ndarray:
    """Error cells as their text (the date reader finds them unreadable, never blank)."""
    from xfaudit.io.grid import CellError

    if not any(isinstance(u, CellError) for u in uniques):
        return uniques
    return object_array(u.text if isinstance(u, CellError) else u for u in uniques)


def _normalised(column: Column, kind: str, rules: dict) -> tuple[np.ndarray, np.ndarray, object]:
    """The distinct values of a column read for its kind (:func:`schema.normalise_values`,
    the one reader shared with ``Extract.from_frame``), the mapping file's rules first."""
    result = normalise_values(kind, column.texts, rules, raw=column.uniques)
    return result.values, result.unreadable, result.dtype
