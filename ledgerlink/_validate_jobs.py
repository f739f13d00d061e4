"""Run the validator over many files: in this process (``--jobs 1``) or in worker processes.

Compiling a scenario's stylesheets costs 0.5-0.9 s per process (more on a slow machine), as
much as validating a hundred small documents, so the work is arranged around compiling as
little as possible:

* The files are grouped by the scenario their CustomizationID (BT-24) names (sniffed from
  the first bytes; only a scheduling hint), and each group is cut into chunks.
* This process never starts Saxon when it runs workers: it loads the UBL schemas (lxml only,
  which starts no thread), so every process forked from it starts with them, and it forks
  its workers at will, as a process with no other thread and no Saxon runtime can be.
* A first worker, the *template*, compiles the heaviest group's stylesheets by validating a
  chunk of that group's smallest files, while the other workers take the other groups.
  Workers started after that for the heaviest group are forked from the template and
  inherit its compiled, warmed-up stylesheets; a worker whose next group the template has
  compiled and it has not is replaced by such a fork. The template validates nothing else
  and forks only between two requests, from its one thread of ours, never during a Saxon
  call; nothing else runs in it but the Saxon runtime it started itself.
* A worker keeps to one group as long as it lasts, then takes the largest group no other
  worker is on. The reports come back in input order, exactly one per path.

When this process cannot fork (it has started Saxon itself, as a library caller may have,
or it runs other threads), its workers are started as new interpreters instead; the
template still forks the workers that need its group.

A worker that dies (killed, out of memory, a crash in native code) loses no document and
stops nothing else: its lane gets a new worker, the documents of the chunk it was on are
validated again one by one, and a document that stops a worker on its own as well is
reported failed with a fatal ``input`` finding ``VALIDATOR-DIED``. After a worker forked
from the template has died, or the template itself, later workers start fresh.

Workers ignore Ctrl-C (SIGINT); this process stops them and raises :class:`Interrupted`,
which says how many documents were validated.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import recv_handle, send_handle
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from ubl.validate import Report

__all__ = ["Interrupted", "SetupError", "validate_files"]

_CUSTOMIZATION_ID: Final = re.compile(rb"CustomizationID[^>]*>\s*([^<]*)<")
_SNIFF_BYTES: Final = 8192
_MAX_CHUNK: Final = 8
VALIDATOR_DIED: Final = "VALIDATOR-DIED"


class SetupError(Exception):
    """The validator cannot run (a bundle is not installed); the message says what to do."""


class Interrupted(Exception):
    """Ctrl-C stopped the run: ``done`` of ``total`` documents had been validated."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__(f"interrupted: {done} of {total} documents validated")
        self.done = done
        self.total = total


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

    Raises :class:`SetupError` when a bundle a document needs is not installed, and
    :class:`Interrupted` on Ctrl-C.
    """
    if jobs <= 1 or len(paths) <= 1:
        reports: list[Report] = []
        try:
            for path in paths:
                reports += _checked(_validate_chunk([path], profile))
        except KeyboardInterrupt:
            raise Interrupted(len(reports), len(paths)) from None
        return reports
    return _Run(paths, profile, jobs).run()


# --- the worker side -----------------------------------------------------------------------


def _compiled_groups() -> set[str]:
    """The scenarios whose stylesheets this process has compiled."""
    from ubl.validate import SCENARIOS, default_validator

    validator = default_validator()
    return {key for key in SCENARIOS if validator.compiled(key)}


def _serve(conn: Connection) -> None:
    """A worker's loop: validate the chunks it is sent, and fork a copy of itself on request
    (the template does), until its connection closes."""
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request[0] == "validate":
            result = _validate_chunk(request[1], request[2])
            try:
                conn.send((result, _compiled_groups()))
            except OSError:  # the scheduler is gone: nobody wants the reports
                return
        elif request[0] == "fork":
            handle = recv_handle(conn)
            pid = os.fork()
            if pid == 0:  # the copy: it serves the scheduler on the handle it was given
                try:
                    conn.close()
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    _serve(Connection(handle))
                finally:
                    os._exit(0)
            os.close(handle)
            conn.send(pid)


def _template_signals() -> None:
    """A process that forks workers does not keep them as zombies after they end."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)


