"""``ledgerlink daemon``: keep every scheduled connection in sync, as a service.

It loads the settings file, checks the scheduled connections as ``sync`` does, opens the
store (as ``sync`` chooses it), takes the store's daemon lock (:func:`sync.runner.store_lock`:
a second daemon on the same store exits 2 naming the lock), starts the validation pool
(``[daemon] workers`` processes, :class:`sync.validation.ValidationPool`) and the HTTP
server on ``[daemon] listen`` (:mod:`ledgerlink.daemon_http`: ``/healthz``, ``/readyz``,
``/metrics``, ``/webhooks/<channel>``), then runs each connection with ``every`` or
``cron`` on its schedule (:class:`sync.runner.InProcessRunner`). A connection with neither
is not run (one line at the start says so). Logs are JSON lines on stderr
(:mod:`ledgerlink.daemon_logs`).

Signals: the first SIGTERM or SIGINT starts no new cycle and lets the running one finish
its page and deliver what is queued, for at most ``[daemon] grace``; the daemon then exits
0 (1 when the grace ran out first). A second signal exits at once with 128 + the signal's
number (143 for SIGTERM, 130 for SIGINT): outbox rows can be left ``sending``, and the
next start recovers them. ``--once`` runs each scheduled connection one cycle and exits
(0; 1 when a cycle reported an error or a failed, held or quarantined document).

Exit codes: 0 done, 1 see above, 2 a settings error, a store that cannot be used at
start, or another daemon holding the store's lock (a fix is needed: systemd does not
restart); 3 the store failed while the daemon ran (a database restart, a lost network:
systemd restarts it, and the cycles resume from the committed cursors).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer

from ledgerlink._output import fail
from ledgerlink.cache_option import CacheOption, using_cache
from ledgerlink.store_command import StoreOption

if TYPE_CHECKING:
    from ledgerlink.daemon_http import DaemonMetrics
    from ledgerlink.daemon_reminders import DailyReminders
    from ledgerlink.settings import Settings
    from sync.control import RunControl
    from sync.pipeline import CycleSummary
    from sync.runner import Runner, StoreLock
    from sync.schedule import Schedule
    from sync.store import Store
    from sync.validation import Validator

__all__ = ["allowed_age", "daemon"]

_LOG: Final = logging.getLogger("ledgerlink.daemon")
_TROUBLED: Final = frozenset(
    {"failed", "in-doubt", "quarantined", "rejected", "changed-after-delivery"}
)
"""Document states logged as warnings."""


STORE_LOST: Final = 3
"""Exit code when the store fails while the daemon runs (systemd restarts on it)."""


def allowed_age(schedule: Schedule, grace: timedelta, backoff_cap: timedelta) -> float:
    """Seconds a connection may go without a successful cycle before ``/readyz`` says 503:
    two periods of its schedule (for cron: the gap between its next two instants), plus
    the longest back-off and the grace."""
    from sync.schedule import next_due

    if schedule.every is not None:
        period = schedule.every
    else:
        first = next_due(schedule, datetime.now(UTC))
        period = next_due(schedule, first) - first
    return (2 * period + backoff_cap + grace).total_seconds()


class _Reporter:
    """Feeds metrics and logs from each cycle's summary."""

    def __init__(self, settings: Settings, store: Store, metrics: DaemonMetrics) -> None:
        self.settings = settings
        self.store = store
        self.metrics = metrics
        self.troubled: list[str] = []
        self._started: dict[str, datetime] = {}

    def started(self, name: str) -> None:
        """A cycle of ``name`` starts now: the documents it changes are logged after it."""
        self._started[name] = datetime.now(UTC)

    def __call__(
        self, name: str, summary: CycleSummary | None, failure: BaseException | None
    ) -> None:
        if summary is None:
            self.troubled.append(name)
            _LOG.error(
                "connection %s: the cycle failed: %s: %s",
                name,
                type(failure).__name__,
                failure,
                extra={"event": "cycle-failed", "connection": name},
            )
            return
        from sync.delivery_counts import DeliveryStage, per_channel

        since = self._started.pop(name, None)
        built = max(summary.pulled - summary.held, 0)
        for stage, amount, label in (
            ("pulled", summary.pulled, ""),
            ("built", built, ""),
            ("quarantined", summary.quarantined + summary.held, ""),
        ):
            if amount:
                self.metrics.count(stage, name, label, amount)  # type: ignore[arg-type]
        split: list[tuple[DeliveryStage, str, int]] = [
            ("delivered", "", summary.delivered),
            ("failed", "", summary.failed),
        ]
        if since is not None:  # the cycle's outbox rows say which channel
            split = per_channel(
                self.store, name, since, delivered=summary.delivered, failed=summary.failed
            )
        self.metrics.count_each(name, split)
        self.metrics.set_queue_depth(name, _queue_depth(self.store, name))
        counts = summary.to_dict()
        counts.pop("error")
        if summary.error is None:
            self.metrics.succeeded(name)
        if summary.troubled:
            self.troubled.append(name)
        _LOG.log(
            logging.WARNING if summary.troubled else logging.INFO,
            "connection %s: %s",
            name,
            summary.error or ("stopped after a page" if summary.stopped else "cycle done"),
            extra={
                "event": "cycle-done" if summary.error is None else "cycle-failed",
                "connection": name,
                "stopped": summary.stopped or None,
                **counts,
            },
        )
        if since is not None:
            for number, state in _documents_since(self.store, name, since):
                _LOG.log(
                    logging.WARNING if state in _TROUBLED else logging.INFO,
                    "connection %s: document %s is %s",
                    name,
                    number,
                    state,
                    extra={"event": f"document-{state}", "connection": name, "document": number},
                )
        for finding in summary.findings:
            _LOG.warning(
                "connection %s: %s",
                name,
                finding,
                extra={"event": "finding", "connection": name},
            )


