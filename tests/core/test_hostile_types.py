"""Pathological data (issue 13, findings 2 and 10): deep nesting, enormous values and wrong
types never escape as anything but the typed errors, and every field of a session is normalised
by one documented rule (S1.8) that loads what the original wrote and writes what it reads."""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path
from typing import Any

import pytest

from hermes_sessions_core import Locations, Session, SessionStore, jsoncodec
from hermes_sessions_core.models import MAX_METADATA_DEPTH, to_flag

from ..original_format import ORIGINAL_METADATA_ORDER

FLAGS = ("pinned", "archived", "llm_title_generated", "is_cli_session", "read_only")
NOW_TOLERANCE = 60.0


def _id(value: Any) -> str:
    """A short test id (repr of a 5,000-digit integer raises)."""
    try:
        return repr(value)[:24]
    except ValueError:
        return f"huge {type(value).__name__}"


def _deep(levels: int, inner: str = "") -> str:
    return "[" * levels + inner + "]" * levels


# ── decoding ─────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    "data",
    [
        _deep(1100).encode(),
        _deep(1100),
        b'{"a":' * 1100 + b"1" + b"}" * 1100,
        _deep(1100, "NaN").encode(),
        b'{"title": "\xff", "x": NaN}',
        b'{"title": "\\ud800", "x": NaN}',
        '{"title": "\ud800", "x": NaN}',
        b'{"x": NaN, "n": ' + b"9" * 5000 + b"}",
        b'{"x": 1e999}',
        b'{"x": NaN',
        b"",
    ],
    ids=[
        "arrays-1100", "text-1100", "objects-1100", "nan-at-1100",
        "bad-utf8-with-nan", "lone-surrogate-escape", "lone-surrogate-text", "5000-digits",
        "overflowing-float", "torn-with-nan", "empty",
    ],
)
def test_decoding_bad_input_raises_only_json_decode_error(data: bytes | str) -> None:
    """Whatever the depth or size, bad input raises JSONDecodeError (a ValueError), never
    RecursionError, UnicodeDecodeError or another error that escapes per-file handling."""
    with pytest.raises(jsoncodec.JSONDecodeError):
        jsoncodec.loads(data)


def test_deep_nesting_is_rejected_where_it_passes_the_limit() -> None:
    """Nesting beyond orjson's 1024 levels is refused at the 1025th level, without parsing
    the rest of a large file (and without a second, slower parser)."""
    tail = b',"pad":"' + b"x" * 2_000_000 + b'"}'
    data = b'{"messages":' + _deep(1100).encode() + tail
    started = time.perf_counter()
    with pytest.raises(jsoncodec.JSONDecodeError) as raised:
        jsoncodec.loads(data)
    assert raised.value.pos < 1100 + 20, "the error is at the level that broke the limit"
    assert time.perf_counter() - started < 1.0
    assert jsoncodec.loads(_deep(1024)) is not None  # the limit itself is accepted


def test_non_finite_constants_decode_as_null_outside_strings() -> None:
    """NaN and Infinity (which Python's json writes) read as null, the value they are written
    back as; the same words inside strings are text."""
    data = b'{"a": NaN, "b": [Infinity, -Infinity], "c": "NaN \\" Infinity", "d": 1.5}'
    assert jsoncodec.loads(data) == {"a": None, "b": [None, None], "c": 'NaN " Infinity', "d": 1.5}
    assert jsoncodec.loads('{"a": NaN}') == {"a": None}
    deep = jsoncodec.loads(_deep(1000, "NaN"))  # deeper than Python's json could read
    for _ in range(999):
        deep = deep[0]
    assert deep == [None]


def test_encoding_too_deep_a_value_raises_value_error() -> None:
    """A value nested too deep for both encoders raises ValueError, not RecursionError."""
    value = jsoncodec.loads(_deep(1020))
    for encode in (jsoncodec.dumps_pretty, jsoncodec.dumps_line, jsoncodec.dumps_sorted):
        with pytest.raises(ValueError, match="nested deeper"):
            encode(value)


# ── a listing with hostile files ─────────────────────────────────────────────────────────────


