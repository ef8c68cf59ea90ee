"""One folder of small objects on any fsspec filesystem, written atomically.

Local disks get the classic recipe: a temp file in the same folder, fsync, ``os.replace``, fsync
of the folder. Object stores (s3, gcs, azure, memory) have no rename, but a single upload is
atomic there: the object appears whole or not at all (S2.3). Other remote filesystems (sftp)
upload to a temp name and rename. Reads refuse symlinks and non-regular files so a session id
can never read outside the store.
"""

from __future__ import annotations

import abc
import errno
import os
import stat
import threading
import time
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

import fsspec
from fsspec.implementations.local import LocalFileSystem

from hermes_sessions_core.errors import MissingDependencyError, StorageError

__all__ = ["Folder", "FileInfo", "open_folder", "temp_name"]

_SINGLE_PUT_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "memory"})
_EXTRA_FOR_PROTOCOL = {"s3": ("s3", "s3fs"), "s3a": ("s3", "s3fs"), "sftp": ("sftp", "paramiko"),
                       "ssh": ("sftp", "paramiko")}
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)


@dataclass(frozen=True, slots=True)
class FileInfo:
    name: str
    size: int
    mtime: float


def temp_name(target: str) -> str:
    """``<stem>.tmp.<pid>.<thread id>``: never ends in ``.json`` and never shared (S2.4)."""
    stem = target[: -len(".json")] if target.endswith(".json") else target
    return f"{stem}.tmp.{os.getpid()}.{threading.get_ident()}"


def open_folder(url: str, storage_options: Mapping[str, Any] | None = None) -> Folder:
    """Open the folder at ``url`` (a local path or any fsspec URL). Creates nothing."""
    options = dict(storage_options or {})
    protocol = url.split("://", 1)[0] if "://" in url else "file"
    try:
        filesystem, path = fsspec.core.url_to_fs(url, **options)
    except ImportError as error:
        extra, module = _EXTRA_FOR_PROTOCOL.get(protocol, (protocol, protocol))
        raise MissingDependencyError(f"storage at {url!r}", extra, module) from error
    except ValueError as error:
        raise StorageError(f"cannot open session storage {url!r}: {error}", path=url) from error
    if isinstance(filesystem, LocalFileSystem):
        return LocalFolder(filesystem, os.path.abspath(path), url)
    return RemoteFolder(filesystem, path.rstrip("/"), url)


class Folder(abc.ABC):
    """The operations the store needs, on names relative to one folder."""

    filesystem: Any
    root: str
    url: str
    is_local = False

    def __init__(self, filesystem: Any, root: str, url: str) -> None:
        self.filesystem = filesystem
        self.root = root
        self.url = url

    def path(self, name: str) -> str:
        return f"{self.root}/{name}"

    @abc.abstractmethod
    def read(self, name: str) -> bytes | None:
        """The whole object, or ``None`` if absent."""

    @abc.abstractmethod
    def read_head(self, name: str, size: int) -> bytes | None:
        """At most ``size`` leading bytes (a range read), or ``None`` if absent."""

    @abc.abstractmethod
    def write(self, name: str, data: bytes) -> object | None:
        """Replace the object atomically; raise StorageError and leave the old one on failure.

        Returns the new object's :meth:`identity` when the backend can tell one, else ``None``.
        """

    def identity(self, name: str) -> object | None:
        """A token that changes whenever the object is replaced; ``None`` if unknown."""
        return None

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

    def path(self, name: str) -> str:
        return os.path.join(self.root, name)

    def _open_regular(self, name: str) -> int | None:
        try:
            fd = os.open(self.path(name), os.O_RDONLY | _NO_FOLLOW | _BINARY)
        except FileNotFoundError:
            return None
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise StorageError(
                    f"{self.path(name)} is a symlink; session files must be regular files",
                    path=self.path(name),
                ) from None
            if error.errno == errno.EISDIR:
                raise StorageError(f"{self.path(name)} is a directory", path=self.path(name)) from None
            raise StorageError(f"cannot read {self.path(name)}: {error}", path=self.path(name)) from error
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise StorageError(f"{self.path(name)} is not a regular file", path=self.path(name))
        return fd

    def read(self, name: str) -> bytes | None:
        fd = self._open_regular(name)
        if fd is None:
            return None
        try:
            chunks = []
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    def read_head(self, name: str, size: int) -> bytes | None:
        fd = self._open_regular(name)
        if fd is None:
            return None
        try:
            return os.read(fd, size)
        finally:
            os.close(fd)

    def write(self, name: str, data: bytes) -> object | None:
        target = self.path(name)
        folder = os.path.dirname(target)
        temp = os.path.join(folder, temp_name(os.path.basename(name)))
        try:
            os.makedirs(folder, exist_ok=True)
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _BINARY, 0o644)
            try:
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
                token = _identity(os.fstat(fd))
            finally:
                os.close(fd)
            os.replace(temp, target)
        except OSError as error:
            try:
                os.unlink(temp)
            except OSError:
                pass
            raise StorageError(f"could not write {target}: {error}", path=target) from error
        _fsync_directory(folder)
        return token

    def identity(self, name: str) -> object | None:
        try:
            return _identity(os.lstat(self.path(name)))
        except OSError:
            return None

    def remove(self, name: str) -> bool:
        try:
            os.unlink(self.path(name))
        except FileNotFoundError:
            return False
        except IsADirectoryError:
            raise StorageError(f"{self.path(name)} is a directory", path=self.path(name)) from None
        return True

    def names(self, subfolder: str = "") -> list[str]:
        try:
            with os.scandir(self.path(subfolder) if subfolder else self.root) as entries:
                return [entry.name for entry in entries]
        except FileNotFoundError:
            return []
        except NotADirectoryError:
            return []

    def info(self, name: str) -> FileInfo | None:
        try:
            result = os.lstat(self.path(name))
        except FileNotFoundError:
            return None
        return FileInfo(name, result.st_size, result.st_mtime)

    def entries(self) -> Iterator[os.DirEntry[str]]:
        try:
            with os.scandir(self.root) as entries:
                yield from entries
        except FileNotFoundError:
            return


