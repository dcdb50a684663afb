"""Output folders: checked before the work starts, locked while a run writes, swept of debris.

Every job that writes into a folder (``xfaudit check --out``, ``xfaudit monthly --out``, the
monthly notebook run on its own) does three things, in this order:

1. :func:`prepare` the folder before any audit work: it is created if needed; a file in the
   way, a path below a file, no permission, a read-only or full disk stop the run at once with
   a Chinese :class:`~xfaudit.errors.OutputError` (not after minutes of auditing).
2. Hold the folder's lock (:class:`FolderLock`, the file ``.xfaudit.lock`` in the folder) for
   the whole run. A second run on the same folder waits up to :data:`LOCK_WAIT_SECONDS`, then
   stops with :class:`~xfaudit.errors.FolderLockedError` naming the other run (process id,
   start time, computer, command). The lock is an operating-system lock (``fcntl.flock`` on
   Linux and macOS, ``msvcrt.locking`` on Windows): the system releases it when its process
   ends, even when killed, so a stale lock file never blocks anything. A run removes the lock
   file when it finishes (a run that took the lock on a file removed meanwhile tries again, so
   two runs never hold two different files). Everything the run
   reads and writes in the folder — the follow-up register shared by all months included —
   is read and written under the lock, so two runs can never interleave their
   read-modify-write of it.
3. :func:`sweep` the debris of killed runs (staging folders ``.<name>.tmp-…`` and set-aside
   folders ``.<name>.old-…``): under the lock no other run can be using them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import socket
import sys
import time
from pathlib import Path

from xfaudit.errors import FolderLockedError, OutputError

#: The lock file inside a locked folder.
LOCK_NAME = ".xfaudit.lock"

#: How long a run waits for another run on the same folder before it gives up.
LOCK_WAIT_SECONDS = 10.0

#: How often a waiting run tries again.
LOCK_POLL_SECONDS = 0.2

#: Names of the hidden folders a run stages into (``.2026-10.tmp-k3j2h1g0``) or sets aside
#: while swapping (``.2026-10.old-1a2b3c4d``).
DEBRIS = re.compile(r"^\..+\.(tmp|old)-[0-9A-Za-z_]+$")

def prepare(folder: str | Path) -> Path:
    """Make sure the run can write into ``folder`` (created if needed) before it starts.

    Returns
    -------
    pathlib.Path
        The folder.

    Raises
    ------
    OutputError
        ``folder`` is a file, lies below a file, or cannot be written (no permission, a
        read-only or full disk); the message says which, in Chinese.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(str(folder), "这是一个文件，不是文件夹。请换一个输出目录")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".xfaudit-probe-{os.getpid()}-{time.monotonic_ns()}"
        probe.write_bytes(b"xfaudit")
        probe.unlink()
    except OSError as exc:
        raise OutputError.from_os_error(folder, exc) from None
    return folder


def sweep(folder: str | Path) -> list[Path]:
    """Remove staging and set-aside folders left in ``folder`` by killed runs.

    Call it only while holding the folder's lock (then no live run uses them).

    Returns
    -------
    list of pathlib.Path
        The folders removed.
    """
    removed = []
    for entry in Path(folder).iterdir():
        if entry.is_dir() and not entry.is_symlink() and DEBRIS.match(entry.name):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


class FolderLock:
    """The lock of one output folder (use ``with FolderLock(folder, command):``).

    Parameters
    ----------
    folder : path
        The output folder (it must exist: see :func:`prepare`).
    command : str
        What holds the lock, shown to a run that finds it taken (``xfaudit monthly …``).
    wait : float, optional
        Seconds to wait for another run to finish (default :data:`LOCK_WAIT_SECONDS`).
    """

    def __init__(self, folder: str | Path, command: str = "", wait: float | None = None):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.command = command
        self.wait = LOCK_WAIT_SECONDS if wait is None else wait
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> "FolderLock":
        """Take the lock, waiting up to ``wait`` seconds for another run to release it.

        Raises
        ------
        FolderLockedError
            Another run still holds it; the error names that run.
        OutputError
            The lock file cannot be created (the folder is not writable).
        """
        if self.held:
            return self
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise OutputError.from_os_error(self.folder, exc) from None
        deadline = time.monotonic() + self.wait
        while not (_try_lock(fd) and self._still_ours(fd)):
            if time.monotonic() >= deadline:
                holder = _read_holder(fd)
                os.close(fd)
                raise FolderLockedError(
                    folder=str(self.folder), pid=holder.get("pid"),
                    started=holder.get("started"), host=holder.get("host"),
                    command=holder.get("command"))
            time.sleep(LOCK_POLL_SECONDS)
            if not self._still_ours(fd):  # the holder finished and removed the file
                os.close(fd)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        self._fd = fd
        _write_holder(fd, {"pid": os.getpid(), "host": socket.gethostname(),
                           "started": dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
                           "command": self.command})
        return self

    def _still_ours(self, fd: int) -> bool:
        """The open lock file is still the one at :attr:`path` (not removed by its holder)."""
        try:
            here, there = os.fstat(fd), os.stat(self.path)
        except OSError:
            return False
        return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino) or \
            sys.platform == "win32"

    def release(self) -> None:
        """Remove the lock file and release the lock."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            if sys.platform != "win32":  # Windows cannot remove a file that is open
                self.path.unlink(missing_ok=True)
            _unlock(fd)
        finally:
            os.close(fd)

    def __enter__(self) -> "FolderLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


# The holder's record is written at the start of the file; Windows locks a byte far beyond
# it (a locked region cannot be read there), POSIX locks the whole file (flock).
_WINDOWS_LOCK_OFFSET = 1 << 20

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _write_holder(fd: int, record: dict) -> None:
    data = json.dumps(record, ensure_ascii=False).encode("utf-8")
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, data)


def _read_holder(fd: int) -> dict:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = os.read(fd, 4096)
        record = json.loads(data.decode("utf-8")) if data else {}
        return record if isinstance(record, dict) else {}
    except (OSError, ValueError):
        return {}


# ---------------------------------------------------------------------------------------------
# Publishing staged files (the registers of a monthly run)
# ---------------------------------------------------------------------------------------------

def replace_files(pairs: dict[Path, Path]) -> list[tuple[Path, Path | None]]:
    """Move each staged file over its final path (``final → staged``), each with an atomic
    rename, keeping a copy of what it replaces.

    Returns the undo record for :func:`restore` / :func:`discard`. If a move fails, the files
    already replaced are restored before the error is raised: all or nothing.
    """
    undo: list[tuple[Path, Path | None]] = []
    try:
        for final, staged in pairs.items():
            final, staged = Path(final), Path(staged)
            final.parent.mkdir(parents=True, exist_ok=True)
            backup = None
            if final.exists():
                backup = final.with_name(f".{final.name}.old-{os.getpid()}-{time.monotonic_ns()}")
                shutil.copy2(final, backup)
            undo.append((final, backup))
            os.replace(staged, final)
    except BaseException:
        restore(undo)
        raise
    return undo


def restore(undo: list[tuple[Path, Path | None]]) -> None:
    """Put back what :func:`replace_files` replaced (a file that did not exist is removed)."""
    for final, backup in reversed(undo):
        if backup is not None:
            os.replace(backup, final)
        else:
            Path(final).unlink(missing_ok=True)


def discard(undo: list[tuple[Path, Path | None]]) -> None:
    """Drop the copies :func:`replace_files` kept (the publication succeeded)."""
    for _final, backup in undo:
        if backup is not None:
            Path(backup).unlink(missing_ok=True)
