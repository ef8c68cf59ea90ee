#!/usr/bin/env python
"""Our library against the Web UI's original ``api/models.py``, side by side (issue 14).

The data is written by the original itself: a child process imports the original module with
its paths pointed into a temp dir and saves a few dozen sessions through its own
``new_session()`` / ``Session.save()`` (20 messages each, plus one of 5,000 messages); the large
sizes are reached by cloning those files under new ids, in the original's exact format, and
``_index.json`` is built from the original's own ``compact()`` rows. The notes say whether the
original, loading and re-saving a clone, writes the same bytes.

Every figure is timed in fresh children on their own copy of that state (hard links: both
sides write by temp file and rename, and the bench checks the master copy is untouched),
alternating original, ours, original, ours... ``--runs`` times; the table shows medians of CPU
(``time.process_time``, or the child's rusage for whole processes) and wall time, peak RSS from
``VmHWM`` or ``ru_maxrss``, ratios ours ÷ reference and the issue's target. "Ours" is the
drop-in (``examples/webui/api/models.py`` copied over ``api/models.py`` in a copy of the Web
UI), the library (``SessionStore``) and the ``hermes-sessions`` command. Usage::

    python bench/bench_vs_original.py [--sizes 1000,10000] [--runs 3] [--saves 10]
        [--only listing,first,decode,cli,metadata,save,memory,startup]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

MESSAGES_PER_SESSION = 20
BIG_SESSION_MESSAGES = 5000
SEED_SESSIONS = 36
MODEL = "anthropic/claude-sonnet-4"
RESULT_MARKER = "BENCH-RESULT "
FIGURES = ("listing", "first", "decode", "cli", "metadata", "save", "memory", "startup")
#: Above this size the original's full index rebuild is skipped (it loads every file).
REBUILD_CHECK_LIMIT = 20_000
_BENCH_DIR = Path(__file__).resolve().parent
_REPOSITORY = _BENCH_DIR.parent
DEFAULT_WEBUI = _REPOSITORY.parent / "shared" / "webui"
DEFAULT_OURS = _REPOSITORY / "examples" / "webui" / "api" / "models.py"


# ── code run by the children ─────────────────────────────────────────────────────────────────

#: Shared by every ``python -c`` child; it imports only gc, sys and time, so a child's import
#: figure carries the whole cost of what it imports afterwards.
CHILD_HELPERS = r'''
import gc
import sys
import time


def kib(name):
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def timed(function):
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    value = function()
    return [time.perf_counter() - wall, time.process_time() - cpu], value


def middle(values):
    values = sorted(values)
    half = len(values) // 2
    return values[half] if len(values) % 2 else (values[half - 1] + values[half]) / 2


def median(samples):
    return [middle([s[0] for s in samples]), middle([s[1] for s in samples])]


def report(out):
    import json
    print("BENCH-RESULT " + json.dumps(out), flush=True)
'''

#: Run in the original's checkout: seeds saved by the original, clones in its format, its index.
GENERATE_SOURCE = CHILD_HELPERS + r'''
import json
import os
import random

params = json.loads(sys.argv[1])
started = time.perf_counter()
import api.models as models  # noqa: E402

rng = random.Random(params["seed"])
now = time.time()
USER = [
    "Can you look at the failing test in tests/test_parser.py and explain why the tokenizer "
    "drops the trailing newline? Step {n}.",
    "Please add a --dry-run flag to the deploy script and document it (step {n}).",
    "Why does the cache miss on every request after a restart? Here is the log of step {n}.",
]
ASSISTANT = [
    "The tokenizer strips trailing whitespace before it splits lines, so the final newline "
    "never reaches the line counter. I changed `split_lines` to keep the terminator and added "
    "a regression test for an input ending in '\\n' (café, naïve, 東京 included). Step {n}. ",
    "Done: `deploy.sh --dry-run` prints every command instead of running it; README updated "
    "with an example. Step {n}.",
    "The cache key includes the process id, so a restart never hits. I dropped it from the "
    "key and kept it in the log line only. Step {n}.",
]
TITLES = ["Fix tokenizer newline handling", "Deploy script dry run", "Cache misses after restart",
          "Résumé parser — 東京 office", "Refactor the session sidebar"]


def messages_for(seed, count, start):
    out = []
    for n in range(count):
        if n % 2 == 0:
            out.append({"role": "user", "content": USER[seed % 3].format(n=n),
                        "timestamp": start + n * 30})
        elif seed % 2 and n % 6 == 5:
            out.append({"role": "tool", "tool_call_id": f"call_{seed}_{n}",
                        "content": '{"ok": true, "lines": 42}', "timestamp": start + n * 30})
        else:
            out.append({"role": "assistant", "content": ASSISTANT[seed % 3].format(n=n),
                        "timestamp": start + n * 30})
    return out


seed_ids = []
for seed in range(params["seeds"]):
    session = models.new_session(workspace=params["workspace"], model=params["model"])
    created = int(now) - (seed + 1) * 3600
    session.created_at = created + 0.123456
    session.title = f"{TITLES[seed % len(TITLES)]} #{seed}"
    session.messages = messages_for(seed, params["messages"], created)
    session.input_tokens, session.output_tokens = 1200 + 37 * seed, 3400 + 53 * seed
    session.estimated_cost = round(0.0123 + seed / 1000, 6)
    session.context_length, session.last_prompt_tokens = 200_000, 5200 + seed
    session.llm_title_generated = True
    session.pinned = seed == 0
    session.archived = seed in (1, 2)
    session.save()
    seed_ids.append(session.session_id)
big = models.new_session(workspace=params["workspace"], model=params["model"])
created = int(now) - 40 * 86_400
big.created_at = created + 0.5
big.title = "A very long session"
big.messages = messages_for(1, params["big_messages"], created)
big.save()
big_id = big.session_id
seeds_seconds = time.perf_counter() - started

records = {
    sid: json.loads((models.SESSION_DIR / f"{sid}.json").read_text(encoding="utf-8"))
    for sid in seed_ids
}
rows = {sid: models.Session.load(sid).compact() for sid in [*seed_ids, big_id]}
index_rows = list(rows.values())
taken = set(rows)
clone_ids = []
while len(clone_ids) < params["count"] - len(seed_ids):
    candidate = f"{rng.getrandbits(48):012x}"
    if candidate not in taken:
        taken.add(candidate)
        clone_ids.append(candidate)
session_bytes = sum((models.SESSION_DIR / f"{sid}.json").stat().st_size for sid in seed_ids)
for position, clone_id in enumerate(clone_ids):
    seed_id = seed_ids[position % len(seed_ids)]
    shift = 61 * (position + 1)
    record = dict(records[seed_id])  # same key order: only values change
    record["session_id"] = clone_id
    record["title"] = f"{record['title']} ({position})"
    record["created_at"] -= shift
    record["updated_at"] -= shift
    record["messages"] = [
        {**message, "timestamp": message["timestamp"] - shift} if "timestamp" in message
        else message
        for message in record["messages"]
    ]
    payload = json.dumps(record, ensure_ascii=False, indent=2)
    with open(models.SESSION_DIR / f"{clone_id}.json", "w", encoding="utf-8") as handle:
        handle.write(payload)
    session_bytes += len(payload.encode("utf-8"))
    row = dict(rows[seed_id])
    row["session_id"], row["title"] = clone_id, record["title"]
    for key in ("created_at", "updated_at", "last_message_at"):
        row[key] -= shift
    index_rows.append(row)
index_rows.sort(key=lambda s: s.get("updated_at", 0), reverse=True)
index_payload = json.dumps(index_rows, ensure_ascii=False, indent=2)
temporary = models.SESSION_INDEX_FILE.with_suffix(".tmp.bench")
temporary.write_text(index_payload, encoding="utf-8")
os.replace(temporary, models.SESSION_INDEX_FILE)
generate_seconds = time.perf_counter() - started

checks = {"clones_checked": 0, "compact_equal": 0}
for clone_id in clone_ids[:: max(1, len(clone_ids) // 3)][:3]:
    checks["clones_checked"] += 1
    expected = next(row for row in index_rows if row["session_id"] == clone_id)
    checks["compact_equal"] += models.Session.load(clone_id).compact() == expected
if clone_ids:
    path = models.SESSION_DIR / f"{clone_ids[len(clone_ids) // 2]}.json"
    before = path.read_bytes()
    models.Session.load(path.stem).save(touch_updated_at=False, skip_index=True)
    checks["resave_identical"] = path.read_bytes() == before
    checks["resave_id"] = path.stem
if params["count"] <= params["rebuild_limit"]:
    before = models.SESSION_INDEX_FILE.read_bytes()
    checks["rebuild_seconds"], _ = timed(models._write_session_index)
    checks["rebuild_identical"] = models.SESSION_INDEX_FILE.read_bytes() == before
report({
    "seed_ids": seed_ids, "clone_ids": clone_ids, "big_id": big_id,
    "seeds_seconds": seeds_seconds, "generate_seconds": generate_seconds,
    "session_bytes": session_bytes,
    "big_bytes": (models.SESSION_DIR / f"{big_id}.json").stat().st_size,
    "index_bytes": len(index_payload.encode("utf-8")), "checks": checks,
})
'''

#: Run in a Web UI checkout (the original's, or ours with our models.py): the drop-in figures.
WEBUI_SOURCE = CHILD_HELPERS + r'''
out = {"rss_start_kib": kib("VmRSS")}
out["import"], models = timed(lambda: __import__("api.models", fromlist=["all_sessions"]))
import json  # noqa: E402  after the timed import: the host imports it anyway
import os  # noqa: E402

params = json.loads(sys.argv[1])
figures = set(params["figures"])
out["first_listing"], rows = timed(models.all_sessions)
out["rows"] = len(rows)
del rows
out["hwm_first_listing_kib"] = kib("VmHWM")
if "listing" in figures or "decode" in figures:
    out["listing_warm"] = median(
        [timed(models.all_sessions)[0] for _ in range(params["warm_repeat"])]
    )
big_path = models.SESSION_DIR / f"{params['big_id']}.json"


def read_prefix():
    with open(big_path, "rb") as handle:
        return handle.read(4096)


def prefix_reads():
    """Median of batches of 4 KiB reads of the big file, per read."""
    batch = params["prefix_batch"]
    samples = [timed(lambda: [read_prefix() for _ in range(batch)])[0]
               for _ in range(params["metadata_repeat"])]
    return [value / batch for value in median(samples)]


def metadata_gets():
    """Metadata-only gets of the big session, each on an empty cache, timed as the 4 KiB reads
    are: in batches, per get (a batch of about 20 ms: one get for a side that reads the whole
    file). Timing each get alone would charge it the cache misses of the ``gc.collect()``
    before it, which the batched reads spread over 50. Also the process's first get, and
    the session object it returned."""
    def get():
        with models.LOCK:
            models.SESSIONS.clear()
        return models.get_session(params["big_id"], metadata_only=True)

    first, partial = timed(get)
    batch = max(1, min(params["prefix_batch"], round(0.02 / max(first[1], 1e-6))))
    samples = [timed(lambda: [get() for _ in range(batch)])[0]
               for _ in range(params["metadata_repeat"])]
    return [value / batch for value in median(samples)], first, partial


if "metadata" in figures:
    out["metadata_get"], out["metadata_get_first"], partial = metadata_gets()
    out["metadata_messages_loaded"] = len(partial.messages)
    out["metadata_message_count"] = partial.compact().get("message_count")
    del partial
    out["prefix_read"] = prefix_reads()
    out["prefix_has_message_count"] = b'"message_count"' in read_prefix()

if "save" in figures:
    saves = []
    for sid in params["save_ids"]:
        session = models.get_session(sid)
        last = session.messages[-1]
        role = "assistant" if last.get("role") == "user" else "user"
        session.messages.append({
            "role": role, "content": f"one more {role} message",
            "timestamp": last["timestamp"] + 30,
        })
        saves.append(timed(session.save)[0])
    out["save"] = median(saves)
    payload = (models.SESSION_DIR / f"{params['save_ids'][-1]}.json").read_bytes()
    directory = os.open(models.SESSION_DIR, os.O_RDONLY)
    temporary = models.SESSION_DIR / ".bench-baseline.tmp"
    target = models.SESSION_DIR / ".bench-baseline"

    def write_rename(sync_directory):
        with open(temporary, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        if sync_directory:
            os.fsync(directory)

    out["baseline_write"] = median(
        [timed(lambda: write_rename(False))[0] for _ in params["save_ids"]]
    )
    out["baseline_write_dir"] = median(
        [timed(lambda: write_rename(True))[0] for _ in params["save_ids"]]
    )
    os.close(directory)
    target.unlink()

if "metadata" in figures:
    with models.LOCK:
        models.SESSIONS.clear()
    session = models.get_session(params["big_id"])
    last = session.messages[-1]
    session.messages.append(
        {"role": "user", "content": "and one more", "timestamp": last["timestamp"] + 30}
    )
    out["big_save"] = timed(session.save)[0]
    del session
    out["resaved_metadata_get"], out["resaved_metadata_get_first"], partial = metadata_gets()
    out["resaved_metadata_messages_loaded"] = len(partial.messages)
    del partial
    out["resaved_prefix_read"] = prefix_reads()
    out["resaved_prefix_has_message_count"] = b'"message_count"' in read_prefix()

# Format checks, after the timings: the index row is compact(), and a re-save changes nothing.
checks = []
index_rows = {
    row["session_id"]: row
    for row in json.loads((models.SESSION_DIR / "_index.json").read_text(encoding="utf-8"))
}
for sid in params["check_ids"]:
    check = {"session_id": sid}
    try:
        path = models.SESSION_DIR / f"{sid}.json"
        before = path.read_bytes()
        loaded = models.Session.load(sid)
        row = loaded.compact()
        expected = index_rows.get(sid, {})
        check["row_equal"] = row == expected
        check["row_keys_differ"] = sorted(set(row) ^ set(expected))
        check["row_values_differ"] = sorted(
            key for key in set(row) & set(expected) if row[key] != expected[key]
        )
        loaded.save(touch_updated_at=False, skip_index=True)
        after = path.read_bytes()
        check["resave_identical"] = before == after
        keys_before, keys_after = list(json.loads(before)), list(json.loads(after))
        check["resave_added_keys"] = [k for k in keys_after if k not in keys_before]
        check["resave_removed_keys"] = [k for k in keys_before if k not in keys_after]
        check["resave_order_kept"] = [k for k in keys_after if k in keys_before] == [
            k for k in keys_before if k in keys_after
        ]
    except Exception as error:  # a failed check is reported, never fatal
        check["error"] = f"{type(error).__name__}: {error}"
    checks.append(check)
out["checks"] = checks
out["hwm_end_kib"] = kib("VmHWM")
report(out)
'''

#: Our library on its own, no Web UI: SessionStore from the same environment variables.
LIBRARY_SOURCE = CHILD_HELPERS + r'''
out = {}
out["import"], store_module = timed(
    lambda: __import__("hermes_sessions_core.store", fromlist=["SessionStore"])
)
import json  # noqa: E402

params = json.loads(sys.argv[1])
figures = set(params["figures"])
out["construct"], store = timed(store_module.SessionStore)


def listing():
    return store.list_sessions(all_profiles=True, include_archived=True)


out["first_listing"], rows = timed(listing)
out["rows"] = len(rows.rows)
out["problems"] = [f"{problem.source}: {problem.error_type}" for problem in rows.problems]
del rows
out["hwm_first_listing_kib"] = kib("VmHWM")
if "listing" in figures or "decode" in figures:
    out["listing_warm"] = median([timed(listing)[0] for _ in range(params["warm_repeat"])])
if "save" in figures:
    saves = []
    for sid in params["save_ids"]:
        session = store.get(sid)
        last = session.messages[-1]
        role = "assistant" if last.get("role") == "user" else "user"
        session.messages.append({
            "role": role, "content": f"one more {role} message",
            "timestamp": last["timestamp"] + 30,
        })
        saves.append(timed(lambda: store.save(session))[0])
    out["save"] = median(saves)
store.close()
out["hwm_end_kib"] = kib("VmHWM")
report(out)
'''

#: The baseline of a listing: read ``_index.json`` and decode it, nothing else.
DECODE_SOURCE = CHILD_HELPERS + r'''
import json
import orjson

path = sys.argv[1]


def read():
    with open(path, "rb") as handle:
        return handle.read()


out = {}
out["orjson"], rows = timed(lambda: orjson.loads(read()))
out["rows"] = len(rows)
del rows
out["hwm_orjson_kib"] = kib("VmHWM")
out["json"], rows = timed(lambda: json.loads(read()))
del rows
report(out)
'''

#: The original's counterpart of ``hermes-sessions list --json``.
ORIGINAL_LIST_SOURCE = (
    "import json, sys; import api.models as models; "
    "sys.stdout.write(json.dumps(models.all_sessions(), indent=2))"
)


# ── running the children ─────────────────────────────────────────────────────────────────────


def child_environment(state_dir: Path, home: Path, workspace: Path) -> dict[str, str]:
    """The parent's environment without HERMES_*, pointed at a private state dir and HOME."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HERMES_")}
    environment.update({
        "HOME": str(home),
        "HERMES_WEBUI_STATE_DIR": str(state_dir),
        "HERMES_HOME": str(state_dir),
        "HERMES_BASE_HOME": str(state_dir),
        "HERMES_CONFIG_PATH": str(state_dir / "config.yaml"),
        "HERMES_WEBUI_DEFAULT_WORKSPACE": str(workspace),
    })
    return environment


