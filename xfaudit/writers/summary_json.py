"""summary.json: counts per check and unit, row accounting, checks not evaluated."""

from __future__ import annotations

from pathlib import Path

from xfaudit.writers.safe import strict_json


def write(result, path: str | Path, extra: dict | None = None) -> Path:
    """Write ``result.summary`` (plus ``extra`` keys) as pretty, strict UTF-8 JSON (no NaN)."""
    path = Path(path)
    data = {**result.summary, "ingest": result.extract.report.to_dict(), **(extra or {})}
    path.write_text(strict_json(data) + "\n", encoding="utf-8")
    return path
