#!/usr/bin/env python
"""Issue 13's hostile cases, each built in a temporary Hermes home, measured before and after.

Every case starts from the same home: three Web UI sessions, the agent's ``state.db`` (a copy
of ``tests/fixtures/agent_state_db/real_small.db``, the agent's real schema) and a Claude Code
projects folder (a copy of ``tests/fixtures/claude_code``). The case then adds its hostile
file or environment and runs the commands it needs (``hermes-sessions list --json``, and
``show``, ``search`` or a few lines of Python where the case is a save, a delete or a
``repr``), each in a child process with a timeout. A fresh copy of the home is built for every
case and every source tree, so no run sees another's writes.

One row per case and tree: the wall time and peak RSS of the case's first command (the one the
issue measured; ``os.wait4`` gives each child's own peak), the rows ``list --json`` showed
(total, then Web UI / agent / Claude Code), the exit status, and what the case checks (was the
other session overwritten, which mode did the index get...). A child still running at the
timeout is killed and shown as ``hung > N s``. Nothing is asserted: these are figures.

Source trees run side by side in one run: the working tree this script belongs to ("after"),
plus ``--before REV`` (a git worktree of REV, made in a temporary folder and removed at the end)
and any ``--tree PATH``, each put first on ``PYTHONPATH`` (``PATH`` and its four plugin
folders). The 1 GB junk index of finding 7 is built only with ``--big``; by default it is
64 MiB, which the header states. Usage::

    python bench/bench_hostile.py [--before HEAD] [--tree PATH] [--timeout 30] [--big]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from source_trees import Tree, worktree  # noqa: E402  (beside this script)

from hermes_sessions_core.testing.samples import chat, encode_original, original_record  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures"
AGENT_SESSION = "20261123_212026_e3f24c"  # a session of real_small.db
WEB_SESSIONS = ("websess0001", "websess0002", "websess0003")
SECRET = "S3-SECRET-do-not-print-0123456789"
MIB = 1024 * 1024


# ── one child process ────────────────────────────────────────────────────────────────────────

@dataclass
class Run:
    seconds: float
    peak_rss_kb: int
    status: int | None  # None: hung and killed
    stdout: bytes
    stderr: str

    @property
    def hung(self) -> bool:
        return self.status is None


#: Starts one measured child and waits for it. A fresh, small interpreter: Linux counts the
#: RSS a process had when it forked into its child's ``ru_maxrss``, so children forked by this
#: script (which grows while it builds 80 MB of titles) would inherit its size.
_LAUNCHER = r"""
import json, os, signal, subprocess, sys, time
spec = json.loads(sys.argv[1])

def as_nobody():
    os.setgid(65534)
    os.setuid(65534)

with open(spec["stdout"], "wb") as out, open(spec["stderr"], "wb") as err:
    started = time.perf_counter()
    child = subprocess.Popen(spec["argv"], env=spec["env"], cwd=spec["cwd"], stdout=out,
                             stderr=err, start_new_session=True,
                             preexec_fn=as_nobody if spec["nobody"] else None)
    deadline = started + spec["timeout"]
    hung = False
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            seconds = time.perf_counter() - started
            break
        if time.perf_counter() > deadline:
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _pid, status, usage = os.wait4(child.pid, 0)
            seconds, hung = spec["timeout"], True
            break
        time.sleep(0.005)
    child.returncode = 0  # reaped by wait4 above
print(json.dumps({"seconds": seconds, "peak_rss_kb": usage.ru_maxrss,
                  "status": None if hung else os.waitstatus_to_exitcode(status)}))
"""


def _as_nobody(argv: list[str], env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The command for a child run as nobody: this interpreter may sit in a folder only root
    enters (a venv under /root), so use the system's of the same version with this one's
    site-packages."""
    name = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for folder in ("/usr/bin", "/usr/local/bin"):
        candidate = Path(folder) / name
        if candidate.exists() and candidate.stat().st_mode & 0o001:
            path = os.pathsep.join([env.get("PYTHONPATH", ""), sysconfig.get_paths()["purelib"]])
            return [str(candidate), *argv[1:]], {**env, "PYTHONPATH": path.strip(os.pathsep)}
    raise RuntimeError(f"no {name} that nobody may run, for a case that needs a plain user")