def _kill_group(process: subprocess.Popen[Any]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_python(source: str, arguments: list[str], cwd: Path, environment: dict[str, str],
               timeout: float) -> tuple[dict[str, Any], str]:
    """Run a ``python -c`` child; return its result line and stderr. Killed on any exit path."""
    process = subprocess.Popen(
        [sys.executable, "-c", source, *arguments], cwd=cwd, env=environment,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except BaseException:
        _kill_group(process)
        process.wait()
        raise
    lines = [line for line in stdout.splitlines() if line.startswith(RESULT_MARKER)]
    if process.returncode != 0 or not lines:
        raise RuntimeError(f"child in {cwd} exited with {process.returncode}:\n"
                           f"{stdout.strip()[-1000:]}\n{stderr.strip()[-2000:]}")
    return json.loads(lines[-1][len(RESULT_MARKER):]), stderr


@dataclass
class ProcessFigures:
    """A whole child process seen from outside: wall, CPU (user + system) and peak RSS."""

    wall: float
    cpu: float
    max_rss_kib: int
    stderr: str


def run_process(command: list[str], cwd: Path, environment: dict[str, str], timeout: float,
                stdout_path: Path | None = None) -> ProcessFigures:
    """Run ``command`` with stdout to /dev/null (or a file); its own rusage from ``wait4``."""
    timed_out = threading.Event()
    with tempfile.TemporaryFile() as stderr_file, \
            open(stdout_path or os.devnull, "wb") as stdout_file:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=environment, stdin=subprocess.DEVNULL,
                                   stdout=stdout_file, stderr=stderr_file, start_new_session=True)

        def expire() -> None:
            timed_out.set()
            _kill_group(process)

        timer = threading.Timer(timeout, expire)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            _kill_group(process)
            process.wait()
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr_file.seek(0)
        stderr = stderr_file.read().decode("utf-8", "replace")
    if timed_out.is_set():
        raise TimeoutError(f"{command[0]} killed after {timeout} s")
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)[:200]} exited with {process.returncode}:\n"
                           f"{stderr.strip()[-2000:]}")
    return ProcessFigures(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, stderr)


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def fresh_copy(master: Path, destination: Path) -> Path:
    """A private copy of ``master`` made of hard links: both sides replace files by rename."""
    shutil.copytree(master, destination, copy_function=_link_or_copy)
    return destination


def snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """Inode, size and mtime of every file under ``root``, to prove no child wrote in place."""
    found = {}
    for directory, _, names in os.walk(root):
        for name in names:
            stat = os.stat(os.path.join(directory, name))
            found[os.path.join(directory, name)] = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    return found


# ── the state, and the runs ──────────────────────────────────────────────────────────────────


@dataclass
class GeneratedState:
    """One Web UI state dir written by the original, and what it holds."""

    root: Path
    size: int
    big_id: str
    session_ids: list[str]
    facts: dict[str, Any]

    @property
    def index_path(self) -> Path:
        return self.root / "sessions" / "_index.json"


@dataclass
class Workspace:
    """Everything a run needs besides the state: the two Web UI copies and scratch folders."""

    workdir: Path
    hosts: dict[str, Path]
    project_dir: Path
    cli: list[str]
    arguments: argparse.Namespace

    def environment(self, state: Path, home: Path) -> dict[str, str]:
        return child_environment(state, home, self.project_dir)


def prepare(workdir: Path, arguments: argparse.Namespace) -> Workspace:
    """Two copies of the Web UI, ours with our models.py; each imported once to compile it."""
    project_dir = workdir / "workspace"
    project_dir.mkdir()
    script = Path(sys.executable).parent / "hermes-sessions"
    cli = [str(script)] if script.exists() else [sys.executable, "-m", "hermes_sessions_core.cli"]
    hosts = {}
    for variant in ("original", "ours"):
        host = workdir / f"webui-{variant}"
        shutil.copytree(arguments.webui, host,
                        ignore=shutil.ignore_patterns("__pycache__", ".git"))
        if variant == "ours":
            shutil.copyfile(arguments.ours, host / "api" / "models.py")
        hosts[variant] = host
    space = Workspace(workdir, hosts, project_dir, cli, arguments)
    compile_bytecode([*(host / "api" for host in hosts.values()), *library_folders()])
    for variant, host in hosts.items():
        state, home = workdir / "warm-up-state", workdir / "warm-up-home"
        (state / "sessions").mkdir(parents=True)
        home.mkdir()
        run_process([sys.executable, "-c", "import api.models as m; m.all_sessions()"], host,
                    space.environment(state, home), arguments.timeout)
        shutil.rmtree(state)
        shutil.rmtree(home)
    return space