def _documents_since(store: Store, name: str, since: datetime) -> list[tuple[str, str]]:
    """(invoice number BT-1, state) of the documents of ``name`` changed since ``since``."""
    from sqlalchemy import select

    from sync.store import connections, documents

    query = (
        select(documents.c.number, documents.c.state)
        .join(connections, connections.c.id == documents.c.connection_id)
        .where(connections.c.name == name, documents.c.updated_at >= since)
        .order_by(documents.c.id)
    )
    with store.begin() as conn:
        return [(str(row.number), str(row.state)) for row in conn.execute(query)]


def _queue_depth(store: Store, name: str) -> int:
    from sqlalchemy import func, select

    from sync.store import connections, documents, outbox

    query = (
        select(func.count())
        .select_from(outbox)
        .join(documents, documents.c.id == outbox.c.document_id)
        .join(connections, connections.c.id == documents.c.connection_id)
        .where(connections.c.name == name, outbox.c.state == "queued")
    )
    with store.begin() as conn:
        return int(conn.execute(query).scalar_one())


def _cycle_for(
    settings: Settings,
    source: Path,
    store: Store,
    validator: Validator,
    reporter: _Reporter,
    daily: DailyReminders | None = None,
) -> Any:
    """The runner's :data:`~sync.runner.Cycle`: one ``sync`` cycle of a connection, then
    the day's reminders when they are the daemon's and have not run today."""
    from connectors.errors import ConfigurationError, ConnectorError
    from delivery.base import Channel, ChannelError
    from ledgerlink.credit_settings import credit_policy
    from ledgerlink.pull_command import opened
    from ledgerlink.sync_command import _channels
    from sync.pipeline import CycleSummary, sync_connection

    def cycle(name: str, control: RunControl) -> CycleSummary:
        connection = settings.connection(name)
        channels: list[Channel] = []
        reporter.started(name)
        _LOG.info(
            "connection %s: cycle started", name, extra={"event": "cycle-start", "connection": name}
        )
        try:
            channels = _channels(settings, name)
            with opened(settings, name, source) as connector:
                summary = sync_connection(
                    store,
                    name=name,
                    connector=connector,
                    kind=connection.connector,
                    profile=connection.profile,
                    lookback=connection.lookback,
                    channels=channels,
                    validator=validator,
                    control=control,
                    credit=credit_policy(settings, name),
                )
        except (ConfigurationError, ConnectorError, ChannelError) as failure:
            summary = CycleSummary(error=str(failure))
        finally:
            for channel in channels:
                channel.close()
        # The reminders read the store only: a connection whose source fails does not stop them.
        if daily is not None and not control.should_stop():
            daily.after_cycle()
        return summary

    return cycle


