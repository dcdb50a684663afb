"""Which row is the ledger's header, which sheet holds the ledger, and which column feeds which
canonical field.

A header is the row (among the first :data:`HEADER_SCAN_ROWS`) that names the most canonical
fields of ``fields.toml``, at least two of them and one a key field (信访件编号, 收到日期 or
责任单位). Headers are compared folded: full-width forms, spaces, line breaks, zero-width and
control characters, required-markers (``*``, ``★``) and trailing colons do not matter.

Sheets: hidden sheets are never chosen unless named; among the visible ones the best header
wins, and two sheets that both look like the ledger (the same kind of header and rows below
it) stop the load with a question rather than one being read silently.

Columns: when two columns feed one field, the one with data wins over an empty one, a column
named in the user's mapping over a built-in alias, the canonical header and the earlier alias
in ``fields.toml`` over later ones (具体承办单位 before 责任部门), then the left-most; the
report says which column was taken and why.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from xfaudit.errors import ExtractError, HeaderNotFoundError, SheetChoiceError
from xfaudit.io.grid import Grid, cell_text, label
from xfaudit.schema import fields, fold_text, header_of

#: How many rows from the top of a sheet are searched for the header.
HEADER_SCAN_ROWS = 100

#: A header must name at least this many canonical fields, one of them a key field.
MIN_HEADER_FIELDS = 2
KEY_FIELDS = ("case_id", "received_on", "handling_unit")

#: Rank of a header named in the user's mapping (before every built-in one).
USER_RANK = -1


def fold_header(text: str) -> str:
    """Fold a header for comparison: :func:`~xfaudit.schema.fold_text`, without zero-width,
    format and control characters (copied from web pages), required-markers and colons.

    ASCII text is already NFKC-normal, so it skips the (slow) normalisation.
    """
    if text.isascii():
        folded = "".join(ch for ch in text if ch.isprintable() or ch.isspace())
        folded = "".join(folded.split())
    else:
        visible = "".join(ch for ch in text
                          if unicodedata.category(ch) not in ("Cf", "Cc") or ch.isspace())
        folded = fold_text(visible)
    return folded.strip("*★:")


@cache
def builtin_lookup() -> dict[str, tuple[str, ...]]:
    """Every built-in header (folded) → the field it feeds (canonical headers and aliases)."""
    lookup: dict[str, tuple[str, ...]] = {}
    for spec in fields().values():
        for header in (spec.header, *spec.aliases):
            lookup.setdefault(fold_header(header), (spec.name,))
    return lookup


@cache
def _builtin_ranks() -> dict[tuple[str, str], int]:
    """(folded header, field) → 0 for the canonical header, i + 1 for the i-th alias."""
    ranks: dict[tuple[str, str], int] = {}
    for spec in fields().values():
        for rank, header in enumerate((spec.header, *spec.aliases)):
            ranks.setdefault((fold_header(header), spec.name), rank)
    return ranks


def alias_rank(folded: str, name: str, user: frozenset[str] | set[str]) -> int:
    """Preference of a header for a field: lower wins (user mapping, canonical, aliases)."""
    if folded in user:
        return USER_RANK
    return _builtin_ranks().get((folded, name), len(_builtin_ranks()))


# --------------------------------------------------------------------------------------------
# Header rows
# --------------------------------------------------------------------------------------------

@dataclass
class Header:
    """A candidate header row."""

    index: int                        # 0-based row index in the grid
    texts: list[str | None]           # cell text per column (trimmed)
    labels: list[str]                 # display text per column: no line breaks, '' when empty
    targets: list[tuple[str, ...]]    # fields matched per column (before de-duplication)
    folded: list[str]                 # folded label per column

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


def header_at(grid: Grid, index: int, row: list, lookup: dict[str, tuple[str, ...]]) -> Header:
    texts = [cell_text(cell) for cell in row]
    labels = [label(text) for text in texts]
    folded = [fold_header(s) if s else "" for s in labels]
    return Header(index, texts, labels, [lookup.get(f, ()) if f else () for f in folded], folded)


def find_header(grid: Grid, lookup: dict[str, tuple[str, ...]],
                header_row: int | None = None) -> Header | None:
    """The row among the first rows that best looks like the header (earliest on ties), or
    the row ``header_row`` (1-based, as the user sees it) when given."""
    if header_row is not None:
        index = _index_of_number(grid, header_row)
        if index is None:
            return None
        return header_at(grid, index, grid.filled_down(0, index + 1)[index], lookup)
    best = None
    for index, row in enumerate(grid.filled_down(0, HEADER_SCAN_ROWS)):
        candidate = header_at(grid, index, row, lookup)
        if not any(candidate.labels):
            continue
        if best is None or candidate.rank > best.rank:
            best = candidate
    return best


def _index_of_number(grid: Grid, number: int) -> int | None:
    if grid.numbers is None:
        return number - 1 if 0 < number <= len(grid.rows) else None
    matches = [i for i, n in enumerate(grid.numbers[:number + 1]) if n == number]
    return matches[0] if matches else None


def scanned_rows(grid: Grid) -> int:
    """How many rows the header search looked at (for messages)."""
    return min(HEADER_SCAN_ROWS, len(grid.rows))


def has_rows_below(grid: Grid, header: Header) -> bool:
    return any(label(cell) for row in grid.rows[header.index + 1:] for cell in row)


# --------------------------------------------------------------------------------------------
# Sheet choice
# --------------------------------------------------------------------------------------------

@dataclass
class SheetChoice:
    """The sheet chosen and what the user should know about the others."""

    grid: Grid
    header: Header
    notes: list[str] = field(default_factory=list)


def choose_sheet(path: Path, book, sheet: str | int | None,
                 lookup: dict[str, tuple[str, ...]], header_row: int | None = None
                 ) -> SheetChoice:
    """The requested sheet (hidden or not), or the visible sheet with the best header.

    Raises
    ------
    SheetChoiceError
        Two visible sheets both look like the ledger (see :func:`_rivals`).
    HeaderNotFoundError
        No visible sheet has a usable header (hidden sheets that have one are named).
    """
    if sheet is not None:
        grid = book.grid(resolve_sheet(path, book, sheet))
        if grid.is_empty():
            raise ExtractError(path, "工作表为空", sheet=grid.name)
        header = find_header(grid, lookup, header_row)
        if header is None or not header.is_valid():
            raise header_not_found(path, grid, header, header_row)
        return SheetChoice(grid, header)
    candidates, hidden, first_nonempty = [], [], None
    for info in book.sheets:
        grid = book.grid(info.name)
        if grid.is_empty():
            continue
        header = find_header(grid, lookup, header_row)
        if info.hidden:
            if header is not None and header.is_valid():
                hidden.append(info.name)
            continue
        first_nonempty = first_nonempty or grid
        if header is not None:
            candidates.append((grid, header))
    valid = [(g, h) for g, h in candidates if h.is_valid()]
    if not valid:
        if first_nonempty is None and not hidden:
            raise ExtractError(path, "工作表为空",
                               sheet=book.names[0] if len(book.names) == 1 else None)
        if first_nonempty is None:
            raise HeaderNotFoundError(path, "找不到台账表头", hidden=hidden,
                                      required=[header_of(k) for k in KEY_FIELDS])
        grid, header = (max(candidates, key=lambda c: c[1].rank) if candidates
                        else (first_nonempty, None))
        error = header_not_found(path, grid, header, header_row)
        error.hidden = hidden
        raise error
    grid, header = max(valid, key=lambda c: c[1].rank)       # first sheet on ties
    rivals = _rivals(grid, header, valid)
    if rivals:
        raise SheetChoiceError(path, "工作簿中有多个工作表都像台账",
                               candidates=[_describe(g, h) for g, h in [(grid, header), *rivals]])
    notes = [f"隐藏的工作表「{name}」未读取（如需审计它，请用 --sheet {name} 指定）" for name in hidden]
    for other, other_header in valid:
        if other is not grid and has_rows_below(other, other_header):
            named = "、".join(header_of(f) for f in sorted(other_header.fields_found,
                                                             key=list(fields()).index)[:6])
            notes.append(f"工作表「{other.name}」也有表头（{named}…），未读取；如它是同一批信访件的"
                         f"办理记录，可用 --sheet {grid.name} --sheet {other.name} 关联读取")
    return SheetChoice(grid, header, notes)


def _rivals(grid: Grid, header: Header, valid: list[tuple[Grid, Header]]
            ) -> list[tuple[Grid, Header]]:
    """Other sheets that look like the same ledger: rows below a header that names at least
    half the fields the chosen header names (来信 and 来访 kept on two sheets; last month's
    copy; a sheet per unit)."""
    found = header.fields_found
    return [(g, h) for g, h in valid
            if g is not grid and has_rows_below(g, h)
            and 2 * len(h.fields_found & found) >= len(found)]


def _describe(grid: Grid, header: Header) -> str:
    rows = sum(1 for row in grid.rows[header.index + 1:] if any(label(c) for c in row))
    return f"「{grid.name}」（表头在第{grid.number(header.index)}行，其下{rows}行）"


def resolve_sheet(path: Path, book, sheet: str | int) -> str:
    """A sheet name from a name or a 0-based index (hidden sheets count: the user named it)."""
    if isinstance(sheet, int):
        if 0 <= sheet < len(book.names):
            return book.names[sheet]
        raise ExtractError(path, f"没有第{sheet + 1}个工作表（共 {len(book.names)} 个）")
    if sheet in book.names:
        return sheet
    raise ExtractError(path, f"找不到工作表「{sheet}」",
                       hint=f"工作簿中的工作表：{'、'.join(book.names)}。")


def header_not_found(path: Path, grid: Grid, header: Header | None,
                     header_row: int | None = None) -> HeaderNotFoundError:
    """The error for a sheet without a usable header, naming what was found and why."""
    if header is None:
        rows = grid.filled_down(0, HEADER_SCAN_ROWS)
        index = next((i for i, row in enumerate(rows) if any(map(label, row))), None)
        header = header_at(grid, index, rows[index], {}) if index is not None else None
    found = [s for s in header.labels if s] if header else []
    recognised = ([header_of(f) for f in sorted(header.fields_found, key=list(fields()).index)]
                  if header else [])
    return HeaderNotFoundError(
        path, "找不到台账表头", sheet=grid.name, found=found,
        required=[header_of(k) for k in KEY_FIELDS], recognised=recognised,
        candidate_row=grid.number(header.index) if header else None,
        scanned=scanned_rows(grid), header_row=header_row)


# --------------------------------------------------------------------------------------------
# Columns: which source column feeds which field
# --------------------------------------------------------------------------------------------

@dataclass
class Columns:
    feeds: dict[str, int]             # field -> source column position
    texts: list[str | None]           # source header cell text per column
    labels: list[str]                 # source header per column (as shown in reports)
    mapping: dict[str, str]           # source header -> "field" or "field1,field2"
    unknown: list[str]                # ignored headers (with a note for duplicates)
    notes: list[str]                  # which of two columns for one field was taken, and why


def assign_columns(header: Header, filled: set[int], user: frozenset[str] | set[str],
                   letter: Callable[[int], str]) -> Columns:
    """Give each field one column (see the module's rules) and note every choice made."""
    candidates: dict[str, list[int]] = {}
    for col, targets in enumerate(header.targets):
        for name in targets:
            candidates.setdefault(name, []).append(col)

    def preference(name: str, col: int) -> tuple:
        return (col in filled, header.folded[col] in user,
                -alias_rank(header.folded[col], name, user), -col)

    feeds: dict[str, int] = {}
    losers: dict[int, list[tuple[str, int]]] = {}
    for name in fields():
        cols = candidates.get(name)
        if not cols:
            continue
        best = max(cols, key=lambda c: preference(name, c))
        feeds[name] = best
        for col in cols:
            if col != best:
                losers.setdefault(col, []).append((name, best))
    won: dict[int, list[str]] = {}
    for name, col in feeds.items():
        won.setdefault(col, []).append(name)
    mapping: dict[str, str] = {}
    unknown: list[str] = []
    notes: list[str] = []
    for col, text in enumerate(header.labels):
        if not text:
            continue
        if col in won:
            mapping[text] = ",".join(n for n in header.targets[col] if n in won[col])
        elif not header.targets[col]:
            unknown.append(text)
        for name, best in losers.get(col, []):
            why = _why(preference(name, best), preference(name, col))
            note = (f"{text}（第{letter(col)}列，重复的「{header_of(name)}」列，"
                    f"已采用第{letter(best)}列「{header.labels[best]}」：{why}）")
            notes.append(note)
            if col not in won:
                unknown.append(note)
    return Columns(feeds, header.texts, header.labels, mapping, unknown, notes)


def _why(winner: tuple, loser: tuple) -> str:
    if winner[0] != loser[0]:
        return "此列为空"
    if winner[1] != loser[1]:
        return "映射文件指定了该列"
    if winner[2] != loser[2]:
        return "按字段别名的优先顺序，该列更具体"
    return "两列都有数据，取靠左的一列"
