"""Load a case extract (信访事项台账) into the canonical frame.

This is the first arrow of DESIGN.md: a spreadsheet as exported from the petition information
system (or kept by hand) goes in; an :class:`~xfaudit.model.Extract` comes out, with one row
per petition item, the canonical fields of ``xfaudit/data/fields.toml`` and an
:class:`~xfaudit.model.IngestReport` that accounts for every source row.

The loader copes with what real exports look like: a merged title row and blank rows above
the header, headers with line breaks, full-width characters and local aliases, several sheets
(说明 / 统计 / 台账), repeated header rows, footer rows (合计, 制表人), fully empty rows, and
dates in every form of shared/domain/extract-format.md. It never guesses silently: cells it
cannot read are listed in ``report.unreadable`` and rows it drops in ``report.rejected``.

Column types of the frame: dates ``datetime64[ns]`` at midnight; counts ``Int64``; yes/no
fields ``boolean``; everything else ``object`` holding ``str`` or ``None`` (the same as
:meth:`~xfaudit.model.Extract.from_frame`), so ``frame.routing == "交办"`` is a plain boolean
mask. ``case_id`` keeps leading zeros; a numeric id cell ``123.0`` reads ``"123"``.

Speed: workbooks are read with python-calamine directly (``to_python``), about twice as fast
as ``pandas.read_excel(engine="calamine")``, which converts every cell in Python; openpyxl or
xlrd (through pandas) serve only where calamine fails. A CSV file's top rows (title, header)
go through Python's ``csv`` module; the records below are parsed column-wise by pyarrow (or
pandas' C parser), never as one Python string per cell — a million-row ledger loads in a
fraction of the time and memory. Anything unusual (rows longer than the top rows, an
unterminated quote, NUL bytes) is left to the ``csv`` module, which reads the whole file. After
reading, the work is vectorised per column: each column is factorised once and every distinct
value is converted once; date texts shared by several columns are read once.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import math
import re
import tomllib
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from xfaudit import dates as _dates
from xfaudit.errors import (ExtractError, ExtractNotFoundError, HeaderNotFoundError, MappingError,
                            XfauditError)
from xfaudit.model import REJECTED_COLUMNS, SOURCE_ROW, UNREADABLE_COLUMNS, Extract, IngestReport
from xfaudit.schema import fields, fold_text, header_of, value_maps

__all__ = ["load_extract", "read_mapping", "header_lookup", "SUPPORTED_EXTENSIONS",
           "REASON_REPEATED_HEADER", "REASON_NOT_A_RECORD"]

#: File extensions read, and the container format each stands for.
SUPPORTED_EXTENSIONS = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".csv": "csv"}

#: How many rows from the top of a sheet are searched for the header.
HEADER_SCAN_ROWS = 30

#: A header must name at least this many canonical fields, one of them a key field.
MIN_HEADER_FIELDS = 2
KEY_FIELDS = ("case_id", "received_on", "handling_unit")

#: A row without any key field and with at most this many filled cells is a footer or note.
FOOTER_MAX_CELLS = 2

#: Text that opens a footer or note line rather than a record.
_FOOTER_TEXT = re.compile(r"^\s*(合\s*计|总\s*计|小\s*计|制表|填表|审核|说明|备注|注[:：])")

REASON_REPEATED_HEADER = "重复的表头行"
REASON_NOT_A_RECORD = "不是信访件记录（合计/说明行）"

_MSG_NOT_SPREADSHEET = "不是有效的 Excel/CSV 文件"
_MSG_ENCRYPTED = "工作簿设有密码保护，请先在 Excel 中取消密码后另存"
_MSG_EMPTY_SHEET = "工作表为空"

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_PDF_MAGIC = b"%PDF"
# Excel's "Encrypt with password" wraps the xlsx in an OLE2 file holding this stream.
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")

#: A byte that ``bytes.strip()`` keeps (anything but ASCII whitespace).
_NOT_BLANK = re.compile(rb"[^ \t\n\r\x0b\x0c]")

_INT_TEXT = re.compile(r"^\+?(\d+)(?:\.0*)?\s*(?:天|日|个?工作日|人|个|次)?$")


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------

def load_extract(path: str | Path, *, sheet: str | int | None = None,
                 mapping: str | Path | Mapping | None = None,
                 date_window: _dates.DateWindow | None = None) -> Extract:
    """Read a case extract into the canonical frame.

    Parameters
    ----------
    path : str or pathlib.Path
        An ``.xlsx``/``.xlsm``, ``.xls`` or ``.csv`` file (UTF-8 with or without BOM, or
        GBK/GB18030).
    sheet : str or int, optional
        Sheet name or 0-based index. By default the sheet whose header names the most
        canonical fields is used.
    mapping : str, pathlib.Path or dict, optional
        Extra header aliases: a TOML (or YAML) file with an ``[aliases]`` table, or a dict of
        the same shape, mapping a source header to a field name (or a list of field names,
        to feed one column into several fields). User aliases win over the built-in ones.
    date_window : xfaudit.dates.DateWindow, optional
        The plausible days (default: 1 January 1990 to one year after today; the audit passes
        the window of its rule profile and as-of date). A date cell outside it is unreadable,
        listed with its raw text and the reason 不在合理日期范围内.

    Returns
    -------
    Extract
        ``frame`` (``source_row`` then the canonical fields present, in contract order) and
        ``report`` (row accounting, unreadable cells, header mapping, file hash).

    Raises
    ------
    ExtractNotFoundError
        The file does not exist.
    HeaderNotFoundError
        No row in the first rows of any sheet looks like the ledger's header.
    MappingError
        The mapping file is unreadable or names an unknown field.
    ExtractError
        Anything else that makes the file unreadable (wrong type, not a spreadsheet, password
        protected, empty). Messages are in Chinese and name the file and sheet.
    """
    path = Path(path)
    _check_exists(path)
    lookup = header_lookup(mapping)
    window = date_window or _dates.DateWindow.around()
    try:
        return _load(path, sheet, lookup, window)
    except XfauditError:
        raise
    except Exception as exc:  # a parser's own exception must never reach the inspector raw
        raise ExtractError(path, f"读取失败（{type(exc).__name__}：{exc}）",
                           hint="请确认文件未损坏，可在 Excel 中打开后另存为 .xlsx 再试。") from exc


def read_mapping(mapping: str | Path | Mapping | None) -> dict[str, tuple[str, ...]]:
    """Read user header aliases.

    Parameters
    ----------
    mapping : str, pathlib.Path, dict or None
        A ``.toml`` (or ``.yaml``/``.yml``) file with an ``[aliases]`` table, or a dict
        ``{header: field}`` (optionally wrapped as ``{"aliases": {...}}``). A target may be a
        field name, a canonical Chinese header, or a list of either.

    Returns
    -------
    dict
        Folded header → tuple of field names.

    Raises
    ------
    MappingError
        Unreadable file, wrong shape, or an unknown field name.
    """
    if mapping is None:
        return {}
    if isinstance(mapping, Mapping):
        source: str | Path = "mapping"
        doc = {"aliases": mapping} if "aliases" not in mapping else mapping
    else:
        source = Path(mapping)
        doc = _read_mapping_file(source)
    aliases = doc.get("aliases") if isinstance(doc, Mapping) else None
    if not isinstance(aliases, Mapping):
        raise MappingError(source, "缺少 [aliases] 表（格式：\"本地表头\" = \"字段名\"）")
    return {_fold_header(str(header)): _mapping_targets(source, str(header), target)
            for header, target in aliases.items()}


def header_lookup(mapping: str | Path | Mapping | None = None) -> dict[str, tuple[str, ...]]:
    """Every accepted header (folded) → the field names it feeds.

    The canonical headers and aliases of ``fields.toml``, overridden by the user's mapping.
    """
    lookup: dict[str, tuple[str, ...]] = {}
    for spec in fields().values():
        for header in (spec.header, *spec.aliases):
            lookup.setdefault(_fold_header(header), (spec.name,))
    lookup.update(read_mapping(mapping))
    return lookup


# --------------------------------------------------------------------------------------------
# Mapping files
# --------------------------------------------------------------------------------------------

def _read_mapping_file(path: Path) -> object:
    if not path.is_file():
        raise MappingError(path, "文件不存在")
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            return tomllib.loads(path.read_text("utf-8-sig"))
        if suffix in (".yaml", ".yml"):
            try:
                import yaml
            except ImportError:
                raise MappingError(path, "读取 YAML 需要安装 PyYAML；请改用 TOML 格式（.toml）"
                                   ) from None
            return yaml.safe_load(path.read_text("utf-8-sig"))
    except MappingError:
        raise
    except Exception as exc:
        raise MappingError(path, f"无法解析（{exc}）") from exc
    raise MappingError(path, f"不支持的格式「{suffix or '无扩展名'}」，请使用 .toml 文件")


def _mapping_targets(source: str | Path, header: str, target: object) -> tuple[str, ...]:
    """Validate one mapping entry's target(s) and return canonical field names."""
    names = [target] if isinstance(target, str) else target
    if not isinstance(names, list | tuple) or not names or \
            not all(isinstance(n, str) for n in names):
        raise MappingError(source, f"表头「{header}」的目标应为字段名或字段名列表")
    by_header = {spec.header: name for name, spec in fields().items()}
    resolved = []
    for name in names:
        name = name.strip()
        resolved_name = name if name in fields() else by_header.get(name)
        if resolved_name is None:
            known = "、".join(fields())
            raise MappingError(source, f"表头「{header}」映射到未知字段「{name}」。可用字段：{known}")
        resolved.append(resolved_name)
    return tuple(dict.fromkeys(resolved))


