"""delivery.base.send_batch and can_ask: the seam the outbox sends batches through."""

from __future__ import annotations

from pathlib import Path

import pytest

from delivery.base import (
    ChannelRefused,
    ChannelUnavailable,
    DeliveryState,
    Envelope,
    Receipt,
    StatusEvent,
    can_ask,
    send_batch,
)
from delivery.smtp import SmtpChannel
from model.document import DocumentKind


class _OneByOne:
    """A channel without send_batch: fails the envelopes whose number says so."""

    name = "plain"
    kind = "test"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def accepts(self, envelope: Envelope) -> bool:
        return True

    def send(self, envelope: Envelope) -> Receipt:
        if envelope.number.startswith("DOWN"):
            raise ChannelUnavailable("down", channel=self.name)
        if envelope.number.startswith("NO"):
            raise ChannelRefused("no", channel=self.name)
        self.sent.append(envelope.number)
        return Receipt(remote_id=envelope.number, state=DeliveryState.DELIVERED)

    def lookup(self, envelope: Envelope) -> Receipt | None:
        return None

    def poll(self, envelope: Envelope, remote_id: str) -> list[StatusEvent]:
        return []

    def close(self) -> None:
        pass


class _Short(_OneByOne):
    def send_batch(self, envelopes: list[Envelope]) -> list[Receipt]:
        return []


def _envelope(number: str) -> Envelope:
    return Envelope(
        idempotency_key=f"key-{number}",
        connection="shop",
        number=number,
        kind=DocumentKind.INVOICE,
        ubl=b"<Invoice/>",
        file_name=f"{number}.xml",
    )


def test_one_failure_does_not_stop_the_others() -> None:
    channel = _OneByOne()
    results = send_batch(channel, [_envelope(n) for n in ("A", "DOWN-1", "B", "NO-1", "C")])
    assert channel.sent == ["A", "B", "C"]
    assert [type(result) for result in results] == [
        Receipt,
        ChannelUnavailable,
        Receipt,
        ChannelRefused,
        Receipt,
    ]


def test_a_channel_batch_must_answer_every_envelope() -> None:
    with pytest.raises(RuntimeError, match="0 results for 2 envelopes"):
        send_batch(_Short(), [_envelope("A"), _envelope("B")])


def test_smtp_cannot_be_asked_the_others_can(tmp_path: Path) -> None:
    from delivery.directory import DirectoryChannel

    assert can_ask(DirectoryChannel("archive", tmp_path))
    assert can_ask(_OneByOne())
    assert SmtpChannel.askable is False
