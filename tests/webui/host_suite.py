"""Run the Web UI's own test suite against a replacement ``api/models.py`` and compare.

Our drop-in is right only if the host app's tests still pass with it. The host suite is run in
a writable copy of ``../shared/webui`` as a subprocess (it starts its own server and rewrites
``os.environ`` at import, so it cannot share our process), and read back from its junit XML.
Only the tests that fail with ours are re-run, by node id, in a fresh copy holding the
ORIGINAL ``api/models.py``: a test is a regression if it failed with ours and passes with the
original, so the original's own failures (root, no git, no agent) do not count against us and
the whole suite runs once, not twice. They are also re-run alone with ours; that only labels
the regressions that need earlier tests to fail (state kept between calls), it excuses none.

``HERMES_HOST_SUITE_MODELS=/path/to/models.py`` runs the suite against that file instead of
``examples/webui/api/models.py``; pointed at the host's original file it checks the harness
itself, which must then report no regressions.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from ..servers.processes import die_with_parent, stop_process

__all__ = [
    "ALLOWED_SOURCE_TEXT_REASON",
    "MAX_EXCEPTIONS",
    "CaseResult",
    "Comparison",
    "ExceptionListError",
    "HostSuiteError",
    "HostSuiteReport",
    "SuiteRun",
    "check_models",
    "compare_runs",
    "find_host_checkout",
    "format_regressions",
    "import_problem",
    "models_under_test",
    "parse_junit",
    "prepare_copy",
    "read_exception_list",
    "run_host_suite",
    "wait_budget",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
OUR_MODELS = REPO_ROOT / "examples" / "webui" / "api" / "models.py"
MODELS_OVERRIDE_VARIABLE = "HERMES_HOST_SUITE_MODELS"

MAX_EXCEPTIONS = 20
ALLOWED_SOURCE_TEXT_REASON = "reads api/models.py source text"
_SPEC_REASON = re.compile(r"S8\.\d+: \S")
_ENTRY_SEPARATOR = "  # "

# Above this many failures a by-id re-run is no cheaper than the original's whole suite.
MAX_RERUN_IDS = 300
PER_TEST_TIMEOUT_SECONDS = 120
_FAILING = frozenset({"failed", "error"})
_SEVERITY = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}
_SHOWN_REGRESSIONS = 50
# Our own variables, and the ones our tests/conftest.py strips: the host derives its port, state
# dir and homes itself, and inherited pytest options would change what it runs.
_STRIPPED_PREFIXES = ("HERMES_", "CLAUDE_CONFIG_DIR", "PYTEST_")
#: Loaded into every host run: a restart the host schedules must never re-run the whole suite.
_RESTART_GUARD = Path(__file__).with_name("host_restart_guard.py")


class HostSuiteError(RuntimeError):
    """The host suite could not be run or gave no readable result (not a test failure)."""


class ExceptionListError(ValueError):
    """``host_suite_exceptions.txt`` is malformed; the message names the line and the fix."""


@dataclass(frozen=True)
class CaseResult:
    """One junit ``testcase``: its pytest node id, outcome and the first lines of its failure."""

    node_id: str
    outcome: str  # passed, failed, error or skipped
    message: str = ""


@dataclass(frozen=True)
class SuiteRun:
    """The parsed results of one host-suite subprocess, by node id, and where its log is."""

    results: Mapping[str, CaseResult]
    log: Path

    @property
    def passed(self) -> int:
        return sum(1 for result in self.results.values() if result.outcome == "passed")

    def failing_ids(self) -> list[str]:
        return sorted(i for i, result in self.results.items() if result.outcome in _FAILING)

    def outcome(self, node_id: str) -> str | None:
        """The outcome of ``node_id``; for a module id (a collection error elsewhere), "passed"
        if any of its tests passed here. None if this run did not report it."""
        if node_id in self.results:
            return self.results[node_id].outcome
        outcomes = {r.outcome for i, r in self.results.items() if i.startswith(node_id + "::")}
        if not outcomes:
            return None
        return "passed" if "passed" in outcomes else max(outcomes, key=_SEVERITY.__getitem__)


@dataclass(frozen=True)
class Comparison:
    """What ours did relative to the original. Only ``regressions`` fail the test; the
    rest is information (``better_than_original`` is known only when the original ran whole)."""

    regressions: tuple[CaseResult, ...]
    excused: tuple[str, ...] = ()
    pass_alone: tuple[str, ...] = ()
    better_than_original: tuple[str, ...] = ()
    stale_exceptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class HostSuiteReport:
    """One check of a models.py: the full run with it and how it compares with the original."""

    models: Path
    ours: SuiteRun
    comparison: Comparison
    unknown_exceptions: tuple[str, ...]
    original_ran: str
    import_problem: str = ""

    def summary_lines(self) -> list[str]:
        """For pytest's terminal summary: the pass count first, then what is information only."""
        comparison = self.comparison
        first = (f"host suite: {self.ours.passed} of {len(self.ours.results)} pass "
                 f"(ours: {self.models}; {self.original_ran})")
        lines = [first]
        for label, ids in (
            ("regressions", [r.node_id for r in comparison.regressions]),
            ("excused by host_suite_exceptions.txt", comparison.excused),
            ("of the regressions passed when the failures re-ran by themselves with ours",
             comparison.pass_alone),
            ("pass with ours, fail with the original", comparison.better_than_original),
            ("listed in host_suite_exceptions.txt but pass now", comparison.stale_exceptions),
        ):
            if ids:
                shown = ", ".join(list(ids)[:10]) + (", ..." if len(ids) > 10 else "")
                lines.append(f"host suite: {len(ids)} {label}: {shown}")
        return lines

    def failure_message(self) -> str:
        """The regressions, shared causes first, so one broken import does not read as 5,000."""
        regressions = self.comparison.regressions
        causes = Counter(r.message.strip().partition("\n")[0] for r in regressions)
        shared = [(cause, n) for cause, n in causes.most_common(5) if n > 1]
        return (f"{len(regressions)} host tests pass with the original api/models.py but fail "
                f"with {self.models} (full log: {self.ours.log}); fix the drop-in, or list a test "
                f"in tests/webui/host_suite_exceptions.txt with its SPEC S8 rule.\n"
                + (f"Importing api.models in the host fails:\n{self.import_problem}\n"
                   if self.import_problem else "")
                + ("Shared causes:\n" if shared else "")
                + "".join(f"  {n} x {cause[:200]}\n" for cause, n in shared)
                + "Regressions:\n"
                + format_regressions(regressions[:_SHOWN_REGRESSIONS], self.comparison.pass_alone)
                + (f"\n... and {len(regressions) - _SHOWN_REGRESSIONS} more"
                   if len(regressions) > _SHOWN_REGRESSIONS else ""))