def run_child(argv: list[str], env: dict[str, str], cwd: Path, timeout: float,
              unprivileged: bool = False) -> Run:
    """Run ``argv`` alone and measure it: wall time, its own peak RSS (``wait4``), status.

    ``unprivileged`` runs it as nobody when this script runs as root, whom no permission stops.
    """
    nobody = unprivileged and os.geteuid() == 0
    if nobody:
        argv, env = _as_nobody(argv, env)
    with tempfile.TemporaryDirectory() as folder:
        spec = {"argv": argv, "env": env, "cwd": str(cwd), "timeout": timeout, "nobody": nobody,
                "stdout": f"{folder}/stdout", "stderr": f"{folder}/stderr"}
        launched = subprocess.run([sys.executable, "-c", _LAUNCHER, json.dumps(spec)],
                                  capture_output=True, text=True)
        if launched.returncode != 0:
            raise RuntimeError(f"the launcher failed: {launched.stderr.strip()[-300:]}")
        figures = json.loads(launched.stdout)
        return Run(figures["seconds"], figures["peak_rss_kb"], figures["status"],
                   Path(spec["stdout"]).read_bytes(),
                   Path(spec["stderr"]).read_bytes().decode(errors="replace"))


# ── the home every case starts from ──────────────────────────────────────────────────────────

@dataclass
class Home:
    root: Path

    @property
    def hermes(self) -> Path:
        return self.root / "hermes"

    @property
    def sessions(self) -> Path:
        return self.hermes / "webui" / "sessions"

    @property
    def state_db(self) -> Path:
        return self.hermes / "state.db"

    @property
    def claude(self) -> Path:
        return self.root / "claude"

    @property
    def user_home(self) -> Path:
        return self.root / "user-home"

    def write_session(self, record: dict[str, Any], name: str | None = None) -> Path:
        path = self.sessions / f"{name or record['session_id']}.json"
        path.write_bytes(encode_original(record))
        return path


def build_home(root: Path) -> Home:
    home = Home(root)
    home.sessions.mkdir(parents=True)
    home.user_home.mkdir()
    shutil.copy(FIXTURES / "agent_state_db" / "real_small.db", home.state_db)
    shutil.copytree(FIXTURES / "claude_code", home.claude, ignore=shutil.ignore_patterns("*.md"))
    for number, session_id in enumerate(WEB_SESSIONS):
        home.write_session(original_record(session_id, chat(4, start=1700000000.0 + number * 100),
                                           title=f"Web session {number + 1}"))
    return home


def _claude_id(path: Path) -> str:
    return "claude_code_" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:24]


def cli(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "hermes_sessions_core.cli", *arguments]


def python(snippet: str, *arguments: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(snippet), *arguments]


def with_store(body: str, *arguments: str) -> list[str]:
    """A few lines of Python after ``store = SessionStore(...)`` and a ``report(**facts)``."""
    return [sys.executable, "-c", _STORE + textwrap.dedent(body), *arguments]


LIST = cli("list", "--json")

#: Prints one JSON line; argv[1] is the Hermes home. Used where a case is not a command.
_STORE = """
import json, sys
from hermes_sessions_core import Locations, SessionStore
store = SessionStore(Locations.from_environment())
def report(**facts):
    print("BENCH " + json.dumps(facts))
"""


# ── the cases ────────────────────────────────────────────────────────────────────────────────

@dataclass
class Plan:
    """What a case runs, and how to read the outcome."""

    steps: list[tuple[str, list[str]]]
    env: dict[str, str] = field(default_factory=dict)
    without: tuple[str, ...] = ()  # variables to leave out of the child's environment
    check: Callable[[dict[str, Run], Home], str] | None = None
    hold: Callable[[Home], contextlib.AbstractContextManager[Any]] | None = None
    unprivileged: bool = False


def _facts(run: Run) -> dict[str, Any]:
    for line in run.stdout.decode(errors="replace").splitlines():
        if line.startswith("BENCH "):
            return dict(json.loads(line[len("BENCH "):]))
    return {}


def _first_error(run: Run) -> str:
    """The gist of stderr: a crash's last line, a logged traceback's, or the first line."""
    lines = [re.sub(r"(.)\1{40,}", r"\1\1\1…", line.strip())
             for line in run.stderr.splitlines() if line.strip()]
    if not lines:
        return "-"
    if any(line.startswith("Traceback") for line in lines):
        kind = "logged" if run.status == 0 else "crashed"
        return f"{kind}: " + lines[-1][:70]
    return lines[0][:80]


def case_clean(home: Home, options: argparse.Namespace) -> Plan:
    return Plan([("list", LIST)])


