"""The one-time back-fill (S5.2) and Cron Jobs creation under threads and processes (S5.4)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from hermes_sessions_cron_projects import (
    ProjectsFile,
    ensure_cron_project,
    forget_backfills,
    load_projects_with_backfill,
)

from hermes_sessions_core.locations import Locations

from .conftest import HELD

WORKER = Path(__file__).with_name("race_worker.py")


def _load(locations: Locations) -> list:
    return load_projects_with_backfill(ProjectsFile(locations.projects_file), lambda: HELD)


def _profiles(locations: Locations) -> dict[str, str]:
    stored = json.loads(locations.projects_file.read_text(encoding="utf-8"))
    return {p["project_id"]: p.get("profile") for p in stored}


def test_untagged_projects_take_the_newest_sessions_profile_else_default(locations):
    """S5.2: p1's newest session is `work`; p3 is used only by an untagged one → default."""
    projects = _load(locations)
    assert _profiles(locations) == {
        "p1legacy0001": "work", "p2work000002": "work", "p3orphan0003": "default"}
    assert [p["profile"] for p in projects] == ["work", "work", "default"]


def test_later_loads_leave_the_file_and_its_mtime_alone(locations):
    _load(locations)
    stamp = locations.projects_file.stat().st_mtime_ns
    forget_backfills()  # even a new process finds nothing untagged
    _load(locations)
    _load(locations)
    assert locations.projects_file.stat().st_mtime_ns == stamp


def test_failed_save_is_retried_on_the_next_load(locations, monkeypatch):
    """S5.2: the tagged list is returned, the file stays as it was, the next load saves."""
    calls = {"n": 0}
    original = ProjectsFile._write

    def flaky(self, projects):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("read-only file system")
        original(self, projects)

    monkeypatch.setattr(ProjectsFile, "_write", flaky)
    assert [p["profile"] for p in _load(locations)] == ["work", "work", "default"]
    assert _profiles(locations)["p1legacy0001"] is None
    _load(locations)
    assert _profiles(locations)["p1legacy0001"] == "work"


def test_threads_racing_back_fill_once_and_see_the_result(locations, monkeypatch):
    """S5.2: one write; every thread, waiting or not, returns tagged projects."""
    writes = []
    original = ProjectsFile._write
    monkeypatch.setattr(ProjectsFile, "_write", lambda self, p: (writes.append(1), original(self, p)))
    results: list = []
    start = threading.Barrier(8)

    def run() -> None:
        start.wait()
        results.append(_load(locations))

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(writes) == 1
    assert all(all(p.get("profile") for p in projects) for projects in results)


def test_threads_racing_ensure_get_one_cron_project(locations):
    ids: list[str] = []
    start = threading.Barrier(8)

    def run(profile: str) -> None:
        start.wait()
        ids.append(ensure_cron_project(locations, profile))

    threads = [threading.Thread(target=run, args=("default" if i % 2 else "work",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    stored = json.loads(locations.projects_file.read_text(encoding="utf-8"))
    crons = [p for p in stored if p["name"] == "Cron Jobs"]
    assert sorted(p["profile"] for p in crons) == ["default", "work"]
    assert set(ids) == {p["project_id"] for p in crons}


def test_processes_racing_back_fill_and_ensure_leave_one_consistent_file(locations, tmp_path):
    """Cross-process (filelock): 6 processes back-fill and ensure at once; no project is lost,
    each profile gets exactly one Cron Jobs project, every process agrees on its id."""
    start = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    profiles = ["default", "work", "default", "work", "default", "ops"]
    children = [
        subprocess.Popen(
            [sys.executable, str(WORKER), str(locations.base_home), str(locations.state_dir),
             str(start), profile],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for profile in profiles
    ]
    start.touch()
    answers = []
    for child in children:
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        answers.append(json.loads(out.strip().splitlines()[-1]))
    stored = json.loads(locations.projects_file.read_text(encoding="utf-8"))
    assert {p["project_id"] for p in stored} >= {"p1legacy0001", "p2work000002", "p3orphan0003"}
    crons = {p["profile"]: p["project_id"] for p in stored if p["name"] == "Cron Jobs"}
    assert sorted(crons) == ["default", "ops", "work"] and len(stored) == 6
    for profile, answer in zip(profiles, answers):
        assert answer["cron"] == crons[profile]
    assert _profiles(locations)["p1legacy0001"] == "work"
