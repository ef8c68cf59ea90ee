"""Running a call that may block on a special file, with a bound and a way to unblock it."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def within(seconds: float, call: Callable[[], Any], release: Callable[[], None]) -> Any:
    """``call()`` in a thread; fails (after ``release()`` unblocks it) if it takes longer."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as error:  # noqa: BLE001 - handed to the test thread
            outcome["error"] = error

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        release()
        worker.join(5)
        pytest.fail(f"blocked for more than {seconds} s (a special file was opened blocking)")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def fifo_releaser(path: Path) -> Callable[[], None]:
    """Unblock a reader stuck opening the FIFO ``path`` (open its write end, then close it)."""

    def release() -> None:
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass

    return release
