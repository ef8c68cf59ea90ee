"""``hermes-sessions``: the command line. One module per group of commands."""

from __future__ import annotations

from . import sessions  # noqa: F401  (registers list, show, plugins)
from .app import app

__all__ = ["app", "main"]


def main() -> None:
    app()
