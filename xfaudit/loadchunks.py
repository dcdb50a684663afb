"""One CSV file read in chunks of rows, by the loader's own steps: bounded memory at any size.

An extract of ten million rows cannot be a workbook (a sheet holds 1,048,576 rows); it comes as
a CSV file. :func:`load_extract_chunks` reads such a file without holding it: the file is
memory-mapped, the header is found exactly as :func:`xfaudit.load.load_extract` finds it (the
same ``read_head`` and ``find_header``, the same column assignment), and the body is cut into
pieces of whole records — at line feeds outside quotes — each parsed column-wise and converted
by the loader's ``Body``/``build`` into an :class:`~xfaudit.model.Extract` chunk. Row numbers,
rejected rows, empty rows, unreadable cells and the ingest report come out the same as the
one-piece loader's; a test compares them.

A file the chunked path cannot read record for record — not UTF-8 or GB18030 (a UTF-16 file
is recoded in memory), a header below the rows searched, a piece the column-wise parsers refuse
or whose lines do not add up (rows of another width, an unclosed quote) — raises
:class:`NotStreamable` before or while chunks are produced; the caller then reads it with the
one-piece loader, which decides and reports the problem in Chinese as usual
(:func:`xfaudit.scale.dataset.convert` does this).

Unused columns are described in the report (likely unit columns) from at most
:data:`UNUSED_DISTINCT` distinct values each, so that a free-text column of ten million rows is
not held.
"""

from __future__ import annotations

import hashlib
import mmap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from xfaudit import dates as _dates
from xfaudit.convert import Body, build, empty_unreadable
from xfaudit.headers import HEADER_SCAN_ROWS, assign_columns, find_header
from xfaudit.io import csvread
from xfaudit.io.grid import column_letter
from xfaudit.io.sniff import check_exists, sniff_format, text_encoding
from xfaudit.mapping import read_mapping_spec
from xfaudit.model import REJECTED_COLUMNS, Extract

#: Bytes scanned at a time for record boundaries.
SCAN_BLOCK = 1 << 24

#: Distinct values kept per unused column for the report's likely-unit-column search.
UNUSED_DISTINCT = 100_000


