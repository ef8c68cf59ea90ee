"""The hooks: where OpenCode's data is found (XDG, $OPENCODE_DB, settings), other machines'
roots, the source's description, and search through the hook."""

from __future__ import annotations

import os
import shutil

import hermes_sessions_opencode as plugin
from hermes_sessions_opencode.ids import session_id_for

from hermes_sessions_core.hookspecs import ListRequest
from hermes_sessions_core.search import parse_query

from .conftest import LEGACY_ONLY, MAIN


def _listed(context):
    listing = plugin.hermes_sessions_list_rows(context=context, request=ListRequest("default"))
    return listing, {row["external_session_id"]: row for row in listing.rows}


def test_source_info() -> None:
    info = plugin.hermes_sessions_source_info()
    assert (info.name, info.label, info.writable, info.id_prefixes) == (
        "opencode", "OpenCode", False, ("opencode_",))
    assert 61 <= info.priority <= 63


def test_default_folder_follows_xdg_data_home(home, tmp_path, context_for) -> None:
    data = tmp_path / "xdg"
    shutil.move(home, data / "opencode")
    listing, rows = _listed(context_for({"XDG_DATA_HOME": str(data)}))
    assert MAIN in rows and listing.problems == ()


def test_default_folder_without_xdg_is_under_home(home, tmp_path, context_for) -> None:
    target = tmp_path / "home" / ".local" / "share" / "opencode"
    target.parent.mkdir(parents=True)
    shutil.move(home, target)
    _listing, rows = _listed(context_for())
    assert MAIN in rows


def test_opencode_db_variable_moves_the_database(home, tmp_path, context_for) -> None:
    """``$OPENCODE_DB`` (absolute) is read wherever it points, beside the data folder."""
    elsewhere = tmp_path / "dbs"
    elsewhere.mkdir()
    shutil.move(home / "opencode.db", elsewhere / "work.db")
    context = context_for({"OPENCODE_DB": str(elsewhere / "work.db")}, home=str(home))
    _listing, rows = _listed(context)
    assert rows[MAIN]["source_path"] == str(elsewhere / "work.db")
    assert LEGACY_ONLY in rows


def test_settings_home_replaces_the_default(home, context_for) -> None:
    _listing, rows = _listed(context_for(home=str(home)))
    assert len(rows) == 5


def test_a_root_on_another_machine_is_labelled_and_scoped(home, tmp_path, context_for) -> None:
    """A second root labelled ``laptop``: its rows carry the machine and scoped ids, and
    they open and search under those ids."""
    laptop = tmp_path / "laptop-copy"
    shutil.copytree(home, laptop)
    context = context_for(home=str(home), roots=[{"url": str(laptop), "machine": "laptop"}])
    listing, _rows = _listed(context)
    ids = {row["session_id"] for row in listing.rows}
    local = session_id_for(MAIN)
    scoped = "opencode_laptop__" + local[len("opencode_"):]
    assert {local, scoped} <= ids and len(ids) == 10
    remote = next(row for row in listing.rows if row["session_id"] == scoped)
    assert remote["machine"] == "laptop"
    session = plugin.hermes_sessions_load_session(context=context, session_id=scoped,
                                                  metadata_only=False)
    assert session is not None and session.session_id == scoped
    transcript = plugin.hermes_sessions_read_messages(context=context, session_id=scoped,
                                                      limit=None)
    assert transcript is not None and transcript.session_id == scoped
    hits = plugin.hermes_sessions_search(context=context, query=parse_query("rounding error"))
    assert hits is not None and {h.session_id for h in hits.hits} >= {local, scoped}


def test_search_finds_tool_output_and_skips_undone_text(home, context_for) -> None:
    context = context_for(home=str(home))
    found = plugin.hermes_sessions_search(
        context=context, query=parse_query("19.989999999999998", per_session=5))
    assert found is not None
    assert {h.session_id for h in found.hits} == {session_id_for(MAIN)}
    undone = plugin.hermes_sessions_search(context=context, query=parse_query("Applied split"))
    assert undone is not None and undone.hits == ()


def test_read_only_listing_of_a_read_only_folder(home, context_for) -> None:
    """A data folder on a read-only medium still lists (the database opens immutable)."""
    for path in [home, *home.rglob("*")]:
        if path.is_dir():
            os.chmod(path, 0o555)
    try:
        listing, rows = _listed(context_for(home=str(home)))
    finally:
        for path in [home, *home.rglob("*")]:
            if path.is_dir():
                os.chmod(path, 0o755)
    assert MAIN in rows and listing.problems == ()
