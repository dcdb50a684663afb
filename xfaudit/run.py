"""Jobs: the library calls behind ``xfaudit check`` (and, in monthly.py, the monthly run).

A job writes into a temporary folder beside its target and moves the files into place only
when everything was written, so a failed run never leaves half an output over a good one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from xfaudit.audit import AuditResult, audit
from xfaudit.load import load_extract
from xfaudit import validate


@dataclass
class CheckOutput:
    """What ``run_check`` produced."""

    result: AuditResult
    paths: dict[str, Path]


@contextmanager
def staging_dir(target: Path):
    """A temporary folder next to ``target`` (same file system, so moving is atomic)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def publish(files: dict[str, Path], out_dir: Path) -> dict[str, Path]:
    """Move staged files into ``out_dir`` (each with an atomic rename)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    placed = {}
    for key, path in files.items():
        final = out_dir / path.name
        os.replace(path, final)
        placed[key] = final
    return placed


def run_check(extract_path, *, out_dir, as_of=None, profile: str = "auto", holidays=None,
              sheet=None, mapping=None, progress: Callable[[str], None] | None = None
              ) -> CheckOutput:
    """Load an extract, audit it, and write findings.csv, findings.xlsx, summary.json and
    validation.json (what Great Expectations said, per expectation).

    Parameters
    ----------
    extract_path : path of the extract
    out_dir : folder to write into (created if needed)
    as_of, profile, holidays : see :func:`xfaudit.audit.audit`
    sheet, mapping : see :func:`xfaudit.load.load_extract`
    progress : callable, optional
        Receives short Chinese progress lines.
    """
    from xfaudit.writers import findings_csv, summary_json, validation_json, workbook

    say = progress or (lambda _text: None)
    out_dir = Path(out_dir)
    validate.preload()
    say("读取台账…")
    extract = load_extract(extract_path, sheet=sheet, mapping=mapping)
    say(f"核查 {extract.report.rows_kept} 件事项…")
    result = audit(extract, as_of=as_of, profile=profile, holidays=holidays)
    say("写出问题清单…")
    with staging_dir(out_dir / "findings") as tmp:
        staged = {
            "csv": findings_csv.write(result, tmp / "findings.csv"),
            "xlsx": workbook.write(result, tmp / "findings.xlsx"),
            "summary": summary_json.write(result, tmp / "summary.json",
                                          extra={"timings": result.timings}),
            "validation": validation_json.write(result, tmp / "validation.json"),
        }
        paths = publish(staged, out_dir)
    return CheckOutput(result=result, paths=paths)
