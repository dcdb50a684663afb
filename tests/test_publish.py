"""Registers with the run: the follow-up register and the findings history change only when
the run publishes. A run that fails at any step — or is killed — leaves them byte for byte as
they were.

The driver's own steps (HTML export, manifest, publication) are failed by replacing them; the
notebook's step by a notebook that fails after drafting the letters, and by a real SIGKILL of
the command while its kernel works.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monthly_fixtures import PERIOD, write_xlsx
from xfaudit import monthly, outdir
from xfaudit.errors import RunError
from xfaudit.monthly import STAGED_REGISTERS, publish_report, run_monthly_audit

ROOT = Path(__file__).resolve().parents[1]
BUREAU = ROOT / "tests" / "files" / "sample_bureau.toml"
NOTEBOOK = ROOT / "notebooks" / "monthly_audit.ipynb"
NEXT = "2026-11"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# -- publication itself ----------------------------------------------------------------------

def staged_run(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A reports folder with published registers and an earlier report, and a staging folder
    holding a new report and new registers."""
    reports = tmp_path / "reports"
    registers = reports / "registers"
    registers.mkdir(parents=True)
    (registers / "建议跟踪台账.xlsx").write_bytes(b"old register")
    (registers / "问题记录.csv").write_bytes(b"old history")
    (reports / PERIOD).mkdir()
    (reports / PERIOD / "report.html").write_text("old report")
    staged = reports / f".{PERIOD}.tmp-test"
    (staged / STAGED_REGISTERS).mkdir(parents=True)
    (staged / "report.html").write_text("new report")
    (staged / STAGED_REGISTERS / "建议跟踪台账.xlsx").write_bytes(b"new register")
    (staged / STAGED_REGISTERS / "问题记录.csv").write_bytes(b"new history")
    return reports, registers, staged


def test_publication_moves_report_and_registers_together(tmp_path):
    reports, registers, staged = staged_run(tmp_path)
    publish_report(staged, reports / PERIOD, registers)
    assert snapshot(registers) == {"建议跟踪台账.xlsx": b"new register",
                                   "问题记录.csv": b"new history"}
    assert (reports / PERIOD / "report.html").read_text() == "new report"
    assert not (reports / PERIOD / STAGED_REGISTERS).exists()


def test_a_failed_swap_of_the_report_puts_the_registers_back(tmp_path, monkeypatch):
    reports, registers, staged = staged_run(tmp_path)
    before = snapshot(registers)

    def broken(a, b):
        raise OSError("disk full (simulated)")
    monkeypatch.setattr(monthly, "replace_dir", broken)
    with pytest.raises(OSError):
        publish_report(staged, reports / PERIOD, registers)
    assert snapshot(registers) == before
    assert (reports / PERIOD / "report.html").read_text() == "old report"


def test_a_register_that_cannot_be_replaced_leaves_both_as_they_were(tmp_path, monkeypatch):
    reports, registers, staged = staged_run(tmp_path)
    before = snapshot(registers)
    real = os.replace

    def refuse_history(src, dst):
        if Path(dst).name == "问题记录.csv" and Path(src).parent.name == STAGED_REGISTERS:
            raise PermissionError("open in Excel (simulated)")
        return real(src, dst)
    monkeypatch.setattr(outdir.os, "replace", refuse_history)
    with pytest.raises(PermissionError):
        publish_report(staged, reports / PERIOD, registers)
    monkeypatch.setattr(outdir.os, "replace", real)
    assert snapshot(registers) == before                 # the first one was put back
    assert (reports / PERIOD / "report.html").read_text() == "old report"


# -- the monthly run --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def october(tmp_path_factory):
    """A published October: the registers every later test starts from."""
    root = tmp_path_factory.mktemp("publish")
    extract = write_xlsx(root / "台账.xlsx")
    reports = root / "reports"
    run_monthly_audit(extract, PERIOD, out_dir=reports, config=BUREAU)
    return root, extract, reports


@pytest.fixture()
def reports(october, tmp_path):
    """A fresh copy of the published October for one test."""
    _root, _extract, published = october
    copy = tmp_path / "reports"
    shutil.copytree(published, copy)
    return copy


def fake_notebook(november_registers: dict[str, bytes]):
    """What the notebook leaves in the staging folder: a report, a manifest and the
    registers as the run would publish them."""
    def run(notebook, staged, params, target, say):
        (staged / monthly.NOTEBOOK_NAME).write_text("{}", encoding="utf-8")
        monthly.write_manifest(staged, {"findings": {}, "timings": {}})
        held = staged / STAGED_REGISTERS
        held.mkdir()
        for name, content in november_registers.items():
            (held / name).write_bytes(content)
    return run


