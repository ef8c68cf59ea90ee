"""The Web UI's own test suite passes with our ``api/models.py`` wherever it passes with the
original, except the tests listed in ``host_suite_exceptions.txt``; plus quick checks of the
harness's parsing and comparison, which need not wait minutes for the host suite."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

from .host_suite import (
    MAX_EXCEPTIONS,
    CaseResult,
    ExceptionListError,
    HostSuiteError,
    SuiteRun,
    check_models,
    compare_runs,
    find_host_checkout,
    format_regressions,
    models_under_test,
    parse_junit,
    read_exception_list,
)

EXCEPTIONS = Path(__file__).with_name("host_suite_exceptions.txt")
TEST_SECONDS = 1500
FULL_RUN_SECONDS = 900


@pytest.mark.host_suite
@pytest.mark.timeout(TEST_SECONDS)
def test_host_suite_passes_with_our_models(tmp_path: Path, host_suite_summary: list[str]) -> None:
    """No host test that passes with the original models.py fails with ours, unless excused."""
    checkout = find_host_checkout()
    if checkout is None:
        pytest.skip("the Web UI checkout is absent at ../shared/webui (CI always has it)")
    if importlib.util.find_spec("yaml") is None:
        pytest.fail("the Web UI needs pyyaml to run its suite: pip install pyyaml", pytrace=False)
    exceptions = read_exception_list(EXCEPTIONS)
    deadline = time.monotonic() + TEST_SECONDS - 60
    try:
        report = check_models(checkout, models_under_test(), tmp_path, exceptions, deadline,
                              FULL_RUN_SECONDS)
    except HostSuiteError as error:
        pytest.fail(str(error), pytrace=False)
    host_suite_summary.extend(report.summary_lines())
    if report.unknown_exceptions:
        pytest.fail(f"{EXCEPTIONS.name} lists tests the host suite does not have: "
                    f"{', '.join(report.unknown_exceptions)}; remove them", pytrace=False)
    if report.comparison.regressions:
        pytest.fail(report.failure_message(), pytrace=False)


def test_exception_list_is_well_formed_and_short() -> None:
    """Each line is '<node id>  # <reason>' with an allowed reason, and there are at most 20."""
    assert len(read_exception_list(EXCEPTIONS)) <= MAX_EXCEPTIONS


@pytest.mark.parametrize("line", [
    "tests/test_a.py::test_x # reads api/models.py source text",  # one space before '#'
    "tests/test_a.py  # reads api/models.py source text",  # a module, not a test
    "tests/test_a.py::test_x  # it was flaky",  # neither allowed reason
    "tests/test_a.py::test_x  # S8: no rule number",
])
def test_exception_list_rejects_malformed_lines(tmp_path: Path, line: str) -> None:
    """A malformed line is an error naming the file and line, not an ignored entry."""
    listing = tmp_path / "host_suite_exceptions.txt"
    listing.write_text(f"# header comment\n\n{line}\n", encoding="utf-8")
    with pytest.raises(ExceptionListError, match="host_suite_exceptions.txt line 3"):
        read_exception_list(listing)


def test_exception_list_reads_entries_and_caps_them(tmp_path: Path) -> None:
    """Comments and blank lines are skipped; more than 20 entries is an error."""
    listing = tmp_path / "host_suite_exceptions.txt"
    lines = [f"tests/test_a.py::test_{n}[x.y]  # S8.6: fields kept" for n in range(20)]
    listing.write_text("# why\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
    assert read_exception_list(listing)["tests/test_a.py::test_0[x.y]"] == "S8.6: fields kept"
    listing.write_text("\n".join([*lines, "tests/test_a.py::t  # S8.3: kept"]), encoding="utf-8")
    with pytest.raises(ExceptionListError, match="at most 20"):
        read_exception_list(listing)


JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="6">
<testcase classname="tests.test_a" name="test_passes" time="0.1"/>
<testcase classname="tests.test_a.TestGroup" name="test_fails[a.b-1]" time="0.1">
  <failure message="AssertionError: assert 1 == 2&#10;second line">traceback</failure></testcase>
<testcase classname="tests.test_a" name="test_setup_error" time="0.1">
  <error message="failed on setup with &quot;KeyError&quot;">traceback</error></testcase>
<testcase classname="tests.test_a" name="test_skipped" time="0.0">
  <skipped type="pytest.skip" message="no agent">skip</skipped></testcase>
<testcase classname="tests.test_a" name="test_teardown" time="0.1"/>
<testcase classname="tests.test_a" name="test_teardown" time="0.1">
  <error message="failed on teardown">traceback</error></testcase>
<testcase classname="" name="tests.test_broken" time="0.0">
  <error message="collection failure">ImportError</error></testcase>
</testsuite></testsuites>"""


