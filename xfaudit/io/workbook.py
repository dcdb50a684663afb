"""Workbook sheets as raw grids: python-calamine first, openpyxl or xlrd where it cannot.

Three things calamine alone does not give, and the loader needs:

* **Hidden sheets.** A sheet's visibility (visible, hidden, very hidden) is read with its name,
  so a hidden sheet is never taken for the ledger unless the user names it.
* **Excel error cells.** calamine reads ``#N/A``, ``#DIV/0!``, ``#REF!``, ``#VALUE!`` … as empty
  strings (python-calamine issue 105), which would make a formula gone wrong a blank. For
  xlsx the sheet's XML is scanned for error cells (``t="e"``); for xls, xlrd lists them. They
  reach the grid as :class:`~xfaudit.io.grid.CellError`.
* **A used range far larger than the data.** calamine allocates the bounding box of the cells
  that hold a value: one stray cell at XFD1048576 asks for 512 GiB and aborts the process. The
  same scan finds the last row and the columns that hold values; a sheet whose box would be
  too large is read row by row with openpyxl (read-only) into a sparse grid instead.

The scan decompresses the sheet's XML once, in slices, with a few byte searches per slice:
about a tenth of calamine's own reading time.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from xfaudit.errors import ExtractError
from xfaudit.io.grid import CellError, Grid
from xfaudit.io.sniff import MSG_ENCRYPTED, MSG_NOT_SPREADSHEET
from xfaudit.overlap import native_parse_begins

#: A sheet whose cells' bounding box holds more cells than this is read sparsely (calamine keeps
#: 32 bytes per cell of the box: 40 M cells ≈ 1.3 GB).
MAX_DENSE_CELLS = 40_000_000

#: A box this small is read by calamine whatever it holds.
_SMALL_BOX = 1_000_000
#: A box whose XML has at least this many bytes per cell of the box is mostly data.
_XML_BYTES_PER_CELL = 2

#: A cell reference with a three-letter column (AAA…XFD: beyond column 702, ZZ).
_FAR_CELL = re.compile(rb'r="[A-Z]{3}')
_WIDEST_TWO_LETTERS = 702
_MAX_COLUMNS = 16384
_DIMENSION = re.compile(rb'<dimension\s+ref="[A-Z]*\d*:?([A-Z]+)(\d+)"')
_ANY_CELL = re.compile(rb'<c r="([A-Z]+)\d+"[^>]*?(?<!/)>')
_ERROR_CELL = re.compile(rb"<c\b([^>]*?\bt=[\"']e[\"'][^>]*)>(.*?)</c>", re.DOTALL)
_ATTR_R = re.compile(rb"\br=[\"']([A-Z]+)(\d+)[\"']")
_VALUE = re.compile(rb"<v>([^<]*)</v>")
_ROW_R = re.compile(rb"<row\b[^>]*?\br=[\"'](\d+)[\"']")
_MERGE = re.compile(rb'<mergeCell\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_SLICE = 1 << 22

_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}


@dataclass(frozen=True)
class SheetInfo:
    """A worksheet's name and whether Excel shows it."""

    name: str
    hidden: bool = False


@dataclass
class SheetScan:
    """What the XML scan of one xlsx sheet found."""

    last_row: int = 0                       # 1-based number of the last row holding a value
    width: int = _WIDEST_TWO_LETTERS        # columns to the last one holding a value (a bound)
    errors: list = field(default_factory=list)   # (row0, col0, text)
    merged: list = field(default_factory=list)   # ((r0, c0), (r1, c1)), 0-based

    @property
    def cells(self) -> int:
        return self.last_row * self.width


def column_index(letters: bytes | str) -> int:
    """0-based column index of Excel column letters (A → 0, XFD → 16383)."""
    if isinstance(letters, bytes):
        letters = letters.decode("ascii")
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


