"""``python -m hermes_sessions_core``: the ``hermes-sessions`` command."""

from .cli import main

main()
