"""`hermes-sessions export` and hermes_sessions_core.export: Markdown, HTML and JSON of any
session, from every source, safe against whatever the messages hold."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hermes_sessions_json_fs import registry
from typer.testing import CliRunner

from hermes_sessions_core import Session
from hermes_sessions_core.cli import app
from hermes_sessions_core.export import FORMATS, export_session, format_for_path
from hermes_sessions_core.export.html import CONTENT_SECURITY_POLICY
from hermes_sessions_core.export.markdown import code_blocks, contain
from hermes_sessions_core.export.parts import THINKING_FIELDS, Thinking, entries_of
from hermes_sessions_core.models import Transcript
from hermes_sessions_core.testing import original_record
from hermes_sessions_core.testing.samples import encode_original

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
AGENT_SESSION = "20261123_212026_5dae6d"  # "Fix flaky payment test #3" in real_small.db
# A 1x1 PNG: enough to be a real data URL.
PNG_DATA_URL = "data:image/png;base64," + base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108020000009077"
    "53de0000000c4944415408d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)).decode("ascii")
SCRIPT = "<script>document.title='pwned'</script>"


def every_kind() -> list[Any]:
    """One message of each kind the Web UI, the agent and Claude Code store."""
    return [
        {"role": "user", "timestamp": 1763932825, "content": [
            {"type": "text", "text": "What is in this picture?"},
            {"type": "image_url", "image_url": {"url": PNG_DATA_URL}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
            {"type": "image_url", "image_url": {"url": "javascript:alert(1)"}},
        ], "attachments": [{"name": "notes.txt"}, "plan.md"]},
        {"role": "assistant", "timestamp": 1763932830, "model": "test-model",
         "reasoning": "The user wants a description.",
         "reasoning_details": [{"type": "reasoning.text", "text": "The user wants a description."},
                               {"type": "reasoning.encrypted", "data": "ENCRYPTED-BLOB"}],
         "content": "I will look at it.",
         "tool_calls": [{"id": "call_1", "type": "function", "function": {
             "name": "vision_describe", "arguments": '{"detail": "high"}'}}]},
        {"role": "tool", "tool_call_id": "call_1",
         "content": '{"output": "a cat", "exit_code": 0}'},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "A block of thinking.", "signature": "SIGNED-BLOB"},
            {"type": "text", "text": "It is a cat."},
            {"type": "tool_use", "id": "toolu_2", "name": "Bash", "input": {"command": "ls"}},
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_2", "content": "denied",
             "is_error": True},
        ]},
        {"role": "assistant", "content": "<think>Inline thought.</think>Final answer."},
        {"role": "system", "kind": "compaction", "content": "Conversation compacted",
         "summary": "Earlier: a cat picture."},
        "not a message",
    ]


def write_webui_session(home: Path, session_id: str, messages: list[Any], **fields: Any) -> None:
    sessions = home / "webui" / "sessions"
    sessions.mkdir(parents=True, exist_ok=True)
    record = original_record(session_id, messages, **fields)
    (sessions / f"{session_id}.json").write_bytes(encode_original(record))


def claude_id(path: Path) -> str:
    """S4.3: ``claude_code_`` and 24 hex digits of the SHA-256 of the resolved path."""
    return "claude_code_" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:24]


@pytest.fixture
def machine(tmp_path, monkeypatch) -> dict[str, Any]:
    """A home with a Web UI session of every message kind, the agent's real state.db and a
    copy of the Claude Code fixtures."""
    home = tmp_path / "hermes"
    write_webui_session(home, "every0000001", every_kind(), title="Every kind",
                        model="gpt-test", workspace="/work/project")
    shutil.copy(FIXTURES / "agent_state_db" / "real_small.db", home / "state.db")
    claude = tmp_path / "claude"
    shutil.copytree(FIXTURES / "claude_code", claude, ignore=shutil.ignore_patterns("*.md"))
    monkeypatch.setenv("HERMES_HOME", str(home))
    monkeypatch.delenv("HERMES_WEBUI_STATE_DIR", raising=False)
    monkeypatch.setenv("HERMES_WEBUI_CLAUDE_PROJECTS_DIR", str(claude))
    registry.forget_all()
    yield {"home": home, "claude": claude, "out": tmp_path / "out"}
    registry.forget_all()


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def session_of(messages: list[Any], **fields: Any) -> Session:
    return Session(session_id="abcd00000001", title=fields.pop("title", "A chat"),
                   messages=messages, created_at=1763932825, updated_at=1763932900, **fields)


def outside_fences(markdown: str) -> list[str]:
    """Lines of ``markdown`` outside fenced code, by CommonMark's fence rule (an independent
    reading, so the renderer's own fence logic is not checked against itself)."""
    lines, fence = [], None
    for line in markdown.split("\n"):
        match = re.fullmatch(r" {0,3}(`{3,}|~{3,})(.*)", line)
        if fence is None and match and not (match[1][0] == "`" and "`" in match[2]):
            fence = match[1]
        elif fence is not None and match and match[1][0] == fence[0] \
                and len(match[1]) >= len(fence) and not match[2].strip():
            fence = None
        elif fence is None:
            lines.append(line)
    return lines


