"""Where things live (S7): homes, profiles, the state dir, defaults. Read when asked, never at
import.

Nothing here writes the environment or creates folders (S7.9); every location can be passed
explicitly, and :meth:`Locations.from_environment` fills the rest from the variables the Web UI
reads today.

A hostile environment (a HOME the process may not enter under systemd's ``ProtectHome``, ``sudo``
keeping ``HOME=/root``, a container) degrades one default, never the caller: a path probed for a
default that the OS refuses to examine counts as absent, and becomes one :class:`Problem` in
:attr:`Locations.problems`, logged once.
"""

from __future__ import annotations

import errno
import functools
import logging
import os
import re
import stat
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Callable, Iterator, Mapping, TypeVar

from .errors import InvalidProfileName
from .problems import Problem

logger = logging.getLogger(__name__)

__all__ = [
    "Locations",
    "DEFAULT_PROFILE",
    "validate_profile_name",
    "split_profile_home",
]

DEFAULT_PROFILE = "default"
_PROFILE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def validate_profile_name(name: str) -> str:
    """Return ``name`` if it is a valid profile name (S7.2), else raise InvalidProfileName."""
    if not isinstance(name, str) or _PROFILE_NAME.fullmatch(name) is None:
        raise InvalidProfileName(name)
    return name


def split_profile_home(path: Path) -> tuple[Path, str | None]:
    """``<base>/profiles/<name>`` → ``(<base>, <name>)``; any other path → ``(path, None)``
    (S7.1)."""
    if path.parent.name == "profiles" and _PROFILE_NAME.fullmatch(path.name):
        return path.parent.parent, path.name
    return path, None


def _resolved(value: str | os.PathLike[str]) -> Path:
    """``~`` expanded and symlinks resolved as far as the OS lets us look: a loop or a folder
    we may not enter stops the resolution there instead of raising."""
    expanded = os.path.expanduser(os.fspath(value))
    try:
        return Path(os.path.realpath(expanded))
    except OSError:  # the working directory is gone and the path is relative
        return Path(expanded)


# Errors that just mean "not there" (pathlib's own list, for is_dir): nothing to report.
_ABSENT = frozenset({errno.ENOENT, errno.ENOTDIR})

_Answer = TypeVar("_Answer")

#: Profile answers read inside :meth:`Locations.held_profiles` on this thread, by
#: ``(id(locations), question)``; each value keeps its ``Locations`` so a reused id never matches.
_held_answers: ContextVar[dict[tuple[int, str], tuple[object, object]] | None] = ContextVar(
    "hermes_sessions_held_profile_answers", default=None
)


@functools.lru_cache(maxsize=64)
def _log_probe_problem(description: str) -> None:
    """Log a probe problem once per process, however many Locations meet it."""
    logger.warning("%s", description)


