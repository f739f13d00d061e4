"""Where a cycle's documents are written and validated: in this process, or in worker processes.

Writing a model as UBL, hashing it and validating it (XSD plus the official Schematron,
through Saxon) is most of a cycle's time, and Saxon holds the GIL while it transforms, so a
thread cannot run beside it. A :class:`ValidationPool` runs all three in worker processes
instead: the cycle hands the drafts of a page to the pool (:meth:`~ValidationPool.submit`,
as a few chunks, so the cost of sending them stays small) and goes on reading, recording and
sending while the workers write and validate (:mod:`sync.pipeline` keeps a page ahead). A
draft is a model the cycle mapped here, or, for a source that lets its records be mapped
elsewhere (:class:`~sync.documents.DetachingSource`: model-JSON files), the record's
:class:`~sync.documents.Detached` mapping, which the worker runs first. Each answer is a
:class:`~sync.documents.Written` (the UBL, its hash, the findings, the model as JSON text;
for a detached mapping the document's :class:`~sync.documents.Header`, not the model), the
writer's :class:`~sync.documents.Refused`, or (a detached mapping) the record
:class:`~sync.documents.Held`, the same as in this process (:func:`outcome_of` runs in
both).

The workers are started once and kept for the pool's life: each compiles the official
stylesheets on its first document of a profile, never again, so a daemon pays the compile
once per worker, not per cycle. They are started as new interpreters (``spawn``), which is
safe whatever this process runs (threads, a Saxon runtime of its own); they read the
artifact cache of ``$LEDGERLINK_ARTIFACTS_DIR`` as this process had it when they started.

:data:`INLINE` writes and validates in this process, at :meth:`~Inline.submit`: what a cycle
does without a pool (the default, and the right choice for a few documents: a worker costs
about a second to start and compile).

For metrics (``ledgerlink daemon``'s ``/metrics``), the pool calls its ``observe`` callback
in this process with each document's seconds of writing and validating, timed in the worker,
when the document's answer is taken (:meth:`Pending.result`); :attr:`ValidationPool.busy` is
the number of workers with work right now.

A worker that dies (killed, out of memory, a crash in native code) loses nothing: the
pool is started again and each document whose answer was lost is validated once more,
alone, on a worker of its own (so another document cannot take it down a second time);
a document that stops that worker too gets a fatal ``VALIDATOR-DIED`` finding (layer
``input``), and the others go on. When even a fresh worker cannot validate a probe, no
worker can run: :class:`ValidatorUnavailable` stops the cycle and no document is blamed.
Workers ignore Ctrl-C: this process decides, and :meth:`ValidationPool.close` stops them.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Final, Protocol, TypeAlias, cast

from sync.compact_pickling import compact_pickling, compactly
from sync.documents import (
    Detached,
    Header,
    Held,
    Refused,
    Written,
    map_detached,
    map_written,
    model_text,
    write_hashed,
    write_validated,
)

if TYPE_CHECKING:
    from types import TracebackType

    from model import Invoice
    from model.findings import Finding

__all__ = [
    "INLINE",
    "VALIDATOR_DIED",
    "Draft",
    "Inline",
    "Pending",
    "Stager",
    "ValidationPool",
    "Validator",
    "ValidatorUnavailable",
    "findings_of",
    "stage",
]

VALIDATOR_DIED: Final = "VALIDATOR-DIED"
"""The rule of the finding of a document that stopped a worker, twice."""

Draft: TypeAlias = tuple["Invoice | Detached", str]
"""A model (BG-0) and the profile to write it under (:attr:`sync.documents.Mapped.writing`),
or a record's :class:`~sync.documents.Detached` mapping and the profile setting (mapped
where it is written: :func:`sync.documents.map_written`)."""

Outcome: TypeAlias = Written | Refused | Held
"""What a draft became: written (and validated), refused by the writer, or, for a detached
mapping, held as the connector could not map the record."""


class Stager(Protocol):
    """Writes a valid document's file ahead for a channel, in the process that built it
    (:class:`delivery.directory_staging.DirectoryStager`); picklable."""

    def stage(self, file_name: str, ubl: bytes, digest: str) -> bool: ...


_Answer: TypeAlias = tuple[Outcome, float]
"""A document's outcome and the seconds its writing and validation took in the worker."""


