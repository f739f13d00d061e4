"""Run a worker subprocess that pauses at a named kill point, and kill it there with SIGKILL.

The worker (tests/support/outbox_worker.py, tests/sync/test_payment_push_kill9.py,
tests/sync/test_reconcile_tryton_kill9.py) reads ``LEDGERLINK_KILL_POINT`` (``NAME:COUNT``)
and, on the COUNT-th pass of that point (:func:`kill_point_pause`), creates the file named by
``LEDGERLINK_KILL_MARKER`` and waits; this side sees the marker and kills it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def kill_point_pause() -> Callable[[str], None]:
    """The worker's side: a function to call at each named point; at the COUNT-th pass of
    ``LEDGERLINK_KILL_POINT=NAME:COUNT`` it writes the marker and sleeps (the test kills the
    process there; the sleep only bounds a lost test). Without the variables it does nothing."""
    point, _, count = os.environ.get("LEDGERLINK_KILL_POINT", "").partition(":")
    marker = os.environ.get("LEDGERLINK_KILL_MARKER")
    left = int(count or 1)

    def pause(name: str) -> None:
        nonlocal left
        if name != point or not marker:
            return
        left -= 1
        if left == 0:
            Path(marker).write_text(name, encoding="utf-8")
            time.sleep(120)

    return pause


def run_to_kill_point(
    args: Sequence[str], tmp: Path, point: str | None, *, wait: float = 90.0
) -> str:
    """Run ``python ARGS...``: 'killed' when it reached ``point`` and was killed, 'done' when
    it ended by itself (exit 0 asserted); ``point`` None runs it to the end."""
    marker = tmp / "paused"
    marker.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"}
    env.pop("LEDGERLINK_KILL_POINT", None)
    if point is not None:
        env |= {"LEDGERLINK_KILL_POINT": point, "LEDGERLINK_KILL_MARKER": str(marker)}
    worker = subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + wait
    try:
        while time.monotonic() < deadline:
            if marker.exists():
                worker.send_signal(signal.SIGKILL)
                worker.wait(timeout=wait)
                return "killed"
            if worker.poll() is not None:
                output, errors = worker.communicate(timeout=wait)
                assert worker.returncode == 0, (output + errors).decode()
                return "done"
            time.sleep(0.01)
        raise AssertionError(f"the worker took more than {wait} s (point {point})")
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=wait)