def find_host_checkout() -> Path | None:
    """``<repo root>/../shared/webui``, where CI always puts the host app; None if absent."""
    checkout = REPO_ROOT.parent / "shared" / "webui"
    return checkout if (checkout / "api" / "models.py").is_file() else None


def models_under_test() -> Path:
    """Our drop-in, or the file named by ``HERMES_HOST_SUITE_MODELS`` (to check the harness)."""
    override = os.environ.get(MODELS_OVERRIDE_VARIABLE)
    models = Path(override).expanduser().resolve() if override else OUR_MODELS
    if not models.is_file():
        raise HostSuiteError(f"{models} does not exist; set {MODELS_OVERRIDE_VARIABLE} to a "
                             "models.py file or unset it to test examples/webui/api/models.py")
    return models


def prepare_copy(checkout: Path, destination: Path, models: Path) -> Path:
    """A writable copy of the host app with ``models`` as its ``api/models.py``.

    The shared checkout is read-only and the host's tests write beside their sources.
    """
    shutil.copytree(checkout, destination, symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    for folder, _, files in os.walk(destination):
        for path in (folder, *(os.path.join(folder, name) for name in files)):
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode | stat.S_IWUSR)
    shutil.copyfile(models, destination / "api" / "models.py")
    return destination


def run_host_suite(copy: Path, workdir: Path, timeout: float,
                   node_ids: Sequence[str] = ()) -> SuiteRun:
    """Run the host's suite (or just ``node_ids``) in ``copy`` with this interpreter.

    The subprocess gets its own session so that it, the host server its conftest starts and
    anything they spawn are killed together on a time-out or when our test is interrupted.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    junit, log = workdir / "junit.xml", workdir / "pytest.log"
    command = [
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=",
        "-c", str(copy / "pytest.ini"), "--rootdir", str(copy),
        "--timeout", str(PER_TEST_TIMEOUT_SECONDS), "-q", "-rfE",
        "-p", _RESTART_GUARD.stem,
        # A module that fails to import with ours is one error, not the end of the run.
        "--continue-on-collection-errors",
        "--basetemp", str(workdir / "tmp"), "--junitxml", str(junit),
        *(node_ids or ["tests"]),
    ]
    environment = _host_environment(workdir)
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=copy, env=environment, stdout=output,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True,
                                   preexec_fn=die_with_parent)  # noqa: PLW1509  one prctl call
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise HostSuiteError(f"the host suite in {copy} did not finish in {timeout:.0f} s; "
                                 f"its log ends:\n{_tail(log)}") from None
        finally:
            _stop_group(process)
    if code not in (0, 1) or not junit.is_file():
        raise HostSuiteError(f"the host suite in {copy} exited with {code} and "
                             f"{'a' if junit.is_file() else 'no'} junit XML; its log ends:\n"
                             f"{_tail(log)}")
    return SuiteRun(parse_junit(junit.read_text(encoding="utf-8"), copy), log)


def parse_junit(xml_text: str, root: Path) -> dict[str, CaseResult]:
    """Results by pytest node id. Junit spells ids as dotted class names, so the module part
    is found by looking for the file under ``root``; a collection error is keyed by its
    module's path. A case reported twice (a teardown error) keeps its worst outcome."""
    results: dict[str, CaseResult] = {}
    for case in ElementTree.fromstring(xml_text).iter("testcase"):
        node_id = _node_id(case.get("classname", ""), case.get("name", ""), root)
        result = _case_result(node_id, case)
        previous = results.get(node_id)
        if previous is None or _SEVERITY[result.outcome] > _SEVERITY[previous.outcome]:
            results[node_id] = result
    return results


