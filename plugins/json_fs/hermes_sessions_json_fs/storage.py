"""One folder of small objects on any fsspec filesystem, written atomically.

Local disks get the classic recipe: a temp file in the same folder, fsync, ``os.replace``, fsync
of the folder. Object stores (s3, gcs, azure, memory) have no rename, but a single upload is
atomic there: the object appears whole or not at all (S2.3). Other remote filesystems (sftp)
upload to a temp name and rename. Reads refuse symlinks and non-regular files so a session id
can never read outside the store; a FIFO, socket or device node is recognised from its
attributes before it is opened (and then opened non-blocking), so it can never hang a reader.

No object larger than the folder's ``max_read_bytes`` (:data:`MAX_READ_BYTES` unless the
store sets ``max_session_bytes``) is read whole: such a read raises :class:`TooLarge` after
looking at the size alone. Every failure of the operating system or the server becomes a
:class:`StorageError` naming the path, and leaves what was stored as it was.

Shared objects (the index, tombstones, projects) change through :meth:`Folder.update`, a
read-modify-write that never loses a concurrent update: under a lock on a local disk or inside
one process, and with conditional writes (create-if-absent, replace-if-unchanged) on an object
store shared by several hosts (see ``s3_folder.py``).
"""

from __future__ import annotations

import abc
import errno
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from hermes_sessions_core.atomic import temp_name, write_file_atomically
from hermes_sessions_core.errors import HermesSessionsError, MissingDependencyError, StorageError
from hermes_sessions_core.redaction import redact_secrets
from hermes_sessions_core.regular_files import NotARegularFile, open_regular_fd

from .file_lock import file_lock

__all__ = [
    "MAX_READ_BYTES", "UPDATE_ATTEMPTS", "FileInfo", "Folder", "TooLarge", "VersionChanged",
    "Versioned", "failure", "holding", "make_folder", "not_regular", "open_folder", "temp_name",
]

_SINGLE_PUT_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "memory"})
_EXTRA_FOR_PROTOCOL = {"s3": ("s3", "s3fs"), "s3a": ("s3", "s3fs"), "sftp": ("sftp", "paramiko"),
                       "ssh": ("sftp", "paramiko")}
_S3_PROTOCOLS = frozenset({"s3", "s3a"})
_SFTP_PROTOCOLS = frozenset({"sftp", "ssh"})
#: A conditional update gives up after this many conflicts in a row (each retried after a pause).
UPDATE_ATTEMPTS = 60
_READ_ATTEMPTS = 5
#: No object larger than this is read whole unless the caller names a limit (256 MiB): a
#: session file is parsed in memory, and orjson briefly needs several times its size.
MAX_READ_BYTES = 256 << 20
#: A local file unmodified for this long keeps its version tag until it changes again.
SETTLED_AFTER_SECONDS = 2
_SPECIAL_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a directory"), (stat.S_ISLNK, "a symlink"),
)


@dataclass(frozen=True, slots=True)
class FileInfo:
    name: str
    size: int
    mtime: float


@dataclass(frozen=True, slots=True)
class Versioned:
    """An object's bytes (``None`` when absent) and the server's version tag (an ETag), if any.

    Pass it back to :meth:`Folder.write_if_unchanged` to replace exactly this version.
    """

    data: bytes | None
    tag: str | None = None


class VersionChanged(Exception):
    """Another writer replaced the object after the version a conditional write named."""


class TooLarge(StorageError):
    """A whole read was refused because the object is larger than the read's limit.

    Only the size was looked at; ``tag`` is the object's version where the backend told it
    with the size (so a conditional write can still replace exactly this object).
    """

    def __init__(self, path: str, size: int, limit: int, tag: str | None = None) -> None:
        self.size = size
        self.limit = limit
        self.tag = tag
        super().__init__(
            f"{path} is {size:,} bytes, over the {limit:,}-byte limit for reading a file whole; "
            "it was left untouched (the json_fs setting max_session_bytes raises the limit)",
            path=path,
        )


def not_regular(path: str, mode: int) -> StorageError:
    """The error for a session or store file that is a FIFO, socket, device, folder or link."""
    kind = next((f"{label}, not" for test, label in _SPECIAL_KINDS if test(mode)), "not")
    return StorageError(
        f"{path} is {kind} a regular file; session and store files must be regular files: "
        "remove or rename it",
        path=path,
    )


