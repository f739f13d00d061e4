"""The demo database with six more open invoices, and a write-off method, for the tests
that settle invoices against a real Tryton (reconciliation, reversal, write-off, credit note).

``open_invoices_template`` is the builder's ``--extra 6`` template, cached next to the plain
one (same key, so it is kept as long as the plain one is): INV-4 (id 5) and INV-7 (id 8)
1273.01 for Klant B.V., INV-5 (id 6) and INV-8 (id 9) 490.50 for Client SA, INV-6 (id 7)
and INV-9 (id 10) 353.41 for Klant B.V., each posted with its own RF reference, beside
INV-1 (id 1, paid), INV-2 (id 2, 100.00 paid), INV-3 (id 3, open) and CN-1 (id 4, open,
-353.41); their DocumentRefs are INV_1 ... INV_7 and CN_1 here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from tryton.server import build_template, run_server

from connectors.base import DocumentRef
from connectors.tryton import TrytonConnector

EXTRA = 6
INV_1 = DocumentRef(record_id="1", number="INV-1")
INV_2 = DocumentRef(record_id="2", number="INV-2")
INV_3 = DocumentRef(record_id="3", number="INV-3")
CN_1 = DocumentRef(record_id="4", number="CN-1")
INV_4 = DocumentRef(record_id="5", number="INV-4")
INV_5 = DocumentRef(record_id="6", number="INV-5")
INV_6 = DocumentRef(record_id="7", number="INV-6")
INV_7 = DocumentRef(record_id="8", number="INV-7")


def open_invoices_template(plain_template: Path) -> Path:
    """The ``--extra 6`` template, built once beside ``plain_template`` (the cached one)."""
    import trytond

    return build_template(plain_template.parent.parent, trytond.__version__, extra=EXTRA)


@contextmanager
def open_invoices_tryton(plain_template: Path, directory: Path) -> Iterator[TrytonConnector]:
    """A connector to a trytond over a fresh copy of the ``--extra 6`` template in
    ``directory``, the server stopped on exit."""
    with run_server(open_invoices_template(plain_template), directory) as server:
        password = SecretStr(server.password)
        with TrytonConnector(server.url, server.database, server.username, password) as tryton:
            yield tryton


def add_write_off_method(rpc: Any, name: str = "Bank costs") -> int:
    """A write-off method ``name`` (journal "Currency Exchange", the demo's write-off journal;
    account 5.2.3 Credit Loss), as a bookkeeper would create it in Tryton."""
    (journal,) = rpc.search("account.journal", [("type", "=", "write-off")], limit=1)
    (account,) = rpc.search("account.account", [("code", "=", "5.2.3")], limit=1)
    (company,) = rpc.search("company.company", [], limit=1)
    (method,) = rpc.model(
        "account.move.reconcile.write_off",
        "create",
        [
            {
                "name": name,
                "journal": journal,
                "credit_account": account,
                "debit_account": account,
                "company": company,
            }
        ],
    )
    return int(method)
