"""Load a case extract (信访事项台账) into the canonical frame.

This is the first arrow of DESIGN.md: the spreadsheets exported from the petition information
system (or kept by hand) go in; an :class:`~xfaudit.model.Extract` comes out, with one row per
petition item, the canonical fields of ``xfaudit/data/fields.toml`` and an
:class:`~xfaudit.model.IngestReport` that accounts for every source row.

The steps, each in its own module:

1. read the file into raw grids — :mod:`xfaudit.io` (xlsx/xls/WPS .et, CSV in UTF-8, GBK or
   UTF-16, HTML tables saved as .xls);
2. find the header and the ledger's sheet, assign columns to fields — :mod:`xfaudit.headers`,
   with the user's aliases and value rules from :mod:`xfaudit.mapping`;
3. keep or reject each row and convert every cell for its field's kind — :mod:`xfaudit.convert`;
4. join the export's secondary tables on 信访件编号 — :mod:`xfaudit.join`;
5. explain what was read — :mod:`xfaudit.loadreport`.

It never guesses silently: cells it cannot read are listed in ``report.unreadable``, rows it
drops in ``report.rejected``, choices it made (a duplicated column, a sheet left aside) in
``report.warnings``. A parser's own failure on a damaged file is a Chinese
:class:`~xfaudit.errors.ExtractError`; any other exception is a defect and is not disguised.
"""

from __future__ import annotations

import csv
import hashlib
import struct
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from xfaudit import dates as _dates
from xfaudit.convert import (REASON_NOT_A_RECORD, REASON_REPEATED_HEADER, UNREADABLE_TABLE,
                             Body, Built, build, empty_unreadable)
from xfaudit.errors import ExtractError
from xfaudit.headers import (HEADER_SCAN_ROWS, Columns, Header, assign_columns, builtin_lookup,
                             choose_sheet, find_header, header_not_found)
from xfaudit.io import csvread
from xfaudit.io.grid import Grid, column_letter
from xfaudit.io.html import read_html_tables
from xfaudit.io.sniff import SUPPORTED_EXTENSIONS, check_exists, sniff_format, text_encoding, utf8_bytes
from xfaudit.io.workbook import Book, SheetInfo
from xfaudit.join import RULE, join_table
from xfaudit.loadreport import (COLUMN_TABLE, USE_DUPLICATE, USE_MAPPED, USE_NO_HEADER,
                                USE_UNUSED, TableReport, unit_candidates)
from xfaudit.mapping import MappingSpec, read_mapping_spec
from xfaudit.model import Extract, IngestReport
from xfaudit.overlap import native_parse_begins
from xfaudit.schema import fields, header_of
from xfaudit.units import UnitRegister, apply_units

__all__ = ["load_extract", "read_mapping", "header_lookup", "SUPPORTED_EXTENSIONS",
           "REASON_REPEATED_HEADER", "REASON_NOT_A_RECORD", "HEADER_SCAN_ROWS"]

PathLike = str | Path


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------