def library_folders() -> list[Path]:
    """Where our packages' sources are (a checkout's folders in an editable install)."""
    import importlib

    from hermes_sessions_core.builtin_plugins import BUILTIN_PLUGINS

    names = ["hermes_sessions_core", *(module for _name, module in BUILTIN_PLUGINS)]
    return [Path(importlib.import_module(name).__file__).parent for name in names]


def compile_bytecode(folders: list[Path]) -> None:
    """Both sides import from bytecode, as an installed package does (pip compiles at install).

    The warm-up import alone would not write it where ``PYTHONDONTWRITEBYTECODE`` is set, and
    every child would then compile from source: the larger side would pay more for it.
    """
    import compileall

    for folder in folders:
        if not compileall.compile_dir(str(folder), quiet=1, workers=1):
            raise RuntimeError(f"could not compile {folder} to bytecode")


def generate_state(space: Workspace, size: int, rng: random.Random) -> GeneratedState:
    """Seeds saved by the original, clones of them in its format, and its ``_index.json``."""
    root = space.workdir / f"state-{size}"
    (root / "sessions").mkdir(parents=True)
    home = space.workdir / f"home-generate-{size}"
    home.mkdir()
    parameters = {
        "seed": rng.getrandbits(32), "count": size, "seeds": min(SEED_SESSIONS, size),
        "messages": MESSAGES_PER_SESSION, "big_messages": BIG_SESSION_MESSAGES, "model": MODEL,
        "workspace": str(space.project_dir), "rebuild_limit": REBUILD_CHECK_LIMIT,
    }
    try:
        facts, _ = run_python(GENERATE_SOURCE, [json.dumps(parameters)], space.hosts["original"],
                              space.environment(root, home), space.arguments.timeout)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    session_ids = facts.pop("seed_ids") + facts.pop("clone_ids")
    return GeneratedState(root, size, facts["big_id"], session_ids, facts)