def _fold_header(text: str) -> str:
    """Fold a header for comparison; also drop required-markers and trailing colons.

    ASCII text is already NFKC-normal, so it skips the (slow) normalisation.
    """
    folded = "".join(text.split()) if text.isascii() else fold_text(text)
    return folded.strip("*★:")


# --------------------------------------------------------------------------------------------
# Reading files into raw grids
# --------------------------------------------------------------------------------------------

@dataclass
class _Grid:
    """Raw cells of one sheet (row 0 is the sheet's first row)."""

    name: str | None
    rows: list[list]
    numbers: np.ndarray | None = None           # 1-based row numbers; None: index + 1
    merged: list = field(default_factory=list)  # ((r0, c0), (r1, c1)), 0-based, inclusive

    def number(self, index: int) -> int:
        return int(self.numbers[index]) if self.numbers is not None else index + 1


def _check_exists(path: Path) -> None:
    if not path.exists():
        raise ExtractNotFoundError(path, "文件不存在", hint="请检查路径和文件名。")
    if not path.is_file():
        raise ExtractError(path, "不是文件（是文件夹）")


def _sniff_format(path: Path, data: bytes) -> str:
    """The container format from the extension, checked against the file's first bytes."""
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        raise ExtractError(path, f"不支持的文件类型「{ext or '无扩展名'}」，{_MSG_NOT_SPREADSHEET}",
                           hint="请提供 .xlsx、.xls 或 .csv 文件。")
    if _NOT_BLANK.search(data) is None:      # as ``not data.strip()``, without a copy of it
        raise ExtractError(path, "文件为空")
    if SUPPORTED_EXTENSIONS[ext] == "csv":
        if data.startswith((_ZIP_MAGIC, _OLE2_MAGIC, _PDF_MAGIC)) or b"\x00" in data[:65536]:
            raise ExtractError(path, _MSG_NOT_SPREADSHEET, hint="扩展名为 .csv，但内容不是文本表格。")
        return "csv"
    if data.startswith(_OLE2_MAGIC):
        if _ENCRYPTED_STREAM in data:
            raise ExtractError(path, _MSG_ENCRYPTED)
        return "xls"  # also an old .xls renamed .xlsx
    if data.startswith(_ZIP_MAGIC):
        return "xlsx"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<"):
        raise ExtractError(path, f"{_MSG_NOT_SPREADSHEET}（内容是网页/XML 格式）",
                           hint="请在 Excel 中打开后另存为 .xlsx 文件。")
    raise ExtractError(path, _MSG_NOT_SPREADSHEET, hint="请确认文件未损坏，或从信访信息系统重新导出。")


