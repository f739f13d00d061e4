"""``ledgerlink daemon`` as a child process: started on a settings file, its stderr (one
JSON object per line, :mod:`ledgerlink.daemon_logs`) kept in a log file and read as it
grows.

The one launcher of the daemon's own tests (``tests/support/daemon_processes.py``) and of
``benchmarks/daemon.py``: the real command, a real settings file, nothing in between.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["DaemonLog", "start_daemon"]


def start_daemon(
    settings: Path, log: Path, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``ledgerlink --config <settings> daemon <args>`` in this interpreter, its stderr in
    ``log`` (created or emptied), its stdout dropped, ``env`` added to this environment."""
    with log.open("wb") as stderr:
        return subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from ledgerlink.cli import main; main()",
                "--config",
                str(settings),
                "daemon",
                *args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={**os.environ, **(env or {})},
        )


class DaemonLog:
    """The JSON lines of a daemon's log file, read as the file grows: :meth:`new` gives
    the complete lines written since the last call (a line still being written waits)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._partial = b""

    def new(self) -> list[dict[str, Any]]:
        with self.path.open("rb") as log:
            log.seek(self._offset)
            data = log.read()
        self._offset += len(data)
        *complete, self._partial = (self._partial + data).split(b"\n")
        return [json.loads(raw) for raw in complete if raw.strip()]

    def text(self) -> str:
        """All of the log as text (for a failure message)."""
        return self.path.read_text(encoding="utf-8")