@dataclass
class SizeResults:
    """Every child's figures at one size, by kind and variant."""

    state: GeneratedState
    webui: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {"original": [], "ours": []})
    library: list[dict[str, Any]] = field(default_factory=list)
    decode: list[dict[str, Any]] = field(default_factory=list)
    cli: dict[str, list[ProcessFigures]] = field(
        default_factory=lambda: {"original": [], "ours": []})
    cli_rows: dict[str, int] = field(default_factory=dict)
    stderr: dict[str, list[str]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    master_untouched: bool = True

    def note_stderr(self, who: str, text: str) -> None:
        lines = self.stderr.setdefault(who, [])
        for line in text.splitlines():
            if line.strip() and line.strip() not in lines:
                lines.append(line.strip())


def _progress(size: int, run: int, runs: int, what: str) -> None:
    print(f"[{size:,}] run {run + 1}/{runs}: {what}…", file=sys.stderr, flush=True)


def measure_size(space: Workspace, state: GeneratedState, rng: random.Random) -> SizeResults:
    """``--runs`` rounds of fresh children, alternating original and ours, on fresh copies."""
    arguments = space.arguments
    figures = arguments.only
    results = SizeResults(state)
    candidates = [sid for sid in state.session_ids if sid != state.big_id]
    save_ids = rng.sample(candidates, min(arguments.saves, len(candidates) - 3))
    unsaved = [sid for sid in candidates if sid not in set(save_ids)]
    parameters = json.dumps({
        "big_id": state.big_id, "save_ids": save_ids, "figures": sorted(figures),
        "check_ids": [unsaved[0], unsaved[len(unsaved) // 2], unsaved[-1]],
        "warm_repeat": 5, "metadata_repeat": 9, "prefix_batch": 50,
    })
    before = snapshot(state.root)
    scratch_state, scratch_home = space.workdir / "run-state", space.workdir / "run-home"

    def in_fresh_state(run: Callable[[dict[str, str]], Any]) -> Any:
        fresh_copy(state.root, scratch_state)
        scratch_home.mkdir()
        try:
            return run(space.environment(scratch_state, scratch_home))
        finally:
            shutil.rmtree(scratch_state, ignore_errors=True)
            shutil.rmtree(scratch_home, ignore_errors=True)

    webui_needed = figures & {"listing", "first", "decode", "metadata", "save", "memory",
                              "startup"}
    library_needed = figures & {"listing", "first", "decode", "save", "memory"}
    commands = {
        "original": [sys.executable, "-c", ORIGINAL_LIST_SOURCE],
        "ours": [*space.cli, "list", "--json", "--all-profiles", "--archived"],
    }

    def attempt(run: int, who: str, child: Callable[[], Any]) -> Any:
        """One child; a failure or timeout is reported in the notes and skipped, not fatal."""
        _progress(state.size, run, arguments.runs, who)
        try:
            return child()
        except (RuntimeError, TimeoutError, subprocess.TimeoutExpired) as error:
            results.failures.append(f"{who}, run {run + 1}: {str(error).strip()[-400:]}")
            print(f"  failed: {str(error).strip()[-400:]}", file=sys.stderr, flush=True)
            return None

    for run in range(arguments.runs):
        for variant in ("original", "ours") if webui_needed else ():
            outcome = attempt(run, f"{variant} api.models", lambda: in_fresh_state(
                lambda environment: run_python(WEBUI_SOURCE, [parameters], space.hosts[variant],
                                               environment, arguments.timeout)))
            if outcome is not None:
                results.webui[variant].append(outcome[0])
                results.note_stderr(f"{variant} api.models", outcome[1])
        if library_needed:
            outcome = attempt(run, "library SessionStore", lambda: in_fresh_state(
                lambda environment: run_python(LIBRARY_SOURCE, [parameters], space.workdir,
                                               environment, arguments.timeout)))
            if outcome is not None:
                results.library.append(outcome[0])
                results.note_stderr("library SessionStore", outcome[1])
        if "decode" in figures:
            outcome = attempt(run, "decode _index.json", lambda: run_python(
                DECODE_SOURCE, [str(state.index_path)], space.workdir, dict(os.environ),
                arguments.timeout))
            if outcome is not None:
                results.decode.append(outcome[0])
        for variant in commands if "cli" in figures else ():
            process = attempt(run, f"{variant} list --json", lambda: in_fresh_state(
                lambda environment: run_process(commands[variant], space.hosts[variant],
                                                environment, arguments.timeout)))
            if process is not None:
                results.cli[variant].append(process)
                results.note_stderr(f"{variant} list --json", process.stderr)
    output = space.workdir / "list-output.json"

    def printed_by(variant: str) -> Any:
        """What a list command printed, from an untimed run with stdout to a file."""
        in_fresh_state(lambda environment: run_process(
            commands[variant], space.hosts[variant], environment, arguments.timeout, output))
        return json.loads(output.read_bytes())

    for variant in commands if "cli" in figures else ():
        printed = attempt(arguments.runs - 1, f"{variant} list --json, rows counted",
                          lambda: printed_by(variant))
        if printed is not None:
            rows = printed["sessions"] if isinstance(printed, dict) else printed
            results.cli_rows[variant] = len(rows)
        output.unlink(missing_ok=True)
    results.master_untouched = snapshot(state.root) == before
    return results


@dataclass
class StartupResults:
    python_pass: list[ProcessFigures]
    cli_help: list[ProcessFigures]


def measure_startup(space: Workspace) -> StartupResults:
    """``python -c pass`` and ``hermes-sessions --help``, alternating, on an empty state."""
    state, home = space.workdir / "startup-state", space.workdir / "startup-home"
    (state / "sessions").mkdir(parents=True)
    home.mkdir()
    environment = space.environment(state, home)
    results = StartupResults([], [])
    try:
        for _ in range(max(space.arguments.runs, 7)):
            results.python_pass.append(run_process(
                [sys.executable, "-c", "pass"], space.workdir, environment,
                space.arguments.timeout))
            results.cli_help.append(run_process(
                [*space.cli, "--help"], space.workdir, environment, space.arguments.timeout))
    finally:
        shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
    return results


# ── the report ───────────────────────────────────────────────────────────────────────────────


@dataclass
class Row:
    """One line of the table; ``reference`` is the original unless the figure names a baseline."""

    figure: str
    size: str
    reference: str = ""
    ours: str = ""
    ratio: str = ""
    reference_wall: str = ""
    ours_wall: str = ""
    wall_ratio: str = ""
    target: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)


def _seconds(value: float | None) -> str:
    if value is None:
        return ""
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} µs"


def _mebibytes(kib: float | None) -> str:
    return "" if kib is None else f"{kib / 1024:.0f} MiB"


def _ratio_value(ours: float | None, reference: float | None) -> float | None:
    if ours is None or not reference:
        return None
    return ours / reference


def _ratio(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.3f}×" if value < 0.01 else f"{value:.2f}×"


def _size_label(size: int) -> str:
    if size >= 1000 and size % 1000 == 0:
        return f"{size // 1000}k"
    return str(size)


def _median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _pairs(children: list[dict[str, Any]], key: str) -> tuple[float | None, float | None]:
    """Median wall and CPU of ``key`` over children ([wall, cpu] each)."""
    present = [child[key] for child in children if key in child]
    if not present:
        return None, None
    return _median([p[0] for p in present]), _median([p[1] for p in present])


def _first_call(children: list[dict[str, Any]], *keys: str) -> tuple[float | None, float | None]:
    present = [child for child in children if all(k in child for k in keys)]
    if not present:
        return None, None
    return (_median([sum(c[k][0] for k in keys) for c in present]),
            _median([sum(c[k][1] for k in keys) for c in present]))


def _at_most(limit: float, applies: bool = True) -> tuple[str, float | None]:
    return (f"≤{limit:g}×", limit) if applies else ("", None)


class TableBuilder:
    """Turns measured pairs into rows, judging the CPU ratio (or memory) against a target."""

    def __init__(self, report: Report) -> None:
        self.report = report

    def timed(self, figure: str, size: str, reference: tuple[float | None, float | None],
              ours: tuple[float | None, float | None], target: tuple[str, float | None] = ("", None)
              ) -> float | None:
        """Add a row of (wall, cpu) pairs; returns the CPU ratio."""
        cpu_ratio = _ratio_value(ours[1], reference[1])
        wall_ratio = _ratio_value(ours[0], reference[0])
        self.report.rows.append(Row(
            figure, size, _seconds(reference[1]), _seconds(ours[1]), _ratio(cpu_ratio),
            _seconds(reference[0]), _seconds(ours[0]), _ratio(wall_ratio),
            self._judge(figure, size, cpu_ratio, target),
        ))
        return cpu_ratio

    def memory(self, figure: str, size: str, reference: float | None, ours: float | None,
               target: tuple[str, float | None] = ("", None)) -> None:
        ratio = _ratio_value(ours, reference)
        self.report.rows.append(Row(figure, size, _mebibytes(reference), _mebibytes(ours),
                                    _ratio(ratio), target=self._judge(figure, size, ratio, target)))

    def _judge(self, figure: str, size: str, ratio: float | None,
               target: tuple[str, float | None]) -> str:
        text, limit = target
        if limit is None or ratio is None:
            return text
        verdict = "ok" if ratio <= limit else "MISS"
        self.report.verdicts.append(f"{figure.strip()} at {size}: {_ratio(ratio)} {text} {verdict}")
        return f"{text} {verdict}"


def add_size_rows(table: TableBuilder, results: SizeResults, figures: set[str]) -> dict[str, Any]:
    """The rows of one size; returns what the across-size rows need."""
    size = results.state.size
    label = _size_label(size)
    original, ours, library = results.webui["original"], results.webui["ours"], results.library
    large = size >= 10_000
    derived: dict[str, Any] = {}
    listing_target = _at_most(0.5 if large else 1.0)
    original_warm = _pairs(original, "listing_warm")
    if original_warm[1] is not None:
        table.timed("all_sessions() warm", label, original_warm, _pairs(ours, "listing_warm"),
                    listing_target)
        table.timed("SessionStore.list_sessions() warm", label, original_warm,
                    _pairs(library, "listing_warm"), listing_target)
    if "first" in figures:
        original_first = _first_call(original, "import", "first_listing")
        table.timed("import+first all_sessions()", label, original_first,
                    _first_call(ours, "import", "first_listing"), _at_most(1.0))
        table.timed("import+first list_sessions()", label, original_first,
                    _first_call(library, "import", "construct", "first_listing"), _at_most(1.0))
    if results.decode and original_warm[1] is not None:
        decoded = _pairs(results.decode, "orjson")
        applies = size >= 100_000
        table.timed("all_sessions() vs orjson decode", label, decoded,
                    _pairs(ours, "listing_warm"), _at_most(1.5, applies))
        table.timed("list_sessions() vs orjson decode", label, decoded,
                    _pairs(library, "listing_warm"), _at_most(1.5, applies))
    if results.cli["original"]:
        cli_original, cli_ours = results.cli["original"], results.cli["ours"]
        table.timed(
            "list --json vs all_sessions+dumps", label,
            (_median([p.wall for p in cli_original]), _median([p.cpu for p in cli_original])),
            (_median([p.wall for p in cli_ours]), _median([p.cpu for p in cli_ours])),
            _at_most(1.0))
        table.memory("  peak RSS of that process", label,
                     _median([p.max_rss_kib for p in cli_original]),
                     _median([p.max_rss_kib for p in cli_ours]), _at_most(1.0))
    if "memory" in figures and original:
        original_peak = _median([c["hwm_first_listing_kib"] for c in original])
        memory_target = _at_most(1.0, size >= 100_000)
        table.memory("peak RSS, first all_sessions()", label, original_peak,
                     _median([c["hwm_first_listing_kib"] for c in ours]), memory_target)
        if library:
            table.memory("peak RSS, first list_sessions()", label, original_peak,
                         _median([c["hwm_first_listing_kib"] for c in library]), memory_target)
    if any("metadata_get" in c for c in ours):
        table.timed("metadata get, big, orig's file", label, _pairs(original, "metadata_get"),
                    _pairs(ours, "metadata_get"))
        table.timed("  vs 4 KiB read of that file", label, _pairs(ours, "prefix_read"),
                    _pairs(ours, "metadata_get"), _at_most(3.0))
        table.timed("metadata get, big, re-saved", label,
                    _pairs(original, "resaved_metadata_get"), _pairs(ours, "resaved_metadata_get"))
        table.timed("  vs 4 KiB read of that file", label, _pairs(ours, "resaved_prefix_read"),
                    _pairs(ours, "resaved_metadata_get"), _at_most(3.0))
    if any("save" in c for c in ours):
        baseline = _pairs(original + ours, "baseline_write")
        baseline_dir = _pairs(original + ours, "baseline_write_dir")
        original_save, ours_save = _pairs(original, "save"), _pairs(ours, "save")
        library_save = _pairs(library, "save")
        table.timed("save(), +1 message (drop-in)", label, original_save, ours_save)
        table.timed("store.save(), +1 message", label, original_save, library_save)
        table.timed("  drop-in vs write+fsync+rename", label, baseline, ours_save, _at_most(3.0))
        table.timed("  store vs write+fsync+rename", label, baseline, library_save,
                    _at_most(3.0))
        table.timed("  drop-in vs same + dir fsync", label, baseline_dir, ours_save)
        derived["save"] = {"drop-in": ours_save, "store": library_save,
                           "original": original_save}
    rows = {
        "original": _median([c["rows"] for c in original]) if original else None,
        "drop-in": _median([c["rows"] for c in ours]) if ours else None,
        "store": _median([c["rows"] for c in library]) if library else None,
    }
    derived["per_row"] = {
        name: (_pairs(children, "listing_warm")[1] or 0) / rows[name]
        for name, children in (("original", original), ("drop-in", ours), ("store", library))
        if rows[name] and _pairs(children, "listing_warm")[1] is not None
    }
    derived["rows"] = rows
    return derived


def add_across_sizes(table: TableBuilder, derived: dict[int, dict[str, Any]]) -> None:
    """Per-row cost at the largest size against 10k, and save at the largest against the
    smallest: the two flatness targets."""
    sizes = sorted(derived)
    large = [s for s in sizes if s >= 10_000]
    if len(large) >= 2:
        low, high = 10_000 if 10_000 in large else large[0], large[-1]
        label = f"{_size_label(high)}÷{_size_label(low)}"
        for name in ("drop-in", "store", "original"):
            low_cost = derived[low]["per_row"].get(name)
            high_cost = derived[high]["per_row"].get(name)
            if low_cost and high_cost:
                target = _at_most(1.2, high >= 100_000 and name != "original")
                table.timed(f"per-row warm listing, {name}", label, (None, low_cost),
                            (None, high_cost), target)
    if len(sizes) >= 2 and all("save" in derived[s] for s in sizes):
        low, high = sizes[0], sizes[-1]
        label = f"{_size_label(high)}÷{_size_label(low)}"
        for name in ("drop-in", "store", "original"):
            target = _at_most(1.3, high >= 100_000 and low <= 1000 and name != "original")
            table.timed(f"save, {name}", label, derived[low]["save"][name],
                        derived[high]["save"][name], target)


def add_startup_rows(table: TableBuilder, startup: StartupResults | None,
                     all_webui: dict[str, list[dict[str, Any]]]) -> None:
    if all_webui["original"]:
        table.timed("import api.models", "any", _pairs(all_webui["original"], "import"),
                    _pairs(all_webui["ours"], "import"), _at_most(1.0))
    if startup is None:
        return
    python_pass = (_median([p.wall for p in startup.python_pass]),
                   _median([p.cpu for p in startup.python_pass]))
    cli_help = (_median([p.wall for p in startup.cli_help]),
                _median([p.cpu for p in startup.cli_help]))
    extra = (cli_help[0] or 0) - (python_pass[0] or 0)
    verdict = "ok" if extra <= 0.060 else "MISS"
    table.report.rows.append(Row(
        "hermes-sessions --help vs pass", "any", _seconds(python_pass[1]), _seconds(cli_help[1]),
        _ratio(_ratio_value(cli_help[1], python_pass[1])), _seconds(python_pass[0]),
        _seconds(cli_help[0]), _ratio(_ratio_value(cli_help[0], python_pass[0])),
        f"+60ms {verdict}",
    ))
    table.report.verdicts.append(
        f"hermes-sessions --help: {extra * 1e3:+.0f} ms wall over python -c pass "
        f"(CPU {((cli_help[1] or 0) - (python_pass[1] or 0)) * 1e3:+.0f} ms; target ≤ +60 ms) "
        f"{verdict}")


def add_notes(report: Report, results: SizeResults, derived: dict[str, Any]) -> None:
    state, label = results.state, _size_label(results.state.size)
    facts, checks = state.facts, state.facts["checks"]
    resave = checks.get("resave_identical")
    rebuild = checks.get("rebuild_identical")
    report.notes.append(
        f"{label}: generated in {facts['generate_seconds']:.1f} s ({facts['seeds_seconds']:.1f} s "
        f"for the seeds the original saved); sessions {facts['session_bytes'] / 1e6:.0f} MB, "
        f"the big one {facts['big_bytes'] / 1e6:.1f} MB, _index.json "
        f"{facts['index_bytes'] / 1e6:.1f} MB. The original re-saving clone "
        f"{checks.get('resave_id')} (touch_updated_at=False, skip_index=True): "
        f"{'byte-identical' if resave else 'DIFFERENT BYTES'}; its compact() equals the cloned "
        f"index row for {checks['compact_equal']}/{checks['clones_checked']} clones; "
        + ("its full _write_session_index() rebuild "
           f"({checks['rebuild_seconds'][1]:.1f} s CPU) "
           f"{'writes the same bytes' if rebuild else 'WRITES DIFFERENT BYTES'}"
           if rebuild is not None else "index rebuild check skipped above "
           f"{REBUILD_CHECK_LIMIT:,} sessions")
    )
    rows = derived["rows"]
    cli_rows = ", ".join(f"{k} {v:,}" for k, v in results.cli_rows.items())
    per_row = ", ".join(f"{k} {v * 1e6:.1f} µs" for k, v in derived["per_row"].items())
    report.notes.append(
        f"{label}: rows listed: " + ", ".join(f"{k} {v:,.0f}" for k, v in rows.items() if v)
        + (f"; list --json / all_sessions+dumps: {cli_rows}" if cli_rows else "")
        + (f". Per-row warm listing CPU: {per_row}" if per_row else "")
    )
    original, ours = results.webui["original"], results.webui["ours"]
    if original and results.library:
        report.notes.append(
            f"{label}: first listing alone, CPU: original "
            f"{_seconds(_pairs(original, 'first_listing')[1])}, drop-in "
            f"{_seconds(_pairs(ours, 'first_listing')[1])}, store "
            f"{_seconds(_pairs(results.library, 'first_listing')[1])} (SessionStore() "
            f"{_seconds(_pairs(results.library, 'construct')[1])}, import of "
            f"hermes_sessions_core.store {_seconds(_pairs(results.library, 'import')[1])})"
        )
    if results.decode:
        orjson_pair, json_pair = (_pairs(results.decode, "orjson"),
                                  _pairs(results.decode, "json"))
        report.notes.append(
            f"{label}: read+decode _index.json in a fresh child: orjson {_seconds(orjson_pair[1])}"
            f" CPU, json {_seconds(json_pair[1])} CPU, peak RSS "
            f"{_mebibytes(_median([d['hwm_orjson_kib'] for d in results.decode]))} (orjson)"
        )
    if original and ours and "metadata_get" in ours[0]:
        first = {v: results.webui[v][0] for v in ("original", "ours")}
        original_ratio = _ratio(_ratio_value(_pairs(original, "metadata_get")[1],
                                             _pairs(original, "prefix_read")[1]))
        report.notes.append(
            f"{label}: metadata get of the big session: messages loaded original "
            f"{first['original']['metadata_messages_loaded']}, ours "
            f"{first['ours']['metadata_messages_loaded']} (0 = metadata only); message_count "
            f"{first['ours']['metadata_message_count']}; first call of the process ours "
            f"{_seconds(_median([c['metadata_get_first'][1] for c in ours]))} CPU; original "
            f"÷ 4 KiB read {original_ratio}; \"message_count\" in the first 4 KiB: original's "
            f"file {first['ours']['prefix_has_message_count']}, after our re-save "
            f"{first['ours']['resaved_prefix_has_message_count']} (original's re-save "
            f"{first['original']['resaved_prefix_has_message_count']})"
        )
    if original and "baseline_write" in original[0]:
        report.notes.append(
            f"{label}: write+fsync+rename of a session's bytes "
            f"{_seconds(_pairs(original + ours, 'baseline_write')[0])} wall, with a directory "
            f"fsync {_seconds(_pairs(original + ours, 'baseline_write_dir')[0])}; save of the "
            f"5,000-message session: original {_seconds(_pairs(original, 'big_save')[0])}, "
            f"ours {_seconds(_pairs(ours, 'big_save')[0])} wall"
        )
    for variant in ("original", "ours"):
        if results.webui[variant]:
            described = [_describe_check(c) for c in results.webui[variant][0]["checks"]]
            if any("!=" in d or "differs" in d or "failed" in d for d in described):
                report.notes.append(f"{label} / {variant}: format checks of 3 unsaved sessions: "
                                    + "; ".join(dict.fromkeys(described)))
            else:
                report.notes.append(f"{label} / {variant}: format checks of 3 unsaved sessions: "
                                    "index row == compact(), re-save byte-identical")
    if results.library and results.library[0].get("problems"):
        report.notes.append(f"{label} / library problems: {results.library[0]['problems']}")
    for who, lines in results.stderr.items():
        for line in lines[:2]:
            report.notes.append(f"{label} / {who} stderr: {line[:200]}")
        if len(lines) > 2:
            report.notes.append(f"{label} / {who} stderr: … {len(lines) - 2} more lines")
    for failure in results.failures:
        report.notes.append(f"{label}: CHILD FAILED, its figures are left out: {failure}")
    if not results.master_untouched:
        report.notes.append(f"{label}: WARNING the master state changed during the runs: a "
                            "child wrote a file in place, so copies were not independent")


def _describe_check(check: dict[str, Any]) -> str:
    if "error" in check:
        return f"{check['session_id']} failed: {check['error']}"
    row = ("index row == compact()" if check["row_equal"] else
           f"index row != compact() (keys {check['row_keys_differ']}, values "
           f"{check['row_values_differ']})")
    order = "kept" if check["resave_order_kept"] else "changed"
    resave = "re-save byte-identical" if check["resave_identical"] else (
        f"re-save differs (keys added {check['resave_added_keys']}, removed "
        f"{check['resave_removed_keys']}, order of the others {order})"
    )
    return f"{row}, {resave}"


def machine_lines(workdir: Path, arguments: argparse.Namespace) -> list[str]:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        version = metadata.version("hermes-sessions")
    except metadata.PackageNotFoundError:
        version = "not installed"
    return [
        f"date:     {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"machine:  {cpu}; nproc {nproc}; {platform.platform()}; load average "
        f"{', '.join(f'{load:.2f}' for load in os.getloadavg())} at the start",
        f"python:   {platform.python_implementation()} {platform.python_version()} "
        f"({sys.executable}); hermes-sessions {version}",
        f"original: {arguments.webui / 'api' / 'models.py'}",
        f"ours:     {arguments.ours} over api/models.py of a copy; SessionStore; hermes-sessions",
        f"workdir:  {workdir}",
    ]


def print_table(rows: list[Row]) -> None:
    headers = Row("figure", "N", "ref CPU", "ours CPU", "ours÷", "ref wall", "ours wall",
                  "ours÷", "target")
    columns = list(headers.__dict__)
    widths = {c: max(len(str(getattr(r, c))) for r in [headers, *rows]) for c in columns}
    left = {"figure", "size", "target"}
    previous_size = None
    for index, row in enumerate([headers, *rows]):
        if index > 1 and row.size != previous_size:
            print()
        previous_size = row.size if index else None
        cells = [str(getattr(row, c)).ljust(widths[c]) if c in left
                 else str(getattr(row, c)).rjust(widths[c]) for c in columns]
        print(" ".join(cells).rstrip())
        if index == 0:
            print(" ".join("-" * widths[c] for c in columns))


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000",
                        help="comma-separated state sizes in sessions (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=3,
                        help="fresh children per variant and size; figures are their medians "
                             "(default: %(default)s)")
    parser.add_argument("--saves", type=int, default=10,
                        help="saves per child, on distinct sessions (default: %(default)s)")
    parser.add_argument("--only", default=",".join(FIGURES),
                        help="figures to measure, comma-separated (default: %(default)s)")
    parser.add_argument("--webui", type=Path, default=DEFAULT_WEBUI,
                        help="the Web UI checkout with the original api/models.py "
                             "(default: %(default)s)")
    parser.add_argument("--ours", type=Path, default=DEFAULT_OURS,
                        help="our replacement models.py (default: %(default)s)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where copies and states are made (default: a temp dir under "
                             "bench/.data/)")
    parser.add_argument("--keep", action="store_true", help="keep the generated states and copies")
    parser.add_argument("--seed", type=int, default=2, help="random seed (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=900,
                        help="seconds before a child is killed (default: %(default)s)")
    arguments = parser.parse_args(argv)
    arguments.only = {name.strip() for name in arguments.only.split(",") if name.strip()}
    unknown = arguments.only - set(FIGURES)
    if unknown:
        parser.error(f"unknown figures {sorted(unknown)}; choose from {', '.join(FIGURES)}")
    arguments.webui = arguments.webui.resolve()
    arguments.ours = arguments.ours.resolve()
    return arguments


