"""``export``: one session as a Markdown, HTML or JSON file, to stdout or ``-o FILE``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer

from .app import (
    ClaudeDirOption,
    HomeOption,
    SessionsUrlOption,
    StateDirOption,
    app,
    fail,
    require_known,
)
from .completion import complete_session_ids

__all__ = ["export_command"]

_SUFFIXES = ".md, .markdown, .html, .htm or .json"


@app.command("export")
def export_command(
    session_id: str = typer.Argument(
        ..., help="The session id.", autocompletion=complete_session_ids
    ),
    output_format: Optional[str] = typer.Option(
        None, "--format", "-f", metavar="markdown|html|json",
        help="Output format (default: from -o's suffix, else markdown).",
    ),
    output: Optional[Path] = typer.Option(
        None, "--output", "-o", metavar="FILE",
        help="Write to FILE (atomically) instead of stdout; '-' is stdout.",
    ),
    force: bool = typer.Option(False, "--force", help="Replace FILE if it exists."),
    home: Optional[Path] = HomeOption,
    state_dir: Optional[Path] = StateDirOption,
    sessions_url: Optional[str] = SessionsUrlOption,
    claude_dir: Optional[Path] = ClaudeDirOption,
) -> None:
    """One session as Markdown, a self-contained HTML page, or JSON (as `show --json`)."""
    if output is not None and str(output) == "-":
        output = None
    chosen = _chosen_format(output_format, output)
    if output is not None:
        _check_writable(output, force)
    from ..export import export_session
    from .sessions import stored_session_or_exit

    session = stored_session_or_exit(session_id, home, state_dir, sessions_url, claude_dir)
    try:
        data = export_session(session, chosen)
    except ValueError as error:  # JSON of a value nested deeper than an encoder goes
        fail(f"cannot export {session_id} as {chosen}: {error}")
        return
    if output is None:
        _write_stdout(data)
        return
    from ..atomic import write_file_atomically

    try:
        write_file_atomically(output, data)
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror or error}")


def _chosen_format(name: Optional[str], output: Optional[Path]) -> str:
    """``--format`` if given (exit 2 unless known), else ``-o``'s suffix, else Markdown."""
    from ..export import FORMATS, format_for_path

    if name is not None:
        require_known("--format", (name,), list(FORMATS))
        return name
    if output is None:
        return "markdown"
    inferred = format_for_path(output)
    if inferred is None:
        fail(f"cannot tell the format from {str(output)!r}: name it {_SUFFIXES}, or give "
             "--format markdown|html|json", code=2)
    return str(inferred)


def _check_writable(output: Path, force: bool) -> None:
    """Refuse before any work: an existing file without ``--force``, a folder, or a folder
    that does not exist (an export never creates the user's folders)."""
    if output.is_dir():
        fail(f"{output} is a folder: give a file name, e.g. {output / 'session.html'}")
    if os.path.lexists(output) and not force:
        fail(f"{output} already exists: use --force to replace it")
    parent = output.parent
    if not parent.is_dir():
        fail(f"folder {parent} does not exist: create it first")


def _write_stdout(data: bytes) -> None:
    """The file's bytes as they are (UTF-8), whatever the terminal's encoding."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(data.decode("utf-8"))
        sys.stdout.flush()
        return
    sys.stdout.flush()
    view = memoryview(data)
    while view:  # an unbuffered stdout (python -u) may take part of the data per write
        written = buffer.write(view)
        if not written:
            raise BlockingIOError("stdout is not ready for writing")
        view = view[written:]
    buffer.flush()
