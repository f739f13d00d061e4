"""Benchmark: the sync engine's own cost beside building and validating the UBL.

Target (issue 14, section 9): 10,000 invoices from a file source (model-json files, made
from a fixture with the invoice number BT-1 varied) to the directory channel, one cycle of
``sync.pipeline.sync_connection`` (pull, map, build, hash, validate, record with the cursor,
enqueue, deliver with the outbox, poll), on SQLite and on PostgreSQL. Printed per store:
documents/s and the share of wall time spent in build (``ubl.write``) and in validation
(``ubl.validate``), both timed in the same run through wrappers around those two calls.
The goal: the engine's own overhead (wall time minus build minus validation) stays under
10 % of the wall time on both stores; exit 1 when it is missed.

The engine's time is split in three parts, timed in the same run: ``source`` (inside the
connector's ``pull`` and ``document``/``parsed``: listing and reading the files, parsing
the model JSON), ``channel`` (inside the channel's ``send``, ``send_batch`` and
``lookup``: the directory channel's writes and fsyncs) and ``store`` (everything else:
the store's transactions and statements, mapping, hashing, the outbox's bookkeeping).

The validation bundles are installed from $LEDGERLINK_SHARED/validation (default
../shared) into a temporary cache, and the validator is compiled before timing (its
compile is printed apart); without that folder the benchmark says so and exits 0.
PostgreSQL: a temporary database on the server of $LEDGERLINK_TEST_POSTGRES (default
postgresql://postgres@127.0.0.1:5432), dropped at the end; skipped with a message when it
cannot be reached.

Run: ``./dev bench`` or ``.venv/bin/python benchmarks/sync.py [--count N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# This file is named like the package it measures: without its folder on the path,
# ``import sync`` finds the package, not this script.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]

ROOT = HERE.parent
SHARED = Path(os.environ.get("LEDGERLINK_SHARED") or ROOT.parent / "shared")
VALIDATION = SHARED / "validation"
SERVER = os.environ.get("LEDGERLINK_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
FIXTURE = ROOT / "fixtures" / "nl-export-g.json"
TARGET = 0.10
"""The engine's own share of the wall time, at most."""

SETTINGS = """[store]
url = {store}

[channels.archive]
type = "directory"
path = "delivered"

[connections.bench]
connector = "model-json"
path = "invoices"
profile = "auto"
channels = ["archive"]
"""


def make_invoices(folder: Path, count: int) -> None:
    """``count`` model-json files made from FIXTURE, numbers BENCH-000001..."""
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    folder.mkdir(parents=True)
    for index in range(1, count + 1):
        data["number"] = f"BENCH-{index:06d}"
        (folder / f"{index:06d}.json").write_text(json.dumps(data), encoding="utf-8")


class Timed:
    """Wraps a function of ``module``: the seconds spent in it add up in :attr:`seconds`."""

    def __init__(self, module: Any, name: str) -> None:
        self.module, self.name = module, name
        self.original: Callable[..., Any] = getattr(module, name)
        self.seconds = 0.0
        self.calls = 0

    def __enter__(self) -> Timed:
        original = self.original

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start
                self.calls += 1

        setattr(self.module, self.name, timed)
        return self

    def __exit__(self, *exc: object) -> None:
        setattr(self.module, self.name, self.original)


