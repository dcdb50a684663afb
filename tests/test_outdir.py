"""Output folders: user errors are one Chinese line with exit 2 (a file in the way, no right to
write, a full disk, a closed pipe, Ctrl-C); one run per folder at a time; killed runs' debris
swept; registers written with the user's file mode; strict JSON."""

from __future__ import annotations

import errno
import json
import math
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from monthly_fixtures import AS_OF, PERIOD, write_xlsx
from xfaudit import monthly, outdir
from xfaudit.cli import main
from xfaudit.errors import FolderLockedError, OutputError, RunError
from xfaudit.outdir import LOCK_NAME, FolderLock

HOLIDAYS = Path(__file__).parent / "files" / "holidays_2027.csv"
INTERNAL = "内部错误"


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    return write_xlsx(tmp_path_factory.mktemp("ledger") / "台账.xlsx")


@pytest.fixture
def short_wait(monkeypatch):
    monkeypatch.setattr(outdir, "LOCK_WAIT_SECONDS", 0.3)


def check(ledger: Path, out: Path, *extra) -> int:
    return main(["check", str(ledger), "--as-of", AS_OF, "--out", str(out), *extra])


def no_audit(monkeypatch):
    """Fail the test if the extract is loaded (the error must come before any work)."""
    def loaded(*_a, **_k):
        raise AssertionError("the audit started before the output folder was checked")
    monkeypatch.setattr("xfaudit.run.load_extract", loaded)


# -- the output folder is checked before the audit ---------------------------------------------

def test_out_naming_an_existing_file_is_a_user_error_before_the_audit(ledger, tmp_path,
                                                                      capsys, monkeypatch):
    no_audit(monkeypatch)
    (tmp_path / "结果.xlsx").write_text("x")
    assert check(ledger, tmp_path / "结果.xlsx") == 2
    err = capsys.readouterr().err
    assert err == f"错误：无法写入 {tmp_path / '结果.xlsx'}：这是一个文件，不是文件夹。请换一个输出目录。\n"


def test_out_below_a_file_is_a_user_error(ledger, tmp_path, capsys, monkeypatch):
    no_audit(monkeypatch)
    (tmp_path / "a.txt").write_text("x")
    assert check(ledger, tmp_path / "a.txt" / "out") == 2
    err = capsys.readouterr().err
    assert "路径中有一部分是文件而不是文件夹" in err and INTERNAL not in err


