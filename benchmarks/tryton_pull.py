"""Benchmark: pulling 1,000 invoices from a real trytond, and where the time goes.

Target (issue 4, section 6): pulling the ``invoices`` stream through
:class:`~connectors.tryton.TrytonConnector` with the default page size spends under 20% of
its wall time in our own code; the rest is waiting on the server.

* Waiting on the server is the time inside the HTTP round trips, measured by a transport
  wrapper around httpx's own from sending the request to the last byte of the response
  body (so it also holds the loopback socket work and httpx's reading of the response).
* Our own time is everything else of the pull: building and encoding the requests,
  decoding the JSON with Tryton's ``object_hook``, building records, the keyset logic.

The goal applies to the pull. Mapping each record to the EN 16931 model
(``TrytonConnector.document``) is our code too; it is reported apart, per invoice, with the
share our code has when it is added to the pull.

The data is the test suite's demo database (tests/tryton/builder.py) with ``--extra``
posted invoices, built once (about 5 minutes) and cached next to the test template
(tests/tryton/server.py, ``$XDG_CACHE_HOME/ledgerlink-tests/tryton`` or
``.pytest_cache/d/ledgerlink-tryton``). trytond runs on the same machine, so its CPU
competes with ours for the same cores: its CPU time (from ``/proc``) is printed too.
The page sizes run interleaved, in rounds; each page size reports its fastest round.
Without trytond the benchmark says so and exits 0.

Run: ``./dev bench`` or ``.venv/bin/python benchmarks/tryton_pull.py [--profile]``
(``--profile``: cProfile one pull at the default page size and print the hot spots;
``--extra N``: another number of added invoices).
Exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import inspect
import json
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Protocol

import httpx
from pydantic import SecretStr

from connectors.base import Record, Stream
from connectors.errors import RecordError
from connectors.http import HttpClient
from connectors.tryton import TrytonConnector

ROOT = Path(__file__).resolve().parents[1]
SERVER_MODULE = ROOT / "tests" / "tryton" / "server.py"
EXTRA = 1000  # posted invoices added to the demo data's four documents
ROUNDS = 3
MAPPING_ROUNDS = 5
GOAL = 0.20  # our share of the pull's wall time
PARTIES = {"company": {"kvk": "12345678"}, "NL000099998B57": {"kvk": "87654321"}}


class TimedTransport(httpx.BaseTransport):
    """httpx's transport, timing each round trip from send to the end of the body."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.waits: list[float] = []
        self.bodies: list[bytes] = []  # classified after the timed pull, see call_kind

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        start = time.perf_counter()
        response = self._inner.handle_request(request)
        try:
            body = b"".join(response.iter_raw())
        finally:
            response.close()
        self.waits.append(time.perf_counter() - start)
        self.bodies.append(request.content)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=body,
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._inner.close()


class Server(Protocol):
    """Where the test server answers (tests/tryton/server.py ``TrytonServer``)."""

    url: str
    database: str
    username: str
    password: str


@dataclass(frozen=True, slots=True)
class Pull:
    """One full pull of the invoices stream."""

    page_size: int
    records: int
    pages: int
    requests: int
    wall: float
    wait: float
    our_cpu: float
    server_cpu: float
    waits_by_kind: dict[str, list[float]]

    @property
    def ours(self) -> float:
        return self.wall - self.wait

    @property
    def share(self) -> float:
        return self.ours / self.wall


def call_kind(body: bytes) -> str:
    """A request's JSON-RPC method; the never-written keyset query of a search_read apart."""
    request = json.loads(body)
    method: str = request["method"].removeprefix("model.")
    if method.endswith(".search_read") and ["write_date", "=", None] in request["params"][0]:
        method += " (never written)"
    return method


def by_kind(transport: TimedTransport) -> dict[str, list[float]]:
    kinds: dict[str, list[float]] = {}
    for body, wait in zip(transport.bodies, transport.waits, strict=True):
        kinds.setdefault(call_kind(body), []).append(wait)
    return kinds


