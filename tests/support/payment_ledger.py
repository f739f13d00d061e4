"""A counting source for the payment push tests: every push_payment call books a line.

It books whatever it is given, even twice (unlike Tryton, which refuses a second booking of
the same payment): so a test sees each push the engine makes. ``payment_booked`` reads the
lines, as Tryton's check of its payment lines does. Lines are appended and fsynced, so a
kill -9 after the call never loses one.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.base import Capability, DocumentRef, Payment


@dataclass
class PaymentLedger:
    folder: Path
    name: str = "shop"
    askable: bool = True

    @property
    def capabilities(self) -> frozenset[Capability]:
        return frozenset({Capability.PUSH_PAYMENT})

    @property
    def log(self) -> Path:
        return self.folder / "payments.jsonl"

    def lines(self) -> list[dict[str, str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text("utf-8").splitlines() if line]

    def bookings(self) -> Counter[tuple[str, str]]:
        return Counter((line["record"], line["reference"]) for line in self.lines())

    def pull(self, stream: Any, cursor: Any) -> Any:
        return iter(())

    def push_status(self, document_ref: DocumentRef, status: Any) -> None:
        return None

    def push_payment(self, document_ref: DocumentRef, payment: Payment) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        line = {
            "record": document_ref.record_id,
            "reference": payment.reference or "",
            "amount": str(payment.amount),
            "date": payment.paid_on.isoformat(),
        }
        with self.log.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")
            out.flush()
            os.fsync(out.fileno())


class AskableLedger(PaymentLedger):
    def payment_booked(self, document_ref: DocumentRef, payment: Payment) -> bool:
        return (document_ref.record_id, payment.reference or "") in self.bookings()