class _Book:
    """A workbook read with calamine, falling back to openpyxl/xlrd where calamine fails."""

    def __init__(self, path: Path, data: bytes, fmt: str):
        self.path, self.data, self.fmt = path, data, fmt
        self._cache: dict[str, _Grid] = {}
        self._calamine = None
        self._fallback = None
        try:
            import python_calamine

            self._calamine = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
            self.names = [m.name for m in self._calamine.sheets_metadata
                          if m.typ == python_calamine.SheetTypeEnum.WorkSheet]
        except Exception as exc:
            self._raise_if_password(exc)
            self._calamine = None
            self.names = self._open_fallback(exc).sheet_names

    def grid(self, name: str) -> _Grid:
        """All rows of a sheet (read once, then cached)."""
        if name not in self._cache:
            self._cache[name] = self._read(name)
        return self._cache[name]

    def _read(self, name: str) -> _Grid:
        if self._calamine is not None:
            try:
                sheet = self._calamine.get_sheet_by_name(name)
                return _Grid(name, sheet.to_python(skip_empty_area=False),
                             merged=list(sheet.merged_cell_ranges or []))
            except Exception as exc:
                self._raise_if_password(exc)
                book = self._open_fallback(exc)
        else:
            book = self._open_fallback(None)
        frame = pd.read_excel(book, sheet_name=name, header=None, dtype=object)
        return _Grid(name, frame.to_numpy(dtype=object).tolist())

    def _open_fallback(self, cause: Exception | None) -> pd.ExcelFile:
        if self._fallback is None:
            engine = "openpyxl" if self.fmt == "xlsx" else "xlrd"
            try:
                with warnings.catch_warnings():  # pandas marks xlrd deprecated; it is our backup
                    warnings.filterwarnings("ignore", message=".*xlrd engine is deprecated")
                    self._fallback = pd.ExcelFile(io.BytesIO(self.data), engine=engine)
            except Exception as exc:
                raise ExtractError(self.path, _MSG_NOT_SPREADSHEET,
                                   hint="请确认文件未损坏，或在 Excel 中打开后另存为 .xlsx。") from (cause or exc)
        return self._fallback

    def _raise_if_password(self, exc: Exception) -> None:
        if type(exc).__name__ == "PasswordError" or "password" in str(exc).lower():
            raise ExtractError(self.path, _MSG_ENCRYPTED) from exc


