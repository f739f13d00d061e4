"""Run the validator over many files: in this process (``--jobs 1``) or in worker processes.

Compiling a scenario's stylesheets costs 0.5-0.9 s per process, as much as validating a
hundred small documents, so the work is arranged around compiling as little as possible:

* The files are grouped by the scenario their CustomizationID (BT-24) names (sniffed from
  the first bytes; only a scheduling hint), and each group is cut into chunks.
* This process compiles the heaviest group's stylesheets itself, by validating one chunk of
  that group's smallest files, while workers started beforehand take the other groups.
  Workers started after that are forked from this process and inherit the compiled,
  warmed-up stylesheets; a worker whose next group this process has compiled and it has
  not is replaced by such a fork. (Only those few small documents are checked in this
  process, where a crash would stop the run as it does with ``--jobs 1``.)
* A worker keeps to one group as long as it lasts, then takes the largest group no other
  worker is on. The reports come back in input order.
* Before anything is forked, this process loads the UBL schemas (lxml only), so every
  worker starts with them.

Forking a process that runs Saxon (a GraalVM native image) is done only when every other
thread of this process is asleep (Saxon's reference-handler thread waiting in the kernel:
no runtime lock is held, and the child's runtime is a private copy). Otherwise, or when
this process had threads to begin with, workers are spawned and compile for themselves.

A worker that dies (killed, out of memory, a crash in native code) loses no document and
stops nothing else: its lane gets a new worker, the documents of the chunk it was on are
validated again one by one, and a document that stops a worker on its own as well is
reported failed with a fatal ``input`` issue ``VALIDATOR-DIED``. After a forked worker has
died, later workers are spawned.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import threading
import time
import warnings
from collections import deque
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from typing import TYPE_CHECKING, Final, NamedTuple

if TYPE_CHECKING:
    from ubl.validate import Report

__all__ = ["SetupError", "validate_files"]

_CUSTOMIZATION_ID: Final = re.compile(rb"CustomizationID[^>]*>\s*([^<]*)<")
_SNIFF_BYTES: Final = 8192
_MAX_CHUNK: Final = 8
VALIDATOR_DIED: Final = "VALIDATOR-DIED"


class SetupError(Exception):
    """The validator cannot run (a bundle is not installed); the message says what to do."""


def _validate_chunk(paths: Sequence[str], profile: str) -> list[Report] | str:
    """The reports of ``paths``, or the message of the installation problem that stops them.

    The message travels as a string: the artifact errors do not survive pickling.
    """
    from ubl.artifacts import ArtifactError
    from ubl.validate import validate

    try:
        return [validate(path, profile) for path in paths]
    except ArtifactError as exc:
        return str(exc)


def _checked(result: list[Report] | str) -> list[Report]:
    if isinstance(result, str):
        raise SetupError(result)
    return result


def validate_files(paths: Sequence[str], profile: str = "auto", jobs: int = 1) -> list[Report]:
    """One report per path, in order; ``jobs`` > 1 spreads them over that many processes.

    Raises :class:`SetupError` when a bundle a document needs is not installed.
    """
    if jobs <= 1 or len(paths) <= 1:
        return _checked(_validate_chunk(paths, profile))
    return _in_workers(paths, profile, jobs)


def _group_key(path: str, profile: str) -> str:
    """The scenario ``path`` will most likely run: the forced profile, else the one its
    CustomizationID names (an unreadable file or one without the id: ``en16931``)."""
    if profile != "auto":
        return profile
    from ubl.validate import scenario_for

    try:
        with open(path, "rb") as file:
            head = file.read(_SNIFF_BYTES)
    except OSError:
        head = b""
    found = _CUSTOMIZATION_ID.search(head)
    scenario, _ = scenario_for(found.group(1).decode("utf-8", "replace") if found else None)
    return scenario.profile


def _chunked(paths: Sequence[str], profile: str, jobs: int) -> dict[str, deque[list[int]]]:
    """Chunks of path indexes (in input order) per scenario group."""
    groups: dict[str, list[int]] = {}
    for index, path in enumerate(paths):
        groups.setdefault(_group_key(path, profile), []).append(index)
    size = max(1, min(_MAX_CHUNK, len(paths) // (jobs * 8)))
    return {
        key: deque(indexes[i : i + size] for i in range(0, len(indexes), size))
        for key, indexes in groups.items()
    }


def _next_group(groups: dict[str, deque[list[int]]], busy: list[str | None], lane: int) -> str:
    """The group worker ``lane`` works on next: its own while it lasts, else the largest
    one no other worker is on, else the largest one."""
    own = busy[lane]
    if own in groups:
        return own
    others = set(busy[:lane] + busy[lane + 1 :])
    return max(groups, key=lambda key: (key not in others, sum(map(len, groups[key]))))


def _single_threaded() -> bool:
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def _others_asleep(patience: float = 0.25) -> bool:
    """Whether every thread of this process but the calling one is asleep (waiting in the
    kernel), polled for up to ``patience`` seconds."""
    me = str(threading.get_native_id())
    deadline = time.monotonic() + patience
    while True:
        states = []
        try:
            tasks = os.listdir("/proc/self/task")
        except OSError:
            return False
        for task in tasks:
            if task != me:
                with contextlib.suppress(FileNotFoundError):  # a thread that just ended
                    with open(f"/proc/self/task/{task}/stat", encoding="ascii") as file:
                        stat = file.read()
                    states.append(stat[stat.rindex(")") + 2])
        if all(state == "S" for state in states):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.002)


def _load_schemas_for_forks() -> None:
    """Load the UBL schemas in this process so forked workers inherit them; a missing bundle
    is left for the workers to report."""
    from ubl.artifacts import ArtifactError
    from ubl.validate import default_validator

    with contextlib.suppress(ArtifactError):
        default_validator().load_schemas()


def _died(path: str, profile: str) -> Report:
    """The report of a document that stopped the worker validating it, twice."""
    from model.findings import Finding
    from ubl.validate import Report

    message = (
        "the validator process stopped abruptly on this document (killed, out of memory, "
        "or crashed), and again when it was checked alone; the other documents were validated"
    )
    return Report(path, profile, (Finding(rule=VALIDATOR_DIED, layer="input", message=message),))


def _weight(key: str, chunks: deque[list[int]]) -> int:
    """How much work a group is: its documents times its scenario's stylesheets."""
    from ubl.validate import SCENARIOS

    return len(SCENARIOS[key].stylesheets) * sum(map(len, chunks))


