"""A pytest plugin loaded into the Web UI's own test run (``-p host_restart_guard``).

The host's self-update schedules a restart: a daemon thread sleeps, then ``os.execv`` re-runs
the process with the same argv. A host test patches ``os.execv`` for 0.2 s around it; on a busy
machine the thread fires after the patch is undone, and the real ``execv`` starts the whole test
run again from the top (seen in CI: six runs of the suite in one). Here a re-exec asked from any
thread but the main one parks that thread instead; the run goes on and ends normally.
"""

from __future__ import annotations

import os
import threading

_real_execv = os.execv


def _execv_from_main_thread_only(path: str, args: object) -> None:
    if threading.current_thread() is not threading.main_thread():
        threading.Event().wait()  # a background restart never replaces the test runner
    _real_execv(path, args)  # type: ignore[arg-type]


os.execv = _execv_from_main_thread_only  # type: ignore[assignment]