class Clock:
    """The seconds spent inside the named methods of some objects (instance attributes
    that shadow the methods while the block runs). A call made from inside another timed
    call (a ``send_batch`` that calls ``send``) is counted once, in the outer one; a method
    that returns an iterator (``pull``) is timed while it makes each item, not while the
    caller uses it."""

    def __init__(self, targets: list[tuple[Any, tuple[str, ...]]]) -> None:
        self.targets = targets
        self.seconds = 0.0
        self._depth = 0

    def _call(self, original: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self._depth:
            return original(*args, **kwargs)
        self._depth += 1
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start
            self._depth -= 1

    def _wrap(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            result = self._call(original, *args, **kwargs)
            return self._iterated(result) if isinstance(result, Iterator) else result

        return timed

    def _iterated(self, produced: Iterator[Any]) -> Iterator[Any]:
        while True:
            try:
                item = self._call(next, produced)
            except StopIteration:
                return
            yield item

    def __enter__(self) -> Clock:
        for target, names in self.targets:
            for name in names:
                if (original := getattr(target, name, None)) is not None:
                    setattr(target, name, self._wrap(original))
        return self

    def __exit__(self, *exc: object) -> None:
        for target, names in self.targets:
            for name in names:
                if name in vars(target):
                    delattr(target, name)


@dataclass
class Figures:
    store: str
    documents: int
    delivered: int
    wall: float
    build: float
    validate: float
    deliver: float
    """Of the engine's time: the outbox run (claim, send through the channel, record)."""
    source: float
    """Of the engine's time: inside the connector (pull, document)."""
    channel: float
    """Of the engine's time: inside the channel (send, send_batch, lookup)."""

    @property
    def engine(self) -> float:
        """Seconds: wall time minus build minus validation."""
        return self.wall - self.build - self.validate

    @property
    def overhead(self) -> float:
        return self.engine / self.wall

    @property
    def in_store(self) -> float:
        """Of the engine's time: everything but the source and the channel."""
        return self.engine - self.source - self.channel

    def line(self) -> str:
        return (
            f"{self.store:10} {self.documents:>6} docs {self.wall:8.1f} s "
            f"{self.documents / self.wall:8.1f} docs/s   build {self.build / self.wall:6.1%}   "
            f"validate {self.validate / self.wall:6.1%}   engine {self.overhead:6.1%} "
            f"(< {TARGET:.0%}) {'ok' if self.overhead < TARGET else 'MISSED'}; of which "
            f"source {self.source / self.wall:.1%}, channel {self.channel / self.wall:.1%}, "
            f"store {self.in_store / self.wall:.1%} (delivery {self.deliver / self.wall:.1%}); "
            f"per document: engine {self.engine / self.documents * 1000:.2f} ms "
            f"(source {self.source / self.documents * 1000:.2f}, channel "
            f"{self.channel / self.documents * 1000:.2f}, store "
            f"{self.in_store / self.documents * 1000:.2f}), "
            f"validate {self.validate / self.documents * 1000:.2f} ms"
        )


def run(store_url: str, work: Path, count: int, label: str) -> Figures:
    """One cycle of ``count`` invoices into ``work/delivered`` on the store at ``store_url``."""
    import ubl
    from delivery.base import open_channel
    from ledgerlink.connections import open_connection
    from ledgerlink.settings import load_settings
    from sync import outbox
    from sync.pipeline import sync_connection
    from sync.store import open_store

    settings_file = work / "ledgerlink.toml"
    settings_file.write_text(SETTINGS.format(store=json.dumps(store_url)), encoding="utf-8")
    settings = load_settings(settings_file)
    connection = settings.connection("bench")
    channels = [
        open_channel(name, settings.channels[name], base_dir=work) for name in connection.channels
    ]
    with open_store(store_url, create=True) as store:
        store.ensure()
        connector = open_connection(settings, "bench", source=settings_file)
        with (
            Timed(ubl, "write") as write,
            Timed(ubl, "validate") as validate,
            Timed(outbox, "deliver") as delivery,
            Clock([(connector, ("pull", "document", "parsed"))]) as source,
            Clock([(channel, ("send", "send_batch", "lookup")) for channel in channels]) as io,
        ):
            start = time.perf_counter()
            summary = sync_connection(
                store,
                name="bench",
                connector=connector,
                kind=connection.connector,
                profile=connection.profile,
                lookback=connection.lookback,
                channels=channels,
            )
            wall = time.perf_counter() - start
    if summary.delivered != count or summary.troubled:
        raise SystemExit(f"{label}: the cycle did not deliver every document: {summary}")
    if write.calls != count or validate.calls != count:
        raise SystemExit(f"{label}: {write.calls} builds, {validate.calls} validations")
    return Figures(
        label,
        count,
        summary.delivered,
        wall,
        write.seconds,
        validate.seconds,
        delivery.seconds,
        source.seconds,
        io.seconds,
    )


def postgres_reason() -> str | None:
    """None when the server answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(f"{SERVER}/postgres", connect_timeout=3):
            return None
    except Exception as failure:  # the benchmark only reports it
        return " ".join(str(failure).split())


@contextmanager
def postgres_database() -> Iterator[str]:
    import psycopg

    name = f"ledgerlink_bench_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{SERVER}/{name}"
    finally:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="invoices (default 10,000)")
    args = parser.parse_args(argv)
    if not VALIDATION.is_dir():
        print(f"sync benchmark skipped: {VALIDATION} not found (set LEDGERLINK_SHARED)")
        return 0
    with tempfile.TemporaryDirectory(prefix="ledgerlink-bench-sync-") as temp:
        work = Path(temp)
        from ubl import artifacts

        cache = work / "artifacts"
        artifacts.install(source_dir=VALIDATION, cache=cache)
        os.environ["LEDGERLINK_ARTIFACTS_DIR"] = str(cache)
        import ubl

        start = time.perf_counter()
        ubl.validate(ubl.write(ubl.parse(FIXTURE.with_suffix(".xml").read_bytes()).document))
        compile_seconds = time.perf_counter() - start
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
        print(
            f"sync benchmark: {args.count} invoices from {FIXTURE.name} (model-json) to the "
            f"directory channel; validator compiled first ({compile_seconds:.1f} s); "
            f"load average {load:.2f}, {os.cpu_count()} cores"
        )
        start = time.perf_counter()
        warm = work / "warm-up"
        make_invoices(warm / "invoices", 5)
        run(f"sqlite:///{warm / 'ledgerlink.db'}", warm, 5, "warm-up")
        print(
            f"warm-up cycle of 5 invoices (the engine's modules imported once): "
            f"{time.perf_counter() - start:.1f} s, not counted"
        )
        results: list[Figures] = []
        sqlite = work / "sqlite"
        make_invoices(sqlite / "invoices", args.count)
        results.append(run(f"sqlite:///{sqlite / 'ledgerlink.db'}", sqlite, args.count, "SQLite"))
        print(results[-1].line(), flush=True)
        if (why := postgres_reason()) is not None:
            print(f"PostgreSQL skipped: {SERVER} is not reachable ({why})")
        else:
            postgres = work / "postgres"
            make_invoices(postgres / "invoices", args.count)
            with postgres_database() as url:
                results.append(run(url, postgres, args.count, "PostgreSQL"))
            print(results[-1].line(), flush=True)
    return 0 if all(result.overhead < TARGET for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
