"""The command line's `--json` output: orjson, yet what ``json.dumps(value, ensure_ascii=False,
indent=2, default=str)`` printed before, and a reader that goes away is no error."""

from __future__ import annotations

import datetime
import io
import json
import os
import subprocess
import sys
from collections import namedtuple
from dataclasses import dataclass
from types import MappingProxyType

import pytest

from hermes_sessions_core.cli.app import print_json

Point = namedtuple("Point", "x y")


class Seconds(float):
    pass


@dataclass
class Record:
    name: str


VALUES = {
    "nested unicode": {"title": "Café — 漢字 \"q\" \\ \n\t\u2028 🎉", "rows": [{}, [], None, True]},
    "numbers": [0, -1, 2**63 - 1, 0.1, 1733480000.123, -2.5, 1e15],
    "key order": {"z": 1, "a": {"y": 2, "b": 3}},
    "beyond 64 bits": {"big": 2**70},
    "non-string keys": {2: "two", None: "none", True: "yes", 0.5: "half"},
    "date and dataclass": {"at": datetime.datetime(2026, 1, 2, 3, 4, 5), "record": Record("r")},
    "tuple and float subclasses": {"point": Point(1, 2), "seconds": Seconds(1.5)},
    "mapping proxy": {"proxy": MappingProxyType({"a": 1})},
}


@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
def test_output_is_what_json_dumps_printed(value, capsys) -> None:
    print_json(value)
    expected = json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n"
    assert capsys.readouterr().out == expected


def test_floats_written_with_an_exponent_keep_their_value(capsys) -> None:
    """The one documented difference (jsoncodec): the shortest form, ``1e16`` for ``1e+16``."""
    value = [-2.5e-05, 1e16, 1e300, 5e-324]
    print_json(value)
    assert json.loads(capsys.readouterr().out) == value


def test_a_stdout_without_a_buffer_gets_text(monkeypatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stream)
    print_json({"title": "漢字"})
    assert stream.getvalue() == '{\n  "title": "漢字"\n}\n'


def test_a_reader_that_went_away_ends_the_command_quietly(tmp_path) -> None:
    """Output to a closed pipe (`| head`) exits 1 without a traceback, however short it is."""
    env = {**os.environ, "HOME": str(tmp_path), "HERMES_HOME": str(tmp_path / "hermes")}
    env.pop("PYTHONUNBUFFERED", None)
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "hermes_sessions_core.cli", "list", "--json"],
            stdout=write_end, stderr=subprocess.PIPE, text=True, env=env, timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert (result.returncode, result.stderr) == (1, "")