class Pending(Protocol):
    """A document handed to a validator: its outcome when asked."""

    def result(self) -> Outcome:
        """The UBL, hash and findings, or the writer's refusal, or (a detached mapping) the
        record held (waits for the worker)."""
        ...

    def cancel(self) -> None:
        """Not wanted any more (the cycle failed): skip it if it has not started."""
        ...


class Validator(Protocol):
    """Writes models as UBL, hashes and validates them (XSD + Schematron)."""

    def submit(
        self, drafts: Sequence[Draft], known: Collection[str] = (), stagers: Sequence[Stager] = ()
    ) -> list[Pending]:
        """One :class:`Pending` per draft, in order; a document whose hash is in ``known``
        (hashes the store holds) is not validated (its findings are empty). ``stagers``:
        where a validator that works in other processes writes each valid document's file
        ahead (:func:`stage`); one that works in this process may ignore them."""
        ...


def findings_of(ubl: bytes) -> tuple[Finding, ...]:
    """Every finding of the official validation of ``ubl`` (layer ``schematron`` unless
    the validator names its own), in this process."""
    import ubl as ubl_package
    from sync.documents import as_finding

    report = ubl_package.validate(ubl)
    return tuple(as_finding(issue, "schematron") for issue in report.issues)


def stage(number: str, written: Outcome, stagers: Sequence[Stager]) -> None:
    """A document that validated without a fatal finding, its file written ahead by each
    of ``stagers`` under its envelope's file name (:func:`delivery.base.safe_file_name` of
    ``number``, BT-1). Only a head start: the outbox still decides whether and when it is sent."""
    if not stagers or not isinstance(written, Written) or written.model is None:
        return  # refused, or not validated (a hash the store holds: unchanged)
    if any(finding.fatal for finding in written.findings):
        return
    from delivery.base import safe_file_name

    name = safe_file_name(number)
    for stager in stagers:
        stager.stage(name, written.ubl, written.content_hash)


def outcome_of(draft: Draft, known: Collection[str] = ()) -> Outcome:
    """``draft`` written, hashed and validated (mapped first when it is a detached
    mapping), in this process."""
    from model import Invoice

    document, writing = draft
    if isinstance(document, Invoice):
        return write_validated(document, writing, known)
    return map_written(document, writing, known)


def _work(
    drafts: Sequence[Draft], known: Collection[str], stagers: Sequence[Stager] = ()
) -> list[_Answer]:
    """In a worker: each draft (mapped,) written, hashed, validated and staged
    (:func:`stage`), and the seconds it took."""
    import time

    from model import Invoice

    answers: list[_Answer] = []
    for draft in drafts:
        start = time.perf_counter()
        outcome = outcome_of(draft, known)
        if isinstance(draft[0], Invoice):
            stage(draft[0].number, outcome, stagers)
        elif isinstance(outcome, Written) and outcome.header is not None:  # mapped here
            stage(outcome.header.number, outcome, stagers)
        answers.append((outcome, time.perf_counter() - start))
    return answers


class _Done:
    __slots__ = ("_outcome",)

    def __init__(self, outcome: Outcome) -> None:
        self._outcome = outcome

    def result(self) -> Outcome:
        return self._outcome

    def cancel(self) -> None:
        """Done already: nothing to skip."""


class Inline:
    """Writes and validates in this process, when documents are submitted (no staging:
    the send writes each file, in this process all the same)."""

    def submit(
        self, drafts: Sequence[Draft], known: Collection[str] = (), stagers: Sequence[Stager] = ()
    ) -> list[Pending]:
        return [_Done(outcome_of(draft, known)) for draft in drafts]

    def __repr__(self) -> str:
        return "INLINE"


INLINE: Final = Inline()
"""Writing and validation in this process (no pool)."""


