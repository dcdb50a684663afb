"""How the notebooks show things: tables and short texts with rich HTML representations.

Notebook cells only call library functions and display what they return; these two small
classes are what they return. A :class:`Table` masks personal data before it is rendered
(:func:`xfaudit.privacy.mask_frame`), shows at most ``[report] max_rows`` rows, escapes every
cell, and references nothing outside the page (the HTML report must work offline).
"""

from __future__ import annotations

import html

import pandas as pd

from xfaudit.privacy import mask_frame
from xfaudit.config import settings


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


class Table:
    """A DataFrame to show, masked and truncated.

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
    """

    def __init__(self, frame: pd.DataFrame, title: str | None = None, note: str | None = None,
                 *, mask: bool = True, max_rows: int | None = None, index: bool = False,
                 empty: str = "（无）"):
        self.frame = mask_frame(frame, enabled=mask)
        self.title = title
        self.note = note
        self.max_rows = max_rows or settings()["report"]["max_rows"]
        self.index = index
        self.empty = empty

    def _shown(self) -> pd.DataFrame:
        return self.frame.head(self.max_rows)

    def _more(self) -> str:
        left = len(self.frame) - self.max_rows
        return f"另有 {left} 行未显示，完整内容见 findings.xlsx。" if left > 0 else ""

    def _repr_html_(self) -> str:
        parts = [f"<h4>{html.escape(self.title)}</h4>" if self.title else ""]
        if self.frame.empty:
            parts.append(f"<p>{html.escape(self.empty)}</p>")
        else:
            parts.append(self._shown().to_html(index=self.index, na_rep="", escape=True,
                                               border=0, classes="xf-table"))
        for line in (self._more(), self.note):
            if line:
                parts.append(f"<p><small>{html.escape(line)}</small></p>")
        return "".join(parts)

    def __repr__(self) -> str:
        body = self.empty if self.frame.empty else self._shown().to_string(index=self.index)
        return "\n".join(x for x in (self.title, body, self._more(), self.note) if x)
