#!/usr/bin/env python
"""Benchmark of the Web UI drop-in (examples/webui/api/models.py) against the original module.

Both run side by side in one run, each in fresh interpreters, on identical copies of one
generated Web UI state dir: the reference is the Web UI's own ``api/models.py``, "ours" is the
same Web UI checkout with our file copied over it. Runs alternate (original, ours, original,
ours, ...); every child starts from a fresh copy of the state, so saves never leak between them.

Figures, each as wall and CPU time (``time.perf_counter`` / ``time.process_time``):

1. ``import api.models``, the first ``all_sessions()`` of the process, and both together;
2. ``all_sessions()`` warm, and again after the saves below;
3. ``get_session(big, metadata_only=True)`` of a 5,000-message session (``SESSIONS`` cleared);
4. ``get_session(sid)`` then ``save()`` after appending one message, on distinct sessions;
   then a save of the big session, and its metadata-only get again once it is re-saved;
5. ``get_cli_sessions()`` warm (its TTL cache) and uncached, with no ``state.db``;
6. peak RSS (``VmHWM``) after the import, after the first listing and at the end; and the
   wall time from the child's last figure to its exit.

Sessions are written in the original's format without importing it: pretty JSON (indent 2,
``ensure_ascii=False``) with the fields in the order of the original's ``Session.save()``, and
``_index.json`` as the original rebuilds it (``compact()`` rows, newest ``updated_at`` first).
After its timings each child checks three unsaved sessions: does ``compact()`` equal the index
row, is a re-save byte-identical (the original must say yes to both)? Usage::

    python bench/bench_webui_dropin.py [--sizes 1000,10000] [--runs 5] [--saves 20]
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
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from hermes_sessions_core.models import METADATA_FIELDS

MESSAGES_PER_SESSION = 20
BIG_SESSION_MESSAGES = 5000
MODEL = "anthropic/claude-sonnet-4"
VARIANTS = ("original", "ours")
RESULT_MARKER = "BENCH-RESULT "
_BENCH_DIR = Path(__file__).resolve().parent
_REPOSITORY = _BENCH_DIR.parent
DEFAULT_WEBUI = _REPOSITORY.parent / "shared" / "webui"
DEFAULT_OURS = _REPOSITORY / "examples" / "webui" / "api" / "models.py"

#: The original's ``Session.save()`` writes group 1 first, in this order (it had no
#: ``message_count``), then ``messages``, ``tool_calls`` and the attributes it does not name.
SAVED_METADATA_FIELDS = tuple(name for name in METADATA_FIELDS if name != "message_count")

_USER_TEXT = (
    "Can you look at the failing test in tests/test_parser.py and explain why the "
    "tokenizer drops the trailing newline? Step {n}."
)
_ASSISTANT_TEXT = (
    "The tokenizer strips trailing whitespace before it splits lines, so the final newline "
    "never reaches the line counter. I changed `split_lines` to keep the terminator and added "
    "a regression test for an input ending in '\\n' (café, naïve, 東京 included). Step {n}. "
)


# ── the child: a fresh interpreter in a Web UI checkout, timing api.models ───────────────────

#: Run with ``python -c`` in the checkout (so ``api`` is found as the Web UI finds it); argv[1]
#: is a JSON object of parameters. It imports nothing before ``api.models`` but gc, sys and
#: time, so the import figure carries each variant's whole import cost; it prints one line
#: starting with RESULT_MARKER.
CHILD_SOURCE = r'''
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


out = {"rss_start_kib": kib("VmRSS")}
out["import"], models = timed(lambda: __import__("api.models", fromlist=["all_sessions"]))
out["hwm_import_kib"] = kib("VmHWM")
import json  # noqa: E402  after the timed import: the host imports it anyway

params = json.loads(sys.argv[1])
out["first_all_sessions"], rows = timed(models.all_sessions)
out["rows_first"] = len(rows)
del rows
out["hwm_first_listing_kib"] = kib("VmHWM")
out["all_sessions_warm"] = median(
    [timed(models.all_sessions)[0] for _ in range(params["warm_repeat"])]
)

def metadata_gets():
    """Median of metadata-only gets of the big session, each on an empty cache; the last object."""
    samples = []
    for _ in range(params["metadata_repeat"]):
        with models.LOCK:
            models.SESSIONS.clear()
        sample, partial = timed(lambda: models.get_session(params["big_id"], metadata_only=True))
        samples.append(sample)
    return median(samples), partial


out["metadata_get"], partial = metadata_gets()
out["metadata_messages_loaded"] = len(partial.messages)
out["metadata_message_count"] = partial.compact().get("message_count")
del partial

gets, saves = [], []
for sid in params["save_ids"]:
    sample, session = timed(lambda: models.get_session(sid))
    gets.append(sample)
    last = session.messages[-1]
    role = "assistant" if last.get("role") == "user" else "user"
    session.messages.append({
        "role": role, "content": f"one more {role} message", "timestamp": last["timestamp"] + 30,
    })
    saves.append(timed(session.save)[0])
out["full_get"] = median(gets)
out["save"] = median(saves)

with models.LOCK:
    models.SESSIONS.clear()
session = models.get_session(params["big_id"])
last = session.messages[-1]
session.messages.append(
    {"role": "user", "content": "and one more", "timestamp": last["timestamp"] + 30}
)
out["big_save"] = timed(session.save)[0]
del session
out["metadata_get_after_save"], partial = metadata_gets()
out["metadata_after_save_messages_loaded"] = len(partial.messages)
del partial
out["all_sessions_after_saves"] = median(
    [timed(models.all_sessions)[0] for _ in range(params["warm_repeat"])]
)
out["rows_after_saves"] = len(models.all_sessions())

models.get_cli_sessions()  # fills the TTL cache; a one-time warning is logged here, if any
batch = params["cli_batch"]
out["cli_warm"] = median([
    [value / batch for value in timed(lambda: [models.get_cli_sessions() for _ in range(batch)])[0]]
    for _ in range(5)
])
samples = []
for _ in range(params["cli_uncached_repeat"]):
    models.clear_cli_sessions_cache()
    samples.append(timed(models.get_cli_sessions)[0])
out["cli_uncached"] = median(samples)
out["hwm_end_kib"] = kib("VmHWM")

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
        check["resave_key_order_kept"] = [k for k in keys_after if k in keys_before] == [
            k for k in keys_before if k in keys_after
        ]
    except Exception as error:  # a failed check is reported, never fatal
        check["error"] = f"{type(error).__name__}: {error}"
    checks.append(check)
out["checks"] = checks
out["printed_at"] = time.time()
print("BENCH-RESULT " + json.dumps(out), flush=True)
'''


# ── state generation ─────────────────────────────────────────────────────────────────────────


@dataclass
class GeneratedState:
    """One Web UI state dir in the original's on-disk format, and what it holds."""

    root: Path
    session_ids: list[str]
    big_session_id: str
    generate_seconds: float
    session_bytes: int
    big_session_bytes: int
    index_bytes: int

    @property
    def session_dir(self) -> Path:
        return self.root / "sessions"