# ── the neutral form ─────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("field", THINKING_FIELDS)
def test_every_reasoning_field_becomes_thinking(field):
    """Each field a source stores reasoning in is shown as thinking, opaque blobs never."""
    value: Any = "Deep thought."
    if field == "reasoning_details":
        value = [{"type": "reasoning.text", "text": "Deep thought.", "signature": "SIG"}]
    elif field == "codex_reasoning_items":
        value = [{"type": "reasoning",
                  "summary": [{"type": "summary_text", "text": "Deep thought."}],
                  "encrypted_content": "ENC"}]
    [entry] = entries_of([{"role": "assistant", "content": "Answer.", field: value}])
    assert [p for p in entry.parts if isinstance(p, Thinking)] == [Thinking("Deep thought.")]
    assert "SIG" not in repr(entry) and "ENC" not in repr(entry)


@pytest.mark.parametrize("content", [
    "<think>Deep thought.</think>Answer.",
    "<|channel>thought\nDeep thought.<channel|>Answer.",
    "<|turn|>thinking\nDeep thought.<turn|>Answer.",
    [{"type": "reasoning", "text": "Deep thought."}, {"type": "text", "text": "Answer."}],
])
def test_inline_thinking_is_lifted_out_of_the_answer(content):
    """Thinking markup inside an assistant's content is shown as thinking, as the Web UI does,
    and the answer keeps only the answer."""
    [entry] = entries_of([{"role": "assistant", "content": content}])
    kinds = [(type(p).__name__, getattr(p, "text", None)) for p in entry.parts]
    assert kinds == [("Thinking", "Deep thought."), ("Text", "Answer.")]


def test_a_users_think_tags_are_their_text():
    """Only an assistant's <think> markup is reasoning: a user quoting it keeps it as text."""
    [entry] = entries_of([{"role": "user", "content": "what does <think>x</think> do?"}])
    assert [type(p).__name__ for p in entry.parts] == ["Text"]


def test_tool_results_take_the_name_of_their_call():
    entries = entries_of(every_kind())
    names = [p.name for e in entries for p in e.parts if type(p).__name__ == "ToolResult"]
    assert names == ["vision_describe", "Bash"]


HOSTILE_MESSAGES: list[Any] = [
    None, 5, "text", [], {"role": 5, "content": {"a": [1]}}, {"role": None, "content": 3.5},
    {"role": "assistant", "tool_calls": "x"}, {"role": "assistant", "tool_calls": [None, 1]},
    {"role": "assistant", "tool_calls": [{"function": "x", "id": 7}]},
    {"role": "assistant", "tool_calls": [{"function": {"name": None, "arguments": "{bad"}}]},
    {"role": "user", "content": [None, 3, "s", {"type": "image_url", "image_url": 7},
                                 {"type": "image", "source": {"type": "base64", "data": 1}},
                                 {"type": "mystery", "x": 1}, {"no": "type"}]},
    {"role": "tool", "content": None, "tool_call_id": ["x"]},
    {"role": "assistant", "reasoning": {"text": ["a", {"summary": 3}]}, "timestamp": "soon"},
    {"role": "user", "attachments": "x", "content": "\x00nul \udcff lone surrogate"},
]


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"d": value}
    return value


