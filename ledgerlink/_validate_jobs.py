"""Run the validator over many files: in this process (``--jobs 1``) or in worker processes.

Each worker process keeps its own compiled validator (the module-level default of
:mod:`ubl.validate`). Compiling a scenario's stylesheets costs 0.5-0.75 s per process, as
much as validating a hundred small documents, so the workers are kept on one scenario
as long as they can: the files are grouped by the profile their CustomizationID (BT-24)
names (sniffed from the first bytes; only a scheduling hint), each group is cut into
chunks, and a worker that is done with a chunk takes the next one of its own group, else
one of the largest group no other worker is on. The reports come back in input order.

Workers are forked when this process has a single thread (no Saxon runtime to inherit),
else spawned. Before forking, this process loads the UBL schemas (lxml only), so each
worker starts with them instead of loading them itself.

A worker that dies (killed, out of memory, a crash in native code) loses no document and
stops nothing else: its lane gets a new worker, the documents of the chunk it was on are
validated again one by one, and a document that stops a worker on its own as well is
reported failed with a fatal ``input`` issue ``VALIDATOR-DIED``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
from collections import deque
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from typing import TYPE_CHECKING, Final

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


def _start_method() -> BaseContext:
    try:
        single_threaded = len(os.listdir("/proc/self/task")) == 1
    except OSError:
        single_threaded = False
    return multiprocessing.get_context("fork" if single_threaded else "spawn")


def _load_schemas_for_forks() -> None:
    """Load the UBL schemas in this process so forked workers inherit them; a missing bundle
    is left for the workers to report."""
    from ubl.artifacts import ArtifactError
    from ubl.validate import default_validator

    with contextlib.suppress(ArtifactError):
        default_validator().load_schemas()


def _died(path: str, profile: str) -> Report:
    """The report of a document that stopped the worker validating it, twice."""
    from ubl.validate import Issue, Report

    message = (
        "the validator process stopped abruptly on this document (killed, out of memory, "
        "or crashed), and again when it was checked alone; the other documents were validated"
    )
    return Report(path, profile, (Issue("input", VALIDATOR_DIED, "fatal", None, None, message),))


def _in_workers(paths: Sequence[str], profile: str, jobs: int) -> list[Report]:
    groups = _chunked(paths, profile, jobs)
    lanes = min(jobs, sum(map(len, groups.values())))
    context = _start_method()
    if context.get_start_method() == "fork":
        _load_schemas_for_forks()
    workers = [ProcessPoolExecutor(1, mp_context=context) for _ in range(lanes)]
    busy: list[str | None] = [None] * lanes
    # The documents of a chunk whose worker died, each to be validated again alone.
    suspects: deque[tuple[str, list[int]]] = deque()
    running: dict[Future[list[Report] | str], tuple[int, str, list[int], bool]] = {}
    reports: list[Report | None] = [None] * len(paths)

    def feed(lane: int) -> None:
        retry = bool(suspects)
        if retry:
            key, chunk = suspects.popleft()
        elif groups:
            key = busy[lane] = _next_group(groups, busy, lane)
            chunk = groups[key].popleft()
            if not groups[key]:
                del groups[key]
        else:
            return
        future = workers[lane].submit(_validate_chunk, [paths[i] for i in chunk], profile)
        running[future] = (lane, key, chunk, retry)

    def replace_worker(lane: int, key: str, chunk: list[int], retry: bool) -> None:
        workers[lane].shutdown(wait=True, cancel_futures=True)
        workers[lane] = ProcessPoolExecutor(1, mp_context=context)
        busy[lane] = None  # the new worker has compiled nothing yet
        if retry:
            reports[chunk[0]] = _died(paths[chunk[0]], key)
        else:
            suspects.extend((key, [index]) for index in chunk)

    try:
        for lane in range(lanes):
            feed(lane)
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                lane, key, chunk, retry = running.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    replace_worker(lane, key, chunk, retry)
                else:
                    for index, report in zip(chunk, _checked(result), strict=True):
                        reports[index] = report
                feed(lane)
    finally:
        for worker in workers:
            worker.shutdown(cancel_futures=True)
    return [report for report in reports if report is not None]
