"""Benchmark: ``ledgerlink daemon`` with a validation pool of 1 and of 2 worker processes.

Targets (issue 15, section 5; not a timed test):

(a) throughput: the 10,000-invoice pipeline of ``benchmarks/sync.py`` (model-json files made
    from a fixture, to the directory channel, SQLite store; ``--postgres`` also on a
    temporary PostgreSQL database) run by the real daemon, a subprocess with a real
    settings file, with ``[daemon] workers = 1`` and then ``= 2``, measured in the same run.
    Goal: the pool of 2 gives at least 1.85x the documents/s of the pool of 1 (exit 1 when
    missed). Printed beside it: the machine's own two-process gain for pure CPU work
    (``benchmarks/validate.py``'s ``cpu_ceiling``, measured before and after the cycles),
    and our gain over the machine's, with a plain word on whether we reach it.
(b) memory: one daemon (pool of 2), 10 cycles of 1,000 new documents each; the resident
    memory (``VmRSS`` of ``/proc/<pid>/status``) of the daemon and, apart, of each pool
    worker after every cycle. Goal: the daemon's grows by under 5 % from cycle 2 to cycle
    10 (cycle 1 starts and compiles the pool; exit 1 when missed); the workers' growth is
    printed as well.

How a cycle is timed: the daemon runs the connection ``every = "1s"`` and logs JSON lines
on stderr; its time from its own ``cycle-start`` line to the ``cycle-done`` line of the
cycle that took a batch is the figure, so the process start, the pool's start and the
stylesheets' compile lie outside it: a warm-up batch of 200 documents goes first (the
workers start and compile on it), then the measured batch. Each batch is written in a
folder of its own next to the source and moved into it with one rename, so a cycle sees
all of a batch or none of it; ``lookback = "0s"``, as every batch arrives after the cycle
before it ended (a look-back would re-read the warm-up batch inside the measured cycle).
The daemon's CPU time (``/proc/<pid>/stat``, read when each of the two lines is seen) is
printed per document too: on 2 cores, what the daemon's own process spends competes with
the two workers.

The validation bundles are installed from $LEDGERLINK_SHARED/validation (default ../shared)
into a temporary cache; without that folder the benchmark says so and exits 0. ``--quick``
runs a smoke run of a few hundred documents and judges nothing.

At the end a summary prints the figures together, each against its goal: pool-1 and
pool-2 documents/s and their ratio, the machine's own two-process gain, the daemon's main
process CPU milliseconds per document (and its workers'), the RSS after each memory cycle
and its growth from cycle 2. ``--throughput-only`` runs (a) alone, ``--memory-only`` (b)
alone; the exit code judges what ran.

Run: ``./dev bench`` or ``.venv/bin/python benchmarks/daemon.py [--count N] [--postgres]
[--throughput-only | --memory-only]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Final

HERE = Path(__file__).resolve().parent
# benchmarks/sync.py is named like the package it measures: without this folder on the path,
# ``import sync`` finds the package; the scripts this one reuses are loaded by file below.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]


def _script(name: str) -> ModuleType:
    """``benchmarks/<name>.py`` loaded as module ``_bench_<name>`` (a name of its own)."""
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench_sync = _script("sync")
bench_validate = _script("validate")

GOAL: Final = 1.85
"""Documents/s of the pool of 2 over those of the pool of 1, at least."""
MEMORY_GOAL: Final = 0.05
"""The daemon's resident memory grows by less than this from cycle 2 to the last."""
WARM_UP: Final = 200
"""Documents of the first cycle, before the measured one (the workers start and compile)."""
WAIT: Final = 1800.0
"""Seconds a daemon may take for one batch before the benchmark gives up."""

SETTINGS: Final = """[store]
url = {store}

[daemon]
listen = "127.0.0.1:0"
workers = {workers}
grace = "60s"

[channels.archive]
type = "directory"
path = "delivered"

[connections.bench]
connector = "model-json"
path = "invoices"
profile = "auto"
channels = ["archive"]
lookback = "0s"
every = "1s"
"""


