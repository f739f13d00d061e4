"""Benchmark: validation (UBL 2.1 XSD + official Schematron) against its raw floor.

Targets (issue 3, section 5):

(a) a full Peppol validation (XSD + CEN + PEPPOL) of the official Peppol BIS examples costs
    at most 1.15x the raw cost of lxml's XSD check plus the two saxonche transforms on the
    same documents, measured in this run on one core;
(b) ``ledgerlink validate --jobs 2`` has at least 1.7x the throughput of ``--jobs 1`` on
    500 documents (copies of fixtures/*.xml; wall time of the whole command); printed beside
    it, the machine's own ceilings: what two processes gain over one for pure CPU work and
    for the raw floor's work, and from the latter the most ``--jobs 2`` can give here
    (only the start and exit of the command, which no worker can share, held serial);
(c) a 4,000-line invoice validates in under 3 s once the stylesheets are compiled (best of
    3 calls), in a process whose peak RSS stays under 500 MB;
(d) ``ledgerlink validate one.xml`` end to end (process start, compile, validate) takes
    under 1.5 s (best of 3).

(c) and (d) are wall times on the issue's machine, where the raw cost of (a) was "about
5-7 ms per document on one core". On a slower machine they are also judged at that
machine's speed: the limit is multiplied by this run's raw cost over 7 ms (never below 1),
and both the measured time and the scaled limit are printed.

The bundles are installed from $LEDGERLINK_SHARED/validation (default ../shared) into a
temporary cache; without that folder the benchmark says so and exits 0.

Run: ``./dev bench`` or ``.venv/bin/python benchmarks/validate.py``.
Exits 1 when a target is missed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LEDGERLINK_SHARED") or ROOT.parent / "shared")
VALIDATION = SHARED / "validation"
LEDGERLINK = Path(sys.executable).with_name("ledgerlink")
ONE_DOCUMENT = ROOT / "fixtures" / "nl-export-g.xml"
PEPPOL_STYLESHEETS = ("CEN-EN16931-UBL.xslt", "PEPPOL-EN16931-UBL.xslt")
ISSUE_RAW_MS = 7.0
"""The raw cost per Peppol example on the machine of issue 3 ("about 5-7 ms"): the upper end,
so a machine as fast as that one gets the limits of (c) and (d) unchanged."""
BIG_INVOICE_SCRIPT = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from _sample import sample_invoice
import ubl
xml = ubl.write(sample_invoice(4000))
times, reports = [], []
for _ in range(4):  # the first call compiles; the best of the other three is the figure
    start = time.perf_counter()
    reports.append(ubl.validate(xml))
    times.append(time.perf_counter() - start)
print(json.dumps({
    "bytes": len(xml), "valid": all(r.valid for r in reports), "issues": len(reports[-1].issues),
    "first": times[0], "second": min(times[1:]), "each": times[1:],
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""

Row = tuple[str, str, str, bool]


@contextmanager
def one_core() -> Iterator[None]:
    """Pin this process to one core for the duration (where the OS allows it)."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cores)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, cores)


def seconds(func: Callable[[], object]) -> float:
    """Wall seconds of one call of ``func``."""
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


class RawFloor:
    """What the validator cannot do without: lxml parse + XSD check, Saxon parse + the two
    Peppol transforms to SVRL text, with the official stylesheets as published. (The
    validator compiles them without their ``svrl:fired-rule`` trace, so it can come in
    under 1.0x this floor.)"""

    def __init__(self, cache: Path) -> None:
        from lxml import etree
        from saxonche import PySaxonProcessor

        start = time.perf_counter()
        self._etree = etree
        xsd = cache / "ubl-2.1-xsd" / "2.1" / "xsdrt" / "maindoc" / "UBL-Invoice-2.1.xsd"
        self._schema = etree.XMLSchema(etree.parse(str(xsd)))
        self._saxon = PySaxonProcessor(license=False)
        folder = cache / "peppol-bis3" / "3.0.21" / "xslt"
        self._stylesheets = [
            self._saxon.new_xslt30_processor().compile_stylesheet(
                stylesheet_file=str(folder / name)
            )
            for name in PEPPOL_STYLESHEETS
        ]
        self.compile_seconds = time.perf_counter() - start

    def check(self, data: bytes) -> None:
        tree = self._etree.fromstring(data).getroottree()
        self._schema.validate(tree)
        node = self._saxon.parse_xml(xml_text=data.decode("utf-8"), encoding="UTF-8")
        for stylesheet in self._stylesheets:
            stylesheet.transform_to_string(xdm_node=node)


