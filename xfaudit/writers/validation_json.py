"""validation.json: what Great Expectations said about the audit, per suite and expectation.

Per expectation: its type, the columns it reads, the check it states, GX's severity, the rows
GX evaluated (element count minus missing), the unexpected count and percent, and success;
the expectations not run and why. No row lists (the failing rows are the findings). Strict
JSON: no NaN.
"""

from __future__ import annotations

import json
from pathlib import Path


def write(result, path: str | Path) -> Path:
    """Write ``result.validation`` as pretty UTF-8 JSON (with the audit's as-of date)."""
    path = Path(path)
    data = {"as_of": result.summary["as_of"], "profile": result.summary["profile"]["name"],
            **result.validation.to_dict()}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n",
                    encoding="utf-8")
    return path