class _Submitted(NamedTuple):
    lane: int
    key: str
    chunk: list[int]
    retry: bool
    worker: ProcessPoolExecutor


class _Run:
    """One ``validate_files`` call over ``lanes`` worker processes."""

    def __init__(self, paths: Sequence[str], profile: str, jobs: int) -> None:
        self.paths = paths
        self.profile = profile
        self.groups = _chunked(paths, profile, jobs)
        self.lanes = min(jobs, sum(map(len, self.groups.values())))
        self.fork = _single_threaded()  # no Saxon runtime (or other thread) here yet
        self.workers: list[ProcessPoolExecutor | None] = [None] * self.lanes
        self.known: list[set[str]] = [set() for _ in range(self.lanes)]
        """The groups whose stylesheets each lane's worker has compiled or inherited."""
        self.busy: list[str | None] = [None] * (self.lanes + 1)
        """The group each lane is on; the last entry is this process's."""
        self.saxon_here = False
        """Whether this process has started Saxon (forks then need _others_asleep)."""
        self.here: set[str] = set()
        """The groups whose stylesheets this process has compiled (forks inherit them)."""
        self.suspects: deque[tuple[str, list[int]]] = deque()
        """Documents of a chunk whose worker died, each to be validated again alone."""
        self.running: dict[Future[list[Report] | str], _Submitted] = {}
        self.reports: list[Report | None] = [None] * len(paths)

    def run(self) -> list[Report]:
        try:
            if self.fork:
                _load_schemas_for_forks()
            warm = mine = None
            if self.fork and self.lanes > 1:
                warm = max(self.groups, key=lambda key: _weight(key, self.groups[key]))
                self.busy[-1], mine = warm, self._take_smallest(warm)
            for lane in range(self.lanes - 1 if warm else self.lanes):
                self._feed(lane, chunks=2 if warm else 1)  # busy while this process compiles
            if warm and mine:
                self._validate_here(warm, mine)
                self._feed(self.lanes - 1)
            while self.running:
                done, _ = wait(self.running, return_when=FIRST_COMPLETED)
                for future in done:
                    self._collect(future)
        finally:
            for worker in self.workers:
                if worker is not None:
                    worker.shutdown(cancel_futures=True)
        return [report for report in self.reports if report is not None]

    def _validate_here(self, key: str, chunk: list[int]) -> None:
        """Validate ``chunk`` of group ``key`` in this process: that compiles and warms up
        the group's stylesheets for the workers forked from here."""
        from ubl.validate import default_validator

        self.saxon_here = True
        for index in chunk:
            (self.reports[index],) = _checked(_validate_chunk([self.paths[index]], self.profile))
            for future in [future for future in self.running if future.done()]:
                self._collect(future)  # keep the workers fed meanwhile
        validator = default_validator()
        self.here = {group for group in (*self.groups, key) if validator.compiled(group)}
        self.busy[-1] = None

    def _take_smallest(self, key: str) -> list[int]:
        """A chunk of group ``key``'s smallest files (the rest keep their order): what this
        process validates itself should be the least likely to exhaust its memory."""
        indexes = [index for chunk in self.groups[key] for index in chunk]
        size = len(self.groups[key][0])
        smallest = set(sorted(indexes, key=self._size)[:size])
        rest = [index for index in indexes if index not in smallest]
        self.groups[key] = deque(rest[i : i + size] for i in range(0, len(rest), size))
        if not rest:
            del self.groups[key]
        return sorted(smallest)

    def _size(self, index: int) -> int:
        try:
            return os.stat(self.paths[index]).st_size
        except OSError:
            return 0

    def _take(self, key: str) -> list[int]:
        chunk = self.groups[key].popleft()
        if not self.groups[key]:
            del self.groups[key]
        return chunk

    def _feed(self, lane: int, chunks: int = 1) -> None:
        """Give ``lane`` its next work: a suspect alone first, else up to ``chunks`` chunks of
        the group it is on."""
        retry = bool(self.suspects)
        if retry:
            key, chunk = self.suspects.popleft()
        elif self.groups:
            key = self.busy[lane] = _next_group(self.groups, self.busy, lane)
            chunk = self._take(key)
            for _ in range(chunks - 1):
                if key in self.groups:
                    chunk += self._take(key)
        else:
            return
        if self.workers[lane] is None:
            self._start(lane, self._may_fork())
        elif key in self.here and key not in self.known[lane] and self._may_fork():
            self._start(lane, forked=True)  # a fork has the group compiled already
        worker = self.workers[lane]
        assert worker is not None
        with warnings.catch_warnings():
            # Python 3.12+ warns on fork() with other threads; _may_fork checked they sleep.
            warnings.simplefilter("ignore", DeprecationWarning)
            future = worker.submit(_validate_chunk, [self.paths[i] for i in chunk], self.profile)
        self.known[lane].add(key)
        self.running[future] = _Submitted(lane, key, chunk, retry, worker)

    def _may_fork(self) -> bool:
        return self.fork and (not self.saxon_here or _others_asleep())

    def _start(self, lane: int, forked: bool) -> None:
        """A new worker for ``lane``: forked from this process (inheriting what it has
        compiled) or spawned (compiling for itself)."""
        old = self.workers[lane]
        if old is not None:
            old.shutdown(wait=True, cancel_futures=True)
        context: BaseContext = multiprocessing.get_context("fork" if forked else "spawn")
        self.workers[lane] = ProcessPoolExecutor(1, mp_context=context)
        self.known[lane] = set(self.here) if forked else set()

    def _collect(self, future: Future[list[Report] | str]) -> None:
        submitted = self.running.pop(future)
        lane, key, chunk = submitted.lane, submitted.key, submitted.chunk
        try:
            result = future.result()
        except BrokenProcessPool:
            submitted.worker.shutdown(wait=True, cancel_futures=True)
            if self.saxon_here:  # it may have been a fork of this Saxon process: spawn now
                self.fork, self.here = False, set()
            self.workers[lane], self.busy[lane] = None, None
            if submitted.retry:
                self.reports[chunk[0]] = _died(self.paths[chunk[0]], key)
            else:
                self.suspects.extend((key, [index]) for index in chunk)
        else:
            for index, report in zip(chunk, _checked(result), strict=True):
                self.reports[index] = report
        self._feed(lane)


def _in_workers(paths: Sequence[str], profile: str, jobs: int) -> list[Report]:
    return _Run(paths, profile, jobs).run()