def failure(action: str, path: str, error: OSError) -> StorageError:
    """A raw OSError as a StorageError naming the path (its errno name and text kept)."""
    reason = error.strerror or str(error) or type(error).__name__
    code = errno.errorcode.get(error.errno or 0)
    return StorageError(f"could not {action} {path}: {reason} ({code or 'no errno'})", path=path)


@contextmanager
def holding(lock: Any, path: str) -> Iterator[None]:
    """Hold a file lock, turning a failure to take it (the lock file is a folder, the folder
    is read-only, ...) into a StorageError naming the lock file; the body's errors pass."""
    try:
        lock.acquire()
    except HermesSessionsError:
        raise
    except OSError as error:
        raise failure("take the lock", path, error) from error
    try:
        yield
    finally:
        lock.release()


def make_folder(path: str) -> None:
    """``os.makedirs`` with a StorageError naming the path (a file in its place, EROFS...)."""
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as error:
        raise failure("create the folder", path, error) from error


def open_folder(
    url: str, storage_options: Mapping[str, Any] | None = None, *, multi_writer: bool = False
) -> Folder:
    """Open the folder at ``url`` (a local path or any fsspec URL). Creates nothing.

    Remote servers are first contacted when the folder is first used. ``multi_writer`` declares
    that other hosts write the same folder: a server that cannot make that safe is refused at
    the first write, with an error naming what it lacks.
    """
    options = dict(storage_options or {})
    if "://" not in url:
        # A plain path is a local folder, read through the OS directly: fsspec (and asyncio,
        # which it imports) would cost a tenth of a second at start-up for nothing.
        return LocalFolder(None, os.path.abspath(os.path.expanduser(url)), url,
                           multi_writer=multi_writer)
    protocol = url.split("://", 1)[0].lower()
    try:
        if protocol in _SFTP_PROTOCOLS:
            from .sftp_folder import open_sftp_folder

            return open_sftp_folder(url, options, multi_writer=multi_writer)
        import fsspec

        filesystem, path = fsspec.core.url_to_fs(url, **options)
    except ImportError as error:
        extra, module = _EXTRA_FOR_PROTOCOL.get(protocol, (protocol, protocol))
        raise MissingDependencyError(
            f"storage at {redact_secrets(url)!r}", extra, module
        ) from error
    except HermesSessionsError:
        raise
    except Exception as error:  # bad options, unreachable host: name the URL and the cause
        if isinstance(error, ValueError) and str(error).startswith("Protocol not known"):
            raise StorageError(
                f"cannot open session storage {redact_secrets(url)!r}: no filesystem knows "
                f"{protocol}://; use a local path, memory://, s3:// (pip install "
                "'hermes-sessions[s3]') or sftp:// (pip install 'hermes-sessions[sftp]')",
                path=redact_secrets(url),
            ) from error
        raise StorageError(
            f"cannot open session storage {redact_secrets(url)!r}: {type(error).__name__}: "
            f"{redact_secrets(str(error))}", path=redact_secrets(url)
        ) from error
    from fsspec.implementations.local import LocalFileSystem

    if isinstance(filesystem, LocalFileSystem):
        return LocalFolder(filesystem, os.path.abspath(path), url, multi_writer=multi_writer)
    if protocol in _S3_PROTOCOLS:
        from .s3_folder import S3Folder

        return S3Folder(filesystem, path.rstrip("/"), url, multi_writer=multi_writer)
    return RemoteFolder(filesystem, path.rstrip("/"), url, multi_writer=multi_writer)


