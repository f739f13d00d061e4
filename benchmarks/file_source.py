"""Benchmark: what the model-json file source costs per document, against its floor.

What benchmarks/sync.py counts as ``source`` (issue 14): a full pull of the ``invoices``
stream of a folder of N model-json files (default 10,000, made from fixtures/nl-export-g.json
with the invoice number BT-1 varied, as benchmarks/sync.py makes them), every page, and
``document()`` of each record. Beside it, measured in the same run on the same folder:

- ``floor``: ``os.scandir`` of the folder, the bytes of each file read, and
  :func:`model.jsonio.loads` of each: the least any reader of these files pays (listing,
  reading and the model itself, no stream order, no cursor, no listing summary).

The two run interleaved, in rounds (ROUNDS), so that a slow spell of a noisy machine slows
both alike: each figure is its best round, the ratio the median of the per-round ratios.

Run: ``.venv/bin/python benchmarks/file_source.py [--count N]``. It reports and exits 0:
benchmarks/sync.py decides whether the engine as a whole is fast enough.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from connectors.base import Stream
from connectors.model_json import ModelJsonSource
from model.jsonio import loads

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "fixtures" / "nl-export-g.json"
ROUNDS = 3


def make_invoices(folder: Path, count: int) -> None:
    """``count`` model-json files made from FIXTURE, numbers BENCH-000001... (as
    benchmarks/sync.py makes them)."""
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    folder.mkdir(parents=True)
    for index in range(1, count + 1):
        data["number"] = f"BENCH-{index:06d}"
        (folder / f"{index:06d}.json").write_text(json.dumps(data), encoding="utf-8")


def source_run(folder: Path) -> int:
    """A full pull of the folder, every page, and document() of each record: the count."""
    source = ModelJsonSource(folder)
    count = 0
    for page in source.pull(Stream.INVOICES, None):
        for record in page.records:
            source.document(record)
            count += 1
    return count


def floor_run(folder: Path) -> int:
    """os.scandir of the folder, each file's bytes read and model.jsonio.loads of each."""
    count = 0
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.endswith(".json"):
                with open(entry.path, "rb") as file:
                    loads(file.read().decode("utf-8"), source=entry.path)
                count += 1
    return count


def timed(run: Callable[[Path], int], folder: Path, expected: int) -> float:
    """Seconds of one ``run`` over ``folder``; it must see ``expected`` documents."""
    start = time.perf_counter()
    seen = run(folder)
    seconds = time.perf_counter() - start
    if seen != expected:
        raise SystemExit(f"{run.__name__}: {seen} documents, expected {expected}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="files (default 10,000)")
    args = parser.parse_args(argv)
    count = args.count
    with tempfile.TemporaryDirectory(prefix="ledgerlink-bench-file-source-") as temp:
        folder = Path(temp) / "invoices"
        make_invoices(folder, count)
        source_run(folder)  # warm-up: modules imported, files in the page cache
        floor_run(folder)
        sources: list[float] = []
        floors: list[float] = []
        for _ in range(ROUNDS):
            sources.append(timed(source_run, folder, count))
            floors.append(timed(floor_run, folder, count))
    ratio = statistics.median(s / f for s, f in zip(sources, floors, strict=True))
    per_doc = min(sources) / count * 1000
    floor_per_doc = min(floors) / count * 1000
    print(
        f"file source benchmark: {count} model-json files from {FIXTURE.name}, "
        f"best of {ROUNDS} rounds"
    )
    print(
        f"model-json source (pull all pages + document): {per_doc:.3f} ms/doc   "
        f"floor (scandir + read + jsonio.loads): {floor_per_doc:.3f} ms/doc   "
        f"ratio {ratio:.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
