"""Our ids for OpenCode's: lower case, valid, injective and reversible."""

from __future__ import annotations

import random
import string

import pytest
from hermes_sessions_opencode.ids import native_id_of, session_id_for

from hermes_sessions_core.ids import is_valid_session_id

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def test_capitals_become_dash_and_lower_case() -> None:
    """Each capital is written ``-`` plus its lower-case letter, and decodes back."""
    ours = session_id_for("ses_1c56060ffffeDR3yANYKPLLozb")
    assert ours == "opencode_ses_1c56060ffffe-d-r3y-a-n-y-k-p-l-lozb"
    assert native_id_of(ours) == "ses_1c56060ffffeDR3yANYKPLLozb"


def test_generated_ids_round_trip_without_collisions() -> None:
    """Ids as OpenCode's generator makes them (and case variants of one) never collide."""
    rnd = random.Random(7)
    natives = {f"ses_{rnd.getrandbits(48):012x}" + "".join(rnd.choice(B62) for _ in range(14))
               for _ in range(2000)}
    natives |= {"ses_aB", "ses_Ab", "ses_ab", "ses_AB"}
    ours = {session_id_for(native) for native in natives}
    assert len(ours) == len(natives)
    for native in natives:
        encoded = session_id_for(native)
        assert encoded is not None and is_valid_session_id(encoded)
        assert native_id_of(encoded) == native


@pytest.mark.parametrize("native", ["ses-with-dash", "ses__double", "_leading", "ses ünï", "a/b"])
def test_other_ids_are_written_in_hex(native: str) -> None:
    """Ids outside OpenCode's alphabet (or holding ``__``, the machine separator) are hex."""
    encoded = session_id_for(native)
    assert encoded is not None and encoded.startswith("opencode_--")
    assert "__" not in encoded and is_valid_session_id(encoded)
    assert native_id_of(encoded) == native


@pytest.mark.parametrize("ours", [
    "opencode_", "opencode_ses_x-", "opencode_ses_x-1", "opencode_--zz", "opencode_ses--ab",
    "claude_code_abc", "opencode_ses_AB", "opencode_x" * 40,
])
def test_ids_we_never_give_are_not_ours(ours: str) -> None:
    """Malformed or foreign ids decode to nothing."""
    assert native_id_of(ours) is None


def test_too_long_native_ids_are_not_named() -> None:
    assert session_id_for("ses_" + "a" * 200) is None
    assert session_id_for("") is None
