"""Benchmark: reading model JSON (``model.jsonio.loads``) against its floor.

What the model-json source pays per document (issue 14): ``loads`` of fixtures/nl-export-g.json
(2 lines, the document benchmarks/sync.py reads 10,000 times) and of a 100-line variant made
in memory from it (its lines repeated, totals scaled to match). Beside each, measured in the
same run on the same text:

- ``json.loads``: the stdlib parse alone (``parse_float=Decimal``), no model;
- ``build``: the same model objects constructed directly from values that are already typed
  (Decimal, date, enum, tuples), no JSON and no checks: what any reader must pay to hand out
  frozen dataclasses;
- ``floor``: the two together, the least a reader that parses and builds can cost.

One more row, for the way back: ``to_data``, the plain JSON data of the model, which the sync
engine stores beside each document (no floor: printed for its ms/doc).

The cases of one document run interleaved, in rounds (each case about 0.2 s per round,
7 rounds), so that a slow spell of a noisy machine slows all of them alike: a case's ms/doc is
its best round, a ratio the median of the per-round ratios.

Run: ``./dev bench`` or ``.venv/bin/python benchmarks/model_json.py``.
Exits 1 when ``loads`` costs more than TARGET times the floor (about 2x when this was written;
the reflective reader before issue 14 was 7x).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from model.jsonio import loads, to_data

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "fixtures" / "nl-export-g.json"
ROUNDS = 7
SECONDS = 0.2  # per case and round
TARGET = 3.0
"""``loads`` at most this many times the floor (json.loads + build)."""


def hundred_lines(text: str) -> str:
    """FIXTURE with its lines repeated to 100 (ids 1..100), the totals and the VAT breakdown
    scaled by the same factor so that the figures still add up."""
    data = json.loads(text)
    lines = data["lines"]
    factor, rest = divmod(100, len(lines))
    assert rest == 0, "the fixture's line count must divide 100"
    data["lines"] = []
    for index in range(100):
        line = copy.deepcopy(lines[index % len(lines)])
        line["id"] = str(index + 1)
        data["lines"].append(line)

    def scaled(amount: str) -> str:
        return str(Decimal(amount) * factor)

    data["totals"] = {key: scaled(value) for key, value in data["totals"].items()}
    for breakdown in data["vat_breakdown"]:
        breakdown["taxable_amount"] = scaled(breakdown["taxable_amount"])
        breakdown["tax_amount"] = scaled(breakdown["tax_amount"])
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def builder(obj: Any) -> Callable[[], Any]:
    """A function that constructs an object equal to ``obj`` (a model dataclass) from its
    already-typed field values: one constructor call per model object, nothing else."""
    if isinstance(obj, tuple):
        parts = [builder(item) for item in obj]
        return lambda: tuple([part() for part in parts])
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        return lambda: obj
    cls = type(obj)
    plain: dict[str, Any] = {}
    nested: list[tuple[str, Callable[[], Any]]] = []
    for field in dataclasses.fields(obj):
        value = getattr(obj, field.name)
        if dataclasses.is_dataclass(value) or (isinstance(value, tuple) and value):
            nested.append((field.name, builder(value)))
        else:
            plain[field.name] = value

    def build() -> Any:
        kwargs = dict(plain)
        for name, part in nested:
            kwargs[name] = part()
        return cls(**kwargs)

    return build


def rate(func: Callable[[], object], seconds: float) -> float:
    """Calls per second of ``func`` over about ``seconds``."""
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        func()
        n += 1
    return n / elapsed


def interleaved(cases: dict[str, Callable[[], object]]) -> dict[str, list[float]]:
    """Seconds per call of each case in each round; every round runs every case once."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(ROUNDS):
        for name, func in cases.items():
            times[name].append(1 / rate(func, SECONDS))
    return times


def measure(name: str, text: str) -> tuple[str, float, float]:
    """Print the cases for one document; (name, loads ms/doc, loads / floor)."""
    document = loads(text)
    build = builder(document)
    assert build() == document and loads(text) == document
    times = interleaved(
        {
            "loads": lambda: loads(text),
            "json.loads": lambda: json.loads(text, parse_float=Decimal),
            "build": build,
            "to_data": lambda: to_data(document),
        }
    )
    floor = [p + b for p, b in zip(times["json.loads"], times["build"], strict=True)]
    times["floor"] = floor

    def ratio(case: str) -> float:
        return statistics.median(o / f for o, f in zip(times["loads"], times[case], strict=True))

    print(f"{name} ({len(text):,} characters, {len(document.lines)} lines):")
    for case in ("loads", "json.loads", "build", "floor", "to_data"):
        against = "" if case in ("loads", "to_data") else f"   loads is {ratio(case):5.2f}x this"
        print(f"  {case:12} {min(times[case]) * 1000:8.4f} ms/doc{against}")
    return name, min(times["loads"]) * 1000, ratio("floor")


def main() -> int:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    text = FIXTURE.read_text(encoding="utf-8")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"model JSON reading benchmark (load average {load:.2f} at start)")
    rows = [measure(FIXTURE.name, text), measure("100-line variant", hundred_lines(text))]
    missed = [name for name, _, over in rows if over > TARGET]
    for name, ms, over in rows:
        verdict = "MISSED" if name in missed else "ok"
        print(f"{name:20} loads {ms:.4f} ms/doc, {over:.2f}x floor (<= {TARGET}) {verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