def case_fifo(home: Home, options: argparse.Namespace) -> Plan:
    os.mkfifo(home.sessions / "x.json")
    return Plan([("list", LIST)])


def case_deep(home: Home, options: argparse.Namespace) -> Plan:
    record = original_record("deep00000001", [
        {"role": "user", "content": "@@RAW@@", "timestamp": 1700001000.0}], title="Deep")
    data = encode_original(record).replace(b'"@@RAW@@"', b"[" * 1100 + b"1" + b"]" * 1100)
    (home.sessions / "deep00000001.json").write_bytes(data)
    return Plan([("list", LIST)])


def case_home(home: Home, options: argparse.Namespace) -> Plan:
    for folder, _folders, files in os.walk(home.root):  # readable by the unprivileged child
        os.chmod(folder, 0o777)
        for name in files:
            os.chmod(Path(folder) / name, 0o666)
    locked = home.user_home / "inside"
    locked.mkdir()
    home.user_home.chmod(0o000)
    return Plan([("list", LIST)], env={"HOME": str(locked)},
                without=("HERMES_WEBUI_CLAUDE_PROJECTS_DIR",), unprivileged=True,
                check=lambda runs, home: _first_error(runs["list"]))


def case_copied(home: Home, options: argparse.Namespace) -> Plan:
    shutil.copy(home.sessions / "websess0001.json", home.sessions / "copied000001.json")
    original = (home.sessions / "websess0001.json").read_bytes()
    save = with_store("""
    session = store.get("copied000001")
    session.title = "renamed copy"
    session.save()
    report(saved_as=session.session_id)
    """)

    def check(runs: dict[str, Run], home: Home) -> str:
        kept = (home.sessions / "websess0001.json").read_bytes() == original
        saved = _facts(runs["save"]).get("saved_as", "?")
        return f"saved as {saved}; other file {'kept' if kept else 'OVERWRITTEN'}"

    return Plan([("save", save), ("list", LIST)], check=check)


def case_not_a_list(home: Home, options: argparse.Namespace) -> Plan:
    record = original_record("notalist0001", [], title="Messages not a list")
    record["messages"] = {"0": {"role": "user", "content": "kept?"}}
    home.write_session(record)
    rename = with_store("""
    session = store.get("notalist0001")
    session.title = "renamed"
    session.save()
    report(ok=True)
    """)

    def check(runs: dict[str, Run], home: Home) -> str:
        path = home.sessions / "notalist0001.json"
        stored = json.loads(path.read_bytes()).get("messages")
        copies = [p for p in home.sessions.glob("notalist0001.json.*")
                  if p.name.endswith(".bak") or ".corrupt." in p.name]
        original = [p.name.split(".json.", 1)[1].split(".", 1)[0] for p in copies
                    if json.loads(p.read_bytes()).get("messages") == record["messages"]]
        if runs["rename"].status != 0:
            return f"rename refused: {_first_error(runs['rename'])}"
        kept = "messages kept" if stored == record["messages"] else f"messages now {stored!r}"
        return f"{kept}; original bytes {'kept as .' + original[0] if original else 'LOST'}"

    return Plan([("rename", rename), ("list", LIST)], check=check)


def case_locked(home: Home, options: argparse.Namespace) -> Plan:
    with contextlib.closing(sqlite3.connect(home.state_db, isolation_level=None)) as connection:
        connection.execute("PRAGMA journal_mode=DELETE")  # a lock readers wait on

    @contextlib.contextmanager
    def hold(home: Home) -> Iterator[None]:
        connection = sqlite3.connect(home.state_db, isolation_level=None)
        connection.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()

    def check(runs: dict[str, Run], home: Home) -> str:
        show = runs["show"]
        verdict = "hung" if show.hung else f"exit {show.status}, {show.seconds:.1f} s"
        return f"show <agent id>: {verdict}; {_first_error(show)}"

    return Plan([("list", LIST), ("show", cli("show", AGENT_SESSION))], hold=hold, check=check)


def case_junk_index(home: Home, options: argparse.Namespace) -> Plan:
    size = 1024 * MIB if options.big else 64 * MIB
    chunk = b'{"session_id": "junk", "title": "' + b"junk " * 2000
    with open(home.sessions / "_index.json", "wb") as stream:
        stream.write(b"[")
        written = 1
        while written < size:
            part = chunk[: size - written]
            stream.write(part)
            written += len(part)
    return Plan([("list", LIST)], check=lambda runs, home: f"_index.json {size // MIB} MiB")


