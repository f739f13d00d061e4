"""CAMT.053 (statement) and CAMT.054 (notification) reader, 001.02 to 001.08, streaming.

lxml ``iterparse`` reads the file in chunks; each ``Ntry`` is turned into a Transaction when
it ends and then cleared and dropped from the tree, so memory holds one entry plus the
Transactions of the statement being read, never the file. The root namespace is checked
before any entry is read (:mod:`.camt_versions`). The parser resolves no entities, loads no
DTD and touches no network.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from typing import Any

from lxml import etree

from reconcile.statements.camt_entry import EntryError, EntryReader
from reconcile.statements.camt_versions import CONTAINERS, unsupported_message
from reconcile.statements.errors import StatementError
from reconcile.transaction import Balance, Statement, Transaction

__all__ = ["read_camt"]

_OPENING = ("OPBD", "PRCD")
_CLOSING = ("CLBD",)


def _events(source: str, events: tuple[str, ...], tag: tuple[str, ...] | None = None) -> Any:
    return etree.iterparse(
        source,
        events=events,
        tag=tag,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
    )


def read_camt(path: str | os.PathLike[str]) -> Iterator[Statement]:
    """Yield each ``Stmt`` (camt.053) or ``Ntfctn`` (camt.054) of the file at ``path``.

    The root element is read first, on its own, for the namespace; the file is then parsed
    with lxml reporting only the statement, ``Bal`` and ``Ntry`` elements of that namespace
    (a Python step per entry, not per element)."""
    source = os.fspath(path)
    state: _State | None = None
    try:
        root: etree._Element | None = None
        for _event, element in _events(source, ("start",)):
            root = element
            break
        if root is None:
            raise StatementError(source, "empty XML document")
        namespace = etree.QName(root).namespace or ""
        problem = unsupported_message(namespace)
        if problem:
            raise StatementError(source, problem)
        kind = namespace.rsplit(":", 1)[-1].split(".")[1]
        statement_tag = f"{{{namespace}}}{CONTAINERS[kind][1]}"
        if etree.QName(root).localname != "Document":
            raise StatementError(
                source, f"root element {etree.QName(root).localname} is not Document"
            )
        del root
        reader = EntryReader(namespace)
        fmt = namespace.rsplit(":", 1)[-1]
        entry_tag, balance_tag = f"{{{namespace}}}Ntry", f"{{{namespace}}}Bal"
        tags = (statement_tag, entry_tag, balance_tag)
        for event, element in _events(source, ("start", "end"), tags):
            tag = element.tag
            if event == "start":
                if tag == statement_tag:
                    state = _State(source, fmt, reader)
                continue
            if state is None:
                continue
            if tag == statement_tag:
                yield state.finish(element)
                state = None
                _drop(element)
                continue
            parent = element.getparent()
            if parent is None or parent.tag != statement_tag:
                continue
            if tag == entry_tag:
                state.add_entry(element)
            else:
                state.add_balance(element)
            _drop(element)
    except etree.XMLSyntaxError as failure:
        entry = state.count + 1 if state is not None else None
        line = failure.lineno if failure.lineno else None
        message = failure.msg if hasattr(failure, "msg") and failure.msg else str(failure)
        raise StatementError(
            source, f"truncated or malformed XML: {message}", entry=entry, line=line
        ) from None


def _drop(element: etree._Element) -> None:
    """Free an element we are done with, and the siblings before it."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


class _State:
    """The statement being read: header fields, balances and the entries so far."""

    def __init__(self, source: str, fmt: str, reader: EntryReader) -> None:
        self.source = source
        self.format = fmt
        self.reader = reader
        self.count = 0
        self.transactions: list[Transaction] = []
        self.opening: Balance | None = None
        self.closing: Balance | None = None
        self.header_read = False
        self.account: str | None = None
        self.account_currency: str | None = None
        self.statement_id: str | None = None
        self.period_from: date | None = None
        self.period_to: date | None = None

    def _header(self, statement: etree._Element) -> None:
        """The statement's own fields, read before the first ``Bal``/``Ntry`` is dropped
        (dropping an element also drops the siblings before it)."""
        if self.header_read:
            return
        r = self.reader
        account = r.first(statement, "Acct/Id/IBAN", "Acct/Id/Othr/Id")
        self.account = "".join(account.split()).upper() if account else None
        self.account_currency = r.text(statement, "Acct/Ccy")
        self.statement_id = r.text(statement, "Id")
        self.period_from = _day(r.first(statement, "FrToDt/FrDtTm", "FrToDt/FrDt"))
        self.period_to = _day(r.first(statement, "FrToDt/ToDtTm", "FrToDt/ToDt"))
        self.header_read = True

    def add_balance(self, element: etree._Element) -> None:
        r = self.reader
        statement = element.getparent()
        if statement is not None:
            self._header(statement)
        code = r.first(element, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry")
        if code not in _OPENING + _CLOSING:
            return
        try:
            money = r.money(element, "Amt")
            sign = 1 if r.text(element, "CdtDbtInd") != "DBIT" else -1
            on = r.day(element, "Dt")
        except EntryError as failure:
            raise StatementError(self.source, f"balance {code}: {failure}") from None
        if money is None or on is None:
            raise StatementError(self.source, f"balance {code}: Amt or Dt missing")
        balance = Balance(amount=money[0] * sign, currency=money[1], on=on)
        if code in _CLOSING:
            self.closing = balance
        elif code == "OPBD" or self.opening is None:
            self.opening = balance

    def add_entry(self, element: etree._Element) -> None:
        statement = element.getparent()
        if statement is not None:
            self._header(statement)
        self.count += 1
        try:
            self.transactions.append(self.reader.entry(element, self.count, self.account))
        except EntryError as failure:
            raise StatementError(self.source, str(failure), entry=self.count) from None

    def finish(self, statement: etree._Element) -> Statement:
        self._header(statement)
        if self.account is None:
            raise StatementError(self.source, "statement without Acct/Id")
        currency = (
            self.account_currency
            or (self.opening.currency if self.opening else None)
            or (self.transactions[0].currency if self.transactions else None)
            or "EUR"
        )
        period_from, period_to = self.period_from, self.period_to
        if period_from is None and self.opening is not None:
            period_from = self.opening.on
        if period_to is None and self.closing is not None:
            period_to = self.closing.on
        return Statement(
            source=self.source,
            format=self.format,
            account=self.account,
            currency=currency,
            statement_id=self.statement_id,
            period_from=period_from,
            period_to=period_to,
            opening=self.opening,
            closing=self.closing,
            transactions=tuple(self.transactions),
        )


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