def _read_csv(path: Path, data: bytes) -> tuple[_Grid, str]:
    """Decode and split a CSV file; row numbers are the line where each record starts.

    The reference reader (Python's ``csv`` module, a list of rows); :func:`_csv_fast` reads
    the same files column-wise and falls back to this one for anything it cannot vouch for.
    """
    text, encoding = _decode(path, data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    rows, numbers, start = [], [], 1
    try:
        for record in reader:
            rows.append(record)
            numbers.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ExtractError(path, f"CSV 格式有误（{exc}）", row=start) from exc
    width = max((len(r) for r in rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in rows]
    return _Grid(None, rows, numbers=np.asarray(numbers, dtype="int64")), encoding


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) first, strictly; then GB18030 (a superset of GBK)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    encoding = _csv_encoding(path, data)
    return data.decode(encoding), encoding


def _csv_encoding(path: Path, data: bytes) -> str:
    """The encoding :func:`_decode` would use (not UTF-16), checked without decoding at once.

    The whole file is validated in slices, so a 300 MB ledger never exists as one string.
    """
    candidates = ("utf-8-sig",) if data.startswith(b"\xef\xbb\xbf") else ("utf-8", "gb18030")
    view = memoryview(data)
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for at in range(0, len(view), _DECODE_SLICE):
                decoder.decode(view[at:at + _DECODE_SLICE])
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise ExtractError(path, "无法识别文件编码", hint="请将 CSV 另存为 UTF-8 或 GBK 编码。")


def _sniff_delimiter(text: str) -> str:
    """Comma unless the first lines clearly use tabs or semicolons."""
    head = "\n".join(text.splitlines()[:HEADER_SCAN_ROWS])
    counts = {d: head.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=counts.get)
    return best if counts[best] > counts[","] else ","


# --------------------------------------------------------------------------------------------
# CSV, column-wise: the same result as _read_csv without a Python object per cell
# --------------------------------------------------------------------------------------------

#: Bytes decoded at a time when checking a CSV file's encoding.
_DECODE_SLICE = 1 << 24

#: First bytes of a CSV file parsed with the reference reader (grown until it holds the header
#: search's rows).
_CSV_PREFIX = 1 << 16

#: A line break as Python's text reader splits lines (``newline=""``): CRLF, CR or LF.
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")

#: Anything but a line break.
_CONTENT = re.compile(rb"[^\r\n]")


@dataclass
class _CsvHead:
    """The top of a CSV file, parsed by the reference reader."""

    grid: _Grid                       # complete records from the top (at least the header scan)
    delimiter: str
    line_ends: list[int]              # per record of ``grid``: its last physical line (1-based)


def _csv_fast(path: Path, data: bytes, lookup: dict[str, tuple[str, ...]]
              ) -> tuple[_Header, int, _Body, str] | None:
    """Read a CSV file column-wise: header on the top rows, body straight into columns.

    The top of the file (title lines, the header, the first records) goes through the
    reference reader, so header search and delimiter sniffing see what :func:`_read_csv`
    sees. The records below the header are parsed by pyarrow (or pandas' C parser, which
    also takes short rows) into one array per column, each factorised at once; a record's
    source row is the header's last line plus the lines of the records before it, counting
    the line breaks inside quoted cells.

    Returns
    -------
    (header, header_row, body, encoding) or None
        None when the reference reader must decide: no valid header in the top rows, UTF-16,
        NUL bytes, rows longer than the top rows, a cell longer than the ``csv`` module's
        field limit, or a parse that does not account for every line of the file.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        return None
    encoding = _csv_encoding(path, data)
    start = 3 if encoding == "utf-8-sig" else 0
    head = _csv_head(path, data, start, encoding)
    header = _find_header(head.grid, lookup)
    if header is None or not header.is_valid():
        return None
    header_end = head.line_ends[header.index]          # last line of the header record
    body_at = _line_offset(data, start, header_end)
    width = len(header.texts)                          # the top rows' width
    if _CONTENT.search(data, body_at) is None:         # only line breaks below the header
        columns = [_Column(np.zeros(0, dtype=np.intp), _object_array([])) for _ in range(width)]
        breaks = np.zeros(0, dtype=np.int64)
    else:
        parsed = (_csv_columns_arrow(data, body_at, head.delimiter, encoding, width)
                  or _csv_columns_pandas(data, body_at, head.delimiter, encoding, width))
        if parsed is None:
            return None
        columns, breaks = parsed
        if len(breaks) + int(breaks.sum()) != _count_lines(data, body_at):
            return None
    numbers = header_end + 1 + np.arange(len(breaks), dtype=np.int64)
    if len(breaks):
        numbers[1:] += np.cumsum(breaks[:-1])
    return header, head.grid.number(header.index), _Body.from_columns(columns, numbers), encoding


def _csv_head(path: Path, data: bytes, start: int, encoding: str) -> _CsvHead:
    """Parse the top of a CSV file with the reference reader.

    Enough complete records for the header search, plus the first records below it (which
    give the width the body is parsed with). The slice read is cut after a line feed and
    grown until it holds more than :data:`HEADER_SCAN_ROWS` + 1 records; the last record of
    a cut slice is dropped, as it may continue past the cut.
    """
    size = _CSV_PREFIX
    while True:
        whole = start + size >= len(data)
        end = len(data) if whole else data.rfind(b"\n", start, start + size) + 1
        if end <= start and not whole:                  # no line feed in the slice yet
            size *= 4
            continue
        text = data[start:end].decode(encoding)
        delimiter = _sniff_delimiter(text)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows, numbers, line_ends, first = [], [], [], 1
        try:
            for record in reader:
                rows.append(record)
                numbers.append(first)
                line_ends.append(reader.line_num)
                first = reader.line_num + 1
        except csv.Error as exc:
            if whole:
                raise ExtractError(path, f"CSV 格式有误（{exc}）", row=first) from exc
            rows.append([])             # the failing record; the body's checks meet it again
        if whole or len(rows) > HEADER_SCAN_ROWS + 1:
            keep = len(rows) if whole else len(rows) - 1  # a cut's last record may go on
            rows, numbers, line_ends = rows[:keep], numbers[:keep], line_ends[:keep]
            width = max((len(r) for r in rows), default=0)
            rows = [r + [""] * (width - len(r)) for r in rows]
            return _CsvHead(_Grid(None, rows, numbers=np.asarray(numbers, dtype="int64")),
                            delimiter, line_ends)
        size *= 4


def _csv_columns_arrow(data: bytes, at: int, delimiter: str, encoding: str, width: int
                       ) -> tuple[list[_Column], np.ndarray] | None:
    """The records from byte ``at`` on, parsed by pyarrow: columns and line breaks per row.

    None when pyarrow is not installed or refuses the text (e.g. a row of another width).
    """
    try:
        import pyarrow as pa
        from pyarrow import csv as pa_csv
    except ImportError:
        return None
    names = [f"c{i}" for i in range(width)]
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(pa.py_buffer(data).slice(at)),
            read_options=pa_csv.ReadOptions(
                column_names=names, encoding="utf8" if encoding.startswith("utf-8") else encoding),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, quote_char='"', double_quote=True, escape_char=False,
                newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                quoted_strings_can_be_null=False))
    except (pa.ArrowException, ValueError, UnicodeError):
        return None
    arrays, columns = table.columns, []
    del table
    for i in range(width):
        array = arrays[i].combine_chunks()
        arrays[i] = None                                  # free each column once coded
        coded = array.dictionary_encode()
        del array
        columns.append(_Column(coded.indices.to_numpy(zero_copy_only=False),  # int32
                               coded.dictionary.to_numpy(zero_copy_only=False)))
    pa.default_memory_pool().release_unused()         # hand the parse's memory back
    return _checked(columns)


def _csv_columns_pandas(data: bytes, at: int, delimiter: str, encoding: str, width: int
                        ) -> tuple[list[_Column], np.ndarray] | None:
    """The records from byte ``at`` on, parsed by pandas' C parser (short rows padded).

    None when the parser refuses the text (e.g. a row longer than ``width``).
    """
    buffer = io.BytesIO(data)                 # shares ``data``; nothing is copied
    buffer.seek(at)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(buffer, sep=delimiter, header=None, names=range(width),
                                index_col=False, dtype=object, na_filter=False,
                                skip_blank_lines=False, quotechar='"', doublequote=True,
                                escapechar=None, engine="c", encoding=encoding)
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError, UnicodeError):
        return None
    columns = []
    for i in range(width):
        columns.append(_Column(*pd.factorize(frame.pop(i).to_numpy(dtype=object))))
    return _checked(columns)


def _checked(columns: list[_Column]) -> tuple[list[_Column], np.ndarray] | None:
    """Line breaks inside each row's cells; None if a cell is over the csv module's limit
    (the reference reader reports such a file as malformed)."""
    limit = csv.field_size_limit()
    n = len(columns[0].codes) if columns else 0
    breaks = np.zeros(n, dtype=np.int64)
    for column in columns:
        if max(map(len, column.uniques), default=0) > limit:
            return None
        per_unique = _line_breaks(column.uniques)
        if per_unique is not None:
            breaks += per_unique[column.codes]
    return columns, breaks


def _line_breaks(texts: np.ndarray) -> np.ndarray | None:
    """Line breaks (CRLF, CR or LF) in each string; None when there are none at all."""
    joined = "".join(texts)                 # one quick look first: most columns have none
    if "\n" not in joined and "\r" not in joined:
        return None
    del joined
    strings = texts.astype(np.dtypes.StringDType())
    lf, cr = np.strings.count(strings, "\n"), np.strings.count(strings, "\r")
    return (lf + cr - np.strings.count(strings, "\r\n")).astype(np.int64)


def _line_offset(data: bytes, start: int, lines: int) -> int:
    """Byte offset just after the first ``lines`` physical lines from ``start``."""
    at = start
    for count, match in enumerate(_LINE_BREAK.finditer(data, start), start=1):
        at = match.end()
        if count == lines:
            return at
    return len(data)


def _count_lines(data: bytes, start: int) -> int:
    """Physical lines from ``start`` on (a last line without a line break counts)."""
    cr = data.count(b"\r", start)
    breaks = data.count(b"\n", start) + cr - (data.count(b"\r\n", start) if cr else 0)
    return breaks + (0 if data.endswith((b"\n", b"\r")) else 1)


# --------------------------------------------------------------------------------------------
# Header detection and sheet choice
# --------------------------------------------------------------------------------------------

@dataclass
class _Header:
    """A candidate header row."""

    index: int                        # 0-based row index in the grid
    texts: list[str | None]           # cell text per column (trimmed)
    labels: list[str]                 # display text per column: no line breaks, '' when empty
    targets: list[tuple[str, ...]]    # fields matched per column (before de-duplication)

    @property
    def fields_found(self) -> set[str]:
        return {f for t in self.targets for f in t}

    @property
    def score(self) -> int:
        return len(self.fields_found)

    @property
    def rank(self) -> tuple[bool, int]:
        """Order of preference: a usable header first, then the one naming more fields."""
        return self.is_valid(), self.score

    def is_valid(self) -> bool:
        found = self.fields_found
        return len(found) >= MIN_HEADER_FIELDS and any(k in found for k in KEY_FIELDS)


def _find_header(grid: _Grid, lookup: dict[str, tuple[str, ...]]) -> _Header | None:
    """The row among the first rows that best looks like the header (earliest on ties)."""
    top = _fill_merged_down(grid.rows[:HEADER_SCAN_ROWS], grid.merged)
    best = None
    for index, row in enumerate(top):
        texts = [_cell_text(cell) for cell in row]
        labels = [_label(text) for text in texts]
        if not any(labels):
            continue
        candidate = _Header(index, texts, labels, [lookup.get(_fold_header(s), ()) if s else ()
                                                   for s in labels])
        if best is None or candidate.rank > best.rank:
            best = candidate
    return best


def _fill_merged_down(rows: list[list], merged: list, offset: int = 0) -> list[list]:
    """Copy the value of each vertically merged cell into the empty cells it covers below.

    ``rows[i]`` is the sheet's row ``offset + i``. A two-level header merges 信访件编号 over
    two rows while the second row holds the sub-headers; a hand-kept ledger merges one
    责任单位 over the rows of its items. Excel shows the value on every covered row, and so
    does the loader. Only the merge's first column is filled (its other columns have no
    value of their own), and the input rows are not modified.
    """
    out = list(rows)
    for (r0, c0), (r1, _c1) in merged:
        top = r0 - offset
        if r1 <= r0 or not 0 <= top < len(out) or c0 >= len(out[top]):
            continue
        value = out[top][c0]
        for r in range(top + 1, min(r1 - offset, len(out) - 1) + 1):
            if c0 < len(out[r]) and _cell_text(out[r][c0]) is None:
                out[r] = list(out[r])
                out[r][c0] = value
    return out


def _label(cell: object) -> str:
    """A header cell as the user would name it: text, line breaks removed."""
    text = _cell_text(cell)
    return re.sub(r"\s*[\r\n]+\s*", "", text) if text else ""


def _choose_sheet(path: Path, book: _Book, sheet: str | int | None,
                  lookup: dict[str, tuple[str, ...]]) -> tuple[_Grid, _Header]:
    """The requested sheet, or the one with the best header (see ``_Header.rank``)."""
    names = [_resolve_sheet(path, book, sheet)] if sheet is not None else book.names
    candidates, first_nonempty = [], None
    for name in names:
        grid = book.grid(name)
        if _grid_is_empty(grid):
            continue
        first_nonempty = first_nonempty or grid
        header = _find_header(grid, lookup)
        if header is not None:
            candidates.append((grid, header))
    if first_nonempty is None:
        raise ExtractError(path, _MSG_EMPTY_SHEET, sheet=names[0] if len(names) == 1 else None)
    if candidates:
        grid, header = max(candidates, key=lambda c: c[1].rank)  # first sheet on ties
        if header.is_valid():
            return grid, header
        raise _header_not_found(path, grid, header)
    raise _header_not_found(path, first_nonempty, None)


def _resolve_sheet(path: Path, book: _Book, sheet: str | int) -> str:
    if isinstance(sheet, int):
        if 0 <= sheet < len(book.names):
            return book.names[sheet]
        raise ExtractError(path, f"没有第{sheet + 1}个工作表（共 {len(book.names)} 个）")
    if sheet in book.names:
        return sheet
    raise ExtractError(path, f"找不到工作表「{sheet}」",
                       hint=f"工作簿中的工作表：{'、'.join(book.names)}。")


def _grid_is_empty(grid: _Grid) -> bool:
    return not any(_label(cell) for row in grid.rows for cell in row)


def _header_not_found(path: Path, grid: _Grid, header: _Header | None) -> HeaderNotFoundError:
    if header is None:
        first = next((row for row in grid.rows[:HEADER_SCAN_ROWS] if any(map(_label, row))), [])
        found = [s for s in map(_label, first) if s]
    else:
        found = [s for s in header.labels if s]
    return HeaderNotFoundError(path, "找不到台账表头", sheet=grid.name, found=found,
                               required=[header_of(k) for k in KEY_FIELDS])


# --------------------------------------------------------------------------------------------
# Columns: which source column feeds which field
# --------------------------------------------------------------------------------------------

@dataclass
class _Columns:
    feeds: dict[str, int]             # field -> source column index (first one wins)
    texts: list[str | None]           # source header cell text per column
    labels: list[str]                 # source header per column (as shown in reports)
    mapping: dict[str, str]           # source header -> "field" or "field1,field2"
    unknown: list[str]                # ignored headers (with a note for duplicates)


def _assign_columns(header: _Header) -> _Columns:
    feeds: dict[str, int] = {}
    mapping: dict[str, str] = {}
    unknown: list[str] = []
    for col, (label, targets) in enumerate(zip(header.labels, header.targets, strict=True)):
        if not label:
            continue
        if not targets:
            unknown.append(label)
            continue
        new = [f for f in targets if f not in feeds]
        if not new:
            first = header.labels[feeds[targets[0]]]
            unknown.append(f"{label}（重复的「{header_of(targets[0])}」列，已采用「{first}」列）")
            continue
        for name in new:
            feeds[name] = col
        mapping[label] = ",".join(new)
    return _Columns(feeds, header.texts, header.labels, mapping, unknown)


# --------------------------------------------------------------------------------------------
# The whole load
# --------------------------------------------------------------------------------------------

def _load(path: Path, sheet: str | int | None, lookup: dict[str, tuple[str, ...]],
          window: _dates.DateWindow) -> Extract:
    data = path.read_bytes()
    fmt = _sniff_format(path, data)
    sha256 = hashlib.sha256(data).hexdigest()
    encoding, name = None, None
    fast = _csv_fast(path, data, lookup) if fmt == "csv" else None
    if fast is not None:
        header, header_row, body, encoding = fast
    else:
        if fmt == "csv":
            grid, encoding = _read_csv(path, data)
            if _grid_is_empty(grid):
                raise ExtractError(path, "文件为空")
            header = _find_header(grid, lookup)
            if header is None or not header.is_valid():
                raise _header_not_found(path, grid, header)
        else:
            grid, header = _choose_sheet(path, _Book(path, data, fmt), sheet, lookup)
        name, header_row = grid.name, grid.number(header.index)
        body = _Body.from_grid(grid, header.index)
        del grid
    del data, fast
    columns = _assign_columns(header)
    frame, unreadable, rejected = _build(body, columns, window)
    unknown = columns.unknown + [
        f"（第{get_column_letter(c + 1)}列，无表头）" for c in body.filled_columns()
        if c >= len(columns.labels) or not columns.labels[c]]
    report = IngestReport(
        path=str(path), sha256=sha256, file_format=fmt,
        sheet=name, header_row=header_row, encoding=encoding,
        rows_read=int(body.read.sum()), rows_kept=len(frame), empty_rows=body.empty_rows,
        rejected=rejected, unreadable=unreadable, mapping=columns.mapping,
        unknown_columns=unknown,
        absent_fields=[f for f in fields() if f not in columns.feeds])
    return Extract(frame=frame, report=report)


@dataclass
class _Column:
    """One source column below the header, factorised: each distinct value is handled once."""

    codes: np.ndarray                  # per row: index into ``uniques``; -1 for NA
    uniques: np.ndarray                # distinct raw values (object)
    _texts: np.ndarray | None = None

    @property
    def texts(self) -> np.ndarray:
        """The distinct values as display text (``None`` when empty), computed once."""
        if self._texts is None:
            if pd.api.types.infer_dtype(self.uniques, skipna=False) == "string":
                # all str (every CSV cell): _cell_text is a strip, done without the checks
                self._texts = _object_array([u.strip() or None for u in self.uniques])
            else:
                self._texts = _object_array(_cell_text(u) for u in self.uniques)
        return self._texts

    def blank(self) -> np.ndarray:
        """Per row: the cell is empty (NA, or only whitespace)."""
        return _take(np.equal(self.texts, None), self.codes, True)

    def head(self, n: int) -> _Column:
        return _Column(self.codes[:n], self.uniques, self._texts)


@dataclass
class _Body:
    """The rows below the header, as factorised columns."""

    columns: list[_Column]
    blank: np.ndarray                           # rows x columns: cell is empty
    numbers: np.ndarray                         # 1-based source row numbers
    read: np.ndarray                            # row is not fully empty
    empty_rows: int

    @classmethod
    def from_grid(cls, grid: _Grid, header_index: int) -> _Body:
        start = header_index + 1
        rows = _fill_merged_down(grid.rows[start:], grid.merged, offset=start)
        width = max([len(grid.rows[header_index])] + [len(r) for r in rows])
        if any(len(r) != width for r in rows):
            rows = [list(r) + [None] * (width - len(r)) for r in rows]
        table = np.array(rows, dtype=object).reshape(len(rows), width)
        del rows
        columns = [_Column(*pd.factorize(table[:, c], use_na_sentinel=True))
                   for c in range(width)]
        numbers = (grid.numbers[start:] if grid.numbers is not None
                   else np.arange(start + 1, start + len(table) + 1, dtype="int64"))
        return cls.from_columns(columns, numbers)

    @classmethod
    def from_columns(cls, columns: list[_Column], numbers: np.ndarray) -> _Body:
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

    def filled_columns(self) -> list[int]:
        """Columns with at least one filled cell in a read row."""
        return [c for c in range(self.blank.shape[1]) if (~self.blank[self.read, c]).any()]


def _build(body: _Body, columns: _Columns, window: _dates.DateWindow
           ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Reject non-records, convert the kept rows, collect unreadable cells."""
    repeated = _repeated_header_rows(body, columns) & body.read
    footer = _footer_rows(body, columns) & body.read & ~repeated
    keep = body.read & ~repeated & ~footer
    rejected = _rejected_table(body.numbers, repeated, footer)

    data: dict[str, object] = {SOURCE_ROW: body.numbers[keep].astype("int64")}
    bad: dict[str, np.ndarray] = {}
    implausible: dict[str, np.ndarray] = {}
    dates = _DateCache(window)          # the date columns of a ledger share most of their texts
    every = bool(keep.all())            # the usual case: no row to drop, no copy to make
    for name, spec in fields().items():
        if name not in columns.feeds:
            continue
        values, unreadable, far = _convert(body.columns[columns.feeds[name]], spec.kind, dates)
        data[name] = values if every else values[keep].reset_index(drop=True)
        if unreadable is not None:
            unreadable = unreadable if every else unreadable[keep]
            if unreadable.any():
                bad[name] = unreadable
                if far is not None:
                    implausible[name] = far if every else far[keep]
    # copy=False: one block per column, not one copy of the whole table to consolidate it
    frame = pd.DataFrame(data, copy=False)
    return frame, _unreadable_table(frame, body, columns, keep, bad, implausible), rejected


