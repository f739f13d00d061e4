"""Which Tryton JSON-RPC calls the client repeats after a failure that may have reached the
server: reads yes, writes and booking wizard steps no (they raise OutcomeUnknown, sent once).

Tryton's one POST endpoint is faked with an ``httpx.MockTransport``; the failures are the
transport's, the waits go to a fake clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from support.fake_clock import FakeClock

from connectors._tryton_rpc import TrytonRpc, WizardStep, is_idempotent
from connectors.errors import OutcomeUnknown
from connectors.http import HttpClient, RetryPolicy

ATTEMPTS = 3


class FakeTryton:
    """Answers every method with ``results`` (default: ``True``); the first call of a method
    named in ``fail`` times out after the server received it."""

    def __init__(self, results: dict[str, Any]) -> None:
        self.results = results
        self.fail: set[str] = set()
        self.methods: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        method, params = body["method"], body["params"]
        if method.endswith(".execute"):
            method = f"{method}:{params[2]}"  # the wizard state executed
        self.methods.append(method)
        if method in self.fail:
            self.fail.discard(method)
            raise httpx.ReadTimeout("no answer within the timeout")
        return httpx.Response(
            200, json={"id": body["id"], "result": self.results.get(method, True)}
        )


@pytest.fixture
def tryton() -> FakeTryton:
    return FakeTryton(
        {
            "common.db.login": [1, "session-key"],
            "model.res.user.get_preferences": {"company": 1},
            "wizard.account.invoice.pay.create": [7, "start", "end"],
            "wizard.account.invoice.pay.execute:start": {"view": {"state": "start"}},
            "wizard.account.invoice.pay.execute:choice": {"view": {"state": "ask"}},
            "wizard.account.invoice.pay.execute:pay": {"actions": []},
        }
    )


@pytest.fixture
def rpc(tryton: FakeTryton) -> Iterator[TrytonRpc]:
    policy = RetryPolicy(attempts=ATTEMPTS, backoff_base=0.01, max_backoff=0.1, clock=FakeClock())
    http = HttpClient("http://tryton.example", retry=policy, transport=httpx.MockTransport(tryton))
    with http:
        yield TrytonRpc(http, database="demo", username="admin", password=SecretStr("admin"))


@pytest.mark.parametrize(
    "method",
    ["model.account.invoice.search", "model.account.invoice.search_read", "common.db.login"],
)
def test_reads_and_the_login_are_sent_again_after_a_timeout(
    rpc: TrytonRpc, tryton: FakeTryton, method: str
) -> None:
    tryton.fail.add(method)
    if method == "common.db.login":
        rpc.login()
    else:
        rpc.model("account.invoice", method.rpartition(".")[2], [], 0, None, [])
    assert tryton.methods.count(method) == 2


@pytest.mark.parametrize("method", ["create", "write", "delete", "post"])
def test_writes_are_sent_once_and_their_outcome_is_unknown(
    rpc: TrytonRpc, tryton: FakeTryton, method: str
) -> None:
    rpc.login()
    tryton.fail.add(f"model.account.invoice.{method}")
    with pytest.raises(OutcomeUnknown, match="unknown"):
        rpc.model("account.invoice", method, [1], record_id="1")
    assert tryton.methods.count(f"model.account.invoice.{method}") == 1


def test_a_caller_may_mark_a_write_idempotent(rpc: TrytonRpc, tryton: FakeTryton) -> None:
    rpc.login()
    tryton.fail.add("model.ir.attachment.write")
    rpc.model("ir.attachment", "write", [1], {"data": b"x"}, idempotent=True)
    assert tryton.methods.count("model.ir.attachment.write") == 2


def pay(rpc: TrytonRpc) -> None:
    rpc.run_wizard(
        "account.invoice.pay",
        ("account.invoice", 3),
        (
            WizardStep("choice", lambda form: {"amount": "10.00"}),
            WizardStep("pay", lambda form: {"type": "partial"}),
        ),
        record_id="3",
    )


@pytest.mark.parametrize("state", ["choice", "pay"])
def test_a_wizard_step_that_may_book_is_sent_once(
    rpc: TrytonRpc, tryton: FakeTryton, state: str
) -> None:
    tryton.fail.add(f"wizard.account.invoice.pay.execute:{state}")
    with pytest.raises(OutcomeUnknown):
        pay(rpc)
    assert tryton.methods.count(f"wizard.account.invoice.pay.execute:{state}") == 1
    assert tryton.methods[-1] == "wizard.account.invoice.pay.delete"  # the session is closed


@pytest.mark.parametrize("method", ["create", "execute:start", "delete"])
def test_opening_showing_and_closing_a_wizard_are_sent_again(
    rpc: TrytonRpc, tryton: FakeTryton, method: str
) -> None:
    tryton.fail.add(f"wizard.account.invoice.pay.{method}")
    pay(rpc)
    assert tryton.methods.count(f"wizard.account.invoice.pay.{method}") == 2
    assert tryton.methods.count("wizard.account.invoice.pay.execute:pay") == 1


def test_methods_not_known_to_only_read_are_not_idempotent() -> None:
    assert is_idempotent("model.account.invoice.read")
    assert not is_idempotent("model.account.invoice.copy")
    assert not is_idempotent("wizard.account.invoice.pay.execute")
