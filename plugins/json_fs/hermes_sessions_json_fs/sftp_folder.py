"""A session folder on an SSH server, through fsspec's paramiko-based SFTP filesystem.

Why this client and these calls (measured on loopback OpenSSH, see docs/remote-storage.md):

- ``sshfs`` (asyncssh) registers itself for ``sftp://`` when installed, and its ``cat_file``
  ignores ``start``/``end`` and returns the whole file, so a 64 KB metadata read would fetch
  every message. We therefore always build fsspec's paramiko ``SFTPFileSystem`` by name.
- That client honours ranges but writes one 32 KB request at a time, waiting for each reply
  (about 1 MB/s). Writes here use paramiko's pipelined mode on the same connection (tens of
  MB/s), and full reads prefetch, which asks for every block at once.

SFTP has no rename-if-unchanged, so writes go to a temp name and ``posix-rename`` over the
target (atomic on the server), and a folder that several hosts write is refused. A connection
that breaks is rebuilt on the next call, so one network blip does not disable the store.
"""

from __future__ import annotations

import stat as stat_module
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from hermes_sessions_core.errors import HermesSessionsError, StorageError

from .storage import (
    FileInfo,
    RemoteFolder,
    TooLarge,
    Versioned,
    _mtime_of,
    not_regular,
    temp_name,
)

__all__ = ["SftpFolder", "open_sftp_folder"]

_T = TypeVar("_T")
_PREFETCH_FROM = 256 * 1024
_WRITE_BUFFER = 1 << 20


def open_sftp_folder(url: str, options: Mapping[str, Any], *, multi_writer: bool) -> SftpFolder:
    """Connect with fsspec's paramiko client (never sshfs, which ignores range reads)."""
    from fsspec.implementations.sftp import SFTPFileSystem

    connect = {**SFTPFileSystem._get_kwargs_from_urls(url), **options}
    root = SFTPFileSystem._strip_protocol(url).rstrip("/") or "/"
    return SftpFolder(lambda: SFTPFileSystem(skip_instance_cache=True, **connect), root, url,
                      multi_writer=multi_writer)