def _store(tmp_path: Path) -> SessionStore:
    locations = Locations.from_environment(
        base_home=tmp_path / "hermes", state_dir=tmp_path / "state",
        default_workspace=tmp_path / "ws", environ={},
    )
    return SessionStore(locations)


def _seed(tmp_path: Path, count: int) -> Path:
    store = _store(tmp_path)
    for number in range(count):
        session = store.new_session()
        session.messages.append({"role": "user", "content": f"hello {number}",
                                 "timestamp": 1763900000 + number})
        session.title = f"good {number}"
        session.save()
    store.close()
    return tmp_path / "state" / "sessions"


def _file(folder: Path, session_id: str, body: str) -> None:
    (folder / f"{session_id}.json").write_text(body, encoding="utf-8")


def test_one_deeply_nested_file_is_one_problem_not_an_empty_sidebar(tmp_path: Path) -> None:
    """Finding 2: a file nested 1,100 levels deep used to fail the whole Web UI source; now it
    is one problem naming that file, and every other session is listed."""
    folder = _seed(tmp_path, 5)
    _file(folder, "deep", '{"session_id": "deep", "messages": ' + _deep(1100) + "}")
    (folder / "_index.json").unlink()
    store = _store(tmp_path)
    listing = store.list_sessions()
    assert len(listing.rows) == 5
    (problem,) = [p for p in listing.problems if p.source == "json_fs"]
    assert problem.path is not None and problem.path.endswith("deep.json")
    assert "depth limit" in problem.message


def test_files_with_odd_types_list_with_the_others(tmp_path: Path) -> None:
    """Wrong types anywhere in a file (a numeric or NUL-holding workspace, metadata nested
    1,000 levels, a huge title) never fail the listing: each session still lists."""
    folder = _seed(tmp_path, 2)
    odd = {
        "num-workspace": '"workspace": 42',
        "dict-workspace": '"workspace": {"a": 1}',
        "nul-workspace": '"workspace": "/tmp/a\\u0000b"',
        "deep-routing": '"gateway_routing": {"a": ' + _deep(1000) + "}",
        "deep-chat-id": '"chat_id": ' + _deep(1000),
        "huge-title": '"title": "' + "T" * 3_000_000 + '"',
        "list-title": '"title": ["a"], "model_provider": ["x"], "archived": "maybe"',
        "odd-numbers": '"input_tokens": "lots", "estimated_cost": {}, "created_at": []',
    }
    for session_id, fields in odd.items():
        _file(folder, session_id, f'{{"session_id": "{session_id}", {fields}, '
                                  '"messages": [{"role": "user", "content": "x"}]}')
    (folder / "_index.json").unlink()
    store = _store(tmp_path)
    listing = store.list_sessions()
    listed = {row.session_id for row in listing.rows}
    assert set(odd) <= listed and len(listed) == 2 + len(odd)
    assert not [p for p in listing.problems if p.source == "json_fs"]
    for session_id in odd:  # and each one loads and saves
        session = store.get(session_id)
        session.save()
    routing = json.loads((folder / "deep-routing.json").read_text())["gateway_routing"]
    assert routing is None
    assert json.loads((folder / "num-workspace.json").read_text())["workspace"] == str(
        (tmp_path / "ws").resolve()
    )


# ── one rule per field (S1.8) ────────────────────────────────────────────────────────────────

TRUE_VALUES = [True, 1, 2.5, -1, "true", "TRUE", " yes ", "Yes", "1", "on", "On"]
FALSE_VALUES = [False, 0, 0.0, "", "no", "NO", "false", "False", "0", "off", None,
                float("nan"), "maybe", "2", [1], {"a": 1}, []]


@pytest.mark.parametrize("value", TRUE_VALUES + FALSE_VALUES, ids=_id)
def test_flags_follow_one_rule_in_memory_rows_and_files(tmp_path: Path, value: Any) -> None:
    """Flags are true for true, a non-zero number and the texts true/yes/on/1 (any case);
    everything else is false, so `archived: "no"` never hides a session; rows and saved
    records hold real booleans."""
    expected = any(value is v or (type(value) is type(v) and value == v) for v in TRUE_VALUES)
    assert to_flag(value) is expected
    record = {"session_id": "flags", **{name: value for name in FLAGS}}
    session = Session.from_record(record, default_workspace=str(tmp_path))
    row = session.compact()
    saved = session.to_record()
    for name in FLAGS:
        assert getattr(session, name) is expected, name
        assert saved[name] is expected, name
        if name in row:
            assert row[name] is expected, name


