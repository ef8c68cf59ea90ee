"""What a remote Claude Code root needs copied: every transcript, subagents included.

The session files sit one level deep (``<project>/<id>.jsonl``) and the 2.1.x subagents two
below (``<project>/<id>/subagents/agent-*.jsonl``); ``*`` crosses folders in these patterns,
so one covers both.
"""

from __future__ import annotations

__all__ = ["MIRRORED_PATTERNS"]

MIRRORED_PATTERNS = ("*.jsonl",)
