"""findings.csv: the findings table for other tools (UTF-8 with BOM so that Excel opens it).

Columns are the stable field names of ``model.FINDING_COLUMNS`` (``case_id``, ``check_id``, …),
dates as ISO ``YYYY-MM-DD``.
"""

from __future__ import annotations

from pathlib import Path

from xfaudit.model import FINDING_COLUMNS


def write(result, path: str | Path) -> Path:
    """Write the findings of ``result`` as CSV."""
    path = Path(path)
    frame = result.findings[FINDING_COLUMNS].copy()
    for column in ("start_on", "last_day", "actual_on"):
        frame[column] = frame[column].dt.strftime("%Y-%m-%d")
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path