def daemon(
    ctx: typer.Context,
    store: StoreOption = None,
    cache: CacheOption = None,
    once: Annotated[
        bool,
        typer.Option(
            "--once", help="Run each scheduled connection one cycle, then exit (cron, tests)."
        ),
    ] = False,
) -> None:
    """Run every scheduled connection (every/cron) as a service: health, metrics, webhooks."""
    from ledgerlink import daemon_logs
    from ledgerlink.config_option import load_from

    settings, source = load_from(ctx)
    daemon_logs.configure(daemon_logs.secret_values(settings))
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with using_cache(cache):
        code = _serve(ctx, settings, source, store, cache, once=once)
    logging.shutdown()
    if code:
        raise typer.Exit(code)


def _serve(
    ctx: typer.Context,
    settings: Settings,
    source: Path,
    store_option: str | None,
    cache: Path | None,
    *,
    once: bool,
) -> int:
    from delivery.base import ChannelError
    from delivery.webhooks import webhook_secrets
    from ledgerlink.daemon_http import (
        DaemonHttp,
        DaemonMetrics,
        Readiness,
        run_channel_connections,
        store_ping,
    )
    from ledgerlink.daemon_logs import JsonFormatter
    from ledgerlink.daemon_reminders import daily_reminders
    from ledgerlink.sync_command import _store, checked
    from sync.store import StoreError
    from sync.validation import ValidationPool

    options = settings.daemon
    schedules: dict[str, Schedule] = {}
    for name in settings.connections:
        schedule = settings.connection(name).schedule
        if schedule is None:
            _LOG.info(
                "connection %s has no every or cron: the daemon does not run it "
                "(ledgerlink sync still does)",
                name,
                extra={"event": "not-scheduled", "connection": name},
            )
        else:
            schedules[name] = schedule
    if not schedules:
        fail(
            "no connection has every or cron in the settings file: the daemon has nothing to run", 2
        )
    checked(settings, list(schedules), source, cache)
    try:
        secrets = webhook_secrets(settings.channels)
    except ChannelError as failure:
        fail(f"{failure}; nothing was run", 2)
    opened = _store(ctx, store_option, create=True)
    daily = daily_reminders(settings.reminders, source.parent, dict(settings.channels), opened)
    if password := opened.engine.url.password:
        for handler in logging.getLogger().handlers:
            if isinstance(handler.formatter, JsonFormatter):
                handler.formatter.add_secrets([str(password)])
    try:
        metrics = DaemonMetrics()
        reporter = _Reporter(settings, opened, metrics)
        runner, lock = _runner(opened, settings, reporter)
        with lock:
            ping = store_ping(opened)

            def store_answers() -> None:
                ping()
                if not runner.ready():
                    raise RunnerNotReady("the runner is not ready (its engine lost the store?)")

            readiness = Readiness(
                store_answers=store_answers,
                last_successes=metrics.last_successes,
                max_age={
                    name: allowed_age(schedule, options.grace, options.backoff_cap)
                    for name, schedule in schedules.items()
                },
            )
            pool = ValidationPool(options.workers, observe=metrics.observe_validation)
            metrics.track_pool(lambda: pool.workers, lambda: pool.busy)
            http = DaemonHttp(
                options.host,
                options.port,
                metrics=metrics,
                readiness=readiness,
                store=opened,
                webhook_secrets=secrets,
                on_answer=run_channel_connections(
                    runner.run_now,
                    {name: settings.connection(name).channels for name in schedules},
                ),
            )
            http.start()
            _LOG.info(
                "daemon started on %s (lock %s, %d validation workers, %s)",
                http.url,
                lock.description,
                options.workers,
                type(runner).__name__,
                extra={
                    "event": "started",
                    "port": http.port,
                    "lock": lock.description,
                    "workers": options.workers,
                },
            )
            for name, schedule in schedules.items():
                shown = (
                    f"every {schedule.every.total_seconds():g}s"
                    if schedule.every
                    else f"cron {schedule.cron}"
                )
                _LOG.info(
                    "connection %s runs %s",
                    name,
                    shown,
                    extra={"event": "scheduled", "connection": name, "schedule": shown},
                )
            signals = _install_signals(runner)
            try:
                runner.run(
                    schedules,
                    _cycle_for(settings, source, opened, pool, reporter, daily),
                    once=once,
                )
            except StoreError as failure:
                _LOG.error(
                    "%s: the daemon stops; the cursors stay where the last committed page "
                    "left them",
                    failure,
                    extra={"event": "store-failed"},
                )
                http.stop()
                if runner.status().outcome == "grace-expired":  # a cycle runs on: not waited for
                    for handler in logging.getLogger().handlers:
                        handler.flush()
                    os._exit(STORE_LOST)
                pool.close()
                return STORE_LOST
            except Exception:
                _LOG.exception(
                    "the daemon stops on an unexpected error (a bug: please report it); the "
                    "cursors stay where the last committed page left them",
                    extra={"event": "crashed"},
                )
                http.stop()
                pool.close()
                raise
            outcome = runner.status().outcome
            http.stop()
            if outcome in ("hard-stop", "grace-expired"):
                code = 128 + signals[-1] if outcome == "hard-stop" and signals else 1
                _LOG.warning(
                    "stopped without waiting for the running cycle (exit %d): outbox rows it "
                    "was sending stay 'sending' and are recovered on the next start",
                    code,
                    extra={"event": "stopped", "outcome": outcome},
                )
                closing = threading.Thread(target=pool.close, daemon=True)
                closing.start()
                closing.join(timeout=2.0)  # the workers: not left behind when they can stop
                for handler in logging.getLogger().handlers:
                    handler.flush()
                os._exit(code)  # the cycle's thread is not waited for
            pool.close()
            _LOG.info(
                "daemon stopped (%s)", outcome, extra={"event": "stopped", "outcome": outcome}
            )
            if once and reporter.troubled:
                return 1
            return 0
    finally:
        opened.close()


