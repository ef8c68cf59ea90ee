"""A file lock for the save path that keeps its lock file open (issue 14).

``filelock.FileLock`` opens, locks, unlocks and closes its file on every acquisition: about
250 µs on a local disk, taken twice per save (the session's stripe lock and the index lock),
a tenth of the save. :class:`KeptFileLock` takes ``flock`` on a descriptor kept open, about
10 µs. It excludes ``FileLock`` users of the same file too (both ``flock`` it), so processes
running either kind stay safe together. Platforms without ``fcntl`` get ``FileLock``.
"""

from __future__ import annotations

import errno
import os
import threading
import weakref
from typing import Any

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["KeptFileLock", "file_lock"]

_live: weakref.WeakSet[KeptFileLock] = weakref.WeakSet()
_fork_hook_registered = False
_registering = threading.Lock()
#: ``flock`` fails so on filesystems without it (some network mounts): FileLock then falls
#: back to its soft lock, and this lock hands over to a FileLock.
_NO_FLOCK = frozenset({errno.ENOSYS, errno.ENOLCK, errno.EOPNOTSUPP})


def file_lock(path: str) -> Any:
    """A lock on ``path`` shared by this machine's processes, counting holders like
    ``FileLock(path, thread_local=False)``: another thread acquiring it while held passes."""
    if fcntl is None:
        from filelock import FileLock

        return FileLock(path, thread_local=False)
    return KeptFileLock(path)


def _forget_parents_locks() -> None:
    for lock in list(_live):
        lock.forget_parent()


class KeptFileLock:
    """``flock`` on a kept descriptor, with the holder count of a non-thread-local FileLock.

    The descriptor is checked after each lock: a lock file removed or replaced meanwhile
    (its ``flock`` would exclude nobody) is reopened and locked again. A forked child drops
    the inherited descriptor without unlocking it (the parent's lock is on the same open
    file) and opens its own. Where the filesystem has no ``flock``, a FileLock takes over.
    """

    def __init__(self, path: str) -> None:
        global _fork_hook_registered
        self.path = path
        self._mutex = threading.Lock()
        self._fd: int | None = None
        self._holders = 0
        self._pid = os.getpid()
        self._fallback: Any = None
        with _registering:
            if not _fork_hook_registered:
                os.register_at_fork(after_in_child=_forget_parents_locks)
                _fork_hook_registered = True
        _live.add(self)

    @property
    def is_locked(self) -> bool:
        return self._holders > 0

    def acquire(self) -> None:
        """Block until held; raises OSError when the lock file cannot be opened."""
        if self._pid != os.getpid():
            self.forget_parent()  # a fork that ran no fork hooks
        with self._mutex:
            if self._fallback is None and self._holders:
                self._holders += 1
                return
            if self._fallback is None and self._lock_kept_file():
                self._holders = 1
                return
        self._fallback.acquire()

    def _lock_kept_file(self) -> bool:
        """``flock`` the kept descriptor, reopened while the file at the path is another one;
        ``False`` (a FileLock set up instead) when the filesystem has no ``flock``."""
        assert fcntl is not None
        while True:
            fd = self._fd if self._fd is not None else self._open()
            self._fd = None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                if self._still_at_path(fd):
                    self._fd = fd
                    return True
            except OSError as error:
                os.close(fd)
                if error.errno not in _NO_FLOCK:
                    raise
                from filelock import FileLock

                self._fallback = FileLock(self.path, thread_local=False)
                return False
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)  # replaced or removed under us: lock the file now at the path

    def release(self) -> None:
        if self._fallback is not None:
            self._fallback.release()
            return
        assert fcntl is not None
        with self._mutex:
            if not self._holders:
                return
            self._holders -= 1
            if not self._holders and self._fd is not None:
                try:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                except OSError:
                    os.close(self._fd)  # closing releases it as well
                    self._fd = None

    def close(self) -> None:
        """Close the kept descriptor unless the lock is held; the next acquire reopens it."""
        with self._mutex:
            if not self._holders and self._fd is not None and self._pid == os.getpid():
                os.close(self._fd)
                self._fd = None

    def forget_parent(self) -> None:
        """In a forked child: new state, and the inherited descriptor closed (which leaves
        the parent's lock alone, as closing one of several descriptors of a file does)."""
        if self._fd is not None:
            try:
                os.close(self._fd)
            except OSError:
                pass
        self._fd = None
        self._holders = 0
        self._mutex = threading.Lock()
        self._pid = os.getpid()

    def __enter__(self) -> KeptFileLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None and getattr(self, "_pid", None) == os.getpid():
            try:
                os.close(fd)
            except OSError:
                pass

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)  # its folder was removed
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)

    def _still_at_path(self, fd: int) -> bool:
        try:
            at_path = os.stat(self.path)
        except FileNotFoundError:
            return False
        held = os.fstat(fd)
        return (held.st_dev, held.st_ino) == (at_path.st_dev, at_path.st_ino)
