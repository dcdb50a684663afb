"""Fast .xlsx writing of table sheets: xlsxwriter lays out the sheets, numpy renders the rows.

Writing cell by cell through xlsxwriter costs about 12 µs a cell; a findings workbook or a
100k-row ledger has millions of cells. Here xlsxwriter builds a *skeleton* package — styles,
properties, the rows above and below each table, the header row, column widths, freeze panes,
autofilter, page setup — and the data rows' XML is rendered column by column with numpy and
pandas string operations (each distinct value of a column once), then streamed into each
sheet's XML in blocks of :data:`BLOCK_ROWS` rows, so that a sheet's XML never exists whole in
memory. Sheets that show rows of one table with the same columns (the findings in 全部问题, per
check and per unit) render each row's XML once, its row number left open, and only number it
per sheet (up to :data:`ROW_CACHE_BYTES` of rows). The zip is written with fixed timestamps, so the same input gives the same bytes.
This is a helper of the writers (the findings workbook, the synthetic ledger), not a report
writer: its :func:`write` takes sheets, not an audit result.

What a cell holds (per :class:`Column` kind, or per cell with :attr:`Sheet.cell_kinds`):

``text``, ``wrap``
    Always text (inline strings): a value such as ``=HYPERLINK("x")`` or ``007`` stays text and
    is never a formula or a number. Markup characters are escaped, characters XML forbids
    (controls other than tab/newline/CR, U+FFFE, U+FFFF) are dropped, a literal ``_xHHHH_`` is
    escaped as Excel expects (``_x005F_xHHHH_``; Excel, LibreOffice and calamine show the
    original, openpyxl shows the escape), text longer than Excel's 32,767 characters is cut.
    ``wrap`` also sets the wrap-text style. Non-string values are written as ``str(value)``.
``date``
    A real Excel date (serial number) with the ``yyyy-mm-dd`` format; values are anything
    ``pd.to_datetime`` reads (``datetime64``, ``Timestamp``, ``NaT``). A time of day is kept as
    the fraction; time zones are dropped (local wall time). Dates before 1900-03-01 (outside
    Excel's reliable range) are written as ISO text.
``int``, ``number``
    Numbers (anything ``pd.to_numeric`` reads); ``int`` rounds to an integer. Non-finite
    values are left blank.

Blank cells (``None``, ``NaN``, ``NaT``, ``pd.NA``, empty text) are left out.

Example
-------
>>> sheet = Sheet("问题", frame, [Column("case_id", "信访件编号", width=18),
...                               Column("last_day", "期限届满日", kind="date")],
...               above=[Line("问题清单", {"bold": True, "font_size": 14})])
>>> write("out.xlsx", [sheet], title="问题清单", created=dt.datetime(2026, 10, 31))
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

#: Kinds of column (and of cell).
KINDS = ("text", "wrap", "date", "int", "number")

#: Style of each kind's cells (xlsxwriter format properties), under a column's own style.
KIND_STYLES: dict[str, dict] = {
    "text": {}, "wrap": {"text_wrap": True}, "date": {"num_format": "yyyy-mm-dd"},
    "int": {}, "number": {}}

#: Style of the header row, under a sheet's ``header_style``.
HEADER_STYLE = {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}

#: Excel's limits.
MAX_ROWS, MAX_COLUMNS, MAX_TEXT = 1_048_576, 16_384, 32_767

#: From this many data rows in the workbook the zip favours speed (level 1) over size (6).
FAST_ZIP_ROWS = 20_000

#: Data rows rendered, encoded and compressed at a time (bounds the memory of large sheets).
BLOCK_ROWS = 20_000

#: At most this many bytes of rows' XML are kept for sheets sharing a table (see
#: :class:`_RowCache`); a larger table is rendered again for each sheet.
ROW_CACHE_BYTES = 256 * 2**20

#: Stands for the row number in a kept row's XML: a control character :func:`xml_text` drops
#: from every text, so it occurs nowhere else in a row.
_NUMBER = "\x01"

#: Timestamp of every zip member: same input, same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_FIRST_SAFE_DAY = np.datetime64("1900-03-01", "D")     # Excel's serials go wrong before it
_NS_PER_DAY = 86_400 * 10**9

#: Anything that makes a text cell need more than plain copying (checked in one pass).
_SPECIAL = ("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_"
            "|^[ \t\r\n]|[ \t\r\n]$")
_ILLEGAL = "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"
_EDGE_SPACE = "^[ \t\r\n]|[ \t\r\n]$"


@dataclass(frozen=True)
class Column:
    """One column of a table sheet.

    Parameters
    ----------
    name : str
        Column of the sheet's DataFrame; a name absent from it gives an empty column.
    header : str, optional
        Header cell text (default: ``name``).
    kind : str
        One of :data:`KINDS`.
    width : float
        Width in characters.
    style : mapping, optional
        Extra xlsxwriter format properties of the column's cells (e.g. ``{"num_format":
        "0"}``, ``{"font_color": "#C00000"}``), over the workbook's base style and
        :data:`KIND_STYLES`. The column's own-kind style is also the column's default style.
    """

    name: str
    header: str | None = None
    kind: str = "text"
    width: float = 12
    style: Mapping | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name!r}: kind must be one of {KINDS}, "
                             f"not {self.kind!r}")


@dataclass(frozen=True)
class Line:
    """A row of text above or below a table: a title, a note, a banner, or a blank row.

    Parameters
    ----------
    text : str
        Written in the first column, always as text; empty: a blank row.
    style : mapping, optional
        xlsxwriter format properties (over the workbook's base style).
    merge : bool
        Merge the row across the table's width (e.g. a centred title or banner).
    height : float, optional
        Row height in points.
    """

    text: str = ""
    style: Mapping | None = None
    merge: bool = False
    height: float | None = None


@dataclass(eq=False)
class Sheet:
    """A sheet holding one table: lines above, header row, data rows, lines below.

    Parameters
    ----------
    name : str
        Sheet name (Excel's rules: ≤ 31 characters, none of ``[]:*?/\\``, unique).
    data : pandas.DataFrame
        The rows; only the columns named in ``columns`` are written.
    columns : sequence of Column, optional
        Default: every column of ``data`` as ``text`` under its own name.
    above, below : sequence of Line
        Rows above the header (row 1 onwards) and right after the last data row.
    header_style : mapping, optional
        Extra format properties of the header cells, over :data:`HEADER_STYLE`.
    header_height : float, optional
        Header row height in points.
    freeze_columns : int
        Columns frozen at the left; rows are always frozen below the header.
    autofilter : bool
        Autofilter over the header and the data rows.
    cell_kinds : mapping of str to array, optional
        Per-cell kinds of some columns (column name → array of :data:`KINDS` names, ``None``
        for blank, one per row), overriding the column's kind: a ledger column may mix real
        dates, serial numbers and text dates. Each cell then has the style of its own kind.
    setup : callable, optional
        Called with the xlsxwriter worksheet to add page setup (``set_header``,
        ``set_footer``, ``set_landscape``, ``repeat_rows``, ``set_tab_color``, …). It must not
        write cells.
    rows : array of int, optional
        Write only these rows of ``data`` (positions), in this order. Sheets of one workbook
        that show rows of the same ``data`` object render each column once (e.g. one sheet
        per unit cut from the all-findings table).
    """

    name: str
    data: pd.DataFrame
    columns: Sequence[Column] | None = None
    above: Sequence[Line] = ()
    below: Sequence[Line] = ()
    header_style: Mapping | None = None
    header_height: float | None = None
    freeze_columns: int = 0
    autofilter: bool = True
    cell_kinds: Mapping[str, np.ndarray] | None = None
    setup: Callable | None = None
    rows: np.ndarray | None = None
    _columns: list[Column] = field(init=False, repr=False)

    def __post_init__(self):
        self._columns = list(self.columns if self.columns is not None
                             else [Column(str(c)) for c in self.data.columns])
        if not self._columns:
            raise ValueError(f"sheet {self.name!r} has no column")
        if len(self._columns) > MAX_COLUMNS or self.last_row >= MAX_ROWS:
            raise ValueError(f"sheet {self.name!r} exceeds Excel's {MAX_ROWS} rows or "
                             f"{MAX_COLUMNS} columns")

    @property
    def header_row(self) -> int:
        """0-based row of the header."""
        return len(self.above)

    @property
    def positions(self) -> np.ndarray | None:
        """Positions of the written rows in ``data`` (None: all, in order)."""
        return None if self.rows is None else np.asarray(self.rows, dtype=np.intp)

    @property
    def n_rows(self) -> int:
        """Number of data rows written."""
        return len(self.data) if self.rows is None else len(self.rows)

    @property
    def last_row(self) -> int:
        """0-based row of the last data row (the header's when there is no data)."""
        return self.header_row + self.n_rows


def column_letter(i: int) -> str:
    """Excel letters of the 0-based column ``i`` (0 → ``A``, 26 → ``AA``)."""
    return xl_col_to_name(i)


def write(path: str | Path, sheets: Sequence[Sheet], *, title: str | None = None,
          author: str | None = None, created: dt.datetime | pd.Timestamp | None = None,
          properties: Mapping | None = None, base_style: Mapping | None = None,
          compresslevel: int | None = None) -> Path:
    """Write a workbook of table sheets.

    Parameters
    ----------
    path : str or pathlib.Path
        The .xlsx to write (replaced if it exists).
    sheets : sequence of Sheet
        In tab order; the first is the active one.
    title, author : str, optional
        Document properties.
    created : datetime, optional
        Creation time in the properties. Give it for byte-reproducible output (default: now).
    properties : mapping, optional
        Other xlsxwriter document properties (``subject``, ``comments``, ``keywords``, …).
    base_style : mapping, optional
        Format properties under every styled cell (e.g. ``{"font_name": "等线",
        "font_size": 10}``).
    compresslevel : int, optional
        Deflate level; default 1 from :data:`FAST_ZIP_ROWS` data rows, else 6.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    sheets = list(sheets)
    props = {k: v for k, v in {"title": title, "author": author}.items() if v is not None}
    props.update(properties or {})
    if created is not None:
        props["created"] = pd.Timestamp(created).to_pydatetime()
    skeleton, xfs = _skeleton(sheets, props, dict(base_style or {}))
    rows = sum(s.n_rows for s in sheets)
    level = compresslevel if compresslevel is not None else 1 if rows >= FAST_ZIP_ROWS else 6
    bodies = {f"xl/worksheets/sheet{i}.xml": (sheet, sheet_xfs)
              for i, (sheet, sheet_xfs) in enumerate(zip(sheets, xfs), start=1)}
    cache = _BodyCache(sheets), _RowCache(sheets)
    with zipfile.ZipFile(io.BytesIO(skeleton)) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            member = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            if info.filename in bodies:
                sheet, sheet_xfs = bodies[info.filename]
                _write_sheet(dst, member, level, body.decode("utf-8"), sheet, sheet_xfs, cache)
            else:
                dst.writestr(member, body, compress_type=zipfile.ZIP_DEFLATED,
                             compresslevel=level)
    return path


def _write_sheet(dst: zipfile.ZipFile, member: zipfile.ZipInfo, level: int, xml: str,
                 sheet: Sheet, xfs: list[dict[str, int]],
                 cache: tuple[_BodyCache, _RowCache]) -> None:
    """Stream one sheet into the zip: the skeleton's XML around its data rows, rendered and
    compressed :data:`BLOCK_ROWS` rows at a time (the sheet's XML never exists whole)."""
    head, tail = (part.encode("utf-8") for part in _split(xml, sheet))
    columns, kept = cache
    rendered = _rendered(sheet, xfs, columns)
    member.compress_type = zipfile.ZIP_DEFLATED
    # what ZipFile.writestr sets (``compress_level`` from Python 3.13, ``_compresslevel`` before)
    setattr(member, "compress_level" if hasattr(member, "compress_level") else "_compresslevel",
            level)
    # ZipFile.open, like writestr, uses Zip64 headers when file_size * 1.05 > ZIP64_LIMIT
    # (file_size 0: never). Give it the exact size when a quick bound cannot rule that out.
    if (len(head) + len(tail) + 4 * _chars_bound(sheet, rendered)) * 1.05 > zipfile.ZIP64_LIMIT:
        member.file_size = len(head) + len(tail) + sum(
            len(block) for block in _encoded_blocks(sheet, rendered, kept))
    # zlib and the file write release the GIL: block n is compressed in a second thread while
    # block n + 1 is rendered (one block in flight, so memory stays bounded)
    with dst.open(member, "w") as out, ThreadPoolExecutor(1) as compressor:
        pending = compressor.submit(out.write, head)
        for data in _encoded_blocks(sheet, rendered, kept):
            pending.result()
            pending = compressor.submit(out.write, data)
        pending.result()
        out.write(tail)


def _chars_bound(sheet: Sheet, rendered: list[tuple[str, _Bodies]]) -> int:
    """At least the number of characters of a sheet's data rows."""
    digits = len(str(sheet.last_row + 1))
    per_row = len('<row r=""></row>') + digits + sum(
        len('<c r="') + len(letter) + digits + bodies.longest for letter, bodies in rendered)
    return sheet.n_rows * per_row


# ---------------------------------------------------------------------------------------------
# The skeleton: everything but the data rows, from xlsxwriter
# ---------------------------------------------------------------------------------------------

class _Styles:
    """xlsxwriter formats by their properties, one per distinct set (None: no style)."""

    def __init__(self, book: xlsxwriter.Workbook, base: dict):
        self.book, self.base, self.cache = book, base, {}

    def get(self, *layers: Mapping | None):
        props = dict(self.base)
        for layer in layers:
            props.update(layer or {})
        if not props:
            return None
        key = tuple(sorted(props.items(), key=lambda kv: kv[0]))
        if key not in self.cache:
            self.cache[key] = self.book.add_format(props)
        return self.cache[key]

    @staticmethod
    def index(fmt) -> int:
        """The style id of a format, registering it now (data cells never pass xlsxwriter)."""
        # xlsxwriter numbers formats when a cell using them is written; the data cells are
        # rendered here, so ask for the id (Format._get_xf_index, stable since xlsxwriter 0.x).
        return 0 if fmt is None else fmt._get_xf_index()


def _cell_kinds(sheet: Sheet, column: Column) -> list[str]:
    """Kinds the cells of a column have: its own first, then any per-cell kinds."""
    kinds = [column.kind]
    given = (sheet.cell_kinds or {}).get(column.name)
    if given is not None:
        present = pd.unique(np.asarray(given, dtype=object))
        kinds += [k for k in present if not pd.isna(k) and k != column.kind]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"column {column.name!r}: unknown cell kinds {sorted(unknown)}")
    return kinds


def _column_xfs(sheet: Sheet, styles: _Styles) -> list[dict[str, int]]:
    """Style id per kind of each column's cells, registered in column order."""
    out = []
    for column in sheet._columns:
        out.append({kind: styles.index(styles.get(KIND_STYLES[kind], column.style))
                    for kind in _cell_kinds(sheet, column)})
    return out


def _lines(ws, styles: _Styles, lines: Sequence[Line], first: int, width: int) -> None:
    for row, line in enumerate(lines, start=first):
        fmt = styles.get(line.style)
        if line.merge and width > 1:
            ws.merge_range(row, 0, row, width - 1, line.text, fmt)
        elif line.text:
            ws.write_string(row, 0, line.text, fmt)
        if line.height is not None:
            ws.set_row(row, line.height)


def _layout(book: xlsxwriter.Workbook, styles: _Styles, sheet: Sheet) -> list[dict[str, int]]:
    """Add one sheet's skeleton; return the style ids of its data cells."""
    ws = book.add_worksheet(sheet.name)
    columns, top = sheet._columns, sheet.header_row
    xfs = _column_xfs(sheet, styles)
    _lines(ws, styles, sheet.above, 0, len(columns))
    header = styles.get(HEADER_STYLE, sheet.header_style)
    for i, column in enumerate(columns):
        ws.write_string(top, i, column.header if column.header is not None else column.name,
                        header)
        ws.set_column(i, i, column.width, styles.get(KIND_STYLES[column.kind], column.style))
    if sheet.header_height is not None:
        ws.set_row(top, sheet.header_height)
    _lines(ws, styles, sheet.below, sheet.last_row + 1, len(columns))
    ws.freeze_panes(top + 1, sheet.freeze_columns)
    if sheet.autofilter:
        ws.autofilter(top, 0, top + max(sheet.n_rows, 1), len(columns) - 1)
    if sheet.setup is not None:
        sheet.setup(ws)
    return xfs


def _skeleton(sheets: list[Sheet], props: dict,
              base: dict) -> tuple[bytes, list[list[dict[str, int]]]]:
    """The package from xlsxwriter without data rows, and the data cells' style ids."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    if props:
        book.set_properties(props)
    styles = _Styles(book, base)
    xfs = [_layout(book, styles, sheet) for sheet in sheets]
    book.close()
    return buf.getvalue(), xfs


# ---------------------------------------------------------------------------------------------
# The data rows, rendered column-wise
# ---------------------------------------------------------------------------------------------

def xml_text(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Strings made safe inside ``<t>``, and which ones need ``xml:space="preserve"``.

    Parameters
    ----------
    values : pandas.Series or numpy.ndarray
        Strings (a string Series, or an object array of ``str``), none missing.

    Returns
    -------
    text : numpy.ndarray
        Object array: cut at :data:`MAX_TEXT` characters, markup escaped, XML-illegal
        characters dropped, literal ``_xHHHH_`` escaped.
    preserve : numpy.ndarray
        Boolean: leading or trailing whitespace.
    """
    s = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    text = s.to_numpy(object)
    if not isinstance(s.dtype, pd.StringDtype):
        s = s.astype(str)                    # Arrow-backed when pyarrow is present: fast regex
    special = (s.str.contains(_SPECIAL, regex=True) | (s.str.len() > MAX_TEXT)).to_numpy(bool)
    preserve = np.zeros(len(text), dtype=bool)
    if not special.any():
        return text, preserve
    fixed = (s[special].str.slice(0, MAX_TEXT).str.replace(_ILLEGAL, "", regex=True)
             .str.replace("&", "&amp;").str.replace("<", "&lt;").str.replace(">", "&gt;")
             .str.replace(r"(_x[0-9A-Fa-f]{4}_)", r"_x005F\1", regex=True))
    text = text.copy()
    text[special] = fixed.to_numpy(object)
    preserve[special] = fixed.str.contains(_EDGE_SPACE, regex=True).to_numpy(bool)
    return text, preserve


def _as_text(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(present, text) of text cells: ``str`` of every value but blanks and empty text."""
    present = values.notna().to_numpy(bool, copy=True)
    text = values[present]
    if not isinstance(text.dtype, pd.StringDtype) and \
            pd.api.types.infer_dtype(text, skipna=False) != "string":
        text = text.astype(str)
    keep = (text != "").to_numpy(bool)
    present[np.flatnonzero(present)[~keep]] = False
    return present, text[keep]


def _as_date(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(present, serial number text, too-early mask) of date cells."""
    when = pd.to_datetime(values)
    if getattr(when.dt, "tz", None) is not None:
        when = when.dt.tz_localize(None)
    present = when.notna().to_numpy(bool, copy=True)
    stamps = when[present].to_numpy("datetime64[ns]")
    days = stamps.astype("datetime64[D]")
    early = days < _FIRST_SAFE_DAY
    serial = (days - _EXCEL_EPOCH).astype(np.int64)
    text = serial.astype(str).astype(object)
    rest = (stamps - days).astype(np.int64)
    timed = rest != 0
    if timed.any():
        text[timed] = (serial[timed] + rest[timed] / _NS_PER_DAY).astype(str)
    if early.any():
        text[early] = pd.Series(np.datetime_as_string(stamps[early], unit="s")).str.replace(
            "T00:00:00", "").to_numpy(object)
    return present, text, early


def _as_number(values: pd.Series, integer: bool) -> tuple[np.ndarray, np.ndarray]:
    """(present, number text) of numeric cells; non-finite values are blank."""
    number = pd.to_numeric(values)
    floats = number.to_numpy("float64", na_value=np.nan)
    present = np.isfinite(floats)
    if pd.api.types.is_integer_dtype(number.dtype):
        return present, number[present].to_numpy(np.int64).astype(str).astype(object)
    floats = np.round(floats[present]) if integer else floats[present]
    whole = (floats == np.round(floats)) & (np.abs(floats) < 2.0**53)  # exact as int64
    text = np.empty(len(floats), dtype=object)
    text[whole] = floats[whole].astype(np.int64).astype(str)
    text[~whole] = floats[~whole].astype(str)
    return present, text


class _Bodies:
    """One column's cells without their reference: ``" s="3"><v>46000</v></c>`` ("": blank)."""

    def __init__(self, n: int):
        self.out = np.full(n, "", dtype=object)
        self.present = np.zeros(n, dtype=bool)
        self._longest: int | None = None

    @property
    def longest(self) -> int:
        """Characters of the longest cell body."""
        if self._longest is None:
            self._longest = max(map(len, self.out), default=0)
        return self._longest

    def put(self, rows: np.ndarray, kind: str, xf: int, values: pd.Series) -> None:
        """Render ``values`` (the cells at ``rows``) as ``kind`` with style id ``xf``."""
        style = f' s="{xf}"' if xf else ""
        if kind in ("text", "wrap"):
            present, text = _as_text(values)
            self._strings(rows[present], style, text)
        elif kind == "date":
            present, text, early = _as_date(values)
            rows = rows[present]
            self._numbers(rows[~early], style, text[~early])
            self._strings(rows[early], style, text[early])
        else:
            present, text = _as_number(values, integer=kind == "int")
            self._numbers(rows[present], style, text)

    def _numbers(self, rows: np.ndarray, style: str, text: np.ndarray) -> None:
        if len(rows):
            self.out[rows] = f'"{style}><v>' + text + "</v></c>"
            self.present[rows] = True

    def _strings(self, rows: np.ndarray, style: str, text: pd.Series | np.ndarray) -> None:
        if not len(rows):
            return
        self.present[rows] = True
        text, preserve = xml_text(text)
        self.out[rows] = f'"{style} t="inlineStr"><is><t>' + text + "</t></is></c>"
        if preserve.any():
            self.out[rows[preserve]] = (f'"{style} t="inlineStr"><is><t xml:space="preserve">'
                                        + text[preserve] + "</t></is></c>")


def _bodies(sheet: Sheet, column: Column, xfs: dict[str, int]) -> _Bodies:
    """Cell bodies of one column for every row of the sheet's data."""
    values = sheet.data[column.name].reset_index(drop=True)
    bodies = _Bodies(len(values))
    kinds = (sheet.cell_kinds or {}).get(column.name)
    if kinds is None:
        distinct = _distinct(values)
        if distinct is None:
            bodies.put(np.arange(len(values)), column.kind, xfs[column.kind], values)
        else:                                   # each distinct value rendered once, shared
            codes, uniques = distinct
            once = _Bodies(len(uniques))
            once.put(np.arange(len(uniques)), column.kind, xfs[column.kind], uniques)
            bodies.out = np.append(once.out, "")[codes]
            bodies.present = np.append(once.present, False)[codes]
        return bodies
    codes, names = pd.factorize(pd.Series(kinds, dtype=object))   # NA kinds: code -1, blank
    for code, kind in enumerate(names):
        rows = np.flatnonzero(codes == code)
        bodies.put(rows, kind, xfs[kind], values.iloc[rows])
    return bodies


def _distinct(values: pd.Series) -> tuple[np.ndarray, pd.Series] | None:
    """(codes, distinct values) when a column repeats its values enough to render each once.

    Only for values that factorise without merging what renders differently: text, dates,
    integers and booleans (an object column mixing ``1``, ``1.0`` and ``True`` would merge
    them, so mixed columns are rendered cell by cell).
    """
    dtype = values.dtype
    if not (isinstance(dtype, pd.StringDtype) or dtype.kind in "mMiub"
            or (dtype == object and pd.api.types.infer_dtype(values, skipna=True) == "string")):
        return None
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if 2 * len(uniques) > len(values):
        return None
    return codes, pd.Series(uniques, dtype=dtype)


def _shared_tables(sheets: Sequence[Sheet]) -> set[int]:
    """``id`` of each DataFrame that more than one of ``sheets`` shows."""
    uses = Counter(id(s.data) for s in sheets)
    return {i for i, n in uses.items() if n > 1}


class _BodyCache:
    """Rendered columns, kept for sheets showing rows of the same DataFrame (one write)."""

    def __init__(self, sheets: Sequence[Sheet] = ()):
        self.shared = _shared_tables(sheets)
        self.store: dict[tuple, _Bodies] = {}

    def get(self, sheet: Sheet, column: Column, xfs: dict[str, int]) -> _Bodies:
        """The cell bodies of a column over all rows of ``sheet.data``."""
        kinds = (sheet.cell_kinds or {}).get(column.name)
        key = (id(sheet.data), column.name, column.kind, id(kinds),
               tuple(sorted(xfs.items())))
        if key in self.store:
            return self.store[key]
        bodies = _bodies(sheet, column, xfs)
        if id(sheet.data) in self.shared:
            self.store[key] = bodies
        return bodies


def _sheet_rows(sheet: Sheet, xfs: list[dict[str, int]], cache: _BodyCache | None = None) -> str:
    """``<row>`` elements of a sheet's data rows, rendered column by column.

    Parameters
    ----------
    sheet : Sheet
    xfs : list of dict
        Per column, the style id of each cell kind (0: no style).
    cache : optional
        Rendered columns to reuse across sheets of one workbook.

    Returns
    -------
    str
        XML to place inside ``<sheetData>`` after the header row.
    """
    return "".join(_row_blocks(sheet, _rendered(sheet, xfs, cache or _BodyCache())))


def _rendered(sheet: Sheet, xfs: list[dict[str, int]],
              cache: _BodyCache) -> list[tuple[str, _Bodies]]:
    """(column letter, cell bodies) of each written column of a sheet (none if no rows)."""
    if sheet.n_rows == 0:
        return []
    return [(column_letter(i), cache.get(sheet, column, col_xfs))
            for i, (column, col_xfs) in enumerate(zip(sheet._columns, xfs))
            if column.name in sheet.data.columns]


def _row_blocks(sheet: Sheet, rendered: list[tuple[str, _Bodies]],
                size: int | None = None) -> Iterator[str]:
    """The ``<row>`` elements of :func:`_sheet_rows`, ``size`` rows at a time (default
    :data:`BLOCK_ROWS`, read when called)."""
    size = size or BLOCK_ROWS
    n = sheet.n_rows
    positions = sheet.positions
    for first in range(0, n, size):
        stop = min(n, first + size)
        taken = slice(first, stop) if positions is None else positions[first:stop]
        rownum = (np.arange(first, stop) + sheet.header_row + 2).astype(str).astype(object)
        yield "".join(_row_texts(rendered, taken, rownum))


def _row_texts(rendered: list[tuple[str, _Bodies]], taken: slice | np.ndarray,
               rownum: np.ndarray) -> Iterator[str]:
    """Each ``<row>`` element of the data rows at ``taken``, numbered ``rownum`` (text)."""
    n = len(rownum)
    pieces = []                     # per cell '<c r="B' + '17' + body, or three '' when blank
    for letter, bodies in rendered:
        here = bodies.present[taken]
        ref = np.full(n, "", dtype=object)
        ref[here] = '<c r="' + letter
        number = np.full(n, "", dtype=object)
        number[here] = rownum[here]
        pieces += [ref, number, bodies.out[taken]]       # a blank cell's body is ''
    starts = '<row r="' + rownum + '">'
    return map("".join, zip(starts, *pieces, itertools.repeat("</row>", n)))


def _encoded_blocks(sheet: Sheet, rendered: list[tuple[str, _Bodies]], kept: _RowCache,
                    size: int | None = None) -> Iterator[bytes]:
    """The blocks of :func:`_row_blocks` as UTF-8, numbered from the kept rows when the
    sheet's table has them."""
    size = size or BLOCK_ROWS
    rows = kept.rows(sheet, rendered)
    if rows is None:
        for block in _row_blocks(sheet, rendered, size):
            yield block.encode("utf-8")
        return
    n, positions = sheet.n_rows, sheet.positions
    mark = _NUMBER.encode("ascii")
    for first in range(0, n, size):
        stop = min(n, first + size)
        numbers = (np.arange(first, stop) + sheet.header_row + 2).astype(bytes).tolist()
        taken = rows[first:stop] if positions is None else [rows[i]
                                                             for i in positions[first:stop]]
        yield b"".join([row.replace(mark, number) for row, number in zip(taken, numbers)])


class _RowCache:
    """Each row's XML (UTF-8, its row number left as :data:`_NUMBER`) of the tables several
    sheets show with the same columns: rendered once for the workbook, then only numbered per
    sheet — the findings appear in 全部问题, in their check's sheet and in their unit's. A table
    whose rows would take more than :data:`ROW_CACHE_BYTES` is not kept (memory at a
    million rows)."""

    def __init__(self, sheets: Sequence[Sheet] = ()):
        self.shared = _shared_tables(sheets)
        self.store: dict[tuple, list[bytes] | None] = {}

    def rows(self, sheet: Sheet, rendered: list[tuple[str, _Bodies]]) -> list[bytes] | None:
        """The kept rows of ``sheet.data`` (all of them, in order), or None."""
        if id(sheet.data) not in self.shared or not rendered:
            return None
        key = (id(sheet.data), *((letter, id(bodies)) for letter, bodies in rendered))
        if key not in self.store:
            self.store[key] = self._render(len(sheet.data), rendered)
        return self.store[key]

    @staticmethod
    def _render(n: int, rendered: list[tuple[str, _Bodies]]) -> list[bytes] | None:
        """Every row of the table, or None once they are bound to exceed the budget (judged
        from the first block, then checked as they come)."""
        rows: list[bytes] = []
        size = 0
        for first in range(0, n, BLOCK_ROWS):
            stop = min(n, first + BLOCK_ROWS)
            block = [row.encode("utf-8") for row in _row_texts(
                rendered, slice(first, stop), np.full(stop - first, _NUMBER, dtype=object))]
            size += sum(map(len, block))
            if size > ROW_CACHE_BYTES or size * n > ROW_CACHE_BYTES * stop:
                return None
            rows += block
        return rows


# ---------------------------------------------------------------------------------------------
# Splicing the rows into the skeleton's sheet XML
# ---------------------------------------------------------------------------------------------

_DIMENSION = re.compile(r'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"/>')
_ROW = re.compile(r'<row r="(\d+)"')


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _dimension(xml: str, sheet: Sheet) -> str:
    """The used range: the skeleton's cells and the data rectangle together."""
    m = _DIMENSION.search(xml)
    first_col, first_row = _column_index(m.group(1)), int(m.group(2)) - 1
    last_col = _column_index(m.group(3)) if m.group(3) else first_col
    last_row = int(m.group(4)) - 1 if m.group(4) else first_row
    if sheet.n_rows:
        first_row, first_col = min(first_row, sheet.header_row + 1), min(first_col, 0)
        last_row = max(last_row, sheet.last_row)
        last_col = max(last_col, len(sheet._columns) - 1)
    start = f"{column_letter(first_col)}{first_row + 1}"
    end = f"{column_letter(last_col)}{last_row + 1}"
    ref = start if start == end else f"{start}:{end}"
    return xml[:m.start()] + f'<dimension ref="{ref}"/>' + xml[m.end():]


def _splice(xml: str, sheet: Sheet, rows: str) -> str:
    """A skeleton sheet's XML with the data rows after the header and the full used range."""
    head, tail = _split(xml, sheet)
    return "".join((head, rows, tail))


def _split(xml: str, sheet: Sheet) -> tuple[str, str]:
    """A skeleton sheet's XML (with the full used range) cut where the data rows go."""
    xml = _dimension(xml, sheet).replace("<sheetData/>", "<sheetData></sheetData>", 1)
    head, tail = xml.split("</sheetData>", 1)
    at = len(head)
    for m in _ROW.finditer(head):              # rows below the table are already in the skeleton
        if int(m.group(1)) > sheet.header_row + 1:
            at = m.start()
            break
    return head[:at], "".join((head[at:], "</sheetData>", tail))
