"""Plain Great Expectations — without importing xfaudit — runs the checked-in suites on the
frames xfaudit prepares and finds exactly the rows xfaudit's audit finds, with GX's own counts."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from xfaudit.audit import audit
from xfaudit.suites import EXPECTATIONS_DIR, prepare

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "files" / "sample_2026-10.xlsx"
PROFILE = "national-2022"

#: Runs in a fresh interpreter: GX and pandas only.
PLAIN_GX = r'''
import json, sys
import pandas as pd
import great_expectations as gx

folder, expectations, profile = sys.argv[1], sys.argv[2], sys.argv[3]


def raised(info):   # GX keys the exception info by metric when a metric raised
    info = info or {}
    return bool(info.get("raised_exception")) or any(
        isinstance(v, dict) and v.get("raised_exception") for v in info.values())


context = gx.get_context(mode="ephemeral")
batches = (context.data_sources.add_pandas("plain").add_dataframe_asset("frame")
           .add_batch_definition_whole_dataframe("all"))
out = {}
for frame_name, suite_name in (("ledger", "ledger"), ("clocks", profile)):
    frame = pd.read_pickle(f"{folder}/{frame_name}.pkl")
    with open(f"{expectations}/{suite_name}.json", encoding="utf-8") as handle:
        suite = gx.ExpectationSuite(**json.load(handle))
    result = batches.get_batch(batch_parameters={"dataframe": frame}).validate(
        suite, result_format={"result_format": "COMPLETE",
                              "unexpected_index_column_names": ["source_row"],
                              "return_unexpected_index_query": False})
    out[suite_name] = [{
        "type": r.expectation_config.type,
        "description": r.expectation_config.description,
        "kwargs": {k: v for k, v in r.expectation_config.kwargs.items() if k != "batch_id"},
        "error": raised(r.exception_info),
        "rows": sorted(int(x["source_row"]) for x in r.result.get("unexpected_index_list", [])),
        "element_count": r.result.get("element_count"),
        "missing_count": r.result.get("missing_count", 0),
        "unexpected_count": r.result.get("unexpected_count"),
        "success": r.success} for r in result.results]
assert not [m for m in sys.modules if m == "xfaudit" or m.startswith("xfaudit.")]
print(json.dumps(out))
'''


def key(suite_name: str, spec: dict) -> tuple[str, str]:
    """An expectation by its suite and description (unique within a suite)."""
    return suite_name, spec["description"]


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    folder = tmp_path_factory.mktemp("frames")
    frames = prepare(SAMPLE, as_of="2026-10-31", profile=PROFILE)
    frames.ledger.to_pickle(folder / "ledger.pkl")
    frames.clocks.to_pickle(folder / "clocks.pkl")
    proc = subprocess.run([sys.executable, "-c", PLAIN_GX, str(folder), str(EXPECTATIONS_DIR),
                           PROFILE], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_plain_gx_finds_the_rows_and_counts_of_the_audit(plain):
    result = audit(SAMPLE, as_of="2026-10-31", profile=PROFILE)
    source_row = result.extract.frame["source_row"].to_numpy()
    theirs = {(name, r["description"]): r for name, rs in plain.items() for r in rs}
    assert len(theirs) == sum(len(rs) for rs in plain.values())   # descriptions are unique
    names = {"xfaudit.ledger": "ledger", f"xfaudit.{PROFILE}": PROFILE}
    compared = 0
    for outcome in result.validation.outcomes:
        r = theirs[key(names[outcome.suite], outcome.spec)]
        assert r["type"] == outcome.spec["type"]
        assert not r["error"], outcome.spec["description"]
        assert r["rows"] == sorted(source_row[outcome.failing].tolist()), \
            outcome.spec["description"]
        assert (r["element_count"], r["missing_count"], r["unexpected_count"], r["success"]) == (
            outcome.element_count, outcome.missing_count, outcome.unexpected_count,
            outcome.success), outcome.spec["description"]
        compared += 1
    # what xfaudit did not run (a column the sample lacks) plain GX reports as an error
    for skipped in result.validation.not_run:
        assert theirs[key(names[skipped.suite], skipped.spec)]["error"]
    assert compared + len(result.validation.not_run) == sum(len(rs) for rs in plain.values())
    # and the findings are those rows
    findings = result.findings
    for cid in ("REG_LATE", "DATA_DATE_ORDER", "EXTENSION_IRREGULAR"):
        rows = {row for o in result.validation.outcomes if o.spec["meta"]["check_id"] == cid
                for row in theirs[key(names[o.suite], o.spec)]["rows"]}
        assert rows == set(findings.loc[findings["check_id"] == cid, "source_row"]), cid


def test_the_readme_lines_run(monkeypatch, capsys):
    # README "Running the suites with plain GX": the block runs as written (on the sample)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [block] = [b for b in re.findall(r"```python\n(.*?)```", readme, re.S)
               if "xfaudit.suites import prepare" in b]
    monkeypatch.chdir(ROOT)
    exec(block.replace('"台账.xlsx"', repr(str(SAMPLE))), {})
    out = capsys.readouterr().out
    assert "ledger" in out and "national-2022" in out and "evaluated_expectations" in out
