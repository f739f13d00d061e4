"""Benchmark: the directory channel's durable drop, one at a time and in a batch, against plain writes.

Per document, in milliseconds (the median of the rounds, the best beside it):

* ``send`` - :meth:`DirectoryChannel.send`, one document after the other;
* ``send_batch`` - :meth:`DirectoryChannel.send_batch` of BATCH documents;
* ``baseline, one`` - the least a durable atomic drop of one document costs, measured in
  this run on the same folder's disk with the same bytes: temporary file, write, fsync,
  rename, fsync of the folder;
* ``baseline, batch`` - the same for BATCH documents at once: write each, fsync each,
  rename each, one fsync of the folder;
* ``baseline, batch, threads`` - the batch with its fsyncs run from a pool of threads, as
  the channel runs them (the file system may join concurrent fsyncs into one commit);
* ``syncfs, batch`` (Linux only, a reference the channel does not use): the batch with
  one ``syncfs`` instead of the fsyncs.

A channel's ``send`` writes two files (the document, then its receipt after the document is
on disk), so about twice its baseline is its floor. ``send_batch`` writes a file per
document and one receipt file for the whole batch, linked under each key's name, so its
floor is about the threaded batch baseline. The ratios printed are send / baseline-one,
send_batch / baseline-batch, send_batch / baseline-batch-threads and send / send_batch. The cases run
interleaved, in rounds, each in a fresh folder, so that a slow spell of the disk slows all
of them alike. There is no target: the script prints the figures and exits 0.

Run: ``./dev bench`` or ``.venv/bin/python benchmarks/directory_channel.py [--dir DIR]``
(default: a temporary folder in the system's temporary directory; give a folder on the
disk the channel will write to, since a tmpfs makes every fsync free).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from delivery.base import Envelope  # noqa: E402
from delivery.directory import FSYNC_THREADS, DirectoryChannel  # noqa: E402
from model.document import DocumentKind  # noqa: E402

BATCH = 100
ROUNDS = 7
FIXTURE = ROOT / "fixtures" / "nl-export-g.xml"


def documents(count: int) -> list[Envelope]:
    """``count`` envelopes of the fixture's UBL, its number BT-1 made BENCH-000001..."""
    ubl = FIXTURE.read_bytes()
    found = re.search(rb"<cbc:ID>([^<]+)</cbc:ID>", ubl)
    assert found is not None, f"{FIXTURE} has no cbc:ID"
    made = []
    for index in range(1, count + 1):
        number = f"BENCH-{index:06d}"
        made.append(
            Envelope(
                idempotency_key=f"bench-{index}",
                connection="bench",
                number=number,
                kind=DocumentKind.INVOICE,
                ubl=ubl.replace(found.group(0), f"<cbc:ID>{number}</cbc:ID>".encode(), 1),
                file_name=f"{number}.xml",
            )
        )
    return made


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def baseline_one(folder: Path, envelopes: list[Envelope]) -> None:
    for envelope in envelopes:
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
        os.write(fd, envelope.ubl)
        os.fsync(fd)
        os.close(fd)
        os.replace(temp, folder / envelope.file_name)
        _fsync_dir(folder)


def _batch(folder: Path, envelopes: list[Envelope], flush: Callable[[list[int]], None]) -> None:
    temps, fds = [], []
    for envelope in envelopes:
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
        os.write(fd, envelope.ubl)
        temps.append(temp)
        fds.append(fd)
    flush(fds)
    for fd in fds:
        os.close(fd)
    for temp, envelope in zip(temps, envelopes, strict=True):
        os.replace(temp, folder / envelope.file_name)


def baseline_batch(folder: Path, envelopes: list[Envelope]) -> None:
    def each(fds: list[int]) -> None:
        for fd in fds:
            os.fsync(fd)

    _batch(folder, envelopes, each)
    _fsync_dir(folder)


def baseline_batch_threads(folder: Path, envelopes: list[Envelope]) -> None:
    def threads(fds: list[int]) -> None:
        with ThreadPoolExecutor(max_workers=FSYNC_THREADS) as pool:
            list(pool.map(os.fsync, fds))

    _batch(folder, envelopes, threads)
    _fsync_dir(folder)


def syncfs_batch(folder: Path, envelopes: list[Envelope]) -> None:
    libc = ctypes.CDLL(None, use_errno=True)

    def syncfs(fds: list[int]) -> None:
        if libc.syncfs(fds[0]) != 0:
            raise OSError(ctypes.get_errno(), "syncfs failed")

    _batch(folder, envelopes, syncfs)
    fd = os.open(folder, os.O_RDONLY)
    try:
        syncfs([fd])
    finally:
        os.close(fd)


def send_one_by_one(folder: Path, envelopes: list[Envelope]) -> None:
    channel = DirectoryChannel("bench", folder)
    for envelope in envelopes:
        channel.send(envelope)


def send_batch(folder: Path, envelopes: list[Envelope]) -> None:
    results = DirectoryChannel("bench", folder).send_batch(envelopes)
    failed = [r for r in results if isinstance(r, Exception)]
    if failed:
        raise failed[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--dir", type=Path, help="where to write (default: a temporary folder)")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    cases: dict[str, Callable[[Path, list[Envelope]], None]] = {
        "send": send_one_by_one,
        f"send_batch ({BATCH})": send_batch,
        "baseline, one": baseline_one,
        f"baseline, batch ({BATCH})": baseline_batch,
        f"baseline, batch, {FSYNC_THREADS} threads": baseline_batch_threads,
    }
    if sys.platform.startswith("linux") and hasattr(ctypes.CDLL(None), "syncfs"):
        cases[f"syncfs, batch ({BATCH}; not used)"] = syncfs_batch
    envelopes = documents(BATCH)
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="ledgerlink-bench-", dir=args.dir))
    timings: dict[str, list[float]] = {name: [] for name in cases}
    try:
        for round_ in range(args.rounds):
            for index, (name, case) in enumerate(cases.items()):
                folder = work / f"{round_}-{index}"
                folder.mkdir()
                start = time.perf_counter()
                case(folder, envelopes)
                timings[name].append((time.perf_counter() - start) * 1000 / BATCH)
                shutil.rmtree(folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    size = statistics.mean(len(e.ubl) for e in envelopes)
    print(f"directory channel, {BATCH} documents of {size / 1024:.1f} KiB, {args.rounds} rounds")
    print(f"in {work.parent}")
    print(f"{'case':<32} {'ms/document':>12} {'best':>8}")
    median = {name: statistics.median(values) for name, values in timings.items()}
    for name, values in timings.items():
        print(f"{name:<32} {median[name]:>12.3f} {min(values):>8.3f}")
    one, batch = median["send"], median[f"send_batch ({BATCH})"]
    print(f"send / baseline one:           {one / median['baseline, one']:.2f}")
    print(f"send_batch / baseline batch:   {batch / median[f'baseline, batch ({BATCH})']:.2f}")
    threads = median[f"baseline, batch, {FSYNC_THREADS} threads"]
    print(f"send_batch / baseline threads: {batch / threads:.2f}")
    print(f"send / send_batch:             {one / batch:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
