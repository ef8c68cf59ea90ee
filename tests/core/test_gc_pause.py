"""Listings pause the cyclic collector; pauses nest, overlap across threads, and leave a
collector the host switched off switched off."""

from __future__ import annotations

import gc
import threading
from typing import Iterator

import pytest

from hermes_sessions_core.gc_pause import collector_paused


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_nested_pauses_resume_when_the_outermost_ends() -> None:
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_the_host_switched_off_stays_off() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_an_error_inside_ends_the_pause() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_overlapping_pauses_in_threads_resume_once_all_end() -> None:
    gc.enable()
    inside, release = threading.Barrier(3), threading.Event()

    def pause() -> None:
        with collector_paused():
            inside.wait()
            release.wait()

    threads = [threading.Thread(target=pause) for _ in range(2)]
    for thread in threads:
        thread.start()
    inside.wait()
    with collector_paused():
        pass
    assert not gc.isenabled()  # the threads' pauses still hold
    release.set()
    for thread in threads:
        thread.join()
    assert gc.isenabled()