class Folder(abc.ABC):
    """The operations the store needs, on names relative to one folder."""

    filesystem: Any
    root: str
    url: str
    is_local = False
    #: Whether :meth:`version` costs no network round trip (local disks, memory).
    cheap_versions = False
    #: Whether equal version tags mean equal content (an object store's ETag).
    exact_versions = False
    #: Whole reads without an explicit limit refuse objects larger than this (TooLarge).
    max_read_bytes = MAX_READ_BYTES

    def __init__(self, filesystem: Any, root: str, url: str, *, multi_writer: bool = False) -> None:
        self.filesystem = filesystem
        self.root = root
        self.url = redact_secrets(url)  # for messages: an sftp://user:password@ stays hidden
        self.multi_writer = multi_writer
        self._update_lock = threading.RLock()

    def _limit(self, limit: int | None) -> int:
        return self.max_read_bytes if limit is None else limit

    def path(self, name: str) -> str:
        return f"{self.root}/{name}"

    # ── versions and conditional changes ────────────────────────────────────────────────
    # Folders without server-side conditions answer with tag ``None`` and write plainly:
    # their callers hold a lock that every writer of the folder shares (see ``update``).

    def read_versioned(self, name: str, limit: int | None = None) -> Versioned:
        """The object's bytes and version tag, read together (TooLarge above ``limit``)."""
        return Versioned(self._read_whole(name, limit))

    def write_if_unchanged(self, name: str, data: bytes, base: Versioned) -> bool:
        """Write ``data`` only if the object is still ``base`` (absent if ``base.data`` is None).

        ``False`` means another writer got there first: read again and retry.
        """
        self.write(name, data)
        return True

    def remove_if_unchanged(self, name: str, base: Versioned) -> bool:
        """Delete the object only if it is still ``base``; ``False`` if it changed or is gone."""
        return self.remove(name)

    # ── session versions: tags that :meth:`version` and :meth:`write_versioned` agree on ──

    def read_with_version(self, name: str, limit: int | None = None) -> Versioned:
        """The bytes and the version tag of exactly those bytes (checked on both sides of
        the read where the backend cannot tell them in one request); TooLarge above
        ``limit`` (the folder's ``max_read_bytes`` by default)."""
        return self._tagged(name, lambda n: self._read_whole(n, limit))

    def read_head_with_version(self, name: str, size: int) -> Versioned:
        """At most ``size`` leading bytes, with the whole object's version tag."""
        return self._tagged(name, lambda n: self.read_head(n, size))

    def _tagged(self, name: str, read: Callable[[str], bytes | None]) -> Versioned:
        for _ in range(_READ_ATTEMPTS):
            before = self.version(name)
            data = read(name)
            if self.version(name) == before:
                return Versioned(data, before if data is not None else None)
        raise self._busy(name)

    def count_names(self, suffix: str, enough: int) -> int:
        """How many names end with ``suffix`` and do not start with ``_`` (store files),
        counting no further than ``enough``: a size check needs a bound, not the total."""
        return min(enough, sum(1 for n in self.names() if n.endswith(suffix) and n[:1] != "_"))

    def version_settled(self, tag: str) -> bool:
        """Whether every later change of the object is sure to get a tag other than ``tag``,
        so content decoded at ``tag`` may be kept and reused while the tag holds. True for
        exact tags (an ETag); a stat-based tag says so only where :class:`LocalFolder` can."""
        return self.exact_versions

    def version(self, name: str) -> str | None:
        """The current version tag, cheaply (one stat or HEAD); ``None`` if absent or unknown."""
        info = self.info(name)
        return f"{info.size}:{info.mtime!r}" if info is not None else None

    def write_versioned(self, name: str, data: bytes, base: Versioned) -> str | None:
        """Replace the object only if it is still ``base``; return the new version tag.

        Raises :class:`VersionChanged` when another writer got there first. Callers hold
        the object's write lock (see ``SessionFiles``), which is all the protection a folder
        without server-side conditions offers: threads of one process.
        """
        self.write(name, data)
        return self.version(name)

    def _busy(self, name: str) -> StorageError:
        return StorageError(
            f"could not read {self.url}/{name}: it kept changing while being read; try again",
            path=self.path(name),
        )

    def update(
        self, name: str, change: Callable[[bytes | None], bytes | None], limit: int | None = None
    ) -> bytes | None:
        """Read-modify-write one shared object without losing a concurrent update.

        ``change`` gets the current bytes (``None`` if absent) and returns the new bytes, or
        ``None`` to leave the object as it is; it may run several times, so it must not have
        side effects. An object larger than ``limit`` is not read: ``change`` gets ``b""``
        (nothing readable), as for an empty object. Returns the bytes now stored. Raises
        StorageError if other writers keep winning for :data:`UPDATE_ATTEMPTS` rounds.
        """
        with self._locked_for_update(name):
            for attempt in range(UPDATE_ATTEMPTS):
                try:
                    current = self.read_versioned(name, limit)
                except TooLarge as error:
                    current = Versioned(b"", error.tag)
                wanted = change(current.data)
                if wanted is None or wanted == current.data:
                    return current.data
                if self.write_if_unchanged(name, wanted, current):
                    return wanted
                pause_after_conflict(attempt)
        raise StorageError(
            f"could not update {self.url}/{name}: other writers changed it {UPDATE_ATTEMPTS} "
            "times in a row; try again",
            path=self.path(name),
        )

    def _locked_for_update(self, name: str) -> Any:
        """The lock every updater of ``name`` shares; the process-wide one by default."""
        return self._update_lock

    def check_multi_writer(self) -> None:
        """Raise StorageError if several hosts could not safely write this folder."""
        if self.multi_writer and not self.safe_for_many_hosts:
            raise StorageError(
                f"multi-writer mode refused for {self.url}: {self.multi_writer_refusal}. "
                "Use an S3-compatible store that honours conditional writes, or turn "
                "multi_writer off and write from one host only.",
                path=self.url,
            )

    safe_for_many_hosts = False
    multi_writer_refusal = "this storage offers no conditional writes or shared locks"

    def read(self, name: str) -> bytes | None:
        """The whole object, or ``None`` if absent; TooLarge above ``max_read_bytes``."""
        return self._read_whole(name, None)

    @abc.abstractmethod
    def _read_whole(self, name: str, limit: int | None) -> bytes | None:
        """The whole object, ``None`` if absent; TooLarge above ``limit`` (None: the default)."""

    @abc.abstractmethod
    def read_head(self, name: str, size: int) -> bytes | None:
        """At most ``size`` leading bytes (a range read), or ``None`` if absent."""

    @abc.abstractmethod
    def write(self, name: str, data: bytes) -> None:
        """Replace the object atomically; raise StorageError and leave the old one on failure."""

    @abc.abstractmethod
    def remove(self, name: str) -> bool:
        """Delete; ``True`` if something existed."""

    @abc.abstractmethod
    def names(self, subfolder: str = "") -> list[str]:
        """Names directly inside the folder (or a subfolder); ``[]`` if it does not exist."""

    @abc.abstractmethod
    def info(self, name: str) -> FileInfo | None:
        """Size and modification time, or ``None`` if absent."""


