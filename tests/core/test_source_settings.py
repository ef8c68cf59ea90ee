"""A source's options from defaults, the store's settings and overrides; a bad value is
ignored, never raised (a typo must not empty the sidebar)."""

from __future__ import annotations

from dataclasses import dataclass

from hermes_sessions_core.source_settings import read_source_settings


@dataclass(frozen=True)
class _Options:
    max_files: int = 200
    window_bytes: int = 65536
    deep_read: bool = False


class _Context:
    def __init__(self, values: dict) -> None:
        self.values = values

    def setting(self, source: str, name: str, default=None):
        return self.values.get(source, {}).get(name, default)


def test_defaults_then_settings_then_overrides() -> None:
    context = _Context({"src": {"max_files": 50, "deep_read": True}})
    assert read_source_settings(_Options, "src", None, {}) == _Options()
    assert read_source_settings(_Options, "src", context, {}) == _Options(50, 65536, True)
    assert read_source_settings(_Options, "src", context, {"max_files": 7, "deep_read": False}) \
        == _Options(7, 65536, False)
    assert read_source_settings(_Options, "other", context, {}) == _Options()


def test_values_of_the_wrong_kind_are_ignored() -> None:
    hostile = {"max_files": True, "window_bytes": -1, "deep_read": 1}
    assert read_source_settings(_Options, "src", _Context({"src": hostile}), {}) == _Options()
    assert read_source_settings(
        _Options, "src", None, {"max_files": "9", "window_bytes": 0, "deep_read": "yes"}
    ) == _Options()