def _repeated_header_rows(body: _Body, columns: _Columns) -> np.ndarray:
    """Rows that repeat the header's text (paginated exports) in at least half their cells."""
    n = len(body.numbers)
    matches = np.zeros(n, dtype="int64")
    for col in sorted(set(columns.feeds.values())):
        column = body.columns[col]
        same = np.equal(column.texts, columns.texts[col]) | np.equal(column.texts,
                                                                      columns.labels[col])
        matches += _take(same, column.codes, False)
    filled = (~body.blank).sum(axis=1)
    return (matches >= 2) & (2 * matches >= filled)


def _footer_rows(body: _Body, columns: _Columns) -> np.ndarray:
    """Rows with no key field and at most FOOTER_MAX_CELLS filled cells (合计, 制表人…).

    When the id column comes first, a footer's 合计 sits in it: a key cell holding such a
    footer word does not count as a key.
    """
    has_key = np.zeros(len(body.numbers), dtype=bool)
    for col in {columns.feeds[k] for k in KEY_FIELDS if k in columns.feeds}:
        column = body.columns[col]
        real = np.fromiter((t is not None and not _FOOTER_TEXT.match(t) for t in column.texts),
                           dtype=bool, count=len(column.uniques))
        has_key |= _take(real, column.codes, False)
    return ~has_key & ((~body.blank).sum(axis=1) <= FOOTER_MAX_CELLS)