def load_extract(path: PathLike | Sequence[PathLike], *,
                 sheet: str | int | Sequence[str | int] | None = None,
                 mapping: PathLike | Mapping | MappingSpec | None = None,
                 date_window: _dates.DateWindow | None = None,
                 header_row: int | None = None,
                 units: PathLike | UnitRegister | None = None) -> Extract:
    """Read a case extract into the canonical frame.

    Parameters
    ----------
    path : str or pathlib.Path, or a list of them
        An ``.xlsx``/``.xlsm``, ``.xls``, WPS ``.et``, ``.csv`` (UTF-8 with or without BOM,
        GBK/GB18030, UTF-16 with BOM), an HTML table saved as ``.xls``, or the folder of a
        canonical dataset (:mod:`xfaudit.scale.dataset`: read as written, the other
        arguments but ``units`` do not apply). Several paths: the
        first is the item table (信访件), the others are secondary tables of the same export
        (办理, 答复告知, 复查复核 …) joined on 信访件编号 (see :mod:`xfaudit.join`).
    sheet : str or int, or a list of them, optional
        Sheet name or 0-based index of the item table. By default the visible sheet whose
        header names the most canonical fields is used (hidden sheets only when named; two
        sheets that both look like the ledger are an error asking to choose). A list with one
        path names several sheets of that workbook: the first is the item table, the others
        secondary tables; with several paths, one sheet (or None) per path.
    mapping : str, pathlib.Path, dict or MappingSpec, optional
        Local headers and value rules: a TOML (or YAML) file with ``[aliases]`` and
        ``[values.<field>]`` tables, the name of a built-in mapping (``province``,
        ``ningbo``, ``police``; see :func:`xfaudit.mapping.named_mappings`), or a dict of the
        file's shape. User aliases win over the built-in ones.
    date_window : xfaudit.dates.DateWindow, optional
        The plausible days (default: 1 January 1990 to one year after today; the audit passes
        the window of its rule profile and as-of date). A date cell outside it is unreadable,
        listed with its raw text and the reason 不在合理日期范围内.
    header_row : int, optional
        The header's row number (1-based, as Excel shows it) in the item table, when it lies
        below the rows searched (:data:`HEADER_SCAN_ROWS`) or the search picks another row.
    units : str, pathlib.Path or xfaudit.units.UnitRegister, optional
        The unit register (单位名录): unit names (责任单位, 登记部门, 复查机关, 复核机关) are made
        official through it; names it does not know are listed in ``report.unknown_units``
        (:func:`xfaudit.units.apply_units`).

    Returns
    -------
    Extract
        ``frame`` (``source_row`` then the canonical fields present, in contract order) and
        ``report`` (row accounting, unreadable cells, column table, warnings, secondary
        tables, file hash).

    Raises
    ------
    ExtractNotFoundError
        A file does not exist.
    HeaderNotFoundError
        No row in the first rows of any visible sheet looks like the ledger's header.
    SheetChoiceError
        Several sheets look like the ledger and none was named.
    MappingError
        The mapping file is unreadable, has an unknown key or names an unknown field.
    ExtractError
        A file that cannot be read as a table (wrong type, damaged, password protected,
        empty, an unclosed quote in a CSV, a secondary table without 信访件编号). Messages are
        in Chinese and name the file, sheet and row.
    """
    from xfaudit.scale.dataset import is_dataset, open_dataset

    if isinstance(path, str | Path) and is_dataset(path):
        native_parse_begins()                       # pyarrow reads the parquet files
        return apply_units(open_dataset(path).to_extract(), units)
    tables = _table_paths(path, sheet)
    for table_path, _ in tables:
        check_exists(table_path)
    spec = read_mapping_spec(mapping)
    lookup = _lookup(spec)
    window = date_window or _dates.DateWindow.around()
    item = _read_table(tables[0][0], tables[0][1], lookup, spec, window, header_row)
    others = [_read_table(p, s, lookup, spec, window, None) for p, s in tables[1:]]
    return apply_units(_assemble(item, others, spec), units)


def read_mapping(mapping: PathLike | Mapping | None) -> dict[str, tuple[str, ...]]:
    """The user's header aliases of a mapping (file, built-in name or dict): folded header →
    tuple of field names (see :func:`xfaudit.mapping.read_mapping_spec` for value rules)."""
    spec = read_mapping_spec(mapping)
    return dict(spec.aliases) if spec else {}


def header_lookup(mapping: PathLike | Mapping | None = None) -> dict[str, tuple[str, ...]]:
    """Every accepted header (folded) → the field names it feeds.

    The canonical headers and aliases of ``fields.toml``, overridden by the user's mapping.
    """
    return _lookup(read_mapping_spec(mapping))


def _lookup(spec: MappingSpec | None) -> dict[str, tuple[str, ...]]:
    lookup = dict(builtin_lookup())
    if spec:
        lookup.update(spec.aliases)
    return lookup


