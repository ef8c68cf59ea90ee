"""The exported HTML page as a browser shows it: headless Chromium renders a realistic session
(tool calls, thinking, an inline PNG, an injected script) and the screenshot and DOM are checked.

Chromium is required: without it these tests fail, naming the package to install, unless
``HERMES_SESSIONS_SKIP_BROWSER=1`` says this machine has no browser on purpose.
"""

from __future__ import annotations

import base64
import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest

from hermes_sessions_core import Session
from hermes_sessions_core.export import export_session

WIDTH, HEIGHT = 1000, 1400
#: The inline image's colour, which nothing else on the page uses.
MAGENTA = (230, 0, 126)
TITLE = "Flaky payment test"
INJECTED = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"


def chromium() -> str:
    """The browser's path; a missing browser fails the test unless skipping was asked for."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and os.path.exists("/usr/bin/chromium"):
        found = "/usr/bin/chromium"
    if found is None:
        if os.environ.get("HERMES_SESSIONS_SKIP_BROWSER") == "1":
            pytest.skip("HERMES_SESSIONS_SKIP_BROWSER=1: no browser on this machine")
        pytest.fail("headless Chromium is needed to check the HTML export: apt-get install "
                    "chromium (or set HERMES_SESSIONS_SKIP_BROWSER=1 to skip these tests)")
    return found


def browse(page: Path, tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[bytes]:
    """Chromium, headless and quiet, with a profile of its own and no network of its own."""
    command = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", *arguments,
        page.as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, timeout=90)
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    return result


# ── PNG, by hand (Pillow is not a test dependency) ───────────────────────────────────────


def png(width: int, height: int, pixel: Any) -> bytes:
    """An RGB PNG whose pixel at (x, y) is ``pixel(x, y)``."""
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height)
    )

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def decode_png(data: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    """Width, height and RGB pixels of an 8-bit RGB or RGBA, non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, compressed, header = 8, [], None
    while position < len(data):
        length, tag = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        assert struct.unpack(">I", data[position + 8 + length:position + 12 + length])[0] == \
            zlib.crc32(tag + body), f"bad CRC in {tag!r}"
        position += 12 + length
        if tag == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif tag == b"IDAT":
            compressed.append(body)
        elif tag == b"IEND":
            break
    assert header is not None, "no IHDR"
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, f"unsupported PNG {header}"
    size = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(compressed))
    stride = width * size
    previous = bytearray(stride)
    pixels: list[tuple[int, ...]] = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(size, stride):
                line[i] = (line[i] + line[i - size]) & 255
        elif kind == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, previous))
        elif kind == 3:
            for i in range(stride):
                left = line[i - size] if i >= size else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 255
        elif kind == 4:
            for i in range(stride):
                a = line[i - size] if i >= size else 0
                b, c = previous[i], (previous[i - size] if i >= size else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        else:
            assert kind == 0, f"unknown filter {kind} in row {y}"
        pixels.extend(tuple(line[i:i + 3]) for i in range(0, stride, size))
        previous = line
    return width, height, pixels


def test_png_helpers_read_what_they_write():
    """The decoder the screenshot checks rely on reads back a known image exactly."""
    image = png(7, 5, lambda x, y: (x * 30, y * 50, 200))
    width, height, pixels = decode_png(image)
    assert (width, height) == (7, 5)
    assert pixels[0] == (0, 0, 200) and pixels[-1] == (180, 200, 200)


# ── the session and its page ─────────────────────────────────────────────────────────────


def realistic_session() -> Session:
    """A Web UI session as the agent leaves it: a screenshot from the user, reasoning, a
    tool call and its result, an answer with code, and a message trying to inject a script."""
    # 160x90: a magenta field with a white bar, the kind of picture a user pastes.
    picture = png(160, 90, lambda x, y: (255, 255, 255) if 40 <= y < 50 else MAGENTA)
    data_url = "data:image/png;base64," + base64.b64encode(picture).decode("ascii")
    start = 1763932825
    return Session(
        session_id="screen000001", title=TITLE, model="anthropic/claude-sonnet-4.5",
        workspace="/home/ada/src/payments", created_at=start, updated_at=start + 60,
        messages=[
            {"role": "user", "timestamp": start, "content": [
                {"type": "text", "text": "The retry test fails 1 in 5 runs. Here is the CI run:"},
                {"type": "image_url", "image_url": {"url": data_url}},
            ]},
            {"role": "assistant", "timestamp": start + 5,
             "reasoning": "The backoff probably reads the wall clock; run the test first.",
             "content": "", "tool_calls": [{"id": "call_1", "type": "function", "function": {
                 "name": "terminal",
                 "arguments": '{"command": "pytest -q tests/test_retry.py"}'}}]},
            {"role": "tool", "timestamp": start + 9, "tool_call_id": "call_1",
             "content": '{"output": "FAILED tests/test_retry.py::test_backoff", "exit_code": 1}'},
            {"role": "assistant", "timestamp": start + 20, "content":
                "The backoff uses `time.time()`. Inject a clock:\n```python\n"
                "def backoff(attempt, clock=time.monotonic):\n    return clock() + 2 ** attempt\n"
                "```\nWith a fake clock the test is deterministic."},
            {"role": "user", "timestamp": start + 40, "content": INJECTED},
        ],
    )


def write_page(tmp_path: Path) -> Path:
    page = tmp_path / "session.html"
    page.write_bytes(export_session(realistic_session(), "html"))
    return page


def test_screenshot_shows_a_readable_page_with_the_inline_image(tmp_path):
    """The page renders at the window's size, is not blank (many colours, plenty of ink on
    the background) and shows the inline PNG in its own colour."""
    page = write_page(tmp_path)
    shot = tmp_path / "shot.png"
    browse(page, tmp_path, f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}",
           "--hide-scrollbars")
    width, height, pixels = decode_png(shot.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    background = max(set(pixels[:WIDTH]), key=pixels[:WIDTH].count)  # the top row's colour
    ink = sum(1 for pixel in pixels if pixel != background)
    assert ink > 0.05 * len(pixels), f"only {ink} pixels differ from the background"
    assert len(set(pixels)) > 100, "too few colours: text and boxes did not render"
    magenta = sum(1 for pixel in pixels if all(abs(a - b) <= 6 for a, b in zip(pixel, MAGENTA)))
    assert magenta >= 0.9 * 160 * 80, f"the inline image is missing ({magenta} magenta pixels)"


def test_dark_scheme_screenshot_has_a_dark_background(tmp_path):
    """With the reader's scheme dark, the page is dark too (prefers-color-scheme)."""
    page = write_page(tmp_path)
    shot = tmp_path / "dark.png"
    browse(page, tmp_path, f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}",
           "--hide-scrollbars", "--force-dark-mode",
           "--blink-settings=preferredColorScheme=0")
    _, _, pixels = decode_png(shot.read_bytes())
    corner = pixels[5 * WIDTH + 5]
    assert sum(corner) < 3 * 60, f"background {corner} is not dark"


def test_dom_has_the_tool_and_thinking_and_the_injected_script_did_not_run(tmp_path):
    """The rendered DOM holds the tool's name and the thinking text; the title is the
    session's, so neither the <script> nor the onerror handler in a message ran."""
    page = write_page(tmp_path)
    dom = browse(page, tmp_path, "--dump-dom").stdout.decode("utf-8")
    assert '<code class="name">terminal</code>' in dom
    assert "The backoff probably reads the wall clock; run the test first." in dom
    assert f"<title>{TITLE}</title>" in dom and "pwned</title>" not in dom
    assert "<script" not in dom.lower()
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom


def test_the_dom_check_would_see_a_script_that_ran(tmp_path):
    """The control for the test above: in this browser a page's inline script does run and
    does change the title that --dump-dom reports."""
    page = tmp_path / "control.html"
    page.write_text(f"<!DOCTYPE html><title>{TITLE}</title><p>x</p>{INJECTED}", encoding="utf-8")
    dom = browse(page, tmp_path, "--dump-dom").stdout.decode("utf-8")
    assert "<title>pwned</title>" in dom
