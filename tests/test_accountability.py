"""``produce``: the one call of the monthly run writes letters, circular, callback sample and the
follow-up register, and returns data the notebook can show without personal data."""

from __future__ import annotations

import hashlib

import pytest

from accountability_data import PERIOD, month_rows, personal_values, run
from xfaudit.accountability import produce
from xfaudit.errors import ConfigError


@pytest.fixture(scope="module")
def produced(tmp_path_factory):
    rows = month_rows()
    root = tmp_path_factory.mktemp("run")
    out = produce(run(rows), PERIOD, root / "reports" / PERIOD,
                  registers_dir=root / "registers", seed=42,
                  config={"issuer": {"name": "测试县信访局", "code": "测信督"}})
    return rows, root, out


def test_writes_every_output(produced):
    _, root, out = produced
    folder = root / "reports" / PERIOD
    assert sorted(p.name for p in folder.iterdir()) == ["letters", "回访抽查.xlsx", "通报.docx"]
    letters = sorted((folder / "letters").glob("*.docx"))
    assert len(letters) == len(out.recommendations) and letters
    assert (root / "registers" / "建议跟踪台账.xlsx").is_file()
    assert out.paths["register"] == root / "registers" / "建议跟踪台账.xlsx"
    frame = out.letters_frame()
    assert frame["发文字号"].str.startswith("测信督〔2026〕").all()
    assert frame["类型"].iloc[-1] == "通报"


def test_summary_for_the_notebook_and_manifest(produced):
    rows, _, out = produced
    shown = out._repr_html_()
    assert "问责与督办" in shown and "回访抽查" in shown and "建议跟踪" in shown
    assert not [v for v in personal_values(rows) if v in shown]
    data = out.to_dict()
    assert data["sample"]["seed"] == 42 and data["period"] == PERIOD
    circular = out.paths["circular"]
    assert data["files"][str(circular)] == hashlib.sha256(circular.read_bytes()).hexdigest()


def test_period_must_be_a_month(tmp_path):
    with pytest.raises(ConfigError, match="审计期间「2026-1」格式不对，应写成 2026-10"):
        produce(run(month_rows()[:2]), "2026-1", tmp_path)