def _table_paths(path, sheet) -> list[tuple[Path, str | int | None]]:
    """(path, sheet) per table, the item table first."""
    paths = [Path(path)] if isinstance(path, str | Path) else [Path(p) for p in path]
    if not paths:
        raise ExtractError(None, "未指定台账文件")
    if sheet is None or isinstance(sheet, str | int):
        return [(paths[0], sheet)] + [(p, None) for p in paths[1:]]
    sheets = list(sheet)
    if len(paths) == 1:
        return [(paths[0], s) for s in sheets] or [(paths[0], None)]
    if len(sheets) != len(paths):
        raise ExtractError(paths[0], f"给出了 {len(paths)} 个文件和 {len(sheets)} 个工作表名",
                           hint="多个文件时，工作表名要么只给一个（用于第一个文件），要么每个文件各给一个。")
    return list(zip(paths, sheets, strict=True))


# --------------------------------------------------------------------------------------------
# One table: file → grid → header → typed rows
# --------------------------------------------------------------------------------------------

@dataclass
class _Table:
    """One table as read: where from, its typed rows, its columns and what to tell the user."""

    path: Path
    sheet: str | None
    fmt: str
    encoding: str | None
    sha256: str
    header_row: int
    header: Header
    body: Body
    columns: Columns
    built: Built
    letter: object                       # column position -> Excel letter
    notes: list[str] = field(default_factory=list)

    @property
    def unknown(self) -> list[str]:
        return self.columns.unknown + [
            f"（第{self.letter(c)}列，无表头）" for c in sorted(self.body.filled_columns())
            if c >= len(self.columns.labels) or not self.columns.labels[c]]


def _parser_errors() -> tuple[type[BaseException], ...]:
    """The exceptions the readers' parsers raise for a damaged or odd file (never a bug of
    ours: anything else is let through as an internal error)."""
    errors: list[type[BaseException]] = [zipfile.BadZipFile, zlib.error, UnicodeDecodeError,
                                         csv.Error, struct.error, EOFError,
                                         ElementTree.ParseError]
    try:
        from python_calamine import CalamineError
        errors.append(CalamineError)
    except ImportError:                                      # pragma: no cover
        pass
    try:
        import xlrd
        errors += [xlrd.XLRDError, xlrd.compdoc.CompDocError]
    except ImportError:                                      # pragma: no cover
        pass
    try:
        import pyarrow
        errors.append(pyarrow.ArrowInvalid)
    except ImportError:                                      # pragma: no cover
        pass
    try:
        import lxml.etree
        errors.append(lxml.etree.LxmlError)
    except ImportError:                                      # pragma: no cover
        pass
    return tuple(errors)


def _read_table(path: Path, sheet, lookup, spec: MappingSpec | None,
                window: _dates.DateWindow, header_row: int | None) -> _Table:
    try:
        return _read(path, sheet, lookup, spec, window, header_row)
    except _parser_errors() as exc:   # a parser's own error on an odd file, in Chinese
        raise ExtractError(path, f"读取失败（{type(exc).__name__}：{exc}）",
                           hint="请确认文件未损坏，可在 Excel 中打开后另存为 .xlsx 再试。") from exc


def _read(path: Path, sheet, lookup, spec: MappingSpec | None, window: _dates.DateWindow,
          header_row: int | None) -> _Table:
    data = path.read_bytes()
    fmt = sniff_format(path, data)
    sha256 = hashlib.sha256(data).hexdigest()
    encoding, notes, letter = None, [], column_letter
    if fmt == "csv":
        header, body, number, encoding = _read_csv(path, data, lookup, header_row)
        name = None
    else:
        book = Book(path, data, fmt) if fmt != "html" else _TablesBook(read_html_tables(path, data))
        del data
        choice = choose_sheet(path, book, sheet, lookup, header_row)
        grid, header, notes = choice.grid, choice.header, choice.notes
        name, number, letter = grid.name, grid.number(header.index), grid.letter
        body = Body.from_grid(grid, header.index)
        del grid, book
    columns = assign_columns(header, body.filled_columns(),
                             spec.user_headers if spec else frozenset(), letter)
    built = build(body, columns, window, spec.values if spec else None, file=path.name,
                  sheet=name)
    return _Table(path, name, fmt, encoding, sha256, number, header, body, columns, built,
                  letter, notes)