def _worker_started() -> None:
    """In each worker: Ctrl-C is for the process that owns the pool; the answers' model
    classes pickled compactly (:func:`sync.compact_pickling.compact_pickling`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    compact_pickling()


_PROBE: Final = b"<probe/>"
"""What a fresh worker validates to show it can run (a one-line ``input`` finding)."""

CHUNK: Final = 16
"""Documents sent to a worker together, at most (fewer when a page would give fewer than
two chunks per worker): one message each way per chunk, not per document."""


def _executor(workers: int) -> ProcessPoolExecutor:
    import multiprocessing

    compact_pickling()

    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_started,
    )


def _died(draft: Draft) -> Outcome:
    """The outcome of a draft that stopped a worker twice: its UBL written here (the store
    keeps it with the document; a detached mapping is mapped here first, not validated),
    with a fatal ``VALIDATOR-DIED`` finding."""
    from model import Invoice
    from model.findings import Finding

    document, writing = draft
    header: Header | None = None  # when this process mapped it
    if not isinstance(document, Invoice):
        mapped = map_detached(document, writing)
        if isinstance(mapped, Held):
            return mapped
        document, writing = mapped.document, mapped.writing
        header = Header.of(document)
    written = write_hashed(document, writing)
    if isinstance(written, Refused):
        return written
    model = None if header is None else model_text(document)
    message = (
        "the validator process stopped abruptly on this document (killed, out of memory, "
        "or crashed), and again when it was validated once more; the other documents were "
        "validated"
    )
    died = Finding(rule=VALIDATOR_DIED, layer="input", message=message)
    return Written(written.ubl, written.content_hash, (died,), model, header)


class ValidatorUnavailable(Exception):
    """The pool's worker processes cannot run at all (they die before validating anything):
    no document is blamed; the cycle stops with this error."""


class _Chunk:
    """Drafts sent to the pool together: one future for all of their answers."""

    __slots__ = ("drafts", "future", "generation", "known")

    def __init__(
        self,
        drafts: Sequence[Draft],
        known: Collection[str],
        generation: int,
        future: Future[list[_Answer]],
    ) -> None:
        self.drafts, self.known = drafts, known
        self.generation, self.future = generation, future


class _Submitted:
    """A document in the pool: its outcome; written and validated again alone after a
    worker died."""

    __slots__ = ("_at", "_chunk", "_outcome", "_pool")

    def __init__(self, pool: ValidationPool, chunk: _Chunk, at: int) -> None:
        self._pool, self._chunk, self._at = pool, chunk, at
        self._outcome: Outcome | None = None

    def result(self) -> Outcome:
        if self._outcome is None:
            chunk = self._chunk
            try:
                outcome, seconds = chunk.future.result()[self._at]
            except BrokenProcessPool:
                self._pool._restart(chunk.generation)
                outcome = self._pool._alone(chunk.drafts[self._at], chunk.known)
            else:
                self._pool._validated(seconds)
            self._outcome = outcome
        return self._outcome

    def cancel(self) -> None:
        self._chunk.future.cancel()


class ValidationPool:
    """``workers`` worker processes that write and validate documents, kept until
    :meth:`close`.

    Started on the first :meth:`submit` (or :meth:`start`). Use it as a context manager,
    or call :meth:`close`. ``observe``: called in this process with the seconds each
    document's writing and validation took in its worker, when its outcome is taken
    (:meth:`Pending.result`, in the thread that takes it), e.g. a metrics histogram's
    ``observe``; it may be set after the pool is made (:attr:`observe`).
    """

    def __init__(self, workers: int, *, observe: Callable[[float], None] | None = None) -> None:
        if workers < 1:
            raise ValueError(f"a validation pool needs at least 1 worker, not {workers}")
        self.workers = workers
        self.observe = observe
        """Called with each document's seconds in the worker (see the class docstring)."""
        self._executor: ProcessPoolExecutor | None = None
        self._retry: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._alone_lock = threading.Lock()
        self._closed = False
        self._generation = 0
        self._outstanding = 0
        self.restarts = 0
        """How often a dead worker made the pool start again."""
        self.validated = 0
        """Documents the workers wrote and validated."""
        self.validation_seconds = 0.0
        """Seconds the workers spent writing and validating them, timed in the workers (for
        metrics, and for ``benchmarks/sync.py``: the pool's share of a cycle, measured in it)."""

    def __repr__(self) -> str:
        return f"ValidationPool(workers={self.workers})"

    def __enter__(self) -> ValidationPool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def busy(self) -> int:
        """Workers with work right now: chunks handed to the pool and not answered yet, at
        most :attr:`workers` (0 when the pool is idle)."""
        with self._lock:
            return min(self.workers, self._outstanding)

    def submit(
        self, drafts: Sequence[Draft], known: Collection[str] = (), stagers: Sequence[Stager] = ()
    ) -> list[Pending]:
        """Hand ``drafts`` to the workers, in chunks of at most :data:`CHUNK`; one
        :class:`Pending` per draft, in order (:meth:`Pending.result` waits for it). A
        document whose hash is in ``known`` is written and hashed, not validated; a valid
        one is staged by each of ``stagers`` in its worker (:func:`stage`)."""
        from model import Invoice

        if not drafts:
            return []
        sent = frozenset(known)
        staging = tuple(stagers)
        for kind in {type(mapping) for mapping, _ in drafts if not isinstance(mapping, Invoice)}:
            compactly(cast(type, kind))  # a detached mapping's class (the models' are registered)
        size = max(1, min(CHUNK, -(-len(drafts) // (2 * self.workers))))
        pending: list[Pending] = []
        for start in range(0, len(drafts), size):
            chunk = self._send(tuple(drafts[start : start + size]), sent, staging)
            pending.extend(_Submitted(self, chunk, at) for at in range(len(chunk.drafts)))
        return pending

    def start(self) -> None:
        """Start the workers now (they compile on their first document)."""
        self._running()

    def close(self) -> None:
        """Stop the workers; documents not validated yet are dropped (nothing was recorded
        for them: the cycle that submitted them is over or stopped)."""
        with self._lock:
            self._closed = True
            executors = [self._executor, self._retry]
            self._executor = self._retry = None
        for executor in executors:
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)

    def _running(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise RuntimeError("the validation pool is closed")
            if self._executor is None:
                self._executor = _executor(self.workers)
            return self._executor

    def _validated(self, seconds: float) -> None:
        with self._lock:
            self.validated += 1
            self.validation_seconds += seconds
        if self.observe is not None:
            self.observe(seconds)

    def _answered(self, future: Future[list[_Answer]]) -> None:
        """A chunk's future is done (in the executor's thread): one less at work."""
        with self._lock:
            self._outstanding -= 1

    def _alone(self, draft: Draft, known: Collection[str]) -> Outcome:
        """``draft`` written and validated again on a worker of its own (one at a time),
        after the worker that had it died: a document that stops this worker too is the
        cause (``VALIDATOR-DIED``), unless a fresh worker cannot even validate a probe,
        which means no worker can run (:class:`ValidatorUnavailable`)."""
        with self._alone_lock:
            with self._lock:
                if self._closed:
                    raise RuntimeError("the validation pool is closed")
                if self._retry is None:
                    self._retry = _executor(1)
                retry = self._retry
            try:
                [(outcome, seconds)] = retry.submit(_work, (draft,), known).result()
            except BrokenProcessPool:
                pass
            else:
                self._validated(seconds)
                return outcome
            with self._lock:
                self._retry, self.restarts = None, self.restarts + 1
            retry.shutdown(wait=False, cancel_futures=True)
            probe = _executor(1)
            try:
                probe.submit(findings_of, _PROBE).result()
            except BrokenProcessPool:
                raise ValidatorUnavailable(
                    "the validation worker processes die before they validate anything "
                    "(out of memory? a broken installation?); no document was blamed"
                ) from None
            finally:
                probe.shutdown(wait=False, cancel_futures=True)
            return _died(draft)

    def _send(
        self, drafts: tuple[Draft, ...], known: frozenset[str], stagers: tuple[Stager, ...] = ()
    ) -> _Chunk:
        generation = self._generation
        try:
            future = self._running().submit(_work, drafts, known, stagers)
        except BrokenProcessPool:
            self._restart(generation)
            generation = self._generation
            future = self._running().submit(_work, drafts, known, stagers)
        with self._lock:
            self._outstanding += 1
        future.add_done_callback(self._answered)
        return _Chunk(drafts, known, generation, future)

    def _restart(self, generation: int) -> None:
        """Replace the broken executor of ``generation`` (once, however many documents of
        it ask)."""
        with self._lock:
            if generation != self._generation:
                return
            broken, self._executor = self._executor, None
            self._generation += 1
            self.restarts += 1
        if broken is not None:
            broken.shutdown(wait=False, cancel_futures=True)
