"""The look on ``sys.path`` that spares ``importlib.metadata`` when no plugin can be installed.

It may answer "yes" when there is none (``importlib.metadata`` then finds nothing), never "no"
when there is one: each case a distribution can hide in answers yes.
"""

from __future__ import annotations

import importlib
import sys
import zipfile
from pathlib import Path

import pytest

from hermes_sessions_core.hookspecs import ENTRY_POINT_GROUP
from hermes_sessions_core.manager import make_plugin_manager, may_declare_entry_points


def dist_info(site: Path, name: str, entry_points: str | None) -> Path:
    info = site / name
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: x\nVersion: 1\n")
    if entry_points is not None:
        (info / "entry_points.txt").write_text(entry_points)
    return info


@pytest.fixture
def only_site(tmp_path, monkeypatch):
    """``sys.path`` is one empty folder (plus a missing one), so the answer is this test's."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.setattr(sys, "path", [str(site), str(tmp_path / "missing")])
    importlib.invalidate_caches()
    return site


def test_no_distribution_declaring_the_group_means_no(only_site):
    dist_info(only_site, "tool-1.0.dist-info", "[console_scripts]\ntool = tool:main\n")
    dist_info(only_site, "bare-2.0.dist-info", None)
    (only_site / "notes.egg-info").write_text("a PKG-INFO file, not a folder")
    assert may_declare_entry_points(ENTRY_POINT_GROUP) is False


@pytest.mark.parametrize("folder", ["plug-1.0.dist-info", "Plug-1.0.DIST-INFO", "plug.egg-info"])
def test_a_distribution_declaring_the_group_means_yes(only_site, folder):
    dist_info(only_site, folder, f"[{ENTRY_POINT_GROUP}]\nplug = plug_module\n")
    assert may_declare_entry_points(ENTRY_POINT_GROUP) is True


def test_an_egg_folder_on_the_path_is_read(tmp_path, monkeypatch):
    egg = tmp_path / "plug-1.0-py3.11.egg"
    dist_info(egg, "EGG-INFO", f"[{ENTRY_POINT_GROUP}]\nplug = plug_module\n")
    monkeypatch.setattr(sys, "path", [str(egg)])
    assert may_declare_entry_points(ENTRY_POINT_GROUP) is True


def test_a_zip_on_the_path_cannot_be_judged(tmp_path, monkeypatch):
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("plug-1.0.dist-info/entry_points.txt", f"[{ENTRY_POINT_GROUP}]\n")
    monkeypatch.setattr(sys, "path", [str(archive)])
    assert may_declare_entry_points(ENTRY_POINT_GROUP) is True


def test_another_distribution_finder_cannot_be_judged(only_site, monkeypatch):
    class Finder:
        @staticmethod
        def find_distributions(context=None):
            return iter(())

    monkeypatch.setattr(sys, "meta_path", [Finder(), *sys.meta_path])
    assert may_declare_entry_points(ENTRY_POINT_GROUP) is True


def test_an_unreadable_entry_points_file_cannot_be_judged(only_site, monkeypatch):
    info = dist_info(only_site, "plug-1.0.dist-info", "")
    real_open = open

    def refusing_open(path, *args, **kwargs):
        if str(path) == str(info / "entry_points.txt"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", refusing_open)
    assert may_declare_entry_points(ENTRY_POINT_GROUP) is True


def test_the_manager_skips_importlib_metadata_when_the_answer_is_no(only_site, monkeypatch):
    """The point of the look: no distribution declares a plugin, so no metadata is read."""
    from importlib import metadata

    def must_not_run(**kwargs):
        raise AssertionError("importlib.metadata.entry_points was asked")

    monkeypatch.setattr(metadata, "entry_points", must_not_run)
    manager = make_plugin_manager(builtins=())
    assert manager.load_problems == [] and manager.get_plugins() == set()


def test_the_manager_asks_importlib_metadata_when_the_answer_is_yes(only_site):
    """A declared plugin still reaches importlib.metadata: here its module is missing, which
    only the real loader can find out."""
    dist_info(only_site, "plug-1.0.dist-info", f"[{ENTRY_POINT_GROUP}]\nplug = plug_module\n")
    manager = make_plugin_manager(builtins=())
    assert [(p.source, p.hook) for p in manager.load_problems] == [("plug", "import")]