def _read_csv(path: Path, data: bytes, lookup, header_row: int | None
              ) -> tuple[Header, Body, int, str]:
    """A CSV file's header and body: column-wise when the top rows vouch for it, else the
    reference reader (which decides anything unusual, and reports an unclosed quote)."""
    data, recoded = utf8_bytes(path, data)
    encoding = text_encoding(path, data)
    rows = max(HEADER_SCAN_ROWS, header_row or 0)
    head = csvread.read_head(path, data, encoding, rows)
    header = find_header(head.grid, lookup, header_row)
    if header is not None and header.is_valid():
        parsed = csvread.read_body(data, head, header.index, len(header.texts))
        if parsed is not None:
            return (header, Body.from_columns(*parsed), head.grid.number(header.index),
                    recoded or encoding)
    grid = csvread.read_csv(path, data[head.start:].decode(encoding), rows)
    del data
    if grid.is_empty():
        raise ExtractError(path, "文件为空")
    header = find_header(grid, lookup, header_row)
    if header is None or not header.is_valid():
        raise header_not_found(path, grid, header, header_row)
    return header, Body.from_grid(grid, header.index), grid.number(header.index), \
        recoded or encoding


class _TablesBook:
    """The tables of an HTML page, offered to the sheet choice like a workbook's sheets."""

    def __init__(self, grids: list[Grid]):
        self._grids = {g.name: g for g in grids}
        self.sheets = [SheetInfo(g.name) for g in grids]
        self.names = [g.name for g in grids]

    def grid(self, name: str) -> Grid:
        return self._grids[name]


# --------------------------------------------------------------------------------------------
# The extract: the item table, its secondary tables, the report
# --------------------------------------------------------------------------------------------

def _assemble(item: _Table, others: list[_Table], spec: MappingSpec | None) -> Extract:
    frame, unreadable = item.built.frame, item.built.unreadable
    reports = []
    for table in others:
        if "case_id" not in table.built.frame:
            raise ExtractError(table.path, "关联表没有信访件编号列，无法与信访件表对应",
                               sheet=table.sheet,
                               hint="关联表（办理、答复、复查复核等）须有「信访件编号」列（或其别名）。")
        joined = join_table(frame, table.built.frame, table.built.unreadable)
        frame = joined.frame
        unreadable = pd.concat([unreadable, joined.unreadable], ignore_index=True)
        reports.append(_table_report(table, joined))
    if others:
        unreadable = (unreadable.sort_values("source_row", kind="stable")
                      .reset_index(drop=True)[UNREADABLE_TABLE])
        if unreadable.empty:
            unreadable = empty_unreadable()
    report = _report(item, list(frame.columns), rows_read=int(item.body.read.sum()),
                     rows_kept=len(item.built.frame), empty_rows=item.body.empty_rows,
                     rejected=item.built.rejected, unreadable=unreadable, tables=reports,
                     others=others, spec=spec)
    return Extract(frame=frame, report=report)


def _report(item: _Table, columns: list[str], *, rows_read: int, rows_kept: int,
            empty_rows: int, rejected: pd.DataFrame, unreadable: pd.DataFrame, tables: list,
            others: list[_Table], spec: MappingSpec | None) -> IngestReport:
    """The ingest report of an item table (read in one piece or in chunks) and its joins."""
    present = [f for f in fields() if f in columns]
    return IngestReport(
        path=str(item.path), sha256=item.sha256, file_format=item.fmt,
        sheet=item.sheet, header_row=item.header_row, encoding=item.encoding,
        rows_read=rows_read, rows_kept=rows_kept, empty_rows=empty_rows, rejected=rejected,
        unreadable=unreadable, mapping=item.columns.mapping, unknown_columns=item.unknown,
        absent_fields=[f for f in fields() if f not in present],
        columns=_column_table(item), warnings=_warnings(item, others, spec),
        unit_candidates=_unit_candidates(item), tables=tables,
        mapping_source=_mapping_source(spec))