def peppol_examples(cache: Path) -> tuple[list[Row], float]:
    """(a) the validator against the raw floor, on one core, in this process; and the raw
    floor in ms per document."""
    import ubl

    documents = [
        path.read_bytes()
        for path in sorted((VALIDATION / "peppol-bis3" / "examples").glob("*.xml"))
    ]
    with one_core():
        start = time.perf_counter()
        reports = [ubl.validate(data) for data in documents]
        ours_first = time.perf_counter() - start
        raw = RawFloor(cache)

        def ours_pass() -> None:
            for data in documents:
                ubl.validate(data)

        def raw_pass() -> None:
            for data in documents:
                raw.check(data)

        raw_pass()  # Saxon's first transforms are slower; both sides are warm after this
        ours = raw_time = float("inf")
        for _ in range(15):  # interleaved, best of 15: both see the same machine
            ours = min(ours, seconds(ours_pass))
            raw_time = min(raw_time, seconds(raw_pass))
    invalid = [r.source for r in reports if not r.valid]
    count = len(documents)
    ratio = ours / raw_time
    print(
        f"(a) {count} Peppol examples, one core: ours {ours / count * 1000:.2f} ms/doc, "
        f"raw {raw_time / count * 1000:.2f} ms/doc; compile: raw {raw.compile_seconds:.2f} s, "
        f"ours first pass (compile + {count} docs) {ours_first:.2f} s"
        + (f"; NOT VALID: {invalid}" if invalid else "")
    )
    row = (
        "(a) Peppol examples",
        f"{ours / count * 1000:.2f} ms/doc",
        f"{ratio:.2f}x raw (<= 1.15)",
        ratio <= 1.15 and not invalid,
    )
    return [row], raw_time / count * 1000


def cli(*args: str | Path) -> float:
    """Wall seconds of one ``ledgerlink validate`` run (exit code 0 or 1 required)."""
    start = time.perf_counter()
    done = subprocess.run(
        [str(LEDGERLINK), "validate", *map(str, args)], capture_output=True, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"ledgerlink validate failed: {done.stderr.decode()}")
    return elapsed


def _spin(rounds: int) -> int:
    total = 0
    for index in range(rounds):
        total += index * index
    return total


def cpu_ceiling(rounds: int = 4_000_000) -> float:
    """What two processes gain over one on this machine for pure CPU work (best of 3): the
    ceiling of any ``--jobs 2`` speed-up here (shared caches, hyperthreads, other tenants)."""
    import multiprocessing

    context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    best = 0.0
    with context.Pool(2) as pool:
        pool.map(_spin, [1, 1])  # both workers started
        for _ in range(3):
            one = seconds(lambda: pool.map(_spin, [rounds * 2]))
            two = seconds(lambda: pool.map(_spin, [rounds, rounds]))
            best = max(best, one / two)
    return best


_RAW_FLOOR: RawFloor | None = None
_RAW_DOCUMENTS: list[bytes] = []


def _raw_worker(cache: Path, documents: list[bytes]) -> None:
    """Pool initializer: compile the raw floor in this worker and warm it up."""
    global _RAW_FLOOR, _RAW_DOCUMENTS
    _RAW_FLOOR, _RAW_DOCUMENTS = RawFloor(cache), documents
    for data in documents:
        _RAW_FLOOR.check(data)


def _raw_pass(count: int) -> None:
    assert _RAW_FLOOR is not None
    for index in range(count):
        _RAW_FLOOR.check(_RAW_DOCUMENTS[index % len(_RAW_DOCUMENTS)])


