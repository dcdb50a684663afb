"""CSV text as a grid, or column-wise: the top rows through Python's ``csv`` module, the body
through pyarrow (or pandas' C parser) into one factorised array per column.

Row numbers are physical line numbers: a record's number is the line where it starts, so a
message points to the line a text editor shows. Every record is accounted for: a stray double
quote that makes one cell swallow the lines below it is found and reported with the line where
the quote opens, never read as one long cell.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from xfaudit.errors import ExtractError
from xfaudit.io.grid import Column, Grid, object_array
from xfaudit.overlap import native_parse_begins

#: First bytes of a CSV file parsed with the reference reader (grown until it holds the rows
#: the header search needs).
CSV_PREFIX = 1 << 16

#: A line break as Python's text reader splits lines (``newline=""``): CRLF, CR or LF.
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")

#: Anything but a line break.
_CONTENT = re.compile(rb"[^\r\n]")

_HINT_QUOTE = ("请用记事本打开文件，在该行找到多余或缺少的英文双引号（\"）并改正，"
               "或在 Excel 中打开后另存为 .xlsx，再重新读取。")


def sniff_delimiter(text: str, rows: int) -> str:
    """Comma unless the first ``rows`` lines clearly use tabs or semicolons."""
    head = "\n".join(text.splitlines()[:rows])
    counts = {d: head.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=counts.get)
    return best if counts[best] > counts[","] else ","


def read_csv(path: Path, text: str, rows_for_delimiter: int) -> Grid:
    """The reference reader: every record of the file, row numbers the line each starts on.

    Raises
    ------
    ExtractError
        A quote that is never closed, or one that made a cell swallow whole lines of records
        (naming the line where the record starts), or another ``csv`` error.
    """
    delimiter = sniff_delimiter(text, rows_for_delimiter)
    try:
        rows, numbers = _records(text, delimiter, strict=True)
    except _StrictError as strict:
        if strict.cause.startswith("unexpected end of data"):
            raise _unclosed_quote(path, strict.line) from None
        rows, numbers = _records(text, delimiter, strict=False, path=path)
    width = max((len(r) for r in rows), default=0)
    for record, start in zip(rows, numbers, strict=True):
        if any(swallows_records(cell, delimiter, width) for cell in record
               if "\n" in cell or "\r" in cell):
            raise _unclosed_quote(path, start)
    rows = [r + [""] * (width - len(r)) for r in rows]
    return Grid(None, rows, numbers=np.asarray(numbers, dtype="int64"))


class _StrictError(Exception):
    def __init__(self, cause: str, line: int):
        super().__init__(cause)
        self.cause, self.line = cause, line


def _records(text: str, delimiter: str, strict: bool, path: Path | None = None
             ) -> tuple[list[list[str]], list[int]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=strict)
    rows, numbers, start = [], [], 1
    try:
        for record in reader:
            rows.append(record)
            numbers.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        if strict:
            raise _StrictError(str(exc), start) from None
        raise ExtractError(path, f"CSV 格式有误（{exc}）", row=start) from exc
    return rows, numbers


def swallows_records(cell: str, delimiter: str, width: int) -> bool:
    """Whether a multi-line cell holds whole records: a line after its first with as many
    delimiters as a record has (what an unclosed quote does to the lines below it)."""
    need = max(width - 1, 2)
    lines = re.split(r"\r\n|\r|\n", cell)
    return any(line.count(delimiter) >= need for line in lines[1:])


def _unclosed_quote(path: Path, line: int) -> ExtractError:
    return ExtractError(path, "CSV 格式有误：从这一行开始的引号没有闭合，下面的行会被读进同一个单元格",
                        row=line, hint=_HINT_QUOTE)


# --------------------------------------------------------------------------------------------
# Column-wise: the same result as read_csv without a Python object per cell
# --------------------------------------------------------------------------------------------

@dataclass
class CsvHead:
    """The top of a CSV file, parsed by the reference reader."""

    grid: Grid                        # complete records from the top (at least ``rows``)
    delimiter: str
    line_ends: list[int]              # per record of ``grid``: its last physical line (1-based)
    start: int                        # byte offset of the text (after a UTF-8 BOM)
    encoding: str


def read_head(path: Path, data: bytes, encoding: str, rows: int,
              prefix: int | None = None) -> CsvHead:
    """Parse the top of a CSV file with the reference reader.

    Enough complete records for a header search over ``rows`` rows, plus the first record
    below them (which gives the width the body is parsed with). The slice read is cut after a
    line feed and grown until it holds more than ``rows`` + 1 records; the last record of a cut
    slice is dropped, as it may continue past the cut.
    """
    start = 3 if encoding == "utf-8-sig" else 0
    size = prefix or CSV_PREFIX
    while True:
        whole = start + size >= len(data)
        end = len(data) if whole else data.rfind(b"\n", start, start + size) + 1
        if end <= start and not whole:                  # no line feed in the slice yet
            size *= 4
            continue
        text = data[start:end].decode(encoding)
        delimiter = sniff_delimiter(text, rows)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        records, numbers, line_ends, first = [], [], [], 1
        try:
            for record in reader:
                records.append(record)
                numbers.append(first)
                line_ends.append(reader.line_num)
                first = reader.line_num + 1
        except csv.Error as exc:
            if whole:
                raise ExtractError(path, f"CSV 格式有误（{exc}）", row=first) from exc
            records.append([])          # the failing record; the body's checks meet it again
        if whole or len(records) > rows + 1:
            keep = len(records) if whole else len(records) - 1  # a cut's last record may go on
            records, numbers, line_ends = records[:keep], numbers[:keep], line_ends[:keep]
            width = max((len(r) for r in records), default=0)
            records = [r + [""] * (width - len(r)) for r in records]
            return CsvHead(Grid(None, records, numbers=np.asarray(numbers, dtype="int64")),
                           delimiter, line_ends, start, encoding)
        size *= 4


def read_body(data: bytes, head: CsvHead, header_index: int, width: int
              ) -> tuple[list[Column], np.ndarray] | None:
    """The records below the header row ``header_index`` of ``head``, column-wise.

    Parsed by pyarrow (or pandas' C parser, which also takes short rows) into one array per
    column, each factorised at once; a record's source row is the header's last line plus the
    lines of the records before it, counting the line breaks inside quoted cells.

    Returns
    -------
    (columns, numbers) or None
        None when the reference reader must decide: rows longer than ``width``, a cell longer
        than the ``csv`` module's field limit, a cell that swallowed records (an unclosed
        quote), or a parse that does not account for every line of the file.
    """
    header_end = head.line_ends[header_index]          # last line of the header record
    body_at = _line_offset(data, head.start, header_end)
    if _CONTENT.search(data, body_at) is None:         # only line breaks below the header
        columns = [Column(np.zeros(0, dtype=np.intp), object_array([])) for _ in range(width)]
        breaks = np.zeros(0, dtype=np.int64)
    else:
        parsed = (_columns_arrow(data, body_at, head.delimiter, head.encoding, width)
                  or _columns_pandas(data, body_at, head.delimiter, head.encoding, width))
        if parsed is None:
            return None
        columns, breaks = parsed
        if len(breaks) + int(breaks.sum()) != count_lines(data, body_at):
            return None
        if _swallowed(columns, head.delimiter, width):
            return None
    numbers = header_end + 1 + np.arange(len(breaks), dtype=np.int64)
    if len(breaks):
        numbers[1:] += np.cumsum(breaks[:-1])
    return columns, numbers


def _columns_arrow(data: bytes, at: int, delimiter: str, encoding: str, width: int
                   ) -> tuple[list[Column], np.ndarray] | None:
    """The records from byte ``at`` on, parsed by pyarrow: columns and line breaks per row.

    None when pyarrow is not installed or refuses the text (e.g. a row of another width).
    """
    try:
        import pyarrow as pa
        from pyarrow import csv as pa_csv
    except ImportError:
        return None
    names = [f"c{i}" for i in range(width)]
    native_parse_begins()
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
        columns.append(Column(coded.indices.to_numpy(zero_copy_only=False),  # int32
                              coded.dictionary.to_numpy(zero_copy_only=False)))
    pa.default_memory_pool().release_unused()         # hand the parse's memory back
    return _checked(columns)


def _columns_pandas(data: bytes, at: int, delimiter: str, encoding: str, width: int
                    ) -> tuple[list[Column], np.ndarray] | None:
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
        columns.append(Column(*pd.factorize(frame.pop(i).to_numpy(dtype=object))))
    return _checked(columns)


def _checked(columns: list[Column]) -> tuple[list[Column], np.ndarray] | None:
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


def _swallowed(columns: list[Column], delimiter: str, width: int) -> bool:
    """Whether any multi-line cell holds whole records (see :func:`swallows_records`)."""
    for column in columns:
        for text in column.uniques:
            if ("\n" in text or "\r" in text) and swallows_records(text, delimiter, width):
                return True
    return False


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


def count_lines(data: bytes, start: int) -> int:
    """Physical lines from ``start`` on (a last line without a line break counts)."""
    cr = data.count(b"\r", start)
    breaks = data.count(b"\n", start) + cr - (data.count(b"\r\n", start) if cr else 0)
    return breaks + (0 if data.endswith((b"\n", b"\r")) else 1)