@dataclass(frozen=True)
class Locations:
    """Resolved locations for one store. Build with :meth:`from_environment`.

    ``state_dir`` holds Web UI sessions (``sessions/``) and ``projects.json``; ``session_url``
    overrides the sessions folder with any fsspec URL (``memory://…``, ``s3://bucket/prefix``).
    """

    base_home: Path
    state_dir: Path
    default_profile: str = DEFAULT_PROFILE
    root_aliases: frozenset[str] = frozenset({DEFAULT_PROFILE})
    session_url: str | None = None
    claude_projects_dirs: tuple[Path, ...] | None = None
    default_workspace_override: str | None = None
    projects_file_override: Path | None = None
    environ: Mapping[str, str] | None = field(default=None, repr=False, compare=False)
    #: A host that knows better (the Web UI's per-request profile, its profile helper) answers
    #: these itself; ``None`` means the rules below (S7.3, S7.5).
    active_profile_resolver: Callable[[], str | None] | None = field(
        default=None, repr=False, compare=False
    )
    profile_home_resolver: Callable[[str], str | os.PathLike[str]] | None = field(
        default=None, repr=False, compare=False
    )
    #: The host's test for a renamed root profile (S7.4), asked besides ``root_aliases``.
    root_profile_test: Callable[[str], bool] | None = field(
        default=None, repr=False, compare=False
    )
    #: Probe failures by path, filled as defaults are worked out (see :attr:`problems`).
    _probe_problems: dict[str, Problem] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    # ── construction ─────────────────────────────────────────────────────────────────────

    @classmethod
    def from_environment(
        cls,
        *,
        base_home: str | os.PathLike[str] | None = None,
        state_dir: str | os.PathLike[str] | None = None,
        session_url: str | None = None,
        profile: str | None = None,
        root_profile_name: str | None = None,
        claude_projects_dir: str | os.PathLike[str] | None = None,
        default_workspace: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Locations:
        """Resolve every location; explicit arguments win over the environment (S7.1, S7.7).

        ``profile`` sets the default active profile; ``root_profile_name`` is the renamed
        root profile's name, a second alias of ``default`` (S7.4).
        """
        env: Mapping[str, str] = os.environ if environ is None else environ
        profile_from_home: str | None = None
        if base_home is not None:
            base = _resolved(base_home)
        else:
            raw = env.get("HERMES_BASE_HOME") or env.get("HERMES_HOME") or "~/.hermes"
            base = _resolved(raw)
        base, profile_from_home = split_profile_home(base)
        if state_dir is not None:
            state = _resolved(state_dir)
        elif env.get("HERMES_WEBUI_STATE_DIR"):
            state = _resolved(env["HERMES_WEBUI_STATE_DIR"])
        elif env.get("HERMES_HOME"):
            state = _resolved(env["HERMES_HOME"]) / "webui"
        else:
            state = _resolved("~/.hermes") / "webui"
        aliases = {DEFAULT_PROFILE}
        if root_profile_name:
            aliases.add(validate_profile_name(root_profile_name))
        default_profile = profile or profile_from_home or DEFAULT_PROFILE
        validate_profile_name(default_profile)
        claude_dirs = None
        if claude_projects_dir is not None:
            claude_dirs = (Path(os.path.expanduser(os.fspath(claude_projects_dir))),)
        return cls(
            base_home=base,
            state_dir=state,
            default_profile=default_profile,
            root_aliases=frozenset(aliases),
            session_url=session_url,
            claude_projects_dirs=claude_dirs,
            default_workspace_override=(
                os.fspath(default_workspace) if default_workspace is not None else None
            ),
            environ=None if environ is None else dict(environ),
        )

    def __repr__(self) -> str:
        # session_url may carry a password (sftp://user:password@host/...): never print it.
        from .redaction import redact_secrets

        shown = ", ".join(
            f"{item.name}={redact_secrets(getattr(self, item.name))!r}"
            for item in fields(self)
            if item.repr
        )
        return f"Locations({shown})"

    def with_profile(self, profile: str) -> Locations:
        return replace(self, default_profile=validate_profile_name(profile))

    @property
    def env(self) -> Mapping[str, str]:
        """The given environment, else the live process environment (read per call)."""
        return os.environ if self.environ is None else self.environ

    # ── sessions and projects ────────────────────────────────────────────────────────────

    @property
    def session_dir(self) -> Path:
        """The local sessions folder: ``session_url`` when it is a plain path."""
        if self.session_url and "://" not in self.session_url:
            return Path(self.session_url)
        return self.state_dir / "sessions"

    @property
    def sessions_url(self) -> str:
        """Where Web UI sessions live, as an fsspec URL or local path."""
        return self.session_url or str(self.session_dir)

    @property
    def projects_file(self) -> Path:
        return self.projects_file_override or self.state_dir / "projects.json"

    # ── profiles ─────────────────────────────────────────────────────────────────────────

    def is_root_profile(self, name: str | None) -> bool:
        chosen = name or DEFAULT_PROFILE
        if chosen in self.root_aliases:
            return True
        return self.root_profile_test is not None and bool(self.root_profile_test(chosen))

    def profiles_match(self, left: str | None, right: str | None) -> bool:
        """Equal names, or both root aliases; a missing name is ``default`` (S7.4)."""
        a = left or DEFAULT_PROFILE
        b = right or DEFAULT_PROFILE
        return a == b or (self.is_root_profile(a) and self.is_root_profile(b))

    def profile_home(self, name: str | None = None) -> Path:
        """The profile's home: the base for root aliases, else ``<base>/profiles/<name>`` (S7.3)."""
        if self.profile_home_resolver is not None:
            chosen = validate_profile_name(name) if name else DEFAULT_PROFILE
            return Path(os.path.expanduser(os.fspath(self.profile_home_resolver(chosen))))
        if not name or self.is_root_profile(name):
            return self.base_home
        validate_profile_name(name)
        profiles_dir, home = self._held(f"home:{name}", lambda: self._resolved_home(name))
        if home.parent != profiles_dir:
            raise InvalidProfileName(name, f"resolves outside {profiles_dir}")
        return home

    def _resolved_home(self, name: str) -> tuple[Path, Path]:
        """``<base>/profiles`` and ``<base>/profiles/<name>`` with symlinks resolved (S7.3)."""
        profiles_dir = _resolved(self.base_home / "profiles")
        return profiles_dir, _resolved(profiles_dir / name)

    def active_profile(self, explicit: str | None = None) -> str:
        """The call's profile, else the host's, else ``<base>/active_profile``, else the
        default (S7.5). A host answer that is not a valid profile name counts as the default."""
        if explicit:
            return validate_profile_name(explicit)
        if self.active_profile_resolver is not None:
            chosen = self.active_profile_resolver()
            if chosen:
                return chosen if _PROFILE_NAME.fullmatch(str(chosen)) else DEFAULT_PROFILE
        if self.default_profile != DEFAULT_PROFILE:
            return self.default_profile
        return self._held("active", self._active_profile_file)

    def _active_profile_file(self) -> str:
        # A profile name is short: a FIFO or a huge file there must neither hang nor load.
        from .regular_files import read_regular

        try:
            raw = read_regular(self.base_home / "active_profile", 4096, follow_symlinks=True)
            text = raw.decode("utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return DEFAULT_PROFILE
        if text and _PROFILE_NAME.fullmatch(text):
            return text
        return DEFAULT_PROFILE

    def known_profiles(self) -> list[str]:
        """``default`` plus every valid folder name under ``<base>/profiles``: one ``scandir``
        (folder types come with the entries), read afresh on every call outside
        :meth:`held_profiles`, since the Web UI creates profiles while it runs."""
        return list(self._held("profiles", self._listed_profiles))

    @contextmanager
    def held_profiles(self) -> Iterator[None]:
        """Within the block, this thread reads ``<base>/active_profile``, lists
        ``<base>/profiles`` and resolves each profile home at most once, then reuses the
        answers: one listing sees one set of profiles however many sources ask (S7.5: read
        when needed). The next block, or any call outside one, reads afresh (S7.3, S7.5)."""
        if _held_answers.get() is not None:
            yield
            return
        token = _held_answers.set({})
        try:
            yield
        finally:
            _held_answers.reset(token)

    def _held(self, question: str, read: Callable[[], _Answer]) -> _Answer:
        """``read()``, or inside :meth:`held_profiles` its first answer for this object."""
        answers = _held_answers.get()
        if answers is None:
            return read()
        key = (id(self), question)
        kept = answers.get(key)
        if kept is not None and kept[0] is self:
            return kept[1]  # type: ignore[return-value]
        answer = read()
        answers[key] = (self, answer)
        return answer

    def _listed_profiles(self) -> tuple[str, ...]:
        names = [DEFAULT_PROFILE]
        try:
            with os.scandir(self.base_home / "profiles") as found:
                entries = sorted(found, key=lambda e: e.name)
        except OSError:
            return tuple(names)
        for entry in entries:
            if entry.is_dir(follow_symlinks=False) and _PROFILE_NAME.fullmatch(entry.name):
                if entry.name not in names:
                    names.append(entry.name)
        return tuple(names)

    def state_db(self, profile: str | None = None) -> Path:
        return self.profile_home(profile) / "state.db"

    def cron_jobs_file(self, profile: str | None = None) -> Path:
        return self.profile_home(profile) / "cron" / "jobs.json"

    def core_transcript(self, session_id: str, profile: str | None = None) -> Path:
        return self.profile_home(profile) / "sessions" / f"session_{session_id}.json"

    def gateway_index(self, profile: str | None = None) -> Path:
        return self.profile_home(profile) / "sessions" / "sessions.json"

    # ── defaults ─────────────────────────────────────────────────────────────────────────

    @functools.cached_property
    def default_workspace(self) -> str:
        """``HERMES_WEBUI_DEFAULT_WORKSPACE``, else ``~/workspace`` or ``~/work`` if present,
        else ``<state dir>/workspace`` (S7.8). Never created here. Resolved once per
        ``Locations``: every session load needs it, and resolving touches the disk. A home
        the process may not enter counts as holding neither folder (see :attr:`problems`)."""
        if self.default_workspace_override:
            return str(_resolved(self.default_workspace_override))
        configured = self.env.get("HERMES_WEBUI_DEFAULT_WORKSPACE")
        if configured:
            return str(_resolved(configured))
        fallback = self.state_dir / "workspace"
        home = Path(os.path.expanduser("~"))
        for candidate in (home / "workspace", home / "work"):
            if self._is_dir(candidate, f"the default workspace (using {fallback} instead; "
                            "set HERMES_WEBUI_DEFAULT_WORKSPACE to choose one)"):
                return str(_resolved(candidate))
        return str(fallback)

    def workspace_exists(self, workspace: str) -> bool:
        """Whether a workspace the host remembers (a profile's last one) is still a folder, ``~``
        expanded (S2.31); asked per new session, as folders come and go. One the OS refuses to
        examine counts as gone (see :attr:`problems`)."""
        return self._is_dir(Path(os.path.expanduser(workspace)),
                            "the last workspace (using the default workspace instead)")

    def default_model(self, configured: object = None) -> str:
        """First of HERMES_MODEL, OPENAI_MODEL, LLM_MODEL, the host's configured default,
        HERMES_WEBUI_DEFAULT_MODEL, else ``""`` (S7.8)."""
        for name in ("HERMES_MODEL", "OPENAI_MODEL", "LLM_MODEL"):
            if self.env.get(name):
                return self.env[name]
        if isinstance(configured, Mapping):
            model = configured.get("model")
            if isinstance(model, Mapping) and model.get("default"):
                return str(model["default"])
            if isinstance(model, str) and model:
                return model
        elif isinstance(configured, str) and configured:
            return configured
        return self.env.get("HERMES_WEBUI_DEFAULT_MODEL", "")

    def claude_projects_roots(self) -> tuple[Path, ...]:
        """Claude Code roots in precedence order (S4.1, S7.7); the environment is read per call."""
        if self.claude_projects_dirs is not None:
            return self.claude_projects_dirs
        env = self.env
        override = env.get("HERMES_WEBUI_CLAUDE_PROJECTS_DIR")
        if override:
            return (Path(os.path.expanduser(override)),)
        config_dirs = [part.strip() for part in env.get("CLAUDE_CONFIG_DIR", "").split(",")]
        roots = [Path(os.path.expanduser(part)) / "projects" for part in config_dirs if part]
        if roots:
            return tuple(roots)
        home = Path(os.path.expanduser("~"))
        defaults = [home / ".claude" / "projects"]
        extra = home / ".config" / "claude" / "projects"
        # Probed per call, unlike the workspace: Claude Code may be set up while we run.
        if self._is_dir(extra, "Claude Code sessions (set HERMES_WEBUI_CLAUDE_PROJECTS_DIR "
                        "or CLAUDE_CONFIG_DIR to read them elsewhere)"):
            defaults.append(extra)
        return tuple(defaults)

    # ── probes ───────────────────────────────────────────────────────────────────────────

    @property
    def problems(self) -> tuple[Problem, ...]:
        """What probing the environment for defaults met so far: one :class:`Problem` per
        path the OS refused to examine (no permission, a name too long, a symlink loop)."""
        return tuple(self._probe_problems.values())

    def _is_dir(self, path: Path, used_for: str) -> bool:
        """Whether ``path`` is a folder. One the OS refuses to examine counts as absent and
        is recorded as a problem naming what it was probed for; never raises."""
        try:
            return stat.S_ISDIR(os.stat(path).st_mode)
        except OSError as error:
            if error.errno in _ABSENT:
                return False
            self._record_probe_problem(path, used_for, error)
        except ValueError as error:  # a NUL byte in HOME: nothing can be there
            self._record_probe_problem(path, used_for, error)
        return False

    def _record_probe_problem(self, path: Path, used_for: str, error: Exception) -> None:
        key = str(path)
        if key in self._probe_problems:
            return
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        problem = Problem(
            source="core",
            hook="locations",
            error_type=type(error).__name__,
            message=f"cannot look at {key} ({reason}) for {used_for}",
            path=key,
        )
        self._probe_problems[key] = problem
        _log_probe_problem(problem.describe())