def test_flags_assigned_after_construction_are_written_and_listed_as_booleans(
    tmp_path: Path,
) -> None:
    """A host that assigns `session.archived = "no"` gets the same rule in rows and files:
    the original, which reads flags by truthiness, would otherwise hide the session."""
    session = Session(workspace=str(tmp_path))
    session.archived = "no"
    session.pinned = "yes"
    session.title = 7
    assert session.to_record()["archived"] is False and session.compact()["archived"] is False
    assert session.to_record()["pinned"] is True and session.compact()["pinned"] is True
    assert session.to_record()["title"] == "7" == session.compact()["title"]


def test_archived_no_is_listed_and_saved_as_false(tmp_path: Path) -> None:
    """Finding 10: `archived: "no"` used to hide the session and be saved as `true`."""
    folder = _seed(tmp_path, 1)
    _file(folder, "said-no", json.dumps({
        "session_id": "said-no", "title": "still here", "archived": "no", "pinned": "false",
        "messages": [{"role": "user", "content": "hi", "timestamp": 1763900000}],
    }))
    (folder / "_index.json").unlink()
    store = _store(tmp_path)
    rows = {row.session_id: row for row in store.list_sessions().rows}
    assert rows["said-no"]["archived"] is False and rows["said-no"]["pinned"] is False
    store.get("said-no").save()
    saved = json.loads((folder / "said-no.json").read_text())
    assert saved["archived"] is False and saved["pinned"] is False


@pytest.mark.parametrize(
    ("value", "expected"),
    [("a title", "a title"), (42, "42"), (1.5, "1.5"), ("", "Untitled"), (None, "Untitled"),
     (True, "Untitled"), (["a"], "Untitled"), ({"t": 1}, "Untitled"),
     (float("nan"), "Untitled"), (10**5000, "Untitled")],
    ids=_id,
)
def test_titles_are_text(tmp_path: Path, value: Any, expected: str) -> None:
    """Titles are text: a number becomes its text; anything else is Untitled."""
    session = Session.from_record({"session_id": "t", "title": value},
                                  default_workspace=str(tmp_path))
    assert session.title == expected == session.compact()["title"] == session.to_record()["title"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1763900000, 1763900000), (1763900000.25, 1763900000.25),
     ("1763900000", 1763900000.0), ("2025-11-23T12:13:20Z", 1763900000.0),
     ("2025-11-23T13:13:20+01:00", 1763900000.0)],
    ids=_id,
)
def test_times_keep_numbers_and_parse_text(tmp_path: Path, value: Any, expected: float) -> None:
    """created_at/updated_at: a number in 1970-9999 is kept as it is (an int stays an int);
    numeric and ISO text become epoch seconds."""
    session = Session.from_record(
        {"session_id": "t", "created_at": value, "updated_at": value,
         "pending_started_at": value, "worktree_created_at": value},
        default_workspace=str(tmp_path),
    )
    for name in ("created_at", "updated_at", "pending_started_at", "worktree_created_at"):
        stored = getattr(session, name)
        assert stored == expected and type(stored) is type(expected), name


@pytest.mark.parametrize(
    "value", ["yesterday", "", 0, None, float("nan"), float("inf"), 5e246, -5, True, [], {},
              10**400],
    ids=_id,
)
def test_unusable_times_become_now_or_null(tmp_path: Path, value: Any) -> None:
    """Missing, falsy or unusable times (S0.1) become now for created/updated (S1.8) and
    null for the optional ones: `created_at: "yesterday"` is no longer kept."""
    before = time.time()
    session = Session.from_record(
        {"session_id": "t", "created_at": value, "updated_at": value,
         "pending_started_at": value, "worktree_created_at": value},
        default_workspace=str(tmp_path),
    )
    for name in ("created_at", "updated_at"):
        stamp = getattr(session, name)
        assert isinstance(stamp, float) and before <= stamp <= before + NOW_TOLERANCE, name
    assert session.pending_started_at is None and session.worktree_created_at is None


