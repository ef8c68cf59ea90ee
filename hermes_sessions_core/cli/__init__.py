"""``hermes-sessions``: the command line. One module per group of commands."""

from __future__ import annotations

# Each module registers its commands on the app.
from . import export, maintenance, plugins, projects, search, sessions, usage  # noqa: F401
from .app import app, run_standalone

__all__ = ["app", "main"]


def main() -> None:
    run_standalone()
