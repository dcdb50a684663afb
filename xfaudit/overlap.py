"""Background work timed to start when the loader enters native code.

Great Expectations' import is 1.5–2.5 s of Python in a background thread, and Python runs
one thread's Python code at a time. Started together with the loader's own Python (the
workbook scan), the two take turns, and each waits for the other. calamine's sheet parse and
pyarrow's CSV parse run for seconds in native code that releases the interpreter lock: the
import started there has the second core to itself.

``with at_native_parse(validate.preload): load_extract(...)`` names the work (a function that
starts a background thread and returns at once); a reader calls :func:`native_parse_begins`
right before such a parse, which starts the waiting work. Work still waiting when the block
ends (an extract without a native parse) starts then; if the block raises, it is dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import contextmanager

_waiting: list[Callable[[], object]] = []
_lock = threading.Lock()


@contextmanager
def at_native_parse(start: Callable[[], object]):
    """Call ``start`` when a reader inside the block begins a native parse, or at the
    block's end if none did; never if the block raises before."""
    with _lock:
        _waiting.append(start)
    try:
        yield
    except BaseException:
        _drop(start)
        raise
    if _drop(start):
        start()


def native_parse_begins() -> None:
    """Start the work waiting for a native parse (readers call this right before one)."""
    with _lock:
        tasks = list(_waiting)
        _waiting.clear()
    for start in tasks:
        start()


def _drop(start: Callable[[], object]) -> bool:
    """Remove ``start`` from the waiting work; whether it was still waiting."""
    with _lock:
        if start in _waiting:
            _waiting.remove(start)
            return True
        return False


__all__ = ["at_native_parse", "native_parse_begins"]