def _kib(pid: int, key: str = "VmRSS") -> int:
    """A ``/proc/<pid>/status`` figure in KiB (0 when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (``/proc/<pid>/stat``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[tuple[int, str]]:
    """The child processes of ``pid``, each with what it is (a pool worker, or
    multiprocessing's resource tracker)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(each) for each in (task / "children").read_text().split()]
        except OSError:
            continue
    named = []
    for child in sorted(set(found)):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        named.append((child, "tracker" if "resource_tracker" in command else "worker"))
    return named


@dataclass
class Cycle:
    """One cycle of the daemon as its log lines tell it."""

    start: dict[str, Any]
    done: dict[str, Any]
    cpu: float
    """The daemon process's CPU seconds between the two lines (read when each was seen)."""
    workers_cpu: float

    @property
    def seconds(self) -> float:
        return _at(self.done) - _at(self.start)


def _at(line: dict[str, Any]) -> float:
    from datetime import datetime

    return datetime.fromisoformat(str(line["time"])).timestamp()


class Daemon:
    """``ledgerlink daemon`` running on the settings file in ``folder``, its stderr (JSON
    lines) in ``folder/daemon.log``, read as it grows (the launcher the daemon's tests use,
    :mod:`ledgerlink.daemon_process`)."""

    def __init__(self, folder: Path, store: str, workers: int, cache: Path) -> None:
        from ledgerlink.daemon_process import DaemonLog, start_daemon

        self.folder = folder
        (folder / "invoices").mkdir(parents=True, exist_ok=True)
        settings = folder / "ledgerlink.toml"
        settings.write_text(
            SETTINGS.format(store=json.dumps(store), workers=workers), encoding="utf-8"
        )
        self.log = DaemonLog(folder / "daemon.log")
        self.process = start_daemon(
            settings, self.log.path, env={"LEDGERLINK_ARTIFACTS_DIR": str(cache)}
        )
        self._unread: list[dict[str, Any]] = []
        self._batch = 0
        self._start: tuple[dict[str, Any], float, float] | None = None

    def _workers_cpu(self) -> float:
        return sum(_cpu_seconds(pid) for pid, _ in _children(self.process.pid))

    def lines(self) -> list[dict[str, Any]]:
        """The log lines written since the last call, kept until taken (:meth:`cycle_of`)."""
        self._unread += self.log.new()
        return self._unread

    def add(self, count: int, first: int) -> None:
        """A batch of ``count`` new invoices (numbers from ``first``), moved into the source
        folder with one rename."""
        self._batch += 1
        staged = self.folder / "staging" / f"batch-{self._batch:03d}"
        bench_sync.make_invoices(staged, count, first)
        staged.rename(self.folder / "invoices" / staged.name)

    def cycle_of(self, count: int, *, then_next_start: bool = False) -> Cycle:
        """The cycle that pulls ``count`` documents, once its ``cycle-done`` line is written
        (and, with ``then_next_start``, once the next cycle started: the daemon has logged
        the cycle's documents by then). Raises SystemExit when the daemon stops, a cycle
        fails or it takes longer than :data:`WAIT`."""
        deadline = time.monotonic() + WAIT
        found: Cycle | None = None
        while time.monotonic() < deadline:
            unread = self.lines()
            while unread:
                line = unread.pop(0)
                event = line.get("event")
                if event in ("cycle-failed", "crashed", "store-failed"):
                    raise SystemExit(f"the daemon's cycle failed: {line}")
                if event == "cycle-start":
                    self._start = (line, _cpu_seconds(self.process.pid), self._workers_cpu())
                    if found is not None:
                        return found
                elif event == "cycle-done" and line.get("pulled") and self._start is not None:
                    start, cpu, workers = self._start
                    if line["pulled"] != count or line["delivered"] != count:
                        raise SystemExit(f"expected a cycle of {count} documents: {line}")
                    found = Cycle(
                        start,
                        line,
                        _cpu_seconds(self.process.pid) - cpu,
                        self._workers_cpu() - workers,
                    )
                    if not then_next_start:
                        return found
            if self.process.poll() is not None:
                raise SystemExit(
                    f"the daemon stopped (exit {self.process.returncode}); see its log:\n"
                    + self.log.text()[-3000:]
                )
            time.sleep(0.05)
        raise SystemExit(f"no cycle of {count} documents within {WAIT:.0f} s; see {self.log.path}")

    def rss(self) -> tuple[int, list[int]]:
        """KiB resident: the daemon's, and each pool worker's."""
        workers = [_kib(pid) for pid, kind in _children(self.process.pid) if kind == "worker"]
        return _kib(self.process.pid), workers

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(120)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def throughput(
    work: Path, label: str, store: Callable[[Path], Any], workers: int, count: int, cache: Path
) -> Cycle:
    """The daemon with a pool of ``workers``: a warm-up batch, then ``count`` documents in
    one cycle, timed from its ``cycle-start`` to its ``cycle-done`` log line."""
    folder = work / f"{label}-pool-{workers}"
    folder.mkdir()
    with store(folder) as url:
        daemon = Daemon(folder, url, workers, cache)
        try:
            daemon.add(WARM_UP, 1)
            daemon.cycle_of(WARM_UP)
            daemon.add(count, WARM_UP + 1)
            cycle = daemon.cycle_of(count)
        finally:
            daemon.stop()
    per = 1000 / count
    print(
        f"{label}, pool of {workers}: {count} documents in {cycle.seconds:.1f} s, "
        f"{count / cycle.seconds:.1f} docs/s; CPU per document: the daemon's process "
        f"{cycle.cpu * per:.2f} ms, its workers' {cycle.workers_cpu * per:.2f} ms",
        flush=True,
    )
    return cycle


@dataclass
class Memory:
    """The resident memory after each cycle, KiB: the daemon's, and its pool workers' sum."""

    daemon: list[int]
    workers: list[int]

    def grown(self, seen: list[int]) -> float:
        """Growth from cycle 2 to the last."""
        return (seen[-1] - seen[1]) / max(seen[1], 1)


def memory(work: Path, cycles: int, per_cycle: int, cache: Path) -> Memory:
    """One daemon (pool of 2), ``cycles`` cycles of ``per_cycle`` new documents: the RSS
    after each (the daemon's, and its workers')."""
    folder = work / "memory"
    folder.mkdir()
    daemon = Daemon(folder, f"sqlite:///{folder / 'ledgerlink.db'}", 2, cache)
    seen: list[tuple[int, list[int]]] = []
    try:
        for index in range(cycles):
            daemon.add(per_cycle, index * per_cycle + 1)
            cycle = daemon.cycle_of(per_cycle, then_next_start=True)
            main, workers = daemon.rss()
            seen.append((main, workers))
            print(
                f"memory, cycle {index + 1:2}: {per_cycle} documents in {cycle.seconds:5.1f} s; "
                f"RSS: daemon {main / 1024:6.1f} MiB, pool workers "
                + " + ".join(f"{each / 1024:.1f}" for each in workers)
                + " MiB",
                flush=True,
            )
    finally:
        daemon.stop()
    return Memory([main for main, _ in seen], [sum(workers) for _, workers in seen])


def _gain_line(one: float, two: float, machine: list[float]) -> tuple[str, float]:
    gain = one / two
    best = max(machine)
    reach = (
        "reaches the machine's own gain"
        if gain >= best
        else f"below the machine's own gain ({gain / best:.0%} of it)"
    )
    return (
        f"pool of 2 over pool of 1: {gain:.2f}x (goal >= {GOAL}x: "
        f"{'ok' if gain >= GOAL else 'MISSED'}); the machine's two-process gain for pure CPU "
        f"work, measured before and after each pair: {', '.join(f'{each:.2f}x' for each in machine)}; "
        f"ours over the machine's: {gain / best:.2f} ({reach})"
    ), gain


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="invoices (default 10,000)")
    parser.add_argument("--cycles", type=int, default=10, help="memory: cycles (default 10)")
    parser.add_argument(
        "--per-cycle", type=int, default=1_000, help="memory: documents a cycle (default 1,000)"
    )
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    only = parser.add_mutually_exclusive_group()
    only.add_argument(
        "--throughput-only", action="store_true", help="only (a): pool of 1 against pool of 2"
    )
    only.add_argument("--memory-only", action="store_true", help="only (b): the RSS per cycle")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run of a few hundred documents, not judged"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.count, args.cycles, args.per_cycle = 300, 3, 100
    if args.cycles < 2:
        parser.error("--cycles: at least 2 (the growth is measured from cycle 2)")
    if not bench_sync.VALIDATION.is_dir():
        print(
            f"daemon benchmark skipped: {bench_sync.VALIDATION} not found (set LEDGERLINK_SHARED)"
        )
        return 0
    stores: list[tuple[str, Callable[[Path], Any]]] = [
        ("SQLite", lambda folder: nullcontext(f"sqlite:///{folder / 'ledgerlink.db'}"))
    ]
    if args.postgres and not args.memory_only:
        if (why := bench_sync.postgres_reason()) is not None:
            print(f"PostgreSQL skipped: {bench_sync.SERVER} is not reachable ({why})")
        else:
            stores.append(("PostgreSQL", lambda folder: bench_sync.postgres_database()))
    pairs: list[tuple[str, Cycle, Cycle]] = []
    machine: list[float] = []
    seen: Memory | None = None
    with tempfile.TemporaryDirectory(prefix="ledgerlink-bench-daemon-") as temp:
        work = Path(temp)
        from ubl import artifacts

        cache = work / "artifacts"
        artifacts.install(source_dir=bench_sync.VALIDATION, cache=cache)
        print(
            f"daemon benchmark: {args.count} invoices from {bench_sync.FIXTURE.name} "
            f"(model-json) to the directory channel, after a warm-up of {WARM_UP}; "
            f"load average {_load()} at start, {os.cpu_count()} cores",
            flush=True,
        )
        if not args.memory_only:
            machine.append(bench_validate.cpu_ceiling())
            for label, store in stores:
                one = throughput(work, label, store, 1, args.count, cache)
                two = throughput(work, label, store, 2, args.count, cache)
                machine.append(bench_validate.cpu_ceiling())
                line, _ = _gain_line(one.seconds, two.seconds, machine)
                pairs.append((label, one, two))
                print(f"{label}: {line}", flush=True)
        if not args.throughput_only:
            seen = memory(work, args.cycles, args.per_cycle, cache)
    met = _summary(pairs, machine, seen, args.count)
    print(f"load average {_load()} at the end")
    if args.quick:
        print("quick run: a smoke run, the goals are not judged")
        return 0
    return 0 if met else 1


