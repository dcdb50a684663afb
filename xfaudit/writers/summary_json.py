"""summary.json: counts per check and unit, row accounting, checks not evaluated."""

from __future__ import annotations

import json
from pathlib import Path


def write(result, path: str | Path, extra: dict | None = None) -> Path:
    """Write ``result.summary`` (plus ``extra`` keys) as pretty UTF-8 JSON."""
    path = Path(path)
    data = {**result.summary, "ingest": result.extract.report.to_dict(), **(extra or {})}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n",
                    encoding="utf-8")
    return path
