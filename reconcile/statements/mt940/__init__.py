"""MT940 reader: statements from the tokens of :mod:`.tokens`, streamed line by line.

A statement runs from ``:20:`` to ``:62F:``; a statement spread over several messages
(``:62M:`` then a new ``:20:`` ... ``:60M:``) is chained into one, its pages kept in
:attr:`~reconcile.transaction.Statement.pages`. A file that ends on ``:62M:`` gives the
statement so far (its balance problem says the page after is missing). A statement with no
closing balance at the end of the file, or a ``:61:`` that does not parse, is a
:class:`~reconcile.statements.errors.StatementError` naming the line.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from reconcile.statements.errors import StatementError
from reconcile.statements.mt940 import narrative
from reconcile.statements.mt940.fields import StatementLine, balance, statement_line
from reconcile.statements.mt940.tokens import Token, tokens
from reconcile.transaction import Balance, Counterparty, Page, Statement, Transaction

__all__ = ["read_mt940"]

MAX_NARRATIVE_LINES = 100
"""A ``:86:`` longer than this is malformed (a missing tag), not read into memory whole."""


@dataclass
class _Open:
    """The statement being assembled."""

    line: int
    reference: str = ""
    account: str = ""
    sequence: str = ""
    opening: Balance | None = None
    page_opening: Balance | None = None
    page_line: int = 0
    page_entries: int = 0
    pages: list[Page] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)
    pending: tuple[StatementLine, Token] | None = None
    ended_intermediate: bool = False
    ing: bool = False


def read_mt940(path: str | os.PathLike[str]) -> Iterator[Statement]:
    """Yield each statement of the MT940 file at ``path``."""
    source = os.fspath(path)
    current: _Open | None = None
    header: dict[str, str] = {}
    with open(source, "rb") as stream:
        for token in tokens(stream):
            text = _text(token)
            tag = token.tag
            if tag == "20":
                if current is not None and current.pending is not None:
                    _flush(source, current, None)
                if current is not None and not current.ended_intermediate:
                    raise _truncated(source, current, token.line)
                header = {"20": text.strip(), "line": str(token.line)}
                if current is not None:
                    current.page_line = token.line
                continue
            if tag in ("25", "28C", "28"):
                header[tag] = text.strip()
                continue
            if tag in ("60F", "60M"):
                try:
                    opening = balance(text, intermediate=tag == "60M")
                except ValueError as failure:
                    raise StatementError(source, f":{tag}: {failure}", line=token.line) from None
                continuing = current is not None and current.ended_intermediate and tag == "60M"
                if current is not None and not continuing:
                    yield _finish(source, current)
                    current = None
                if current is None:
                    current = _Open(
                        line=int(header.get("line", token.line)),
                        reference=header.get("20", ""),
                        account=_account(header.get("25", "")),
                        sequence=header.get("28C", header.get("28", "")),
                        opening=opening,
                        page_line=int(header.get("line", token.line)),
                        ing=token.block and "INGB" in token.header,
                    )
                current.page_opening = opening
                current.page_entries = 0
                current.ended_intermediate = False
                continue
            if current is None or current.page_opening is None:
                if tag in ("61", "62F", "62M"):
                    raise StatementError(
                        source, f":{tag}: before an opening balance :60F:", line=token.line
                    )
                continue
            if tag == "61":
                if current.pending is not None:
                    _flush(source, current, None)
                try:
                    line = statement_line(text, current.page_opening.currency)
                except ValueError as failure:
                    raise StatementError(
                        source,
                        f"statement {current.reference}: {failure}",
                        entry=len(current.transactions) + 1,
                        line=token.line,
                    ) from None
                current.pending = (line, token)
            elif tag == "86":
                if len(token.lines) > MAX_NARRATIVE_LINES:
                    raise StatementError(
                        source, f":86: longer than {MAX_NARRATIVE_LINES} lines", line=token.line
                    )
                if current.pending is not None:
                    _flush(source, current, token)
            elif tag in ("62F", "62M"):
                if current.pending is not None:
                    _flush(source, current, None)
                try:
                    closing = balance(text, intermediate=tag == "62M")
                except ValueError as failure:
                    raise StatementError(source, f":{tag}: {failure}", line=token.line) from None
                current.pages.append(
                    Page(
                        opening=current.page_opening,
                        closing=closing,
                        entries=current.page_entries,
                        line=current.page_line,
                    )
                )
                if tag == "62M":
                    current.ended_intermediate = True
                else:
                    yield _finish(source, current)
                    current = None
    if current is not None:
        if current.pending is not None:
            _flush(source, current, None)
        if not current.ended_intermediate:
            raise _truncated(source, current, None)
        yield _finish(source, current)


def _truncated(source: str, current: _Open, line: int | None) -> StatementError:
    where = "the end of the file" if line is None else f"line {line}"
    return StatementError(
        source,
        f"truncated: statement {current.reference} (line {current.line}) reaches {where} "
        "without a closing balance :62F:",
        entry=len(current.transactions) + 1 if current.pending else None,
    )


def _text(token: Token) -> str:
    """The tag's text: ING joins wrapped lines with nothing, others keep the line breaks."""
    if token.block and "INGB" in token.header:
        return "".join(token.lines)
    return "\n".join(token.lines)


