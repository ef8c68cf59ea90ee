"""The ``hermes-sessions`` Typer app, its shared options and output helpers.

Each group of commands lives in its own module of this package and registers on :data:`app`.
Errors go to stderr with a non-zero exit code: 1 for "not found" or a failed operation,
2 for bad arguments.
"""

from __future__ import annotations

import errno
import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NoReturn, Optional

import typer

from ..builtin_plugins import BUILTIN_PLUGINS

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "app", "out", "err", "fail", "when", "print_json", "open_store", "safe", "COMMAND_SETTINGS",
    "require_known", "require_known_profile", "parse_since", "state_dir_for", "close_quietly",
]

app = typer.Typer(
    name="hermes-sessions",
    help=(
        "Browse Hermes sessions from every source: the Web UI, the agent's state.db, Claude "
        "Code, Codex, Gemini CLI, OpenCode and plugins, on this machine and others."
    ),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    # Click's own help layout: rich's panels cost every `--help` about 190 ms of imports
    # (markdown, syntax, pretty), three times the start-up budget of issue 14.
    rich_markup_mode=None,
)

def _print_version(value: bool) -> None:
    if not value:
        return
    from importlib import metadata

    try:
        version = metadata.version("hermes-sessions")
    except metadata.PackageNotFoundError:  # run from a source tree
        from .. import __version__ as version
    typer.echo(f"hermes-sessions {version}")
    raise typer.Exit()


#: Loggers of the library and its built-in sources; third-party sources log under their own.
_LIBRARY_LOGGERS = ("hermes_sessions_core", *(module for _name, module in BUILTIN_PLUGINS))


@app.callback()
def _options(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True,
        help="Print the installed version and exit.",
    ),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Also print the library's log, with tracebacks."
    ),
) -> None:
    """The options every command takes (the app's help text is the Typer's ``help``)."""
    # A console reads the terminal's width (and $COLUMNS) when it is built: each command gets
    # its own, so one invoking the app again (a host, a test runner) sees its own terminal.
    out.cache_clear()
    err.cache_clear()
    if standalone:  # a process of its own: a caller that invokes the app keeps its logging
        _configure_logging(verbose)


#: Whether this process is the command itself (:func:`run_standalone`), not a caller's.
standalone = False


def run_standalone() -> None:
    """The console script and ``python -m hermes_sessions_core``: the command owns the process."""
    global standalone
    standalone = True
    app(prog_name="hermes-sessions")


def _configure_logging(verbose: bool) -> None:
    """Commands report what failed as one warning line per problem; the library logs the
    same failures with tracebacks, for hosts. Without ``--verbose`` that log stays quiet
    (errors excepted), so nothing is said twice."""
    import logging

    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
        return
    for name in _LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


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
    home: Optional[Path] = None, state_dir: Optional[Path] = None,
    sessions_url: Optional[str] = None, claude_dir: Optional[Path] = None,
    profile: Optional[str] = None, cli_row_limit: int = 20,
    extra_settings: Optional[dict[str, dict[str, Any]]] = None,
) -> Any:
    """A SessionStore for the command's options (imported lazily: `--help` stays fast);
    ``cli_row_limit`` caps the agent's CLI sessions as the Web UI's sidebar does (-1: no cap)."""
    from ..locations import Locations
    from ..settings_file import read_settings_file, settings_file_path
    from ..store import SessionStore

    locations = Locations.from_environment(
        base_home=home, state_dir=state_dir_for(home, state_dir), session_url=sessions_url,
        claude_projects_dir=claude_dir, profile=profile,
    )
    # The user's settings file first (other machines' roots), then what commands insist on.
    settings = read_settings_file(settings_file_path(locations.state_dir, locations.env))
    for source, values in [*COMMAND_SETTINGS.items(), *(extra_settings or {}).items()]:
        settings.setdefault(source, {}).update(values)
    for source, values in _search_indexes_outside(locations).items():
        settings.setdefault(source, {}).update(values)
    return SessionStore(locations, settings=settings, cli_row_limit=cli_row_limit)


def close_quietly(store: Any) -> None:
    """Close a command's store once its answer is in hand: a source failing to flush on the
    way out of a read command is not the command's failure (and is in the store's problems)."""
    from ..errors import HermesSessionsError

    try:
        store.close()
    except HermesSessionsError:
        pass


def state_dir_for(home: Optional[Path], state_dir: Optional[Path]) -> Optional[Path]:
    """``--home X`` means what ``HERMES_HOME=X`` means, the Web UI's state dir included
    (``X/webui``, S7.7), unless ``--state-dir`` or ``$HERMES_WEBUI_STATE_DIR`` names one: without
    this, ``--home`` read the agent's files from X and the Web UI's from ``~/.hermes``."""
    import os

    if state_dir is not None or home is None or os.environ.get("HERMES_WEBUI_STATE_DIR"):
        return state_dir
    return home / "webui"


def _search_indexes_outside(locations: Any) -> dict[str, dict[str, str]]:
    """Search index paths under the user's cache folder when the state dir does not exist.

    Commands never create the user's folders (a mistyped ``--state-dir`` must not appear on
    disk), yet a search index is worth keeping: it goes to ``$XDG_CACHE_HOME`` (or
    ``~/.cache``) ``/hermes-sessions/search/<digest of the locations>/`` instead.
    """
    import hashlib
    import os

    try:
        if locations.state_dir.exists():
            return {}
    except OSError:
        pass
    try:
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except RuntimeError:  # no home directory at all
        import tempfile

        cache = Path(tempfile.gettempdir()) / f"hermes-sessions-{os.getuid()}"
    key = f"{locations.state_dir}\n{locations.sessions_url}".encode("utf-8", "surrogatepass")
    folder = cache / "hermes-sessions" / "search" / hashlib.sha1(key).hexdigest()[:16]
    return {
        "core": {"search_index_dir": str(folder)},
        "json_fs": {"search_index_path": str(folder / "json_fs.sqlite")},
    }


