"""``search`` and ``reindex``: full-text search across every source, and rebuilding indexes."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Optional

import typer
from typer.core import TyperCommand

from ..errors import HermesSessionsError
from .app import (
    ClaudeDirOption,
    HomeOption,
    JsonOption,
    SessionsUrlOption,
    StateDirOption,
    app,
    close_quietly,
    err,
    fail,
    open_store,
    out,
    parse_since,
    print_json,
    require_known,
    require_known_profile,
    safe,
    when,
)
from .progress import source_progress_bars

__all__ = ["search_command", "reindex_command"]


class _WordsFirst(TyperCommand):
    """A command whose arguments are words to search, so ``search -flaky`` or ``search deploy
    -n 5 kubernetes`` mean what they say: a word that starts with ``-`` but names none of the
    command's options is a word of the query, not an unknown option."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        takes_value: dict[str, bool] = {}
        for param in self.get_params(ctx):  # --help included
            for name in (*param.opts, *param.secondary_opts):
                takes_value[name] = not getattr(param, "is_flag", False) and not getattr(
                    param, "count", False
                )
        options: list[str] = []
        words: list[str] = []
        index = 0
        while index < len(args):
            arg = args[index]
            index += 1
            if arg == "--":
                words.extend(args[index:])
                break
            name = arg.split("=", 1)[0] if arg.startswith("--") else arg[:2]
            if not arg.startswith("-") or arg == "-" or name not in takes_value:
                words.append(arg)
                continue
            options.append(arg)
            if arg == name and takes_value[name] and index < len(args):
                options.append(args[index])  # `-n 5`: the value is the next argument
                index += 1
        return super().parse_args(ctx, [*options, "--", *words])


@app.command("search", cls=_WordsFirst)
def search_command(
    words: List[str] = typer.Argument(
        ..., metavar="QUERY",
        help='Words, "exact phrases" and prefix* terms; all must match. A word may start '
             "with -.",
    ),
    home: Optional[Path] = HomeOption,
    state_dir: Optional[Path] = StateDirOption,
    sessions_url: Optional[str] = SessionsUrlOption,
    claude_dir: Optional[Path] = ClaudeDirOption,
    profile: Optional[str] = typer.Option(None, "--profile", "-p", help="Profile to search."),
    all_profiles: bool = typer.Option(False, "--all-profiles", help="Search every profile."),
    source: Optional[List[str]] = typer.Option(
        None, "--source", "-s",
        help="Only this source (json_fs, agent_state_db, claude_code…); repeatable.",
    ),
    project: Optional[str] = typer.Option(
        None, "--project", help="Only sessions of this project id."
    ),
    since: Optional[str] = typer.Option(
        None, "--since",
        help="Messages at or after this time: 7d, 12h, today, yesterday, 2026-12-01 or epoch.",
    ),
    until: Optional[str] = typer.Option(
        None, "--until",
        help="Messages at or before this time: 7d, 12h, today, yesterday, 2026-12-01 or epoch.",
    ),
    archived: bool = typer.Option(False, "--archived", help="Include archived sessions."),
    limit: int = typer.Option(20, "--limit", "-n", min=1, max=1000, help="Show at most N hits."),
    per_session: int = typer.Option(1, "--per-session", min=1, help="Hits per session."),
    as_json: bool = JsonOption,
) -> None:
    """Find sessions whose titles or messages contain QUERY, best matches first."""
    query = " ".join(words)
    from ..search import InvalidSearchQuery

    if profile is not None and all_profiles:
        fail("--profile and --all-profiles cannot be used together", code=2)
    # The same words as `list --since` (7d, yesterday, ISO, epoch); parse_since exits 2.
    since_at = parse_since(since) if since is not None else None
    until_at = parse_since(until, "--until") if until is not None else None
    try:
        store = open_store(home, state_dir, sessions_url, claude_dir, profile)
        require_known_profile(store, profile)
        require_known("--source", tuple(source or ()), list(store.dispatcher.sources))
        with source_progress_bars(lambda name: f"indexing {name}", disable=as_json) as progress, \
                store.reporting_index_progress(progress):
            results = store.search(
                query, profile=profile, all_profiles=all_profiles, sources=tuple(source or ()),
                project_id=project, since=since_at, until=until_at, include_archived=archived,
                limit=limit, per_session=per_session,
            )
    except InvalidSearchQuery as error:
        fail(str(error), code=2)
        return
    except HermesSessionsError as error:
        fail(str(error))
        return
    close_quietly(store)
    if as_json:
        print_json({"query": query, **results.to_dict()})
        return
    if not results.hits:
        out().print(f"No matches for {query!r}.", highlight=False)
        for short in _one_letter_prefixes(query):
            out().print(
                f"A prefix needs at least two letters before '*': {short!r} was searched as "
                f"the word {short.rstrip('*')!r}.", highlight=False,
            )
    for hit in results.hits:
        _print_hit(hit)
    for problem in results.problems:
        err().print(f"[yellow]warning:[/yellow] {safe(problem.describe())}", highlight=False)


def _one_letter_prefixes(query: str) -> list[str]:
    """Terms like ``k*``, which the query rules search as the word ``k`` (too short a prefix
    would match half the index): said when nothing matched, so it never looks like no data."""
    import re

    return re.findall(r"(?<![\w*])\w\*+(?![\w*])", query)


def _print_hit(hit: Any) -> None:
    from rich.text import Text

    where = "title" if hit.position is None else f"message {hit.position}"
    if hit.role:
        where += f" ({hit.role})"
    header = Text()
    header.append(str(hit.title or "Untitled"), style="bold")
    header.append(
        f"  {hit.session_id}  {hit.source} · {where} · {when(hit.timestamp)}", style="dim"
    )
    out().print(header)
    snippet = Text("  " + hit.snippet)
    for start, end in hit.highlights:
        snippet.stylize("bold yellow", start + 2, end + 2)
    out().print(snippet)


@app.command("reindex")
def reindex_command(
    home: Optional[Path] = HomeOption,
    state_dir: Optional[Path] = StateDirOption,
    sessions_url: Optional[str] = SessionsUrlOption,
    claude_dir: Optional[Path] = ClaudeDirOption,
    source: Optional[List[str]] = typer.Option(
        None, "--source", "-s", help="Only this source; repeatable."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Rebuild the search indexes from the session data (safe at any time)."""
    try:
        store = open_store(home, state_dir, sessions_url, claude_dir)
    except HermesSessionsError as error:
        fail(str(error))
        return
    require_known("--source", tuple(source or ()), list(store.dispatcher.sources))
    with source_progress_bars(lambda name: f"indexing {name}", disable=as_json,
                              transient=False, show_unknown=True) as progress:
        counts, problems = store.rebuild_search_indexes(progress, tuple(source or ()))
    close_quietly(store)
    if as_json:
        print_json({"indexed": counts, "problems": [p.to_dict() for p in problems]})
    else:
        for name, count in counts.items():
            out().print(f"{name}: indexed {count} session(s)", highlight=False)
        if not counts and not problems:
            out().print("No source keeps a search index to rebuild.")
    for problem in problems:
        err().print(f"[red]error:[/red] {safe(problem.describe())}", highlight=False)
    if problems:
        raise typer.Exit(1)
