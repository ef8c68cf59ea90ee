"""The user's settings file: per-source options a command line or host cannot easily pass,
such as the roots of other machines.

``$HERMES_SESSIONS_CONFIG`` names it; by default it is ``hermes-sessions.toml`` in the Web UI
state folder (``~/.hermes/webui``), beside the sessions it configures. Each top-level table
is one source's settings, exactly as ``SessionStore(settings=...)`` takes them::

    [[claude_code.roots]]
    url = "sftp://me@laptop.local/home/me/.claude/projects"
    machine = "laptop"
    options = { key_filename = "~/.ssh/id_ed25519" }

A missing file is no settings; a file that cannot be read or parsed is an error naming the
file and the line, because running without the user's roots would silently hide sessions.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Mapping

from .errors import HermesSessionsError

__all__ = ["CONFIG_ENV_VAR", "SETTINGS_FILE_NAME", "SettingsFileError", "settings_file_path",
           "read_settings_file"]

CONFIG_ENV_VAR = "HERMES_SESSIONS_CONFIG"
SETTINGS_FILE_NAME = "hermes-sessions.toml"
#: A settings file is a few lines; anything far larger is not one (and is never read whole).
_MAX_BYTES = 1024 * 1024


class SettingsFileError(HermesSessionsError):
    """The settings file exists but cannot be used; the message names it and the fix."""


def settings_file_path(state_dir: Path, environ: Mapping[str, str]) -> Path:
    configured = environ.get(CONFIG_ENV_VAR)
    if configured:
        return Path(os.path.expanduser(configured))
    return state_dir / SETTINGS_FILE_NAME


def read_settings_file(path: Path) -> dict[str, dict[str, Any]]:
    """The file's settings by source; ``{}`` when there is no file."""
    from .regular_files import FileTooLarge, NotARegularFile, read_regular

    try:
        # Followed if it is a symlink: dotfile managers link settings files into place.
        raw = read_regular(path, _MAX_BYTES, follow_symlinks=True)
    except FileNotFoundError:
        return {}
    except (NotARegularFile, FileTooLarge) as error:
        raise SettingsFileError(f"settings file: {error}") from None
    except OSError as error:
        raise SettingsFileError(
            f"settings file {path} cannot be read: {error.strerror or error}"
        ) from None
    # Only now: most homes have no settings file, and tomllib costs every process a few ms.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        parsed = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise SettingsFileError(f"settings file {path} is not UTF-8: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsFileError(f"settings file {path}: {error}") from None
    wrong = [name for name, value in parsed.items() if not isinstance(value, dict)]
    if wrong:
        raise SettingsFileError(
            f"settings file {path}: {', '.join(map(repr, wrong))} must be a table of one "
            "source's settings, e.g. [claude_code]"
        )
    return {name: dict(value) for name, value in parsed.items()}
