"""Speed and memory of the audit engine on 100k and 1M synthetic rows.

Prints, per size: loading (xlsx for 100k, csv for 1M), deriving the clock table, preparing
the judged ledger, GX validation of both suites, building findings, writing findings (csv +
xlsx), and — in the same run, on the same frames — the same comparisons in numpy/pandas
(``validate.reference_failing``, one per expectation), with the like-for-like ratio GX ÷
numpy and the peak memory of the process.
Each size runs in its own subprocess so that peak memory is that size's alone. Also times
the end-to-end ``xfaudit check`` command on the 100k-row xlsx and a bare
``pandas.read_excel(engine="calamine")`` of the same file, alternated ``--rounds`` times, and
their ratio per round.

Usage: ``.venv/bin/python benchmarks/bench_audit.py [--sizes 100000 1000000] [--keep DIR]
[--rounds 3]``.
Figures and the chosen GX approach are recorded in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(size: int, folder: Path) -> dict:
    """Run every step once on ``size`` rows and return the timings (seconds)."""
    import numpy as np

    from xfaudit import validate
    from xfaudit.audit import derive, suite_frames, summarize
    from xfaudit.calendar import LegalCalendar
    from xfaudit.findings import build_findings
    from xfaudit.load import load_extract
    from xfaudit.suites import suite_dicts
    from xfaudit.writers import findings_csv, workbook

    t = {}
    path = input_path(size, folder)
    as_of = json.loads(path.with_name(f"{path.stem}.synth.json").read_text("utf-8"))["as_of"]
    validate._context()  # GX import and context (6–10 s), paid once per process
    start = time.perf_counter()
    extract = load_extract(path)
    t[f"load ({path.suffix[1:]})"] = time.perf_counter() - start
    load_peak = _peak_mib()

    start = time.perf_counter()
    derived = derive(extract, as_of=as_of, profile="auto", calendar=LegalCalendar())
    t["derive clock table"] = time.perf_counter() - start
    clocks, profiles = derived.clocks, derived.profiles

    suites = suite_dicts(profiles)
    start = time.perf_counter()
    prepared = suite_frames(derived, suites)
    frames, rows = prepared.frames, prepared.rows
    t["prepare judged ledger"] = time.perf_counter() - start

    cpu = {}
    start, start_cpu = time.perf_counter(), time.process_time()
    validation = validate.run_suites(suites, frames, clocks.evaluated, rows=rows,
                                     decoders=prepared.decoders)
    t["validate (GX, both suites)"] = time.perf_counter() - start
    cpu["gx"] = time.process_time() - start_cpu

    start, start_cpu = time.perf_counter(), time.process_time()
    reference = [validate.reference_failing(o.spec, frames[o.frame])
                 for o in validation.outcomes]
    t["same comparisons, numpy"] = time.perf_counter() - start
    cpu["numpy"] = time.process_time() - start_cpu
    for o, found in zip(validation.outcomes, reference, strict=True):
        mapped = rows[o.frame][found] if o.frame in rows else found
        assert np.array_equal(o.failing, mapped), o.spec["description"]
    del prepared, frames

    start = time.perf_counter()
    findings = build_findings(extract.frame, clocks, validation, profiles)
    t["build findings"] = time.perf_counter() - start

    class _Result:  # the writers need only these attributes
        pass

    result = _Result()
    result.findings, result.as_of, result.extract = findings, as_of, extract
    result.profiles, result.clocks = profiles, clocks
    result.summary = summarize(extract, clocks, findings, profiles, as_of)
    start = time.perf_counter()
    findings_csv.write(result, folder / f"findings_{size}.csv")
    t["write findings.csv"] = time.perf_counter() - start
    start = time.perf_counter()
    workbook.write(result, folder / f"findings_{size}.xlsx")
    t["write findings.xlsx"] = time.perf_counter() - start
    return {"size": size, "rows": len(extract.frame), "findings": len(findings),
            "expectations": len(validation.outcomes),
            "seconds": t, "peak_mib": _peak_mib(), "load_peak_mib": load_peak,
            "cpu": cpu,
            "gx_over_numpy": t["validate (GX, both suites)"] / t["same comparisons, numpy"],
            "gx_over_numpy_cpu": cpu["gx"] / cpu["numpy"]}


def input_path(size: int, folder: Path) -> Path:
    """The synthetic extract of ``size`` items: xlsx up to 200k rows, csv beyond."""
    return folder / f"bench_{size}{'.xlsx' if size <= 200_000 else '.csv'}"


def generate_input(size: int, folder: Path) -> float:
    """Write the synthetic extract (in its own process, so it does not count in the peak)."""
    from xfaudit.synth import generate, write

    start = time.perf_counter()
    write(generate(size, "2026-10", seed=size), input_path(size, folder))
    return time.perf_counter() - start


def end_to_end_check(size: int, folder: Path) -> float:
    """Wall time of `xfaudit check` on the size-row xlsx written by `measure`."""
    exe = Path(sys.executable).with_name("xfaudit")
    start = time.perf_counter()
    subprocess.run([str(exe), "check", str(folder / f"bench_{size}.xlsx"), "--as-of",
                    "2026-10-31", "--out", str(folder / "check_out")], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def bare_read(size: int, folder: Path) -> dict:
    """A bare ``pandas.read_excel(engine="calamine")`` of the same workbook, in a fresh
    process: the read call alone, and the whole process (start, pandas import, read)."""
    code = ("import time; t0 = time.perf_counter(); import pandas as pd; "
            "t1 = time.perf_counter(); "
            f"frame = pd.read_excel({str(folder / f'bench_{size}.xlsx')!r}, engine='calamine', "
            "header=None, dtype=object); t2 = time.perf_counter(); "
            "print(t2 - t1, len(frame))")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                          text=True)
    process = time.perf_counter() - start
    call, rows = done.stdout.split()
    return {"call": float(call), "process": process, "rows": int(rows)}


def compare_with_bare_read(size: int, folder: Path, rounds: int) -> None:
    """`xfaudit check` and the bare read, alternated ``rounds`` times (a shared machine's load
    changes from minute to minute: each round's pair ran a few seconds apart)."""
    ratios = []
    for n in range(1, rounds + 1):
        check = end_to_end_check(size, folder)
        bare = bare_read(size, folder)
        ratios.append(check / bare["call"])
        print(f"  round {n}: `xfaudit check` {check:5.1f} s, bare pandas.read_excel(calamine) "
              f"{bare['call']:4.1f} s (the call; {bare['process']:.1f} s with process start and "
              f"pandas import; {bare['rows']:,} rows): {check / bare['call']:.2f}× "
              f"({check / bare['process']:.2f}× of the bare read's process)")
    ratios.sort()
    print(f"  `xfaudit check` ÷ bare read, median of {rounds} rounds  "
          f"{ratios[len(ratios) // 2]:5.2f}×  (issue 9's target ≤ 2×)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--keep", type=Path, help="folder for the generated files")
    parser.add_argument("--rounds", type=int, default=3,
                        help="`xfaudit check` and the bare read alternated this many times")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="xfaudit-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    if args.generate:
        print(json.dumps({"seconds": generate_input(args.generate, folder)}))
        return
    if args.one:
        print(json.dumps(measure(args.one, folder)))
        return
    for size in args.sizes:
        if not input_path(size, folder).exists():
            made = subprocess.run([sys.executable, __file__, "--generate", str(size), "--keep",
                                   str(folder)], check=True, capture_output=True, text=True)
            seconds = json.loads(made.stdout.strip().splitlines()[-1])["seconds"]
            print(f"\n(generated {size:,} synthetic items in {seconds:.1f} s)")
        out = subprocess.run([sys.executable, __file__, "--one", str(size), "--keep",
                              str(folder)], check=True, capture_output=True, text=True)
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"\n== {size:,} rows ({figures['findings']:,} findings) ==")
        for step, seconds in figures["seconds"].items():
            print(f"  {step:<28} {seconds:8.2f} s")
        print(f"  GX ÷ the same comparisons in numpy      {figures['gx_over_numpy']:8.1f}×"
              f"  ({figures['expectations']} expectations)")
        print(f"  the same in CPU seconds of the process   {figures['cpu']['gx']:6.2f} s ÷ "
              f"{figures['cpu']['numpy']:.3f} s = {figures['gx_over_numpy_cpu']:.1f}×")
        print(f"  peak memory after load                  {figures['load_peak_mib']:8.0f} MiB")
        print(f"  peak memory (load → write)              {figures['peak_mib']:8.0f} MiB")
        if size <= 200_000:
            compare_with_bare_read(size, folder, args.rounds)


if __name__ == "__main__":
    main()