def serve_handle(handle: int) -> None:
    """The entry point of a worker started as a new interpreter (``python -c``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _template_signals()
    _serve(Connection(handle))


# --- the scheduling side -------------------------------------------------------------------


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


def _can_fork_here() -> bool:
    """Whether this process may fork its workers: it has not started Saxon and runs no
    other thread (so no lock can be held in the copy by a thread it does not have)."""
    from ubl.validate import _schematron

    return not _schematron.started() and threading.active_count() == 1


@dataclass(eq=False)
class _Worker:
    """A worker process as this process sees it: its connection, and what it is on."""

    conn: Connection
    pid: int
    child: subprocess.Popen[bytes] | int | None
    """How to reap it: its Popen, its pid when this process forked it, None when the
    template forked it (the template reaps it)."""
    from_template: bool = False
    lane: int | None = None
    """The lane it works for; None for the template."""
    known: set[str] = field(default_factory=set)
    """The groups whose stylesheets it has compiled or inherited."""
    task: tuple[str, list[int], bool] | None = None
    """The group, the path indexes and whether it is a retry of the chunk it is on."""

    def submit(
        self, key: str, chunk: list[int], retry: bool, paths: list[str], profile: str
    ) -> None:
        assert self.task is None, "a worker is given one chunk at a time"
        self.conn.send(("validate", paths, profile))
        self.task = (key, chunk, retry)

    def stop(self, kill: bool = False) -> None:
        """Close its connection (it then ends) and reap it; ``kill``: SIGKILL it first."""
        if kill:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self.conn.close()
        if isinstance(self.child, subprocess.Popen):
            self.child.wait()
        elif isinstance(self.child, int):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.child, 0)


class _Run:
    """One ``validate_files`` call over ``lanes`` worker processes and a template."""

    def __init__(self, paths: Sequence[str], profile: str, jobs: int) -> None:
        self.paths = paths
        self.profile = profile
        self.groups = _chunked(paths, profile, jobs)
        self.lanes = min(jobs, sum(map(len, self.groups.values())))
        self.fork_here = _can_fork_here()
        self.workers: list[_Worker | None] = [None] * self.lanes
        self.busy: list[str | None] = [None] * (self.lanes + 1)
        """The group each lane is on; the last entry is the template's."""
        self.template: _Worker | None = None
        """The worker that compiles the heaviest group and forks the workers that need it
        (None when there is none, or no more)."""
        self.suspects: deque[tuple[str, list[int]]] = deque()
        """Documents of a chunk whose worker died, each to be validated again alone."""
        self.reports: list[Report | None] = [None] * len(paths)

    def run(self) -> list[Report]:
        try:
            self._run()
        except KeyboardInterrupt:
            self._stop_all(kill=True)
            done = sum(report is not None for report in self.reports)
            raise Interrupted(done, len(self.paths)) from None
        except BaseException:
            self._stop_all(kill=True)  # a worker may be mid-chunk: its work is not wanted
            raise
        self._stop_all(kill=False)  # every worker is idle: closing its connection ends it
        reports = [report for report in self.reports if report is not None]
        if len(reports) != len(self.paths):  # never: every chunk is collected or retried
            raise RuntimeError(f"{len(self.paths) - len(reports)} document(s) got no report")
        return reports

    def _run(self) -> None:
        if self.fork_here:
            _load_schemas_for_forks()
        warm = None
        if self.lanes > 1:
            warm = max(self.groups, key=lambda key: _weight(key, self.groups[key]))
            chunk = self._take_smallest(warm)
            self.template = self._fresh()
            self.busy[-1] = warm
            self._submit(self.template, warm, chunk, retry=False)
        for lane in range(self.lanes - 1 if warm else self.lanes):
            self._feed(lane, chunks=2 if warm else 1)  # busy while the template compiles
        while True:
            running = [w for w in (*self.workers, self.template) if w is not None and w.task]
            if not running:
                break
            for conn in wait([worker.conn for worker in running]):
                worker = next(w for w in running if w.conn is conn)
                self._collect(worker)

    def _stop_all(self, kill: bool) -> None:
        for worker in (*self.workers, self.template):
            if worker is not None:
                worker.stop(kill)
        self.workers = [None] * self.lanes
        self.template = None

    def _take_smallest(self, key: str) -> list[int]:
        """A chunk of group ``key``'s smallest files (the rest keep their order): what the
        template validates should be the least likely to stop it."""
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

    # --- starting workers

    def _own_connections(self) -> list[Connection]:
        return [w.conn for w in (*self.workers, self.template) if w is not None]

    def _fresh(self) -> _Worker:
        """A new worker with no stylesheet compiled: forked from this process where it may
        fork, else a new interpreter."""
        mine, theirs = socket.socketpair()
        if not self.fork_here:
            handle = theirs.fileno()
            code = f"from ledgerlink._validate_jobs import serve_handle; serve_handle({handle})"
            process = subprocess.Popen(
                [sys.executable, "-c", code], pass_fds=(handle,), start_new_session=True
            )
            theirs.close()
            return _Worker(Connection(mine.detach()), process.pid, process)
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            pid = os.fork()
            if pid == 0:
                try:
                    signal.signal(signal.SIGINT, signal.SIG_IGN)
                    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
                    _template_signals()
                    mine.close()
                    for conn in self._own_connections():  # so they see EOF when we are gone
                        conn.close()
                    _serve(Connection(theirs.detach()))
                finally:
                    os._exit(0)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        theirs.close()
        return _Worker(Connection(mine.detach()), pid, pid)

    def _from_template(self) -> _Worker | None:
        """A fork of the template, with what it has compiled; None when it is gone."""
        template = self.template
        if template is None:
            return None
        mine, theirs = socket.socketpair()
        try:
            template.conn.send(("fork",))
            send_handle(template.conn, theirs.fileno(), template.pid)
            pid = template.conn.recv()
        except (EOFError, OSError):
            mine.close()
            template.stop(kill=True)
            self.template = None
            return None
        finally:
            theirs.close()
        return _Worker(Connection(mine.detach()), pid, None, True, known=set(template.known))

    def _start(self, key: str) -> _Worker:
        """A worker for group ``key``: a fork of the template when it has compiled the group,
        else a fresh one."""
        if self.template is not None and key in self.template.known:
            worker = self._from_template()
            if worker is not None:
                return worker
        return self._fresh()

    # --- feeding and collecting

    def _submit(self, worker: _Worker, key: str, chunk: list[int], retry: bool) -> None:
        worker.submit(key, chunk, retry, [self.paths[i] for i in chunk], self.profile)

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
        worker = self.workers[lane]
        template = self.template
        if worker is not None and key not in worker.known and template and key in template.known:
            worker.stop()  # a fork of the template has the group compiled already
            worker = None
        if worker is None:
            worker = self.workers[lane] = self._start(key)
            worker.lane = lane
        self._submit(worker, key, chunk, retry)

    def _collect(self, worker: _Worker) -> None:
        assert worker.task is not None
        (key, chunk, retry), worker.task = worker.task, None
        was_template = worker is self.template
        try:
            result, known = worker.conn.recv()
        except (EOFError, OSError):  # the worker died
            self._lost(worker, key, chunk, retry)
        else:
            worker.known |= known
            for index, report in zip(chunk, _checked(result), strict=True):
                self.reports[index] = report
        if was_template:
            self.busy[-1] = None
            self._feed(self.lanes - 1)  # the lane the template kept free
        else:
            assert worker.lane is not None
            self._feed(worker.lane)

    def _lost(self, worker: _Worker, key: str, chunk: list[int], retry: bool) -> None:
        """``worker`` died on ``chunk``: each of its documents is validated again alone, and
        a document it died on alone is reported as VALIDATOR-DIED."""
        worker.stop(kill=True)
        if (worker is self.template or worker.from_template) and self.template is not None:
            self.template.stop(kill=True)  # forks of it are no longer trusted
            self.template = None
        if worker.lane is not None:
            self.workers[worker.lane], self.busy[worker.lane] = None, None
        if retry:
            self.reports[chunk[0]] = _died(self.paths[chunk[0]], key)
        else:
            self.suspects.extend((key, [index]) for index in chunk)
