"""Two real Web UI servers on loopback, one on the original ``api/models.py`` and one on ours,
each over its own copy of one realistic Hermes home.

Plain functions and classes only (no fixtures): ``test_http_endpoints.py`` loads this file by
path, so the folder needs neither a conftest nor an ``__init__.py``. The seed is written by hand
in the bytes today's Web UI writes (session files, ``_index.json``, ``projects.json``); the agent
``state.db`` comes from the fixture generator and the Claude Code transcript is a real one.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..original_format import ORIGINAL_METADATA_ORDER

# Free ports, clean stops and parent-death signals, shared with the S3 and SFTP test servers.
from ..servers import processes as _processes

__all__ = [
    "CLAUDE_TRANSCRIPT_NAME",
    "MISSING",
    "OUR_MODELS",
    "WEBUI_SOURCE",
    "Difference",
    "Exchange",
    "HostServer",
    "Normaliser",
    "Reply",
    "Seed",
    "ServerPair",
    "copy_host",
    "differences",
    "free_port",
    "seed_hermes_home",
    "short",
]

REPO_ROOT = Path(__file__).resolve().parents[2]


def _load_by_path(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


WEBUI_SOURCE = REPO_ROOT.parent / "shared" / "webui"
OUR_MODELS = REPO_ROOT / "examples" / "webui" / "api" / "models.py"
FIXTURES = REPO_ROOT / "tests" / "fixtures"
STATE_DB_GENERATOR = FIXTURES / "agent_state_db" / "make_state_db.py"
CLAUDE_PROJECT_FOLDER = "-home-marco-projects-spotter"
CLAUDE_TRANSCRIPT_NAME = "55604662-cf2a-4331-851a-ec234028f8ca.jsonl"

#: Variables a server must never inherit from the test run: every Hermes location (set
#: explicitly below) and the credentials the host's own conftest strips.
_INHERITED_PREFIXES_TO_DROP = (
    "HERMES_", "CLAUDE_CONFIG_DIR", "OPENAI_", "ANTHROPIC_", "OPENROUTER_", "GOOGLE_", "AWS_",
    "AZURE_", "GH_TOKEN", "GITHUB_TOKEN", "LLM_MODEL",
)


# ── the Hermes home ──────────────────────────────────────────────────────────────────────────

_FILE_DEFAULTS: dict[str, Any] = {
    "title": "Untitled", "model": "anthropic/claude-sonnet-4.5", "pinned": False,
    "archived": False, "input_tokens": 0, "output_tokens": 0, "pending_attachments": [],
    "gateway_routing_history": [], "llm_title_generated": False, "is_cli_session": False,
    "read_only": False, "composer_draft": {},
}
#: Keys the original's ``compact()`` copies straight from the session, in its row order.
_ROW_COPIED_AFTER_TIMES = (
    "pinned", "archived", "project_id", "profile", "input_tokens", "output_tokens",
    "estimated_cost", "personality", "compression_anchor_visible_idx",
    "compression_anchor_message_key", "compression_anchor_summary", "context_length",
    "threshold_tokens", "last_prompt_tokens", "gateway_routing", "gateway_routing_history",
)
_ROW_SOURCE_KEYS = (
    "is_cli_session", "source_tag", "raw_source", "session_source", "source_label", "read_only",
    "enabled_toolsets", "composer_draft",
)

# One clock for the whole seed: May 2026, well before any run of this test.
_T0 = 1_778_000_000.0


@dataclass
class Seed:
    """Where one copy of the seeded home lives, and the names the tests use."""

    root: Path
    home: Path
    hermes_home: Path
    state_dir: Path
    default_workspace: Path
    claude_projects: Path
    sessions: dict[str, str] = field(default_factory=dict)
    projects: dict[str, str] = field(default_factory=dict)

    @property
    def session_dir(self) -> Path:
        return self.state_dir / "sessions"

    def relocated(self, root: Path) -> Seed:
        """The same layout under another root (a copy of this seed)."""
        def move(path: Path) -> Path:
            return root / path.relative_to(self.root)

        return Seed(root, move(self.home), move(self.hermes_home), move(self.state_dir),
                    move(self.default_workspace), move(self.claude_projects),
                    dict(self.sessions), dict(self.projects))

    def claude_session_id(self) -> str:
        """The id both modules give the transcript: a hash of its resolved path (S4.3)."""
        path = (self.claude_projects / CLAUDE_PROJECT_FOLDER / CLAUDE_TRANSCRIPT_NAME).resolve()
        return "claude_code_" + hashlib.sha256(str(path).encode("utf-8")).hexdigest()[:24]


def _messages(*turns: tuple[str, str], start: float) -> list[dict[str, Any]]:
    return [{"role": role, "content": text, "timestamp": start + 30.0 * i}
            for i, (role, text) in enumerate(turns)]


def _session_file(values: Mapping[str, Any],
                  extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A session object as the original's ``save()`` wrote it: group 1, messages, tool_calls,
    then ``context_messages`` and the attributes set on the object (messaging identity)."""
    record = {key: values.get(key, _FILE_DEFAULTS.get(key)) for key in ORIGINAL_METADATA_ORDER}
    record["messages"] = list(values.get("messages", []))
    record["tool_calls"] = list(values.get("tool_calls", []))
    record["context_messages"] = list(values.get("context_messages", []))
    record.update(extra or {})
    return record


