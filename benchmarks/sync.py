"""Benchmark: the sync engine's own cost beside building and validating the UBL.

Target (issue 14, section 9): 10,000 invoices from a file source (model-json files, made
from a fixture with the invoice number BT-1 varied) to the directory channel, one cycle of
``sync.pipeline.sync_connection`` (pull, map, build, hash, validate, record with the cursor,
enqueue, deliver with the outbox, poll), on SQLite and on PostgreSQL. Printed per store:
documents/s and the share of wall time spent in build (``ubl.write``) and in validation
(``ubl.validate``), both timed in the same run through wrappers around those two calls.
The goal: the engine's own overhead (wall time minus build minus validation) stays under
10 % of the wall time on both stores; exit 1 when it is missed.

Build and validation are timed inside the cycle, through wrappers around ``ubl.write``
and ``ubl.validate`` in this process, and with a validation pool (``sync --workers 1``,
:mod:`sync.validation`, which writes the UBL in the worker too: its build is counted in its
validation) by the worker itself (``ValidationPool.validation_seconds``), at
the same moments as the wall time: this shared host's speed drifts by a fifth within a
run, so a baseline measured at another moment is not comparable. The engine's share is
wall time minus build minus validation, over wall time; the goal is judged on the pool's
cycles, which write and validate the next page while this process records and sends the
last one (the stricter share beyond the worker's time is printed too). Each store also runs a cycle with validation in this process, the reference. For
reference, the **floor** is printed as well: the same documents built and validated one
after the other with nothing else running, on all N first and on 2,000 before each
cycle (its spread shows the drift).

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
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

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


def make_invoices(folder: Path, count: int, first: int = 1) -> None:
    """``count`` model-json files made from FIXTURE, numbers BENCH-000001... (from ``first``)."""
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    folder.mkdir(parents=True)
    for index in range(first, first + count):
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

    floor: float
    """Seconds to build and validate the same documents alone (measured in the same run)."""
    validate_floor: float = 0.0
    """Of the floor: the seconds in validation alone (the worker's share with a pool)."""
    cpu: float = 0.0
    """CPU seconds of this process (not of the pool's workers) during the cycle."""
    pooled: bool = False
    """Validated in a pool's worker process (not timed here), not in this process."""

    @property
    def engine(self) -> float:
        """Seconds: wall time minus the build and the validation of this cycle, timed in it
        (validation in the pool's worker with a pool)."""
        return self.wall - self.build - self.validate

    @property
    def overhead(self) -> float:
        return self.engine / self.wall

    @property
    def beyond_validation(self) -> float:
        """The stricter share with a pool: wall time beyond validating alone, over wall time
        (with a pool, building runs in this process while the worker validates)."""
        return (self.wall - self.validate) / self.wall

    @property
    def in_store(self) -> float:
        """Of the cycle's time outside build and validation (timed inside the cycle):
        everything but the source and the channel. Parts of it overlap validation."""
        return self.wall - self.build - self.validate - self.source - self.channel

    def line(self) -> str:
        per = 1000 / self.documents
        where = "in the pool's worker" if self.pooled else "here"
        return (
            f"{self.store:26} {self.documents:>6} docs {self.wall:7.1f} s "
            f"{self.documents / self.wall:7.1f} docs/s   engine beyond build + validate "
            f"{self.overhead:6.1%} (< {TARGET:.0%}) {'ok' if self.overhead < TARGET else 'MISSED'}"
            + (f" (beyond validating alone: {self.beyond_validation:.1%})" if self.pooled else "")
            + f"   per document: wall {self.wall * per:.2f} ms = build {self.build * per:.2f} + "
            f"validate {self.validate * per:.2f} ({where}) + engine {self.engine * per:.2f} ms; "
            f"beside the lowest floor ({self.floor * per:.2f} ms) "
            f"{(self.wall - self.floor) / self.wall:.1%}; this process's CPU "
            f"{self.cpu * per:.2f} ms; timed here: source {self.source * per:.2f}, channel "
            f"{self.channel * per:.2f}, delivery {self.deliver * per:.2f} (channel included), "
            f"the rest {self.in_store * per:.2f} ms"
        )


def floor(folder: Path, limit: int | None = None) -> tuple[float, float]:
    """Seconds per document to build and validate the model-json files of ``folder`` (the
    first ``limit`` of them) one after the other, as the cycle does (``ubl.write`` under the
    profile ``auto``, ``ubl.validate``), with nothing else running; the files are read
    before the clock starts. Returns the seconds per document in all and in
    ``ubl.validate``."""
    import ubl
    from model.jsonio import loads

    models = [loads(path.read_bytes()) for path in sorted(folder.glob("*.json"))[:limit]]
    validating = 0.0
    start = time.perf_counter()
    for model in models:
        xml = ubl.write(model, "auto")
        began = time.perf_counter()
        ubl.validate(xml)
        validating += time.perf_counter() - began
    return (time.perf_counter() - start) / len(models), validating / len(models)


def run(
    store_url: str,
    work: Path,
    count: int,
    label: str,
    floor_seconds: tuple[float, float],
    validator: Any = None,
) -> Figures:
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
            Timed(outbox, "send_due") as page_sends,
            Clock([(connector, ("pull", "document", "parsed"))]) as source,
            Clock([(channel, ("send", "send_batch", "lookup")) for channel in channels]) as io,
        ):
            in_pool = getattr(validator, "validation_seconds", 0.0)
            start, cpu = time.perf_counter(), time.process_time()
            summary = sync_connection(
                store,
                name="bench",
                connector=connector,
                kind=connection.connector,
                profile=connection.profile,
                lookback=connection.lookback,
                channels=channels,
                **({} if validator is None else {"validator": validator}),
            )
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            in_pool = getattr(validator, "validation_seconds", 0.0) - in_pool
    if summary.delivered != count or summary.troubled:
        raise SystemExit(f"{label}: the cycle did not deliver every document: {summary}")
    here = count if validator is None else 0  # a pool writes and validates in its workers
    if write.calls != here or validate.calls != here:
        raise SystemExit(f"{label}: {write.calls} builds, {validate.calls} validations here")
    return Figures(
        label,
        count,
        summary.delivered,
        wall,
        write.seconds,
        validate.seconds + in_pool,
        delivery.seconds + page_sends.seconds,
        source.seconds,
        io.seconds,
        floor_seconds[0],
        floor_seconds[1],
        cpu,
        validator is not None,
    )


