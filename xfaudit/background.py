"""Work started early in a background thread, and the waits in which it runs undisturbed.

Importing Great Expectations costs about 3 s of Python that holds the interpreter lock (GIL).
Started in a thread while the extract loads (:func:`xfaudit.validate.preload`), it competes
for the lock with the loader's own Python (reading the scan, typing the cells), and both run
at half speed or worse. calamine's parse of a sheet, by contrast, runs for seconds in native
code that releases the lock. :func:`call_beside` runs such a native call in a worker thread
while the calling thread waits for it *and* for the background work: the import then has the
lock to itself (the parse runs on the other core), and the loader's Python that follows never
competes with it. The work done is the same; only the order in which the threads hold the
lock changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

_started: list[threading.Thread] = []
_lock = threading.Lock()


def start(target: Callable[[], object], name: str) -> threading.Thread:
    """Run ``target`` in a daemon thread now; :func:`call_beside` waits for it."""
    thread = threading.Thread(target=target, name=name, daemon=True)
    with _lock:
        _started[:] = [t for t in _started if t.is_alive()]
        _started.append(thread)
    thread.start()
    return thread


def running() -> list[threading.Thread]:
    """The background threads still running, other than the calling thread."""
    me = threading.current_thread()
    with _lock:
        return [t for t in _started if t.is_alive() and t is not me]


def call_beside(native: Callable[..., T], *args) -> T:
    """``native(*args)`` — a call into native code that releases the GIL — run in a worker
    thread while this thread waits for it and for the background work still running.

    Without background work it is called directly. Its result or exception is returned or
    raised as if it had been called here.
    """
    waiting = running()
    if not waiting:
        return native(*args)
    with ThreadPoolExecutor(1, thread_name_prefix="xfaudit-native") as worker:
        future = worker.submit(native, *args)
        for thread in waiting:
            thread.join()
        return future.result()
