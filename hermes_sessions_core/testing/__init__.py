"""The conformance kit: contract test classes every source plugin can run in its own repository.

Subclass a contract in a ``Test…`` class, provide the fixtures it names, and pytest runs every
rule of S0, S1, S2 and S6 that applies to your source::

    import pytest
    import my_package.hooks
    from hermes_sessions_core.testing import ReadableSourceContract

    class TestMySource(ReadableSourceContract):
        @pytest.fixture
        def plugin(self):
            return my_package.hooks

        ...  # settings, seed and seed_damaged: see docs/writing-a-plugin.md

``ReadableSourceContract`` is for every source, ``WritableStoreContract`` for a store that
saves, ``SessionFilesContract`` for one that keeps the Web UI's file layout;
``HostileInputContract`` adds special files, deep nesting, oversized fields and wrong types,
written in the source's own format by its ``hostile_seed`` fixture; ``SearchContract`` checks a
source that implements ``hermes_sessions_search`` against its ``search_examples``. The kit is also a
pytest plugin (entry point ``pytest11: hermes_sessions``), so installing hermes-sessions is all
an author needs.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest

# Before any helper module is imported, so their asserts explain themselves on failure.
pytest.register_assert_rewrite(
    "hermes_sessions_core.testing.assertions",
    "hermes_sessions_core.testing.readable",
    "hermes_sessions_core.testing.writable",
    "hermes_sessions_core.testing.session_files",
    "hermes_sessions_core.testing.hostile",
    "hermes_sessions_core.testing.search",
)

#: Public name → defining module. Loaded on first use, so the pytest plugin (which imports
#: this package in every pytest run) costs nothing until a test uses the kit.
_EXPORTS = {
    "ReadableSourceContract": "readable",
    "MALFORMED_IDS": "readable",
    "WritableStoreContract": "writable",
    "SessionFilesContract": "session_files",
    "StoredFiles": "session_files",
    "HostileInputContract": "hostile",
    "SearchContract": "search",
    "SearchExample": "search",
    "HOSTILE_QUERIES": "search",
    "HostileSeed": "hostile",
    "HOSTILE_KINDS": "hostile",
    "WRONG_TYPES": "hostile",
    "deeply_nested_json": "hostile",
    "oversized_text": "hostile",
    "splice_raw_json": "hostile",
    "make_special_file": "hostile",
    "SourceHarness": "harness",
    "MissingContractFixture": "errors",
    "abstract_fixture": "errors",
    "REQUIRED_ROW_KEYS": "assertions",
    "assert_valid_row": "assertions",
    "assert_epoch_float": "assertions",
    "assert_file_layout": "assertions",
    "chat": "samples",
    "original_record": "samples",
    "write_original_file": "samples",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted(__all__)
