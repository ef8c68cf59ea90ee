"""The ``host_suite`` marker, and the host suite's result in pytest's terminal summary.

The result is printed by a hook rather than by the test so that it shows under output
capture, pass or fail.
"""

from __future__ import annotations

import pytest

_SUMMARY_LINES = pytest.StashKey[list[str]]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "host_suite: runs the Web UI's own test suite against our api/models.py (minutes); "
        "deselect with -m 'not host_suite'",
    )


@pytest.fixture
def host_suite_summary(request: pytest.FixtureRequest) -> list[str]:
    """Lines appended here are printed in the terminal summary at the end of the run."""
    return request.config.stash.setdefault(_SUMMARY_LINES, [])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    lines = config.stash.get(_SUMMARY_LINES, [])
    if lines:
        terminalreporter.section("host suite")
        for line in lines:
            terminalreporter.write_line(line)