def _summary(
    pairs: list[tuple[str, Cycle, Cycle]], machine: list[float], seen: Memory | None, count: int
) -> bool:
    """The figures of the run together, each against its goal; True when every goal
    measured is met."""
    met = True
    print("summary:")
    per = 1000 / count
    for label, one, two in pairs:
        gain = one.seconds / two.seconds
        met &= gain >= GOAL
        print(
            f"  {label}: pool of 1 {count / one.seconds:.1f} docs/s, pool of 2 "
            f"{count / two.seconds:.1f} docs/s, ratio {gain:.2f}x "
            f"(goal >= {GOAL}x: {'ok' if gain >= GOAL else 'MISSED'}); the machine's "
            f"two-process gain for pure CPU work {max(machine):.2f}x "
            f"({', '.join(f'{each:.2f}x' for each in machine)}); CPU ms per document of the "
            f"daemon's main process: {one.cpu * per:.2f} (pool of 1), {two.cpu * per:.2f} "
            f"(pool of 2); of its workers: {one.workers_cpu * per:.2f}, {two.workers_cpu * per:.2f}"
        )
    if seen is not None:
        grown = seen.grown(seen.daemon)
        met &= grown < MEMORY_GOAL
        print(
            "  memory: the daemon's RSS after each cycle, MiB: "
            + ", ".join(f"{each / 1024:.1f}" for each in seen.daemon)
            + f"; growth cycle 2 -> {len(seen.daemon)}: {grown:+.1%} (goal < "
            f"{MEMORY_GOAL:.0%}: {'ok' if grown < MEMORY_GOAL else 'MISSED'}); the pool "
            f"workers' (together) {seen.grown(seen.workers):+.1%}"
        )
    return met


def _load() -> str:
    return ", ".join(f"{each:.2f}" for each in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
