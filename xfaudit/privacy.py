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

Free-text columns (the summary, details, reasons) are masked by pattern
(:func:`mask_free_text`): mobile numbers in the forms people write them (``139-1234-5678``,
``+86 139 1234 5678``, ``8613912345678``), landlines with an area code (``0571-87654321``,
``(0571)87654321``, ``010 12345678``), 18- and 15-digit id numbers (also written in groups,
``110101 19900307 123X``) and house numbers after a road, lane or village
(``幸福路88号3单元502室`` → ``幸福路****``). Case ids (``XF2026050000094``), dates and amounts
are left alone: a number glued to letters or to other digits is not taken for a phone or id.
The petitioner's own name is masked wherever it recurs in the same row's free text (one
vectorised replace over aligned arrays). Other people's names in free text (a relative, a
witness) cannot be recognised and stay.

An output that is written unmasked (``--no-mask``) carries personal data and is marked
:data:`CLASSIFICATION` in its first line or sheet header (:data:`UNMASKED_NOTICE`), like the
callback list, which is the one output that always carries contact details.

Masking is vectorised (pandas and numpy string operations); no loop over rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from xfaudit.schema import fields, personal_fields

#: What replaces the hidden part of a value.
STARS = "****"

#: The confidentiality marking of every output that carries personal data.
CLASSIFICATION = "机密★内部资料"

#: First line / banner of an output written without masking.
UNMASKED_NOTICE = (f"{CLASSIFICATION}　本文件未屏蔽信访人个人信息（姓名、电话、证件号码），"
                   "仅限内部审计工作使用，不得外传")

#: How a personal field is masked: (characters kept at the start, characters kept at the end).
#: A value shorter than ``keep_start + keep_end + 1`` is replaced by STARS entirely.
KEEP = {"petitioner": (1, 0), "petitioner_phone": (3, 4), "petitioner_id_no": (6, 4)}

#: Columns holding free text in which phone and id numbers are masked by pattern.
FREE_TEXT_FIELDS = ("summary", "detail", "outcome", "waiver_reason")

#: A name shorter than this is not searched for in free text (one character would hit
#: every word that contains it).
MIN_NAME_LENGTH = 2

_SEP = "[ -]?"
_NOT_ALNUM_BEFORE, _NOT_ALNUM_AFTER = "(?<![0-9A-Za-z])", "(?![0-9A-Za-z])"
_BIRTH_DAY = "(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"

#: (pattern, replacement) applied in order to free text. Longer numbers first, so that a
#: mobile number is never found inside an id number.
TEXT_PATTERNS = [
    # an 18-character id number written in one piece
    (_NOT_ALNUM_BEFORE + r"([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])" + _NOT_ALNUM_AFTER,
     rf"\1{STARS}\2"),
    # an 18-character id number written in groups (110101 19900307 123X): needs a birth date
    (_NOT_ALNUM_BEFORE + rf"([0-9]{{6}}){_SEP}(?:1[89]|20)[0-9]{{2}}{_SEP}{_BIRTH_DAY}{_SEP}"
     r"([0-9]{3}[0-9Xx])" + _NOT_ALNUM_AFTER, rf"\1{STARS}\2"),
    # a 15-digit id number (before 1999): area, yymmdd, 3 digits
    (_NOT_ALNUM_BEFORE + rf"([0-9]{{6}}){_SEP}[0-9]{{2}}{_BIRTH_DAY}{_SEP}([0-9]{{3}})"
     + _NOT_ALNUM_AFTER, rf"\1{STARS}\2"),
    # a mobile number, optionally after +86 / 0086 / 86, in one piece or in 3-4-4 groups
    (rf"(?<![0-9])((?:\+86|0086|86){_SEP})?(1[3-9][0-9]){_SEP}[0-9]{{4}}{_SEP}([0-9]{{4}})"
     r"(?![0-9])", rf"\1\2{STARS}\3"),
    # a landline with its area code: 0571-87654321, (0571)87654321, 010 12345678
    (r"(?<![0-9])([(（]?0[1-9][0-9]{1,2}[)）]?[ -]?)[0-9]{3,4}[ -]?([0-9]{4})(?![0-9])",
     rf"\1{STARS}\2"),
    # a house number after a road, lane, village or estate: 幸福路88号3单元502室
    ("([路街巷弄道村组里区苑园院厦寓府庄])[0-9０-９]+(?:号楼|号院|号|弄|幢|栋|单元|楼|层|室|户|组)"
     "(?:[0-9０-９-]+(?:号楼|号|幢|栋|单元|楼|层|室|户))*", rf"\1{STARS}"),
]

#: The patterns grouped by what a text must contain for any of them to match (a cheap test
#: first, so the costly patterns run only on the few rows that quote numbers).
_PATTERN_GROUPS = [("[0-9]{4}", TEXT_PATTERNS[:5]),
                   ("[0-9０-９](?:号|弄|幢|栋|单元|楼|层|室|户|组)", TEXT_PATTERNS[5:])]


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


def mask_free_text(values: pd.Series, names: pd.Series | None = None) -> pd.Series:
    """Mask personal data quoted inside free text.

    Parameters
    ----------
    values : Series
        The text; missing values stay missing.
    names : Series, optional
        The petitioner of each row (aligned with ``values`` by position): wherever a row's
        own name (at least :data:`MIN_NAME_LENGTH` characters) occurs in its text it is
        masked like the name column (``测试甲某`` → ``测**``).

    Returns
    -------
    Series
        Object dtype, same index: names, then every :data:`TEXT_PATTERNS` match masked.
    """
    present = values.notna()
    text = values.astype("string")
    if names is not None:
        text = _mask_names(text, names if isinstance(names, _Names) else _Names.of(names))
    for needs, patterns in _PATTERN_GROUPS:
        rows = text.str.contains(needs, regex=True).fillna(False).to_numpy(bool)
        if not rows.any():
            continue
        # each distinct text once (findings repeat their texts: 11,595 rows, 3,758 texts)
        codes, distinct = pd.factorize(text[rows])
        part = pd.Series(distinct, dtype="string")
        for pattern, replacement in patterns:
            part = part.str.replace(pattern, replacement, regex=True)
        text = text.copy()
        text[rows] = part.to_numpy(dtype=object)[codes]
    return text.astype(object).where(present, None)


