"""The outbox on both stores: one send per idempotency key, recovery after a crash by
asking the channel, the retry budget, answers through the state machine, and each event
pushed to the source once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from support.outbox_doubles import FileChannel, NoteSource, add_document, envelope_for

import sync.outbox
from sync.outbox import RetryBudget, ToQueue, deliver, enqueue, enqueue_batch, record_event
from sync.recover import NotInDoubt, resolve
from sync.store import Store, documents, events, open_store, outbox


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with open_store(store_url, create=True) as opened:
        opened.ensure()
        yield opened


class Crash(BaseException):
    """Stands in for a kill at a checkpoint: nothing catches it."""


def queue(store: Store, channel: FileChannel, *numbers: str) -> dict[str, int]:
    ids = {}
    with store.begin() as conn:
        for number in numbers:
            document_id, source_id, digest = add_document(conn, number)
            envelope = envelope_for(number, source_id, digest)
            assert enqueue(
                conn,
                document_id=document_id,
                connection="shop",
                source_id=source_id,
                content_hash=digest,
                envelope=envelope,
                channels=[channel],
            )
            ids[number] = document_id
    return ids


def states(store: Store) -> dict[str, str]:
    with store.begin() as conn:
        rows = conn.execute(select(documents.c.number, documents.c.state)).all()
    return {number: state for number, state in rows}


def history(store: Store, document_id: int) -> list[str]:
    with store.begin() as conn:
        return list(
            conn.execute(
                select(events.c.to_state)
                .where(events.c.document_id == document_id)
                .order_by(events.c.id)
            ).scalars()
        )


def test_enqueue_takes_each_idempotency_key_once(store: Store, tmp_path: Path) -> None:
    channel = FileChannel(tmp_path / "ap")
    with store.begin() as conn:
        document_id, source_id, digest = add_document(conn, "INV-1")
        arguments = {
            "document_id": document_id,
            "connection": "shop",
            "source_id": source_id,
            "content_hash": digest,
            "envelope": envelope_for("INV-1", source_id, digest),
            "channels": [channel],
        }
        assert enqueue(conn, **arguments) is True
        assert enqueue(conn, **arguments) is False
        assert conn.execute(select(outbox.c.channel, outbox.c.state)).all() == [("ap", "queued")]
    assert history(store, document_id) == ["queued"]


def test_a_batch_is_queued_as_one_by_one_would_queue_it(store: Store, tmp_path: Path) -> None:
    channel = FileChannel(tmp_path / "ap", accept=lambda envelope: envelope.number != "INV-3")
    with store.begin() as conn:
        items = []
        for number in ("INV-1", "INV-2", "INV-3"):
            document_id, source_id, digest = add_document(conn, number)
            items.append(
                ToQueue(document_id, source_id, digest, envelope_for(number, source_id, digest))
            )
        assert enqueue_batch(conn, items[:1], connection="shop", channels=[channel]) == ["queued"]
        done = enqueue_batch(
            conn, [*items, items[1]], connection="shop", channels=[channel]
        )  # INV-1 is in the outbox already; INV-2 comes twice in the batch
        assert done == ["known", "queued", "no-channel", "known"]
        queued = conn.execute(select(outbox.c.document_id).order_by(outbox.c.id)).scalars()
        assert list(queued) == [items[0].document_id, items[1].document_id]
    assert [history(store, item.document_id) for item in items] == [
        ["queued"],
        ["queued"],
        ["failed"],
    ]
    assert states(store) == {"INV-1": "queued", "INV-2": "queued", "INV-3": "failed"}


def test_the_first_channel_that_accepts_is_chosen_and_none_fails_the_document(
    store: Store, tmp_path: Path
) -> None:
    peppol = FileChannel(tmp_path / "ap", accept=lambda envelope: envelope.number != "INV-2")
    mail = FileChannel(tmp_path / "mail", name="mail", accept=lambda envelope: False)
    with store.begin() as conn:
        for number in ("INV-1", "INV-2"):
            document_id, source_id, digest = add_document(conn, number)
            enqueue(
                conn,
                document_id=document_id,
                connection="shop",
                source_id=source_id,
                content_hash=digest,
                envelope=envelope_for(number, source_id, digest),
                channels=[mail, peppol],
            )
        failed = conn.execute(
            select(events.c.details).where(events.c.to_state == "failed")
        ).scalar_one()
        assert conn.execute(select(outbox.c.channel)).scalars().all() == ["ap"]
    assert states(store) == {"INV-1": "queued", "INV-2": "failed"}
    assert "no channel of connection shop accepts invoice INV-2" in failed["reason"]


def test_deliver_sends_once_records_the_answers_and_pushes_each_event_once(
    store: Store, tmp_path: Path
) -> None:
    channel = FileChannel(tmp_path / "ap")
    source = NoteSource(tmp_path / "source")
    ids = queue(store, channel, "INV-1", "INV-2")

    summary = deliver(store, connection="shop", channels={"ap": channel}, source=source)
    again = deliver(store, connection="shop", channels={"ap": channel}, source=source)

    assert (summary.delivered, summary.failed, summary.in_doubt) == (2, 0, 0)
    assert summary.pushed == 8  # queued, sent, delivered (MLR AP), accepted (IR AP) each
    assert (again.delivered, again.pushed) == (0, 0)
    assert all(count == 1 for count in channel.sends().values()) and len(channel.sends()) == 2
    assert history(store, ids["INV-1"]) == ["queued", "sent", "delivered", "accepted"]
    assert states(store) == {"INV-1": "accepted", "INV-2": "accepted"}
    notes = source.notes()
    assert [note["status"] for note in notes if note["record"] == "rec-INV-1"] == [
        "queued",
        "sent",
        "delivered",
        "accepted",
    ]
    assert source.calls() == 8


def test_a_crash_after_the_send_is_recovered_by_asking_the_channel_never_by_sending_again(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = FileChannel(tmp_path / "ap", answers=())
    ids = queue(store, channel, "INV-1")

    def crash(point: str) -> None:
        if point == "sent":
            raise Crash(point)

    monkeypatch.setattr(sync.outbox, "checkpoint", crash)
    with pytest.raises(Crash):
        deliver(store, connection="shop", channels={"ap": channel}, source=None)
    assert states(store) == {"INV-1": "queued"}  # the send is not recorded ...
    with store.begin() as conn:
        assert conn.execute(select(outbox.c.state)).scalar_one() == "sending"  # ... but visible
    monkeypatch.setattr(sync.outbox, "checkpoint", lambda point: None)

    summary = deliver(store, connection="shop", channels={"ap": channel}, source=None)

    assert summary.delivered == 1
    assert channel.sends() == {envelope_key(store): 1}
    assert channel.tries == ["INV-1"]
    assert history(store, ids["INV-1"]) == ["queued", "sent"]


def envelope_key(store: Store) -> str:
    with store.begin() as conn:
        return str(conn.execute(select(outbox.c.idempotency_key)).scalar_one())


def test_a_crash_before_the_send_sends_it_on_the_next_run(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = FileChannel(tmp_path / "ap", answers=())
    queue(store, channel, "INV-1")

    def crash(point: str) -> None:
        if point == "claimed":
            raise Crash(point)

    monkeypatch.setattr(sync.outbox, "checkpoint", crash)
    with pytest.raises(Crash):
        deliver(store, connection="shop", channels={"ap": channel}, source=None)
    monkeypatch.setattr(sync.outbox, "checkpoint", lambda point: None)

    summary = deliver(store, connection="shop", channels={"ap": channel}, source=None)

    assert summary.delivered == 1
    assert channel.sends() == {envelope_key(store): 1}
    assert states(store) == {"INV-1": "sent"}


def test_a_crash_on_a_channel_that_cannot_be_asked_leaves_it_in_doubt_for_the_user(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = FileChannel(tmp_path / "mail", name="mail", can_ask=False, answers=())
    ids = queue(store, channel, "INV-1", "INV-2")

    def crash(point: str) -> None:
        if point == "sent":
            raise Crash(point)

    monkeypatch.setattr(sync.outbox, "checkpoint", crash)
    for _ in range(2):
        with pytest.raises(Crash):
            deliver(store, connection="shop", channels={"mail": channel}, source=None)
    monkeypatch.setattr(sync.outbox, "checkpoint", lambda point: None)

    summary = deliver(store, connection="shop", channels={"mail": channel}, source=None)
    assert summary.in_doubt == 1  # INV-2; the second crashed run found INV-1 already
    assert states(store) == {"INV-1": "in-doubt", "INV-2": "in-doubt"}
    assert len(channel.tries) == 2  # nothing sent again on its own

    assert resolve(store, "INV-1", decision="sent").state == "sent"
    assert resolve(store, "INV-2", decision="resend", connection="shop").state == "queued"
    with pytest.raises(NotInDoubt, match=r"INV-1 is not in doubt \(it is sent\)"):
        resolve(store, "INV-1", decision="sent")
    with pytest.raises(NotInDoubt, match="no document INV-9"):
        resolve(store, "INV-9", decision="sent")

    deliver(store, connection="shop", channels={"mail": channel}, source=None)
    assert channel.tries == ["INV-1", "INV-2", "INV-2"]  # only the resend went out again
    assert history(store, ids["INV-1"]) == ["queued", "in-doubt", "sent"]
    assert history(store, ids["INV-2"]) == ["queued", "in-doubt", "queued", "sent"]


def test_an_unavailable_channel_is_retried_within_the_budget_then_the_document_fails(
    store: Store, tmp_path: Path
) -> None:
    channel = FileChannel(tmp_path / "ap", down=3, answers=())
    queue(store, channel, "INV-1")
    budget = RetryBudget(attempts=3, backoff=timedelta(0))

    first = deliver(store, connection="shop", channels={"ap": channel}, source=None, budget=budget)
    with store.begin() as conn:
        row = conn.execute(select(outbox)).one()
    assert (first.retrying, row.state, row.attempts) == (1, "queued", 1)
    assert "HTTP 503" in row.last_error and row.next_attempt_at is not None

    deliver(store, connection="shop", channels={"ap": channel}, source=None, budget=budget)
    last = deliver(store, connection="shop", channels={"ap": channel}, source=None, budget=budget)

    assert last.failed == 1
    assert states(store) == {"INV-1": "failed"}
    with store.begin() as conn:
        reason = conn.execute(select(outbox.c.last_error)).scalar_one()
    assert "stayed unavailable after 3 attempts" in reason and "HTTP 503" in reason
    assert channel.sends() == {}


def test_a_retry_waits_for_its_next_attempt_time(store: Store, tmp_path: Path) -> None:
    channel = FileChannel(tmp_path / "ap", down=1, answers=())
    queue(store, channel, "INV-1")
    budget = RetryBudget(attempts=3, backoff=timedelta(hours=1))

    deliver(store, connection="shop", channels={"ap": channel}, source=None, budget=budget)
    deliver(store, connection="shop", channels={"ap": channel}, source=None, budget=budget)

    assert channel.tries == ["INV-1"]  # the second run did not try before the backoff ran out
    assert RetryBudget(backoff=timedelta(seconds=30)).delay(3) == timedelta(minutes=2)
    assert RetryBudget(max_backoff=timedelta(minutes=1)).delay(9) == timedelta(minutes=1)


def test_a_refusal_fails_the_document_at_once_and_the_rest_goes_on(
    store: Store, tmp_path: Path
) -> None:
    channel = FileChannel(tmp_path / "ap", refuse=frozenset({"INV-1"}), answers=())
    queue(store, channel, "INV-1", "INV-2")

    summary = deliver(store, connection="shop", channels={"ap": channel}, source=None)

    assert (summary.failed, summary.delivered) == (1, 1)
    assert states(store) == {"INV-1": "failed", "INV-2": "sent"}
    with store.begin() as conn:
        reason = conn.execute(
            select(outbox.c.last_error).where(outbox.c.state == "failed")
        ).scalar_one()
    assert "refused it" in reason and "HTTP 422 unknown receiver" in reason


def test_an_answer_the_state_machine_refuses_is_a_finding_not_a_crash(
    store: Store, tmp_path: Path
) -> None:
    from delivery.base import DeliveryState

    answers = (
        (DeliveryState.ACCEPTED, "invoice-response", "AP"),
        (DeliveryState.DELIVERED, "invoice-response", "UQ"),  # UQ after AP: refused
    )
    channel = FileChannel(tmp_path / "ap", answers=answers)
    source = NoteSource(tmp_path / "source")
    ids = queue(store, channel, "INV-1")

    summary = deliver(store, connection="shop", channels={"ap": channel}, source=source)
    again = deliver(store, connection="shop", channels={"ap": channel}, source=source)

    assert [finding.rule for finding in summary.findings] == ["TRANSITION-REFUSED"]
    assert "AP may only be followed by PD" in summary.findings[0].message
    assert again.findings == []  # recorded once, by its response id
    assert states(store) == {"INV-1": "accepted"}
    assert history(store, ids["INV-1"]) == ["queued", "sent", "accepted", "accepted"]
    assert [note["status"] for note in source.notes()] == ["queued", "sent", "accepted"]


def test_a_failed_push_is_a_finding_and_goes_out_once_on_the_next_run(
    store: Store, tmp_path: Path
) -> None:
    channel = FileChannel(tmp_path / "ap", answers=())
    source = NoteSource(tmp_path / "source", fail=1)
    queue(store, channel, "INV-1", "INV-2")

    first = deliver(store, connection="shop", channels={"ap": channel}, source=source)
    second = deliver(store, connection="shop", channels={"ap": channel}, source=source)

    assert [finding.rule for finding in first.findings] == ["PUSH-FAILED"]
    assert (first.pushed, second.pushed) == (2, 2)  # INV-1 waited, in order; INV-2 went on
    pushed = [(note["record"], note["status"]) for note in source.notes()]
    assert sorted(pushed) == [
        ("rec-INV-1", "queued"),
        ("rec-INV-1", "sent"),
        ("rec-INV-2", "queued"),
        ("rec-INV-2", "sent"),
    ]
    assert pushed.index(("rec-INV-1", "queued")) < pushed.index(("rec-INV-1", "sent"))


def test_a_push_repeated_after_a_crash_is_one_note_at_the_source(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = FileChannel(tmp_path / "ap", answers=())
    source = NoteSource(tmp_path / "source")
    queue(store, channel, "INV-1")

    def crash(point: str) -> None:
        if point == "pushed":
            raise Crash(point)

    monkeypatch.setattr(sync.outbox, "checkpoint", crash)
    with pytest.raises(Crash):
        deliver(store, connection="shop", channels={"ap": channel}, source=source)
    monkeypatch.setattr(sync.outbox, "checkpoint", lambda point: None)
    deliver(store, connection="shop", channels={"ap": channel}, source=source)

    assert source.calls() == 3  # the first push went out twice ...
    assert [note["status"] for note in source.notes()] == ["queued", "sent"]  # ... one note


def test_a_validation_rejection_is_pushed_with_its_rule_ids_and_fix_hints(
    store: Store, tmp_path: Path
) -> None:
    from model.findings import Finding

    source = NoteSource(tmp_path / "source")
    finding = Finding(
        rule="BR-CO-15",
        layer="schematron",
        message="amount due with VAT (BT-112) is 1310.00, the rules derive 1210.00",
        hint="correct the invoice total in the source",
    )
    with store.begin() as conn:
        document_id, _, _ = add_document(conn, "INV-1")
        record_event(
            conn,
            document_id=document_id,
            state="quarantined",
            cause="validation",
            details={"findings": [finding.to_dict()]},
        )

    deliver(store, connection="shop", channels={}, source=source)

    [note] = source.notes()
    assert note["status"] == "rejected-by-validation"
    assert "BR-CO-15: amount due with VAT" in note["message"]
    assert "fix: correct the invoice total in the source" in note["message"]
    assert states(store) == {"INV-1": "quarantined"}


def test_events_of_another_connection_are_left_alone(store: Store, tmp_path: Path) -> None:
    channel = FileChannel(tmp_path / "ap", answers=())
    queue(store, channel, "INV-1")

    summary = deliver(store, connection="other", channels={"ap": channel}, source=None)

    assert summary.delivered == 0 and channel.sends() == {}


def test_two_workers_at_once_never_send_one_document_twice(store: Store, tmp_path: Path) -> None:
    import threading

    channel = FileChannel(tmp_path / "ap", answers=())
    numbers = [f"INV-{index:02d}" for index in range(40)]
    queue(store, channel, *numbers)
    summaries = []
    failures: list[BaseException] = []

    def work() -> None:
        try:
            summaries.append(
                deliver(store, connection="shop", channels={"ap": channel}, source=None)
            )
        except BaseException as failure:
            failures.append(failure)

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)

    assert not failures and len(summaries) == 2
    assert sum(summary.delivered for summary in summaries) == len(numbers)
    assert len(channel.sends()) == len(numbers) and set(channel.sends().values()) == {1}
    assert set(states(store).values()) == {"sent"}


def test_a_row_its_worker_records_while_another_waits_for_it_is_not_recovered_again(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = FileChannel(tmp_path / "ap", answers=())
    ids = queue(store, channel, "INV-1")

    def crash(point: str) -> None:
        if point == "sent":
            raise Crash(point)

    monkeypatch.setattr(sync.outbox, "checkpoint", crash)
    with pytest.raises(Crash):
        deliver(store, connection="shop", channels={"ap": channel}, source=None)
    monkeypatch.setattr(sync.outbox, "checkpoint", lambda point: None)
    take = sync.outbox._Locks.take

    def recorded_first(locks: sync.outbox._Locks, outbox_id: int) -> bool:
        # the worker that sent it records it and lets go just before this run takes it
        with store.begin() as conn:
            conn.execute(outbox.update().values(state="sent"))
            record_event(conn, document_id=ids["INV-1"], state="sent", cause="the other worker")
        return take(locks, outbox_id)

    monkeypatch.setattr(sync.outbox._Locks, "take", recorded_first)
    summary = deliver(store, connection="shop", channels={"ap": channel}, source=None)

    assert summary.delivered == 0
    assert history(store, ids["INV-1"]) == ["queued", "sent"]


def test_the_claim_query_does_not_grow_with_the_rows_a_run_has_handled(
    store: Store, tmp_path: Path
) -> None:
    from sqlalchemy import event

    channel = FileChannel(tmp_path / "ap", answers=())
    numbers = [f"INV-{index:03d}" for index in range(250)]
    queue(store, channel, *numbers)
    statements: list[int] = []

    def count(conn: object, cursor: object, statement: str, parameters: object, *_: object) -> None:
        if not statement.startswith("BEGIN"):
            statements.append(len(parameters) if isinstance(parameters, dict | list | tuple) else 0)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        summary = deliver(store, connection="shop", channels={"ap": channel}, source=None)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)

    assert summary.delivered == len(numbers)
    assert set(channel.sends().values()) == {1}
    # a claim that excluded every row handled so far would bind ~250 ids by the end
    assert max(statements) < 120
    # the claim, the envelopes (also for the poll) and the row locks are read per batch,
    # not per document
    assert len(statements) / len(numbers) < 7


def test_a_row_of_a_claimed_batch_that_is_no_longer_queued_when_it_is_marked_is_not_sent(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = FileChannel(tmp_path / "ap", answers=())
    ids = queue(store, channel, "INV-1", "INV-2", "INV-3")
    claim = sync.outbox._claim_batch

    def cancel_the_second(*args: Any) -> Any:
        claimed = claim(*args)
        # the pipeline replaces INV-2's document between the claim and the mark
        with store.begin() as conn:
            conn.execute(
                outbox.update()
                .where(outbox.c.document_id == ids["INV-2"], outbox.c.state == "queued")
                .values(state="cancelled")
            )
        return claimed

    monkeypatch.setattr(sync.outbox, "_claim_batch", cancel_the_second)
    summary = deliver(store, connection="shop", channels={"ap": channel}, source=None)

    assert summary.delivered == 2
    assert len(channel.sends()) == 2 and set(channel.sends().values()) == {1}
    assert channel.tries == ["INV-1", "INV-3"]
    assert states(store)["INV-2"] == "queued" and states(store)["INV-1"] == "sent"


def test_a_batch_is_marked_sending_before_any_of_it_is_sent_and_a_crash_sends_none_twice(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = FileChannel(tmp_path / "ap", answers=())
    queue(store, channel, "INV-1", "INV-2", "INV-3")
    seen: list[tuple[str, list[str]]] = []

    def crash_after_the_second_receipt(point: str) -> None:
        with store.begin() as conn:
            seen.append((point, sorted(conn.execute(select(outbox.c.state)).scalars())))
        if point == "sent" and len(channel.sends()) == 3 and len(seen) == 5:
            raise Crash(point)

    monkeypatch.setattr(sync.outbox, "checkpoint", crash_after_the_second_receipt)
    with pytest.raises(Crash):
        deliver(store, connection="shop", channels={"ap": channel}, source=None)
    # the whole batch was sending at its first claim, and all of it was sent before the
    # first record: the crash leaves three rows for the next run to ask about
    assert seen[0] == ("claimed", ["sending"] * 3)
    assert [point for point, _ in seen] == ["claimed"] * 3 + ["sent"] * 2
    monkeypatch.setattr(sync.outbox, "checkpoint", lambda point: None)

    summary = deliver(store, connection="shop", channels={"ap": channel}, source=None)

    assert summary.delivered == 3 and set(channel.sends().values()) == {1}
    assert channel.tries == ["INV-1", "INV-2", "INV-3"]  # found by asking, not sent again
    assert set(states(store).values()) == {"sent"}
