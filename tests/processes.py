"""Running an external renderer (LibreOffice, Chromium) from a test without leaving it behind."""

from __future__ import annotations

import os
import signal
import subprocess


def finished_in(command: list[str], seconds: float) -> bool:
    """Run ``command`` in its own process group; when it is still running after ``seconds``,
    kill the whole group (both programs fork helpers: soffice.bin, Chromium's renderers) and
    return False."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return False
    return True
