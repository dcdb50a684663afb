"""Text made safe for the programs that open the outputs (Excel, WPS, Word, browsers, parsers).

Text in the outputs comes from the extract, which comes from other systems and from people
typing in Excel or copying from web pages and Word. Three things in such text can hurt:

- **CSV injection.** Excel and WPS evaluate a CSV cell that starts with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return as a formula (``=HYPERLINK(…)``, ``=cmd|' /C calc'!A0``).
  Following the OWASP guidance, :func:`neutralise_cells` prefixes such a cell with ``'``:
  Excel shows the text, the ``'`` tells any reader the cell was escaped, and nothing is
  evaluated. Only text is prefixed: a number column keeps its negative numbers as numbers.
  Every CSV xfaudit writes goes through :func:`write_csv`.
- **Control characters** (``\\x07``, ``\\x08``, ``\\x0b`` from Shift+Enter in Word, ``\\x1b``):
  XML 1.0 forbids them, so a sheet name or a Word run holding one makes the whole file
  unreadable. :func:`xml_text` drops them; :func:`one_line` also turns tabs and line breaks
  into spaces (sheet names, chart labels).
- **Non-finite numbers** in JSON: ``NaN`` is not JSON (JavaScript's ``JSON.parse`` and strict
  parsers refuse it). :func:`strict_json` writes ``null`` instead and refuses to write
  anything else that is not JSON.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

#: First characters that make Excel read a CSV cell as a formula (OWASP CSV injection).
CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

#: What is put before such a cell.
CSV_ESCAPE = "'"

_TRIGGER = "^[" + re.escape("".join(CSV_TRIGGERS)) + "]"

#: Characters XML 1.0 does not allow (C0 controls other than tab, line feed and carriage
#: return; U+FFFE, U+FFFF).
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_LINE_BREAKS = re.compile("[\t\n\r\x85\u2028\u2029]+")


def neutralise_cells(frame):
    """A copy of ``frame`` whose text cells cannot be read as formulas by a spreadsheet.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table about to be written as CSV. Column names are checked too.

    Returns
    -------
    pandas.DataFrame
        Text cells (in object and string columns) that start with one of
        :data:`CSV_TRIGGERS` get :data:`CSV_ESCAPE` in front (``=1+2`` → ``'=1+2``); other
        cells, numbers (``-3``) and missing values are unchanged.
    """
    import pandas as pd

    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if not (column.dtype == object or pd.api.types.is_string_dtype(column.dtype)):
            continue
        is_text, risky = _text_and_risky(column)
        if risky.any():
            text = column.where(is_text).astype("string")
            out.isetitem(position, column.where(~risky, CSV_ESCAPE + text.astype(object)))
    out.columns = [CSV_ESCAPE + c if isinstance(c, str) and re.match(_TRIGGER, c) else c
                   for c in out.columns]
    return out


def _text_and_risky(column) -> tuple:
    """Per cell of an object or string column: whether it is text, and whether it is text
    that starts with one of :data:`CSV_TRIGGERS`. Each distinct value is looked at once (a
    findings table repeats its values a lot); a column with an unhashable cell, cell by cell.
    """
    import numpy as np
    import pandas as pd

    try:
        codes, distinct = pd.factorize(column, use_na_sentinel=True)
    except TypeError:                                   # e.g. a list in a cell
        is_text = column.map(lambda v: isinstance(v, str)).to_numpy(bool)
        starts = column.map(lambda v: isinstance(v, str) and v[:1] in CSV_TRIGGERS)
        return pd.Series(is_text, index=column.index), \
            pd.Series(starts.to_numpy(bool), index=column.index)
    text = np.fromiter((isinstance(v, str) for v in distinct), bool, len(distinct))
    starts = np.fromiter((isinstance(v, str) and v[:1] in CSV_TRIGGERS for v in distinct),
                         bool, len(distinct))
    present = codes >= 0
    at = np.where(present, codes, 0)
    if not len(distinct):                               # every cell missing
        blank = pd.Series(np.zeros(len(column), bool), index=column.index)
        return blank, blank
    return (pd.Series(present & text[at], index=column.index),
            pd.Series(present & starts[at], index=column.index))


def restore_cells(frame):
    """The inverse of :func:`neutralise_cells` for a CSV xfaudit reads back (a register):
    text cells ``'=1+2`` → ``=1+2``, so ids and unit names match the extract's again.

    Only a ``'`` followed by one of :data:`CSV_TRIGGERS` is removed: that is what
    :func:`neutralise_cells` wrote. Non-text cells are unchanged.
    """
    import pandas as pd

    out = frame.copy()
    escaped = "^" + re.escape(CSV_ESCAPE) + "(?=" + _TRIGGER.lstrip("^") + ")"
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if column.dtype == object:
            out.isetitem(position, column.map(
                lambda v: re.sub(escaped, "", v) if isinstance(v, str) else v))
        elif pd.api.types.is_string_dtype(column.dtype):
            out.isetitem(position, column.str.replace(escaped, "", regex=True))
    return out


def write_csv(frame, path: str | Path, *, first_line: str | None = None) -> Path:
    """Write a table as CSV for Excel: UTF-8 with BOM, CRLF, cells neutralised.

    Parameters
    ----------
    frame : pandas.DataFrame, or an iterable of them
        Written without its index. Pieces of one table (same columns) are written one after
        the other under one header: the file is byte for byte the one the whole table gives.
    path : path of the file
    first_line : str, optional
        A line written before the header (the confidentiality marking of an output that
        carries personal data); a reader skips it with ``skiprows=1``.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        if first_line is not None:
            handle.write(one_line(first_line) + "\r\n")
        pieces = [frame] if hasattr(frame, "to_csv") else frame
        header = True
        for piece in pieces:
            if header or len(piece):
                neutralise_cells(piece).to_csv(handle, index=False, header=header,
                                               lineterminator="\r\n")
                header = False
    return path


def xml_text(text) -> str:
    """``text`` without the characters XML 1.0 forbids (``None`` → ``""``)."""
    return "" if text is None else XML_ILLEGAL.sub("", str(text))


def one_line(text) -> str:
    """``text`` as a single line of printable text: control characters dropped, tabs and line
    breaks turned into one space (sheet names, chart labels, marking lines)."""
    return XML_ILLEGAL.sub("", _LINE_BREAKS.sub(" ", "" if text is None else str(text)))


def json_ready(value):
    """``value`` with every non-finite float (NaN, ±inf) and missing marker (``pd.NA``,
    ``NaT``) replaced by ``None``, numpy scalars as Python numbers, tuples and sets as lists,
    keys as text."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_ready(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    if getattr(getattr(value, "dtype", None), "kind", "") in ("b", "i", "u", "f"):
        return json_ready(value.item())  # a numpy number
    return value


def strict_json(data, **options) -> str:
    """Strict JSON text of ``data`` (``ensure_ascii=False``, ``indent=2`` unless given).

    Missing and non-finite numbers become ``null`` (:func:`json_ready`); dates are written in
    their text form (``str``), like paths and other objects; ``allow_nan=False`` guarantees no
    ``NaN`` or ``Infinity`` ever reaches the file.
    """
    options = {"ensure_ascii": False, "indent": 2, **options}
    return json.dumps(json_ready(data), allow_nan=False, default=str, **options)