def _table_report(table: _Table, joined) -> TableReport:
    return TableReport(
        path=str(table.path), sheet=table.sheet, file_format=table.fmt,
        header_row=table.header_row, encoding=table.encoding, sha256=table.sha256,
        rows_read=int(table.body.read.sum()), rows_kept=len(table.built.frame),
        rows_rejected=len(table.built.rejected), empty_rows=table.body.empty_rows,
        mapping=table.columns.mapping, unknown_columns=table.unknown,
        rows_matched=joined.rows_matched, items_matched=joined.items_matched,
        rows_without_id=joined.rows_without_id, unmatched_ids=joined.unmatched_ids,
        items_with_several_rows=joined.items_with_several_rows, rule=RULE,
        fields_added=joined.fields_added, fields_filled=joined.fields_filled,
        conflicts=joined.conflicts, unreadable_unmatched=joined.unreadable_unused)


def _column_table(table: _Table) -> pd.DataFrame:
    """Every column of the item table with a header or data: letter, header, fields, use."""
    columns = table.columns
    filled = table.body.filled_columns()
    width = max(len(columns.labels), max(filled, default=-1) + 1)
    rows = []
    for c in range(width):
        text = columns.labels[c] if c < len(columns.labels) else ""
        if not text and c not in filled:
            continue
        names = [n for n in (table.header.targets[c] if c < len(table.header.targets) else ())
                 if columns.feeds.get(n) == c]
        if names:
            use = USE_MAPPED
        elif not text:
            use = USE_NO_HEADER
        elif c < len(table.header.targets) and table.header.targets[c]:
            use = USE_DUPLICATE
        else:
            use = USE_UNUSED
        rows.append({"column": table.letter(c), "header": text or "（无表头）",
                     "fields": ",".join(names), "names": "、".join(header_of(n) for n in names),
                     "use": use})
    return pd.DataFrame(rows, columns=COLUMN_TABLE)


def _unit_candidates(table: _Table) -> list[dict]:
    used = set(table.columns.feeds.values())
    positions = [c for c, text in enumerate(table.columns.labels) if text and c not in used]
    return unit_candidates(
        [table.columns.labels[c] for c in positions], [table.letter(c) for c in positions],
        [np.asarray([t for t in table.body.columns[c].texts if t is not None], dtype=object)
         if c < len(table.body.columns) else np.asarray([], dtype=object) for c in positions])


def _warnings(item: _Table, others: list[_Table], spec: MappingSpec | None) -> list[str]:
    tables = [item, *others]
    out = list(item.notes)
    for table in tables:
        where = "" if table is item else f"关联表 {table.path.name}："
        out += [where + "重复的列：" + note for note in table.columns.notes]
    if spec:
        seen = {f for t in tables for f in t.header.folded if f}
        for folded, written in spec.headers.items():
            if folded not in seen:
                out.append(f"映射文件 {spec.source} 中的表头「{written}」在台账中没有对应的列"
                           "（请核对拼写，或这一行对应的列已不再导出）")
        fed = {f for t in tables for f in t.columns.feeds}
        for name in spec.values:
            if name not in fed:
                out.append(f"映射文件 {spec.source} 中 [values.{name}]（{header_of(name)}）"
                           "的取值规则没有用上：台账中没有这一字段的列")
    if "handling_unit" not in {f for t in tables for f in t.columns.feeds}:
        out.append("台账中没有责任单位列：问题将无法落到单位"
                   + ("（见「可能的责任单位列」）" if _unit_candidates(item) else ""))
    return out


def _mapping_source(spec: MappingSpec | None) -> str | None:
    if spec is None:
        return None
    return spec.source + (f"（{spec.description}）" if spec.description else "")