class Book:
    """The worksheets of a workbook, read on demand.

    ``sheets`` lists every worksheet (chart and macro sheets left out) in workbook order.
    """

    def __init__(self, path: Path, data: bytes, fmt: str):
        self.path, self.data, self.fmt = path, data, fmt
        self._cache: dict[str, Grid] = {}
        self._calamine = None
        self._fallback = None
        self._parts: dict[str, str] = {}          # xlsx: sheet name -> XML part in the zip
        self.notes: list[str] = []
        if fmt == "xlsx":
            self._parts = self._xlsx_parts()
        try:
            import python_calamine

            self._calamine = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
            worksheet = python_calamine.SheetTypeEnum.WorkSheet
            visible = python_calamine.SheetVisibleEnum.Visible
            self.sheets = [SheetInfo(m.name, m.visible != visible)
                           for m in self._calamine.sheets_metadata if m.typ == worksheet]
        except _calamine_errors() as exc:
            self._raise_if_password(exc)
            self._calamine = None
            self.sheets = self._fallback_sheets(exc)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.sheets]

    def info(self, name: str) -> SheetInfo:
        return next(s for s in self.sheets if s.name == name)

    def grid(self, name: str) -> Grid:
        """All rows of a sheet (read once, then cached)."""
        if name not in self._cache:
            grid = self._read(name)
            grid.hidden = self.info(name).hidden
            self._cache[name] = grid
        return self._cache[name]

    # -- reading -------------------------------------------------------------------------
    def _read(self, name: str) -> Grid:
        scan = self._scan(name)
        errors = scan.errors if scan else self._xls_errors(name)
        if scan is not None and not self._dense_enough(name, scan):
            grid = self._read_sparse(name, scan)
        elif self._calamine is not None:
            try:
                native_parse_begins()
                sheet = self._calamine.get_sheet_by_name(name)
                grid = Grid(name, sheet.to_python(skip_empty_area=False),
                            merged=list(sheet.merged_cell_ranges or []))
            except _calamine_errors() as exc:
                self._raise_if_password(exc)
                grid = self._read_fallback(name, scan, exc)
        else:
            grid = self._read_fallback(name, scan, None)
        _put_errors(grid, errors)
        return grid

    def _dense_enough(self, name: str, scan: SheetScan) -> bool:
        """Whether calamine may read the sheet: the bounding box of its values is small, or
        its XML is large enough for the box to be mostly data (a few bytes per cell), or —
        counted cell by cell — the box is within :data:`MAX_DENSE_CELLS` and a quarter full."""
        with zipfile.ZipFile(io.BytesIO(self.data)) as package:
            size = package.getinfo(self._parts[name]).file_size
            if scan.cells <= MAX_DENSE_CELLS and (scan.cells <= _SMALL_BOX
                                                  or size >= _XML_BYTES_PER_CELL * scan.cells):
                return True
            with package.open(self._parts[name]) as xml:
                width, valued = count_cells(xml)
        area = scan.last_row * width
        return area <= MAX_DENSE_CELLS and 4 * valued >= area

    def _read_fallback(self, name: str, scan: SheetScan | None,
                       cause: Exception | None) -> Grid:
        if self.fmt == "xlsx":
            return self._read_sparse(name, scan or SheetScan(), cause)
        book = self._xlrd_book(cause)
        with warnings.catch_warnings():  # pandas marks xlrd deprecated; it is our backup
            warnings.filterwarnings("ignore", message=".*xlrd engine is deprecated")
            frame = pd.read_excel(book, sheet_name=name, header=None, dtype=object)
        return Grid(name, frame.to_numpy(dtype=object).tolist())

    def _read_sparse(self, name: str, scan: SheetScan, cause: Exception | None = None) -> Grid:
        """The sheet row by row (openpyxl, read-only): only rows and columns holding a value.

        Used where calamine cannot read the workbook, and for sheets whose used range is far
        larger than their data (memory grows with the cells that hold values, not the range).
        """
        import openpyxl

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")      # openpyxl's notes on unknown extensions
                book = openpyxl.load_workbook(io.BytesIO(self.data), read_only=True,
                                              data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, ElementTree.ParseError,
                TypeError) as exc:
            raise ExtractError(self.path, MSG_NOT_SPREADSHEET,
                               hint="请确认文件未损坏，或在 Excel 中打开后另存为 .xlsx。") from (cause or exc)
        try:
            sheet = book[name]
            sheet.reset_dimensions()            # never trust the declared used range
            kept, numbers, used = [], [], set()
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells = {c: v for c, v in enumerate(row) if v is not None and v != ""}
                if cells:
                    kept.append(cells)
                    numbers.append(number)
                    used.update(cells)
        finally:
            book.close()
        columns = sorted(used)
        rows = [[cells.get(c) for c in columns] for cells in kept]
        return Grid(name, rows, numbers=np.asarray(numbers, dtype="int64"),
                    columns=np.asarray(columns, dtype="int64"), merged=scan.merged, sparse=True)

    # -- sheet list without calamine -----------------------------------------------------
    def _fallback_sheets(self, cause: Exception) -> list[SheetInfo]:
        if self.fmt == "xlsx":
            if not self._parts:
                raise ExtractError(self.path, MSG_NOT_SPREADSHEET,
                                   hint="请确认文件未损坏，或在 Excel 中打开后另存为 .xlsx。") from cause
            return [SheetInfo(name, hidden) for name, hidden in self._states.items()]
        book = self._xlrd_book(cause)
        return [SheetInfo(s.name, s.visibility != 0) for s in book.book.sheets()]

    def _xlrd_book(self, cause: Exception | None) -> pd.ExcelFile:
        if self._fallback is None:
            import xlrd

            try:
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message=".*xlrd engine is deprecated")
                    self._fallback = pd.ExcelFile(io.BytesIO(self.data), engine="xlrd")
            except (xlrd.XLRDError, xlrd.compdoc.CompDocError, ValueError, KeyError,
                    IndexError, AssertionError, struct_error()) as exc:
                raise ExtractError(self.path, MSG_NOT_SPREADSHEET,
                                   hint="请确认文件未损坏，或在 Excel 中打开后另存为 .xlsx。"
                                   ) from (cause or exc)
        return self._fallback

    def _raise_if_password(self, exc: Exception) -> None:
        if type(exc).__name__ == "PasswordError" or "password" in str(exc).lower():
            raise ExtractError(self.path, MSG_ENCRYPTED) from exc

    # -- xlsx: the package's sheet parts and the XML scan --------------------------------
    def _xlsx_parts(self) -> dict[str, str]:
        """Sheet name → XML part, from workbook.xml and its relationships (also the sheets'
        visibility, kept in ``_states``); empty when the package cannot be read."""
        self._states: dict[str, bool] = {}
        try:
            with zipfile.ZipFile(io.BytesIO(self.data)) as package:
                book = ElementTree.fromstring(package.read("xl/workbook.xml"))
                rels = ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
        except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError, ValueError):
            return {}
        targets = {r.get("Id"): r.get("Target", "") for r in rels.findall("rel:Relationship", _NS)}
        parts = {}
        for sheet in book.iterfind("m:sheets/m:sheet", _NS):
            name = sheet.get("name")
            target = targets.get(sheet.get(f"{{{_NS['r']}}}id"), "")
            if not name or not target:
                continue
            part = (target.lstrip("/") if target.startswith("/")
                    else str(PurePosixPath("xl") / target))
            parts[name] = _normalise_part(part)
            self._states[name] = sheet.get("state", "visible") != "visible"
        return parts

    def _scan(self, name: str) -> SheetScan | None:
        """Scan an xlsx sheet's XML (None for xls, or when the part cannot be found)."""
        part = self._parts.get(name)
        if part is None:
            return None
        try:
            with zipfile.ZipFile(io.BytesIO(self.data)) as package, package.open(part) as xml:
                return scan_sheet_xml(xml)
        except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, zlib_error()):
            return None

    def _xls_errors(self, name: str) -> list[tuple[int, int, str]]:
        """Error cells of an xls sheet, from xlrd (calamine reads them as empty)."""
        if self.fmt != "xls":
            return []
        import xlrd

        try:
            book = xlrd.open_workbook(file_contents=self.data, on_demand=True)
            sheet = book.sheet_by_name(name)
        except (xlrd.XLRDError, xlrd.compdoc.CompDocError, ValueError, KeyError, IndexError,
                AssertionError, struct_error()):
            return []                 # a file only calamine reads: its error cells stay blank
        found = []
        for c in range(sheet.ncols):
            for r, kind in enumerate(sheet.col_types(c)):
                if kind == xlrd.XL_CELL_ERROR:
                    code = sheet.cell_value(r, c)
                    found.append((r, c, xlrd.error_text_from_code.get(code, "#错误")))
        return found


