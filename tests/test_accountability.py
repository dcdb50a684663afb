"""``produce``: the one call of the monthly run drafts letters, circular and callback sample
into the staging folder and stages the registers — nothing outside it changes until
``publish`` —, returns data the report shows without personal data, and without a configured
bureau drafts no letter at all."""

from __future__ import annotations

import hashlib

import pytest

from accountability_data import BUREAU, PERIOD, month_rows, personal_values, run
from xfaudit.accountability import TODO_KEYS, produce
from xfaudit.config import SETUP_HINT
from xfaudit.errors import ConfigError


def snapshot(folder) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file()}


@pytest.fixture(scope="module")
def produced(tmp_path_factory):
    rows = month_rows()
    root = tmp_path_factory.mktemp("run")
    registers = root / "reports" / "registers"
    registers.mkdir(parents=True)
    (registers / "正当理由登记.xlsx").write_bytes(b"not touched")
    before = snapshot(registers)
    out = produce(run(rows, bureau="云溪县信访局"), PERIOD, root / "reports" / ".stage",
                  seed=42, config=BUREAU)
    return rows, root, out, before


def test_writes_every_output_into_the_staging_folder_only(produced):
    _, root, out, before = produced
    stage = root / "reports" / ".stage"
    assert sorted(p.name for p in stage.iterdir()) == [".registers", "letters", "回访抽查.xlsx",
                                                       "通报.docx"]
    assert {p.name for p in (stage / ".registers").iterdir()} == {"问题记录.csv",
                                                                 "建议跟踪台账.xlsx"}
    letters = sorted((stage / "letters").glob("*.docx"))
    assert len(letters) == len(out.recommendations) and letters
    # the registers folder is read, never written, before publication
    assert snapshot(root / "reports" / "registers") == before
    assert out.paths["register"] == root / "reports" / "registers" / "建议跟踪台账.xlsx"
    assert set(out.staged) == {out.paths["register"], out.paths["history"]}


def test_publish_replaces_the_registers_with_the_staged_ones(produced, tmp_path):
    rows, _, _, _ = produced
    out = produce(run(rows, bureau="云溪县信访局"), PERIOD, tmp_path / "reports" / ".s",
                  config=BUREAU)
    staged = {final: staged.read_bytes() for final, staged in out.staged.items()}
    out.publish()
    for final, content in staged.items():
        assert final.read_bytes() == content
    assert out.staged == {}


def test_the_agreed_interface_of_the_report(produced):
    _, _, out, _ = produced
    todo = out.todo()
    assert tuple(todo) == TODO_KEYS and all(isinstance(v, int) for v in todo.values())
    # the improvement letters and the circular, all drafts awaiting signature;
    # one sanction draft (白沙街道: 92 days late, petitioned again on 10-12)
    kinds = [l.kind for l in out.letters]
    assert todo["letters_to_sign"] == len([k for k in kinds if k != "sanction"])
    assert todo["drafts_to_review"] == kinds.count("sanction") == 1
    assert todo["callbacks"] == len(out.sample.frame)
    assert (todo["awaiting_answers"], todo["overdue_answers"]) == (0, 0)
    for letter in out.letters:
        assert letter.path.is_file() and letter.kind and letter.title
        assert letter.unit is None or isinstance(letter.unit, str)


def test_summary_for_the_notebook_and_manifest(produced):
    rows, _, out, _ = produced
    shown = out._repr_html_()
    for title in ("督办与三项建议", "生成的文书", "自查", "待核实", "历史问题", "回访抽查", "建议跟踪"):
        assert title in shown, title
    assert not [v for v in personal_values(rows) if v in shown]
    for raw in ("NaN", "None", "NaT", "&lt;NA&gt;", "improvement", "sanction", "circular"):
        assert raw not in shown, raw
    data = out.to_dict()
    assert data["sample"]["seed"] == 42 and data["period"] == PERIOD and data["configured"]
    circular = out.paths["circular"]
    assert data["files"][str(circular)] == hashlib.sha256(circular.read_bytes()).hexdigest()
    register = out.paths["register"]
    assert data["files"][str(register)] == hashlib.sha256(
        out.staged[register].read_bytes()).hexdigest()


def test_without_a_bureau_no_letter_is_drafted_and_the_report_says_how(produced, tmp_path):
    rows, _, _, _ = produced
    out = produce(run(rows), PERIOD, tmp_path / "reports" / ".s", seed=1)
    assert not out.configured and out.letters == [] and out.paths["circular"] is None
    assert not (tmp_path / "reports" / ".s" / "letters").exists()
    assert SETUP_HINT in out._repr_html_() and "xfaudit init" in SETUP_HINT
    # the callback sample and the findings history are still produced
    assert len(out.sample.frame) and [p.name for p in out.staged] == ["问题记录.csv"]
    assert out.todo()["letters_to_sign"] == 0


def test_period_must_be_a_month(tmp_path):
    with pytest.raises(ConfigError, match="审计期间「2026-1」格式不对，应写成 2026-10"):
        produce(run(month_rows()[:2]), "2026-1", tmp_path)