def case_agent_titles(home: Home, options: argparse.Namespace) -> Plan:
    padding = "t" * (10 * 1000 * 1000)
    with contextlib.closing(sqlite3.connect(home.state_db, isolation_level=None)) as connection:
        for number in range(8):
            session_id = f"20991231_00000{number}_bigttl"
            title = f"{number} {padding}"  # the agent keeps titles unique
            connection.execute(
                "INSERT INTO sessions(id, source, model, started_at, message_count, title) "
                "VALUES (?, 'cli', 'gpt-test', ?, 1, ?)",
                (session_id, 4070908800.0 + number, title))
            connection.execute(
                "INSERT INTO messages(session_id, role, content, timestamp) VALUES (?, 'user', "
                "'hello', ?)", (session_id, 4070908801.0 + number))
    return Plan([("list", LIST)],
                check=lambda runs, home: f"stdout {len(runs['list'].stdout) / 1e6:.1f} MB")


def case_long_id(home: Home, options: argparse.Namespace) -> Plan:
    long_id = "a" * 10_000
    delete = with_store("""
    try:
        result = store.delete(sys.argv[1])
        report(outcome=f"returned {result!r}")
    except Exception as error:
        report(outcome=f"{type(error).__name__}")
    """, long_id)

    def check(runs: dict[str, Run], home: Home) -> str:
        tombstones = home.sessions / "_tombstones.json"
        written = tombstones.exists() and long_id in tombstones.read_text(errors="replace")
        shown = _first_error(runs["get"])
        return (f"show: {shown[:50]}; delete: {_facts(runs['delete']).get('outcome', '?')}; "
                f"tombstone {'WRITTEN' if written else 'none'}")

    return Plan([("get", cli("show", long_id)), ("delete", delete), ("list", LIST)], check=check)


def case_string_boolean(home: Home, options: argparse.Namespace) -> Plan:
    home.write_session(original_record("archivedno01", chat(2, start=1700005000.0),
                                       title="Archived no", archived="no"))

    def check(runs: dict[str, Run], home: Home) -> str:
        rows = _rows(runs["list"]) or []
        listed = any(row.get("session_id") == "archivedno01" for row in rows)
        return f'archived "no": {"listed" if listed else "HIDDEN"}'

    return Plan([("list", LIST)], check=check)


def case_secret(home: Home, options: argparse.Namespace) -> Plan:
    snippet = """
    import json, logging, sys
    from hermes_sessions_core import Locations, SessionStore
    secret = sys.argv[1]
    store = SessionStore(Locations.from_environment(), settings={"json_fs": {"storage_options": {
        "key": "AKIDEXAMPLE", "secret": secret, "endpoint_url": "http://127.0.0.1:9"}}})
    text = repr(store.context())
    print("BENCH " + json.dumps({"in_repr": secret in text}))
    """

    def check(runs: dict[str, Run], home: Home) -> str:
        found = _facts(runs["repr"]).get("in_repr")
        return {True: "secret IN repr", False: "secret not in repr"}.get(found, "?")

    return Plan([("repr", python(snippet, SECRET)), ("list", LIST)], check=check)


def case_search_copy(home: Home, options: argparse.Namespace) -> Plan:
    def check(runs: dict[str, Run], home: Home) -> str:
        folder = home.hermes / "webui" / "search"
        if not folder.is_dir():
            return "no search folder"
        modes = sorted({oct(entry.stat().st_mode & 0o777)[2:] for entry in folder.iterdir()})
        return f"search/ {oct(folder.stat().st_mode & 0o777)[2:]}, files {','.join(modes)}"

    return Plan([("search", cli("search", "message", "--json")), ("list", LIST)], check=check)


SLOW_PLUGIN = """
import time
from hermes_sessions_core import SourceInfo, hookimpl

@hookimpl
def hermes_sessions_source_info():
    time.sleep(3)
    return SourceInfo(name="sluggish", label="Sluggish", writable=False, id_prefixes=("slug_",))
"""
TYPO_PLUGIN = """
from hermes_sessions_core import SourceInfo, hookimpl

@hookimpl
def hermes_sessions_source_info():
    return SourceInfo(name="typo", label="Typo", writable=False, id_prefixes=("typo_",))

@hookimpl
def hermes_sessions_list_row(request):
    return None
"""


