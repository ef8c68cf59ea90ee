"""The path-only check that lets a source answer without its readers where its agent never ran.

It may say "there is something" when there is nothing (the readers then find nothing), never
the other way round: each case where a root could hold sessions, or a problem to report,
answers False.
"""

from __future__ import annotations

import os

import pytest

from hermes_sessions_core.absent_roots import empty_file_search, only_absent_local_roots
from hermes_sessions_core.hookspecs import SourceContext
from hermes_sessions_core.search import INDEX_PROGRESS_KEY
from hermes_sessions_core.search_files import search_index_path
from hermes_sessions_core.testing.fixtures import isolated_locations

SOURCE = "some_agent"


@pytest.fixture
def context(tmp_path):
    return SourceContext(isolated_locations(tmp_path), {})


def with_settings(context: SourceContext, **settings: object) -> SourceContext:
    return SourceContext(context.locations, {SOURCE: settings})


def test_missing_local_roots_hold_nothing(context, tmp_path):
    (tmp_path / "a_file").write_text("x")
    missing = [tmp_path / "never", f"file://{tmp_path}/also-never", tmp_path / "a_file" / "below"]
    assert only_absent_local_roots(context, SOURCE, missing) is True


def test_a_root_that_exists_may_hold_sessions(context, tmp_path):
    (tmp_path / "here").mkdir()
    assert only_absent_local_roots(context, SOURCE, [tmp_path / "never", tmp_path / "here"]) is False
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    assert only_absent_local_roots(context, SOURCE, [tmp_path / "dangling"]) is False


def test_remote_roots_settings_or_no_default_are_for_the_readers(context, tmp_path):
    gone = [tmp_path / "never"]
    assert only_absent_local_roots(context, SOURCE, ["sftp://laptop/home/me/.agent"]) is False
    assert only_absent_local_roots(context, SOURCE, []) is False
    roots = with_settings(context, roots=[{"url": "s3://bucket/x", "machine": "cloud"}])
    assert only_absent_local_roots(roots, SOURCE, gone) is False
    assert only_absent_local_roots(with_settings(context, local=False), SOURCE, gone) is False
    # a bad roots entry is reported by the ordinary path, so it must run
    assert only_absent_local_roots(with_settings(context, roots="nonsense"), SOURCE, gone) is False


def test_a_root_the_os_will_not_examine_is_for_the_readers(context, tmp_path, monkeypatch):
    def refuse(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", os.fspath(path))

    monkeypatch.setattr(os, "lstat", refuse)
    assert only_absent_local_roots(context, SOURCE, [tmp_path / "locked" / "root"]) is False


def test_an_empty_search_creates_no_index_and_reports_an_empty_catch_up(context):
    reports = []
    context.state[INDEX_PROGRESS_KEY] = lambda source, done, total: reports.append(
        (source, done, total))
    results = empty_file_search(context, SOURCE)
    assert results is not None and results.hits == () and results.problems == ()
    assert results.sources == (SOURCE,)
    assert reports == [(SOURCE, 0, 0), (SOURCE, 0, 0)]
    index = search_index_path(context.locations, context.setting, SOURCE)
    assert not os.path.lexists(index)


def test_an_existing_index_must_be_searched(context):
    index = search_index_path(context.locations, context.setting, SOURCE)
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_bytes(b"")
    assert empty_file_search(context, SOURCE) is None