class RemoteFolder(Folder):
    """Any other fsspec filesystem: object stores get one atomic upload per write."""

    def __init__(self, filesystem: Any, root: str, url: str) -> None:
        super().__init__(filesystem, root, url)
        protocols = filesystem.protocol if isinstance(filesystem.protocol, tuple) else (filesystem.protocol,)
        self.single_put = bool(_SINGLE_PUT_PROTOCOLS.intersection(protocols))

    def read(self, name: str) -> bytes | None:
        try:
            return bytes(self.filesystem.cat_file(self.path(name)))
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise StorageError(f"{self.path(name)} is a directory", path=self.path(name)) from None
        except OSError as error:
            raise StorageError(f"cannot read {self.url}/{name}: {error}", path=self.path(name)) from error

    def read_head(self, name: str, size: int) -> bytes | None:
        try:
            return bytes(self.filesystem.cat_file(self.path(name), start=0, end=size))
        except FileNotFoundError:
            return None
        except OSError as error:
            raise StorageError(f"cannot read {self.url}/{name}: {error}", path=self.path(name)) from error

    def write(self, name: str, data: bytes) -> object | None:
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
        except OSError as error:
            raise StorageError(f"could not write {self.url}/{name}: {error}", path=target) from error

    def remove(self, name: str) -> bool:
        try:
            self.filesystem.rm_file(self.path(name))
        except FileNotFoundError:
            return False
        self.filesystem.invalidate_cache(self.root)
        return True

    def names(self, subfolder: str = "") -> list[str]:
        folder = self.path(subfolder) if subfolder else self.root
        try:
            self.filesystem.invalidate_cache(folder)
            listed = self.filesystem.ls(folder, detail=False)
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [str(item).rstrip("/").rsplit("/", 1)[-1] for item in listed]

    def info(self, name: str) -> FileInfo | None:
        try:
            details = self.filesystem.info(self.path(name))
        except FileNotFoundError:
            return None
        mtime = details.get("mtime") or details.get("LastModified") or details.get("created") or 0
        if hasattr(mtime, "timestamp"):
            mtime = mtime.timestamp()
        try:
            mtime_value = float(mtime)
        except (TypeError, ValueError):
            mtime_value = time.time()
        return FileInfo(name, int(details.get("size") or 0), mtime_value)


def _identity(result: os.stat_result) -> tuple[int, int, int, int]:
    """Rename keeps the temp file's inode, so this names one written version of a file."""
    return (result.st_dev, result.st_ino, result.st_size, result.st_mtime_ns)


def _fsync_directory(folder: str) -> None:
    """Make the rename itself durable; some platforms cannot open folders, which is fine."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