def case_plugins(home: Home, options: argparse.Namespace) -> Plan:
    site = home.root / "site"
    for dist, name, source in (("bench-slow", "benchslow", SLOW_PLUGIN),
                               ("bench-typo", "benchtypo", TYPO_PLUGIN)):
        info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[hermes_sessions.plugins]\n{name} = {name}_mod\n")
        (site / f"{name}_mod.py").write_text(textwrap.dedent(source))

    def check(runs: dict[str, Run], home: Home) -> str:
        try:
            report = json.loads(runs["plugins"].stdout)
        except ValueError:
            return _first_error(runs["plugins"])
        said = {}
        for entry in report:
            if entry.get("plugin") in ("benchslow", "benchtypo"):
                hook = entry.get("hook", "").replace("hermes_sessions_", "")
                said[entry["plugin"]] = entry["status"] + (f" in {hook}" if hook else "")
        return f"slow: {said.get('benchslow', '?')}; typo: {said.get('benchtypo', '?')}"

    return Plan([("plugins", cli("plugins", "--json", "--no-probe", "--timeout", "0.3")),
                 ("list", LIST)],
                env={"HERMES_SESSIONS_CALL_TIMEOUT": "0.3", "PYTHONPATH+": str(site)}, check=check)


def case_long_last_line(home: Home, options: argparse.Namespace) -> Plan:
    folder = home.claude / "-tmp-long-line"
    folder.mkdir()
    session = "1a2b3c4d-0000-4000-8000-000000000014"
    path = folder / f"{session}.jsonl"
    records = [
        {"type": "user", "sessionId": session, "uuid": "u1", "timestamp": "2026-01-01T10:00:00Z",
         "cwd": "/tmp", "message": {"role": "user", "content": "summarise this log"}},
        {"type": "assistant", "sessionId": session, "uuid": "a1", "parentUuid": "u1",
         "timestamp": "2026-01-01T10:00:05Z", "cwd": "/tmp",
         "message": {"role": "assistant", "model": "claude-test",
                     "content": [{"type": "text", "text": "x" * (11 * MIB)}]}},
    ]
    path.write_bytes(b"".join(json.dumps(record).encode() + b"\n" for record in records))

    def check(runs: dict[str, Run], home: Home) -> str:
        try:
            shown = json.loads(runs["show"].stdout)
        except ValueError:
            return _first_error(runs["show"])
        return f"messages shown: {len(shown.get('messages', []))} of 2"

    return Plan([("show", cli("show", _claude_id(path), "--json")), ("list", LIST)], check=check)


CASES: list[tuple[str, str, Callable[[Home, argparse.Namespace], Plan]]] = [
    ("0", "clean home (reference)", case_clean),
    ("1", "FIFO x.json in the sessions folder", case_fifo),
    ("2", "session nested 1,100 levels deep", case_deep),
    ("3", "HOME the process cannot enter", case_home),
    ("4", "copied file (inner id != name), save", case_copied),
    ("5", "messages not a list, rename", case_not_a_list),
    ("6", "state.db locked by a writer", case_locked),
    ("7", "junk _index.json", case_junk_index),
    ("8", "8 agent titles of 10 MB", case_agent_titles),
    ("9", "10 KB id: show, then delete", case_long_id),
    ("10", 'archived: "no"', case_string_boolean),
    ("11", "repr(store.context()) with an S3 secret", case_secret),
    ("12", "search copies message text", case_search_copy),
    ("13", "plugins: slow source_info, misspelled hook", case_plugins),
    ("14", "Claude transcript, last line > 10 MB", case_long_last_line),
]


# ── running and printing ─────────────────────────────────────────────────────────────────────

def _rows(run: Run) -> list[dict[str, Any]] | None:
    try:
        return list(json.loads(run.stdout)["sessions"])
    except (ValueError, KeyError, TypeError):
        return None


def _rows_text(run: Run | None) -> str:
    rows = _rows(run) if run is not None and not run.hung else None
    if rows is None:
        return "-"
    web = sum(1 for row in rows if row.get("source_tag") is None)
    claude = sum(1 for row in rows if row.get("source_tag") == "claude_code")
    return f"{len(rows)} ({web}/{len(rows) - web - claude}/{claude})"


def environment(tree: Tree, home: Home, plan: Plan) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("HERMES_", "CLAUDE_", "PYTHON"))}
    env.update(HOME=str(home.user_home), HERMES_HOME=str(home.hermes),
               HERMES_WEBUI_CLAUDE_PROJECTS_DIR=str(home.claude), PYTHONPATH=tree.pythonpath)
    for key, value in plan.env.items():
        if key.endswith("+"):
            env[key[:-1]] = os.pathsep.join([env.get(key[:-1], ""), value]).strip(os.pathsep)
        else:
            env[key] = value
    for key in plan.without:
        env.pop(key, None)
    return env


