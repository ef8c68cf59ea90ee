"""projects.json: atomic writes, and never a shorter list after a parse error (S5.1, S8.8)."""

from __future__ import annotations

import json

import pytest
from hermes_sessions_cron_projects import (
    InvalidProjectId,
    ProjectsFile,
    ProjectsFileUnreadable,
    ensure_cron_project,
)
from hermes_sessions_cron_projects.projects_file import encode_projects

from hermes_sessions_core.locations import Locations


def test_missing_file_reads_empty_and_first_write_creates_it(tmp_path):
    file = ProjectsFile(tmp_path / "state" / "projects.json")
    assert file.read() is None and file.read_or_empty() == []
    file.replace([{"project_id": "abc", "name": "A"}])
    assert json.loads(file.path.read_text()) == [{"project_id": "abc", "name": "A"}]
    assert not [p for p in file.path.parent.iterdir() if ".tmp." in p.name]


def test_bytes_match_the_web_ui(tmp_path):
    """UTF-8, non-ASCII as is, indent 2: files stay readable by both."""
    projects = [{"project_id": "abc", "name": "Café"}]
    file = ProjectsFile(tmp_path / "projects.json")
    file.replace(projects)
    assert file.path.read_bytes() == json.dumps(projects, ensure_ascii=False, indent=2).encode()
    assert encode_projects(projects) == file.path.read_bytes()


@pytest.mark.parametrize("content", ["{broken", "{\"a\": 1}", "\xff\xfe"])
def test_unreadable_file_makes_writers_fail_and_stays_untouched(locations: Locations, content):
    """S8.8: ensure and save raise a clear error; the bytes are unchanged; readers get []."""
    path = locations.projects_file
    path.write_bytes(content.encode("latin-1"))
    before = path.read_bytes()
    with pytest.raises(ProjectsFileUnreadable, match="nothing was written"):
        ensure_cron_project(locations, "default")
    with pytest.raises(ProjectsFileUnreadable):
        ProjectsFile(path).replace([{"project_id": "x1", "name": "x"}])
    assert path.read_bytes() == before
    assert ProjectsFile(path).read_or_empty() == []


def test_write_failure_leaves_the_old_file(locations: Locations, monkeypatch):
    """S2.3: a failing replace removes the temp file and keeps the target."""
    import os as os_module

    path = locations.projects_file
    before = path.read_bytes()

    def broken_replace(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(os_module, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        ProjectsFile(path).replace([])
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if ".tmp." in p.name]


@pytest.mark.parametrize("bad", [None, "", "../x", "a/b", "x" * 65, 12])
def test_bad_project_ids_are_refused(tmp_path, bad):
    with pytest.raises(InvalidProjectId, match="invalid project id"):
        ProjectsFile(tmp_path / "projects.json").replace([{"project_id": bad, "name": "x"}])
    assert not (tmp_path / "projects.json").exists()
