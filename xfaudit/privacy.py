"""Masking of petitioners' personal data in every frame that is shown or written.

DESIGN.md: "Petitioners' names, phone and id numbers are masked in every output unless the user
asks otherwise." The personal fields are data (``personal = true`` in ``fields.toml``,
:func:`xfaudit.schema.personal_fields`); this module only knows how each kind of value is
masked:

- a name keeps its first character: ``测试甲`` → ``测**``;
- a phone number keeps its first 3 and last 4 characters: ``13800008000`` → ``138****8000``;
- an id number keeps its first 6 and last 4 characters: ``999999199003070011`` →
  ``999999****0011``;
- anything too short to keep a prefix and suffix becomes ``****``.

Free-text columns (the summary, details) may quote a phone or id number; those are masked by
pattern. A name inside free text cannot be recognised reliably and is not masked there.

Masking is vectorised (pandas string methods); no loop over rows.
"""

from __future__ import annotations

import pandas as pd

from xfaudit.schema import fields, personal_fields

#: What replaces the hidden part of a value.
STARS = "****"

#: How a personal field is masked: (characters kept at the start, characters kept at the end).
#: A value shorter than ``keep_start + keep_end + 1`` is replaced by STARS entirely.
KEEP = {"petitioner": (1, 0), "petitioner_phone": (3, 4), "petitioner_id_no": (6, 4)}

#: Columns holding free text in which phone and id numbers are masked by pattern.
FREE_TEXT_FIELDS = ("summary", "detail", "outcome", "waiver_reason")

# A mainland mobile number, or an 18-character resident id number, not part of a longer number.
_MOBILE = r"(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])"
_ID_NUMBER = r"(?<![0-9Xx])([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9Xx])"


def mask_values(values: pd.Series, keep_start: int, keep_end: int,
                name_style: bool = False) -> pd.Series:
    """Mask every value of a column, keeping a prefix and a suffix.

    Parameters
    ----------
    values : Series
        Any dtype; missing values stay missing, other values are converted to text.
    keep_start, keep_end : int
        Characters kept at the start and at the end.
    name_style : bool
        Names: keep ``keep_start`` characters and append ``**`` whatever the length.

    Returns
    -------
    Series
        Object dtype, same index.
    """
    present = values.notna()
    text = values.astype("string").str.strip()
    if pd.api.types.is_float_dtype(values.dtype):  # a number column read as float: 138…0.0
        text = text.str.replace(r"\.0+$", "", regex=True)
    if name_style:
        masked = text.str.slice(0, keep_start) + "**"
    else:
        long_enough = (text.str.len() > keep_start + keep_end).fillna(False)
        tail = text.str.slice(-keep_end) if keep_end else ""
        masked = (text.str.slice(0, keep_start) + STARS + tail).where(long_enough, STARS)
    masked = masked.where((text.str.len() > 0).fillna(False), text)
    return masked.astype(object).where(present, None)


def mask_free_text(values: pd.Series) -> pd.Series:
    """Mask mobile and id numbers quoted inside free text (``138****8000``)."""
    present = values.notna()
    text = values.astype("string")
    text = text.str.replace(_MOBILE, r"\1****\2", regex=True)
    text = text.str.replace(_ID_NUMBER, r"\1****\2", regex=True)
    return text.astype(object).where(present, None)


def _column_fields() -> dict[str, str]:
    """Column label → field name for every personal / free-text field (names and headers)."""
    labels = {}
    for name in [*personal_fields(), *FREE_TEXT_FIELDS]:
        spec = fields().get(name)
        labels[name] = name
        if spec is not None:
            labels[spec.header] = name
            labels.update({alias: name for alias in spec.aliases})
    labels.update({"说明": "detail", "豁免理由": "waiver_reason"})
    return labels


def _is_text(values: pd.Series) -> bool:
    return values.dtype == object or pd.api.types.is_string_dtype(values.dtype)


def mask_frame(frame: pd.DataFrame, enabled: bool = True) -> pd.DataFrame:
    """A copy of ``frame`` with personal data masked (the frame itself is not changed).

    Columns are recognised by canonical field name (``petitioner``), canonical header
    (``信访人``) or header alias (``姓名``).

    Parameters
    ----------
    frame : DataFrame
        Anything about to be shown or written: an extract, findings, a view.
    enabled : bool
        ``False`` returns the frame unchanged (the user asked for unmasked output).

    Returns
    -------
    DataFrame
    """
    if not enabled:
        return frame
    labels = _column_fields()
    out = frame.copy()
    for column in out.columns:
        field = labels.get(column) if isinstance(column, str) else None
        if field in KEEP:
            start, end = KEEP[field]
            out[column] = mask_values(out[column], start, end, name_style=field == "petitioner")
        elif field in FREE_TEXT_FIELDS and _is_text(out[column]):
            out[column] = mask_free_text(out[column])
    return out


def mask_result(result, enabled: bool = True):
    """A shallow copy of an :class:`~xfaudit.audit.AuditResult` whose frames are masked.

    The findings and the extract's frame are masked; clocks (dates only) are shared. Writers
    given the copy can only write masked data.
    """
    if not enabled:
        return result
    from dataclasses import replace

    extract = replace(result.extract, frame=mask_frame(result.extract.frame))
    return replace(result, findings=mask_frame(result.findings), extract=extract)
