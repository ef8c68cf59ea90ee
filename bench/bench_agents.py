"""Every coding agent's source side by side: cold and warm listing of N sessions against the
floor of a stat and a 64 KiB read of each session file, in the same run; then one search
across all of them at once. "warm" is a listing once nothing changed and every count is exact;
"settling" is how many listings it took to count the large files exactly.

Each source's data comes from its own bench's generator (bench_claude_code, bench_codex,
bench_gemini_cli, bench_opencode). Every listing runs in a fresh process (so no cache of ours
is warm) and is timed from the call, not from the import. The built-in sources import their
readers on their first call; "import ms" times that import apart, just before the listing
(it is start-up, measured against the original in bench_vs_original), so "cold" is the
listing itself. "cold" is with the operating system's file cache as the floor run left it;
with --drop-caches (root on Linux) the file cache is emptied before each floor and each cold
listing too (the readers' import then reads cold files as well), which is what a first
listing after a reboot costs.

    python bench/bench_agents.py [--files 1000] [--runs 3] [--drop-caches]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(BENCH), str(REPO)]

import bench_claude_code  # noqa: E402
import bench_codex  # noqa: E402
import bench_gemini_cli  # noqa: E402
import bench_opencode  # noqa: E402

#: Run in a fresh process: build the store, list twice, print the two times (ms) as JSON.
_LISTING = """
import json, sys, time
from hermes_sessions_core import Locations, SessionStore
from hermes_sessions_core.manager import make_plugin_manager
source, settings, home, query = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
names = source.split(",")
settings["core"] = {"persist_caches": False}  # a cache file would make every run after the first warm
store = SessionStore(
    Locations.from_environment(base_home=home + "/hermes", state_dir=home + "/webui",
                               claude_projects_dir=settings.pop("_claude", home + "/none"),
                               environ={"HOME": home}),
    plugin_manager=make_plugin_manager(builtins=names, entry_points=False),
    settings=settings,
)
# Built-in sources register thin and import their readers on their first call. That import
# is start-up (issue 14's figures), not the listing the floor is compared with: it is timed
# apart, before the listing, with the OS file cache as cold as the listing's.
import importlib, pkgutil
started = time.perf_counter()
for name in names:
    package = importlib.import_module(f"hermes_sessions_{name}")
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
readers_ms = (time.perf_counter() - started) * 1000
def timed_listing():
    started = time.perf_counter()
    rows = store.list_sessions(all_profiles=True, include_archived=True).rows
    return (time.perf_counter() - started) * 1000, rows
cold, rows = timed_listing()
# Large files start with estimated counts, made exact a few MiB per listing: list until no
# row is estimated (at most 2,000 listings), then time five settled warm listings.
settling = 0
while settling < 2000 and any(row.get("stats_estimated") for row in rows):
    _, rows = timed_listing()
    settling += 1
times = [cold, sorted(timed_listing()[0] for _ in range(5))[2], settling]
found = None
if query:
    started = time.perf_counter()
    store.search(query)  # the first search builds the indexes
    times.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    found = len(store.search(query).hits)
    times.append((time.perf_counter() - started) * 1000)
print(json.dumps({"times": times, "rows": len(rows), "hits": found, "readers_ms": readers_ms}))
"""


def drop_caches(enabled: bool) -> None:
    if enabled:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")


def floor_ms(paths: list[Path], drop: bool) -> float:
    drop_caches(drop)
    started = time.perf_counter()
    for path in paths:
        os.stat(path)
        with open(path, "rb") as handle:
            handle.read(64 * 1024)
    return (time.perf_counter() - started) * 1000


def listing(source: str, settings: dict[str, Any], home: Path, drop: bool,
            query: str = "") -> dict[str, Any]:
    drop_caches(drop)
    done = subprocess.run(
        [sys.executable, "-c", _LISTING, source, json.dumps(settings), str(home), query],
        capture_output=True, text=True, timeout=1800, cwd=REPO,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(REPO), *(str(p) for p in sorted((REPO / "plugins").iterdir()))])},
    )
    if done.returncode != 0:
        raise SystemExit(f"{source}: {done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def build_all(work: Path, files: int) -> dict[str, tuple[list[Path], dict[str, Any]]]:
    """Per source: the session files of the floor, and the settings that point at them."""
    claude = work / "claude" / "projects"
    codex = work / "codex"
    gemini = work / "gemini" / ".gemini"
    opencode_db = work / "opencode-db"
    opencode_json = work / "opencode-json"
    bench_opencode.build(opencode_db, files, "db")
    bench_opencode.build(opencode_json, files, "json")
    return {
        "claude_code": (bench_claude_code.build(claude, files),
                        {"_claude": str(claude), "claude_code": {"max_files": files}}),
        "codex": (bench_codex.build(codex, files), {"codex": {"home": str(codex),
                                                              "max_files": files}}),
        "gemini_cli": (bench_gemini_cli.build(gemini / "tmp", files),
                       {"gemini_cli": {"home": str(gemini), "max_files": files}}),
        "opencode (db)": (
            sorted((opencode_json / "storage" / "session").glob("*/*.json")),
            {"opencode": {"home": str(opencode_db), "max_sessions": files}}),
        "opencode (json)": (
            sorted((opencode_json / "storage" / "session").glob("*/*.json")),
            {"opencode": {"home": str(opencode_json), "max_sessions": files}}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--drop-caches", action="store_true",
                        help="empty the OS file cache before each floor and cold listing")
    parser.add_argument("--query", default="fixture")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        sources = build_all(work, args.files)
        print(f"{args.files} sessions per source, medians of {args.runs} runs"
              f"{', OS file cache emptied before floors and cold listings' if args.drop_caches else ''}")
        print(f"{'source':<17}{'rows':>6}{'floor ms':>10}{'cold ms':>9}{'cold/floor':>11}"
              f"{'warm ms':>9}{'warm/cold':>10}{'settling':>9}{'import ms':>10}")
        combined: dict[str, Any] = {}
        for name, (paths, settings) in sources.items():
            plugin = name.split(" ")[0]
            floors, colds, warms, imports, rows, settling = [], [], [], [], 0, 0
            for _ in range(args.runs):
                floors.append(floor_ms(paths, args.drop_caches))
                result = listing(plugin, dict(settings), work / f"home-{plugin}",
                                 args.drop_caches)
                colds.append(result["times"][0])
                warms.append(result["times"][1])
                imports.append(result["readers_ms"])
                rows = result["rows"]
                settling = result["times"][2]
            floor, cold, warm, readers = (
                statistics.median(v) for v in (floors, colds, warms, imports))
            print(f"{name:<17}{rows:>6}{floor:>10.1f}{cold:>9.1f}{cold / floor:>10.2f}x"
                  f"{warm:>9.1f}{warm / cold:>9.1%}{settling:>9.0f}{readers:>10.1f}")
            if name != "opencode (json)":
                for key, value in settings.items():
                    combined[key] = value
        everything = listing(
            ",".join(["claude_code", "codex", "gemini_cli", "opencode"]), combined,
            work / "home-all", False, args.query,
        )
        print(f"search {args.query!r} across all four ({everything['rows']} rows): "
              f"first {everything['times'][3]:.0f} ms (builds the indexes), then "
              f"{everything['times'][4]:.1f} ms, "
              f"{everything['hits']} hits")


if __name__ == "__main__":
    main()
