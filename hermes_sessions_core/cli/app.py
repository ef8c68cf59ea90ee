"""The ``hermes-sessions`` Typer app, its shared options and output helpers.

Each group of commands lives in its own module of this package and registers on :data:`app`.
Errors go to stderr with a non-zero exit code: 1 for "not found" or a failed operation,
2 for bad arguments.
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.markup import escape

from ..locations import Locations
from ..times import to_epoch

__all__ = [
    "app", "out", "err", "fail", "when", "print_json", "open_store", "safe", "COMMAND_SETTINGS",
]

app = typer.Typer(
    name="hermes-sessions",
    help="Browse Hermes sessions from every source: Web UI, agent state.db, Claude Code, plugins.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

HomeOption = typer.Option(None, "--home", help="Hermes home (default: $HERMES_HOME or ~/.hermes).")
StateDirOption = typer.Option(
    None, "--state-dir", help="Web UI state dir (default: $HERMES_WEBUI_STATE_DIR or <home>/webui)."
)
SessionsUrlOption = typer.Option(
    None, "--sessions-url", help="Any fsspec URL for Web UI sessions (memory://, s3://bucket/path)."
)
ClaudeDirOption = typer.Option(None, "--claude-dir", help="Claude Code projects folder to read.")
JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table.")

#: Settings of every command's store. A command is one short process that writes only what it
#: was asked to: sources keep their listing caches in memory, never on disk
#: (docs/hostile-input.md, "Read commands write nothing").
COMMAND_SETTINGS: dict[str, dict[str, Any]] = {"core": {"persist_caches": False}}


def open_store(
    home: Optional[Path] = None, state_dir: Optional[Path] = None, sessions_url: Optional[str] = None,
    claude_dir: Optional[Path] = None, profile: Optional[str] = None,
) -> Any:
    """A SessionStore for the command's options (imported lazily: `--help` stays fast)."""
    from ..store import SessionStore

    locations = Locations.from_environment(
        base_home=home, state_dir=state_dir, session_url=sessions_url,
        claude_projects_dir=claude_dir, profile=profile,
    )
    return SessionStore(locations, settings={k: dict(v) for k, v in COMMAND_SETTINGS.items()})


def safe(value: Any) -> str:
    """Data shown through rich: brackets in titles or messages are text, never markup."""
    return escape(str(value))


def fail(message: str, code: int = 1) -> None:
    err.print(f"[red]error:[/red] {safe(message)}", highlight=False)
    raise typer.Exit(code)


def when(value: Any) -> str:
    stamp = to_epoch(value)
    if stamp is None:
        return "-"
    return _dt.datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M")


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")