@pytest.mark.parametrize(
    ("value", "count", "optional"),
    [(12, 12, 12), (2.5, 2.5, 2.5), ("12", 12, 12), (" 0.5 ", 0.5, 0.5), (0, 0, 0),
     (None, 0, None), ("", 0, None), ("lots", 0, None), (float("nan"), 0, None),
     (float("inf"), 0, None), (True, 0, None), ([3], 0, None), ("1e999", 0, None)],
    ids=_id,
)
def test_numbers_are_finite_numbers(tmp_path: Path, value: Any, count: Any, optional: Any) -> None:
    """Token counts and the optional numbers (cost, context sizes, anchor index) are finite
    numbers, numeric text becomes a number, NaN and Infinity become null (0 for counts)."""
    optional_names = ("estimated_cost", "context_length", "threshold_tokens",
                      "last_prompt_tokens", "compression_anchor_visible_idx")
    record: dict[str, Any] = {"session_id": "n", "input_tokens": value, "output_tokens": value}
    record.update({name: value for name in optional_names})
    session = Session.from_record(record, default_workspace=str(tmp_path))
    assert session.input_tokens == count == session.output_tokens
    assert type(session.input_tokens) is type(count)
    for name in optional_names:
        assert getattr(session, name) == optional and type(getattr(session, name)) is type(
            optional
        ), name
    encoded = jsoncodec.loads(jsoncodec.dumps_pretty(session.to_record()))
    assert encoded["estimated_cost"] == optional


@pytest.mark.parametrize(
    ("value", "expected"),
    [("gpt-5", "gpt-5"), ("", ""), (5, "5"), (2.5, "2.5"), (None, None), (True, None),
     ({"a": 1}, None), (["x"], None), (float("nan"), None)],
    ids=_id,
)
def test_text_fields_are_text(tmp_path: Path, value: Any, expected: str | None) -> None:
    """model, profile, personality, ids and the other text fields: text as it is, a number
    as its text, anything else null."""
    names = ("model", "profile", "personality", "active_stream_id", "pending_user_message",
             "parent_session_id", "source_tag", "raw_source", "session_source", "source_label",
             "compression_anchor_message_key", "compression_anchor_summary")
    session = Session.from_record({"session_id": "s", **{n: value for n in names}},
                                  default_workspace=str(tmp_path))
    for name in names:
        assert getattr(session, name) == expected, name


def test_paths_and_containers(tmp_path: Path) -> None:
    """Paths that are not usable text take the default workspace (worktree paths: null);
    containers of the wrong kind, or nested deeper than MAX_METADATA_DEPTH, become empty."""
    too_deep: Any = []
    for _ in range(MAX_METADATA_DEPTH):
        too_deep = [too_deep]
    deepest_kept: Any = []
    for _ in range(MAX_METADATA_DEPTH - 1):
        deepest_kept = [deepest_kept]
    session = Session.from_record(
        {"session_id": "p", "workspace": ["x"], "worktree_path": 5,
         "worktree_repo_root": "/a\x00b", "messages": {"a": 1}, "tool_calls": "x",
         "gateway_routing": {"deep": too_deep}, "gateway_routing_history": deepest_kept,
         "composer_draft": [1], "enabled_toolsets": "web", "pending_attachments": {},
         "chat_id": too_deep, "user_id": 12345},
        default_workspace=str(tmp_path),
    )
    assert session.workspace == str(tmp_path.resolve())
    assert session.worktree_path is None and session.worktree_repo_root is None
    assert session.messages == [] and session.tool_calls == []
    assert session.gateway_routing is None and session.gateway_routing_history == deepest_kept
    assert session.composer_draft == {} and session.enabled_toolsets is None
    assert session.pending_attachments == []
    row = session.compact()
    assert "chat_id" not in row and row["user_id"] == 12345
    jsoncodec.dumps_pretty([row])  # every row value can be written to the index