def read_exception_list(path: Path) -> dict[str, str]:
    """``{node id: reason}`` from lines ``<node id>  # <reason>``; ``#`` lines are comments.

    A reason is either ``reads api/models.py source text`` or a SPEC section 8 rule
    (``S8.6: ...``): the only two grounds on which ours may differ from the original.
    """
    entries: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        node_id, separator, reason = line.partition(_ENTRY_SEPARATOR)
        where = f"{path.name} line {number}"
        if not separator or "::" not in node_id or node_id != node_id.strip():
            raise ExceptionListError(f"{where}: write '<test node id>{_ENTRY_SEPARATOR}<reason>'"
                                     f" (two spaces before '#'), got {line!r}")
        if reason.strip() != ALLOWED_SOURCE_TEXT_REASON and not _SPEC_REASON.match(reason):
            raise ExceptionListError(f"{where}: the reason must be {ALLOWED_SOURCE_TEXT_REASON!r}"
                                     f" or cite a SPEC rule as 'S8.<n>: <why>', got {reason!r}")
        if node_id in entries:
            raise ExceptionListError(f"{where}: {node_id} is listed twice; keep one line")
        entries[node_id] = reason.strip()
    if len(entries) > MAX_EXCEPTIONS:
        raise ExceptionListError(f"{path.name} lists {len(entries)} tests; at most "
                                 f"{MAX_EXCEPTIONS} may be excused: fix the drop-in instead")
    return entries


def compare_runs(ours: SuiteRun, original: SuiteRun, exceptions: Mapping[str, str],
                 ours_alone: SuiteRun | None = None) -> Comparison:
    """Regressions: failed with ours, passed with the original, not excused. ``ours_alone``
    (the failures re-run by themselves with ours) only labels them; None when not run."""
    regressions: list[CaseResult] = []
    excused: list[str] = []
    for node_id in ours.failing_ids():
        if original.outcome(node_id) != "passed":
            continue
        if node_id in exceptions:
            excused.append(node_id)
        else:
            regressions.append(ours.results[node_id])
    pass_alone = [r.node_id for r in regressions if ours_alone is not None
                  and ours_alone.outcome(r.node_id) in {"passed", "skipped"}]
    better = sorted(i for i, r in ours.results.items()
                    if r.outcome == "passed" and original.outcome(i) in _FAILING)
    stale = sorted(i for i in exceptions if ours.outcome(i) == "passed")
    return Comparison(tuple(regressions), tuple(excused), tuple(pass_alone),
                      tuple(better), tuple(stale))


def check_models(checkout: Path, models: Path, workdir: Path, exceptions: Mapping[str, str],
                 deadline: float, full_run_seconds: float) -> HostSuiteReport:
    """Run the whole host suite with ``models``; re-run only what failed with the original
    (which decides) and with ours (which labels); above ``MAX_RERUN_IDS`` failures the
    original runs whole instead."""
    original_models = checkout / "api" / "models.py"
    ours_copy = prepare_copy(checkout, workdir / "ours", models)
    problem = import_problem(ours_copy, workdir / "import-check")
    ours = run_host_suite(ours_copy, workdir / "ours-run", wait_budget(deadline, full_run_seconds))
    failing = ours.failing_ids()
    if not failing:
        original, ours_alone = SuiteRun({}, ours.log), None
        original_ran = "no original re-run needed"
    elif len(failing) > MAX_RERUN_IDS:
        original = run_host_suite(prepare_copy(checkout, workdir / "original", original_models),
                                  workdir / "original-run", wait_budget(deadline, full_run_seconds))
        ours_alone, original_ran = None, "original re-run: its whole suite"
    else:
        original = run_host_suite(prepare_copy(checkout, workdir / "original", original_models),
                                  workdir / "original-run", wait_budget(deadline, full_run_seconds),
                                  failing)
        ours_alone = run_host_suite(prepare_copy(checkout, workdir / "ours-alone", models),
                                    workdir / "ours-alone-run",
                                    wait_budget(deadline, full_run_seconds), failing)
        original_ran = f"original re-run: the {len(failing)} tests that failed with ours"
    comparison = compare_runs(ours, original, exceptions, ours_alone)
    unknown = tuple(i for i in exceptions if ours.outcome(i) is None
                    and original.outcome(i) is None and i.partition("::")[0] not in ours.results)
    return HostSuiteReport(models, ours, comparison, unknown, original_ran, problem)


