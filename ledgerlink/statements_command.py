"""``ledgerlink statements read FILE... [--format text|json]``: bank statements read and
checked without a store.

Per file: its format, and per statement the account, period, opening and closing balance,
the transactions (with their batch children) and the balance check: a statement whose
opening + entries differs from its closing, whose balances are in two currencies, or that
has no balances (camt.054) is flagged with the reason and the amount. IBANs with wrong
check digits (the statement's own account or a counterparty) are shown as warnings:
reading does not refuse them, importing does. A file that cannot be read (truncated, an
unsupported camt version, an unknown currency...) is reported with its error, naming the
entry where it has one; the other files are still shown.

``json`` prints exactly one object::

    {"files": [{"path": str, "format": str | null, "statements": [...], "error": str | null}]}

Exit codes: 0 every file read, 1 a file failed.
"""

from __future__ import annotations

import enum
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from reconcile.transaction import Balance, Statement, Transaction

__all__ = ["app", "read", "statement_json"]

app = typer.Typer(help="Bank statements (CAMT.053, CAMT.054, MT940).", no_args_is_help=True)


class ReadFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _balance(balance: Balance | None) -> dict[str, Any] | None:
    if balance is None:
        return None
    return {
        "amount": str(balance.amount),
        "currency": balance.currency,
        "date": balance.on.isoformat(),
        "intermediate": balance.intermediate,
    }


def transaction_json(t: Transaction) -> dict[str, Any]:
    """One transaction as JSON (amounts as strings)."""
    party = t.counterparty
    return {
        "entry": t.entry,
        "booking_date": t.booking_date.isoformat(),
        "value_date": t.value_date.isoformat() if t.value_date else None,
        "amount": str(t.amount),
        "amount_given": t.amount_given,
        "currency": t.currency,
        "counterparty": None
        if party is None
        else {"name": party.name, "iban": party.iban, "bic": party.bic},
        "ultimate_debtor": t.ultimate_debtor,
        "structured_reference": t.structured_reference,
        "structured_references": list(t.structured_references),
        "text": t.text,
        "additional_info": t.additional_info,
        "end_to_end_id": t.end_to_end_id,
        "bank_reference": t.bank_reference,
        "bank_code": t.bank_code,
        "reversal": t.reversal,
        "return_reason": t.return_reason,
        "mandate_id": t.mandate_id,
        "creditor_id": t.creditor_id,
        "children": [transaction_json(c) for c in t.children],
    }


def statement_json(statement: Statement, warnings: list[str]) -> dict[str, Any]:
    """One statement as JSON, with its balance check and IBAN warnings."""
    problem = statement.balance_problem
    return {
        "format": statement.format,
        "account": statement.account,
        "statement_id": statement.statement_id,
        "currency": statement.currency,
        "period_from": statement.period_from.isoformat() if statement.period_from else None,
        "period_to": statement.period_to.isoformat() if statement.period_to else None,
        "opening": _balance(statement.opening),
        "closing": _balance(statement.closing),
        "pages": len(statement.pages) or 1,
        "balanced": problem is None,
        "difference": _amount(statement.difference),
        "balance_problem": problem,
        "warnings": warnings,
        "transactions": [transaction_json(t) for t in statement.transactions],
    }


def _read_file(path: str) -> dict[str, Any]:
    from reconcile.statements import StatementError, detect_format, iban_problems, read_statements

    result: dict[str, Any] = {"path": path, "format": None, "statements": [], "error": None}
    try:
        result["format"] = detect_format(path)
        for statement in read_statements(path):
            result["format"] = statement.format
            warnings = [str(p) for p in iban_problems(statement)]
            result["statements"].append(statement_json(statement, warnings))
    except StatementError as failure:
        result["error"] = str(failure)
    return result


def _text_balance(balance: dict[str, Any] | None) -> str:
    if balance is None:
        return "none"
    mark = " (intermediate)" if balance["intermediate"] else ""
    return f"{balance['amount']} {balance['currency']} on {balance['date']}{mark}"


def _text_transaction(t: dict[str, Any], indent: str) -> list[str]:
    party = t["counterparty"] or {}
    who = " ".join(p for p in (party.get("name"), party.get("iban")) if p)
    facts = [
        f"{k}={t[key]}"
        for k, key in (
            ("ref", "structured_reference"),
            ("e2e", "end_to_end_id"),
            ("bankref", "bank_reference"),
            ("code", "bank_code"),
            ("return", "return_reason"),
        )
        if t[key]
    ]
    if t["reversal"]:
        facts.append("reversal")
    amount = t["amount"] if t["amount_given"] else "(no amount)"
    head = f"{indent}{t['entry']:>4}  {t['booking_date']}  {amount:>12} {t['currency']}"
    lines = [f"{head}  {who}".rstrip()]
    detail = "  ".join([*facts, t["text"]] if t["text"] else facts)
    if detail:
        lines.append(f"{indent}      {detail}")
    for child in t["children"]:
        lines.extend(_text_transaction(child, indent + "      "))
    return lines


def _text(result: dict[str, Any]) -> list[str]:
    lines = [f"{result['path']}: {result['format'] or 'unknown format'}"]
    for s in result["statements"]:
        period = f"{s['period_from'] or '?'} to {s['period_to'] or '?'}"
        lines.append(f"  statement {s['statement_id'] or '-'}  account {s['account']}  {period}")
        lines.append(f"    opening {_text_balance(s['opening'])}")
        lines.append(f"    closing {_text_balance(s['closing'])}")
        lines.append(f"    {len(s['transactions'])} transaction(s)")
        for t in s["transactions"]:
            lines.extend(_text_transaction(t, "    "))
        if s["balanced"]:
            lines.append("    balance: ok")
        else:
            lines.append(f"    balance: FLAGGED: {s['balance_problem']}")
        lines.extend(f"    warning: {w}" for w in s["warnings"])
    if result["error"]:
        lines.append(f"  error: {result['error']}")
    return lines


@app.command("read")
def read(
    files: Annotated[list[str], typer.Argument(help="Statement files (camt XML or MT940).")],
    output: Annotated[
        ReadFormat, typer.Option("--format", help="text (default) or json (one object).")
    ] = ReadFormat.TEXT,
) -> None:
    """Read and check bank statements without a store (format, balances, transactions)."""
    results = [_read_file(path) for path in files]
    if output is ReadFormat.JSON:
        typer.echo(json.dumps({"files": results}, indent=2, ensure_ascii=False))
    else:
        for result in results:
            typer.echo("\n".join(_text(result)))
    if any(r["error"] for r in results):
        raise typer.Exit(1)


from ledgerlink.statements_import_command import import_  # noqa: E402

app.command("import")(import_)
