"""Where OpenCode keeps its data on this machine, and which database files a folder holds.

OpenCode's data folder is ``xdg-basedir``'s data home plus ``opencode``:
``$XDG_DATA_HOME/opencode``, else ``~/.local/share/opencode`` (``Global.Path.data``). The
database there is ``opencode.db``, or ``opencode-<channel>.db`` for builds of another release
channel, and ``$OPENCODE_DB`` moves it (an absolute path, or a name inside the data folder;
``:memory:`` keeps nothing on disk). ``settings["opencode"]["home"]`` replaces the data folder.
The environment is read from ``context.locations.env``, never from the process directly.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

__all__ = ["DATABASE_NAME", "data_homes", "database_names", "is_database_name"]

DATABASE_NAME = "opencode.db"
_CHANNEL_PREFIX = "opencode-"
_DB_SUFFIX = ".db"


def _home_dir(env: Mapping[str, str]) -> str:
    home = env.get("HOME")
    return home if home else os.path.expanduser("~")


def data_homes(env: Mapping[str, str], configured_home: object = None) -> list[str]:
    """The default OpenCode data folders: the configured ``home`` or the XDG one, plus the
    folder of an absolute ``$OPENCODE_DB`` when it lies elsewhere."""
    if isinstance(configured_home, (str, os.PathLike)) and os.fspath(configured_home):
        folders = [os.path.expanduser(os.fspath(configured_home))]
    else:
        base = env.get("XDG_DATA_HOME") or os.path.join(_home_dir(env), ".local", "share")
        folders = [os.path.join(base, "opencode")]
    override = env.get("OPENCODE_DB", "")
    if override and override != ":memory:" and os.path.isabs(override):
        parent = os.path.dirname(override)
        if parent and parent not in folders:
            folders.append(parent)
    return folders


def database_names(env: Mapping[str, str]) -> frozenset[str]:
    """File names, besides ``opencode-<channel>.db``, that are OpenCode databases."""
    names = {DATABASE_NAME}
    override = env.get("OPENCODE_DB", "")
    if override and override != ":memory:":
        names.add(Path(override).name)
    return frozenset(names)


def is_database_name(name: str, extra_names: frozenset[str] = frozenset()) -> bool:
    """``opencode.db``, ``opencode-<channel>.db`` or a name ``$OPENCODE_DB`` gave."""
    if name == DATABASE_NAME or name in extra_names:
        return True
    return name.startswith(_CHANNEL_PREFIX) and name.endswith(_DB_SUFFIX) and len(name) > 12
