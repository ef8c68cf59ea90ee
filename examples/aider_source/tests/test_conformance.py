"""The Aider source passes the hermes-sessions conformance kit for readable sources."""

import shutil
from pathlib import Path

import hermes_sessions_aider
import pytest

from hermes_sessions_core.testing import ReadableSourceContract

PROJECTS = Path(__file__).parent / "fixtures" / "projects"


class TestAiderSource(ReadableSourceContract):
    @pytest.fixture
    def plugin(self):
        return hermes_sessions_aider

    @pytest.fixture
    def settings(self, data_dir):
        return {"aider": {"roots": [str(data_dir)]}}

    @pytest.fixture
    def seed(self, data_dir):
        shutil.copytree(PROJECTS, data_dir, dirs_exist_ok=True)
        return ["aider_weather-cli_20250314-091205", "aider_weather-cli_20250315-164031",
                "aider_notes-app_20250402-080544"]

    @pytest.fixture
    def seed_damaged(self, data_dir):
        project = data_dir / "broken"
        project.mkdir()
        (project / ".aider.chat.history.md").write_text(
            "\n# aider chat started at 2025-13-45 99:00:00\n\n#### hello  \n")
        return []
