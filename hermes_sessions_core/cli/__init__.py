"""``hermes-sessions``: the command line. One module per group of commands."""

from __future__ import annotations

# Each module registers its commands on the app.
from . import maintenance, projects, search, sessions  # noqa: F401
from .app import app

__all__ = ["app", "main"]


def main() -> None:
    app(prog_name="hermes-sessions")  # also under ``python -m hermes_sessions_core``
