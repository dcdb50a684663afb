"""Run one step beside the caller, in a forked child process, where the system allows it.

``xfaudit check`` writes findings.csv and findings.xlsx from the same findings; both are
Python work that holds the interpreter lock, so threads cannot overlap them. On Linux the
program forks: the child writes findings.csv from its copy-on-write view of the findings
while the parent writes findings.xlsx (about 0.3 s of a 100k-row check;
benchmarks/README.md). Elsewhere (Windows has no ``fork``; macOS forks unsafely once system
frameworks are loaded) the step runs in the caller, the same way and with the same output.

The child's result, or its exception (xfaudit's errors are picklable), comes back through a
pipe. A child that ends without saying anything (killed, out of memory) leaves its step to
the caller, which then runs it itself: the output never depends on the child having
finished.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
from collections.abc import Callable
from typing import Any


def can_fork() -> bool:
    """Whether steps run beside the caller here: Linux, which forks safely."""
    return hasattr(os, "fork") and sys.platform.startswith("linux")


class Beside:
    """``fn(*args, **kwargs)`` started in a forked child (:func:`can_fork`), or deferred to
    :meth:`result` in the caller.

    Use as a context manager: leaving it without having asked for the result (the caller
    failed) stops the child and waits for it, so no process outlives the step. ``fork=False``
    runs the step in place (the caller knows the child would cost too much memory).
    """

    def __init__(self, fn: Callable[..., Any], *args, fork: bool = True, **kwargs):
        self._call = (fn, args, kwargs)
        self._pid: int | None = None
        self._pipe: int | None = None
        if fork and can_fork():
            self._start()

    def _start(self) -> None:
        for stream in (sys.stdout, sys.stderr):      # nothing buffered is written twice
            try:
                stream.flush()
            except (AttributeError, OSError, ValueError):
                pass
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:                                 # the child: run, report, leave at once
            os.close(read)
            _report(write, self._call)
        os.close(write)
        self._pid, self._pipe = pid, read

    def result(self) -> Any:
        """The step's return value, or its exception raised here."""
        fn, args, kwargs = self._call
        if self._pid is None:
            return fn(*args, **kwargs)
        with os.fdopen(self._pipe, "rb") as pipe:
            self._pipe = None
            message = pipe.read()
        self._reap()
        if not message:                              # the child died without a word
            return fn(*args, **kwargs)
        ok, value = pickle.loads(message)
        if ok:
            return value
        raise value

    def __enter__(self) -> Beside:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if self._pid is not None:                    # the result was never asked for
            os.kill(self._pid, signal.SIGTERM)
            if self._pipe is not None:
                os.close(self._pipe)
                self._pipe = None
            self._reap()

    def _reap(self) -> None:
        pid, self._pid = self._pid, None
        while True:
            try:
                os.waitpid(pid, 0)
                return
            except InterruptedError:
                continue
            except ChildProcessError:
                return


def _report(pipe: int, call) -> None:
    """In the child: run the step, write its result or error to ``pipe``, exit without
    running the parent's exit handlers or flushing its buffers."""
    fn, args, kwargs = call
    code = 0
    try:
        try:
            message = pickle.dumps((True, fn(*args, **kwargs)))
        except BaseException as exc:                 # noqa: BLE001 - raised in the parent
            message = _pickled_error(exc)
        with os.fdopen(pipe, "wb") as out:
            out.write(message)
    except BaseException:                            # noqa: BLE001 - nothing said: parent redoes it
        code = 1
    finally:
        os._exit(code)


def _pickled_error(exc: BaseException) -> bytes:
    try:
        return pickle.dumps((False, exc))
    except Exception:                                # noqa: BLE001 - an unpicklable error
        return pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