def load_server_module() -> ModuleType:
    """tests/tryton/server.py, imported by path (the tests' template cache and server)."""
    spec = importlib.util.spec_from_file_location("_ledgerlink_tryton_server", SERVER_MODULE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def template_cache() -> Path:
    """The directory tests/conftest.py keeps the Tryton templates in."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "ledgerlink-tests" / "tryton"
    return ROOT / ".pytest_cache" / "d" / "ledgerlink-tryton"


def children(pid: int) -> Iterator[int]:
    """Every process whose parent is ``pid``, and their descendants (none without /proc)."""
    proc = Path("/proc")
    for entry in proc.iterdir() if proc.is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            yield int(entry.name)
            yield from children(int(entry.name))


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of ``pids`` so far (0 where /proc cannot tell)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def connect(server: Server, page_size: int, transport: TimedTransport) -> TrytonConnector:
    return TrytonConnector(
        server.url,
        server.database,
        server.username,
        SecretStr(server.password),
        page_size=page_size,
        http=HttpClient(server.url, transport=transport),
        parties=PARTIES,
    )


def pull(server: Server, page_size: int, server_pids: list[int]) -> tuple[Pull, list[Record]]:
    """Every invoice, ``page_size`` at a time, after a login that is not timed."""
    transport = TimedTransport()
    with connect(server, page_size, transport) as connector:
        connector.rpc.login()
        transport.waits.clear()
        transport.bodies.clear()
        server_before, cpu_before = cpu_seconds(server_pids), time.process_time()
        start = time.perf_counter()
        pages = list(connector.pull(Stream.INVOICES, None))
        wall = time.perf_counter() - start
        our_cpu = time.process_time() - cpu_before
        server_cpu = cpu_seconds(server_pids) - server_before
    records = [record for page in pages for record in page.records]
    return (
        Pull(
            page_size,
            len(records),
            len(pages),
            len(transport.waits),
            wall,
            sum(transport.waits),
            our_cpu,
            server_cpu,
            by_kind(transport),
        ),
        records,
    )


def mapping_seconds(server: Server, records: list[Record]) -> tuple[float, int]:
    """Best of MAPPING_ROUNDS wall seconds to map every record; how many failed."""
    with connect(server, 100, TimedTransport()) as connector:
        connector.company_party()  # read once per connector, not per record
        connector.document(records[0])  # loads the mapping tables
        best, failed = float("inf"), 0
        for _ in range(MAPPING_ROUNDS):
            failed = 0
            start = time.perf_counter()
            for record in records:
                try:
                    connector.document(record)
                except RecordError:
                    failed += 1
            best = min(best, time.perf_counter() - start)
    return best, failed


def profile(server: Server, page_size: int) -> None:
    """cProfile of one pull; the functions with the most own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    pull(server, page_size, [])
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--profile", action="store_true", help="cProfile one default pull")
    parser.add_argument("--extra", type=int, default=EXTRA, help="invoices added to the demo")
    args = parser.parse_args(argv)
    try:
        import trytond
    except ImportError:
        print(
            "tryton pull benchmark skipped: trytond is not importable (pip install -e '.[tryton]')"
        )
        return 0
    load_at_start = os.getloadavg()[0]
    default = inspect.signature(TrytonConnector).parameters["page_size"].default
    page_sizes = sorted({default, 25, 500})
    tryton_server = load_server_module()
    cache = template_cache()
    print(
        f"tryton pull benchmark: template with {args.extra} extra invoices in {cache}", flush=True
    )
    started = time.perf_counter()
    template = tryton_server.build_template(cache, trytond.__version__, extra=args.extra)
    if (built := time.perf_counter() - started) > 1:
        print(f"  (built in {built:.0f} s; cached from now on)")
    with (
        tempfile.TemporaryDirectory(prefix="ledgerlink-bench-") as temp,
        tryton_server.run_server(template, Path(temp)) as server,
    ):
        server_pids = list(children(os.getpid()))
        if args.profile:
            profile(server, default)
            return 0
        pull(server, default, server_pids)  # warm the server's caches
        rounds: dict[int, list[Pull]] = {size: [] for size in page_sizes}
        records: list[Record] = []
        for _ in range(ROUNDS):
            for size in page_sizes:
                result, records = pull(server, size, server_pids)
                rounds[size].append(result)
        mapping, failed = mapping_seconds(server, records)
    load = f"{load_at_start:.2f} at start, {os.getloadavg()[0]:.2f} at the end"
    best = {size: min(results, key=lambda r: r.wall) for size, results in rounds.items()}
    print(
        f"{best[default].records} invoices, trytond {trytond.__version__} on this machine "
        f"({os.cpu_count()} cores shared with it: server CPU competes with ours); "
        f"load average {load}"
    )
    print(
        f"fastest of {ROUNDS} interleaved rounds; wait = HTTP round trips (send to body read), "
        "ours = the rest of the pull; CPU = this process's and trytond's CPU time in the pull"
    )
    print(
        f"{'page size':>9} {'invoices/s':>10} {'wall s':>7} {'wait s':>7} {'ours s':>7} "
        f"{'ours':>6} {'(rounds)':>13} {'req/page':>8} {'our CPU s':>9} {'server CPU s':>12}"
    )
    for size in page_sizes:
        run = best[size]
        shares = [result.share for result in rounds[size]]
        print(
            f"{size:>9} {run.records / run.wall:>10.0f} {run.wall:>7.2f} {run.wait:>7.2f} "
            f"{run.ours:>7.2f} {run.share:>6.1%} {min(shares):>6.1%}-{max(shares):<6.1%} "
            f"{run.requests / run.pages:>8.1f} {run.our_cpu:>9.2f} {run.server_cpu:>12.2f}"
        )
    run = best[default]
    print(f"requests per page at page size {default}, and their wait:")
    for kind, waits in run.waits_by_kind.items():
        print(
            f"  {len(waits) / run.pages:4.1f} x {kind:45} {sum(waits) / len(waits) * 1e3:7.1f} ms "
            f"each, {sum(waits) / run.wait:4.0%} of the wait"
        )
    per_invoice = mapping / len(records)
    with_mapping = (run.ours + mapping) / (run.wall + mapping)
    print(
        f"mapping document(record) -> model: {per_invoice * 1e6:.0f} us per invoice "
        f"({len(records) / mapping:.0f} invoices/s, best of {MAPPING_ROUNDS}, {failed} refused)"
    )
    met = run.share < GOAL
    print(
        f"goal (pull, page size {default}): our share {run.share:.1%} < {GOAL:.0%}: "
        f"{'ok' if met else 'MISSED'}; with mapping added our share is {with_mapping:.1%} "
        f"({run.records / (run.wall + mapping):.0f} invoices/s pulled and mapped)"
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