def scan_sheet_xml(xml) -> SheetScan:
    """One pass over a sheet's XML (a binary stream), slice by slice of whole rows.

    Finds the last row holding a value, the error cells, the merged ranges and a bound on the
    columns: the declared dimension's width when the rows agree with it and no cell lies
    beyond column ZZ, else ZZ (702), else (a cell beyond ZZ) the sheet's full width, which
    sends the caller to count the cells exactly.
    """
    scan, carry, first, declared, single, far = SheetScan(), b"", True, None, False, False
    while True:
        block = xml.read(_SLICE)
        buffer = carry + block
        if block:
            cut = buffer.rfind(b"</row>")
            if cut < 0:
                carry = buffer
                continue
            part, carry = buffer[:cut + 6], buffer[cut + 6:]
        else:
            part, carry = buffer, b""
        if first:
            dimension = _DIMENSION.search(part, 0, 65536)
            declared = ((int(dimension.group(2)), column_index(dimension.group(1)) + 1)
                        if dimension else None)
            single, first = b"r='" in part[:65536], False
        _scan_part(part, scan, single)
        far = far or _FAR_CELL.search(part) is not None
        if not block:
            _scan_merged(part, scan)            # <mergeCells> follows the rows
            break
    if far:
        scan.width = _MAX_COLUMNS
    elif declared and scan.last_row <= declared[0] and declared[1] <= _WIDEST_TWO_LETTERS:
        scan.width = declared[1]
    return scan