SAMPLE: Final = 2_000
"""Documents of the floor measured again right before each cycle."""


def measure(work: Path, count: int, pool: Any) -> list[Figures]:
    """The floor, then a cycle of ``count`` invoices per store, validated in this process and
    in ``pool``; each cycle on invoices and a store of its own.

    The machine's speed drifts over a run of minutes (a shared host), so the floor is
    measured on all ``count`` documents first and on a sample of :data:`SAMPLE` right before
    each cycle, and every cycle is judged against the lowest of them: the fastest the
    machine built and validated alone in this run, which can only make the engine's share
    larger."""
    results: list[Figures] = []
    made = work / "floor"
    make_invoices(made / "invoices", count)
    floors = [floor(made / "invoices")]
    print(f"floor: {count} documents built and validated alone: {_per_doc(floors[0])}", flush=True)
    stores: list[tuple[str, Callable[[Path], Any]]] = [
        ("SQLite", lambda folder: nullcontext(f"sqlite:///{folder / 'ledgerlink.db'}"))
    ]
    if (why := postgres_reason()) is not None:
        print(f"PostgreSQL skipped: {SERVER} is not reachable ({why})")
    else:
        stores.append(("PostgreSQL", lambda folder: postgres_database()))
    for label, opened in stores:
        for mode, validator in (("here", None), ("pool", pool)):
            folder = work / f"{label}-{mode}"
            make_invoices(folder / "invoices", count)
            floors.append(floor(folder / "invoices", min(SAMPLE, count)))
            name = f"{label}, {'pool of 1' if validator else 'this process'}"
            print(
                f"floor again before {name}, {min(SAMPLE, count)} documents: "
                f"{_per_doc(floors[-1])}",
                flush=True,
            )
            with opened(folder) as url:
                results.append(run(url, folder, count, name, (0.0, 0.0), validator))
    lowest = min(floors)
    print(f"the lowest floor, against which each cycle is judged: {_per_doc(lowest)}")
    for result in results:
        result.floor, result.validate_floor = lowest[0] * count, lowest[1] * count
        print(result.line(), flush=True)
    return results


def _per_doc(figures: tuple[float, float]) -> str:
    return (
        f"{figures[0] * 1000:.2f} ms/doc ({1 / figures[0]:.1f} docs/s), of which validation "
        f"{figures[1] * 1000:.2f} ms"
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
        from sync.validation import ValidationPool

        with ValidationPool(1) as pool:
            start = time.perf_counter()
            for mode, validator in (("here", None), ("pool", pool)):
                warm = work / f"warm-up-{mode}"
                make_invoices(warm / "invoices", 5)
                run(
                    f"sqlite:///{warm / 'ledgerlink.db'}", warm, 5, "warm-up", (0.0, 0.0), validator
                )
            print(
                "warm-up cycles of 5 invoices (the engine's modules imported once, the pool's "
                f"worker started and compiled): {time.perf_counter() - start:.1f} s, not counted"
            )
            results = measure(work, args.count, pool)
    print(
        f"goal: the engine beyond build + validate < {TARGET:.0%} of the wall time with a "
        "validation pool of 1 worker (the cycles with validation in this process are the "
        "reference)"
    )
    return 0 if all(result.overhead < TARGET for result in results if result.pooled) else 1


if __name__ == "__main__":
    sys.exit(main())