@functools.cache
def out() -> Console:
    """The console of tables and messages, built on first use: rich takes longer to import than
    `--help` or a `--json` command may spend."""
    from rich.console import Console

    return Console(soft_wrap=True)


@functools.cache
def err() -> Console:
    """The console of errors, warnings and progress bars (stderr), built on first use."""
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


def safe(value: Any) -> str:
    """Data shown through rich: brackets in titles or messages are text, never markup."""
    from rich.markup import escape

    return escape(str(value))


def fail(message: str, code: int = 1) -> NoReturn:
    err().print(f"[red]error:[/red] {safe(message)}", highlight=False)
    raise typer.Exit(code)


def require_known(option: str, values: list[str] | tuple[str, ...], known: list[str]) -> None:
    """Exit 2 naming the valid choices when ``values`` holds one that is not known: a typo
    must never look like an empty result."""
    unknown = [value for value in values if value not in known]
    if unknown:
        fail(
            f"unknown {option} {', '.join(repr(v) for v in unknown)}; "
            f"choose from: {', '.join(sorted(known)) or '(none)'}",
            code=2,
        )


def row_machine(row: Any) -> str:
    """The machine a row was read from: its label, or ``local`` for this machine."""
    from ..machines import LOCAL_MACHINE, MACHINE_KEY

    return str(row.get(MACHINE_KEY) or LOCAL_MACHINE)


def known_machines(store: Any, rows: Any) -> list[str]:
    """``local``, every machine a source's settings name, and any a row came from."""
    from ..machines import LOCAL_MACHINE

    known = {LOCAL_MACHINE}
    for values in store.settings.values():
        roots = values.get("roots") if isinstance(values, dict) else None
        for root in roots if isinstance(roots, list) else ():
            if isinstance(root, dict) and isinstance(root.get("machine"), str):
                known.add(root["machine"])
    known.update(row_machine(row) for row in rows)
    return sorted(known)


def require_known_profile(store: Any, profile: Optional[str]) -> None:
    """Exit 2 naming the profiles when ``--profile`` names none: a profile with a folder is
    known at once; any other must be named by some session or project (a profile needs no
    folder). Rows of sources without profiles (Claude Code) list under any name, so an empty
    result cannot be what tells a typo."""
    if profile is None:
        return
    known = set(store.locations.known_profiles())
    if profile in known:
        return
    listing = store.list_sessions(
        None, all_profiles=True, include_archived=True, include_cron=True
    )
    known.update(str(row.get("profile")) for row in listing.rows if row.get("profile"))
    known.update(
        str(project.get("profile")) for project in store.stored_projects(migrate=False)
        if isinstance(project, dict) and project.get("profile")
    )
    require_known("--profile", (profile,), sorted(known))


def parse_since(text: str, option: str = "--since") -> float:
    """``7d``, ``12h``, ``30m``, ``today``, ``yesterday``, an ISO 8601 date or time, or epoch
    seconds, as epoch seconds (the start of that day or time); exit 2 naming ``option`` for
    anything else."""
    import datetime
    import re
    import time

    from ..times import to_epoch

    value = text.strip().lower()
    relative = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhdw])", value)
    if relative:
        seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[relative.group(2)]
        return time.time() - float(relative.group(1)) * seconds
    if value in ("today", "yesterday"):
        midnight = datetime.datetime.now().astimezone().replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        days = 1 if value == "yesterday" else 0
        return (midnight - datetime.timedelta(days=days)).timestamp()
    stamp = to_epoch(text)
    if stamp is None:
        fail(
            f"{option} {text!r} is not a time: use 7d, 12h, 30m, today, yesterday, "
            "an ISO 8601 date (2026-12-01) or epoch seconds", code=2,
        )
    return float(stamp)


def when(value: Any) -> str:
    import datetime

    from ..times import to_epoch

    stamp = to_epoch(value)
    if stamp is None:
        return "-"
    return datetime.datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M")


def print_json(value: Any) -> None:
    """Print ``value`` as ``json.dumps(value, ensure_ascii=False, indent=2, default=str)`` would,
    through orjson: at scale the standard encoder was most of a ``--json`` command's time.

    The bytes go straight to stdout's buffer when stdout is UTF-8, and are flushed here, so a
    reader that has gone away (a broken pipe) is reported inside the command, where the command
    line's runner exits quietly with code 1.
    """
    from ..jsoncodec import dumps_report

    stream = sys.stdout
    buffer: BinaryIO | None = getattr(stream, "buffer", None)
    encoded: bytes | None = None
    if buffer is not None and _is_utf8(stream):
        try:
            encoded = dumps_report(value)
        except UnicodeEncodeError:
            pass  # a lone surrogate (from a path): the text layer's error handler decides
    if buffer is None or encoded is None:
        import json

        stream.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")
        return
    stream.flush()
    _write_all(buffer, encoded)
    _write_all(buffer, b"\n")
    buffer.flush()


def _is_utf8(stream: Any) -> bool:
    import codecs

    encoding = getattr(stream, "encoding", None)
    if not isinstance(encoding, str):
        return False
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def _write_all(buffer: BinaryIO, data: bytes) -> None:
    # An unbuffered stdout (python -u) is a raw file, whose write may take only part of the data.
    view = memoryview(data)
    while view:
        written: int | None = buffer.write(view)
        if not written:  # a raw file in non-blocking mode that is full
            raise BlockingIOError(errno.EAGAIN, "stdout is not ready for writing")
        view = view[written:]