@dataclass(frozen=True)
class _Names:
    """Each row's own name, prepared once for all the free-text columns of a frame: the rows
    with a name of at least :data:`MIN_NAME_LENGTH` characters, that name and its masked form
    (numpy strings, for :func:`numpy.strings.replace`)."""

    rows: np.ndarray
    old: np.ndarray
    new: np.ndarray

    @classmethod
    def of(cls, names) -> _Names:
        names = pd.Series(np.asarray(names, dtype=object)).astype("string").str.strip()
        rows = (names.str.len() >= MIN_NAME_LENGTH).fillna(False).to_numpy(bool)
        old = names[rows]
        as_strings = np.dtypes.StringDType()
        return cls(rows, np.asarray(old.to_numpy(dtype=object), dtype=as_strings),
                   np.asarray((old.str.slice(0, 1) + "**").to_numpy(dtype=object),
                              dtype=as_strings))


def _mask_names(text: pd.Series, names: _Names) -> pd.Series:
    """Each row's own name masked in its text: one numpy string replace over aligned arrays
    (old and new value per row), for the rows that have a name and a text."""
    has_text = text.notna().to_numpy(bool)
    rows = names.rows & has_text
    if not rows.any():
        return text
    kept = has_text[names.rows]                 # of the named rows, those with a text
    replaced = np.strings.replace(
        np.asarray(text[rows].to_numpy(dtype=object), dtype=np.dtypes.StringDType()),
        names.old[kept], names.new[kept])
    out = text.copy()
    out[rows] = replaced.astype(object)
    return out


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


def _petitioner_column(frame: pd.DataFrame, labels: dict[str, str]):
    """The frame's petitioner column (by field name, header or alias), or None."""
    for column in frame.columns:
        if isinstance(column, str) and labels.get(column) == "petitioner":
            return frame[column]
    return None


def mask_frame(frame: pd.DataFrame, enabled: bool = True, *,
               names: pd.Series | None = None, personal: bool = True) -> pd.DataFrame:
    """A copy of ``frame`` with personal data masked (the frame itself is not changed).

    Columns are recognised by canonical field name (``petitioner``), canonical header
    (``信访人``) or header alias (``姓名``).

    Parameters
    ----------
    frame : DataFrame
        Anything about to be shown or written: an extract, findings, a view.
    enabled : bool
        ``False`` returns the frame unchanged (the user asked for unmasked output).
    names : Series, optional
        The petitioner of each row, aligned by position, for frames without a petitioner
        column (findings); default: the frame's own petitioner column, if any.
    personal : bool
        Mask the personal columns too (default). ``False`` masks only the free text and keeps
        the personal columns (the monthly run keeps them for the callback list).

    Returns
    -------
    DataFrame
    """
    if not enabled:
        return frame
    labels = _column_fields()
    if names is None:
        names = _petitioner_column(frame, labels)
    out = frame.copy()
    names = _Names.of(names) if names is not None else None
    for column in out.columns:
        field = labels.get(column) if isinstance(column, str) else None
        if field in KEEP and personal:
            start, end = KEEP[field]
            out[column] = mask_values(out[column], start, end, name_style=field == "petitioner")
        elif field in FREE_TEXT_FIELDS and _is_text(out[column]):
            out[column] = mask_free_text(out[column], names)
    return out


def finding_names(frame: pd.DataFrame, findings: pd.DataFrame) -> pd.Series | None:
    """The petitioner of each finding's row in the extract's ``frame`` (findings carry
    ``source_row``, not the name); None without a petitioner column."""
    if "petitioner" not in frame.columns or "source_row" not in findings.columns:
        return None
    by_row = frame.drop_duplicates("source_row").set_index("source_row")["petitioner"]
    return findings["source_row"].map(by_row)


def mask_result(result, enabled: bool = True, *, personal: bool = True,
                drop_from_extract: bool = False):
    """A shallow copy of an :class:`~xfaudit.audit.AuditResult` whose frames are masked.

    The findings and the extract's frame are masked (free text with each row's own name);
    clocks (dates only) are shared. Writers given the copy can only write masked data: the
    copy's events are still computed from the original extract (matching later petitions by
    name, phone and id), but hold no personal data.
    ``personal=False`` masks the free text only and keeps the personal columns of the
    extract (for the callback list and the matching of repeat petitions).
    ``drop_from_extract=True`` leaves the personal and free-text columns out of the
    extract's frame instead of masking them (for writers that read none of them, as
    ``xfaudit check``'s: nothing there to leak, and a second faster on 100k rows).
    """
    if not enabled:
        return result
    if drop_from_extract and not personal:
        raise ValueError("drop_from_extract drops the personal columns personal=False keeps")
    from dataclasses import replace

    findings = mask_frame(result.findings, names=finding_names(result.extract.frame, result.findings), personal=personal)
    frame = result.extract.frame
    if drop_from_extract:
        labels = _column_fields()
        private = set(KEEP) | set(FREE_TEXT_FIELDS)
        frame = frame.drop(columns=[c for c in frame.columns
                                    if isinstance(c, str) and labels.get(c) in private])
    else:
        frame = mask_frame(frame, personal=personal)
    return replace(result, findings=findings, extract=replace(result.extract, frame=frame))
