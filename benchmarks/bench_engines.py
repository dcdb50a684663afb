"""Wall time and peak memory of ``xfaudit check`` per engine (pandas, chunked, Spark) on 1M and
10M synthetic rows.

Each run is the real command in its own process (``python -m xfaudit.cli check BENCH.csv
--engine E …``); a sampler adds up the resident memory of the process and every process it
started (Spark's JVM and its Python workers) every 0.2 s and keeps the peak, in all and of
anonymous memory only (the pages of the memory-mapped CSV count as resident but belong to the
page cache), and writes a timeline beside each log. After the runs of
one size the findings.csv files are compared: every engine must write the same bytes.

The inputs are ``xfaudit.synth`` county extracts (CSV, seed = size) generated once into
``--keep`` (10M rows: about 4 GB of CSV). ``--engines pandas`` is skipped above
``--pandas-max`` rows (default 1M): at 10M rows the one-pass engine needs more memory than
this machine has (about 2 GiB per million rows, benchmarks/README.md).

Usage::

    .venv/bin/python benchmarks/bench_engines.py [--sizes 1000000 10000000]
        [--engines pandas chunked spark] [--keep DIR] [--chunk-rows N] [--spark-master M]

Figures are recorded in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def tree_rss(pid: int) -> tuple[int, int]:
    """Resident bytes of ``pid`` and all its descendants (from /proc): all of it, and its
    anonymous part. The loader memory-maps a CSV extract: the file's pages it has read count
    as resident but are the page cache's (the system reclaims them), so the anonymous part is
    the memory a run needs."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    total = anon = 0
    queue = [pid]
    while queue:
        current = queue.pop()
        queue += children.get(current, [])
        try:
            with open(f"/proc/{current}/status", encoding="ascii", errors="replace") as handle:
                status = dict(line.split(":", 1) for line in handle if ":" in line)
        except OSError:
            continue
        kib = lambda key: int(status.get(key, "0 kB").split()[0])  # noqa: E731
        total += kib("VmRSS") * 1024
        anon += (kib("RssAnon") + kib("RssShmem")) * 1024
    return total, anon


def timed(command: list[str], log: Path) -> dict:
    """Run ``command``; its wall time, exit code and the peak memory of its process tree.

    Beside ``log`` (the command's output) ``<log>.memory.tsv`` gets one line a second:
    seconds, GiB of the process tree (resident; anonymous), and the last line the command
    printed (its step)."""
    peak = [0, 0]
    timeline = open(log.with_suffix(".memory.tsv"), "w", encoding="utf-8")
    with open(log, "wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)})
        done = threading.Event()

        def sample():
            ticks = 0
            while not done.is_set():
                rss, anon = tree_rss(process.pid)
                peak[0], peak[1] = max(peak[0], rss), max(peak[1], anon)
                if ticks % 5 == 0:
                    timeline.write(f"{time.perf_counter() - started:.0f}\t{rss / 2**30:.2f}\t"
                                   f"{anon / 2**30:.2f}\t{_last_line(log)}\n")
                    timeline.flush()
                ticks += 1
                done.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = process.wait()
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
    timeline.close()
    return {"wall_s": wall, "peak_gib": peak[0] / 2**30, "peak_anon_gib": peak[1] / 2**30,
            "exit": code}


def _last_line(log: Path) -> str:
    """The last line ``log`` holds so far (the step the command is in)."""
    try:
        with open(log, "rb") as handle:
            handle.seek(max(0, handle.seek(0, 2) - 400))
            lines = handle.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1].strip() if lines else ""


def input_path(size: int, folder: Path) -> Path:
    return folder / f"bench_{size}.csv"


#: Items generated at once; larger inputs are copies of this one with other ids (generating
#: 10M items at once would take about 35 GiB).
BASE = 1_000_000


def generate(size: int, folder: Path) -> dict:
    """The synthetic CSV of ``size`` items (in its own process, timed): up to :data:`BASE`
    items one synthetic county month, beyond that ``size // BASE`` copies of the BASE-item
    month whose 信访件编号 carry the copy's number (``…-03``), like the months of several
    counties: the duplicates, copies and violations planted in each copy stay within it."""
    path = input_path(size, folder)
    if path.exists():
        return {"generated": False}
    if size > BASE:
        if size % BASE:
            raise SystemExit(f"sizes above {BASE:,} must be multiples of it")
        generate(BASE, folder)
        code = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
                f"import bench_engines as b; from pathlib import Path; "
                f"b.replicate(Path({str(input_path(BASE, folder))!r}), {size // BASE}, "
                f"Path({str(path)!r}))")
        figures = timed([sys.executable, "-c", code], folder / f"generate_{size}.log")
        if figures["exit"]:
            raise SystemExit(f"copying to {size:,} rows failed: see {folder}/generate_{size}.log")
        return {"generated": True, **figures}
    code = ("from pathlib import Path; from xfaudit.synth import generate, write; "
            f"write(generate({size}, '2026-10', seed={size}), Path({str(path)!r}))")
    figures = timed([sys.executable, "-c", code], folder / f"generate_{size}.log")
    if figures["exit"]:
        raise SystemExit(f"generating {size:,} rows failed: see {folder}/generate_{size}.log")
    return {"generated": True, **figures}


