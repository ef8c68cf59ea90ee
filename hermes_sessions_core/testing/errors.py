"""The error a contract raises when a subclass has not provided one of its fixtures."""

from __future__ import annotations

from typing import NoReturn

__all__ = ["MissingContractFixture", "abstract_fixture"]


class MissingContractFixture(Exception):
    """A contract fixture the backend must provide is missing: the message says what to write."""

    def __init__(self, contract: str, fixture: str, guidance: str) -> None:
        self.contract = contract
        self.fixture = fixture
        super().__init__(
            f"{contract} needs the fixture {fixture!r}: {guidance}\n"
            f"Define it on your Test… subclass:\n\n"
            f"    @pytest.fixture\n"
            f"    def {fixture}(self, ...):\n"
            f"        ...\n\n"
            f"(see docs/writing-a-plugin.md, 'Run the conformance kit')"
        )


def abstract_fixture(contract: str, fixture: str, guidance: str) -> NoReturn:
    """Raise :class:`MissingContractFixture`; the body of every abstract contract fixture."""
    raise MissingContractFixture(contract, fixture, guidance)