def _messages(count: int, start: int) -> list[dict[str, Any]]:
    return [
        {
            "role": "user" if n % 2 == 0 else "assistant",
            "content": (_USER_TEXT if n % 2 == 0 else _ASSISTANT_TEXT).format(n=n),
            "timestamp": start + n * 30,
        }
        for n in range(count)
    ]


def _session_record(
    session_id: str, title: str, workspace: str, messages: list[dict[str, Any]],
    created_at: float, updated_at: float, tokens: int,
) -> dict[str, Any]:
    """A session as the original's ``save()`` writes it after ``load()``."""
    values: dict[str, Any] = {
        "session_id": session_id, "title": title, "workspace": workspace, "model": MODEL,
        "created_at": created_at, "updated_at": updated_at, "pinned": False, "archived": False,
        "profile": "default", "input_tokens": 1200 + tokens, "output_tokens": 3400 + tokens,
        "estimated_cost": round(0.0123 + tokens / 10_000, 6), "pending_attachments": [],
        "context_length": 200_000, "last_prompt_tokens": 5200 + tokens,
        "gateway_routing_history": [], "llm_title_generated": True, "is_cli_session": False,
        "read_only": False, "composer_draft": {},
    }
    record = {name: values.get(name) for name in SAVED_METADATA_FIELDS}
    record["messages"] = messages
    record["tool_calls"] = []
    record["context_messages"] = []
    return record