def run_case(tree: Tree, build: Callable[[Home, argparse.Namespace], Plan], scratch: Path,
             options: argparse.Namespace) -> tuple[Run, Run | None, str]:
    folder = Path(tempfile.mkdtemp(dir=scratch))
    folder.chmod(0o755)
    home = build_home(folder / "case")
    plan = build(home, options)
    env = environment(tree, home, plan)
    runs: dict[str, Run] = {}
    try:
        with plan.hold(home) if plan.hold else contextlib.nullcontext():
            for label, argv in plan.steps:
                runs[label] = run_child(argv, env, home.root, options.timeout, plan.unprivileged)
        first = runs[plan.steps[0][0]]
        check = plan.check(runs, home) if plan.check else ""
        if not check and first.status not in (0, None):
            check = _first_error(first)
        return first, runs.get("list"), check
    finally:
        with contextlib.suppress(OSError):
            home.user_home.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


def warm_up(tree: Tree, scratch: Path) -> None:
    """One import per tree first, so no case pays for compiling the tree's modules."""
    env = {**os.environ, "PYTHONPATH": tree.pythonpath}
    subprocess.run([sys.executable, "-c", "import hermes_sessions_core.cli, "
                    "hermes_sessions_json_fs, hermes_sessions_agent_state_db, "
                    "hermes_sessions_claude_code, hermes_sessions_cron_projects"],
                   env=env, cwd=scratch, capture_output=True)


def print_table(results: list[tuple[str, str, list[tuple[Tree, Run, Run | None, str]]]],
                timeout: float) -> None:
    header = f"{'#':>2}  {'case':<42} {'tree':<18} {'time':>12} {'peak RSS':>9} " \
             f"{'rows (web/agent/claude)':>23} {'exit':>4}  check"
    print(header)
    print("-" * len(header))
    for number, title, measured in results:
        for index, (tree, first, listing, check) in enumerate(measured):
            time_text = f"hung > {timeout:g} s" if first.hung else f"{first.seconds:.2f} s"
            rss = f"{first.peak_rss_kb / 1024:.0f} MB"
            exit_text = "kill" if first.hung else str(first.status)
            label = tree.label if len(tree.label) <= 18 else tree.label[:17] + "…"
            print(f"{number if index == 0 else '':>2}  {title if index == 0 else '':<42} "
                  f"{label:<18} {time_text:>12} {rss:>9} {_rows_text(listing):>23} "
                  f"{exit_text:>4}  {check}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", metavar="REV",
                        help="also run a git worktree of REV (e.g. HEAD), side by side")
    parser.add_argument("--tree", metavar="PATH", action="append", default=[],
                        help="also run the source tree at PATH (repeatable)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds before a child counts as hung (default 30)")
    parser.add_argument("--big", action="store_true",
                        help="finding 7 with a 1 GiB junk _index.json (default 64 MiB)")
    parser.add_argument("--only", metavar="N", action="append", default=[],
                        help="run only case N (repeatable)")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as folder:
        scratch = Path(folder)
        scratch.chmod(0o755)  # the unprivileged child of case 3 must reach the trees
        with contextlib.ExitStack() as stack:
            trees: list[Tree] = []
            if options.before:
                before = stack.enter_context(worktree(options.before, scratch))
                if before is not None:
                    trees.append(before)
            trees += [Tree(str(Path(path)), Path(path).resolve()) for path in options.tree]
            trees.append(Tree("working tree", REPO))
            print(f"hermes-sessions, issue 13 hostile cases; {sys.executable}; child timeout "
                  f"{options.timeout:g} s; junk index {'1 GiB' if options.big else '64 MiB'} "
                  f"(--big for 1 GiB)")
            for tree in trees:
                print(f"  {tree.label}: {tree.root}")
                warm_up(tree, scratch)
            print("time and peak RSS are the case's first command; rows from its `list --json`")
            print()
            results = []
            for number, title, build in CASES:
                if options.only and number not in options.only:
                    continue
                measured = []
                for tree in trees:
                    try:
                        first, listing, check = run_case(tree, build, scratch, options)
                    except Exception as error:  # a case that cannot be built says so
                        first = Run(0.0, 0, -1, b"", "")
                        listing, check = None, f"case not run: {type(error).__name__}: {error}"
                    measured.append((tree, first, listing, check))
                results.append((number, title, measured))
            print_table(results, options.timeout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
