"""The source's names, apart from :mod:`.settings` so that registering the plugin (which needs
only these) defines no dataclass."""

from __future__ import annotations

__all__ = ["SOURCE_NAME", "SOURCE_LABEL", "ID_PREFIX"]

SOURCE_NAME = "codex"
SOURCE_LABEL = "Codex"
ID_PREFIX = "codex_"