class LocalFolder(Folder):
    """A local directory through the OS directly: fsync and rename give crash safety."""

    is_local = True
    cheap_versions = True
    #: One machine's processes share file locks; hosts sharing a network disk are on their own.
    safe_for_many_hosts = True

    def __init__(self, filesystem: Any, root: str, url: str, *, multi_writer: bool = False) -> None:
        super().__init__(filesystem, root, url, multi_writer=multi_writer)
        self._file_locks: dict[str, Any] = {}

    def path(self, name: str) -> str:
        return os.path.join(self.root, name)

    def _locked_for_update(self, name: str) -> Any:
        """``<name>.lock`` beside the object, so other processes' updates wait too."""
        path = self.path(f"{name}.lock")
        with self._update_lock:
            lock = self._file_locks.get(name)
            if lock is None:
                lock = file_lock(path)
                self._file_locks[name] = lock
        make_folder(os.path.dirname(self.path(name)))
        return _Both(self._update_lock, holding(lock, path))

    def _open_regular(self, name: str) -> tuple[int, os.stat_result] | None:
        """An open descriptor and its ``fstat``, or ``None`` if absent.

        The type is checked on the name first (``lstat``), so a FIFO, socket or device is never
        opened at all (opening some devices has effects); the open is the core's non-blocking
        recipe (:func:`~hermes_sessions_core.regular_files.open_regular_fd`), which refuses one
        swapped in between.
        """
        path = self.path(name)
        try:
            found = os.lstat(path)
        except FileNotFoundError:
            return None
        except OSError as error:
            raise failure("read", path, error) from error
        if not stat.S_ISREG(found.st_mode):
            raise not_regular(path, found.st_mode)
        try:
            fd = open_regular_fd(path)
        except FileNotFoundError:
            return None
        except NotARegularFile:
            raise not_regular(path, 0) from None
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise not_regular(path, stat.S_IFLNK) from None
            raise failure("read", path, error) from error
        try:
            return fd, os.fstat(fd)
        except OSError as error:
            os.close(fd)
            raise failure("read", path, error) from error

    def _read_whole(self, name: str, limit: int | None) -> bytes | None:
        return self.read_with_version(name, limit).data

    def read_with_version(self, name: str, limit: int | None = None) -> Versioned:
        """The bytes and the identity of the very file they came from (one ``fstat``); a file
        larger than ``limit`` is refused from that ``fstat``, before any byte is read."""
        opened = self._open_regular(name)
        if opened is None:
            return Versioned(None)
        fd, found = opened
        path = self.path(name)
        allowed = self._limit(limit)
        tag = _tag(found)
        try:
            if found.st_size > allowed:
                raise TooLarge(path, found.st_size, allowed, tag)
            # One read of the size fstat gave (and a byte more, to see growth): one buffer.
            chunks = [os.read(fd, found.st_size + 1)]
            total = len(chunks[0])
            while chunks[-1]:
                if total > allowed:
                    raise TooLarge(path, total, allowed, tag)
                chunks.append(os.read(fd, min(1 << 20, allowed + 1 - total)))
                total += len(chunks[-1])
            return Versioned(chunks[0] if len(chunks) <= 2 else b"".join(chunks), tag)
        except HermesSessionsError:
            raise
        except OSError as error:
            raise failure("read", path, error) from error
        finally:
            os.close(fd)

    def read_head(self, name: str, size: int) -> bytes | None:
        return self.read_head_with_version(name, size).data

    def read_head_with_version(self, name: str, size: int) -> Versioned:
        opened = self._open_regular(name)
        if opened is None:
            return Versioned(None)
        fd, found = opened
        try:
            # Never allocate more than the file holds: the head of a small file stays small.
            return Versioned(os.read(fd, min(size, found.st_size + 1)), _tag(found))
        except OSError as error:
            raise failure("read", self.path(name), error) from error
        finally:
            os.close(fd)

    def version(self, name: str) -> str | None:
        try:
            return _tag(os.lstat(self.path(name)))
        except OSError:
            return None

    def count_names(self, suffix: str, enough: int) -> int:
        counted = 0
        try:
            with os.scandir(self.root) as entries:
                for entry in entries:
                    name = entry.name
                    if name.endswith(suffix) and name[:1] != "_":
                        counted += 1
                        if counted >= enough:
                            break
        except (FileNotFoundError, NotADirectoryError):
            return 0
        except OSError as error:
            raise failure("list", self.root, error) from error
        return counted

    def version_settled(self, tag: str) -> bool:
        """A tag names a new inode and size, but its mtime is as coarse as the kernel's clock
        tick: two rewrites within one tick could reuse the inode, size and mtime. A file last
        modified :data:`SETTLED_AFTER_SECONDS` ago is past that: any later write moves it."""
        try:
            modified_ns = int(tag.rsplit(":", 1)[1])
        except (IndexError, ValueError):
            return False
        return time.time_ns() - modified_ns > SETTLED_AFTER_SECONDS * 1_000_000_000

    def write(self, name: str, data: bytes) -> None:
        self._write_file(name, data)

    def write_versioned(self, name: str, data: bytes, base: Versioned) -> str | None:
        """Callers hold the object's file lock, shared by every process of this machine, and
        compared versions under it: the write itself needs no further check."""
        return _tag(self._write_file(name, data))

    def _write_file(self, name: str, data: bytes) -> os.stat_result:
        target = self.path(name)
        try:
            return write_file_atomically(target, data)
        except OSError as error:
            raise StorageError(f"could not write {target}: {error}", path=target) from error

    def remove(self, name: str) -> bool:
        path = self.path(name)
        try:
            os.unlink(path)
        except FileNotFoundError:
            return False
        except IsADirectoryError:
            raise StorageError(f"{path} is a directory", path=path) from None
        except OSError as error:
            raise failure("delete", path, error) from error
        return True

    def names(self, subfolder: str = "") -> list[str]:
        folder = self.path(subfolder) if subfolder else self.root
        try:
            with os.scandir(folder) as entries:
                return [entry.name for entry in entries]
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as error:
            raise failure("list", folder, error) from error

    def info(self, name: str) -> FileInfo | None:
        path = self.path(name)
        try:
            result = os.lstat(path)
        except FileNotFoundError:
            return None
        except OSError as error:
            raise failure("inspect", path, error) from error
        return FileInfo(name, result.st_size, result.st_mtime)

    def entries(self) -> Iterator[os.DirEntry[str]]:
        try:
            with os.scandir(self.root) as entries:
                yield from entries
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as error:
            raise failure("list", self.root, error) from error


