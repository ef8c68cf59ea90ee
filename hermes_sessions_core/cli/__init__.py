"""``hermes-sessions``: the command line. One module per group of commands."""

from __future__ import annotations

from . import maintenance, sessions  # noqa: F401  (register their commands)
from . import search  # noqa: F401  (registers search, reindex)
from . import projects  # noqa: F401  (registers projects)
from .app import app

__all__ = ["app", "main"]


def main() -> None:
    app()
