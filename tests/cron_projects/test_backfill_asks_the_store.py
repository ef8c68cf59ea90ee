"""The back-fill asks the Web UI store which sessions use a project (S5.2, issue 16).

It used to read ``_index.json`` itself: saves not yet folded in (``_index.d/``) were missed,
and a project was tagged with the wrong profile and saved that way.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import fsspec
import pytest
from hermes_sessions_json_fs import forget_all

from hermes_sessions_core import SessionStore
from hermes_sessions_core.locations import Locations
from hermes_sessions_core.manager import make_plugin_manager

PROJECT = "p1legacy0001"


@pytest.fixture(params=["local", "memory"])
def locations(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Locations]:
    state = tmp_path / "hermes" / "webui"
    state.mkdir(parents=True)
    (state / "projects.json").write_text(
        json.dumps([{"project_id": PROJECT, "name": "Legacy", "created_at": 1.0}]),
        encoding="utf-8",
    )
    plain = Locations.from_environment(base_home=tmp_path / "hermes", state_dir=state, environ={})
    if request.param == "local":
        yield plain
        forget_all()
        return
    root = f"memory://backfill-{uuid.uuid4().hex}"
    yield replace(plain, session_url=f"{root}/sessions")
    forget_all()
    fsspec.filesystem("memory").rm(root, recursive=True)


def _store(locations: Locations, *builtins: str) -> SessionStore:
    return SessionStore(locations, plugin_manager=make_plugin_manager(
        builtins=list(builtins) if builtins else True, entry_points=False))


def _save(store: SessionStore, profile: str) -> str:
    session = store.new_session(profile=profile, project_id=PROJECT)
    session.messages.append({"role": "user", "content": profile, "timestamp": 1763900000})
    session.title = f"in {profile}"
    session.save()
    return session.session_id


def _read(locations: Locations, name: str) -> bytes:
    url = f"{locations.sessions_url.rstrip('/')}/{name}"
    with fsspec.open(url, "rb") as handle:
        return bytes(handle.read())


def test_a_save_not_yet_folded_into_the_index_decides_the_profile(locations: Locations) -> None:
    """The newest session using the project is in `work`, saved after the last fold: only
    `_index.d/` knows it. `_index.json` still says `default`; the back-fill must say `work`."""
    first = _store(locations, "json_fs")
    older = _save(first, "default")
    first.close()  # folds: _index.json now holds the `default` row
    forget_all()
    second = _store(locations, "json_fs")
    newer = _save(second, "work")  # one change file, well under a fold
    folded = {row["session_id"] for row in json.loads(_read(locations, "_index.json"))}
    assert older in folded and newer not in folded, "the premise: _index.json is stale"

    tagged = _store(locations).stored_projects()

    assert [(p["project_id"], p["profile"]) for p in tagged] == [(PROJECT, "work")]
    stored = json.loads(locations.projects_file.read_text(encoding="utf-8"))
    assert stored[0]["profile"] == "work"