class RemoteFolder(Folder):
    """Any other fsspec filesystem: object stores get one atomic upload per write.

    Every failure of the filesystem (a refused connection, a timeout, a server error) becomes a
    StorageError naming the URL and the cause; "absent" stays ``None``/``False``.
    """

    def __init__(self, filesystem: Any, root: str, url: str, *, multi_writer: bool = False) -> None:
        super().__init__(filesystem, root, url, multi_writer=multi_writer)
        protocol = filesystem.protocol
        protocols = protocol if isinstance(protocol, tuple) else (protocol,)
        self.single_put = bool(_SINGLE_PUT_PROTOCOLS.intersection(protocols))
        if "memory" in protocols:
            self.safe_for_many_hosts = True  # one process: the update lock covers every writer
            self.cheap_versions = True

    def _failure(self, action: str, name: str, error: BaseException) -> StorageError:
        location = f"{self.url}/{name}" if name else self.url
        return StorageError(
            f"could not {action} {location}: {type(error).__name__}: {error}", path=self.path(name)
        )

    def _read_whole(self, name: str, limit: int | None) -> bytes | None:
        try:
            return self._fetch(name, self._limit(limit))
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise StorageError(f"{self.path(name)} is a directory", path=self.path(name)) from None
        except HermesSessionsError:
            raise
        except Exception as error:
            raise self._failure("read", name, error) from error

    def _fetch(self, name: str, limit: int) -> bytes:
        """The whole object, TooLarge above ``limit``; FileNotFoundError if absent (subclasses
        pick the transfer). A ranged read of one byte more than the limit tells without a
        separate size request, and never holds more than the limit."""
        data = bytes(self.filesystem.cat_file(self.path(name), start=0, end=limit + 1))
        if len(data) > limit:
            raise TooLarge(self.path(name), len(data), limit)
        return data

    def read_head(self, name: str, size: int) -> bytes | None:
        try:
            return bytes(self.filesystem.cat_file(self.path(name), start=0, end=size))
        except FileNotFoundError:
            return None
        except HermesSessionsError:
            raise
        except Exception as error:
            raise self._failure("read", name, error) from error

    def write(self, name: str, data: bytes) -> None:
        self.check_multi_writer()
        target = self.path(name)
        try:
            if self.single_put:
                self.filesystem.pipe_file(target, data)
                return
            parent = target.rsplit("/", 1)[0]
            self.filesystem.makedirs(parent, exist_ok=True)
            temp = f"{parent}/{temp_name(target.rsplit('/', 1)[1])}"
            try:
                self.filesystem.pipe_file(temp, data)
                self.filesystem.mv(temp, target)
            except BaseException:
                try:
                    self.filesystem.rm_file(temp)
                except Exception:
                    pass
                raise
        except HermesSessionsError:
            raise
        except Exception as error:
            raise self._failure("write", name, error) from error

    def remove(self, name: str) -> bool:
        self.check_multi_writer()
        try:
            self.filesystem.rm_file(self.path(name))
        except FileNotFoundError:
            return False
        except HermesSessionsError:
            raise
        except Exception as error:
            raise self._failure("delete", name, error) from error
        self.filesystem.invalidate_cache(self.root)
        return True

    def names(self, subfolder: str = "") -> list[str]:
        folder = self.path(subfolder) if subfolder else self.root
        try:
            self.filesystem.invalidate_cache(folder)
            listed = self.filesystem.ls(folder, detail=False)
        except (FileNotFoundError, NotADirectoryError):
            return []
        except HermesSessionsError:
            raise
        except Exception as error:
            raise self._failure("list", subfolder, error) from error
        return [str(item).rstrip("/").rsplit("/", 1)[-1] for item in listed]

    def info(self, name: str) -> FileInfo | None:
        try:
            details = self.filesystem.info(self.path(name))
        except FileNotFoundError:
            return None
        except HermesSessionsError:
            raise
        except Exception as error:
            raise self._failure("inspect", name, error) from error
        return FileInfo(name, int(details.get("size") or 0), _mtime_of(details))


