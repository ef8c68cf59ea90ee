"""Fake installed distributions: a `<name>-<version>.dist-info` folder with entry points and one
module per plugin, on a private sys.path entry, removed (with its modules) after each test."""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path
from typing import Callable, Iterator

import pytest
from hermes_sessions_json_fs import registry

from hermes_sessions_core import Locations, SessionStore
from hermes_sessions_core.manager import make_plugin_manager

#: A healthy third-party source, so every test can show that the rest still lists.
GOOD = """
from hermes_sessions_core import SessionRow, SourceInfo, SourceListing, hookimpl

@hookimpl
def hermes_sessions_source_info():
    return SourceInfo(name="{name}", label="Good", writable=False, id_prefixes=("{prefix}",))

@hookimpl
def hermes_sessions_list_rows(request):
    return SourceListing("{name}", (SessionRow.adopt({{"session_id": "{prefix}1",
        "title": "from {name}", "message_count": 1, "created_at": 1.0, "updated_at": 2.0,
        "profile": None, "session_source": "external_agent", "read_only": True}}),))
"""

InstallFake = Callable[[str, str, dict[str, str]], None]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    importlib.invalidate_caches()
    before = set(sys.modules)
    yield folder
    for name in set(sys.modules) - before:
        if name.startswith("isolation_fake_"):
            del sys.modules[name]
    registry.forget_all()


@pytest.fixture
def install_fake(site: Path) -> InstallFake:
    """``install_fake("fake-raises", "2.0", {"raises": source})`` installs one distribution."""

    def install(dist: str, version: str, plugins: dict[str, str]) -> None:
        info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        lines = ["[hermes_sessions.plugins]"]
        for entry_name, source in plugins.items():
            module = f"isolation_fake_{dist}_{entry_name}".replace("-", "_")
            (site / f"{module}.py").write_text(textwrap.dedent(source))
            lines.append(f"{entry_name} = {module}")
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        importlib.invalidate_caches()

    return install


@pytest.fixture
def hermes_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HERMES_HOME for CLI runs (the autouse fixture already isolated HOME)."""
    home = tmp_path / "hermes"
    monkeypatch.setenv("HERMES_HOME", str(home))
    return home


@pytest.fixture
def make_store(tmp_path: Path) -> Callable[..., SessionStore]:
    """A store with the Web UI source and every (fake) installed third-party plugin."""

    def build(blocked: tuple[str, ...] = (), timeout: float | None = None) -> SessionStore:
        locations = Locations.from_environment(
            base_home=tmp_path / "h", state_dir=tmp_path / "w",
            claude_projects_dir=tmp_path / "c", default_workspace=tmp_path / "ws", environ={},
        )
        manager = make_plugin_manager(builtins=["json_fs"], blocked=blocked, environ={})
        settings = {"core": {"call_timeout": timeout}} if timeout is not None else {}
        return SessionStore(locations, plugin_manager=manager, settings=settings)

    return build
