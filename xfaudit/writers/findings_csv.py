"""findings.csv: the findings table for other tools (UTF-8 with BOM so that Excel opens it).

Columns are the stable field names of ``model.FINDING_COLUMNS`` (``case_id``, ``check_id``, …),
dates as ISO ``YYYY-MM-DD``. Text that a spreadsheet would read as a formula (``=…``, ``+…``,
``-…``, ``@…``) is written with a leading ``'`` (:func:`xfaudit.writers.safe.write_csv`).
"""

from __future__ import annotations

from pathlib import Path

from xfaudit.model import FINDING_COLUMNS
from xfaudit.writers.safe import write_csv


def write(result, path: str | Path, *, marking: str | None = None) -> Path:
    """Write the findings of ``result`` as CSV.

    ``marking`` (the confidentiality notice of an unmasked run,
    :data:`xfaudit.privacy.UNMASKED_NOTICE`) becomes the file's first line, above the header.
    """
    return write_pieces([result.findings], path, marking=marking)


def write_pieces(pieces, path: str | Path, *, marking: str | None = None) -> Path:
    """Write findings given as consecutive pieces (the engines that never hold them all): the
    same bytes as :func:`write` of the whole table."""
    return write_csv((_shown(piece) for piece in pieces), Path(path), first_line=marking)


def _shown(findings):
    frame = findings[FINDING_COLUMNS].copy()
    for column in ("start_on", "last_day", "actual_on"):
        frame[column] = frame[column].dt.strftime("%Y-%m-%d")
    return frame