class NotStreamable(Exception):
    """The file must be read in one piece (see the module docstring); ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Accumulated:
    """What the report needs from every chunk."""

    rows_read: int = 0
    rows_kept: int = 0
    empty_rows: int = 0
    pending_empty: int = 0          # empty rows at the end of the pieces read so far
    filled: set = field(default_factory=set)
    rejected: list = field(default_factory=list)
    unreadable: list = field(default_factory=list)
    unused_texts: dict = field(default_factory=dict)   # column → {text: None} (capped)


class _StreamBody:
    """The parts of a :class:`~xfaudit.convert.Body` the report reads, for the whole file."""

    def __init__(self, acc: _Accumulated):
        self.read = np.ones(acc.rows_read, dtype=bool)
        self.empty_rows = acc.empty_rows
        self._filled = acc.filled
        self.columns = _TextsOf(acc.unused_texts)

    def filled_columns(self) -> set[int]:
        return set(self._filled)


class _TextsOf:
    """``body.columns[c].texts`` for the unused columns (the likely-unit-column search)."""

    def __init__(self, texts: dict):
        self._texts = texts

    def __len__(self) -> int:
        return max(self._texts, default=-1) + 1

    def __getitem__(self, column: int):
        return _Texts(np.asarray(list(self._texts.get(column, {})), dtype=object))


@dataclass
class _Texts:
    texts: np.ndarray


class ExtractChunks:
    """The chunks of one CSV extract (iterate once); ``report`` once they are all read.

    Attributes
    ----------
    path : Path
    rows : int
        Records per chunk (a chunk's frame holds its records that are items).
    report : IngestReport or None
        The whole ingest report, set when the last chunk has been produced.
    """

    def __init__(self, path, rows: int, *, mapping=None, date_window=None,
                 header_row: int | None = None):
        self.path = Path(path)
        self.rows = max(int(rows), 1)
        self.spec = read_mapping_spec(mapping)
        self.window = date_window or _dates.DateWindow.around()
        self.header_row = header_row
        self.report = None
        #: the name rows are keyed by and unreadable cells name (``source_file``)
        self.file = self.path.name
        self.fmt = "csv"

    def __iter__(self) -> Iterator[Extract]:
        from xfaudit.load import _lookup

        check_exists(self.path)
        with open(self.path, "rb") as handle:
            if self.path.stat().st_size == 0:
                raise NotStreamable("空文件")
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            try:
                yield from self._chunks(data, _lookup(self.spec))
            finally:
                data.close()

    # -- the pieces ------------------------------------------------------------------------
    def _chunks(self, data, lookup) -> Iterator[Extract]:
        head_bytes = data[:1 << 20]
        if not head_bytes.strip() or sniff_format(self.path, head_bytes) != "csv":
            raise NotStreamable("不是 CSV 文件")
        if head_bytes.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise NotStreamable("UTF-16 编码")
        encoding = text_encoding(self.path, data)
        rows = max(HEADER_SCAN_ROWS, self.header_row or 0)
        head = csvread.read_head(self.path, data, encoding, rows)
        header = find_header(head.grid, lookup, self.header_row)
        if header is None or not header.is_valid():
            raise NotStreamable("表头不在前面的行中")
        width = len(header.texts)
        header_end = head.line_ends[header.index]
        body_at = csvread._line_offset(data, head.start, header_end)
        user = self.spec.user_headers if self.spec else frozenset()
        letter = column_letter
        competing = any(len([c for c, t in enumerate(header.targets) if name in t]) > 1
                        for name in {n for t in header.targets for n in t})
        filled = (self._filled(data, body_at, head, width) if competing else set())
        columns = assign_columns(header, filled, user, letter)
        used = set(columns.feeds.values())
        acc = _Accumulated()
        first_line = header_end + 1
        for start, end in _pieces(data, body_at, self.rows):
            piece = data[start:end]
            parsed, lines = _parse(piece, head, width)
            cols, breaks = parsed
            numbers = first_line + np.arange(len(breaks), dtype=np.int64)
            if len(breaks):
                numbers[1:] += np.cumsum(breaks[:-1])
            first_line += lines
            yield self._chunk(acc, Body.from_columns(cols, numbers), len(numbers), columns,
                              used, header)
        self.report = self._whole_report(data, encoding, head, header, columns, acc)

    def _chunk(self, acc: _Accumulated, body: Body, records: int, columns, used: set[int],
               header, sheet: str | None = None) -> Extract:
        """One piece's :class:`~xfaudit.model.Extract` (``records`` rows before the trailing
        empty ones were cut off), its counts added to ``acc``."""
        if body.read.any():
            acc.empty_rows += acc.pending_empty
            acc.pending_empty = 0
        acc.pending_empty += records - len(body.numbers)
        acc.empty_rows += body.empty_rows
        acc.rows_read += int(body.read.sum())
        acc.filled |= body.filled_columns()
        self._keep_unused_texts(acc, body, used, header)
        built = build(body, columns, self.window, self.spec.values if self.spec else None,
                      file=self.file, sheet=sheet)
        acc.rows_kept += len(built.frame)
        if len(built.rejected):
            acc.rejected.append(built.rejected)
        if len(built.unreadable):
            acc.unreadable.append(built.unreadable)
        return Extract(frame=built.frame, report=self._chunk_report(built))

    def _filled(self, data, body_at: int, head, width: int) -> set[int]:
        """Columns with data anywhere in the body (decides between two columns of one
        field, as the one-piece loader does): one pass over the pieces."""
        filled: set[int] = set()
        numbers_start = 0
        for start, end in _pieces(data, body_at, self.rows):
            (cols, breaks), _lines = _parse(data[start:end], head, width)
            body = Body.from_columns(cols, np.arange(numbers_start,
                                                     numbers_start + len(breaks)))
            filled |= body.filled_columns()
        return filled

    @staticmethod
    def _keep_unused_texts(acc: _Accumulated, body: Body, used: set[int], header) -> None:
        for c, text in enumerate(header.labels):
            if not text or c in used or c >= len(body.columns):
                continue
            kept = acc.unused_texts.setdefault(c, {})     # first appearance order
            room = UNUSED_DISTINCT - len(kept)
            if room <= 0:
                continue
            texts = pd.Series(body.columns[c].texts, dtype=object).dropna()
            new = [t for t in pd.unique(texts) if t not in kept][:room]
            kept.update(dict.fromkeys(new))

    def _chunk_report(self, built):
        """A chunk's report: its unreadable cells (what the audit of the chunk reads)."""
        from xfaudit.model import IngestReport

        return IngestReport(
            path=str(self.path), sha256="", file_format=self.fmt, sheet=None, header_row=1,
            encoding=None, rows_read=0, rows_kept=len(built.frame), empty_rows=0,
            rejected=built.rejected, unreadable=built.unreadable, mapping={},
            unknown_columns=[], absent_fields=[])

    def _whole_report(self, data, encoding: str, head, header, columns, acc: _Accumulated):
        from xfaudit.load import _report, _Table

        digest = hashlib.sha256()
        for at in range(0, len(data), SCAN_BLOCK):
            digest.update(data[at:at + SCAN_BLOCK])
        table = _Table(self.path, None, "csv", encoding, digest.hexdigest(),
                       head.grid.number(header.index), header, _StreamBody(acc), columns,
                       None, column_letter)
        return self._report_of(table, columns, acc)

    def _report_of(self, table, columns, acc: _Accumulated):
        """The whole ingest report from the table as read and the chunks' counts."""
        from xfaudit.load import _report

        rejected = (pd.concat(acc.rejected, ignore_index=True) if acc.rejected
                    else pd.DataFrame(columns=REJECTED_COLUMNS).astype({"source_row": "int64"}))
        unreadable = (pd.concat(acc.unreadable, ignore_index=True) if acc.unreadable
                      else empty_unreadable())
        fed = ["source_row", *columns.feeds]
        return _report(table, fed, rows_read=acc.rows_read, rows_kept=acc.rows_kept,
                       empty_rows=acc.empty_rows, rejected=rejected, unreadable=unreadable,
                       tables=[], others=[], spec=self.spec)


