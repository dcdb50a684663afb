"""End to end on synthetic data: the findings equal the planted truth exactly.

The generator plants violations of every check at known rows; loading its spreadsheet and
auditing it must find every planted (case, check) and nothing else (precision and recall 100%).
"""

from __future__ import annotations

import pandas as pd
import pytest

from xfaudit.audit import audit
from xfaudit.load import load_extract
from xfaudit.schema import CheckId
from xfaudit.synth import generate, write


def compare(findings: pd.DataFrame, truth: pd.DataFrame) -> tuple[set, set]:
    got = set(zip(findings["case_id"], findings["check_id"]))
    expected = set(zip(truth["case_id"], truth["check_id"]))
    return got - expected, expected - got


@pytest.mark.parametrize("cases, seed, aliases, suffix", [
    (3000, 11, False, ".xlsx"),
    (2500, 12, True, ".xlsx"),
    (2000, 13, False, ".csv"),
])
def test_findings_equal_planted_truth(tmp_path, cases, seed, aliases, suffix):
    data = generate(cases, "2026-10", seed, use_aliases=aliases)
    path = tmp_path / f"extract{suffix}"
    write(data, path)
    extract = load_extract(path)
    assert extract.report.rows_read == extract.report.rows_kept + extract.report.rows_rejected
    result = audit(extract, as_of=data.as_of)
    false_pos, missed = compare(result.findings, data.truth)
    assert not false_pos, f"false positives: {sorted(false_pos)[:10]}"
    assert not missed, f"missed: {sorted(missed)[:10]}"
    assert set(result.findings["check_id"]) == {c.value for c in CheckId}