def _rejected_table(numbers: np.ndarray, repeated: np.ndarray, footer: np.ndarray) -> pd.DataFrame:
    reasons = np.where(repeated, REASON_REPEATED_HEADER, REASON_NOT_A_RECORD)
    mask = repeated | footer
    return pd.DataFrame({"source_row": numbers[mask].astype("int64"),
                         "reason": reasons[mask].astype(object)}, columns=REJECTED_COLUMNS)


def _unreadable_table(frame: pd.DataFrame, body: _Body, columns: _Columns, keep: np.ndarray,
                      bad: dict[str, np.ndarray], implausible: dict[str, np.ndarray]
                      ) -> pd.DataFrame:
    parts = []
    for name, mask in bad.items():
        col = columns.feeds[name]
        column = body.columns[col]
        raw = np.append(column.texts, None)[column.codes[keep][mask]]
        case_id = frame["case_id"][mask] if "case_id" in frame else pd.Series([None] * mask.sum())
        far = implausible.get(name)
        reason = (np.where(far[mask], _dates.REASON_IMPLAUSIBLE, _dates.REASON_UNREADABLE)
                  if far is not None else _dates.REASON_UNREADABLE)
        parts.append(pd.DataFrame({
            "source_row": frame[SOURCE_ROW][mask].to_numpy(),
            "case_id": case_id.to_numpy(dtype=object),
            "field": name, "header": columns.labels[col],
            "raw": raw, "reason": reason}))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in UNREADABLE_COLUMNS}
                            ).astype({"source_row": "int64"})
    table = pd.concat(parts, ignore_index=True)
    return (table.sort_values("source_row", kind="stable").reset_index(drop=True)
            [UNREADABLE_COLUMNS])