def _last_message_at(messages: list[dict[str, Any]], updated_at: float) -> float:
    for message in reversed(messages):
        if message.get("role") != "tool" and message.get("timestamp"):
            return float(message["timestamp"])
    return updated_at


def _index_row(record: dict[str, Any]) -> dict[str, Any]:
    """The original's ``Session.compact()`` of a loaded session with no fork and no worktree."""
    messages = record["messages"]
    return {
        "session_id": record["session_id"], "title": record["title"],
        "workspace": record["workspace"], "model": record["model"],
        "model_provider": record["model_provider"], "message_count": len(messages),
        "created_at": record["created_at"], "updated_at": record["updated_at"],
        "last_message_at": _last_message_at(messages, record["updated_at"]),
        "pinned": record["pinned"], "archived": record["archived"],
        "project_id": record["project_id"], "profile": record["profile"],
        "input_tokens": record["input_tokens"], "output_tokens": record["output_tokens"],
        "estimated_cost": record["estimated_cost"], "personality": record["personality"],
        "compression_anchor_visible_idx": record["compression_anchor_visible_idx"],
        "compression_anchor_message_key": record["compression_anchor_message_key"],
        "compression_anchor_summary": record["compression_anchor_summary"],
        "context_length": record["context_length"],
        "threshold_tokens": record["threshold_tokens"],
        "last_prompt_tokens": record["last_prompt_tokens"],
        "gateway_routing": record["gateway_routing"],
        "gateway_routing_history": record["gateway_routing_history"],
        "user_message_count": sum(1 for m in messages if m.get("role") == "user"),
        "active_stream_id": record["active_stream_id"],
        "pending_user_message": record["pending_user_message"],
        "has_pending_user_message": False, "is_cli_session": record["is_cli_session"],
        "source_tag": record["source_tag"], "raw_source": record["raw_source"],
        "session_source": record["session_source"], "source_label": record["source_label"],
        "read_only": record["read_only"], "enabled_toolsets": record["enabled_toolsets"],
        "composer_draft": record["composer_draft"], "is_streaming": False,
    }