def import_problem(copy: Path, workdir: Path) -> str:
    """The end of the traceback if ``api.models`` does not import in ``copy``, else "".

    The host's conftest discards its server's output, so without this a broken import shows
    only as thousands of "server did not start" errors.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        completed = subprocess.run([sys.executable, "-c", "import api.models"], cwd=copy,
                                   env=_host_environment(workdir), capture_output=True,
                                   text=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        return "importing api.models did not finish in 120 s"
    return "" if completed.returncode == 0 else "\n".join(completed.stderr.splitlines()[-8:])


def format_regressions(regressions: Iterable[CaseResult], pass_alone: Iterable[str] = (),
                       lines_each: int = 4) -> str:
    """One block per regression: its node id, then the first lines of its failure."""
    blocks, alone = [], set(pass_alone)
    for result in regressions:
        first = result.message.strip().splitlines()[:lines_each] or ["(no message)"]
        label = result.outcome + ("; passed when the failures re-ran by themselves, so "
                                  "earlier tests matter" if result.node_id in alone else "")
        blocks.append(f"{result.node_id} ({label})\n" +
                      "\n".join(f"    {line[:200]}" for line in first))
    return "\n".join(blocks)


def wait_budget(deadline: float, limit: float) -> float:
    """Seconds a run may take: ``limit``, or less if the test's own deadline comes first."""
    remaining = deadline - time.monotonic()
    if remaining < 60:
        raise HostSuiteError("no time left for the host suite before this test's own time-out")
    return min(limit, remaining)


def _case_result(node_id: str, case: ElementTree.Element) -> CaseResult:
    for tag, outcome in (("error", "error"), ("failure", "failed"), ("skipped", "skipped")):
        element = case.find(tag)
        if element is not None:
            if outcome == "skipped":
                return CaseResult(node_id, outcome, element.get("message", ""))
            message, text = element.get("message", ""), element.text or ""
            if message == "collection failure" or not message:  # say which error, not that
                errors = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
                message = "\n".join(errors) or text
            return CaseResult(node_id, outcome, message)
    return CaseResult(node_id, "passed")


def _node_id(classname: str, name: str, root: Path) -> str:
    """Undo pytest's junit mangling (``tests/a.py::C::t`` -> ``tests.a.C`` + ``t``)."""
    parts = classname.split(".") if classname else []
    if not parts:  # a module-level report (collection error): the name is the dotted module
        parts, name = name.split("."), ""
    for cut in range(len(parts), 0, -1):
        module = "/".join(parts[:cut]) + ".py"
        if (root / module).is_file():
            return "::".join([module, *parts[cut:], *([name] if name else [])])
    return "::".join([*parts, *([name] if name else [])])


def _host_environment(workdir: Path) -> dict[str, str]:
    """Our environment minus Hermes, Claude and pytest variables, with a private HOME, and
    ``python3`` on PATH meaning this interpreter: the host starts its server with the first
    ``python3`` it finds, and that server must import hermes-sessions."""
    home, bin_dir = workdir / "home", workdir / "bin"
    home.mkdir(exist_ok=True)
    bin_dir.mkdir(exist_ok=True)
    for name in ("python3", "python"):
        wrapper = bin_dir / name
        wrapper.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n',
                           encoding="utf-8")
        wrapper.chmod(0o755)
    environment = {k: v for k, v in os.environ.items() if not k.startswith(_STRIPPED_PREFIXES)}
    environment["HOME"] = str(home)
    # Only for the restart guard plugin (-p host_restart_guard); the host imports nothing else.
    plugins = workdir / "plugins"
    plugins.mkdir(exist_ok=True)
    shutil.copy(_RESTART_GUARD, plugins / _RESTART_GUARD.name)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(plugins), *filter(None, [environment.get("PYTHONPATH")])]
    )
    environment["PATH"] = os.pathsep.join([str(bin_dir), environment.get("PATH", os.defpath)])
    return environment


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop the run if still going, then kill whatever it left behind in its group."""
    stop_process(process)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
