"""The access point's status callbacks on both stores, over real HTTP on loopback: the
daemon's server takes them, checks the signature, applies them through the state machine
once, and refuses what is not signed; the emulator calls back after each answer."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from support.daemon_http import SECRET, Served, serve
from support.outbox_doubles import add_document, envelope_for

from delivery.ap_emulator import ApEmulator, Scripted
from delivery.peppol_ap import PeppolApChannel
from delivery.responses import Response
from delivery.webhooks import SIGNATURE_HEADER, callback_body, sign
from ledgerlink.daemon_http import run_channel_connections
from sync.outbox import deliver, enqueue, send_due
from sync.store import Store, documents, events, open_store, outbox


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with open_store(store_url, create=True) as opened:
        opened.ensure()
        yield opened


@pytest.fixture
def served(store: Store) -> Iterator[Served]:
    with serve(store=store) as running:
        yield running


def sent(store: Store, ap: ApEmulator, *numbers: str) -> dict[str, int]:
    """Queue each invoice for channel ``ap`` and send it to the emulator (no polling)."""
    channel = PeppolApChannel("ap", ap.url, backoff=0.0)
    ids = {}
    with store.begin() as conn:
        for number in numbers:
            document_id, source_id, digest = add_document(conn, number)
            assert enqueue(
                conn,
                document_id=document_id,
                connection="shop",
                source_id=source_id,
                content_hash=digest,
                envelope=envelope_for(number, source_id, digest),
                channels=[channel],
            )
            ids[number] = document_id
    summary = send_due(store, connection="shop", channels={"ap": channel})
    assert not summary.findings
    channel.close()
    return ids


def row(store: Store, document_id: int) -> tuple[str, str, str, str]:
    """(document state, outbox state, idempotency key, remote id)."""
    with store.begin() as conn:
        found = conn.execute(
            select(documents.c.state, outbox.c.state, outbox.c.idempotency_key, outbox.c.remote_id)
            .join(outbox, outbox.c.document_id == documents.c.id)
            .where(documents.c.id == document_id)
        ).one()
    return found[0], found[1], found[2], found[3]


def history(store: Store, document_id: int) -> list[tuple[str, str, Any]]:
    """Each event: (to state, cause, details)."""
    with store.begin() as conn:
        return [
            (r.to_state, r.cause, r.details)
            for r in conn.execute(
                select(events.c.to_state, events.c.cause, events.c.details)
                .where(events.c.document_id == document_id)
                .order_by(events.c.id)
            )
        ]


def answer(code: str, index: int, kind: str = "invoice-response", **more: Any) -> Response:
    return Response(kind=kind, code=code, id=f"r{index}", document_id="INV-1", **more)  # type: ignore[arg-type]


def test_the_emulators_signed_callbacks_move_the_document_once_each(
    store: Store, served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with ApEmulator(callback_url=served.hook(), callback_secret=SECRET) as ap:
        ids = sent(store, ap, "INV-1")
        assert ap.wait_callbacks(timeout=15)
        document_id = ids["INV-1"]
        # default script: MLR AB, Invoice Response AB, Invoice Response AP
        assert row(store, document_id)[:2] == ("accepted", "accepted")
        answered = history(store, document_id)
        assert [(state, cause) for state, cause, _ in answered] == [
            ("queued", "outbox: channel ap"),
            ("sent", "channel ap"),
            ("delivered", "channel ap: mlr AB"),
            ("delivered", "channel ap: invoice-response AB"),
            ("accepted", "channel ap: invoice-response AP"),
        ]
        webhook_events = [d["webhook_event_id"] for _, _, d in answered if "webhook_event_id" in d]
        assert len(webhook_events) == 3 == len(set(webhook_events))
        final = [a for a in ap.callbacks if a.status == 200]
        assert sorted(a.event_id for a in final) == sorted(webhook_events)
        assert all(a.status in (200, 409) for a in ap.callbacks)  # 409: sent, not recorded yet

        # the access point sends one again: a replay, nothing changes
        ap.replay(final[0].event_id)
        assert ap.wait_callbacks(timeout=15)
        assert ap.callbacks[-1].status == 200
        assert history(store, document_id) == answered

        # polling afterwards finds the same answers (same response ids): nothing new
        channel = PeppolApChannel("ap", ap.url, backoff=0.0)
        summary = deliver(store, connection="shop", channels={"ap": channel}, source=None)
        channel.close()
        assert not summary.findings
        assert history(store, document_id) == answered
    assert served.callbacks()[("ap", "applied")] == 3
    assert served.callbacks()[("ap", "replayed")] == 1
    lines = [r.getMessage() for r in caplog.records]
    assert not [line for line in lines if SECRET in line]


def test_a_callback_by_hand_is_applied_and_its_replay_changes_nothing(
    store: Store, served: Served
) -> None:
    with ApEmulator(script=lambda number: []) as ap:  # no answers of its own
        document_id = sent(store, ap, "INV-1")["INV-1"]
    _, _, key, remote_id = row(store, document_id)
    body = callback_body("evt-1", answer("AP", 1), idempotency_key=key)
    first = served.post(body)
    assert first.status_code == 200, first.text
    assert first.json()["result"] == "applied" and first.json()["state"] == "accepted"
    after = history(store, document_id)
    assert row(store, document_id)[:2] == ("accepted", "accepted")

    again = served.post(body)  # the same callback: same event id
    assert again.status_code == 200 and again.json()["result"] == "replayed"
    # the same answer under a new event id, by remote id this time: applied already
    same = served.post(callback_body("evt-2", answer("AP", 1), remote_id=remote_id))
    assert same.status_code == 200 and same.json()["result"] == "replayed"
    assert history(store, document_id) == after
    assert row(store, document_id)[:2] == ("accepted", "accepted")

    # a later answer goes on from the state the first one left: PD -> paid
    paid = served.post(callback_body("evt-3", answer("PD", 2), remote_id=remote_id))
    assert paid.json()["state"] == "paid"
    assert len(history(store, document_id)) == len(after) + 1


def test_an_answer_the_code_rules_refuse_is_recorded_with_a_finding(
    store: Store, served: Served
) -> None:
    with ApEmulator(script=lambda number: []) as ap:
        document_id = sent(store, ap, "INV-1")["INV-1"]
    key = row(store, document_id)[2]
    assert (
        served.post(callback_body("evt-1", answer("RE", 1), idempotency_key=key)).json()["state"]
        == "rejected"
    )
    refused = served.post(callback_body("evt-2", answer("AP", 2), idempotency_key=key))
    assert refused.status_code == 200
    assert refused.json()["result"] == "refused"
    assert refused.json()["findings"][0]["rule"] == "TRANSITION-REFUSED"
    assert "nothing may follow RE or PD" in refused.json()["findings"][0]["message"]
    assert row(store, document_id)[:2] == ("rejected", "rejected")
    state, cause, details = history(store, document_id)[-1]
    assert (state, cause, details["webhook_event_id"]) == (
        "rejected",
        "channel ap: refused answer",
        "evt-2",
    )
    # its replay is recognised too
    assert (
        served.post(callback_body("evt-2", answer("AP", 2), idempotency_key=key)).json()["result"]
        == "replayed"
    )


def test_a_callback_for_a_document_the_channel_does_not_know_is_a_finding(
    store: Store, served: Served
) -> None:
    with ApEmulator(script=lambda number: []) as ap:
        document_id = sent(store, ap, "INV-1")["INV-1"]
    before = history(store, document_id)
    answer_ = served.post(callback_body("evt-1", answer("AP", 1), idempotency_key="no-such-key"))
    assert answer_.status_code == 422
    assert answer_.json()["result"] == "unknown"
    found = answer_.json()["findings"][0]
    assert found["rule"] == "WEBHOOK-UNKNOWN-DOCUMENT"
    assert "idempotency key no-such-key" in found["message"]
    # the right key with a remote id that is not the recorded one
    key = row(store, document_id)[2]
    wrong = served.post(
        callback_body("evt-2", answer("AP", 1), idempotency_key=key, remote_id="doc-999")
    )
    assert wrong.status_code == 422 and "doc-999" in wrong.json()["message"]
    assert history(store, document_id) == before


def test_a_callback_before_the_send_is_recorded_is_to_be_tried_again(
    store: Store, served: Served, tmp_path: Any
) -> None:
    with ApEmulator(script=lambda number: []) as ap:
        channel = PeppolApChannel("ap", ap.url)
        with store.begin() as conn:
            document_id, source_id, digest = add_document(conn, "INV-1")
            envelope = envelope_for("INV-1", source_id, digest)
            enqueue(
                conn,
                document_id=document_id,
                connection="shop",
                source_id=source_id,
                content_hash=digest,
                envelope=envelope,
                channels=[channel],
            )
        channel.close()
    before = history(store, document_id)
    early = served.post(
        callback_body(
            "evt-1", answer("AB", 1, kind="mlr"), idempotency_key=envelope.idempotency_key
        )
    )
    assert early.status_code == 409 and early.headers["retry-after"] == "1"
    assert early.json()["result"] == "not-sent"
    assert history(store, document_id) == before


@pytest.mark.parametrize("signature", [None, "", "sha256=" + "0" * 64, "sha256=nothex", "other"])
def test_a_missing_or_bad_signature_is_401_and_logged_without_the_body(
    store: Store, served: Served, signature: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ledgerlink")
    with ApEmulator(script=lambda number: []) as ap:
        document_id = sent(store, ap, "INV-1")["INV-1"]
    before = history(store, document_id)
    key = row(store, document_id)[2]
    body = callback_body("evt-secretive-body", answer("PD", 1), idempotency_key=key)
    refused = served.post(body, signature=signature)
    assert refused.status_code == 401
    assert SECRET not in refused.text
    assert history(store, document_id) == before
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("ledgerlink")]
    refusals = [line for line in lines if "signature, refused" in line]
    assert len(refusals) == 1
    assert all("evt-secretive-body" not in line and key not in line for line in lines)
    assert all(SECRET not in line for line in lines)
    # signed with another secret: refused as well
    assert served.post(body, signature=sign("not-the-secret", body)).status_code == 401
    assert served.callbacks()[("ap", "bad-signature")] == 2


def test_the_emulators_unsigned_callbacks_are_refused_and_nothing_moves(
    store: Store, served: Served
) -> None:
    with ApEmulator(callback_url=served.hook(), callback_secret=None) as ap:
        document_id = sent(store, ap, "INV-1")["INV-1"]
        assert ap.wait_callbacks(timeout=15)
        assert {a.status for a in ap.callbacks} == {401}
        assert len(ap.callbacks) == 3  # a 401 is not tried again
    assert row(store, document_id)[:2] == ("sent", "sent")


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"{", "no JSON"),
        (b'{"event_id": "e1", "at": "2026-03-01T10:00:00Z"}', "'idempotency_key' or 'remote_id'"),
        (
            json.dumps(
                {"event_id": "e1", "remote_id": "d", "at": "2026-03-01T10:00:00Z", "response": {}}
            ).encode(),
            "'type'",
        ),
    ],
)
def test_a_signed_bad_body_is_400_naming_the_field(
    store: Store, served: Served, body: bytes, says: str
) -> None:
    refused = served.post(body)
    assert refused.status_code == 400
    assert says in refused.json()["error"]


def test_a_body_over_the_limit_is_413_unread(store: Store, served: Served) -> None:
    big = b" " * (1024 * 1024 + 1)
    assert served.post(big).status_code == 413
    assert served.client.get("/healthz").status_code == 200


def test_a_channel_without_a_secret_takes_no_callbacks(store: Store, served: Served) -> None:
    body = callback_body("evt-1", answer("AP", 1), idempotency_key="k")
    assert served.post(body, channel="archive").status_code == 404


def test_the_same_callback_arriving_at_once_is_recorded_once(store: Store, served: Served) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ApEmulator(script=lambda number: []) as ap:
        document_id = sent(store, ap, "INV-1")["INV-1"]
    before = len(history(store, document_id))
    body = callback_body("evt-1", answer("AP", 1), idempotency_key=row(store, document_id)[2])

    def post(_: int) -> str:
        with httpx.Client(base_url=served.server.url, timeout=10) as client:
            headers = {SIGNATURE_HEADER: sign(SECRET, body)}
            answered = client.post("/webhooks/ap", content=body, headers=headers)
            assert answered.status_code == 200
            return str(answered.json()["result"])

    with ThreadPoolExecutor(8) as pool:
        results = sorted(pool.map(post, range(8)))
    assert results == ["applied"] + ["replayed"] * 7
    assert len(history(store, document_id)) == before + 1


def test_an_answer_added_later_is_called_back_too(store: Store, served: Served) -> None:
    script = lambda number: [Scripted("mlr", "AB")]  # noqa: E731
    with ApEmulator(script=script, callback_url=served.hook(), callback_secret=SECRET) as ap:
        document_id = sent(store, ap, "INV-1")["INV-1"]
        assert ap.wait_callbacks(timeout=15)
        assert row(store, document_id)[:2] == ("delivered", "delivered")
        ap.respond(ap.documents[0].id, "invoice-response", "PD")
        assert ap.wait_callbacks(timeout=15)
    assert row(store, document_id)[:2] == ("paid", "paid")
    assert history(store, document_id)[-1][1] == "channel ap: invoice-response PD"


def test_callbacks_refused_as_early_are_tried_again_until_the_send_is_recorded(
    store: Store, served: Served
) -> None:
    with ApEmulator(
        callback_url=served.hook(),
        callback_secret=SECRET,
        callback_attempts=40,
        callback_backoff=0.05,
        script=lambda number: [Scripted("mlr", "AB")],
    ) as ap:
        channel = PeppolApChannel("ap", ap.url, backoff=0.0)
        with store.begin() as conn:
            document_id, source_id, digest = add_document(conn, "INV-1")
            envelope = envelope_for("INV-1", source_id, digest)
            enqueue(
                conn,
                document_id=document_id,
                connection="shop",
                source_id=source_id,
                content_hash=digest,
                envelope=envelope,
                channels=[channel],
            )
        channel.send(envelope)  # the access point has it; the outbox row is still queued
        deadline = 50
        while not any(a.status == 409 for a in ap.callbacks) and deadline:
            deadline -= 1
            ap.wait_callbacks(timeout=0.1)
        assert [a.status for a in ap.callbacks][:1] == [409]
        send_due(store, connection="shop", channels={"ap": channel})  # same key: no new send
        channel.close()
        assert ap.wait_callbacks(timeout=30)
        assert ap.post_count(envelope.idempotency_key) == 2
        assert ap.callbacks[-1].status == 200
    assert row(store, document_id)[:2] == ("delivered", "delivered")


def test_on_answer_hears_of_each_recorded_callback_once_and_of_nothing_else(
    store: Store, served: Served
) -> None:
    with ApEmulator(script=lambda number: []) as ap:
        document_id = sent(store, ap, "INV-1")["INV-1"]
    key = row(store, document_id)[2]
    body = callback_body("evt-1", answer("RE", 1), idempotency_key=key)
    assert served.post(body, signature="sha256=" + "0" * 64).status_code == 401
    assert served.post(b"{}").status_code == 400
    assert (
        served.post(callback_body("evt-0", answer("AP", 1), idempotency_key="no")).status_code
        == 422
    )
    assert served.answered == []
    assert served.post(body).json()["result"] == "applied"
    assert served.answered == ["ap"]
    assert served.post(body).json()["result"] == "replayed"
    assert served.answered == ["ap"]
    refused = served.post(callback_body("evt-2", answer("AP", 2), idempotency_key=key))
    assert refused.json()["result"] == "refused"  # recorded with its finding: an event to push
    assert served.answered == ["ap", "ap"]


def test_on_answer_runs_the_connections_of_the_callbacks_channel(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    runs: list[str] = []
    on_answer = run_channel_connections(
        runs.append, {"shop": ["archive", "ap"], "erp": ["archive"], "web": ["ap"]}
    )
    with ApEmulator(script=lambda number: []) as ap:
        document_id = sent(store, ap, "INV-1")["INV-1"]
    key = row(store, document_id)[2]
    with serve(store=store, on_answer=on_answer) as served:
        body = callback_body("evt-1", answer("AB", 1, kind="mlr"), idempotency_key=key)
        assert served.post(body).status_code == 200
        assert runs == ["shop", "web"]

        def broken(channel: str) -> None:
            raise RuntimeError(f"runner gone, {SECRET}")

        served.server.on_answer = broken
        with caplog.at_level(logging.ERROR):
            late = served.post(callback_body("evt-2", answer("AP", 2), idempotency_key=key))
        assert late.status_code == 200 and late.json()["result"] == "applied"
    assert row(store, document_id)[:2] == ("accepted", "accepted")
    assert "on_answer failed (RuntimeError)" in caplog.text
    assert SECRET not in caplog.text


def test_a_callback_makes_the_runner_run_that_channels_connections_now(store: Store) -> None:
    """The wiring the daemon uses, with a real runner: connections scheduled hourly ran
    once at the start; a recorded callback on channel ap makes the one using ap run again
    now, not the one without it, and a replay does not."""
    from datetime import timedelta

    from sync.pipeline import CycleSummary
    from sync.runner import InProcessRunner
    from sync.schedule import Schedule

    ran: list[str] = []
    changed = threading.Condition()

    def cycle(name: str, control: object) -> CycleSummary:
        with changed:
            ran.append(name)
            changed.notify_all()
        return CycleSummary()

    def runs(expected: int) -> list[str]:
        with changed:
            assert changed.wait_for(lambda: len(ran) >= expected, timeout=10), ran
            return list(ran)

    runner = InProcessRunner(grace=timedelta(seconds=5))
    hourly = Schedule(every=timedelta(hours=1))
    thread = threading.Thread(target=runner.run, args=({"shop": hourly, "erp": hourly}, cycle))
    thread.start()
    try:
        assert sorted(runs(2)) == ["erp", "shop"]
        with ApEmulator(script=lambda number: []) as ap:
            document_id = sent(store, ap, "INV-1")["INV-1"]
        key = row(store, document_id)[2]
        on_answer = run_channel_connections(runner.run_now, {"shop": ["ap"], "erp": ["archive"]})
        with serve(store=store, on_answer=on_answer) as served:
            body = callback_body("evt-1", answer("AB", 1, kind="mlr"), idempotency_key=key)
            assert served.post(body).json()["result"] == "applied"
            assert runs(3)[2:] == ["shop"]
            assert served.post(body).json()["result"] == "replayed"
            time.sleep(0.3)  # a replay would have made shop due at once: it stays at 3 runs
            assert len(ran) == 3 and ran[2] == "shop"
    finally:
        runner.stop()
        thread.join(10)
    assert not thread.is_alive()