# --------------------------------------------------------------------------------------------
# Cell conversion by field kind (on distinct values, then taken back to rows)
# --------------------------------------------------------------------------------------------

def _take(per_unique: np.ndarray, codes: np.ndarray, na_value: object) -> np.ndarray:
    """Per-unique values → per-row values (code -1, the NA sentinel, gets ``na_value``)."""
    return np.append(per_unique, np.array([na_value], dtype=per_unique.dtype))[codes]


def _convert(column: _Column, kind: str, dates: _DateCache | None = None
             ) -> tuple[pd.Series, np.ndarray | None, np.ndarray | None]:
    """One column's rows converted for its field kind, the unreadable-cell mask and, for
    dates, the mask of cells read as a day outside the plausible window.

    ``dates`` caches date texts already read in other columns of the file.
    """
    if kind == "date":
        days, blank, far = (dates or _DateCache(_dates.DateWindow.around())).parse(column.uniques)
        values = _take(days, column.codes, np.datetime64("NaT", "ns"))
        bad = _take(~blank & np.isnat(days), column.codes, False)
        return (pd.Series(values, dtype="datetime64[ns]"), bad,
                _take(far, column.codes, False))
    converter, dtype = _converter(kind)
    values, bad = converter(column, kind)
    rows = _take(values, column.codes, None)
    series = pd.Series(rows if dtype is object else pd.array(rows, dtype=dtype), dtype=dtype)
    return series, (None if bad is None else _take(bad, column.codes, False)), None