def _raise_keyboard_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    # Clean up as on Ctrl-C, also when started in the background (where SIGINT is ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    sizes = sorted({int(s.replace("_", "")) for s in arguments.sizes.split(",") if s.strip()})
    parent = arguments.workdir if arguments.workdir is not None else _BENCH_DIR / ".data"
    parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-vs-original-", dir=parent))
    rng = random.Random(arguments.seed)
    report = Report()
    table = TableBuilder(report)
    for line in machine_lines(workdir, arguments):
        print(line)
    print(f"states:   {', '.join(f'{s:,}' for s in sizes)} sessions × {MESSAGES_PER_SESSION} "
          f"messages + one of {BIG_SESSION_MESSAGES:,}; {arguments.saves} saves per child; "
          f"medians of {arguments.runs} alternating runs; figures: "
          f"{', '.join(sorted(arguments.only))}\n",
          flush=True)
    derived: dict[int, dict[str, Any]] = {}
    all_webui: dict[str, list[dict[str, Any]]] = {"original": [], "ours": []}
    started = time.perf_counter()
    try:
        space = prepare(workdir, arguments)
        startup = measure_startup(space) if "startup" in arguments.only else None
        for size in sizes:
            print(f"[{size:,}] generating with the original's Session.save…", file=sys.stderr,
                  flush=True)
            state = generate_state(space, size, rng)
            results = measure_size(space, state, rng)
            derived[size] = add_size_rows(table, results, arguments.only)
            add_notes(report, results, derived[size])
            for variant in all_webui:
                all_webui[variant].extend(results.webui[variant])
            if not arguments.keep:
                shutil.rmtree(state.root, ignore_errors=True)
        add_across_sizes(table, derived)
        add_startup_rows(table, startup, all_webui)
    except KeyboardInterrupt:
        print("interrupted; children stopped", file=sys.stderr)
        return 130
    except (RuntimeError, TimeoutError, subprocess.TimeoutExpired) as error:
        print(f"a child failed or timed out; children stopped:\n{error}", file=sys.stderr)
        return 1
    finally:
        if not arguments.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print_table(report.rows)
    print()
    print("ref = the original module (all_sessions(), its save(), its metadata get; for the CLI a "
          "fresh\n      python running all_sessions() then json.dumps(indent=2)), or the baseline "
          "named\n      after 'vs'; a row sized A÷B shows the size-B figure as ref and the "
          "size-A one as ours;\n      ours÷ < 1 is faster; targets (issue 14) judge the CPU "
          "(or memory) ratio.")
    missed = [verdict for verdict in report.verdicts if verdict.endswith("MISS")]
    print(f"targets: {len(report.verdicts) - len(missed)} met, {len(missed)} missed")
    for verdict in report.verdicts:
        if verdict.startswith("hermes-sessions --help"):
            print(f"  {verdict}")
    report.notes.append(
        "each child is a fresh interpreter on its own hard-linked copy of the state (page cache "
        "warm for both); warm figures are medians within a child (listing ×5, metadata get ×9 "
        "on an empty SESSIONS, 4 KiB reads 9 batches of 50), saves one per distinct session; "
        "every table figure is the median over the runs; whole processes (list --json, --help) "
        "are measured by wait4 rusage: user+system CPU, ru_maxrss"
    )
    report.notes.append(f"total bench time {time.perf_counter() - started:.0f} s")
    print()
    for note in report.notes:
        print(f"note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
