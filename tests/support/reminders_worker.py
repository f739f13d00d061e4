"""The worker the reminders kill -9 test starts: ``ledgerlink reminders`` on a settings
file, to be killed at a checkpoint.

``python -m support.reminders_worker SETTINGS DATE [STORE_URL]`` runs the day's reminders as the
command line does. With ``LEDGERLINK_KILL_POINT=NAME`` and ``LEDGERLINK_KILL_MARKER=PATH``
it stops at checkpoint NAME of :mod:`sync.reminders` (``decided``: planned, not recorded;
``recorded``) or of :mod:`sync.reminder_outputs` (``claimed``): it writes PATH and sleeps,
so the test can kill it right there.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import sync.reminder_outputs
import sync.reminders


def _install_pause() -> None:
    point = os.environ.get("LEDGERLINK_KILL_POINT", "")
    marker = os.environ.get("LEDGERLINK_KILL_MARKER")
    if not point or not marker:
        return

    def pause(name: str) -> None:
        if name == point:
            Path(marker).write_text(name, encoding="utf-8")
            time.sleep(120)  # the test kills us here; the sleep only bounds a lost test

    sync.reminders.checkpoint = pause
    sync.reminder_outputs.checkpoint = pause


def main(argv: list[str]) -> int:
    from typer.testing import CliRunner

    from ledgerlink.cli import app

    settings, day, *store = argv
    _install_pause()
    args = ["--config", settings, "reminders", "--on", day, "--format", "json"]
    if store:
        args += ["--store", store[0]]
    result = CliRunner().invoke(app, args)
    sys.stdout.write(result.stdout)
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