def test_non_finite_numbers_from_python_are_written_as_null(tmp_path: Path) -> None:
    """NaN and Infinity given by a host become null in the known number fields, and are
    written as null anywhere else."""
    session = Session(workspace=str(tmp_path), estimated_cost=float("nan"),
                      context_length=float("inf"), input_tokens=float("-inf"),
                      last_usage={"cost": float("nan")})
    record = jsoncodec.loads(jsoncodec.dumps_pretty(session.to_record()))
    assert record["estimated_cost"] is None and record["context_length"] is None
    assert record["input_tokens"] == 0 and record["last_usage"] == {"cost": None}


def _original_file() -> dict[str, Any]:
    """A session object exactly as today's Web UI's save() writes one."""
    values: dict[str, Any] = {
        "session_id": "0a1b2c3d4e5f", "title": "Plan the trip", "workspace": "/",
        "model": "gpt-5", "model_provider": "openai", "created_at": 1763900000.123,
        "updated_at": 1763900100, "pinned": True, "archived": False, "project_id": "p1",
        "profile": "default", "input_tokens": 120, "output_tokens": 80,
        "estimated_cost": 0.0042, "personality": "concise", "active_stream_id": None,
        "pending_user_message": None, "pending_attachments": [], "pending_started_at": None,
        "compression_anchor_visible_idx": 3, "compression_anchor_message_key": "user:hi",
        "compression_anchor_summary": "summary", "context_length": 200000,
        "threshold_tokens": 150000, "last_prompt_tokens": 900,
        "gateway_routing": {"provider": "x"}, "gateway_routing_history": [{"provider": "x"}],
        "llm_title_generated": True, "parent_session_id": None, "worktree_path": None,
        "worktree_branch": None, "worktree_repo_root": None, "worktree_created_at": None,
        "is_cli_session": False, "source_tag": None, "raw_source": None,
        "session_source": None, "source_label": None, "read_only": False,
        "enabled_toolsets": ["web"], "composer_draft": {"text": "draft"},
    }
    record = {name: values[name] for name in ORIGINAL_METADATA_ORDER}
    record["messages"] = [{"role": "user", "content": "hi", "timestamp": 1763900000}]
    record["tool_calls"] = []
    record["context_messages"] = []
    record["last_usage"] = {"input": 1}
    return record


def test_files_the_original_wrote_load_unchanged() -> None:
    """Every value the original writes passes the rule unchanged, types included."""
    original = _original_file()
    session = Session.from_record(json.loads(json.dumps(original)), default_workspace="/")
    written = session.to_record()
    written.pop("message_count")
    assert written == original
    assert [type(written[k]) for k in original] == [type(v) for v in original.values()]


def _read_by_the_original(record: dict[str, Any]) -> dict[str, Any]:
    """What the original's Session.__init__ makes of a record's flags, title and times:
    bool() for flags, the title and times as they are (`value or time.time()`)."""
    return {
        **{name: bool(record.get(name, False)) for name in FLAGS},
        "title": record.get("title"),
        "created_at": record.get("created_at"),
    }


def test_what_we_write_reads_the_same_in_the_original(tmp_path: Path) -> None:
    """A hostile record, once normalised and written, means the same to the original (which
    reads flags by truthiness) as it means here: no flag flips, titles are text, times are
    numbers."""
    hostile = {"session_id": "h", "title": 42, "created_at": "yesterday",
               **{name: "no" for name in FLAGS}}
    session = Session.from_record(hostile, default_workspace=str(tmp_path))
    written = json.loads(jsoncodec.dumps_pretty(session.to_record()))
    seen = _read_by_the_original(written)
    for name in FLAGS:
        assert seen[name] is getattr(session, name) is False, name
    assert seen["title"] == "42"
    assert isinstance(seen["created_at"], float) and math.isfinite(seen["created_at"])


def test_odd_values_are_logged_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """An odd value is replaced and logged, once per session, field and value however often
    the file is read; values the rule converts (numeric text, "no") are not logged."""
    record = {"session_id": "logged-once", "archived": "perhaps", "input_tokens": "12",
              "pinned": "no"}
    with caplog.at_level(logging.WARNING, logger="hermes_sessions_core.models"):
        for _ in range(3):
            Session.from_record(dict(record), default_workspace=str(tmp_path))
    messages = [r.getMessage() for r in caplog.records if r.name == "hermes_sessions_core.models"]
    assert len(messages) == 1, messages
    assert "logged-once" in messages[0] and "archived" in messages[0]
