"""A local mirror of a root on another machine, so a source reads it as a local folder.

Why a mirror and not reads through fsspec: every file-based source already has bounded
readers, stat caches and hostile-input rules for local files, and a remote round trip costs
milliseconds where a local read costs microseconds. A sync costs one remote listing (one
``find``: one request per 1,000 keys on S3, one per folder on SFTP) plus one request per new
or changed file; an unchanged root costs the listing alone. A file that grew by appending
(the JSONL transcripts) fetches only its new bytes, after checking the bytes before them
are unchanged in the same request.

Only files matching the source's patterns are copied, at most ``max_files`` of the most
recently modified, each at most ``core.remote_max_file_bytes``. Copies keep the remote
modification time, so the source's (mtime, size) caches and recency order hold. When the
machine cannot be reached the last copy stands, a problem says the rows may be stale, and
the machine is not asked again for :data:`RETRY_AFTER` seconds (a sleeping laptop must not
cost every listing a timeout).
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import orjson

from .machines import SourceRoot, default_mirror_home
from .problems import Problem

if TYPE_CHECKING:
    from .hookspecs import SourceContext

__all__ = ["RemoteMirror", "mirror_for", "MANIFEST_NAME", "RETRY_AFTER"]

MANIFEST_NAME = ".hermes-mirror.json"
_LOCK_NAME = ".hermes-mirror.lock"
#: How many bytes before the old end a grown file is checked against (append detection).
_OVERLAP = 4096
DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024
#: Seconds a machine that could not be listed is left alone (its last copy is shown).
RETRY_AFTER = 60.0
_HOOK = "hermes_sessions_list_rows"


@dataclass(frozen=True)
class RemoteFile:
    """One remote file as the listing saw it."""

    relative: str
    size: int
    mtime_ns: int


@dataclass
class SyncReport:
    """What the last sync did: requests made, files copied whole or in part, removed."""

    requests: int = 0
    copied: int = 0
    appended: int = 0
    removed: int = 0
    bytes_fetched: int = 0
    problems: list[Problem] = field(default_factory=list)


def _mtime_ns(info: Mapping[str, Any]) -> int | None:
    for key in ("mtime", "LastModified", "last_modified", "modified", "created"):
        value = info.get(key)
        if isinstance(value, datetime):
            return int(value.timestamp() * 1_000_000_000)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            return int(value * 1_000_000_000)
    return None


def _safe_relative(name: str, base: str) -> str | None:
    """``name`` relative to ``base`` if it is a plain path inside it (no ``..``, no NUL)."""
    base = base.rstrip("/")
    if base and not name.startswith(base + "/"):
        return None
    relative = name[len(base) + 1:] if base else name.lstrip("/")
    # Split by hand: PurePosixPath would drop "." and turn "//x" into an absolute path.
    parts = relative.split("/")
    if "\0" in relative or any(part in ("", ".", "..") for part in parts):
        return None
    if parts[0] in (MANIFEST_NAME, _LOCK_NAME):
        return None
    return "/".join(parts)


def _matches(relative: str, patterns: Sequence[str]) -> bool:
    # fnmatch's * crosses '/', so "*.jsonl" matches at any depth, "a/*.json" below a/.
    return any(fnmatch.fnmatchcase(relative, pattern) for pattern in patterns)


class RemoteMirror:
    """The local copy of one remote root (see the module docstring)."""

    def __init__(self, source: str, root: SourceRoot, folder: Path, max_file_bytes: int) -> None:
        self.source = source
        self.root = root
        self.folder = folder
        self.max_file_bytes = max_file_bytes
        self.last_sync = SyncReport()
        self._lock = threading.Lock()
        #: Until when (monotonic) a machine that could not be reached is not asked again.
        self._quiet_until = 0.0
        self._last_failure: Problem | None = None

    def _problem(self, kind: str, message: str, path: str | None = None) -> Problem:
        return Problem(self.source, _HOOK, kind, message, path or self.root.shown)

    def _filesystem(self) -> tuple[Any, str]:
        import fsspec

        options = dict(self.root.options)
        if self.root.url.startswith(("sftp://", "ssh://")):
            options.setdefault("timeout", 15)  # a sleeping laptop must not hang the sidebar
        filesystem, path = fsspec.core.url_to_fs(self.root.url, **options)
        return filesystem, str(path)

    def _manifest(self) -> dict[str, tuple[int, int]]:
        try:
            raw = orjson.loads((self.folder / MANIFEST_NAME).read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return {}
        if not isinstance(raw, dict):
            return {}
        kept: dict[str, tuple[int, int]] = {}
        for name, value in raw.items():
            if (
                isinstance(name, str) and isinstance(value, list) and len(value) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            ):
                kept[name] = (value[0], value[1])
        return kept

    def _write_manifest(self, manifest: Mapping[str, tuple[int, int]]) -> None:
        target = self.folder / MANIFEST_NAME
        temporary = target.with_name(target.name + ".tmp")
        temporary.write_bytes(orjson.dumps({k: list(v) for k, v in sorted(manifest.items())}))
        os.replace(temporary, target)

    def sync(self, *, patterns: Sequence[str], max_files: int) -> list[Problem]:
        """Bring the mirror up to date; returns problems (never raises for remote trouble)."""
        from filelock import FileLock, Timeout

        with self._lock:
            report = SyncReport()
            self.last_sync = report
            if time.monotonic() < self._quiet_until and self._last_failure is not None:
                # A sleeping laptop costs one timeout per RETRY_AFTER, not one per listing.
                report.problems.append(self._last_failure)
                return report.problems
            try:
                self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as error:
                report.problems.append(self._problem(
                    type(error).__name__, f"mirror folder cannot be made: {error}",
                    str(self.folder)))
                return report.problems
            try:
                with FileLock(str(self.folder / _LOCK_NAME), timeout=60):
                    self._sync_locked(report, patterns, max(0, max_files))
            except Timeout:
                report.problems.append(self._problem(
                    "MirrorBusy", "another process is refreshing this mirror; listed as it was"))
            return report.problems

    def _sync_locked(self, report: SyncReport, patterns: Sequence[str], max_files: int) -> None:
        try:
            report.requests += 1  # the listing (an SFTP root connects first, in the same try)
            filesystem, base = self._filesystem()
            found = filesystem.find(base, detail=True, withdirs=False)
        except ImportError as error:
            report.problems.append(self._problem(
                "MissingDependency",
                f"{error}; install hermes-sessions[s3] or hermes-sessions[sftp] for this root"))
            return
        except Exception as error:  # offline, refused, bad credentials: the copy stands
            self._last_failure = self._problem(
                "RemoteUnreachable",
                f"cannot list {self.root.shown} ({type(error).__name__}: {error}); showing "
                f"the copy from the last successful refresh, asking again in "
                f"{RETRY_AFTER:.0f} s")
            self._quiet_until = time.monotonic() + RETRY_AFTER
            report.problems.append(self._last_failure)
            return
        self._quiet_until, self._last_failure = 0.0, None
        files = self._candidates(found, base, patterns, report)
        files.sort(key=lambda item: (-item.mtime_ns, item.relative))
        chosen = {item.relative: item for item in files[:max_files]}
        manifest = self._manifest()
        for relative in set(manifest) - set(chosen):
            manifest.pop(relative, None)
            local = self.folder / relative
            try:
                local.unlink()
                report.removed += 1
            except FileNotFoundError:
                pass
            except OSError as error:
                report.problems.append(self._problem(
                    type(error).__name__, f"stale mirror copy not removed: {error}", str(local)))
        for item in chosen.values():
            if manifest.get(item.relative) == (item.size, item.mtime_ns):
                continue
            remote_path = f"{base.rstrip('/')}/{item.relative}" if base else item.relative
            try:
                self._fetch(filesystem, remote_path, item, manifest.get(item.relative), report)
            except Exception as error:  # one file failing must not stop the rest
                manifest.pop(item.relative, None)
                report.problems.append(self._problem(
                    type(error).__name__, f"not copied from {self.root.shown}: {error}",
                    item.relative))
                continue
            manifest[item.relative] = (item.size, item.mtime_ns)
        self._write_manifest(manifest)

    def _candidates(
        self, found: Mapping[str, Mapping[str, Any]], base: str, patterns: Sequence[str],
        report: SyncReport,
    ) -> list[RemoteFile]:
        files: list[RemoteFile] = []
        for name, info in found.items():
            if info.get("type") not in (None, "file"):
                continue  # links and devices are never followed, as on local roots
            relative = _safe_relative(str(name), base)
            if relative is None or not _matches(relative, patterns):
                continue
            size, mtime_ns = info.get("size"), _mtime_ns(info)
            if not isinstance(size, int) or size < 0 or mtime_ns is None:
                continue
            if size > self.max_file_bytes:
                report.problems.append(self._problem(
                    "FileTooLarge", f"{size} bytes, above core.remote_max_file_bytes "
                    f"({self.max_file_bytes}); not copied", relative))
                continue
            files.append(RemoteFile(relative, size, mtime_ns))
        return files

    def _fetch(
        self, filesystem: Any, remote_path: str, item: RemoteFile,
        known: tuple[int, int] | None, report: SyncReport,
    ) -> None:
        local = self.folder / item.relative
        local.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        old_size = known[0] if known is not None else -1
        if 0 < old_size < item.size and local.is_file() and local.stat().st_size == old_size:
            start = max(0, old_size - _OVERLAP)
            report.requests += 1
            data = filesystem.cat_file(remote_path, start=start, end=item.size)
            report.bytes_fetched += len(data)
            with open(local, "rb") as handle:
                handle.seek(start)
                before = handle.read(old_size - start)
            if data[: len(before)] == before and len(data) == item.size - start:
                with open(local, "ab") as handle:
                    handle.write(data[len(before):])
                os.utime(local, ns=(item.mtime_ns, item.mtime_ns))
                report.appended += 1
                return
        report.requests += 1
        temporary = local.with_name(f".{local.name}.part")
        # get_file, not cat_file: on SFTP it pipelines the reads (paramiko's prefetch), where
        # cat_file waits for each 32 KiB block in turn (26 s against 2 s for 200 files).
        try:
            filesystem.get_file(remote_path, str(temporary))
            report.bytes_fetched += temporary.stat().st_size
            os.utime(temporary, ns=(item.mtime_ns, item.mtime_ns))
            os.replace(temporary, local)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        report.copied += 1


_MIRRORS: dict[tuple[str, str, str], RemoteMirror] = {}
_MIRRORS_LOCK = threading.Lock()


def mirror_for(context: SourceContext, source: str, root: SourceRoot) -> RemoteMirror:
    """The process's mirror of ``root`` for ``source`` (one per cache folder and URL)."""
    configured = context.setting("core", "remote_cache_dir", None)
    home = (
        Path(os.path.expanduser(os.fspath(configured))) if configured
        else default_mirror_home(context.locations.env)
    )
    digest = hashlib.sha256(root.url.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    folder = home / source / (root.machine or "local") / digest
    limit = context.setting("core", "remote_max_file_bytes", DEFAULT_MAX_FILE_BYTES)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
        limit = DEFAULT_MAX_FILE_BYTES
    key = (str(folder), source, root.url)
    with _MIRRORS_LOCK:
        mirror = _MIRRORS.get(key)
        if mirror is None:
            mirror = _MIRRORS[key] = RemoteMirror(source, root, folder, limit)
        mirror.root = root  # fresh options (credentials) win
        mirror.max_file_bytes = limit
        return mirror