@pytest.mark.parametrize("code, words", [(errno.EROFS, "只读"), (errno.EACCES, "没有写入权限")])
def test_a_folder_that_cannot_be_written_is_a_user_error(ledger, tmp_path, capsys,
                                                         monkeypatch, code, words):
    # Simulated (the tests may run as root, for whom a chmod'ed folder is writable): the
    # file system refuses the first file written into --out.
    no_audit(monkeypatch)
    real = pathlib.Path.write_bytes

    def refused(self, data):
        if self.parent == tmp_path / "out":
            raise OSError(code, os.strerror(code), str(self))
        return real(self, data)
    monkeypatch.setattr(pathlib.Path, "write_bytes", refused)
    assert check(ledger, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：无法写入 ") and words in err and INTERNAL not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="permissions do not bind root; the simulated test covers it")
def test_a_read_only_folder_for_real(ledger, tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        assert check(ledger, folder) == 2
    finally:
        folder.chmod(0o755)
    assert "没有写入权限" in capsys.readouterr().err


def test_monthly_checks_the_reports_folder_at_the_parameter_step(ledger, tmp_path, capsys,
                                                                 monkeypatch):
    def never(*_a, **_k):
        raise AssertionError("the notebook ran")
    monkeypatch.setattr(monthly, "execute_notebook", never)
    (tmp_path / "reports").write_text("x")
    assert main(["monthly", str(ledger), "--period", PERIOD, "--out",
                 str(tmp_path / "reports")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：月度审计在「检查参数」步骤失败：无法写入 ")
    assert "这是一个文件，不是文件夹" in err and INTERNAL not in err


# -- a full disk while writing -----------------------------------------------------------------

def test_a_full_disk_in_check_is_a_user_error_and_keeps_earlier_outputs(ledger, tmp_path,
                                                                        capsys, monkeypatch):
    out = tmp_path / "out"
    assert check(ledger, out) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}
    from xfaudit.writers import fastxlsx

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(fastxlsx, "write", full)
    capsys.readouterr()
    assert check(ledger, out) == 2
    err = capsys.readouterr().err
    assert err == f"错误：无法写入 {out}：磁盘空间不足。请清理磁盘或换一个输出目录。\n"
    after = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}
    assert after == before
    assert not [p for p in out.iterdir() if p.name.startswith(".findings.tmp-")]


def test_a_full_disk_in_the_monthly_run_names_the_step_in_chinese(ledger, tmp_path, capsys,
                                                                   monkeypatch):
    def executed(notebook, output, parameters, say):
        Path(output).write_text("{}", encoding="utf-8")

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device", "report.html")
    monkeypatch.setattr(monthly, "execute_notebook", executed)
    monkeypatch.setattr(monthly, "export_html", full)
    assert main(["monthly", str(ledger), "--period", PERIOD, "--out",
                 str(tmp_path / "reports")]) == 2
    err = capsys.readouterr().err
    assert err == ("错误：月度审计在「导出网页报告」步骤失败：无法写入 report.html：磁盘空间不足。"
                   "请清理磁盘或换一个输出目录。原有报告未被改动。\n")
    assert list((tmp_path / "reports").iterdir()) == []  # no staging, no lock file left


def test_other_os_errors_stay_internal_errors(ledger, tmp_path, capsys, monkeypatch):
    # a defect (here: an OSError the user cannot fix) is still reported as one
    def broken(*_a, **_k):
        raise OSError(errno.EBADF, "Bad file descriptor")
    monkeypatch.setattr("xfaudit.run.load_extract", broken)
    assert check(ledger, tmp_path / "out") == 3
    assert capsys.readouterr().err.startswith("内部错误：OSError")


# -- a closed pipe, Ctrl-C -----------------------------------------------------------------------

def test_a_closed_pipe_ends_quietly(ledger):
    # `xfaudit load … | head -1` where head has gone before xfaudit writes
    process = subprocess.Popen([sys.executable, "-m", "xfaudit.cli", "load", str(ledger)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    err = process.stderr.read().decode("utf-8")
    assert process.wait(timeout=60) == 2
    assert err == ""


def test_ctrl_c_during_the_monthly_run_prints_one_line(ledger, tmp_path):
    reports = tmp_path / "reports"
    process = subprocess.Popen(
        [sys.executable, "-m", "xfaudit.cli", "monthly", str(ledger), "--period", PERIOD,
         "--out", str(reports), "--holidays", str(HOLIDAYS)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        # a test run started in the background (`make test &`) ignores Ctrl-C, and so would
        # the child: give it a terminal's default
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for line in process.stdout:
        if line.startswith("  ["):  # the kernel is executing the notebook's cells
            break
    time.sleep(0.2)   # the small ledger's whole notebook may take less than 2 s
    os.killpg(process.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, (out[-600:], err[-600:])
    assert err == "已中断。\n"
    assert not [p for p in reports.iterdir() if p.name.startswith(f".{PERIOD}.tmp-")]
    assert not (reports / PERIOD).exists()


# -- one run per folder ----------------------------------------------------------------------------

def test_a_second_run_on_a_locked_folder_is_refused_with_the_other_run_named(
        ledger, tmp_path, capsys, short_wait, monkeypatch):
    no_audit(monkeypatch)
    out = tmp_path / "out"
    out.mkdir()
    with FolderLock(out, command="xfaudit monthly 台账.xlsx --period 2026-10"):
        assert check(ledger, out) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"错误：输出目录 {out} 正由另一次 xfaudit 运行使用（进程 {os.getpid()}、")
    assert "命令：xfaudit monthly 台账.xlsx --period 2026-10" in err
    assert err.endswith("请等它结束后再运行，或换一个输出目录。\n")


def test_a_second_run_waits_for_the_first_to_finish(tmp_path):
    first = FolderLock(tmp_path, command="first").acquire()
    threading.Timer(0.5, first.release).start()
    started = time.monotonic()
    with FolderLock(tmp_path, command="second", wait=10) as second:
        assert second.held
        waited = time.monotonic() - started
    assert 0.3 < waited < 10


def test_the_lock_is_released_when_its_process_dies(tmp_path):
    code = ("import sys, os; from xfaudit.outdir import FolderLock; "
            f"FolderLock({str(tmp_path)!r}).acquire(); os._exit(0)")
    subprocess.run([sys.executable, "-c", code], check=True)
    with FolderLock(tmp_path, wait=0) as lock:  # the dead run's lock file blocks nothing
        assert lock.held


def test_two_concurrent_checks_on_one_folder_are_serialised_or_refused(ledger, tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "xfaudit.cli", "check", str(ledger), "--as-of", AS_OF,
               "--out", str(out)]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    results = [(run.wait(timeout=300), run.stderr.read()) for run in runs]
    codes = sorted(code for code, _ in results)
    assert codes in ([0, 0], [0, 2])
    for code, err in results:
        assert code == 0 or "正由另一次 xfaudit 运行使用" in err
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["rows"]["audited"] == 11
    assert not [p for p in out.iterdir() if p.name.startswith(".findings.tmp-")]


def test_the_monthly_notebook_runs_under_the_folders_lock(ledger, tmp_path, monkeypatch):
    # the notebook writes the follow-up register; while it runs, no other run gets the lock
    seen = []

    def executed(notebook, output, parameters, say):
        try:
            FolderLock(tmp_path / "reports", wait=0).acquire()
            seen.append("free")
        except FolderLockedError as exc:
            seen.append(exc.pid)
        raise RuntimeError("stop here")
    monkeypatch.setattr(monthly, "execute_notebook", executed)
    with pytest.raises(RunError):
        monthly.run_monthly_audit(ledger, PERIOD, out_dir=tmp_path / "reports")
    assert seen == [os.getpid()]
    with FolderLock(tmp_path / "reports", wait=0) as lock:  # released afterwards
        assert lock.held


def test_the_notebook_run_on_its_own_locks_until_finish(ledger, tmp_path, short_wait):
    from xfaudit.monthly_report import MonthlyReport

    reports = tmp_path / "reports"
    report = MonthlyReport.open(ledger, PERIOD, out_dir=reports, holidays=HOLIDAYS)
    with pytest.raises(FolderLockedError):
        FolderLock(reports, wait=0).acquire()
    report.finish()
    with FolderLock(reports, wait=0) as lock:
        assert lock.held


# -- debris of killed runs -------------------------------------------------------------------------

def test_staging_folders_of_killed_runs_are_swept_by_the_next_run(ledger, tmp_path):
    out = tmp_path / "out"
    debris = [out / ".findings.tmp-k3j2h1g0", out / ".2026-10.tmp-abc_123",
              out / ".2026-10.old-1a2b3c4d"]
    for folder in debris:
        folder.mkdir(parents=True)
        (folder / "回访抽查.xlsx").write_bytes(b"left by a killed run")
    kept = [out / ".git", out / "2026-09", out / ".tmp-notours"]
    for folder in kept:
        folder.mkdir()
    assert check(ledger, out) == 0
    assert not any(folder.exists() for folder in debris)
    assert all(folder.is_dir() for folder in kept)


def test_debris_is_not_touched_while_another_run_holds_the_folder(ledger, tmp_path,
                                                                  short_wait):
    staging = tmp_path / ".2026-10.tmp-live0001"
    staging.mkdir()
    with FolderLock(tmp_path):
        assert check(ledger, tmp_path) == 2
        assert staging.is_dir()


# -- files the user shares -----------------------------------------------------------------------

@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664)])
def test_registers_are_written_with_the_users_file_mode(tmp_path, umask, mode):
    from xfaudit.registers import atomic_write

    old = os.umask(umask)
    try:
        path = atomic_write(tmp_path / "建议跟踪台账.xlsx", lambda p: p.write_bytes(b"x"))
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == mode
    assert [p.name for p in tmp_path.iterdir()] == ["建议跟踪台账.xlsx"]


def test_manifest_is_strict_json_even_with_missing_values(tmp_path):
    path = monthly.write_manifest(tmp_path, {"recommendations": [{"category": math.nan}],
                                             "rate": float("inf")})

    def refuse(constant):
        raise ValueError(constant)
    assert json.loads(path.read_text("utf-8"), parse_constant=refuse) == {
        "recommendations": [{"category": None}], "rate": None}


def test_a_finished_run_leaves_no_lock_file_and_the_next_run_locks_a_new_one(tmp_path):
    first = FolderLock(tmp_path).acquire()
    waiting = FolderLock(tmp_path, wait=10)
    threading.Timer(0.4, first.release).start()  # removes the file the waiting run opened
    with waiting:
        assert (tmp_path / LOCK_NAME).is_file() and waiting._still_ours(waiting._fd)
        with pytest.raises(FolderLockedError):  # and a third run is excluded by it
            FolderLock(tmp_path, wait=0).acquire()
    assert list(tmp_path.iterdir()) == []