def raw_ceiling(cache: Path, documents: list[bytes], count: int = 160) -> float:
    """What two processes gain over one for the raw floor's own work (lxml XSD + the two
    saxonche transforms, compiled and warm before timing; best of 3): the ceiling of any
    ``--jobs 2`` speed-up for this workload on this machine, which shares memory bandwidth
    and caches between its cores (pure CPU work, :func:`cpu_ceiling`, scales better)."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # this process already runs Saxon
    best = 0.0
    with context.Pool(2, initializer=_raw_worker, initargs=(cache, documents)) as pool:
        pool.map(_raw_pass, [1, 1], chunksize=1)  # both workers started
        for _ in range(3):
            one = seconds(lambda: pool.map(_raw_pass, [count]))
            two = seconds(lambda: pool.map(_raw_pass, [count // 2, count // 2], chunksize=1))
            best = max(best, one / two)
    return best


def start_and_exit(work: Path) -> float:
    """Wall seconds of ``ledgerlink validate`` on one file that is not XML (best of 3): the
    process start, imports and exit that every run pays once, whatever its ``--jobs``."""
    folder = work / "not-xml"
    folder.mkdir()
    (folder / "not.xml").write_text("not XML\n", encoding="utf-8")
    return min(cli(folder, "--format", "json") for _ in range(3))


def jobs_throughput(work: Path, cache: Path) -> list[Row]:
    """(b) --jobs 1 against --jobs 2 on 500 documents."""
    fixtures = sorted((ROOT / "fixtures").glob("*.xml"))
    folder = work / "500"
    folder.mkdir()
    for index in range(500):
        source = fixtures[index % len(fixtures)]
        shutil.copyfile(source, folder / f"{index:03d}-{source.name}")
    pairs = []
    for _ in range(5):  # interleaved, best of 5: other work on the machine skews this one
        pairs.append(
            (
                cli(folder, "--format", "json", "--jobs", "1"),
                cli(folder, "--format", "json", "--jobs", "2"),
            )
        )
    one, two = min(pair[0] for pair in pairs), min(pair[1] for pair in pairs)
    ratio = one / two
    each = " ".join(f"{first / second:.2f}" for first, second in pairs)
    ceiling = cpu_ceiling()
    peppol = [data for data in map(Path.read_bytes, fixtures) if b"poacc:billing:3.0" in data]
    raw = raw_ceiling(cache, peppol)
    fixed = start_and_exit(work)
    bound = one / (fixed + (one - fixed) / raw)
    print(
        f"(b) 500 documents ({len(fixtures)} fixtures, all profiles), {os.cpu_count()} cores: "
        f"--jobs 1 {one:.2f} s ({500 / one:.0f} docs/s), --jobs 2 {two:.2f} s "
        f"({500 / two:.0f} docs/s), {ratio:.2f}x (each pair: {each}); what 2 processes gain "
        f"over 1 on this machine: pure CPU work {ceiling:.2f}x, the raw floor's work (warm) "
        f"{raw:.2f}x; so at most {bound:.2f}x here for --jobs 2 (the command's start and exit, "
        f"{fixed:.2f} s, cannot be shared; the rest at best gains {raw:.2f}x: no compile, no "
        f"warm-up, perfect balance)"
    )
    return [
        ("(b) --jobs 2 vs 1", f"{500 / two:.0f} docs/s", f"{ratio:.2f}x (>= 1.7)", ratio >= 1.7)
    ]


def slowness(raw_ms: float) -> float:
    """How much slower than the issue's machine this one is: raw cost over ISSUE_RAW_MS,
    at least 1."""
    return max(1.0, raw_ms / ISSUE_RAW_MS)


def limit_text(limit: float, slower: float) -> str:
    """The limit of (c) or (d) as printed: scaled when this machine is slower."""
    return (
        f"< {limit:g} s"
        if slower == 1.0
        else f"< {limit:g} s x {slower:.2f} = {limit * slower:.2f} s"
    )


def big_invoice(slower: float) -> list[Row]:
    """(c) a 4,000-line invoice in a fresh process: time and peak RSS."""
    done = subprocess.run(
        [sys.executable, "-c", BIG_INVOICE_SCRIPT, str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    result = json.loads(done.stdout)
    print(
        f"(c) 4,000-line invoice ({result['bytes'] / 1e6:.1f} MB): first call (with compile) "
        f"{result['first']:.2f} s, after compile {result['second']:.2f} s (best of "
        f"{' '.join(f'{each:.2f}' for each in result['each'])}), "
        f"peak RSS {result['rss_mb']:.0f} MB, valid {result['valid']}"
    )
    ok = result["second"] < 3 * slower and result["rss_mb"] < 500 and result["valid"]
    return [
        (
            "(c) 4,000 lines",
            f"{result['second']:.2f} s",
            f"{result['rss_mb']:.0f} MB ({limit_text(3, slower)}, < 500 MB)",
            ok,
        )
    ]


def one_file(slower: float) -> list[Row]:
    """(d) ``ledgerlink validate one.xml``, best of 3 process runs."""
    best = min(cli(ONE_DOCUMENT) for _ in range(3))
    print(f"(d) ledgerlink validate {ONE_DOCUMENT.name}: {best:.2f} s end to end (best of 3)")
    return [
        (
            "(d) one file, end to end",
            f"{best:.2f} s",
            f"({limit_text(1.5, slower)})",
            best < 1.5 * slower,
        )
    ]


def main() -> int:
    if not VALIDATION.is_dir():
        print(f"validate benchmark skipped: {VALIDATION} not found (set LEDGERLINK_SHARED)")
        return 0
    with tempfile.TemporaryDirectory(prefix="ledgerlink-bench-") as temp:
        work = Path(temp)
        from ubl import artifacts

        cache = work / "artifacts"
        artifacts.install(source_dir=VALIDATION, cache=cache)
        os.environ["LEDGERLINK_ARTIFACTS_DIR"] = str(cache)  # this process and the commands
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
        print(f"validation benchmark (load average {load:.2f} at start)")
        rows, raw_ms = peppol_examples(cache)
        slower = slowness(raw_ms)
        print(
            f"this machine's raw cost {raw_ms:.2f} ms/doc against the issue's {ISSUE_RAW_MS:g} ms: "
            f"limits of (c) and (d) x {slower:.2f}"
        )
        rows += jobs_throughput(work, cache) + big_invoice(slower) + one_file(slower)
    print(f"{'case':26} {'ours':>14}   {'against':30} target")
    for name, ours, against, ok in rows:
        print(f"{name:26} {ours:>14}   {against:30} {'ok' if ok else 'MISSED'}")
    return 0 if all(row[-1] for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