@pytest.mark.parametrize("output_format", FORMATS)
def test_odd_values_never_stop_an_export(output_format):
    """Any JSON value where a message, a part or a field should be renders as something."""
    data = export_session(session_of(HOSTILE_MESSAGES, title="\udcff odd"), output_format)
    text = data.decode("utf-8")  # always valid UTF-8
    assert "\ufffd lone surrogate" in text or "\\udcff lone surrogate" in text


def test_a_value_too_deep_to_encode_is_named_on_the_page_and_refused_as_json():
    """A value nested as deep as a session file may hold (1,024 levels) is named on a page;
    JSON cannot hold it in the bytes `show --json` writes, so that format says why it fails."""
    messages = [{"role": "user", "content": [{"type": "mystery", "v": nested(1020)}]},
                {"role": "assistant", "tool_calls": [{"function": {"name": "t",
                                                                   "arguments": nested(1020)}}]}]
    for output_format in ("markdown", "html"):
        text = export_session(session_of(messages), output_format).decode("utf-8")
        assert text.count("(a value nested too deeply to show)") >= 2  # HTML: + a preview
    with pytest.raises(ValueError, match="nested deeper"):
        export_session(session_of(messages), "json")


# ── Markdown ─────────────────────────────────────────────────────────────────────────────


def test_markdown_shows_metadata_and_every_message_kind():
    text = export_session(session_of(every_kind(), model="gpt-test", title="Cat [pic] #1"),
                          "markdown").decode("utf-8")
    assert text.startswith("# Cat \\[pic\\] \\#1\n")
    assert "- **ID:** `abcd00000001`" in text and "- **Model:** `gpt-test`" in text
    assert "- **Messages:** 8" in text and "- **Created:** 2025-11-23 21:20:25 UTC" in text
    assert "## 1 · User · 2025-11-23 21:20:25 UTC" in text
    assert "## 2 · Assistant · 2025-11-23 21:20:30 UTC · test-model" in text
    assert f"![image/png]({PNG_DATA_URL})" in text
    assert "[image: https://example.com/cat.png](https://example.com/cat.png)" in text
    assert "javascript:" not in text
    assert "*Attached file:* `notes.txt`" in text and "*Attached file:* `plan.md`" in text
    assert "<details>\n<summary>Thinking</summary>\n\n> The user wants a description.\n" in text
    assert text.count("The user wants a description.") == 1  # two fields, one thought
    assert "ENCRYPTED-BLOB" not in text and "SIGNED-BLOB" not in text
    assert ('**Tool call `vision_describe`** `call_1`\n\n'
            '```json\n{\n  "detail": "high"\n}\n```') in text
    assert "**Tool result of `vision_describe`** `call_1`\n\n```json\n" in text
    assert "**Tool result of `Bash`** `toolu_2` (error)\n\n```text\ndenied\n```" in text
    assert "> Inline thought." in text and "\nFinal answer.\n" in text and "<think>" not in text
    assert "## 7 · System (compaction)" in text and "Earlier: a cat picture." in text
    assert '## 8 · Unknown\n\n*Unrecognised part:*\n\n```json\n"not a message"\n```' in text