def load_extract_chunks(path, rows: int, *, mapping=None, date_window=None,
                        header_row: int | None = None) -> ExtractChunks:
    """A CSV extract in chunks of ``rows`` records (see the module docstring).

    Parameters are those of :func:`xfaudit.load.load_extract` for one file. Iterating yields
    :class:`~xfaudit.model.Extract` chunks in row order (each report lists the chunk's
    unreadable cells); afterwards ``.report`` is the whole file's ingest report, equal to the
    one-piece loader's.

    Raises
    ------
    NotStreamable
        While iterating: the file must be read in one piece.
    """
    return ExtractChunks(path, rows, mapping=mapping, date_window=date_window,
                         header_row=header_row)


# ---------------------------------------------------------------------------------------------
# Record boundaries and pieces
# ---------------------------------------------------------------------------------------------

def _pieces(data, start: int, rows: int) -> Iterator[tuple[int, int]]:
    """(start, end) byte ranges of ``rows`` records each from ``start`` (the last may hold
    fewer): a record ends at a line feed outside double quotes. The quote parity of every
    byte is counted with numpy, a block at a time; a stray quote inside an unquoted cell
    makes a piece longer, never wrong (the parse checks every piece's lines)."""
    size = len(data)
    if start >= size:
        return
    piece_start, records, parity = start, 0, 0
    for block in range(start, size, SCAN_BLOCK):
        count = min(SCAN_BLOCK, size - block)
        raw = np.frombuffer(data, dtype=np.uint8, count=count, offset=block)
        quotes = np.cumsum(raw == 0x22, dtype=np.uint8) + np.uint8(parity)
        ends = np.flatnonzero((raw == 0x0A) & ((quotes & 1) == 0)) + block + 1
        parity = int(quotes[-1] & 1)
        del raw, quotes
        at = 0
        while records + len(ends) - at >= rows:
            cut = ends[at + rows - records - 1]
            yield piece_start, int(cut)
            at += rows - records
            piece_start, records = int(cut), 0
        records += len(ends) - at
    if piece_start < size:
        yield piece_start, size


def _parse(piece: bytes, head, width: int):
    """One piece's columns and line breaks per record, and its physical lines."""
    parsed = (csvread._columns_arrow(piece, 0, head.delimiter, head.encoding, width)
              or csvread._columns_pandas(piece, 0, head.delimiter, head.encoding, width))
    if parsed is None:
        raise NotStreamable("列数不一致或引号有误")
    lines = csvread.count_lines(piece, 0)
    columns, breaks = parsed
    if len(breaks) + int(breaks.sum()) != lines or csvread._swallowed(columns, head.delimiter,
                                                                      width):
        raise NotStreamable("行数对不上（引号有误）")
    return parsed, lines