def _dumps_like_original(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def generate_state(root: Path, count: int, workspace: Path, rng: random.Random) -> GeneratedState:
    """``count`` sessions of 20 messages plus one of 5,000, and the original's ``_index.json``."""
    started = time.perf_counter()
    session_dir = root / "sessions"
    session_dir.mkdir(parents=True)
    ids: set[str] = set()
    while len(ids) < count + 1:
        ids.add(f"{rng.getrandbits(48):012x}")
    session_ids = sorted(ids)
    rng.shuffle(session_ids)
    big_id = session_ids.pop()
    workspace_text = str(workspace.resolve())
    base_time = 1_700_000_000
    rows, session_bytes = [], 0
    for position, session_id in enumerate(session_ids):
        created = base_time + position * 60
        messages = _messages(MESSAGES_PER_SESSION, created)
        record = _session_record(
            session_id, f"Fix tokenizer newline handling — #{position}", workspace_text, messages,
            created + 0.123456, created + MESSAGES_PER_SESSION * 30 + 0.654321, position % 500,
        )
        payload = _dumps_like_original(record).encode("utf-8")
        (session_dir / f"{session_id}.json").write_bytes(payload)
        session_bytes += len(payload)
        rows.append(_index_row(record))
    created = base_time - 86_400
    big = _session_record(
        big_id, "A very long session", workspace_text, _messages(BIG_SESSION_MESSAGES, created),
        created + 0.5, created + BIG_SESSION_MESSAGES * 30 + 0.25, 499,
    )
    big_payload = _dumps_like_original(big).encode("utf-8")
    (session_dir / f"{big_id}.json").write_bytes(big_payload)
    rows.append(_index_row(big))
    rows.sort(key=lambda row: row.get("updated_at", 0), reverse=True)
    index_payload = _dumps_like_original(rows).encode("utf-8")
    (session_dir / "_index.json").write_bytes(index_payload)
    return GeneratedState(
        root=root, session_ids=session_ids, big_session_id=big_id,
        generate_seconds=time.perf_counter() - started, session_bytes=session_bytes,
        big_session_bytes=len(big_payload), index_bytes=len(index_payload),
    )


# ── running the children ─────────────────────────────────────────────────────────────────────


@dataclass
class ChildResult:
    figures: dict[str, Any]
    exit_seconds: float
    stderr: str


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


def run_process(command: list[str], cwd: Path, environment: dict[str, str], timeout: float
                ) -> tuple[str, str, float]:
    """Run one child in its own session; on Ctrl-C, SIGTERM or a timeout, kill it first."""
    process = subprocess.Popen(
        command, cwd=cwd, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except BaseException:
        process.kill()
        process.wait()
        raise
    finished = time.time()
    if process.returncode != 0:
        raise RuntimeError(
            f"child in {cwd} exited with {process.returncode}:\n{stderr.strip()[-2000:]}"
        )
    return stdout, stderr, finished


def run_child(host: Path, state_dir: Path, home: Path, workspace: Path,
              parameters: dict[str, Any], timeout: float) -> ChildResult:
    command = [sys.executable, "-c", CHILD_SOURCE, json.dumps(parameters)]
    environment = child_environment(state_dir, home, workspace)
    stdout, stderr, finished = run_process(command, host, environment, timeout)
    lines = [line for line in stdout.splitlines() if line.startswith(RESULT_MARKER)]
    if not lines:
        raise RuntimeError(f"child in {host} printed no result:\n{stdout[-1000:]}{stderr[-1000:]}")
    figures = json.loads(lines[-1][len(RESULT_MARKER):])
    return ChildResult(figures, finished - figures["printed_at"], stderr)


def prepare_hosts(workdir: Path, webui: Path, ours: Path, workspace: Path, timeout: float
                  ) -> dict[str, Path]:
    """Two copies of the Web UI, ours with our models.py; each imported once to compile it."""
    hosts = {}
    for variant in VARIANTS:
        host = workdir / f"webui-{variant}"
        shutil.copytree(webui, host, ignore=shutil.ignore_patterns("__pycache__", ".git"))
        if variant == "ours":
            shutil.copyfile(ours, host / "api" / "models.py")
        warm_state = workdir / f"warm-up-state-{variant}"
        (warm_state / "sessions").mkdir(parents=True)
        warm_home = workdir / f"warm-up-home-{variant}"
        warm_home.mkdir()
        environment = child_environment(warm_state, warm_home, workspace)
        run_process([sys.executable, "-c", "import api.models as m; m.all_sessions()"],
                    host, environment, timeout)
        shutil.rmtree(warm_state)
        shutil.rmtree(warm_home)
        hosts[variant] = host
    return hosts


def measure_size(state: GeneratedState, hosts: dict[str, Path], workdir: Path, workspace: Path,
                 arguments: argparse.Namespace, rng: random.Random
                 ) -> dict[str, list[ChildResult]]:
    """``--runs`` children per variant, alternating, each on its own fresh copy of ``state``."""
    save_ids = rng.sample(state.session_ids, min(arguments.saves, len(state.session_ids) - 2))
    unsaved = [sid for sid in state.session_ids if sid not in set(save_ids)]
    parameters = {
        "big_id": state.big_session_id, "save_ids": save_ids,
        "check_ids": [unsaved[0], unsaved[len(unsaved) // 2], unsaved[-1]],
        "warm_repeat": 5, "metadata_repeat": 7, "cli_batch": 200, "cli_uncached_repeat": 10,
    }
    results: dict[str, list[ChildResult]] = {variant: [] for variant in VARIANTS}
    for run in range(arguments.runs):
        for variant in VARIANTS:
            state_copy = workdir / f"state-{variant}"
            home = workdir / f"home-{variant}"
            shutil.copytree(state.root, state_copy)
            home.mkdir()
            print(f"[{len(state.session_ids):,}] run {run + 1}/{arguments.runs}: {variant}…",
                  file=sys.stderr, flush=True)
            try:
                results[variant].append(run_child(
                    hosts[variant], state_copy, home, workspace, parameters, arguments.timeout,
                ))
            finally:
                shutil.rmtree(state_copy, ignore_errors=True)
                shutil.rmtree(home, ignore_errors=True)
    return results


# ── report ───────────────────────────────────────────────────────────────────────────────────


@dataclass
class Row:
    figure: str
    size: str
    original: str
    ours: str
    ratio: str
    original_cpu: str = ""
    ours_cpu: str = ""
    cpu_ratio: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


#: (figure name in the table, key in the child's result); each value is [wall, cpu] seconds.
TIMED_FIGURES = (
    ("import api.models", "import"),
    ("first all_sessions()", "first_all_sessions"),
    ("import + first all_sessions()", "import+first"),
    ("all_sessions() warm", "all_sessions_warm"),
    ("all_sessions() after the saves", "all_sessions_after_saves"),
    ("get_session(big, metadata_only)", "metadata_get"),
    ("get_session(sid), not cached", "full_get"),
    ("save(), one message appended", "save"),
    ("save() of the big session, +1 message", "big_save"),
    ("get_session(big, metadata_only) re-saved", "metadata_get_after_save"),
    ("get_cli_sessions() warm (TTL cache)", "cli_warm"),
    ("get_cli_sessions() uncached", "cli_uncached"),
)
MEMORY_FIGURES = (
    ("peak RSS after import", "hwm_import_kib"),
    ("peak RSS after first all_sessions()", "hwm_first_listing_kib"),
    ("peak RSS at the end", "hwm_end_kib"),
)


def _format_seconds(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.3f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def _ratio(ours: float, original: float) -> str:
    return f"{ours / original:.2f}×" if original > 0 else "n/a"


def _pair(result: ChildResult, key: str) -> list[float]:
    figures = result.figures
    if key == "import+first":
        return [figures["import"][i] + figures["first_all_sessions"][i] for i in (0, 1)]
    return figures[key]


def _median_pair(results: list[ChildResult], key: str) -> tuple[float, float]:
    pairs = [_pair(result, key) for result in results]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def add_rows(report: Report, state: GeneratedState, results: dict[str, list[ChildResult]]) -> None:
    size = f"{len(state.session_ids):,}"
    for name, key in TIMED_FIGURES:
        original_wall, original_cpu = _median_pair(results["original"], key)
        ours_wall, ours_cpu = _median_pair(results["ours"], key)
        report.rows.append(Row(
            name, size, _format_seconds(original_wall), _format_seconds(ours_wall),
            _ratio(ours_wall, original_wall), _format_seconds(original_cpu),
            _format_seconds(ours_cpu), _ratio(ours_cpu, original_cpu),
        ))
    original_exit = statistics.median(r.exit_seconds for r in results["original"])
    ours_exit = statistics.median(r.exit_seconds for r in results["ours"])
    report.rows.append(Row(
        "process exit after the figures", size, _format_seconds(original_exit),
        _format_seconds(ours_exit), _ratio(ours_exit, original_exit),
    ))
    for name, key in MEMORY_FIGURES:
        original = statistics.median(r.figures[key] for r in results["original"]) / 1024
        ours = statistics.median(r.figures[key] for r in results["ours"]) / 1024
        report.rows.append(Row(name, size, f"{original:.1f} MiB", f"{ours:.1f} MiB",
                               _ratio(ours, original)))
    add_notes(report, state, results)


def add_notes(report: Report, state: GeneratedState, results: dict[str, list[ChildResult]]) -> None:
    size = f"{len(state.session_ids):,}"
    for variant in VARIANTS:
        first = results[variant][0].figures
        report.notes.append(
            f"{size} / {variant}: all_sessions() returned {first['rows_first']} rows "
            f"({first['rows_after_saves']} after the saves); get_session(big, "
            f"metadata_only=True) held {first['metadata_messages_loaded']} messages "
            f"(0 = a metadata-only object; compact() says message_count "
            f"{first['metadata_message_count']}), after the big session's own save "
            f"{first['metadata_after_save_messages_loaded']}"
        )
        for check in first["checks"]:
            report.notes.append(f"{size} / {variant}: format check {_describe_check(check)}")
        warnings = []
        for result in results[variant]:
            for line in result.stderr.splitlines():
                if line.strip() and line.strip() not in warnings:
                    warnings.append(line.strip())
        for line in warnings[:3]:
            report.notes.append(f"{size} / {variant}: stderr: {line[:300]}")
        if len(warnings) > 3:
            report.notes.append(f"{size} / {variant}: stderr: … {len(warnings) - 3} more lines")


def _describe_check(check: dict[str, Any]) -> str:
    sid = check["session_id"]
    if "error" in check:
        return f"of {sid} failed: {check['error']}"
    parts = [
        "index row == compact()" if check["row_equal"] else
        f"index row != compact() (keys {check['row_keys_differ']}, "
        f"values {check['row_values_differ']})",
        "re-save byte-identical" if check["resave_identical"] else
        f"re-save differs (added {check['resave_added_keys']}, removed "
        f"{check['resave_removed_keys']}, order of kept keys "
        f"{'kept' if check['resave_key_order_kept'] else 'changed'})",
    ]
    return f"of {sid}: " + "; ".join(parts)


def machine_lines(workdir: Path, webui: Path, ours: Path) -> list[str]:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        version = metadata.version("hermes-sessions")
    except metadata.PackageNotFoundError:
        version = "not installed"
    return [
        f"date:     {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"machine:  {platform.platform()}; {cpu}; nproc {affinity} (os.cpu_count {os.cpu_count()})",
        f"python:   {platform.python_implementation()} {platform.python_version()} "
        f"({sys.executable}); hermes-sessions {version}",
        f"original: {webui / 'api' / 'models.py'}",
        f"ours:     {ours} copied over api/models.py of a copy of {webui}",
        f"workdir:  {workdir}",
    ]


def print_table(rows: list[Row]) -> None:
    headers = Row("figure", "size", "original", "ours", "ours÷orig",
                  "original CPU", "ours CPU", "CPU ours÷orig")
    columns = list(headers.__dict__)
    widths = {c: max(len(str(getattr(r, c))) for r in [headers, *rows]) for c in columns}
    for index, row in enumerate([headers, *rows]):
        print("  ".join(str(getattr(row, c)).ljust(widths[c]) for c in columns).rstrip())
        if index == 0:
            print("  ".join("-" * widths[c] for c in columns))


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000",
                        help="comma-separated state sizes in sessions (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=5,
                        help="fresh children per variant and size; figures are their medians "
                             "(default: %(default)s)")
    parser.add_argument("--saves", type=int, default=20,
                        help="saves per child, on distinct sessions (default: %(default)s)")
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
    return parser.parse_args(argv)


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
    workdir = Path(tempfile.mkdtemp(prefix="bench-webui-dropin-", dir=parent))
    rng = random.Random(arguments.seed)
    report = Report()
    for line in machine_lines(workdir, arguments.webui, arguments.ours.resolve()):
        print(line)
    print(f"states:   {', '.join(f'{s:,}' for s in sizes)} sessions × {MESSAGES_PER_SESSION} "
          f"messages + one of {BIG_SESSION_MESSAGES:,}; {arguments.saves} saves per child; "
          f"medians of {arguments.runs} alternating runs per variant\n", flush=True)
    try:
        workspace = workdir / "workspace"
        workspace.mkdir()
        hosts = prepare_hosts(workdir, arguments.webui, arguments.ours, workspace,
                              arguments.timeout)
        for size in sizes:
            state = generate_state(workdir / f"state-{size}", size, workspace, rng)
            report.notes.append(
                f"{size:,} sessions: generated in {state.generate_seconds:.1f} s; session files "
                f"{state.session_bytes / size / 1024:.1f} KiB on average; the 5,000-message "
                f"session {state.big_session_bytes / 1e6:.1f} MB; _index.json "
                f"{state.index_bytes / 1e6:.1f} MB"
            )
            results = measure_size(state, hosts, workdir, workspace, arguments, rng)
            add_rows(report, state, results)
            if not arguments.keep:
                shutil.rmtree(state.root, ignore_errors=True)
    except KeyboardInterrupt:
        print("interrupted; children stopped", file=sys.stderr)
        return 130
    finally:
        if not arguments.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print_table(report.rows)
    print()
    report.notes.append(
        "each child is a fresh interpreter on its own fresh copy of the state (page cache warm "
        "for both); cold figures are one per child, warm ones a median within the child "
        "(all_sessions ×5, metadata get ×7, get_cli_sessions 5 batches of 200 / ×10 "
        "uncached); every table figure is the median over the runs"
    )
    for note in report.notes:
        print(f"note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