class _DateCache:
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
            return _dates.parse_unique(uniques, self.window)
        days = np.full(len(uniques), np.datetime64("NaT", "ns"))
        blank = np.zeros(len(uniques), dtype=bool)
        far = np.zeros(len(uniques), dtype=bool)
        if not text.all():
            days[~text], blank[~text], far[~text] = _dates.parse_unique(uniques[~text],
                                                                        self.window)
        strings = uniques[text]
        new = [s for s in strings if s not in self.texts]
        if new:
            parsed = _dates.parse_unique(_object_array(new), self.window)
            self.texts.update(zip(new, zip(parsed[0], parsed[1].tolist(), parsed[2].tolist(),
                                           strict=True), strict=True))
        found = [self.texts[s] for s in strings]
        days[text] = np.array([d for d, _, _ in found], dtype="datetime64[ns]")
        blank[text] = [b for _, b, _ in found]
        far[text] = [f for _, _, f in found]
        return days, blank, far


def _to_text(column: _Column, kind: str) -> tuple[np.ndarray, None]:
    return column.texts, None


def _to_coded(column: _Column, kind: str) -> tuple[np.ndarray, None]:
    """Normalise coded text (channel, routing, satisfaction); unknown values kept, folded."""
    table = _folded_map(kind)
    out = []
    for text in column.texts:
        folded = fold_text(text) if text else None
        out.append(table.get(folded, folded) if folded else None)
    return _object_array(out), None


def _to_boolean(column: _Column, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """是/否-like values → True/False; anything else non-empty is unreadable."""
    table = _folded_map(kind)
    out, bad = [], []
    for raw, text in zip(column.uniques, column.texts, strict=True):
        if isinstance(raw, bool | np.bool_):
            value = bool(raw)
        elif text is None:
            value = None
        else:
            folded = fold_text(text)
            value = table.get(folded, table.get(folded.upper()))
        out.append(value)
        bad.append(value is None and text is not None)
    return _object_array(out), np.asarray(bad, dtype=bool)


def _to_int(column: _Column, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Whole non-negative numbers: 15, 15.0, "15", "15天"; anything else is unreadable."""
    out, bad = [], []
    for raw, text in zip(column.uniques, column.texts, strict=True):
        value = _int_value(raw)
        out.append(value)
        bad.append(value is None and text is not None)
    return _object_array(out), np.asarray(bad, dtype=bool)


def _int_value(value: object) -> int | None:
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | np.integer):
        return int(value) if value >= 0 else None
    if isinstance(value, float | np.floating):
        return int(value) if math.isfinite(value) and value.is_integer() and value >= 0 else None
    if isinstance(value, str):
        match = _INT_TEXT.match(fold_text(value))
        return int(match.group(1)) if match else None
    return None


def _converter(kind: str) -> tuple[Callable, object]:
    """How a field kind is read: whole numbers, a yes/no vocabulary (its values.toml table
    maps to booleans), a coded vocabulary (any other values.toml table), or plain text.

    Text stays ``object`` with ``None`` for empty cells, as in ``Extract.from_frame``: a
    comparison such as ``frame.routing == "交办"`` then gives plain booleans, never ``<NA>``.
    """
    if kind == "int":
        return _to_int, "Int64"
    table = value_maps().get(kind)
    if table is None:
        return _to_text, object
    if all(isinstance(v, bool) for v in table.values()):
        return _to_boolean, "boolean"
    return _to_coded, object


def _folded_map(kind: str) -> dict[str, object]:
    return {fold_text(str(k)): v for k, v in value_maps().get(kind, {}).items()}


def _object_array(values) -> np.ndarray:
    values = list(values)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _cell_text(value: object) -> str | None:
    """A raw cell as text, the way Excel shows it; ``None`` when empty.

    Whole numbers lose their ``.0`` (an id typed as 123 reads "123"); strings are only
    trimmed, never otherwise altered (a summary starting with ``=`` stays as it is).
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if not math.isfinite(value):
            return None
        return str(int(value)) if value.is_integer() else format(float(value), ".15g")
    if isinstance(value, dt.datetime):  # also pandas.Timestamp
        if pd.isna(value):
            return None
        return value.strftime("%Y-%m-%d" if value.time() == dt.time() else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    return str(value).strip() or None