def _index_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """The original's ``compact()`` of a saved record, as ``_index.json`` holds it."""
    messages = record["messages"]
    stamps = [m["timestamp"] for m in messages if m.get("role") != "tool" and m.get("timestamp")]
    row: dict[str, Any] = {key: record[key] for key in
                           ("session_id", "title", "workspace", "model", "model_provider")}
    row["message_count"] = len(messages)
    row["created_at"] = record["created_at"]
    row["updated_at"] = record["updated_at"]
    row["last_message_at"] = stamps[-1] if stamps else record["updated_at"]
    row.update({key: record[key] for key in _ROW_COPIED_AFTER_TIMES})
    if record.get("parent_session_id"):
        row["parent_session_id"] = record["parent_session_id"]
    row["user_message_count"] = sum(1 for m in messages
                                    if str(m.get("role")).strip().lower() == "user")
    row["active_stream_id"] = record["active_stream_id"]
    row["pending_user_message"] = record["pending_user_message"]
    row["has_pending_user_message"] = bool(record["pending_user_message"])
    row.update({key: record[key] for key in _ROW_SOURCE_KEYS})
    row["is_streaming"] = False
    return row


def _write_json(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")


def _make_state_db(path: Path, sessions: int, seed: int) -> None:
    """An agent ``state.db`` (schema ``current``) plus ``cron/jobs.json`` beside it."""
    generator = _load_by_path("hermes_tests_make_state_db", STATE_DB_GENERATOR)
    with contextlib.redirect_stdout(io.StringIO()):  # it prints a summary line
        code = generator.main([str(path), "--sessions", str(sessions), "--seed", str(seed),
                               "--jobs-json", "auto", "--no-fts"])
    if code != 0:
        raise RuntimeError(f"make_state_db.py failed with {code} for {path}")


def seed_hermes_home(root: Path) -> Seed:
    """Write one realistic Hermes home under ``root`` and return its layout.

    Two profiles (``default`` and ``work``), each with an agent ``state.db``; nine Web UI
    session files (pinned, archived, in projects, a legacy empty workspace, a messaging session
    with its identity fields, an empty draft, a corrupt file still listed in the index);
    four projects (one untagged legacy project, the default profile's Cron Jobs project);
    one Claude Code transcript.
    """
    hermes_home = root / "hermes"
    state_dir = hermes_home / "webui"
    seed = Seed(root=root, home=root / "home", hermes_home=hermes_home, state_dir=state_dir,
                default_workspace=root / "workspace",
                claude_projects=root / "claude" / "projects")
    for folder in (seed.home, seed.default_workspace, seed.session_dir):
        folder.mkdir(parents=True, exist_ok=True)
    code_workspace = root / "workspaces" / "payments-service"
    notes_workspace = root / "workspaces" / "notes"
    for folder in (code_workspace, notes_workspace):
        folder.mkdir(parents=True, exist_ok=True)

    _make_state_db(hermes_home / "state.db", sessions=24, seed=3)
    _make_state_db(hermes_home / "profiles" / "work" / "state.db", sessions=16, seed=4)
    (hermes_home / "config.yaml").write_text(
        "model:\n  default: anthropic/claude-sonnet-4.5\n  provider: anthropic\n", encoding="utf-8")
    _write_json(state_dir / "settings.json",
                {"show_cli_sessions": True, "onboarding_completed": True})

    claude_folder = seed.claude_projects / CLAUDE_PROJECT_FOLDER
    claude_folder.mkdir(parents=True)
    shutil.copy2(FIXTURES / "claude_code" / CLAUDE_PROJECT_FOLDER / CLAUDE_TRANSCRIPT_NAME,
                 claude_folder / CLAUDE_TRANSCRIPT_NAME)

    seed.projects = {
        "billing": "a3f9c1d2e4b5", "ops": "b4e8d2c1f3a6", "cron": "c5d7e3b2a4f1",
        "reading": "d6c6f4a3b5e2",
    }
    _write_json(state_dir / "projects.json", [
        {"project_id": seed.projects["billing"], "name": "Billing", "color": "#22c55e",
         "profile": "default", "created_at": _T0 - 86400 * 30},
        {"project_id": seed.projects["ops"], "name": "Ops", "color": "#f97316",
         "profile": "work", "created_at": _T0 - 86400 * 20},
        {"project_id": seed.projects["cron"], "name": "Cron Jobs", "color": "#6366f1",
         "profile": "default", "created_at": _T0 - 86400 * 10},
        # Written before projects had profiles (#1614): the first load tags it (S5.2).
        {"project_id": seed.projects["reading"], "name": "Reading list", "color": None,
         "created_at": _T0 - 86400 * 40},
    ])

    seed.sessions = {
        "payments": "4f1c2a9b7d30", "kyoto": "8e2d5f1a6b44", "research": "b71e09c3d2a8",
        "deploy": "2c9a7e4f1b05", "quarterly": "5a0b3c7d9e11", "cluster": "d3f8a1c6e972",
        "telegram": "61aa0e5c93f7", "draft": "0e5b7c2d4a19", "corrupt": "c0ffee5e1d02",
    }
    command = json.dumps({"command": "pytest -q tests/test_retry.py"})
    tool_call = {"id": "call_7Qm2", "type": "function",
                 "function": {"name": "terminal", "arguments": command}}
    payments_messages = _messages(
        ("user", ("The payment retry loop double-charges when the gateway times out. "
                  "Can you refactor it?")),
        ("assistant", "Let me run the retry tests first."),
        ("tool", "3 failed, 12 passed in 1.84s"),
        ("assistant", ("The loop retries after a timeout without checking the idempotency key. "
                       "I moved the key check before the retry and the tests pass now.")),
        start=_T0 - 3600 * 5,
    )
    payments_messages[1]["tool_calls"] = [tool_call]
    payments_messages[2].update(tool_call_id="call_7Qm2", name="terminal")
    records = [
        _session_file({
            "session_id": seed.sessions["payments"], "title": "Refactor the payment retry loop",
            "workspace": str(code_workspace), "model_provider": "anthropic",
            "created_at": _T0 - 3600 * 5, "updated_at": _T0 - 3600 * 4,
            "project_id": seed.projects["billing"], "profile": "default",
            "input_tokens": 18234, "output_tokens": 2211, "estimated_cost": 0.087867,
            "context_length": 200000, "threshold_tokens": 160000, "last_prompt_tokens": 9120,
            "gateway_routing": {"provider": "anthropic", "model": "claude-sonnet-4.5"},
            "gateway_routing_history": [{"provider": "anthropic", "model": "claude-sonnet-4.5",
                                         "at": _T0 - 3600 * 5 + 31}],
            "llm_title_generated": True, "messages": payments_messages,
            "context_messages": [{"role": "user",
                                  "content": "The payment retry loop double-charges"}],
        }),
        _session_file({
            "session_id": seed.sessions["kyoto"], "title": "Kyoto trip ideas",
            "workspace": str(notes_workspace), "model": "openai/gpt-5.4-mini",
            "model_provider": "openai", "created_at": _T0 - 86400 * 3,
            "updated_at": _T0 - 86400 * 3 + 90, "pinned": True, "profile": "default",
            "personality": "concise",
            "messages": _messages(("user", "Three quiet temples in Kyoto for a rainy day?"),
                                  ("assistant", "Honen-in, Gio-ji and Sanzen-in (in Ohara)."),
                                  start=_T0 - 86400 * 3),
        }),
        _session_file({
            "session_id": seed.sessions["research"], "title": "Old research notes",
            "workspace": str(notes_workspace), "created_at": _T0 - 86400 * 60,
            "updated_at": _T0 - 86400 * 59, "archived": True, "profile": "default",
            "messages": _messages(("user", "Summarise the CRDT paper in five bullets."),
                                  ("assistant", "1. Convergence without coordination..."),
                                  start=_T0 - 86400 * 60),
        }),
        _session_file({
            "session_id": seed.sessions["deploy"], "title": "Deploy checklist",
            "workspace": str(code_workspace), "created_at": _T0 - 7200,
            "updated_at": _T0 - 7000, "project_id": seed.projects["ops"], "profile": "work",
            "messages": _messages(("user", "Write a deploy checklist for the payments service."),
                                  ("assistant", "1. Freeze merges. 2. Run migrations..."),
                                  start=_T0 - 7200),
        }),
        _session_file({
            "session_id": seed.sessions["quarterly"], "title": "Quarterly report draft",
            "workspace": str(notes_workspace), "created_at": _T0 - 86400 * 8,
            "updated_at": _T0 - 86400 * 8 + 400, "project_id": seed.projects["reading"],
            "profile": "work",
            "messages": _messages(("user", "Outline the Q2 report."),
                                  ("assistant", "Revenue, churn, hiring, roadmap."),
                                  start=_T0 - 86400 * 8),
        }),
        # An early file: the workspace was saved empty (S8.7), no provider, no profile.
        _session_file({
            "session_id": seed.sessions["cluster"], "title": "Cluster questions",
            "workspace": "", "model": "openai/gpt-5.4-mini", "created_at": _T0 - 86400 * 20,
            "updated_at": _T0 - 86400 * 20 + 60,
            "messages": _messages(("user", "Why does my service return 502 behind the ingress?"),
                                  ("assistant",
                                   "Check the Kubernetes ingress health-check path first."),
                                  start=_T0 - 86400 * 20),
        }),
        # A Telegram chat imported by the Web UI: its identity lives in group 3 (S1.4, S8.6).
        _session_file({
            "session_id": seed.sessions["telegram"], "title": "Grocery list",
            "workspace": str(notes_workspace), "model": "openai/gpt-5.4-mini",
            "created_at": _T0 - 86400, "updated_at": _T0 - 86400 + 300, "profile": "default",
            "is_cli_session": True, "source_tag": "telegram", "raw_source": "telegram",
            "session_source": "messaging", "source_label": "Telegram",
            "messages": _messages(("user", "add oat milk and lemons"),
                                  ("assistant", "Added oat milk and lemons."),
                                  start=_T0 - 86400),
        }, extra={"user_id": "48151623", "chat_id": "48151623", "chat_type": "dm",
                  "thread_id": None, "session_key": "agent:main:telegram:dm:48151623",
                  "platform": "telegram"}),
        # New Conversation clicked, nothing sent: hidden from every list (S6.6).
        _session_file({
            "session_id": seed.sessions["draft"], "workspace": str(seed.default_workspace),
            "created_at": _T0 - 600, "updated_at": _T0 - 600, "profile": "default",
        }),
    ]
    corrupt = _session_file({
        "session_id": seed.sessions["corrupt"], "title": "Half-written session",
        "workspace": str(code_workspace), "created_at": _T0 - 86400 * 2,
        "updated_at": _T0 - 86400 * 2 + 50, "profile": "default",
        "messages": _messages(("user", "Explain the outbox pattern."),
                              ("assistant",
                               "Write the event and the state change in one transaction."),
                              start=_T0 - 86400 * 2),
    })
    for record in records:
        _write_json(seed.session_dir / f"{record['session_id']}.json", record)
    corrupt_text = json.dumps(corrupt, ensure_ascii=False, indent=2)
    (seed.session_dir / f"{seed.sessions['corrupt']}.json").write_text(
        corrupt_text[: len(corrupt_text) // 2], encoding="utf-8")  # cut mid-write
    rows = sorted((_index_row(record) for record in [*records, corrupt]),
                  key=lambda row: row["updated_at"], reverse=True)
    _write_json(seed.session_dir / "_index.json", rows)
    return seed


# ── the host app ─────────────────────────────────────────────────────────────────────────────


def copy_host(destination: Path, models: Path | None) -> Path:
    """A writable copy of the Web UI (without its tests), with ``api/models.py`` replaced by
    ``models`` when given."""
    shutil.copytree(WEBUI_SOURCE, destination,
                    ignore=shutil.ignore_patterns("tests", "__pycache__", ".git", "docs"))
    if models is not None:
        shutil.copyfile(models, destination / "api" / "models.py")
    return destination


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    return int(_processes.free_port())


@dataclass
class Reply:
    """One HTTP answer: status, decoded JSON (None if the body is not JSON) and raw text."""

    status: int
    body: Any
    text: str

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.text[:300]!r})"


class HostServer:
    """``server.py`` of one host copy, on 127.0.0.1 and a free port, with a private HOME and
    state dir; its stdout and stderr go to ``log``. Stopped by process group."""

    def __init__(self, name: str, host_dir: Path, seed: Seed) -> None:
        self.name = name
        self.host_dir = host_dir
        self.seed = seed
        self.port = free_port()
        self.log = seed.root / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(_INHERITED_PREFIXES_TO_DROP)}
        env.update({
            "HOME": str(self.seed.home),
            "HERMES_WEBUI_HOST": "127.0.0.1",
            "HERMES_WEBUI_PORT": str(self.port),
            "HERMES_WEBUI_STATE_DIR": str(self.seed.state_dir),
            "HERMES_HOME": str(self.seed.hermes_home),
            "HERMES_BASE_HOME": str(self.seed.hermes_home),
            "HERMES_CONFIG_PATH": str(self.seed.hermes_home / "config.yaml"),
            "HERMES_WEBUI_DEFAULT_WORKSPACE": str(self.seed.default_workspace),
            "HERMES_WEBUI_CLAUDE_PROJECTS_DIR": str(self.seed.claude_projects),
            "HERMES_WEBUI_PASSWORD": "",  # auth off, as the host's own test server runs
            "HERMES_WEBUI_TEST_NETWORK_BLOCK": "1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
        })
        return env

    def start(self, timeout: float = 60) -> None:
        """Start the server and wait for ``/health``; raise with the log's tail if it dies."""
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "server.py"], cwd=self.host_dir, env=self.environment(),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_processes.die_with_parent)  # noqa: PLW1509  only prctl, no locks
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} server exited with {self.process.returncode}:\n"
                                   f"{self.log_tail()}")
            try:
                if self.request("GET", "/health", timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} server did not answer /health in {timeout}s:\n"
                           f"{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM the server's process group, then SIGKILL if it lingers."""
        process, self.process = self.process, None
        _processes.stop_process(process)

    def request(self, method: str, path: str, body: Any = None, *, profile: str | None = None,
                timeout: float = 30) -> Reply:
        """One request without proxies or compression; ``profile`` goes in the profile cookie."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if profile is not None:
            headers["Cookie"] = f"hermes_profile={profile}"
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers,
                                         method=method)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        text = raw.decode("utf-8", errors="replace")
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        return Reply(status, decoded, text)

    def log_tail(self, lines: int = 30) -> str:
        """The last lines the server wrote after its start-up banner."""
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return f"(no log at {self.log})"
        banner_end = max((i for i, line in enumerate(text)
                          if "listening on" in line or "Then open:" in line), default=-1)
        tail = text[banner_end + 1:] if banner_end >= 0 else text
        shown: list[str] = []
        repeats = 0
        for line in tail:
            if line.startswith("[webui] {") and '"status": 5' not in line:
                continue  # one line per request: only the failed ones help
            line = line if len(line) <= 300 else line[:297] + "..."
            if shown and line == shown[-1]:
                repeats += 1
                continue
            if repeats:
                shown.append(f"    (the line above {repeats} more times)")
                repeats = 0
            shown.append(line)
        if repeats:
            shown.append(f"    (the line above {repeats} more times)")
        shown = shown[-lines:]
        return f"--- last {len(shown)} lines of {self.log} ---\n" + "\n".join(shown)


# ── comparing answers ────────────────────────────────────────────────────────────────────────


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Difference:
    """One place where two JSON documents differ; ``MISSING`` marks an absent key or item."""

    path: tuple[Any, ...]
    original: Any
    ours: Any

    @property
    def field(self) -> Any:
        return self.path[-1] if self.path else None

    def __str__(self) -> str:
        where = "".join(f"[{p!r}]" for p in self.path) or "(top)"
        return f"{where}: original={short(self.original)} ours={short(self.ours)}"


def short(value: Any) -> str:
    """``repr`` cut to 200 characters, for failure messages."""
    return _short_text(repr(value))


def _short_text(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


#: Keys that identify the items of a list of records (sidebar rows, projects).
_RECORD_KEYS = ("session_id", "project_id")


def differences(original: Any, ours: Any, path: tuple[Any, ...] = ()) -> list[Difference]:
    """Every leaf where two JSON values differ. Types count (``1`` is not ``1.0`` nor
    ``True``); object key order does not (JSON objects are unordered). Lists of records are
    matched by id (path step ``id=<id>``), and their order is one more step, ``<order>``."""
    if isinstance(original, dict) and isinstance(ours, dict):
        found: list[Difference] = []
        for key in [*original, *(k for k in ours if k not in original)]:
            found += differences(original.get(key, MISSING), ours.get(key, MISSING), (*path, key))
        return found
    if isinstance(original, list) and isinstance(ours, list):
        record_key = _record_key(original, ours)
        if record_key:
            return _record_differences(original, ours, path, record_key)
        found = []
        for index in range(max(len(original), len(ours))):
            found += differences(original[index] if index < len(original) else MISSING,
                                 ours[index] if index < len(ours) else MISSING, (*path, index))
        return found
    if type(original) is not type(ours) or original != ours:
        return [Difference(path, original, ours)]
    return []


def _record_key(original: list[Any], ours: list[Any]) -> str | None:
    items = [*original, *ours]
    for key in _RECORD_KEYS:
        if items and all(isinstance(item, dict) and isinstance(item.get(key), str)
                         for item in items):
            ids = [item[key] for item in original]
            our_ids = [item[key] for item in ours]
            if len(set(ids)) == len(ids) and len(set(our_ids)) == len(our_ids):
                return key
    return None


def _record_differences(original: list[dict[str, Any]], ours: list[dict[str, Any]],
                        path: tuple[Any, ...], key: str) -> list[Difference]:
    by_id = {item[key]: item for item in original}
    our_by_id = {item[key]: item for item in ours}
    found: list[Difference] = []
    for record_id in [*by_id, *(i for i in our_by_id if i not in by_id)]:
        found += differences(by_id.get(record_id, MISSING), our_by_id.get(record_id, MISSING),
                             (*path, f"id={record_id}"))
    shared = [i for i in by_id if i in our_by_id]
    our_shared = [i for i in our_by_id if i in by_id]
    if shared != our_shared:
        found.append(Difference((*path, "<order>"), shared, our_shared))
    return found


class Normaliser:
    """Rewrites what legitimately differs between the two runs into the same placeholder:
    each copy's absolute root, ids minted during the run, and times stamped during the run."""

    #: Keys whose numbers are times; a value inside the run window was stamped by a write
    #: during this run and becomes ``<now>`` (seeded times are months older).
    TIME_KEYS = frozenset({"created_at", "updated_at", "last_message_at", "pending_started_at",
                           "server_time", "started_at"})

    def __init__(self, run_started: float) -> None:
        self.run_started = run_started
        self._texts: list[tuple[str, str]] = []

    def alias(self, value: str, placeholder: str) -> None:
        """Replace ``value`` (a path, a fresh id) by ``placeholder`` wherever it occurs."""
        if value and (value, placeholder) not in self._texts:
            self._texts.append((value, placeholder))
            self._texts.sort(key=lambda pair: len(pair[0]), reverse=True)

    def __call__(self, value: Any, key: Any = None) -> Any:
        if isinstance(value, dict):
            return {self._text(k) if isinstance(k, str) else k: self(v, k)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self(item, key) for item in value]
        if isinstance(value, str):
            return self._text(value)
        if (key in self.TIME_KEYS and isinstance(value, (int, float))
                and not isinstance(value, bool) and self.run_started <= value <= time.time() + 5):
            return "<now>"
        return value

    def expand(self, value: Any) -> Any:
        """The reverse: put this server's own values back in place of placeholders."""
        if isinstance(value, dict):
            return {k: self.expand(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.expand(item) for item in value]
        if isinstance(value, str):
            seen = set()
            for original, placeholder in self._texts:
                if placeholder in value and placeholder not in seen:
                    seen.add(placeholder)
                    value = value.replace(placeholder, original)
        return value

    def _text(self, text: str) -> str:
        for value, placeholder in self._texts:
            if value in text:
                text = text.replace(value, placeholder)
        return text


# ── the pair ─────────────────────────────────────────────────────────────────────────────────


@dataclass
class Exchange:
    """The same request sent to both servers, and both answers as sent and normalised."""

    label: str
    original: Reply
    ours: Reply
    original_body: Any
    our_body: Any


class ServerPair:
    """The original and our Web UI, each on its own copy of one seed; requests go to both in
    the same order, and answers are normalised so that only real differences remain."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.seed = seed_hermes_home(base / "seed")
        self.run_started = time.time()
        self.servers: dict[str, HostServer] = {}
        self.normalisers: dict[str, Normaliser] = {}
        self._fresh = 0
        for name, models in (("original", None), ("ours", OUR_MODELS)):
            copy = self.seed.relocated(base / name / "data")
            shutil.copytree(self.seed.root, copy.root, symlinks=True)
            host = copy_host(base / name / "webui", models)
            self.servers[name] = HostServer(name, host, copy)
            normaliser = Normaliser(self.run_started)
            for path, placeholder in ((base / name, "<copy>"), (self.seed.root, "<seed>")):
                normaliser.alias(str(path), placeholder)
                normaliser.alias(str(path.resolve()), placeholder)
            normaliser.alias(copy.claude_session_id(), "<claude_code id>")
            self.normalisers[name] = normaliser

    @property
    def original(self) -> HostServer:
        return self.servers["original"]

    @property
    def ours(self) -> HostServer:
        return self.servers["ours"]

    def start(self) -> None:
        for server in self.servers.values():
            server.start()

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()

    def call(self, method: str, path: str, body: Any = None, *,
             profile: str | None = None) -> Exchange:
        """Send one request to the original, then the same to ours; fresh-id placeholders in
        ``path`` and ``body`` become each server's own id."""
        replies = {}
        for name, server in self.servers.items():
            expand = self.normalisers[name].expand
            replies[name] = server.request(method, expand(path), expand(body), profile=profile)
        original, ours = replies["original"], replies["ours"]
        label = _short_text(f"{method} {path}")
        if profile is not None:
            label += f" (profile cookie {profile!r})"
        return Exchange(label, original, ours, self.normalisers["original"](original.body),
                        self.normalisers["ours"](ours.body))

    def alias_fresh(self, original_value: str, our_value: str, kind: str) -> str:
        """Name a value each server minted on its own (a new id) with one shared placeholder."""
        self._fresh += 1
        placeholder = f"<fresh {kind} {self._fresh}>"
        self.normalisers["original"].alias(original_value, placeholder)
        self.normalisers["ours"].alias(our_value, placeholder)
        return placeholder

    def log_tails(self, lines: int = 30) -> str:
        return "\n".join(server.log_tail(lines) for server in self.servers.values())