def replicate(base: Path, copies: int, out: Path) -> None:
    """``copies`` copies of the extract ``base`` (title row, header, records) in one CSV, the
    ids of copy k suffixed ``-k``."""
    import pandas as pd

    with open(base, encoding="utf-8-sig") as handle:
        title = handle.readline()
    table = pd.read_csv(base, dtype=str, keep_default_na=False, header=1, encoding="utf-8-sig")
    ids = table["信访件编号"].copy()
    with open(out, "w", encoding="utf-8-sig", newline="") as handle:
        handle.write(title)
        for k in range(copies):
            table["信访件编号"] = ids.where(ids == "", ids + f"-{k:02d}")
            table.to_csv(handle, index=False, header=k == 0, lineterminator="\n")


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 24), b""):
            sha.update(block)
    return sha.hexdigest()


def run_engine(size: int, engine: str, folder: Path, args) -> dict:
    out = folder / f"out_{size}_{engine}"
    command = [sys.executable, "-m", "xfaudit.cli", "check", str(input_path(size, folder)),
               "--as-of", "2026-10-31", "--out", str(out), "--engine", engine]
    if engine == "chunked" and args.chunk_rows:
        command += ["--chunk-rows", str(args.chunk_rows)]
    if engine == "spark" and args.spark_master:
        command += ["--spark-master", args.spark_master]
    figures = timed(command, folder / f"check_{size}_{engine}.log")
    if figures["exit"] == 0:
        summary = json.loads((out / "summary.json").read_text("utf-8"))
        figures["rows"] = summary["rows"]["audited"]
        figures["findings"] = sum(summary["totals"].values())
        figures["steps"] = summary.get("timings", {})
        figures["findings_csv"] = digest(out / "findings.csv")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--engines", nargs="+", default=["pandas", "chunked", "spark"])
    parser.add_argument("--pandas-max", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", type=int)
    parser.add_argument("--spark-master")
    parser.add_argument("--keep", type=Path, help="folder for the inputs and outputs")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="xfaudit-bench-engines-"))
    folder.mkdir(parents=True, exist_ok=True)
    results = {}
    for size in args.sizes:
        made = generate(size, folder)
        if made["generated"]:
            print(f"\n(generated {size:,} synthetic items in {made['wall_s']:.0f} s, "
                  f"peak {made['peak_gib']:.1f} GiB)", flush=True)
        print(f"\n== {size:,} items ({input_path(size, folder).stat().st_size / 2**30:.2f} GiB "
              "of CSV) ==", flush=True)
        for engine in args.engines:
            if engine == "pandas" and size > args.pandas_max:
                print(f"  {engine:<8} skipped: more than --pandas-max {args.pandas_max:,} rows "
                      "(the one-pass engine does not fit in this machine's memory)", flush=True)
                continue
            figures = run_engine(size, engine, folder, args)
            results[(size, engine)] = figures
            if figures["exit"]:
                print(f"  {engine:<8} FAILED (exit {figures['exit']}) after "
                      f"{figures['wall_s']:.0f} s: see {folder}/check_{size}_{engine}.log",
                      flush=True)
                continue
            steps = ", ".join(f"{k} {v:.0f} s" for k, v in figures["steps"].items())
            print(f"  {engine:<8} {figures['wall_s']:8.0f} s  peak {figures['peak_gib']:5.2f} GiB"
                  f" resident ({figures['peak_anon_gib']:5.2f} GiB anonymous)"
                  f"  {figures['rows']:,} rows, {figures['findings']:,} findings  ({steps})",
                  flush=True)
        digests = {e: results[(size, e)].get("findings_csv") for e in args.engines
                   if (size, e) in results and not results[(size, e)]["exit"]}
        if len(digests) > 1:
            same = len(set(digests.values())) == 1
            print(f"  findings.csv identical across {', '.join(digests)}: "
                  f"{'yes' if same else 'NO'}", flush=True)
    (folder / "results.json").write_text(json.dumps(
        {f"{s} {e}": v for (s, e), v in results.items()}, indent=1), encoding="utf-8")
    print(f"\n(figures in {folder}/results.json)")


if __name__ == "__main__":
    main()