def _mtime_of(details: Mapping[str, Any]) -> float:
    mtime = details.get("mtime") or details.get("LastModified") or details.get("created") or 0
    if hasattr(mtime, "timestamp"):
        mtime = mtime.timestamp()
    try:
        return float(mtime)
    except (TypeError, ValueError):
        return time.time()


def pause_after_conflict(attempt: int) -> None:
    """Back off with jitter so writers that collided do not collide again in step."""
    import random  # only after a conflict

    time.sleep(random.uniform(0, min(0.5, 0.005 * (2 ** min(attempt, 7)))))


class _Both:
    """Enter a thread lock, then a file lock (and leave in reverse)."""

    def __init__(self, first: Any, second: Any) -> None:
        self.first = first
        self.second = second

    def __enter__(self) -> None:
        self.first.__enter__()
        try:
            self.second.__enter__()
        except BaseException:
            self.first.__exit__(None, None, None)
            raise

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.second.__exit__(*exc_info)
        finally:
            self.first.__exit__(*exc_info)


def _tag(result: os.stat_result) -> str:
    """One written version of a local file: rename keeps the temp file's inode, size and mtime
    (it changes ctime, which is therefore left out)."""
    return f"{result.st_dev}:{result.st_ino}:{result.st_size}:{result.st_mtime_ns}"