def _scan_part(part: bytes, scan: SheetScan, single_quotes: bool) -> None:
    if b't="e"' in part or (single_quotes and b"t='e'" in part):
        for match in _ERROR_CELL.finditer(part):
            ref, value = _ATTR_R.search(match.group(1)), _VALUE.search(match.group(2))
            if ref and value:
                scan.errors.append((int(ref.group(2)) - 1, column_index(ref.group(1)),
                                    value.group(1).decode("utf-8", "replace")))
    row = _last_valued_row(part)
    if row:
        scan.last_row = max(scan.last_row, row)


def _last_valued_row(part: bytes) -> int | None:
    """The number of the last row of ``part`` holding a value (a ``<v>`` or inline string):
    the last few rows are looked at one by one, then the whole part from its end."""
    end = len(part)
    for _ in range(64):
        start = part.rfind(b"<row ", 0, end)
        if start < 0:
            return None
        if part.find(b"</v>", start, end) >= 0 or part.find(b"</is>", start, end) >= 0:
            row = _ROW_R.match(part, start)
            return int(row.group(1)) if row else None
        end = start
    last = max(part.rfind(b"</v>", 0, end), part.rfind(b"</is>", 0, end))
    if last < 0:
        return None
    row = _ROW_R.match(part, max(part.rfind(b"<row ", 0, last), 0))
    return int(row.group(1)) if row else None


def _scan_merged(part: bytes, scan: SheetScan) -> None:
    if b"<mergeCell " in part:
        for m in _MERGE.finditer(part):
            r0, c0 = int(m.group(2)) - 1, column_index(m.group(1))
            r1, c1 = ((int(m.group(4)) - 1, column_index(m.group(3))) if m.group(3) else (r0, c0))
            scan.merged.append(((r0, c0), (r1, c1)))


def count_cells(xml) -> tuple[int, int]:
    """The right-most column holding a value and the number of cells holding one, by reading
    every cell reference (the slow path, for very large sheets only)."""
    width, valued, carry = 0, 0, b""
    while True:
        block = xml.read(_SLICE)
        buffer = carry + block
        cut = buffer.rfind(b"</row>") + 6 if block else len(buffer)
        part, carry = buffer[:cut], buffer[cut:]
        letters = _ANY_CELL.findall(part)
        valued += len(letters)
        if letters:
            width = max(width, max(column_index(x) for x in set(letters)) + 1)
        if not block:
            return width, valued


def _put_errors(grid: Grid, errors: list[tuple[int, int, str]]) -> None:
    """Replace the cells at the error positions by :class:`CellError` (calamine and openpyxl
    read them as empty text or as the error's text)."""
    for r0, c0, text in errors:
        r, c = grid.row_index(r0), grid.column_index(c0)
        if r is None or c is None:
            continue
        row = grid.rows[r]
        if c >= len(row):
            row = grid.rows[r] = list(row) + [None] * (c + 1 - len(row))
        elif not isinstance(row, list):
            row = grid.rows[r] = list(row)
        row[c] = CellError(text)


def _normalise_part(part: str) -> str:
    out: list[str] = []
    for piece in part.split("/"):
        if piece == "..":
            if out:
                out.pop()
        elif piece and piece != ".":
            out.append(piece)
    return "/".join(out)


def _calamine_errors() -> tuple[type[BaseException], ...]:
    """What calamine raises for a file it cannot read (its own errors, and a few builtins its
    bindings raise for malformed input)."""
    try:
        from python_calamine import CalamineError
    except ImportError:                                     # pragma: no cover
        return (ValueError, OSError)
    return (CalamineError, ValueError, OSError, UnicodeDecodeError)


def struct_error() -> type[BaseException]:
    import struct

    return struct.error


def zlib_error() -> type[BaseException]:
    import zlib

    return zlib.error


__all__ = ["Book", "SheetInfo", "SheetScan", "scan_sheet_xml", "column_index", "count_cells",
           "MAX_DENSE_CELLS"]
