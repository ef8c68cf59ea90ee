"""The record of a failure that was isolated instead of raised.

Its own module because the lowest layers report problems too (``locations`` probing a HOME
the OS refuses), and they must not import the session model to do it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Problem"]


@dataclass(frozen=True, slots=True)
class Problem:
    """A fact about a failure that was isolated instead of raised (S0.3, S6.14).

    ``source`` names the plugin (or ``core``), ``hook`` the call, ``path`` the file or
    database involved when there is one, ``distribution`` the installed package that
    provided a third-party plugin.
    """

    source: str
    hook: str
    error_type: str
    message: str
    path: str | None = None
    distribution: str | None = None

    def describe(self) -> str:
        where = f" ({self.path})" if self.path else ""
        dist = f" [{self.distribution}]" if self.distribution else ""
        return f"{self.source}{dist} {self.hook}{where}: {self.error_type}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "hook": self.hook,
            "error_type": self.error_type,
            "message": self.message,
            "path": self.path,
            "distribution": self.distribution,
        }

    @classmethod
    def from_exception(
        cls,
        source: str,
        hook: str,
        error: BaseException,
        *,
        path: str | None = None,
        distribution: str | None = None,
    ) -> Problem:
        return cls(
            source=source,
            hook=hook,
            error_type=type(error).__name__,
            message=str(error) or repr(error),
            path=path,
            distribution=distribution,
        )
