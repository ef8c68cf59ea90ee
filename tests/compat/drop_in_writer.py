"""One Web UI process of the many-writers drop-in test: ``compat`` as the Web UI calls it.

Run as ``python drop_in_writer.py NAME ROUNDS SESSION_ID...`` with ``HERMES_HOME`` and
``HERMES_WEBUI_STATE_DIR`` set. Each round loads a session with ``get_session``, appends one
uniquely marked message and saves; a ``SessionConflict`` is answered as a host would, by
loading again and re-applying. Each completed save is journaled (fsync'd) to
``$HERMES_WEBUI_STATE_DIR/journal-NAME.log``; the last line printed is a JSON summary.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path

from hermes_sessions_core import SessionConflict, compat


def main(name: str, rounds: int, session_ids: list[str]) -> None:
    journal = open(Path(os.environ["HERMES_WEBUI_STATE_DIR"]) / f"journal-{name}.log", "a")
    rng = random.Random(name)
    conflicts = merges = 0
    for number in range(rounds):
        session_id = rng.choice(session_ids)
        marker = f"{name}:{number}"
        for _ in range(20):
            session = compat.get_session(session_id)
            session.messages.append({"role": "user", "content": marker, "timestamp": time.time()})
            expected = len(session.messages)
            try:
                session.save()
            except SessionConflict:
                conflicts += 1
                continue
            merges += int(len(session.messages) > expected)
            break
        else:
            raise SystemExit(f"{marker}: gave up after 20 conflicts")
        journal.write(json.dumps({"id": session_id, "marker": marker}) + "\n")
        journal.flush()
        os.fsync(journal.fileno())
    compat.reset()
    print(json.dumps({"saves": rounds, "conflicts": conflicts, "merges": merges}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3:])
