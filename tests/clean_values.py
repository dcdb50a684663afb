"""What a reader must never see in an output: raw missing values, booleans, times of day on
dates and English codes (shared by the render, notebook and degradation tests)."""

from __future__ import annotations

import html
import re

#: Raw values (an ASCII letter on either side would make it part of a word, not the value).
RAW = re.compile(r"(?<![A-Za-z])(?:NaN|nan|None|NaT|True|False)(?![A-Za-z])|<NA>|\d\d:\d\d:\d\d")
#: English codes of kinds, document kinds and rule profiles.
CODES = re.compile(r"(?<![A-Za-z_])(?:accountability|data_quality|improvement|policy|sanction|"
                   r"circular|national-20\d\d|zhejiang-example)(?![A-Za-z_])")
TAGS = re.compile(r"<(style|script)\b.*?</\1>|<[^>]+>", re.S | re.I)


def visible_text(markup: str) -> str:
    """The text a browser shows (tags, styles and scripts dropped, entities decoded)."""
    return html.unescape(TAGS.sub(" ", markup))


def dirty(text: str) -> list[str]:
    """The raw values and English codes in ``text`` (empty: clean)."""
    return RAW.findall(text) + CODES.findall(text)
