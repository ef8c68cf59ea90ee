"""Failure isolation (S0.3, S6.14, STYLE 4): for each way a third-party plugin can break, the
rest of the sidebar still lists, `hermes-sessions plugins` names the culprit with its
distribution, version and cause, and the user can block it by name."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from hermes_sessions_core.cli import app

from .conftest import GOOD

BROKEN_IMPORT = "raise ImportError('needs the library fastcodec, which is not installed')\n"

RAISES = """
from hermes_sessions_core import SourceInfo, hookimpl

@hookimpl
def hermes_sessions_source_info():
    return SourceInfo(name="raises", label="Raises", writable=False, id_prefixes=("raises_",))

@hookimpl
def hermes_sessions_list_rows(request):
    raise RuntimeError("database is locked forever")
"""

INVALID_SIGNATURE = """
from hermes_sessions_core import SourceInfo, hookimpl

@hookimpl
def hermes_sessions_source_info():
    return SourceInfo(name="oddargs", label="Odd", writable=False, id_prefixes=("odd_",))

@hookimpl
def hermes_sessions_list_rows(request, an_argument_nobody_passes):
    return None
"""

MALFORMED = """
from hermes_sessions_core import SessionRow, SourceInfo, SourceListing, hookimpl

@hookimpl
def hermes_sessions_source_info():
    return SourceInfo(name="sloppy", label="Sloppy", writable=False, id_prefixes=("sloppy_",))

@hookimpl
def hermes_sessions_list_rows(request):
    good = SessionRow.adopt({"session_id": "sloppy_ok", "title": "kept", "message_count": 1,
                             "created_at": 1.0, "updated_at": 3.0, "profile": None})
    return SourceListing("sloppy", (good, {"session_id": "sloppy_dict"},
                                    SessionRow.adopt({"session_id": "../../etc/passwd"})))
"""

HANGS = """
import threading
from hermes_sessions_core import SourceInfo, hookimpl

release = threading.Event()

@hookimpl
def hermes_sessions_source_info():
    return SourceInfo(name="hangs", label="Hangs", writable=False, id_prefixes=("hangs_",))

@hookimpl
def hermes_sessions_list_rows(request):
    release.wait(60)
    return None
"""


def _cli_report(*args: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(app, ["plugins", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _culprit(report: list[dict[str, Any]], name: str) -> dict[str, Any]:
    entries = [entry for entry in report if entry["name"] == name and entry["status"] == "failed"]
    assert entries, f"{name} is not reported as failed: {report}"
    return entries[0]


def _titles(store: Any) -> list[str]:
    return [row["title"] for row in store.list_sessions().rows]


CASES = {
    # entry name: (distribution, version, module source, hook, words of the cause)
    "brokenimport": ("fake-broken", "0.1", BROKEN_IMPORT, "import", "fastcodec"),
    "raises": ("fake-raises", "2.0", RAISES, "hermes_sessions_list_rows", "locked forever"),
    "oddargs": ("fake-oddargs", "0.3", INVALID_SIGNATURE, "register", "an_argument_nobody_passes"),
    "sloppy": ("fake-sloppy", "1.1", MALFORMED, "hermes_sessions_list_rows", "malformed row"),
}


@pytest.mark.parametrize("culprit", sorted(CASES))
def test_a_broken_plugin_is_reported_and_the_rest_still_lists(
    culprit: str, install_fake, make_store, hermes_home
) -> None:
    """Import error, raising hook, invalid hook signature, malformed rows: the good plugin's
    rows still list; the culprit is a problem naming distribution, version and cause."""
    dist, version, source, hook, cause = CASES[culprit]
    install_fake("fake-good", "1.0", {"goodsource": GOOD.format(name="goodsource", prefix="good_")})
    install_fake(dist, version, {culprit: source})
    store = make_store()
    titles = _titles(store)
    assert "from goodsource" in titles
    problems = [p for p in store.problems if p.source == culprit]
    assert problems and problems[0].distribution == f"{dist} {version}"
    assert problems[0].hook == hook and cause in problems[0].message
    if culprit == "sloppy":
        assert "kept" in titles, "a plugin's good rows survive its malformed ones"
    entry = _culprit(_cli_report(), culprit)
    assert entry["distribution"] == f"{dist} {version}" and cause in entry["error"]
    table = CliRunner().invoke(app, ["plugins"], env={"COLUMNS": "200"}).stdout
    assert f"{culprit} ({dist} {version}) failed in {hook}" in table


@pytest.mark.parametrize("culprit", sorted(CASES))
def test_a_broken_plugin_can_be_blocked_by_name(
    culprit: str, install_fake, make_store, hermes_home, monkeypatch
) -> None:
    """S7.9: blocking by name (argument, --block, HERMES_SESSIONS_BLOCKED_PLUGINS) keeps the
    plugin from loading at all, so it reports nothing and the sidebar is clean."""
    dist, version, source, _hook, _cause = CASES[culprit]
    install_fake(dist, version, {culprit: source})
    store = make_store(blocked=(culprit,))
    store.list_sessions()
    assert [p for p in store.problems if p.source == culprit] == []
    report = _cli_report("--block", culprit)
    (entry,) = [e for e in report if e["name"] == culprit]
    assert entry["status"] == "blocked" and entry["distribution"] == f"{dist} {version}"
    monkeypatch.setenv("HERMES_SESSIONS_BLOCKED_PLUGINS", culprit)
    assert [e["status"] for e in _cli_report() if e["name"] == culprit] == ["blocked"]


def test_two_plugins_with_the_same_entry_point_name(install_fake, make_store, hermes_home) -> None:
    """The first distribution keeps the name; the second is reported with its own
    distribution and version, and the first one's rows still list."""
    install_fake("fake-first", "1.0", {"twin": GOOD.format(name="twin", prefix="twin_")})
    install_fake("fake-second", "2.0", {"twin": GOOD.format(name="twin2", prefix="twintwo_")})
    store = make_store()
    assert _titles(store) in (["from twin"], ["from twin2"])
    (problem,) = [p for p in store.problems if p.source == "twin"]
    assert "already registered" in problem.message
    loser = problem.distribution
    assert loser in ("fake-first 1.0", "fake-second 2.0")
    entry = _culprit(_cli_report(), "twin")
    assert entry["distribution"] == loser


@pytest.mark.parametrize(
    ("second", "clash"),
    [
        ({"narrow": GOOD.format(name="narrow", prefix="dup_x_")}, "claims ids starting"),
        ({"copycat": GOOD.format(name="wide", prefix="copy_")}, "source name 'wide'"),
    ],
    ids=["overlapping id prefixes", "same source name"],
)
def test_two_plugins_claiming_the_same_ids_or_source_name(
    second: dict[str, str], clash: str, install_fake, make_store, hermes_home
) -> None:
    """Two sources whose id prefixes overlap (`dup_` and `dup_x_`) or that give the same
    source name: one is used, the other is reported with its distribution and the clash."""
    install_fake("fake-wide", "1.0", {"wide": GOOD.format(name="wide", prefix="dup_")})
    install_fake("fake-other", "0.9", second)
    store = make_store()
    assert len(_titles(store)) == 1
    failed = [e for e in _cli_report() if e["status"] == "failed"]
    assert len(failed) == 1, failed
    assert failed[0]["distribution"] in ("fake-wide 1.0", "fake-other 0.9")
    assert clash in failed[0]["error"] and "already" in failed[0]["error"]
