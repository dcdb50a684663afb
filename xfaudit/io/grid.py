"""Raw cells as the readers hand them on: a sheet's rows (:class:`Grid`) or a factorised column
(:class:`Column`), and the one rule for showing a raw cell as text (:func:`cell_text`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from xlsxwriter.utility import xl_col_to_name

from xfaudit.schema import cell_text as schema_cell_text

@dataclass(frozen=True)
class CellError:
    """An Excel error value (``#N/A``, ``#DIV/0!``, ``#REF!`` …) where a cell should hold data.

    Not a ``str``: an error cell must never compare equal to the text ``"#N/A"`` typed by hand,
    and never read as a blank. Every field kind reads it as an unreadable cell.
    """

    text: str

    def __str__(self) -> str:
        return self.text

def object_array(values) -> np.ndarray:
    """A 1-d object array of ``values`` (never a 2-d array of tuples or lists)."""
    values = list(values)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out

def cell_text(value: object) -> str | None:
    """A raw cell as text, the way Excel shows it (:func:`xfaudit.schema.cell_text`); an error
    cell reads as its error text."""
    if isinstance(value, CellError):
        return value.text
    return schema_cell_text(value)

def label(cell: object) -> str:
    """A header cell as the user would name it: text, line breaks removed, '' when empty."""
    text = cell_text(cell)
    return re.sub(r"\s*[\r\n]+\s*", "", text) if text else ""

def column_letter(index: int) -> str:
    """Excel's letter of a 0-based column index (0 → A)."""
    return xl_col_to_name(index)

@dataclass
class Grid:
    """Raw cells of one sheet or table.

    ``rows[i]`` is the source row ``numbers[i]`` (1-based, as the user sees it); cell ``j`` of
    a row is the source column ``columns[j]`` (0-based). Readers that keep every row and column
    leave ``numbers``/``columns`` as None (the identity). A *sparse* grid (a workbook whose used
    range is far larger than its data) lists only the rows and columns that hold something:
    the rows it skips are empty rows of the sheet.
    """

    name: str | None
    rows: list[list]
    numbers: np.ndarray | None = None           # 1-based source row numbers; None: index + 1
    columns: np.ndarray | None = None           # 0-based source column numbers; None: position
    merged: list = field(default_factory=list)  # ((r0, c0), (r1, c1)): source, 0-based, inclusive
    sparse: bool = False                        # rows not listed are empty rows of the sheet
    hidden: bool = False                        # a hidden or very hidden sheet

    def number(self, index: int) -> int:
        """The 1-based source row number of ``rows[index]``."""
        return int(self.numbers[index]) if self.numbers is not None else index + 1

    def letter(self, position: int) -> str:
        """Excel's column letter of cell ``position`` of a row."""
        return column_letter(int(self.columns[position]) if self.columns is not None
                             else position)

    def is_empty(self) -> bool:
        return not any(label(cell) for row in self.rows for cell in row)

    def filled_down(self, start: int, stop: int) -> list[list]:
        """``rows[start:stop]`` with each vertically merged cell's value copied into the empty
        cells it covers below.

        A two-level header merges 信访件编号 over two rows while the second row holds the
        sub-headers; a hand-kept ledger merges one 责任单位 over the rows of its items. Excel
        shows the value on every covered row, and so does the loader. Only the merge's first
        column is filled (its other columns have no value of their own); ``rows`` is not
        modified.
        """
        out = list(self.rows[start:stop])
        for (r0, c0), (r1, _c1) in self.merged:
            if r1 <= r0:
                continue
            top, bottom = self.row_index(r0), self.row_index(r1, last=True)
            col = self.column_index(c0)
            if top is None or col is None or bottom is None:
                continue
            top -= start
            if not 0 <= top < len(out) or col >= len(out[top]):
                continue
            value = out[top][col]
            for r in range(top + 1, min(bottom - start, len(out) - 1) + 1):
                if col < len(out[r]) and cell_text(out[r][col]) is None:
                    out[r] = list(out[r])
                    out[r][col] = value
        return out

    def row_index(self, source: int, last: bool = False) -> int | None:
        """The index in ``rows`` of 0-based source row ``source``; with ``last``, of the last
        listed row at or before it (a sparse grid does not list empty rows)."""
        if self.numbers is None:
            return source
        at = int(np.searchsorted(self.numbers, source + 1, side="right")) - 1
        if at < 0 or (not last and self.numbers[at] != source + 1):
            return None
        return at

    def column_index(self, source: int) -> int | None:
        if self.columns is None:
            return source
        at = int(np.searchsorted(self.columns, source))
        return at if at < len(self.columns) and self.columns[at] == source else None

def take(per_unique: np.ndarray, codes: np.ndarray, na_value: object) -> np.ndarray:
    """Per-unique values → per-row values (code -1, the NA sentinel, gets ``na_value``)."""
    return np.append(per_unique, np.array([na_value], dtype=per_unique.dtype))[codes]

@dataclass
class Column:
    """One source column below the header, factorised: each distinct value is handled once."""

    codes: np.ndarray                  # per row: index into ``uniques``; -1 for NA
    uniques: np.ndarray                # distinct raw values (object)
    _texts: np.ndarray | None = None
    _errors: np.ndarray | None = None

    @classmethod
    def of(cls, values: np.ndarray) -> Column:
        """Factorise raw cell values (an object array)."""
        return cls(*pd.factorize(values, use_na_sentinel=True))

    @property
    def all_strings(self) -> bool:
        return pd.api.types.infer_dtype(self.uniques, skipna=False) == "string"

    @property
    def texts(self) -> np.ndarray:
        """The distinct values as display text (``None`` when empty), computed once."""
        if self._texts is None:
            if self.all_strings:
                # all str (every CSV cell): cell_text is a strip, done without the checks
                self._texts = object_array([u.strip() or None for u in self.uniques])
            else:
                self._texts = object_array(cell_text(u) for u in self.uniques)
        return self._texts

    @property
    def errors(self) -> np.ndarray:
        """Per distinct value: an Excel error cell."""
        if self._errors is None:
            self._errors = (np.zeros(len(self.uniques), dtype=bool) if self.all_strings else
                            np.fromiter((isinstance(u, CellError) for u in self.uniques),
                                        dtype=bool, count=len(self.uniques)))
        return self._errors

    def blank(self) -> np.ndarray:
        """Per row: the cell is empty (NA, or only whitespace)."""
        return take(np.equal(self.texts, None), self.codes, True)

    def head(self, n: int) -> Column:
        return Column(self.codes[:n], self.uniques, self._texts, self._errors)

    def subset(self, rows: np.ndarray) -> Column:
        """The column restricted to ``rows`` (a boolean mask or positions)."""
        return Column(self.codes[rows], self.uniques, self._texts, self._errors)
