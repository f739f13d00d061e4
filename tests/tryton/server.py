"""A real trytond 8.2 server for the connector tests.

``build_template`` runs builder.py once into a cache directory keyed by the builder's source
and the trytond version; ``run_server`` starts ``trytond`` on a free loopback port over a
fresh copy of that template and stops it afterwards.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

BUILDER = Path(__file__).with_name("builder.py")
DATABASE = "demo"
USERNAME = "admin"
PASSWORD = "admin"
START_TIMEOUT = 60.0


class TrytonStartError(RuntimeError):
    """The builder failed or the server did not answer in time; the message holds the log."""


@dataclass(frozen=True, slots=True)
class TrytonServer:
    """Where a running test server answers and how to log in."""

    url: str
    database: str
    username: str
    password: str
    log: Path


def template_key(trytond_version: str) -> str:
    """Changes whenever builder.py or the installed trytond changes."""
    digest = hashlib.sha256(BUILDER.read_bytes())
    digest.update(trytond_version.encode())
    return digest.hexdigest()[:16]


def write_config(directory: Path, port: int) -> Path:
    config = directory / "trytond.conf"
    config.write_text(
        f"[database]\nuri = sqlite://\npath = {directory}\n\n"
        f"[web]\nlisten = 127.0.0.1:{port}\n\n"
        "[session]\ntimeout = 3600\n"
    )
    return config


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def admin_environment(directory: Path) -> dict[str, str]:
    passfile = directory / "passfile"
    passfile.write_text(PASSWORD + "\n")
    return dict(os.environ, TRYTONPASSFILE=str(passfile))


def consolidate(dbfile: Path) -> None:
    """Fold the WAL into the file so that the template is one self-contained file.

    A stale ``-wal`` next to a copied database is replayed into it (setup_notes.md).
    """
    connection = sqlite3.connect(dbfile)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()
    for suffix in ("-wal", "-shm"):
        dbfile.with_name(dbfile.name + suffix).unlink(missing_ok=True)


def build_template(cache: Path, trytond_version: str, extra: int = 0) -> Path:
    """The template database file, built with builder.py unless the cache already holds it."""
    name = f"template-{template_key(trytond_version)}" + (f"-extra{extra}" if extra else "")
    target = cache / name / f"{DATABASE}.sqlite"
    if target.exists():
        return target
    for outdated in cache.glob("template-*"):  # earlier builder.py or trytond versions
        if not outdated.name.startswith(f"template-{template_key(trytond_version)}"):
            shutil.rmtree(outdated, ignore_errors=True)
    work = cache / f"{name}.building-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    command = [sys.executable, str(BUILDER), "--config", str(write_config(work, free_port()))]
    command += ["--database", DATABASE, "--init", "--extra", str(extra)]
    log = work / "build.log"
    with log.open("wb") as output:
        result = subprocess.run(
            command, stdout=output, stderr=subprocess.STDOUT, env=admin_environment(work)
        )
    if result.returncode:
        message = f"builder.py failed ({result.returncode}):\n{log.read_text()}"
        shutil.rmtree(work, ignore_errors=True)
        raise TrytonStartError(message)
    consolidate(work / f"{DATABASE}.sqlite")
    shutil.rmtree(work / DATABASE, ignore_errors=True)  # filestore, not part of the template
    try:
        work.rename(target.parent)
    except OSError:  # another run finished first: keep its template
        shutil.rmtree(work, ignore_errors=True)
    return target


def wait_until_answering(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    request = {"id": 0, "method": "common.server.version", "params": []}
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise TrytonStartError(f"trytond exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.post(f"{url}/rpc/", json=request, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise TrytonStartError(f"trytond did not answer within {START_TIMEOUT}s:\n{log.read_text()}")


@contextmanager
def run_server(template: Path, directory: Path) -> Iterator[TrytonServer]:
    """trytond over a fresh copy of ``template`` in ``directory``, stopped on exit."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, directory / f"{DATABASE}.sqlite")  # the file only, no WAL
    port = free_port()
    config = write_config(directory, port)
    log = directory / "trytond.log"
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "trytond.cli", "-c", str(config), "-d", DATABASE],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=admin_environment(directory),
        )
    try:
        wait_until_answering(url, process, log)
        yield TrytonServer(url, DATABASE, USERNAME, PASSWORD, log)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