def test_junit_results_are_keyed_by_node_id(tmp_path: Path) -> None:
    """Junit's dotted class names map back to node ids, and each case gets its worst outcome."""
    (tmp_path / "tests").mkdir()
    for module in ("test_a.py", "test_broken.py"):
        (tmp_path / "tests" / module).write_text("", encoding="utf-8")
    results = parse_junit(JUNIT, tmp_path)
    assert {i: r.outcome for i, r in results.items()} == {
        "tests/test_a.py::test_passes": "passed",
        "tests/test_a.py::TestGroup::test_fails[a.b-1]": "failed",
        "tests/test_a.py::test_setup_error": "error",
        "tests/test_a.py::test_skipped": "skipped",
        "tests/test_a.py::test_teardown": "error",
        "tests/test_broken.py": "error",
    }
    failed = results["tests/test_a.py::TestGroup::test_fails[a.b-1]"]
    assert failed.message == "AssertionError: assert 1 == 2\nsecond line"


def test_only_failures_that_pass_with_the_original_are_regressions(tmp_path: Path) -> None:
    """A test failing with the original too, or excused, is no regression; one that passes
    alone with ours still is (it fails after earlier tests), and is labelled so."""
    def run(**outcomes: str) -> SuiteRun:
        ids = {name.replace("__", "::"): outcome for name, outcome in outcomes.items()}
        return SuiteRun({i: CaseResult(i, o, "boom") for i, o in ids.items()}, tmp_path)

    ours = run(a__regressed="failed", a__also_broken="failed", a__after_others="error",
               a__excused="failed", broken="error", a__fine="passed")
    alone = run(a__regressed="failed", a__also_broken="failed", a__after_others="passed",
                a__excused="failed", broken="error")
    original = run(a__regressed="passed", a__also_broken="failed", a__after_others="passed",
                   a__excused="passed", broken__test_inside="passed")
    comparison = compare_runs(ours, original, {"a::excused": "S8.6: kept"}, alone)
    regressed = [r.node_id for r in comparison.regressions]
    assert regressed == ["a::after_others", "a::regressed", "broken"]
    assert comparison.pass_alone == ("a::after_others",)
    assert comparison.excused == ("a::excused",)
    listing = format_regressions(comparison.regressions, comparison.pass_alone)
    assert "a::regressed (failed)\n    boom" in listing
    assert "a::after_others (error; passed when the failures re-ran by themselves" in listing


def test_restart_guard_keeps_a_background_execv_from_restarting_the_run(tmp_path: Path) -> None:
    """A re-exec from a background thread (the host's scheduled restart) is parked; the main
    thread's own execv still works."""
    import subprocess
    import sys

    script = (
        "import os, sys, threading, time\n"
        "import host_restart_guard\n"
        "def restart():\n"
        "    os.execv(sys.executable, [sys.executable, '-c', 'print(\"restarted\")'])\n"
        "threading.Thread(target=restart, daemon=True).start()\n"
        "time.sleep(0.3)\n"
        "print('finished', flush=True)\n"
        "os.execv(sys.executable, [sys.executable, '-c', 'print(\"main exec\")'])\n"
    )
    guard_dir = Path(__file__).parent
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
        env={"PYTHONPATH": str(guard_dir), "PATH": "/usr/bin:/bin"}, check=False,
    )
    assert completed.stdout.split() == ["finished", "main", "exec"], completed.stderr