def test_markdown_fences_are_longer_than_any_backticks_inside():
    """Tool arguments and results holding ``` or ```` keep their fence closed around them, and
    every heading after them is still a heading."""
    arguments = json.dumps({"code": "```python\nprint(1)\n````\n"})
    messages = [
        {"role": "assistant",
         "tool_calls": [{"id": "c", "function": {"name": "run", "arguments": arguments}}]},
        {"role": "tool", "tool_call_id": "c", "content": "````\nnot closed ``` here\n`````x"},
        {"role": "user", "content": "after"},
    ]
    text = export_session(session_of(messages), "markdown").decode("utf-8")
    visible = outside_fences(text)
    assert [line for line in visible if line.startswith("## ")] == [
        "## 1 · Assistant", "## 2 · Tool", "## 3 · User"]
    assert "``````text\n````\nnot closed ``` here\n`````x\n``````" in text


def test_markdown_message_text_cannot_swallow_later_sections():
    """An unclosed fence or an HTML block that runs to its closing tag in a message is
    contained: the next message's heading stays a heading."""
    messages = [
        {"role": "assistant", "content": "Here:\n```python\nprint(1)"},
        {"role": "user", "content": "<!-- never closed\n\n<script>alert(1)\n\n<pre>"},
        {"role": "assistant", "content": "last"},
    ]
    text = export_session(session_of(messages), "markdown").decode("utf-8")
    visible = outside_fences(text)
    assert "## 2 · User" in visible and "## 3 · Assistant" in visible
    assert "\\<!-- never closed" in text and "\\<script>alert(1)" in text and "\\<pre>" in text


def test_contain_leaves_code_and_balanced_text_alone():
    text = "a\n```\n<script>x\n```\n~~~\n<pre>\n~~~\n``not a fence``"
    assert contain(text) == text
    assert contain("```js\ncode") == "```js\ncode\n```"
    assert code_blocks("p\n```py\nx\n```\nq") == [(None, "p"), ("py", "x"), (None, "q")]


# ── HTML ─────────────────────────────────────────────────────────────────────────────────


