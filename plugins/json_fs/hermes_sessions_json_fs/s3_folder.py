"""A session folder in an S3-compatible bucket (AWS, MinIO, SeaweedFS) through s3fs.

Each write is one PUT, which a server makes visible whole or not at all (S2.3). Shared objects
change with conditional requests: create-if-absent (``If-None-Match: *``), replace and delete
if the ETag still matches (``If-Match``). Whether the server honours them is probed once, at
the first write, because some S3 look-alikes accept the headers and ignore them; a folder that
several hosts write (``multi_writer``) is refused on such a server.

The bucket and credentials are checked at the first use, so a wrong bucket or key fails with
an error naming the URL, not deep inside a save.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from typing import Any

from fsspec.asyn import sync

from hermes_sessions_core.errors import HermesSessionsError, StorageError

from .storage import RemoteFolder, TooLarge, VersionChanged, Versioned

__all__ = ["ConditionalWriteSupport", "S3Folder"]

logger = logging.getLogger(__name__)

_CONFLICT_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409"})
_MISSING_BUCKET_CODES = frozenset({"NoSuchBucket", "404"})
_DENIED_CODES = frozenset({
    "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403", "InvalidToken",
    "ExpiredToken",
})


class ConditionalWriteSupport:
    """What the probe found: each condition the server honours, and a sentence for errors."""

    def __init__(
        self, create_if_absent: bool, replace_if_match: bool, delete_if_match: bool
    ) -> None:
        self.create_if_absent = create_if_absent
        self.replace_if_match = replace_if_match
        self.delete_if_match = delete_if_match

    @property
    def complete(self) -> bool:
        return self.create_if_absent and self.replace_if_match and self.delete_if_match

    def describe(self) -> str:
        ignored = [
            label for label, honoured in (
                ("a second create with If-None-Match: * succeeded", self.create_if_absent),
                ("a replace with a stale If-Match ETag succeeded", self.replace_if_match),
                ("a delete with a stale If-Match ETag succeeded", self.delete_if_match),
            ) if not honoured
        ]
        if not ignored:
            return "the server honours If-None-Match and If-Match on PUT and DELETE"
        return "the server ignores conditional writes (" + "; ".join(ignored) + ")"


def _error_code(error: BaseException) -> str:
    """The S3 error code behind an s3fs/botocore exception, or ``""``."""
    for candidate in (error, error.__cause__, error.__context__):
        response = getattr(candidate, "response", None)
        if isinstance(response, dict):
            code = str(response.get("Error", {}).get("Code") or "")
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            return code or str(status or "")
    return ""


def _is_conflict(error: BaseException) -> bool:
    return _error_code(error) in _CONFLICT_CODES


async def _get_object(
    filesystem: Any, bucket: str, key: str, size: int | None = None, limit: int | None = None
) -> tuple[bytes, str | None]:
    """The object's bytes (the first ``size`` if given) and its ETag, in one GET.

    With ``limit``, an object larger than that is refused from the response's length, before
    its body is read (:class:`TooLarge`).
    """
    ranged = {"Range": f"bytes=0-{size - 1}"} if size else {}
    try:
        response = await filesystem._call_s3("get_object", Bucket=bucket, Key=key, **ranged)
    except Exception as error:
        if ranged and _error_code(error) in {"InvalidRange", "416"}:
            return await _get_object(filesystem, bucket, key)  # an empty object has no range
        raise
    body = response["Body"]
    try:
        length = response.get("ContentLength")
        if not ranged and limit is not None and isinstance(length, int) and length > limit:
            raise TooLarge(f"{bucket}/{key}", length, limit, response.get("ETag"))
        data = await body.read()
    finally:
        body.close()
    if not ranged and limit is not None and len(data) > limit:
        raise TooLarge(f"{bucket}/{key}", len(data), limit, response.get("ETag"))
    return bytes(data), response.get("ETag")


class S3Folder(RemoteFolder):
    """A prefix in one bucket: single-PUT writes, ETag-conditional updates, checked at first use."""

    exact_versions = True

    def __init__(self, filesystem: Any, root: str, url: str, *, multi_writer: bool = False) -> None:
        super().__init__(filesystem, root, url, multi_writer=multi_writer)
        self.single_put = True
        self.bucket = root.split("/", 1)[0]
        self._checked = False
        self._support: ConditionalWriteSupport | None = None
        self._first_use_lock = threading.Lock()

    # ── first use ────────────────────────────────────────────────────────────────────────

    def _key(self, name: str) -> str:
        return self.path(name).split("/", 1)[1] if "/" in self.path(name) else ""

    def _check_open(self) -> None:
        """Reach the bucket once: a missing bucket or a refused key is named here (S9.9)."""
        if self._checked:
            return
        with self._first_use_lock:
            if self._checked:
                return
            try:
                self.filesystem.call_s3("head_bucket", Bucket=self.bucket)
            except Exception as error:
                raise self._open_failure(error) from error
            self._checked = True

    def _open_failure(self, error: BaseException) -> StorageError:
        code = _error_code(error)
        endpoint = getattr(self.filesystem, "client_kwargs", {}).get("endpoint_url") or getattr(
            self.filesystem, "endpoint_url", None
        )
        where = f" at {endpoint}" if endpoint else ""
        if code in _MISSING_BUCKET_CODES or isinstance(error, FileNotFoundError):
            cause = f"bucket {self.bucket!r} does not exist{where}; create it or fix the URL"
        elif code in _DENIED_CODES or isinstance(error, PermissionError):
            cause = (
                f"access to bucket {self.bucket!r}{where} was refused ({code or error}); "
                "check the key and secret in storage_options"
            )
        else:
            cause = f"the server{where} could not be reached: {type(error).__name__}: {error}"
        return StorageError(f"cannot open session storage {self.url}: {cause}", path=self.url)

    def conditional_support(self) -> ConditionalWriteSupport:
        """Probe the server once: write an object twice with If-None-Match, then stale If-Match.

        The probe object's name holds ``.tmp.`` so a crash mid-probe leaves only a file the
        stale-temp sweep removes (S2.5).
        """
        if self._support is not None:
            return self._support
        self._check_open()
        with self._first_use_lock:
            if self._support is None:
                self._support = self._probe()
                logger.info("conditional writes on %s: %s", self.url, self._support.describe())
        return self._support

    def _probe(self) -> ConditionalWriteSupport:
        key = self._key(f"_probe.tmp.{os.getpid()}.{uuid.uuid4().hex}")
        stale = '"00000000000000000000000000000000"'
        try:
            self._put(key, b"1", {"IfNoneMatch": "*"})
            create_refused = self._refused(lambda: self._put(key, b"2", {"IfNoneMatch": "*"}))
            replace_refused = self._refused(lambda: self._put(key, b"3", {"IfMatch": stale}))
            delete_refused = self._refused(
                lambda: self.filesystem.call_s3(
                    "delete_object", Bucket=self.bucket, Key=key, IfMatch=stale
                )
            )
        except HermesSessionsError:
            raise
        except Exception as error:
            raise self._failure("probe conditional writes in", "", error) from error
        finally:
            try:
                self.filesystem.call_s3("delete_object", Bucket=self.bucket, Key=key)
            except Exception:
                pass
        return ConditionalWriteSupport(create_refused, replace_refused, delete_refused)

    @staticmethod
    def _refused(request: Any) -> bool:
        try:
            request()
        except Exception as error:
            if _is_conflict(error):
                return True
            raise
        return False

    def _put(self, key: str, data: bytes, conditions: dict[str, str]) -> str | None:
        response = self.filesystem.call_s3(
            "put_object", Bucket=self.bucket, Key=key, Body=data, **conditions
        )
        self.filesystem.invalidate_cache(f"{self.bucket}/{key}")
        return response.get("ETag") if isinstance(response, dict) else None

    def check_multi_writer(self) -> None:
        if not self.multi_writer:
            return
        support = self.conditional_support()
        if not support.complete:
            raise StorageError(
                f"multi-writer mode refused for {self.url}: {support.describe()}, so two hosts "
                "could overwrite each other's index rows and tombstones. Use a server that "
                "honours conditional writes (AWS S3, SeaweedFS, recent MinIO) or turn "
                "multi_writer off and write from one host only.",
                path=self.url,
            )

    @property
    def safe_for_many_hosts(self) -> bool:  # type: ignore[override]
        return self.conditional_support().complete

    # ── plain operations, checked at first use ───────────────────────────────────────────

    def _fetch(self, name: str, limit: int) -> bytes:
        data = self.read_versioned(name, limit).data
        if data is None:
            raise FileNotFoundError(self.path(name))
        return data

    def read_head(self, name: str, size: int) -> bytes | None:
        self._check_open()
        return super().read_head(name, size)

    def write(self, name: str, data: bytes) -> None:
        """One PUT."""
        self._check_open()
        self.check_multi_writer()
        try:
            self._put(self._key(name), data, {})
        except HermesSessionsError:
            raise
        except Exception as error:
            raise self._failure("write", name, error) from error

    def version(self, name: str) -> str | None:
        """The ETag, from one HEAD; ``None`` if absent."""
        self._check_open()
        try:
            response = self.filesystem.call_s3(
                "head_object", Bucket=self.bucket, Key=self._key(name)
            )
        except Exception as error:
            if isinstance(error, FileNotFoundError) or _error_code(error) in {"NoSuchKey", "404"}:
                return None
            raise self._failure("inspect", name, error) from error
        return response.get("ETag") if isinstance(response, dict) else None

    def remove(self, name: str) -> bool:
        self._check_open()
        self.check_multi_writer()
        if self.info(name) is None:
            return False  # S3 deletes of absent keys succeed silently; callers want to know
        try:
            self.filesystem.call_s3("delete_object", Bucket=self.bucket, Key=self._key(name))
        except HermesSessionsError:
            raise
        except Exception as error:
            raise self._failure("delete", name, error) from error
        self.filesystem.invalidate_cache(self.path(name))
        return True

    def names(self, subfolder: str = "") -> list[str]:
        self._check_open()
        return super().names(subfolder)

    def info(self, name: str) -> Any:
        self._check_open()
        self.filesystem.invalidate_cache(self.path(name))
        return super().info(name)

    # ── conditional operations ───────────────────────────────────────────────────────────

    def read_versioned(self, name: str, limit: int | None = None) -> Versioned:
        """One GET returns the bytes and the ETag that a later If-Match compares against."""
        return self._get_versioned(name, None, self._limit(limit))

    def read_with_version(self, name: str, limit: int | None = None) -> Versioned:
        return self._get_versioned(name, None, self._limit(limit))

    def read_head_with_version(self, name: str, size: int) -> Versioned:
        """One ranged GET: the first ``size`` bytes and the whole object's ETag."""
        return self._get_versioned(name, size)

    def _get_versioned(self, name: str, size: int | None, limit: int | None = None) -> Versioned:
        self._check_open()
        try:
            data, tag = sync(self.filesystem.loop, _get_object, self.filesystem, self.bucket,
                             self._key(name), size, limit)
        except FileNotFoundError:
            return Versioned(None)
        except HermesSessionsError:
            raise
        except Exception as error:
            if _error_code(error) in {"NoSuchKey", "404"}:
                return Versioned(None)
            raise self._failure("read", name, error) from error
        return Versioned(data, tag)

    def write_if_unchanged(self, name: str, data: bytes, base: Versioned) -> bool:
        self._check_open()
        self.check_multi_writer()
        if not self.conditional_support().complete:
            return super().write_if_unchanged(name, data, base)  # the update lock is all we have
        if base.data is None:
            conditions = {"IfNoneMatch": "*"}
        elif base.tag:
            conditions = {"IfMatch": base.tag}
        else:
            conditions = {}
        try:
            self._put(self._key(name), data, conditions)
        except HermesSessionsError:
            raise
        except Exception as error:
            if _is_conflict(error):
                return False
            raise self._failure("write", name, error) from error
        return True

    def write_versioned(self, name: str, data: bytes, base: Versioned) -> str | None:
        """One PUT with ``If-Match`` on ``base``'s ETag (``If-None-Match: *`` when ``base``
        is absent); :class:`VersionChanged` when the server refuses it. A server without
        conditional writes gets a plain PUT: its folder is refused for several hosts, and the
        caller's lock covers the threads of this process."""
        self._check_open()
        self.check_multi_writer()
        conditions: dict[str, str] = {}
        if self.conditional_support().complete:
            if base.data is None:
                conditions = {"IfNoneMatch": "*"}
            elif base.tag:
                conditions = {"IfMatch": base.tag}
        try:
            return self._put(self._key(name), data, conditions)
        except HermesSessionsError:
            raise
        except Exception as error:
            if conditions and (_is_conflict(error) or _error_code(error) in {"NoSuchKey", "404"}):
                raise VersionChanged(name) from None
            raise self._failure("write", name, error) from error

    def remove_if_unchanged(self, name: str, base: Versioned) -> bool:
        self._check_open()
        self.check_multi_writer()
        if not base.tag or not self.conditional_support().complete:
            return super().remove_if_unchanged(name, base)
        try:
            self.filesystem.call_s3(
                "delete_object", Bucket=self.bucket, Key=self._key(name), IfMatch=base.tag
            )
        except HermesSessionsError:
            raise
        except Exception as error:
            if _is_conflict(error) or _error_code(error) in {"NoSuchKey", "404"}:
                return False
            raise self._failure("delete", name, error) from error
        self.filesystem.invalidate_cache(self.path(name))
        return True