class SftpFolder(RemoteFolder):
    """Temp file plus posix-rename per write; pipelined writes and prefetched reads."""

    multi_writer_refusal = (
        "SFTP offers no conditional writes (create-if-absent, replace-if-unchanged), so two "
        "hosts could overwrite each other's index rows and tombstones"
    )

    def __init__(
        self, connect: Callable[[], Any], root: str, url: str, *, multi_writer: bool = False
    ) -> None:
        self._connect = connect
        self._connection_lock = threading.Lock()
        self._operation_lock = threading.RLock()
        self._filesystem: Any = None
        self._made_folders: set[str] = set()
        # RemoteFolder reads the protocol; the connection itself waits for the first use.
        super().__init__(_Unconnected(), root, url, multi_writer=multi_writer)
        self.single_put = False

    # ── the connection ───────────────────────────────────────────────────────────────────

    @property
    def filesystem(self) -> Any:
        with self._connection_lock:
            if self._filesystem is None:
                try:
                    self._filesystem = self._connect()
                except Exception as error:
                    raise StorageError(
                        f"cannot open session storage {self.url}: {type(error).__name__}: {error}",
                        path=self.url,
                    ) from error
            return self._filesystem

    @filesystem.setter
    def filesystem(self, value: Any) -> None:
        self._filesystem = None if isinstance(value, _Unconnected) else value

    def _call(self, action: str, name: str, operation: Callable[[Any], _T]) -> _T:
        """Run ``operation(sftp client)``; a broken connection is dropped and rebuilt next time.

        One operation at a time: paramiko's SFTP client hangs when threads share it.
        """
        filesystem = self.filesystem
        try:
            with self._operation_lock:
                return operation(filesystem.ftp)
        except FileNotFoundError:
            raise
        except HermesSessionsError:
            raise
        except (EOFError, OSError) as error:
            if not _is_plain_file_error(error):
                self._drop(filesystem)
            raise self._failure(action, name, error) from error
        except Exception as error:  # paramiko.SSHException and friends
            self._drop(filesystem)
            raise self._failure(action, name, error) from error

    def _drop(self, filesystem: Any) -> None:
        with self._connection_lock:
            if self._filesystem is filesystem:
                self._filesystem = None
                self._made_folders.clear()
        try:
            filesystem.client.close()
        except Exception:
            pass

    # ── operations ───────────────────────────────────────────────────────────────────────

    def _fetch(self, name: str, limit: int) -> bytes:
        return self._read_tagged(name, None, limit)[0]

    def _read_tagged(
        self, name: str, head: int | None, limit: int | None = None
    ) -> tuple[bytes, str]:
        """The bytes (the first ``head`` if given, TooLarge above ``limit`` otherwise) and the
        version tag of the open file, so the tag names exactly what was read.

        The server opens whatever it is asked to, and its open of a FIFO would wait for a
        writer forever (holding this connection): the name's attributes are checked first.
        """
        path = self.path(name)

        def read(sftp: Any) -> tuple[bytes, str]:
            found = sftp.lstat(path)
            if not stat_module.S_ISREG(found.st_mode or 0):
                raise not_regular(path, found.st_mode or 0)
            with sftp.open(path, "rb") as handle:
                stat = handle.stat()
                if head is not None:
                    return bytes(handle.read(head)), _tag(stat)
                size = int(stat.st_size or 0)
                if limit is not None and size > limit:
                    raise TooLarge(path, size, limit, _tag(stat))
                if size >= _PREFETCH_FROM:
                    handle.prefetch(size)
                data = bytes(handle.read(limit + 1 if limit is not None else None))
                if limit is not None and len(data) > limit:
                    raise TooLarge(path, len(data), limit, _tag(stat))
                return data, _tag(stat)

        return self._call("read", name, read)

    def read_head(self, name: str, size: int) -> bytes | None:
        return self.read_head_with_version(name, size).data

    def read_with_version(self, name: str, limit: int | None = None) -> Versioned:
        try:
            return Versioned(*self._read_tagged(name, None, self._limit(limit)))
        except FileNotFoundError:
            return Versioned(None)

    def read_head_with_version(self, name: str, size: int) -> Versioned:
        try:
            return Versioned(*self._read_tagged(name, size))
        except FileNotFoundError:
            return Versioned(None)

    def write(self, name: str, data: bytes) -> None:
        self.check_multi_writer()
        target = self.path(name)
        parent, _, base = target.rpartition("/")
        temp = f"{parent}/{temp_name(base)}"

        def upload(sftp: Any) -> None:
            self._make_folder(parent)
            try:
                with sftp.open(temp, "wb", bufsize=_WRITE_BUFFER) as handle:
                    handle.set_pipelined(True)
                    handle.write(data)
                sftp.posix_rename(temp, target)
            except BaseException:
                try:
                    sftp.remove(temp)
                except Exception:
                    pass
                raise

        try:
            self._call("write", name, upload)
        except FileNotFoundError as error:
            raise self._failure("write", name, error) from error

    def _make_folder(self, folder: str) -> None:
        if folder in self._made_folders:
            return
        self.filesystem.makedirs(folder, exist_ok=True)
        self._made_folders.add(folder)

    def remove(self, name: str) -> bool:
        self.check_multi_writer()
        try:
            self._call("delete", name, lambda sftp: sftp.remove(self.path(name)))
        except FileNotFoundError:
            return False
        return True

    def names(self, subfolder: str = "") -> list[str]:
        folder = self.path(subfolder) if subfolder else self.root
        try:
            return list(self._call("list", subfolder, lambda sftp: sftp.listdir(folder)))
        except FileNotFoundError:
            return []

    def info(self, name: str) -> FileInfo | None:
        try:
            stat = self._call("inspect", name, lambda sftp: sftp.stat(self.path(name)))
        except FileNotFoundError:
            return None
        return FileInfo(name, int(stat.st_size or 0), _mtime_of({"mtime": stat.st_mtime}))

    def version(self, name: str) -> str | None:
        try:
            return _tag(self._call("inspect", name, lambda sftp: sftp.stat(self.path(name))))
        except FileNotFoundError:
            return None


def _tag(stat: Any) -> str:
    """Size and modification time: all SFTP tells of a version (the time in whole seconds on
    most servers, so only one process's threads are told apart reliably, under its lock)."""
    return f"{int(stat.st_size or 0)}:{_mtime_of({'mtime': stat.st_mtime})!r}"


class _Unconnected:
    protocol = ("sftp", "ssh")


def _is_plain_file_error(error: BaseException) -> bool:
    """An SFTP status error (permission, not a folder) leaves the connection usable."""
    plain = (PermissionError, IsADirectoryError, NotADirectoryError, FileExistsError)
    return type(error) in plain or (
        type(error) is OSError and getattr(error, "errno", None) is not None
    )
