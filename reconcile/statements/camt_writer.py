"""Write a CAMT.053.001.02 bank-to-customer statement from :class:`Transaction` values: the
statement of ``ledgerlink demo``, and the generated statements of the tests and benchmarks.

Amounts are signed as in :class:`~reconcile.transaction.Transaction` (a debit negative); the
writer gives ``CdtDbtInd`` from the sign and ``RvslInd`` from ``reversal``. A transaction's
counterparty is the debtor of a credit and the creditor of a debit; its structured reference
is written with the issuer its form implies (``ISO`` for RF, ``BBA`` for a valid OGM, ``CUR``
else). ``children`` become the ``TxDtls`` of a batch entry (``Btch/NbOfTxs``). The opening
balance is given; the closing balance is opening + entries, so the statement balances.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from model.identifiers import ogm
from reconcile.transaction import Transaction

__all__ = ["NAMESPACE", "camt053"]

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def _amount(parent: ET.Element, tag: str, amount: Decimal, currency: str) -> None:
    _sub(parent, tag, f"{abs(amount):.2f}", Ccy=currency)


def _balance(stmt: ET.Element, code: str, amount: Decimal, currency: str, on: date) -> None:
    bal = _sub(stmt, "Bal")
    _sub(_sub(_sub(bal, "Tp"), "CdOrPrtry"), "Cd", code)
    _amount(bal, "Amt", amount, currency)
    _sub(bal, "CdtDbtInd", "CRDT" if amount >= 0 else "DBIT")
    _sub(_sub(bal, "Dt"), "Dt", on.isoformat())


def _bank_code(parent: ET.Element, code: str | None) -> None:
    if not code:
        return
    parts = code.split("-")
    tx_code = _sub(parent, "BkTxCd")
    if len(parts) == 3:
        domain = _sub(tx_code, "Domn")
        _sub(domain, "Cd", parts[0])
        family = _sub(domain, "Fmly")
        _sub(family, "Cd", parts[1])
        _sub(family, "SubFmlyCd", parts[2])
    else:
        _sub(_sub(tx_code, "Prtry"), "Cd", code)


def _issuer(reference: str) -> str:
    if reference.upper().startswith("RF"):
        return "ISO"
    return "BBA" if len(reference) == 12 and ogm.is_valid(reference) else "CUR"


def _details(parent: ET.Element, tx: Transaction, currency: str, *, with_amount: bool) -> None:
    details = _sub(parent, "TxDtls")
    refs = _sub(details, "Refs")
    if tx.bank_reference:
        _sub(refs, "AcctSvcrRef", tx.bank_reference)
    _sub(refs, "EndToEndId", tx.end_to_end_id or "NOTPROVIDED")
    if with_amount:
        _amount(_sub(_sub(details, "AmtDtls"), "TxAmt"), "Amt", tx.amount, currency)
    _bank_code(details, tx.bank_code)
    party = tx.counterparty
    if party is not None or tx.ultimate_debtor:
        related = _sub(details, "RltdPties")
        role, account = ("Dbtr", "DbtrAcct") if tx.amount >= 0 else ("Cdtr", "CdtrAcct")
        if party is not None and party.name:
            _sub(_sub(related, role), "Nm", party.name)
        if party is not None and party.iban:
            _sub(_sub(_sub(related, account), "Id"), "IBAN", party.iban)
        if tx.ultimate_debtor:
            _sub(_sub(related, "UltmtDbtr"), "Nm", tx.ultimate_debtor)
        if party is not None and party.bic:
            agents = _sub(details, "RltdAgts")
            agent = "DbtrAgt" if tx.amount >= 0 else "CdtrAgt"
            _sub(_sub(_sub(agents, agent), "FinInstnId"), "BIC", party.bic)
    if tx.text or tx.structured_reference:
        remittance = _sub(details, "RmtInf")
        if tx.text:
            for start in range(0, len(tx.text), 140):
                _sub(remittance, "Ustrd", tx.text[start : start + 140])
        if tx.structured_reference:
            ref_info = _sub(_sub(remittance, "Strd"), "CdtrRefInf")
            kind = _sub(ref_info, "Tp")
            _sub(_sub(kind, "CdOrPrtry"), "Cd", "SCOR")
            _sub(kind, "Issr", _issuer(tx.structured_reference))
            _sub(ref_info, "Ref", tx.structured_reference)
    if tx.return_reason:
        _sub(_sub(_sub(details, "RtrInf"), "Rsn"), "Cd", tx.return_reason)


def camt053(
    account: str,
    transactions: Sequence[Transaction],
    *,
    statement_id: str = "STMT-1",
    currency: str = "EUR",
    opening: Decimal = Decimal(0),
    created: datetime = datetime(2026, 12, 7, 8, 0, 0),
) -> bytes:
    """The camt.053.001.02 XML of one statement of ``account`` with ``transactions``."""
    root = ET.Element("Document", xmlns=NAMESPACE)
    report = _sub(root, "BkToCstmrStmt")
    header = _sub(report, "GrpHdr")
    _sub(header, "MsgId", f"MSG-{statement_id}")
    _sub(header, "CreDtTm", created.isoformat(timespec="seconds"))
    stmt = _sub(report, "Stmt")
    _sub(stmt, "Id", statement_id)
    _sub(stmt, "CreDtTm", created.isoformat(timespec="seconds"))
    acct = _sub(stmt, "Acct")
    _sub(_sub(acct, "Id"), "IBAN", account)
    _sub(acct, "Ccy", currency)
    days = [t.booking_date for t in transactions] or [created.date()]
    closing = opening + sum((t.amount for t in transactions), Decimal(0))
    _balance(stmt, "OPBD", opening, currency, min(days))
    _balance(stmt, "CLBD", closing, currency, max(days))
    for tx in transactions:
        entry = _sub(stmt, "Ntry")
        _amount(entry, "Amt", tx.amount, currency)
        _sub(entry, "CdtDbtInd", "CRDT" if tx.amount >= 0 else "DBIT")
        if tx.reversal:
            _sub(entry, "RvslInd", "true")
        _sub(entry, "Sts", "BOOK")
        _sub(_sub(entry, "BookgDt"), "Dt", tx.booking_date.isoformat())
        _sub(_sub(entry, "ValDt"), "Dt", (tx.value_date or tx.booking_date).isoformat())
        if tx.bank_reference:
            _sub(entry, "AcctSvcrRef", tx.bank_reference)
        default = "PMNT-RCDT-ESCT" if tx.amount >= 0 else "PMNT-ICDT-ESCT"
        _bank_code(entry, tx.bank_code or default)  # mandatory in a camt.053.001.02 Ntry
        entry_details = _sub(entry, "NtryDtls")
        if tx.children:
            batch = _sub(entry_details, "Btch")
            _sub(batch, "NbOfTxs", str(len(tx.children)))
            for child in tx.children:
                _details(entry_details, child, currency, with_amount=True)
        else:
            _details(entry_details, tx, currency, with_amount=False)
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
