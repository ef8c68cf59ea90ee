"""A file source's root folders, checked the same way by every source: missing ones are
simply absent, a symlinked root is reported and not followed (S4.2), a root the OS refuses to
examine (a HOME under ``ProtectHome``, a NUL byte in a setting) is a problem, never an error.
"""

from __future__ import annotations

import os
import stat
from typing import Iterable

from .problems import Problem

__all__ = ["resolve_root_folders"]


def resolve_root_folders(
    roots: Iterable[str | os.PathLike[str]], problems: list[Problem], *,
    source: str, hook: str, what: str,
) -> list[str]:
    """Existing, non-symlinked root folders, resolved, each once, in order; ``what`` names a
    root in problems ("projects root")."""
    seen: list[str] = []
    for root in roots:
        path = os.path.expanduser(os.fspath(root))
        try:
            mode = os.lstat(path).st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue  # the agent is not installed, or never ran: nothing to report
        except OSError as error:
            reason = error.strerror or str(error) or type(error).__name__
            problems.append(Problem(source, hook, type(error).__name__,
                                    f"{what} cannot be examined skipped: {reason}", path))
            continue
        except ValueError as error:
            problems.append(Problem(source, hook, "ValueError", f"{what} skipped: {error}", path))
            continue
        if stat.S_ISLNK(mode):
            problems.append(Problem(source, hook, "SymlinkSkipped",
                                    f"{what} is a symlink; not followed", path))
            continue
        if stat.S_ISDIR(mode):
            resolved = os.path.realpath(path)
            if resolved not in seen:
                seen.append(resolved)
    return seen
