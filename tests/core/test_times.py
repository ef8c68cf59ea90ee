"""Times as epoch floats (S0.1)."""

from __future__ import annotations

import pytest

from hermes_sessions_core.times import to_epoch


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1700000000, 1700000000.0),
        (1700000000.5, 1700000000.5),
        ("1700000000.5", 1700000000.5),
        ("2026-11-23T10:00:00Z", 1795428000.0),
        ("2026-11-23T12:00:00+02:00", 1795428000.0),
        ("2026-11-23T10:00:00", 1795428000.0),
    ],
)
def test_accepted_forms(value, expected):
    """Ints, floats, numeric strings and ISO-8601 with Z, offsets or none (UTC)."""
    assert to_epoch(value) == expected


@pytest.mark.parametrize("value", [None, "", "soon", float("nan"), float("inf"), -1, 5e246,
                                   "5e246", True, [], {}, "10000-01-01T00:00:00"])
def test_unusable_values_are_missing(value):
    """Unparseable, non-finite, out-of-range (S8.26 `5e246`) or odd types count as missing."""
    assert to_epoch(value) is None
