"""Full-text search benchmark: indexed search against a linear scan of the same data (S9.5).

Builds a Hermes home with Web UI sessions as JSON files and an agent ``state.db`` (made by
the shared generator, with the agent's own FTS5 tables), then reports:

* index build time and size (json_fs index; the agent's FTS tables are the agent's own);
* median and 95th-percentile time of ``SessionStore.search`` over every source;
* the same queries answered by a linear scan of the files and rows, in the same run, and the
  ratio of the two medians;
* the incremental cost of a save on the index (a session grows by one message).

    python bench/bench_search.py                      # 100,000 sessions, 2,000,000 messages
    python bench/bench_search.py --scale 0.1          # a tenth of that
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hermes_sessions_core import Locations, SessionStore
from hermes_sessions_core.search import (
    matches_text,
    message_text,
    parse_query,
)

GENERATOR = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "agent_state_db" / "make_state_db.py"
TECH = (
    "deploy kubernetes cluster docker image registry rollback migration schema index query "
    "latency timeout retry backoff jitter cache eviction memory leak profile flamegraph thread "
    "lock mutex deadlock race async await coroutine socket tls certificate proxy gateway webhook "
    "token session cookie oauth refresh scope permission bucket upload download stream chunk "
    "parser lexer grammar compiler linker binary wheel package version release changelog test "
    "fixture mock assert coverage benchmark regression bisect commit branch rebase merge conflict"
).split()


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "xi", "ze", "po", "qua", "sti", "bel", "dor"]
    words = set(TECH)
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    ordered = sorted(words)
    rng.shuffle(ordered)
    return ordered


def _write_webui(folder: Path, sessions: int, messages: int, rng: random.Random, vocab: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    weights = [1.0 / (rank + 1) for rank in range(len(vocab))]  # Zipf: a few words are common
    cumulative = list(itertools.accumulate(weights))
    per_session = max(1, messages // max(1, sessions))
    now = time.time()
    for number in range(sessions):
        count = max(1, int(rng.gauss(per_session, per_session / 3)))
        stamp = now - rng.random() * 365 * 86400
        words = rng.choices(vocab, cum_weights=cumulative, k=count * 30)
        body = []
        for index in range(count):
            text = " ".join(words[index * 30 : index * 30 + rng.randint(8, 30)])
            body.append({"role": "user" if index % 2 == 0 else "assistant", "content": text,
                         "timestamp": stamp + index * 30})
        record = {
            "session_id": f"w{number:011d}", "title": " ".join(words[:4]).capitalize(),
            "workspace": "/tmp", "model": "bench", "created_at": stamp,
            "updated_at": stamp + count * 30, "pinned": False, "archived": False,
            "project_id": None, "profile": "default", "message_count": count, "messages": body,
            "tool_calls": [],
        }
        (folder / f"w{number:011d}.json").write_text(json.dumps(record), encoding="utf-8")


def _linear_scan(session_dir: Path, database: Path, text: str) -> int:
    """The same query without any index: read every file and every agent row."""
    query = parse_query(text)
    found = 0
    for path in session_dir.glob("*.json"):
        if path.name.startswith("_"):
            continue
        record = json.loads(path.read_bytes())
        if matches_text(str(record.get("title") or ""), query):
            found += 1
        for message in record.get("messages") or ():
            if matches_text(message_text(message), query):
                found += 1
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        for (content,) in connection.execute("SELECT content FROM messages"):
            if isinstance(content, str) and matches_text(content, query):
                found += 1
    finally:
        connection.close()
    return found


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=2_000_000)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply both counts (0.1: a tenth)")
    parser.add_argument("--webui-share", type=float, default=0.4, help="share of sessions as JSON files")
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--scan-queries", type=int, default=5, help="queries also run as a linear scan")
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    sessions = int(args.sessions * args.scale)
    messages = int(args.messages * args.scale)
    web_sessions = int(sessions * args.webui_share)
    web_messages = int(messages * args.webui_share)
    agent_sessions = sessions - web_sessions
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-search-"))
    home, state = root / "hermes", root / "webui"
    home.mkdir(parents=True, exist_ok=True)
    print(f"building {sessions:,} sessions / ~{messages:,} messages in {root}", flush=True)

    started = time.perf_counter()
    vocab = _vocabulary(rng, 20_000)
    _write_webui(state / "sessions", web_sessions, web_messages, rng, vocab)
    web_seconds = time.perf_counter() - started
    database = home / "state.db"
    started = time.perf_counter()
    avg = (messages - web_messages) / max(1, agent_sessions)
    subprocess.run(
        [sys.executable, str(GENERATOR), str(database), "--sessions", str(agent_sessions),
         "--avg-messages", f"{avg:.1f}", "--seed", str(args.seed), "--trigram", "--force"],
        check=True, stdout=subprocess.DEVNULL,
    )
    agent_seconds = time.perf_counter() - started
    with sqlite3.connect(database) as connection:
        agent_messages = connection.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        agent_rows = connection.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
        agent_texts = [r[0] for r in connection.execute(
            "SELECT content FROM messages WHERE role = 'user' AND content IS NOT NULL"
            " ORDER BY random() LIMIT 200")]
    web_count = sum(len(json.loads(p.read_bytes())["messages"]) for p in (state / "sessions").glob("w*.json")) \
        if web_sessions <= 20_000 else web_messages
    print(f"  Web UI: {web_sessions:,} JSON files (~{web_count:,} messages) in {web_seconds:.1f}s")
    print(f"  agent:  {agent_rows:,} sessions, {agent_messages:,} messages in {agent_seconds:.1f}s")

    locations = Locations.from_environment(base_home=home, state_dir=state,
                                           claude_projects_dir=root / "no-claude", environ={})
    store = SessionStore(locations, settings={"json_fs": {"search_sync_seconds": 3600}})

    started = time.perf_counter()
    counts, problems = store.rebuild_search_indexes()
    build_seconds = time.perf_counter() - started
    index_file = next((state / "search").glob("json_fs-*.sqlite"))
    print(f"index build (json_fs): {counts.get('json_fs', 0):,} sessions in {build_seconds:.1f}s, "
          f"index {_size(index_file) / 1e6:.1f} MB")
    web_bytes = sum(p.stat().st_size for p in (state / "sessions").glob("*.json"))
    print(f"  session files {web_bytes / 1e6:.1f} MB; agent state.db {_size(database) / 1e6:.1f} MB "
          "(its FTS tables are the agent's own)")

    queries: list[str] = []
    for rank in (30, 100, 300, 1000, 3000, 10000):
        queries += [vocab[rank + i] for i in range(3)]
    queries += [f"{vocab[50 + i]} {vocab[400 + i]}" for i in range(5)]
    queries += [f"{vocab[2000 + i][:4]}*" for i in range(5)]
    for text in agent_texts:
        words = [w for w in text.split() if w.isalpha() and len(w) > 4]
        if len(words) >= 2:
            queries.append(words[0])
            queries.append(f'"{words[0]} {words[1]}"' if text.find(f"{words[0]} {words[1]}") >= 0 else words[1])
    queries = queries[: args.queries]
    store.search(queries[0], all_profiles=True)  # first search syncs the index with the files
    timings = []
    hits = 0
    for text in queries:
        started = time.perf_counter()
        results = store.search(text, all_profiles=True, limit=20)
        timings.append(time.perf_counter() - started)
        hits += len(results.hits)
    median = statistics.median(timings)
    print(f"indexed search: {len(queries)} queries, median {median * 1000:.1f} ms, "
          f"p95 {_percentile(timings, 0.95) * 1000:.1f} ms, max {max(timings) * 1000:.1f} ms "
          f"({hits} hits shown)")

    scan_timings = []
    for text in queries[:: max(1, len(queries) // args.scan_queries)][: args.scan_queries]:
        started = time.perf_counter()
        _linear_scan(state / "sessions", database, text)
        scan_timings.append(time.perf_counter() - started)
    scan_median = statistics.median(scan_timings)
    print(f"linear scan: {len(scan_timings)} of the same queries, median {scan_median * 1000:.0f} ms, "
          f"p95 {_percentile(scan_timings, 0.95) * 1000:.0f} ms")
    print(f"speed-up (median scan / median indexed): {scan_median / median:.0f}x")

    ids = sorted(p.stem for p in (state / "sessions").glob("w*.json"))
    sample = rng.sample(ids, min(args.saves, len(ids)))
    loaded = [store.get(session_id) for session_id in sample]
    from hermes_sessions_json_fs.search_index import search_index_for

    index = search_index_for(store.context())
    save_times, index_times = [], []
    for session in loaded:
        session.messages.append({"role": "user", "content": f"{vocab[5]} incremental {vocab[7000]}",
                                 "timestamp": time.time()})
        started = time.perf_counter()
        index.session_saved(session)  # the index's share: one new message after a changed one
        index_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        store.save(session)  # a whole save (file, sidebar index, search index with nothing new)
        save_times.append(time.perf_counter() - started)
    print(f"incremental update: save median {statistics.median(save_times) * 1000:.2f} ms "
          f"(p95 {_percentile(save_times, 0.95) * 1000:.2f}), of which index "
          f"median {statistics.median(index_times) * 1000:.2f} ms "
          f"(p95 {_percentile(index_times, 0.95) * 1000:.2f})")
    found = store.search("incremental", all_profiles=True, limit=1000).hits
    print(f"  saved messages found: {len(found)} of {len(loaded)}")
    if problems:
        print("problems:", [p.describe() for p in problems])
    store.close()
    if args.keep is None:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