@pytest.mark.parametrize("step, target, name", [
    ("导出网页报告", "export_html", "html"),
    ("写出运行记录", "_complete_manifest", "manifest"),
    ("发布报告", "replace_dir", "publish"),
])
def test_a_failure_at_each_driver_step_leaves_the_registers_unchanged(
        october, reports, monkeypatch, step, target, name):
    _root, extract, _ = october
    registers = reports / "registers"
    before = snapshot(registers)
    changed = {p: c + b"\n(November)" for p, c in before.items()}
    monkeypatch.setattr(monthly, "_run_notebook", fake_notebook(changed))
    if name != "html":
        monkeypatch.setattr(monthly, "export_html",
                            lambda nb, path, title: Path(path).write_text("<html></html>"))

    def fail(*args, **kwargs):
        raise OSError("disk full (simulated)")
    monkeypatch.setattr(monthly, target, fail)
    with pytest.raises(RunError) as caught:
        run_monthly_audit(extract, NEXT, out_dir=reports, config=BUREAU)
    assert caught.value.step == step
    assert snapshot(registers) == before
    assert not (reports / NEXT).exists()


def test_the_same_steps_publish_when_nothing_fails(october, reports, monkeypatch):
    _root, extract, _ = october
    registers = reports / "registers"
    changed = {p: c + b"\n(November)" for p, c in snapshot(registers).items()}
    monkeypatch.setattr(monthly, "_run_notebook", fake_notebook(changed))
    monkeypatch.setattr(monthly, "export_html",
                        lambda nb, path, title: Path(path).write_text("<html></html>"))
    run_monthly_audit(extract, NEXT, out_dir=reports, config=BUREAU)
    assert snapshot(registers) == changed


def failing_notebook(path: Path) -> Path:
    """The monthly notebook with a cell that fails right after section 九 drafted everything."""
    nb = json.loads(NOTEBOOK.read_text("utf-8"))
    at = next(i for i, c in enumerate(nb["cells"])
              if "report.accountability()" in "".join(c["source"]))
    nb["cells"].insert(at + 1, {"cell_type": "code", "execution_count": None, "id": "boom",
                                "metadata": {}, "outputs": [],
                                "source": ["raise RuntimeError('模拟失败')"]})
    path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_notebook_failing_after_the_letters_leaves_the_registers_unchanged(
        october, reports, tmp_path):
    _root, extract, _ = october
    registers = reports / "registers"
    before = snapshot(registers)
    with pytest.raises(RunError) as caught:
        run_monthly_audit(extract, NEXT, out_dir=reports, config=BUREAU,
                          notebook=failing_notebook(tmp_path / "nb.ipynb"))
    assert caught.value.step == "执行审计笔记本" and "模拟失败" in caught.value.detail
    assert snapshot(registers) == before
    assert not (reports / NEXT).exists()


def descendants(pid: int) -> list[int]:
    """Every process under ``pid`` (Linux /proc): the Jupyter kernel runs in a session of its
    own, so killing the command's process group leaves it running."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        children = [p for p, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs Linux /proc")
def test_a_killed_run_leaves_the_registers_unchanged(october, reports):
    _root, extract, _ = october
    registers = reports / "registers"
    before = snapshot(registers)
    command = [sys.executable, "-m", "xfaudit.cli", "monthly", str(extract), "--period", NEXT,
               "--out", str(reports), "--config", str(BUREAU)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True, env={**os.environ,
                                                            "PYTHONPATH": str(ROOT)})
    staged = None
    deadline = time.monotonic() + 240
    try:
        while staged is None and time.monotonic() < deadline and process.poll() is None:
            staged = next(iter(reports.glob(f".{NEXT}.tmp-*/{STAGED_REGISTERS}/问题记录.csv")),
                          None)
            time.sleep(0.05)
        assert staged is not None, "the run never staged its registers"
        held = snapshot(staged.parent)          # what the run was about to publish
    finally:
        kernels = descendants(process.pid)
        os.killpg(process.pid, signal.SIGKILL)
        for pid in kernels:                     # the kernel dies with its command, as kill -9
            try:                                # of a whole session would do
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait()
    assert held["问题记录.csv"] != before["问题记录.csv"]   # November would have changed it
    assert snapshot(registers) == before
    assert not (reports / NEXT).exists()
    # the next run sweeps the debris and publishes
    run_monthly_audit(extract, NEXT, out_dir=reports, config=BUREAU)
    assert not list(reports.glob(".*.tmp-*"))
    assert snapshot(registers)["问题记录.csv"] != before["问题记录.csv"]