class RunnerNotReady(Exception):
    """``/readyz``: the runner says it is not ready (stopping, or its engine lost the store)."""


def _runner(store: Store, settings: Settings, reporter: _Reporter) -> tuple[Runner, StoreLock]:
    """The runner of ``store`` (:func:`sync.runner.runner_for`: in-process on SQLite, the job
    engine on PostgreSQL) and its lock; exits 2 when another daemon holds a SQLite store or
    the engine cannot run on a PostgreSQL one. Each log line names this worker from now on."""
    from sync.engine_runner import EngineUnavailable
    from sync.runner import RunnerBusy, runner_for, worker_name

    holder = worker_name()
    _name_worker(holder)
    options = settings.daemon
    try:
        return runner_for(
            store,
            workers=options.workers,
            grace=options.grace,
            takeover=options.takeover,
            backoff_cap=options.backoff_cap,
            on_cycle=reporter,
            holder=holder,
        )
    except (RunnerBusy, EngineUnavailable) as busy:
        fail(str(busy), 2)


def _name_worker(holder: str) -> None:
    """Put ``worker`` on every record the daemon's handlers write (procrastinate's own
    ``worker`` field, a dict, is replaced by the id)."""

    def named(record: logging.LogRecord) -> bool:
        record.worker = holder
        return True

    for handler in logging.getLogger().handlers:
        handler.addFilter(named)
    logging.getLogger("procrastinate").setLevel(logging.WARNING)


def _install_signals(runner: Any) -> list[int]:
    """SIGTERM and SIGINT stop the runner (a second one: at once); the signals received."""
    received: list[int] = []

    def handler(signum: int, frame: object) -> None:
        received.append(signum)
        first = len(received) == 1
        _LOG.warning(
            "%s: %s",
            signal.Signals(signum).name,
            "stopping after the running page (a second signal stops at once)"
            if first
            else "stopping at once",
            extra={"event": "stop-requested" if first else "hard-stop-requested"},
        )
        runner.stop()

    for each in (signal.SIGTERM, signal.SIGINT):
        signal.signal(each, handler)
    return received