def test_html_is_one_file_that_requests_nothing():
    """No script, no stylesheet link, no remote image, font or CSS url(); a CSP meta that
    forbids all but inline styles and data: images backs the escaping up."""
    page = export_session(session_of(every_kind()), "html").decode("utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert f'content="{CONTENT_SECURITY_POLICY}"' in page
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert "url(" not in page and "@import" not in page
    assert re.findall(r'\ssrc="([^"]*)"', page) == [PNG_DATA_URL]
    assert '<a href="https://example.com/cat.png" rel="noopener noreferrer">' in page
    assert "javascript:" not in page
    assert "prefers-color-scheme: dark" in page and "@media print" in page


def test_html_escapes_everything_from_the_session():
    """Markup in a title, text, tool name, arguments, result, thinking, model or image URL is
    shown as text: nothing of it becomes an element or an attribute."""
    evil = SCRIPT + '<img src=x onerror="alert(1)">'
    messages = [
        {"role": "user", "content": evil, "attachments": [evil]},
        {"role": "assistant", "model": evil, "reasoning": evil, "content": evil,
         "tool_calls": [{"id": evil, "function": {"name": evil, "arguments": evil}}]},
        {"role": "tool", "name": evil, "content": evil},
        {"role": "user", "content": [{"type": "image_url", "image_url": {
            "url": 'https://example.com/a.png"><script>alert(1)</script>'}}]},
        {"role": evil, "content": "x"},
    ]
    page = export_session(session_of(messages, title=evil, workspace=evil), "html").decode()
    assert "<script" not in page.lower() and "<img src=x" not in page and "onerror=\"" not in page
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in page
    assert page.count("&lt;script&gt;document.title") >= 10
    assert 'href="https://example.com/a.png&quot;&gt;&lt;script&gt;' in page


def test_html_folds_tools_and_thinking_with_readable_summaries():
    page = export_session(session_of(every_kind()), "html").decode("utf-8")
    assert ('<details class="thinking"><summary><span class="label">Thinking</span> '
            '<span class="preview">The user wants a description.</span></summary>') in page
    assert ('<details class="call"><summary><span class="label">Tool call</span> '
            '<code class="name">vision_describe</code> <span class="preview">detail: high</span>'
            ) in page
    assert ('<details class="result error"><summary><span class="label">Tool error</span> '
            '<code class="name">Bash</code>') in page
    assert '<pre class="json">{\n  &quot;output&quot;: &quot;a cat&quot;' in page
    assert page.count('class="thinking"') == 3  # fields deduplicated, block, inline <think>


def test_html_shows_fenced_code_as_code_and_keeps_prose_wrapped():
    page = export_session(session_of([
        {"role": "assistant", "content": "Run this:\n```sh\necho " + "x" * 500 + "\n```\nDone."},
    ]), "html").decode("utf-8")
    assert '<div class="text">Run this:</div>\n<pre data-language="sh"><code>echo xxx' in page
    assert '<div class="text">Done.</div>' in page
    assert "white-space: pre-wrap" in page and "overflow-wrap: anywhere" in page


# ── JSON and the API ─────────────────────────────────────────────────────────────────────


def test_json_is_shows_record_and_survives_lone_surrogates():
    session = session_of([{"role": "user", "content": "bad \udcff byte"}], title="t")
    record = json.loads(export_session(session, "json"))
    assert record["session"]["session_id"] == "abcd00000001"
    assert record["messages"] == [{"role": "user", "content": "bad \udcff byte"}]


def test_a_transcript_exports_too():
    transcript = Transcript(session_id="claude_code_x", source="claude_code",
                            messages=({"role": "user", "content": "hi"},), total_count=1)
    text = export_session(transcript, "markdown").decode("utf-8")
    assert text.startswith("# claude\\_code\\_x\n") and "- **Source:** claude\\_code" in text
    assert json.loads(export_session(transcript, "json"))["messages"] == [
        {"role": "user", "content": "hi"}]


def test_unknown_format_and_suffixes():
    with pytest.raises(ValueError, match="choose from: markdown, html, json"):
        export_session(session_of([]), "pdf")
    assert [format_for_path(p) for p in ("a.md", "b.HTML", "c.htm", "d.json", "e.txt", "f")] == [
        "markdown", "html", "html", "json", None, None]
    assert "*No messages.*" in export_session(session_of([]), "markdown").decode()


# ── every source, through the command ────────────────────────────────────────────────────


def test_export_json_is_exactly_show_json(machine):
    for session_id in ("every0000001", AGENT_SESSION):
        shown = run("show", session_id, "--json")
        exported = run("export", session_id, "--format", "json")
        assert exported.exit_code == 0, exported.output
        assert exported.stdout_bytes == shown.stdout_bytes


def test_export_of_an_agent_session_shows_its_tools_and_reasoning(machine):
    """A read-only agent session (state.db) exports with its tool calls, results and the
    reasoning stored both as text and as reasoning_details, once."""
    result = run("export", AGENT_SESSION)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("# Fix flaky payment test\n")
    assert "- **Source:** CLI" in text
    assert '**Tool call `terminal`** `call_50ddc0eede2a43a7a7a554a1`' in text
    assert '**Tool result of `terminal`**' in text and '"exit_code": 1' in text
    assert text.count("Run the failing test first.") == 1


def test_export_of_a_claude_code_session_shows_thinking_and_rejected_tools(machine):
    transcript = machine["claude"] / "-home-marco-projects-spotter" / \
        "55604662-cf2a-4331-851a-ec234028f8ca.jsonl"
    result = run("export", claude_id(transcript), "--format", "html")
    assert result.exit_code == 0, result.output
    page = result.stdout
    assert "<dd>Claude Code</dd>" in page
    assert '<details class="thinking">' in page
    assert '<details class="result error"><summary><span class="label">Tool error</span>' in page


def test_export_writes_nothing_but_its_output(machine):
    """Like `show`, export never repairs or saves the session it reads (S2.36): the home is
    unchanged, byte for byte (SQLite's own -wal/-shm files aside)."""
    def snapshot() -> dict[str, bytes]:
        return {str(p): p.read_bytes() for p in sorted(machine["home"].rglob("*"))
                if p.is_file() and not p.name.endswith(("-wal", "-shm"))}

    write_webui_session(machine["home"], "pending00001", [{"role": "user", "content": "x"}],
                        pending_user_message="still there?", active_stream_id="gone",
                        pending_started_at=1700000000.0)
    before = snapshot()
    for session_id in ("pending00001", AGENT_SESSION):
        assert run("export", session_id, "-f", "html").exit_code == 0
    assert snapshot() == before


def test_output_file_format_from_suffix_and_no_overwrite(machine):
    out: Path = machine["out"]
    out.mkdir()
    result = run("export", "every0000001", "-o", str(out / "chat.html"))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    page = (out / "chat.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Every kind" in page
    assert (out / "chat.html").stat().st_mode & 0o777 == 0o644 & ~_umask()

    (out / "chat.md").write_text("mine")
    refused = run("export", "every0000001", "-o", str(out / "chat.md"))
    assert refused.exit_code == 1
    assert refused.stderr.strip() == (
        f"error: {out / 'chat.md'} already exists: use --force to replace it")
    assert (out / "chat.md").read_text() == "mine"
    forced = run("export", "every0000001", "-o", str(out / "chat.md"), "--force")
    assert forced.exit_code == 0, forced.output
    assert (out / "chat.md").read_text(encoding="utf-8").startswith("# Every kind\n")

    explicit = run("export", "every0000001", "-o", str(out / "chat.txt"), "--format", "json")
    assert explicit.exit_code == 0, explicit.output
    assert json.loads((out / "chat.txt").read_bytes())["session"]["title"] == "Every kind"
    assert sorted(p.name for p in out.iterdir()) == ["chat.html", "chat.md", "chat.txt"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_dash_is_stdout_and_markdown_is_the_default(machine):
    plain = run("export", "every0000001")
    dashed = run("export", "every0000001", "-o", "-")
    assert plain.exit_code == dashed.exit_code == 0
    assert plain.stdout == dashed.stdout and plain.stdout.startswith("# Every kind\n")


@pytest.mark.parametrize("arguments, code, message", [
    (["nope00000000"], 1,
     "error: session 'nope00000000' not found (run `hermes-sessions list` to see ids)"),
    (["../etc/passwd"], 1,
     "error: session '../etc/passwd' not found (run `hermes-sessions list` to see ids)"),
    (["every0000001", "--format", "pdf"], 2,
     "error: unknown --format 'pdf'; choose from: html, json, markdown"),
    (["every0000001", "-o", "chat.txt"], 2,
     "error: cannot tell the format from 'chat.txt': name it .md, .markdown, .html, .htm or "
     ".json, or give --format markdown|html|json"),
])
def test_errors_are_one_line(machine, arguments, code, message):
    result = run("export", *arguments)
    assert result.exit_code == code
    assert result.stderr.strip() == message and result.stdout == ""


def test_unknown_id_says_what_show_says(machine):
    shown, exported = run("show", "nope00000000"), run("export", "nope00000000")
    assert (exported.exit_code, exported.stderr) == (shown.exit_code, shown.stderr)


def test_output_into_a_missing_folder_or_onto_a_folder_is_refused(machine):
    out: Path = machine["out"]
    missing = run("export", "every0000001", "-o", str(out / "nowhere" / "chat.md"))
    assert missing.exit_code == 1 and "does not exist: create it first" in missing.stderr
    assert not out.exists()
    out.mkdir()
    onto = run("export", "every0000001", "-o", str(out), "--format", "html")
    assert onto.exit_code == 1 and "is a folder" in onto.stderr


def test_help_loads_no_renderer(tmp_path):
    """`--help` stays fast: the export renderers load only when a session is exported."""
    code = ("import sys\nfrom hermes_sessions_core.cli import app\n"
            "try:\n    app(['export', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('hermes_sessions_core.export')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "--format" in result.stdout and "--force" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "[]"