def _account(text: str) -> str:
    """``NL77INGB0574908765EUR`` and ``NL34RABO0142623393 EUR`` lose the currency suffix."""
    value = text.strip()
    head, _, tail = value.rpartition(" ")
    if head and len(tail) == 3 and tail.isalpha():
        value = head
    elif len(value) > 3 and value[-3:].isalpha() and value[:2].isalpha() and value[2:4].isdigit():
        value = value[:-3]
    return "".join(value.split()).upper() if value[:2].isalpha() and value[2:4].isdigit() else value


def _flush(source: str, current: _Open, details: Token | None) -> None:
    """Turn the pending ``:61:`` (and its ``:86:``) into a Transaction."""
    assert current.pending is not None and current.page_opening is not None
    line, token = current.pending
    current.pending = None
    position = len(current.transactions) + 1
    found = None
    if details is not None:
        lines = ["".join(details.lines)] if current.ing else details.lines
        found = narrative.split(
            lines,
            ing_file=current.ing,
            customer_reference=line.customer_reference,
            supplementary=line.supplementary,
        )
    counterparty = None
    if found is not None and (found.name or found.iban or found.bic):
        counterparty = Counterparty(name=found.name, iban=found.iban, bic=found.bic)
    bank_code = line.type_code
    if current.ing and line.supplementary.startswith("/TRCD/"):
        bank_code = line.supplementary.split("/")[2] or bank_code
    elif found is not None and found.bank_code:
        bank_code = found.bank_code
    end_to_end = found.end_to_end_id if found is not None else None
    current.transactions.append(
        Transaction(
            booking_date=line.booking_date,
            value_date=line.value_date,
            amount=line.amount,
            currency=current.page_opening.currency,
            counterparty=counterparty,
            ultimate_debtor=found.ultimate_debtor if found else None,
            structured_reference=found.structured_reference if found else None,
            structured_references=(found.structured_reference,)
            if found and found.structured_reference
            else (),
            text=found.text if found else "",
            end_to_end_id=end_to_end,
            bank_reference=line.bank_reference,
            bank_code=bank_code,
            reversal=line.reversal or bool(found and found.return_reason),
            return_reason=found.return_reason if found else None,
            mandate_id=found.mandate_id if found else None,
            creditor_id=found.creditor_id if found else None,
            entry=position,
            line=token.line,
        )
    )
    current.page_entries += 1


def _finish(source: str, current: _Open) -> Statement:
    assert current.opening is not None
    closing = current.pages[-1].closing if current.pages else None
    reference = current.reference
    if current.sequence:
        reference = f"{reference}/{current.sequence}"
    return Statement(
        source=source,
        format="mt940",
        account=current.account,
        currency=current.opening.currency,
        statement_id=reference or None,
        period_from=current.opening.on,
        period_to=closing.on if closing else None,
        opening=current.opening,
        closing=closing,
        transactions=tuple(current.transactions),
        pages=tuple(current.pages) if len(current.pages) > 1 else (),
    )
