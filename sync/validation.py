"""Where a cycle's documents are validated: in this process, or in worker processes beside it.

Validation (XSD plus the official Schematron, through Saxon) is most of a cycle's time,
and Saxon holds the GIL while it transforms, so a thread cannot run beside it. A
:class:`ValidationPool` runs it in worker processes instead: the cycle hands each built
document to the pool (:meth:`~ValidationPool.submit`) and goes on reading, building,
recording and sending while the workers validate (:mod:`sync.pipeline` keeps a page
ahead). The workers are started once and kept for the pool's life: each compiles the
official stylesheets on its first document, never again, so a daemon pays the compile
once per worker, not per cycle. They are started as new interpreters (``spawn``), which is
safe whatever this process runs (threads, a Saxon runtime of its own); they read the
artifact cache of ``$LEDGERLINK_ARTIFACTS_DIR`` as this process had it when they started.

:data:`INLINE` validates in this process, at :meth:`~Inline.submit`: what a cycle does
without a pool (the default, and the right choice for a few documents: a worker costs
about a second to start and compile).

A worker that dies (killed, out of memory, a crash in native code) loses nothing: the
pool is started again and each document whose answer was lost is validated once more,
alone, on a worker of its own (so another document cannot take it down a second time);
a document that stops that worker too gets a fatal ``VALIDATOR-DIED`` finding (layer
``input``), and the others go on. When even a fresh worker cannot validate a probe, no
worker can run: :class:`ValidatorUnavailable` stops the cycle and no document is blamed. Workers ignore Ctrl-C: this process
decides, and :meth:`ValidationPool.close` stops them.
"""

from __future__ import annotations

import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    from types import TracebackType

    from model.findings import Finding

__all__ = [
    "INLINE",
    "VALIDATOR_DIED",
    "Inline",
    "Pending",
    "ValidationPool",
    "Validator",
    "ValidatorUnavailable",
]

VALIDATOR_DIED: Final = "VALIDATOR-DIED"
"""The rule of the finding of a document that stopped a worker, twice."""


class Pending(Protocol):
    """A document handed to a validator: its findings when asked."""

    def result(self) -> tuple[Finding, ...]: ...

    def cancel(self) -> None:
        """Not wanted any more (the cycle failed): skip it if it has not started."""
        ...


class Validator(Protocol):
    """Validates built UBL: every finding of the official validation (XSD + Schematron)."""

    def submit(self, ubl: bytes) -> Pending: ...


def findings_of(ubl: bytes) -> tuple[Finding, ...]:
    """Every finding of the official validation of ``ubl`` (layer ``schematron`` unless
    the validator names its own), in this process."""
    import ubl as ubl_package
    from sync.documents import as_finding

    report = ubl_package.validate(ubl)
    return tuple(as_finding(issue, "schematron") for issue in report.issues)


def _timed(ubl: bytes) -> tuple[tuple[Finding, ...], float]:
    """In a worker: :func:`findings_of` and the seconds it took there."""
    import time

    start = time.perf_counter()
    findings = findings_of(ubl)
    return findings, time.perf_counter() - start


class _Done:
    __slots__ = ("_findings",)

    def __init__(self, findings: tuple[Finding, ...]) -> None:
        self._findings = findings

    def result(self) -> tuple[Finding, ...]:
        return self._findings

    def cancel(self) -> None:
        """Done already: nothing to skip."""


class Inline:
    """Validates in this process, when a document is submitted."""

    def submit(self, ubl: bytes) -> Pending:
        return _Done(findings_of(ubl))

    def __repr__(self) -> str:
        return "INLINE"


INLINE: Final = Inline()
"""Validation in this process (no pool)."""


def _worker_started() -> None:
    """In each worker: Ctrl-C is for the process that owns the pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


_PROBE: Final = b"<probe/>"
"""What a fresh worker validates to show it can run (a one-line ``input`` finding)."""


def _executor(workers: int) -> ProcessPoolExecutor:
    import multiprocessing

    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_started,
    )


def _died() -> tuple[Finding, ...]:
    from model.findings import Finding

    message = (
        "the validator process stopped abruptly on this document (killed, out of memory, "
        "or crashed), and again when it was validated once more; the other documents were "
        "validated"
    )
    return (Finding(rule=VALIDATOR_DIED, layer="input", message=message),)


class ValidatorUnavailable(Exception):
    """The pool's worker processes cannot run at all (they die before validating anything):
    no document is blamed; the cycle stops with this error."""


class _Submitted:
    """A document in the pool: its findings; validated again alone after a worker died."""

    __slots__ = ("_future", "_generation", "_pool", "_ubl")

    def __init__(self, pool: ValidationPool, ubl: bytes) -> None:
        self._pool, self._ubl = pool, ubl
        self._generation, self._future = pool._submit(ubl)

    def result(self) -> tuple[Finding, ...]:
        try:
            findings, seconds = self._future.result()
        except BrokenProcessPool:
            self._pool._restart(self._generation)
            return self._pool._alone(self._ubl)
        self._pool._validated(seconds)
        return findings

    def cancel(self) -> None:
        self._future.cancel()


class ValidationPool:
    """``workers`` worker processes that validate documents, kept until :meth:`close`.

    Started on the first :meth:`submit`. Use it as a context manager, or call
    :meth:`close`.
    """

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"a validation pool needs at least 1 worker, not {workers}")
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        self._retry: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._alone_lock = threading.Lock()
        self._closed = False
        self._generation = 0
        self.restarts = 0
        """How often a dead worker made the pool start again."""
        self.validated = 0
        """Documents the workers validated."""
        self.validation_seconds = 0.0
        """Seconds the workers spent validating them, timed in the workers (for metrics,
        and for ``benchmarks/sync.py``: the pool's share of a cycle, measured in it)."""

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

    def submit(self, ubl: bytes) -> Pending:
        """Hand ``ubl`` to a worker; :meth:`Pending.result` waits for its findings."""
        return _Submitted(self, ubl)

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

    def _alone(self, ubl: bytes) -> tuple[Finding, ...]:
        """``ubl`` validated again on a worker of its own (one at a time), after the worker
        that had it died: a document that stops this worker too is the cause
        (``VALIDATOR-DIED``), unless a fresh worker cannot even validate a probe, which
        means no worker can run (:class:`ValidatorUnavailable`)."""
        with self._alone_lock:
            with self._lock:
                if self._closed:
                    raise RuntimeError("the validation pool is closed")
                if self._retry is None:
                    self._retry = _executor(1)
                retry = self._retry
            try:
                findings, seconds = retry.submit(_timed, ubl).result()
            except BrokenProcessPool:
                pass
            else:
                self._validated(seconds)
                return findings
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
            return _died()

    def _submit(self, ubl: bytes) -> tuple[int, Future[tuple[tuple[Finding, ...], float]]]:
        try:
            return self._generation, self._running().submit(_timed, ubl)
        except BrokenProcessPool:
            self._restart(self._generation)
            return self._generation, self._running().submit(_timed, ubl)

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
