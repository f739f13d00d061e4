"""``ledgerlink daemon`` as a real process for the tests: start it on a settings file, read
its JSON log lines, wait for what it logs, and make an inbox of valid invoices.

Shared by the SQLite and PostgreSQL daemon tests; the launcher itself is
:mod:`ledgerlink.daemon_process`, which ``benchmarks/daemon.py`` uses too.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from ledgerlink.daemon_process import start_daemon
from support.file_sources import FIXTURES

__all__ = ["TEMPLATE", "event", "get", "inbox", "lines", "raw", "start", "until", "wait"]

TEMPLATE = "nl-export-g.xml"
WAIT = 120.0
"""Seconds a daemon may take before a test gives up (no hang)."""
_LOGS: dict[int, Path] = {}


def inbox(folder: Path, count: int, prefix: str = "D") -> list[str]:
    """``count`` valid invoices made from one fixture in ``folder``, their numbers (BT-1)
    ``<prefix><index>-...``; the numbers' prefixes."""
    folder.mkdir(parents=True, exist_ok=True)
    template = (FIXTURES / TEMPLATE).read_bytes()
    numbers = []
    for index in range(count):
        number = f"{prefix}{index:04d}"
        (folder / f"{number}.xml").write_bytes(
            template.replace(b"<cbc:ID>", f"<cbc:ID>{number}-".encode(), 1)
        )
        numbers.append(number)
    return numbers


def start(settings: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """The daemon on ``settings`` (:func:`ledgerlink.daemon_process.start_daemon`), its log
    next to the settings file."""
    path = settings.with_name(f"daemon-{time.monotonic_ns()}.log")
    process = start_daemon(settings, path, *args, env=env)
    _LOGS[process.pid] = path
    return process


def wait(process: subprocess.Popen, timeout: float = WAIT) -> int:
    """The exit code; the process is killed when it takes longer than ``timeout``."""
    try:
        return process.wait(timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def raw(process: subprocess.Popen) -> str:
    return _LOGS[process.pid].read_text(encoding="utf-8")


def lines(process: subprocess.Popen) -> list[dict[str, Any]]:
    """The JSON log lines the daemon wrote so far (each line must be one object)."""
    return [json.loads(line) for line in raw(process).splitlines() if line.strip()]


def event(process: subprocess.Popen, name: str) -> dict[str, Any] | None:
    return next((line for line in lines(process) if line["event"] == name), None)


def until(
    check: Any, what: str, *processes: subprocess.Popen, timeout: float = WAIT, step: float = 0.02
) -> Any:
    """``check()``'s first true value; fails when ``timeout`` passes or a process ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        for process in processes:
            if process.poll() is not None:
                raise AssertionError(
                    f"a daemon ended ({process.returncode}) before {what}:\n{raw(process)[-3000:]}"
                )
        time.sleep(step)
    raise AssertionError(f"no {what} within {timeout}s")


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()
