#!/usr/bin/env python
"""Benchmark of the Web UI JSON store (json_fs) against the "Numbers" targets of issue 2.

Every ratio is measured side by side, in the same run, against a named reference:

1. sidebar listing with a warm index  vs  open+read+orjson.loads of ``_index.json`` (≤ 3×)
2. one save with its index update      at the largest size vs at the smallest      (≤ 2×)
3. metadata-only read of a 5,000-message session  vs  open/read(4096)/close of it  (≤ 3×)
4. peak memory while listing (tracemalloc peak, and the peak-RSS delta from VmHWM, in a fresh process)

Stores are generated in the real on-disk format: session files from
``Session(...).to_record()`` + ``jsoncodec.dumps_pretty``, then the index from the plugin's
own rebuild. Usage::

    python bench/bench_json_fs.py [--sizes 1000,10000,100000] [--saves 300] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import orjson
from hermes_sessions_json_fs import registry
from hermes_sessions_json_fs.index import INDEX_FILE

from hermes_sessions_core import jsoncodec
from hermes_sessions_core.locations import Locations
from hermes_sessions_core.manager import make_plugin_manager
from hermes_sessions_core.models import Session
from hermes_sessions_core.store import SessionStore

MESSAGES_PER_SESSION = 20
BIG_SESSION_MESSAGES = 5000
LIST_TARGET = 3.0
SAVE_TARGET = 2.0
METADATA_TARGET = 3.0
_BENCH_DIR = Path(__file__).resolve().parent

_USER_TEXT = (
    "Can you look at the failing test in tests/test_parser.py and explain why the "
    "tokenizer drops the trailing newline? {n}"
)
_ASSISTANT_TEXT = (
    "The tokenizer strips trailing whitespace before it splits lines, so the final "
    "newline never reaches the line counter. I changed `split_lines` to keep the "
    "terminator and added a regression test covering an input that ends in '\\n'. "
    "Running the suite now: 214 passed, 0 failed. Step {n}. " * 3
)


# ── store generation ─────────────────────────────────────────────────────────────────────────


@dataclass
class GeneratedStore:
    """A generated store: where it lives and what it holds."""

    root: Path
    locations: Locations
    session_ids: list[str]
    big_session_id: str | None = None
    generate_seconds: float = 0.0
    rebuild_seconds: float = 0.0
    index_bytes: int = 0

    @property
    def session_dir(self) -> Path:
        return self.locations.session_dir

    @property
    def index_path(self) -> Path:
        return self.session_dir / INDEX_FILE


def _messages(count: int, start: float) -> list[dict[str, Any]]:
    messages = []
    for n in range(count):
        if n % 2 == 0:
            messages.append({"role": "user", "content": _USER_TEXT.format(n=n), "timestamp": start + n * 30})
        else:
            messages.append({
                "role": "assistant", "content": _ASSISTANT_TEXT.format(n=n), "timestamp": start + n * 30,
            })
    return messages


def _new_ids(rng: random.Random, count: int) -> list[str]:
    ids: set[str] = set()
    while len(ids) < count:
        ids.add(f"{rng.getrandbits(48):012x}")
    return sorted(ids)


def _write_session(session_dir: Path, session: Session) -> None:
    payload = jsoncodec.dumps_pretty(session.to_record())
    with open(session_dir / f"{session.session_id}.json", "wb") as handle:
        handle.write(payload)


def locations_for(root: Path) -> Locations:
    """Locations of a generated store; no environment, an empty Claude projects folder."""
    return Locations.from_environment(
        base_home=root / "home",
        state_dir=root / "state",
        claude_projects_dir=root / "claude-projects",
        default_workspace=root / "workspace",
        environ={},
    )


def open_store(locations: Locations) -> SessionStore:
    """A store with only the built-in json_fs source, no entry points."""
    return SessionStore(locations, plugin_manager=make_plugin_manager(builtins=["json_fs"], entry_points=False))


def generate_store(root: Path, count: int, rng: random.Random, big_session: bool) -> GeneratedStore:
    """``count`` sessions of 20 messages (plus one of 5,000 if asked), then the plugin's rebuild."""
    started = time.perf_counter()
    for folder in ("home", "state/sessions", "claude-projects", "workspace"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    locations = locations_for(root)
    session_dir = locations.session_dir
    session_dir.mkdir(parents=True, exist_ok=True)
    workspace = str(root / "workspace")
    ids = _new_ids(rng, count + (1 if big_session else 0))
    big_id = ids.pop() if big_session else None
    base_time = 1_700_000_000.0
    for position, session_id in enumerate(ids):
        created = base_time + position * 60
        session = Session(
            session_id=session_id,
            title=f"Fix tokenizer newline handling #{position}",
            workspace=workspace,
            model="anthropic/claude-sonnet-4",
            messages=_messages(MESSAGES_PER_SESSION, created),
            created_at=created,
            updated_at=created + MESSAGES_PER_SESSION * 30,
            input_tokens=1200 + position % 500,
            output_tokens=3400 + position % 700,
        )
        _write_session(session_dir, session)
    if big_id is not None:
        created = base_time - 86_400
        _write_session(session_dir, Session(
            session_id=big_id, title="A very long session", workspace=workspace,
            model="anthropic/claude-sonnet-4", messages=_messages(BIG_SESSION_MESSAGES, created),
            created_at=created, updated_at=created + BIG_SESSION_MESSAGES * 30,
        ))
    generated = time.perf_counter()

    store = open_store(locations)
    registry.session_files_for(store.context()).rebuild()
    rebuilt = time.perf_counter()
    index_path = session_dir / INDEX_FILE
    return GeneratedStore(
        root=root, locations=locations, session_ids=ids, big_session_id=big_id,
        generate_seconds=generated - started, rebuild_seconds=rebuilt - generated,
        index_bytes=index_path.stat().st_size,
    )


# ── timing helpers ───────────────────────────────────────────────────────────────────────────


def _time_once(function: Callable[[], Any]) -> float:
    started = time.perf_counter_ns()
    function()
    return (time.perf_counter_ns() - started) / 1e9


def time_side_by_side(
    measured: Callable[[], Any], reference: Callable[[], Any], runs: int, repeat: int = 1
) -> tuple[float, float]:
    """Medians (seconds per call) of ``measured`` and ``reference``, interleaved run by run."""
    measured_times, reference_times = [], []
    for _ in range(runs):
        gc.collect()
        reference_times.append(_time_once(lambda: [reference() for _ in range(repeat)]) / repeat)
        gc.collect()
        measured_times.append(_time_once(lambda: [measured() for _ in range(repeat)]) / repeat)
    return statistics.median(measured_times), statistics.median(reference_times)


def read_and_decode(path: Path) -> Any:
    """The listing reference: open, read and decode the index file, nothing else."""
    with open(path, "rb") as handle:
        return orjson.loads(handle.read())


def read_first_4k(path: Path) -> bytes:
    """The metadata-read reference: open, read 4 KiB, close."""
    with open(path, "rb") as handle:
        return handle.read(4096)


# ── the measurements ─────────────────────────────────────────────────────────────────────────


@dataclass
class Row:
    figure: str
    size: str
    measured: str
    reference: str
    ratio: str = ""
    target: str = ""
    verdict: str = ""


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    save_means: dict[int, tuple[float, float]] = field(default_factory=dict)


def _format_seconds(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.3f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def _verdict(ratio: float, target: float) -> str:
    return "ok" if ratio <= target else f"MISS ({ratio / target:.1f}× over)"


def measure_listing(generated: GeneratedStore, runs: int, results: Results, label: str) -> None:
    """Sidebar listing with a warm index (already listed once) vs reading+decoding the index."""
    store = open_store(generated.locations)
    listing = store.list_sessions()  # warm-up: page cache, first-open fold check, hints
    expected = len(generated.session_ids) + (1 if generated.big_session_id else 0)
    if len(listing.rows) != expected or listing.problems:
        results.notes.append(
            f"{label}: listing returned {len(listing.rows)} rows for {expected} sessions "
            f"({len(listing.problems)} problems)"
        )
    del listing
    measured, reference = time_side_by_side(
        store.list_sessions, lambda: read_and_decode(generated.index_path), runs
    )
    ratio = measured / reference
    results.rows.append(Row(
        f"list_sessions, {label}", f"{len(generated.session_ids):,}", _format_seconds(measured),
        f"{_format_seconds(reference)} (read+loads _index.json)", f"{ratio:.2f}×",
        f"≤ {LIST_TARGET:.0f}×" if label == "warm index" else "(info)",
        _verdict(ratio, LIST_TARGET) if label == "warm index" else "",
    ))


def measure_saves(generated: GeneratedStore, saves: int, rng: random.Random, results: Results) -> None:
    """Average cost of ``store.save`` (file + index change) over sessions growing by one message."""
    store = open_store(generated.locations)
    store.list_sessions()  # a running server has listed once (first-open fold check done)
    files = registry.session_files_for(store.context())
    choices = [rng.choice(generated.session_ids) for _ in range(saves)]
    durations: list[float] = []
    fold_durations: list[float] = []
    for session_id in choices:
        session = store.get(session_id)
        last = session.messages[-1] if session.messages else {"timestamp": 1_700_000_000.0}
        role = "assistant" if last.get("role") == "user" else "user"
        session.messages.append({
            "role": role, "content": f"one more {role} message", "timestamp": float(last["timestamp"]) + 30,
        })
        pending_before = files.index.pending_changes
        duration = _time_once(lambda: store.save(session))
        if files.index.pending_changes <= pending_before:
            fold_durations.append(duration)  # this save folded the change files into _index.json
        else:
            durations.append(duration)
    measure_listing(generated, 3, results, f"{files.index.pending_changes} pending changes")
    mean_all = statistics.fmean(durations + fold_durations)
    mean_plain = statistics.fmean(durations) if durations else float("nan")
    pending = files.index.pending_changes
    fold_seconds = _time_once(files.index.fold)
    size = len(generated.session_ids)
    fold_every = max(64, (size + (1 if generated.big_session_id else 0)) // 8) + 1
    amortised = mean_plain + fold_seconds / fold_every
    results.save_means[size] = (mean_all, amortised)
    results.rows.append(Row(
        "save (file + index change)", f"{size:,}", _format_seconds(mean_all),
        f"mean of {saves}; {len(fold_durations)} folded", "", "", "",
    ))
    results.rows.append(Row(
        "  amortised incl. fold", f"{size:,}", _format_seconds(amortised),
        f"plain {_format_seconds(mean_plain)} + fold {_format_seconds(fold_seconds)}/{fold_every}",
        "", "", "",
    ))
    results.notes.append(
        f"{size:,} sessions: {pending} change files were pending after the saves; an explicit "
        f"fold of them into _index.json took {_format_seconds(fold_seconds)} (a fold runs every "
        f"{fold_every} saves at this size)"
    )


def measure_save_ratio(results: Results) -> None:
    sizes = sorted(results.save_means)
    if len(sizes) < 2:
        return
    small, large = sizes[0], sizes[-1]
    for label, position in (("save ratio (window mean)", 0), ("save ratio (amortised)", 1)):
        ratio = results.save_means[large][position] / results.save_means[small][position]
        results.rows.append(Row(
            label, f"{large:,} / {small:,}", _format_seconds(results.save_means[large][position]),
            f"{_format_seconds(results.save_means[small][position])} at {small:,}",
            f"{ratio:.2f}×", f"≤ {SAVE_TARGET:.0f}×", _verdict(ratio, SAVE_TARGET),
        ))


def measure_metadata_read(generated: GeneratedStore, runs: int, results: Results) -> None:
    """Metadata-only get of the 5,000-message session vs open/read(4096)/close of its file.

    "warm": a store that has listed (the plugin remembers each row's counts).
    "cold": a freshly opened folder (new process state) and no pending change file for it.
    """
    big_id = generated.big_session_id
    assert big_id is not None
    path = generated.session_dir / f"{big_id}.json"
    size_note = f"file {path.stat().st_size / 1e6:.1f} MB"

    registry.forget_all()
    store = open_store(generated.locations)
    store.list_sessions()
    session = store.get(big_id, metadata_only=True)
    assert session.is_partial and session.message_count == BIG_SESSION_MESSAGES, "not a metadata load"
    measured, reference = time_side_by_side(
        lambda: store.get(big_id, metadata_only=True), lambda: read_first_4k(path), runs, repeat=200
    )
    ratio = measured / reference
    results.rows.append(Row(
        "get(metadata_only), warm", "5,000 msgs", _format_seconds(measured),
        f"{_format_seconds(reference)} (open/read 4 KiB/close)", f"{ratio:.2f}×",
        f"≤ {METADATA_TARGET:.0f}×", _verdict(ratio, METADATA_TARGET),
    ))

    cold_times = []
    other_id = generated.session_ids[0]
    for _ in range(max(runs, 15)):
        registry.forget_all()
        store = open_store(generated.locations)
        store.get(other_id, metadata_only=True)  # opens the folder object outside the timing
        gc.collect()
        cold_times.append(_time_once(lambda: store.get(big_id, metadata_only=True)))
    # The reference stays the steady-state 4 KiB read measured above: the file is in the page
    # cache in both cases, only the plugin's in-memory state differs.
    measured = statistics.median(cold_times)
    ratio = measured / reference
    results.rows.append(Row(
        "get(metadata_only), cold", "5,000 msgs", _format_seconds(measured),
        f"{_format_seconds(reference)} (open/read 4 KiB/close)", f"{ratio:.2f}×",
        f"≤ {METADATA_TARGET:.0f}×", _verdict(ratio, METADATA_TARGET),
    ))
    results.notes.append(f"5,000-message session: {size_note}")


def measure_memory(generated: GeneratedStore, results: Results) -> None:
    """Peak memory of one listing, in a fresh interpreter so its peak RSS starts clean."""
    command = [sys.executable, str(Path(__file__).resolve()), "--memory-probe", str(generated.root)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        results.notes.append(f"memory probe failed: {completed.stderr.strip()[-500:]}")
        return
    probe = json.loads(completed.stdout.strip().splitlines()[-1])
    size = f"{len(generated.session_ids):,}"
    mib = 1024 * 1024
    results.rows.append(Row(
        f"memory: peak RSS delta ({probe['metric']})", size, f"{probe['rss_delta'] / mib:.1f} MiB",
        f"first listing in a fresh process (RSS before {probe['rss_before'] / mib:.0f} MiB)",
    ))
    results.rows.append(Row(
        "memory: tracemalloc peak", size, f"{probe['traced_peak'] / mib:.1f} MiB",
        f"{probe['reference_peak'] / mib:.1f} MiB for read+loads _index.json",
        f"{probe['traced_peak'] / probe['reference_peak']:.2f}×", "(info)",
    ))
    results.rows.append(Row(
        "memory: listing retained", size, f"{probe['retained'] / mib:.1f} MiB",
        f"_index.json is {generated.index_bytes / mib:.1f} MiB on disk",
    ))


def _resident_bytes() -> tuple[int, int, str]:
    """(current RSS, peak RSS, metric name) of this process.

    ``VmHWM`` from /proc where available, reset just before the listing through
    ``/proc/self/clear_refs``; ``ru_maxrss`` is a poor fit here because Linux carries a
    parent's high-water mark into its children across fork and exec.
    """
    try:
        status = Path("/proc/self/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        return int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024, "VmHWM"
    except (OSError, KeyError, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return peak, peak, "ru_maxrss"


def memory_probe(root: Path) -> None:
    """Child process: peak RSS delta of a listing, then tracemalloc peaks (listing, reference)."""
    locations = locations_for(root)
    store = open_store(locations)
    gc.collect()
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    except OSError:
        pass
    rss_before, _, metric = _resident_bytes()
    listing = store.list_sessions()
    _, rss_peak, _ = _resident_bytes()
    del listing
    gc.collect()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    listing = store.list_sessions()
    retained, peak = tracemalloc.get_traced_memory()
    del listing
    gc.collect()
    tracemalloc.reset_peak()
    reference_base = tracemalloc.get_traced_memory()[0]
    decoded = read_and_decode(locations.session_dir / INDEX_FILE)
    reference_peak = tracemalloc.get_traced_memory()[1] - reference_base
    del decoded
    tracemalloc.stop()
    print(json.dumps({
        "rss_before": rss_before, "rss_delta": rss_peak - rss_before, "metric": metric,
        "traced_peak": peak - baseline, "retained": retained - baseline,
        "reference_peak": reference_peak,
    }))


# ── report ───────────────────────────────────────────────────────────────────────────────────


def machine_lines(workdir: Path) -> list[str]:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"date:    {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"machine: {platform.platform()}; {cpu}; nproc {affinity}",
        f"python:  {platform.python_implementation()} {platform.python_version()}; "
        f"orjson {orjson.__version__}",
        f"workdir: {workdir}",
    ]


def print_table(rows: list[Row]) -> None:
    headers = Row("figure", "size", "measured", "reference", "ratio", "target", "verdict")
    columns = list(headers.__dict__)
    widths = {c: max(len(str(getattr(r, c))) for r in [headers, *rows]) for c in columns}
    line = "  ".join("-" * widths[c] for c in columns)
    for index, row in enumerate([headers, *rows]):
        print("  ".join(str(getattr(row, c)).ljust(widths[c]) for c in columns).rstrip())
        if index == 0:
            print(line)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="comma-separated store sizes in sessions (default: %(default)s)")
    parser.add_argument("--saves", type=int, default=300, help="saves averaged per size (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per median (default: %(default)s)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where stores are generated (default: a temp dir under bench/.data/)")
    parser.add_argument("--keep", action="store_true", help="keep the generated stores")
    parser.add_argument("--seed", type=int, default=2, help="random seed (default: %(default)s)")
    parser.add_argument("--memory-probe", type=Path, default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    if arguments.memory_probe is not None:
        memory_probe(arguments.memory_probe)
        return 0
    sizes = sorted({int(s.replace("_", "")) for s in arguments.sizes.split(",") if s.strip()})
    if arguments.workdir is not None:
        arguments.workdir.mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix="bench-json-fs-", dir=arguments.workdir))
    else:
        (_BENCH_DIR / ".data").mkdir(exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix="bench-json-fs-", dir=_BENCH_DIR / ".data"))
    rng = random.Random(arguments.seed)
    results = Results()
    for line in machine_lines(workdir):
        print(line)
    print(f"stores:  {', '.join(f'{s:,}' for s in sizes)} sessions × {MESSAGES_PER_SESSION} messages; "
          f"{arguments.saves} saves per size; medians of {arguments.runs} runs\n", flush=True)
    try:
        for position, size in enumerate(sizes):
            generated = generate_store(workdir / f"store-{size}", size, rng, big_session=position == 0)
            results.notes.append(
                f"{size:,} sessions: generated in {generated.generate_seconds:.1f} s, index rebuilt "
                f"in {generated.rebuild_seconds:.1f} s, _index.json {generated.index_bytes / 1e6:.1f} MB"
            )
            print(f"[{size:,}] generated; measuring…", file=sys.stderr, flush=True)
            measure_listing(generated, arguments.runs, results, "warm index")
            measure_memory(generated, results)
            if generated.big_session_id is not None:
                measure_metadata_read(generated, arguments.runs, results)
            measure_saves(generated, arguments.saves, rng, results)
            registry.forget_all()
            if not arguments.keep:
                shutil.rmtree(generated.root, ignore_errors=True)
        measure_save_ratio(results)
    finally:
        registry.forget_all()
        if not arguments.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print_table(results.rows)
    print()
    for note in results.notes:
        print(f"note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
