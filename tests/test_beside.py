"""A step run beside the caller in a forked child: its result or its error comes back, a
child that dies leaves the step to the caller, a failing caller leaves no process behind,
and without fork the step runs in place."""

import os
import signal
import time

import pytest

from xfaudit import beside
from xfaudit.beside import Beside
from xfaudit.errors import OutputError

needs_fork = pytest.mark.skipif(not beside.can_fork(), reason="fork: Linux only")


def where(tag):
    return tag, os.getpid()


@needs_fork
def test_the_result_comes_from_the_child():
    with Beside(where, "甲") as step:
        tag, pid = step.result()
    assert tag == "甲" and pid != os.getpid()


def fail():
    raise OutputError("/tmp/out", "磁盘已满")


@needs_fork
def test_the_childs_error_is_raised_in_the_caller():
    with Beside(fail) as step, pytest.raises(OutputError, match="磁盘已满"):
        step.result()


def die():
    os.kill(os.getpid(), signal.SIGKILL)


@needs_fork
def test_a_child_that_dies_leaves_the_step_to_the_caller(monkeypatch):
    # killed before it said anything: the caller runs the step itself (here the same
    # function, which in the caller is told apart by its pid)
    calls = []

    def step_fn():
        if os.getpid() != parent:
            die()
        calls.append(os.getpid())
        return "在本进程写出"

    parent = os.getpid()
    with Beside(step_fn) as step:
        assert step.result() == "在本进程写出"
    assert calls == [parent]


def sleep_long():
    time.sleep(60)


@needs_fork
def test_a_failing_caller_stops_the_child_and_waits_for_it():
    with pytest.raises(RuntimeError, match="xlsx"):
        with Beside(sleep_long) as step:
            child = step._pid
            raise RuntimeError("xlsx 写出失败")
    with pytest.raises(ChildProcessError):        # reaped: no such child any more
        os.waitpid(child, os.WNOHANG)


def test_without_fork_the_step_runs_in_the_caller(monkeypatch):
    monkeypatch.setattr(beside, "can_fork", lambda: False)
    with Beside(where, "乙") as step:
        assert step._pid is None
        assert step.result() == ("乙", os.getpid())


def test_the_check_writes_the_same_findings_with_and_without_a_child(tmp_path, monkeypatch):
    from xfaudit.run import run_check

    forked = run_check("tests/files/sample_2026-10.xlsx", out_dir=tmp_path / "forked",
                       as_of="2026-10-31")
    monkeypatch.setattr(beside, "can_fork", lambda: False)
    in_place = run_check("tests/files/sample_2026-10.xlsx", out_dir=tmp_path / "in_place",
                         as_of="2026-10-31")
    for name in ("csv", "xlsx"):
        assert forked.paths[name].read_bytes() == in_place.paths[name].read_bytes()
    assert forked.paths["csv"].read_text("utf-8-sig").count("\n") > 100


def test_a_step_told_not_to_fork_runs_in_the_caller():
    with Beside(where, "丙", fork=False) as step:
        assert step._pid is None
        assert step.result() == ("丙", os.getpid())


def test_the_check_writes_many_findings_in_place(tmp_path, monkeypatch):
    # past CSV_BESIDE_MAX_FINDINGS the child's copy-on-write memory is not worth it
    from xfaudit import run

    started = []
    real = beside.Beside._start
    monkeypatch.setattr(beside.Beside, "_start", lambda self: started.append(1) or real(self))
    monkeypatch.setattr(run, "CSV_BESIDE_MAX_FINDINGS", 10)
    done = run.run_check("tests/files/sample_2026-10.xlsx", out_dir=tmp_path / "a",
                         as_of="2026-10-31")
    assert len(done.result.findings) > 10 and not started
    monkeypatch.setattr(run, "CSV_BESIDE_MAX_FINDINGS", 10**6)
    run.run_check("tests/files/sample_2026-10.xlsx", out_dir=tmp_path / "b", as_of="2026-10-31")
    assert started == ([1] if beside.can_fork() else [])
