"""IBAN check digits of a statement's own account and of every counterparty.

Reading never fails on an IBAN: 13 of the published samples carry IBANs with wrong check
digits, and ``statements read`` must still show them. :func:`iban_problems` lists what is
wrong (``read`` prints them as warnings); :func:`check_ibans` raises the first one as a
:class:`StatementError`, which is what an importer calls to refuse the statement. An
account id that is not IBAN-shaped (``517852257``, ``TRIODOSBANK/0390123456``) is not
checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from model.identifiers import InvalidIdentifier, iban
from reconcile.statements.errors import StatementError
from reconcile.transaction import Statement, Transaction

__all__ = ["IbanProblem", "check_ibans", "iban_problems"]

_SHAPE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}")


@dataclass(frozen=True, slots=True)
class IbanProblem:
    """One IBAN that fails its checks: where (``entry`` None for the account), the field
    (``account`` or ``counterparty.iban``), the IBAN and the reason."""

    entry: int | None
    field: str
    iban: str
    reason: str

    def __str__(self) -> str:
        where = f"entry {self.entry}: " if self.entry is not None else ""
        return f"{where}{self.field} {self.iban}: {self.reason}"


def _problem(value: str | None) -> str | None:
    if not value or _SHAPE.fullmatch(value) is None:
        return None
    try:
        iban.validate(value)
    except InvalidIdentifier as failure:
        return str(failure).split(": ", 1)[-1]
    return None


def _entries(transactions: tuple[Transaction, ...]) -> Iterator[tuple[int, Transaction]]:
    for transaction in transactions:
        yield transaction.entry, transaction
        for child in transaction.children:
            yield transaction.entry, child


def iban_problems(statement: Statement) -> list[IbanProblem]:
    """Every IBAN of the statement that fails ISO 13616 (and national) checks."""
    problems = []
    reason = _problem(statement.account)
    if reason:
        problems.append(IbanProblem(None, "account", statement.account, reason))
    for entry, transaction in _entries(statement.transactions):
        party = transaction.counterparty
        if party is not None and party.iban:
            reason = _problem(party.iban)
            found = IbanProblem(entry, "counterparty.iban", party.iban, reason) if reason else None
            if found is not None and found not in problems:
                problems.append(found)
    return problems


def check_ibans(statement: Statement) -> None:
    """Raise StatementError for the first wrong IBAN (what an importer refuses)."""
    for problem in iban_problems(statement):
        raise StatementError(
            statement.source,
            f"{problem.field} {problem.iban}: {problem.reason}",
            entry=problem.entry,
        )
