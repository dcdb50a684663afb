"""How the notebooks show things: tables and short texts with rich HTML representations.

Notebook cells only call library functions and display what they return; these small classes
are what they return. A :class:`Table` masks personal data before it is rendered
(:func:`xfaudit.privacy.mask_frame`), shows at most ``[report] max_rows`` rows, escapes every
cell, and references nothing outside the page (the HTML report must work offline).

**Clean values.** Every cell is shown as a reader expects it (:func:`cell_texts`): an empty
cell (``None``, ``NaN``, ``NaT``, ``<NA>``) is blank, a yes/no is 是/否, a date is
``2026-10-31`` (no ``00:00:00``), a whole number has no ``.0``. Text is left-aligned, numbers
right-aligned, ids and dates never wrap — with inline styles, so that the table looks the same
in JupyterLab and in the exported report (whose print rules key on the classes ``xf-num``,
``xf-date``, ``xf-text``).
"""

from __future__ import annotations

import datetime as dt
import html
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xfaudit.privacy import mask_frame
from xfaudit.config import settings

#: Column headers whose cells never wrap (ids and numbers an inspector copies).
NOWRAP_HEADERS = frozenset({"信访件编号", "检查项编号", "编号", "发文字号", "建议编号", "台账行号",
                            "排名"})

#: Alignment per column kind (inline styles: JupyterLab's own CSS right-aligns every cell).
_STYLE = {"num": "text-align:right;white-space:nowrap", "date": "text-align:left;white-space:nowrap",
          "text": "text-align:left"}

YES, NO = "是", "否"


def _number_text(value: float) -> str:
    if not math.isfinite(value):
        return ""
    if float(value).is_integer():
        return str(int(value))
    return np.format_float_positional(round(float(value), 4), trim="-")


def _scalar_text(value) -> tuple[str, str]:
    """(text, kind) of one cell of an object column; kind ``""`` for an empty cell."""
    if value is None or value is pd.NaT or value is pd.NA:
        return "", ""
    if isinstance(value, (bool, np.bool_)):
        return (YES if value else NO), "text"
    if isinstance(value, (int, np.integer)):
        return str(int(value)), "num"
    if isinstance(value, (float, np.floating)):
        return _number_text(float(value)), ("num" if math.isfinite(value) else "")
    if isinstance(value, (dt.datetime, np.datetime64)):
        stamp = pd.Timestamp(value)
        if pd.isna(stamp):
            return "", ""
        return stamp.strftime("%Y-%m-%d" if stamp == stamp.normalize() else "%Y-%m-%d %H:%M"), "date"
    if isinstance(value, dt.date):
        return value.isoformat(), "date"
    if isinstance(value, str):
        return value, "text"
    try:
        if pd.isna(value):
            return "", ""
    except (TypeError, ValueError):
        pass
    return str(value), "text"


def cell_texts(values: pd.Series) -> tuple[list[str], str]:
    """The cells of one column as shown, and the column's kind (``num``, ``date``, ``text``).

    Empty cells are blank; yes/no is 是/否; dates are ``YYYY-MM-DD``; whole numbers have no
    ``.0``. A column is ``num`` or ``date`` when every non-empty cell is one.
    """
    dtype = values.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        stamps = pd.to_datetime(values)
        with_time = (stamps.notna() & (stamps != stamps.dt.normalize())).any()
        text = stamps.dt.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
        return text.fillna("").tolist(), "date"
    if pd.api.types.is_bool_dtype(dtype):
        return [("" if pd.isna(v) else YES if v else NO) for v in values.tolist()], "text"
    if pd.api.types.is_numeric_dtype(dtype):
        numbers = pd.to_numeric(values).astype(float).to_numpy()
        return [_number_text(v) for v in numbers], "num"
    cells = [_scalar_text(v) for v in values.tolist()]
    kinds = {kind for _, kind in cells if kind}
    kind = kinds.pop() if len(kinds) == 1 and kinds <= {"num", "date"} else "text"
    return [text for text, _ in cells], kind


