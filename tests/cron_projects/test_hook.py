"""test_hook_hermes_sessions_projects: third-party projects, isolation, and the CLI."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from hermes_sessions_core import hookimpl
from hermes_sessions_core.cli import app
from hermes_sessions_core.hookspecs import Project
from hermes_sessions_core.manager import make_plugin_manager
from hermes_sessions_core.store import SessionStore


class Contributor:
    @hookimpl
    def hermes_sessions_projects(self, context, profile):
        return [Project("jira_ops", "Ops tickets", "#0ea5e9", profile, source="jira"),
                Project("p2work000002", "Shadowed", None, profile, source="jira"), "junk"]


class Broken:
    @hookimpl
    def hermes_sessions_projects(self, context, profile):
        raise RuntimeError("jira is down")


def test_hook_hermes_sessions_projects(locations):
    """Built-ins answer first (an id clash keeps projects.json's); a raising or malformed
    plugin becomes a problem and the others still answer."""
    manager = make_plugin_manager(
        entry_points=False, extra_plugins=[("contrib", Contributor()), ("broken", Broken())]
    )
    store = SessionStore(locations, plugin_manager=manager)
    projects, problems = store.dispatcher.projects(store.context(), "work")
    assert [(p.project_id, p.source) for p in projects] == [
        ("p2work000002", "projects.json"), ("jira_ops", "jira")]
    assert projects[0].name == "Work project"
    assert {p.source for p in problems} == {"contrib", "broken"}
    assert any("jira is down" in p.message for p in problems)
    store.close()


def test_cli_projects_lists_and_ensures(locations):
    runner = CliRunner()
    args = ["projects", "--home", str(locations.base_home), "--state-dir", str(locations.state_dir)]
    listed = runner.invoke(app, [*args, "--profile", "work", "--json"])
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.stdout)
    assert [p["project_id"] for p in data["projects"]] == ["p2work000002"]
    before = locations.projects_file.read_bytes()
    assert runner.invoke(app, [*args, "--profile", "work"]).exit_code == 0
    assert locations.projects_file.read_bytes() == before  # listing writes nothing
    ensured = runner.invoke(app, [*args, "--profile", "work", "--ensure-cron", "--json"])
    data = json.loads(ensured.stdout)
    assert data["cron_project_id"] in [p["project_id"] for p in data["projects"]]
    bad = runner.invoke(app, [*args, "--profile", "../etc"])
    assert bad.exit_code == 1
