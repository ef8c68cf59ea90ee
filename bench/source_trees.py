"""Source trees a benchmark runs side by side: this checkout, or a git revision of it checked
out in a temporary worktree (the named reference a ratio is measured against)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hermes_sessions_core.builtin_plugins import BUILTIN_PLUGINS

REPO = Path(__file__).resolve().parent.parent
#: The import roots of the one distribution: the core and each built-in plugin (a folder
#: an older revision lacks is harmless on the path).
PACKAGES = ("", *(f"plugins/{name}" for name, _module in BUILTIN_PLUGINS))


@dataclass(frozen=True)
class Tree:
    label: str
    root: Path

    @property
    def pythonpath(self) -> str:
        """A ``PYTHONPATH`` that imports the library from this tree."""
        return os.pathsep.join(str(self.root / package) for package in PACKAGES)


@contextlib.contextmanager
def worktree(revision: str, parent: Path) -> Iterator[Tree | None]:
    """A detached git worktree of ``revision`` under ``parent``, removed afterwards; ``None``,
    with the reason printed, when git cannot provide it."""
    folder = parent / "reference"
    made = subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(folder),
                           revision], capture_output=True, text=True)
    if made.returncode != 0:
        print(f"{revision}: unavailable ({made.stderr.strip() or 'git failed'})")
        yield None
        return
    commit = subprocess.run(["git", "-C", str(folder), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    try:
        yield Tree(f"{revision} ({commit})", folder)
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(folder)],
                       capture_output=True)
