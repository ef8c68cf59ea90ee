"""The worked example (Aider, pip-installed, a third-party plugin) against the kit's
hostile-input section, in Aider's own Markdown: a FIFO or socket where a history file belongs,
and histories holding a 5,000-level nested answer, a 10 MB first prompt or answer, or numbers,
times and prices that are not."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from hermes_sessions_core.testing import HostileInputContract, make_special_file

from .conftest import EXAMPLE_PROJECTS

SESSION_ID = "aider_hostile_20250601-100000"


def _session(prompt: str, answer: str, notes: str = "", banner: str = "Aider v0.86.1") -> bytes:
    """One session as Aider appends it (aider/io.py): header, banner note, prompt, answer."""
    text = (f"\n# aider chat started at 2025-06-01 10:00:00\n\n> {banner}  \n"
            f"\n#### {prompt}  \n\n{answer}\n\n{notes}")
    return text.encode("utf-8")


class TestExamplePluginHostileInput(HostileInputContract):
    @pytest.fixture
    def plugin(self, example_plugin):
        return example_plugin

    @pytest.fixture
    def settings(self, data_dir):
        return {"aider": {"roots": [str(data_dir)]}}

    @pytest.fixture
    def seed(self, data_dir):
        shutil.copytree(EXAMPLE_PROJECTS, data_dir, dirs_exist_ok=True)
        return ["aider_weather-cli_20250314-091205"]

    @pytest.fixture
    def hostile_seed(self, data_dir):
        def write(kind: str, payload: Any) -> str | None:
            path = data_dir / "hostile" / ".aider.chat.history.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            if kind in ("fifo", "socket"):
                make_special_file(path, kind)
                return None
            if kind == "deep_nesting":  # no JSON in Markdown: the nested value is the answer,
                nested_quote = "> " * 5000 + "deep"  # and a note nested as deep
                path.write_bytes(_session("deep", payload.decode("ascii"), nested_quote + "  \n"))
            elif kind == "oversized_title":
                path.write_bytes(_session(payload, "short answer"))
            elif kind == "oversized_content":
                path.write_bytes(_session("short prompt", payload))
            else:  # wrong_types: every number, time and price Aider prints, made of other things
                notes = (f"> Tokens: {payload['number']} sent, {payload['boolean']} received. "
                         f"Cost: ${payload['time']} message, ${payload['object']} session.  \n")
                banner = f"Main model: {payload['text']} with {payload['list']} edit format"
                data = _session(str(payload["list"]), str(payload["object"]), notes, banner)
                path.write_bytes(data + f"\n# aider chat started at {payload['time']}\n\n".encode())
            return SESSION_ID

        return write