def clean_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as text, every cell as :func:`cell_texts` shows it (for a quick look or a
    CSV meant for people)."""
    return pd.DataFrame({c: cell_texts(frame[c])[0] for c in frame.columns}, index=frame.index,
                        dtype=object)


def _column_styles(header: str, texts: list[str], kind: str) -> tuple[str, str]:
    """Inline styles of a column's header and cells: numbers right-aligned and never
    wrapped, dates never wrapped, text left-aligned and given room for short names (a unit
    name is never broken one character per line), headers free to wrap."""
    align = "right" if kind == "num" else "left"
    cell = _STYLE[kind]
    if kind == "text":
        longest = max((len(t) for t in texts), default=0)
        if header in NOWRAP_HEADERS:
            cell += ";white-space:nowrap"
        elif longest > 4:
            cell += f";min-width:{min(longest, 8)}em"
    head = f"text-align:{align};min-width:{min(max(len(header), 2), 4)}em"
    return head, cell


def html_table(frame: pd.DataFrame, *, index: bool = False, classes: str = "xf-table") -> str:
    """An escaped HTML table of clean values, text left- and numbers right-aligned, with a
    ``<thead>`` (repeated on every printed page)."""
    if index:
        frame = frame.reset_index()
    columns = []
    for position in range(frame.shape[1]):
        header = str(frame.columns[position])
        texts, kind = cell_texts(frame.iloc[:, position])
        head, cell = _column_styles(header, texts, kind)
        columns.append((header, texts, f'class="xf-{kind}" style="{head}"',
                        f'class="xf-{kind}" style="{cell}"'))
    heads = "".join(f"<th {attrs}>{html.escape(header)}</th>" for header, _, attrs, _ in columns)
    rows = []
    for r in range(len(frame)):
        cells = "".join(f"<td {attrs}>{html.escape(texts[r])}</td>"
                        for _, texts, _, attrs in columns)
        rows.append(f"<tr>{cells}</tr>")
    return (f'<table class="{classes}"><thead><tr>{heads}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


class Text:
    """A few paragraphs of Chinese text (plain text in, escaped HTML out)."""

    def __init__(self, *paragraphs: str, title: str | None = None):
        self.title = title
        self.paragraphs = [p for p in paragraphs if p]

    def _repr_html_(self) -> str:
        head = f"<h4>{html.escape(self.title)}</h4>" if self.title else ""
        return head + "".join(f"<p>{html.escape(p)}</p>" for p in self.paragraphs)

    def __repr__(self) -> str:
        return "\n".join(([self.title] if self.title else []) + self.paragraphs)


class Link:
    """A link to a file of the report folder, by a relative address (it works offline and
    wherever the folder is copied)."""

    def __init__(self, text: str, href: str, note: str | None = None,
                 title: str | None = None):
        self.text, self.href, self.note, self.title = text, href, note, title

    def _repr_html_(self) -> str:
        head = f"<h4>{html.escape(self.title)}</h4>" if self.title else ""
        note = f"<p><small>{html.escape(self.note)}</small></p>" if self.note else ""
        return (f'{head}<p><a href="{html.escape(self.href)}">{html.escape(self.text)}</a></p>'
                + note)

    def __repr__(self) -> str:
        return "\n".join(x for x in (self.title, f"{self.text}：{self.href}", self.note) if x)


@dataclass
class Html:
    """A block of HTML built by the library (every value in it already escaped), with a
    plain-text form for consoles and the executed notebook's text output."""

    markup: str
    text: str = ""

    def _repr_html_(self) -> str:
        return self.markup

    def __repr__(self) -> str:
        return self.text


class Table:
    """A DataFrame to show, masked, clean and truncated.

    Parameters
    ----------
    frame : DataFrame
        What to show; column headers are shown as they are.
    title : str, optional
        A heading above the table.
    note : str, optional
        A line below the table (e.g. the formula or the ordering rule).
    mask : bool
        Mask personal data (default True; only an explicit user choice turns it off).
    max_rows : int, optional
        Rows shown (default ``[report] max_rows``); a line says how many were left out.
    index : bool
        Show the frame's index (for tables indexed by a label such as 账龄).
    empty : str
        Text shown instead of an empty table.
    more_in : str, optional
        Where the rows left out can be found (e.g. ``findings.xlsx``), said in the line.
    """

    def __init__(self, frame: pd.DataFrame, title: str | None = None, note: str | None = None,
                 *, mask: bool = True, max_rows: int | None = None, index: bool = False,
                 empty: str = "（无）", more_in: str | None = None):
        self.frame = mask_frame(frame, enabled=mask)
        self.title = title
        self.note = note
        self.max_rows = max_rows or settings()["report"]["max_rows"]
        self.index = index
        self.empty = empty
        self.more_in = more_in

    def _shown(self) -> pd.DataFrame:
        return self.frame.head(self.max_rows)

    def _more(self) -> str:
        left = len(self.frame) - self.max_rows
        if left <= 0:
            return ""
        return f"另有 {left} 行未显示" + (f"，完整内容见 {self.more_in}。" if self.more_in else "。")

    def _repr_html_(self) -> str:
        parts = [f"<h4>{html.escape(self.title)}</h4>" if self.title else ""]
        if self.frame.empty:
            parts.append(f"<p>{html.escape(self.empty)}</p>")
        else:
            parts.append(html_table(self._shown(), index=self.index))
        for line in (self._more(), self.note):
            if line:
                parts.append(f'<p class="xf-note"><small>{html.escape(line)}</small></p>')
        return '<div class="xf-block">' + "".join(parts) + "</div>"

    def __repr__(self) -> str:
        shown = self._shown()
        body = self.empty if self.frame.empty else clean_frame(
            shown.reset_index() if self.index else shown).to_string(index=False)
        return "\n".join(x for x in (self.title, body, self._more(), self.note) if x)
