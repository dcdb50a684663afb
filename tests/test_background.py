"""Background work and the native calls beside which it runs (xfaudit.background)."""

import threading

import pytest

from xfaudit import background


def test_call_beside_waits_for_the_background_work_and_returns_the_call_result():
    release = threading.Event()
    order = []

    def slow_import():
        release.wait(5)
        order.append("background")

    def native(a, b):
        release.set()           # the background work can only finish once the call has run
        order.append("native")
        return a + b

    thread = background.start(slow_import, "test-background")
    assert background.call_beside(native, 2, 3) == 5
    assert not thread.is_alive()             # joined before call_beside returned
    assert order == ["native", "background"]


def test_call_beside_raises_what_the_call_raises():
    thread = background.start(lambda: None, "test-background")

    def broken():
        raise ValueError("bad sheet")

    with pytest.raises(ValueError, match="bad sheet"):
        background.call_beside(broken)
    thread.join()


def test_without_background_work_the_call_runs_in_the_calling_thread():
    for thread in background.running():      # none of this test's making may be left
        thread.join()
    caller = threading.current_thread()
    assert background.call_beside(threading.current_thread) is caller


def test_running_lists_only_live_threads():
    done = threading.Event()
    thread = background.start(done.wait, "test-background")
    assert thread in background.running()
    done.set()
    thread.join()
    assert thread not in background.running()
