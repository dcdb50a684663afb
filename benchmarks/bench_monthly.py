"""Time the monthly run end to end: a county month and a 100k-item month.

For each size: generate a synthetic extract (``xfaudit.synth``, period 2026-10) as .xlsx, then
run :func:`xfaudit.monthly.run_monthly_audit` exactly as ``xfaudit monthly`` does (papermill
kernel, HTML export, workbook, charts, manifest, atomic publish). Prints the wall time, the
steps recorded in the manifest and the size of the outputs. Each size runs in a fresh reports
folder, so there is no trend from earlier runs.

Usage: ``.venv/bin/python benchmarks/bench_monthly.py [--sizes 3000 100000] [--keep DIR]``.
Figures are recorded in benchmarks/README.md ("Monthly run").
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

#: Manifest timings printed, in order (seconds).
STEPS = ("load", "derive", "validate", "findings", "indicators", "charts", "workbook",
         "execute_notebook", "export_html", "total")


def _size_mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def measure(cases: int, folder: Path) -> dict:
    """Generate ``cases`` items, run the month, return the figures."""
    from xfaudit.monthly import run_monthly_audit
    from xfaudit.synth import generate, write

    start = time.perf_counter()
    extract = write(generate(cases, "2026-10", seed=cases), folder / f"extract_{cases}.xlsx")
    generated = time.perf_counter() - start
    start = time.perf_counter()
    out = run_monthly_audit(extract["extract"], "2026-10", out_dir=folder / f"reports_{cases}")
    wall = time.perf_counter() - start
    m = out.manifest
    return {"cases": cases, "rows": m["rows"]["read"],
            "n_findings": sum(m["findings"]["totals"].values()),
            "generate_input": generated, "wall": wall,
            **{step: m["timings"].get(step) for step in STEPS},
            "html_mib": out.html.stat().st_size / 2**20,
            "workbook_mib": out.paths["workbook"].stat().st_size / 2**20,
            "folder_mib": _size_mib(out.folder)}


def _print(row: dict) -> None:
    print(f"\n{row['cases']:,} items ({row['rows']:,} rows, {row['n_findings']:,} findings); "
          f"input generated in {row['generate_input']:.1f} s")
    print(f"  wall time of run_monthly_audit: {row['wall']:.1f} s")
    for step in STEPS:
        if row.get(step) is not None:
            print(f"  {step:<17} {row[step]:7.2f} s")
    print(f"  report.html {row['html_mib']:.1f} MiB, findings.xlsx {row['workbook_mib']:.1f} MiB, "
          f"folder {row['folder_mib']:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 100_000])
    parser.add_argument("--keep", type=Path, help="keep the generated files and reports here")
    args = parser.parse_args()
    print(f"CPU cores: {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        rows = []
        for cases in args.sizes:
            rows.append(measure(cases, folder))
            _print(rows[-1])
    print("\n" + json.dumps(rows, indent=1, default=float))


if __name__ == "__main__":
    main()
