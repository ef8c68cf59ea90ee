"""Where the source reads (``~/.gemini/tmp``, ``GEMINI_CLI_HOME``, the ``home`` setting) and
how a chat's sessionId becomes a row id (as is when it fits, else an injective encoding)."""

from __future__ import annotations

import os

import pytest
from hermes_sessions_gemini_cli.ids import native_id_of, session_id_for
from hermes_sessions_gemini_cli.locations import default_roots

from hermes_sessions_core.ids import is_valid_session_id
from hermes_sessions_core.source_roots import split_scoped_id


def test_default_root_is_dot_gemini_tmp_in_home(context_for, monkeypatch, tmp_path):
    """With no setting and no GEMINI_CLI_HOME the root is ~/.gemini/tmp."""
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert default_roots(context_for()) == [str(tmp_path / "user" / ".gemini" / "tmp")]


def test_gemini_cli_home_holds_the_dot_gemini_folder(context_for, tmp_path):
    """GEMINI_CLI_HOME replaces the user's home as the folder that holds .gemini."""
    context = context_for(environ={"GEMINI_CLI_HOME": str(tmp_path / "elsewhere")})
    assert default_roots(context) == [str(tmp_path / "elsewhere" / ".gemini" / "tmp")]


def test_home_setting_wins_over_the_environment(context_for, tmp_path):
    """settings['gemini_cli']['home'] names the .gemini folder and wins over GEMINI_CLI_HOME."""
    context = context_for(tmp_path / "configured", environ={"GEMINI_CLI_HOME": "/nowhere"})
    assert default_roots(context) == [os.path.join(tmp_path / "configured", "tmp")]


@pytest.mark.parametrize("native", [
    "0ab84937-9fe7-4284-986a-33c832af0b6a", "gemini_stage0_jsonl", "abc",
])
def test_ids_that_fit_are_used_as_they_are(native):
    """A sessionId of [0-9a-z_-] is the id after the prefix, and maps back."""
    assert session_id_for(native) == f"gemini_cli_{native}"
    assert native_id_of(session_id_for(native)) == native


@pytest.mark.parametrize("native", [
    "0AB84937-9FE7", "with space", "a__b", "x-looks-encoded", "ünïcode", "_lead", "a/b",
])
def test_other_ids_are_encoded_reversibly(native):
    """Capitals, other characters, a '__' (the machine separator) or a leading 'x-' are
    encoded, so every id is valid, unambiguous and maps back to its sessionId."""
    encoded = session_id_for(native)
    assert is_valid_session_id(encoded) and encoded.startswith("gemini_cli_x-")
    assert native_id_of(encoded) == native
    assert split_scoped_id("gemini_cli_", encoded) == (None, encoded[len("gemini_cli_"):])


def test_encoding_is_injective_on_near_collisions():
    """Ids that differ only in case or separators stay distinct."""
    natives = ["ABC", "abc", "Abc", "x-abc", "a__b", "a_b", "a--b", "A--B"]
    ids = [session_id_for(native) for native in natives]
    assert len(set(ids)) == len(ids)


def test_overlong_ids_are_hashed_within_the_limit():
    """A sessionId too long for an id is keyed by its hash, within the 200-character limit."""
    native = "A" * 300
    encoded = session_id_for(native)
    assert is_valid_session_id(encoded) and encoded.startswith("gemini_cli_h-")
    assert native_id_of(encoded) is None  # found by reading headers instead
