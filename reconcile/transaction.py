"""One bank transaction and the statement that holds it, whatever the bank format.

The readers in :mod:`reconcile.statements` turn CAMT.053, CAMT.054 and MT940 into these
types; the matcher and the store only ever see these. Money is :class:`~decimal.Decimal`
quantized to the currency's minor unit, never float.

Field sources (camt element / MT940 tag):

==========================  ==========================================  ======================
field                       camt (``Ntry`` / ``NtryDtls/TxDtls``)       MT940
==========================  ==========================================  ======================
booking_date                ``BookgDt/Dt`` (or the date of ``DtTm``)    ``:61:`` entry date
value_date                  ``ValDt/Dt``                                ``:61:`` value date
amount (signed)             ``Amt`` with ``CdtDbtInd`` (DBIT < 0)       ``:61:`` D/C/RD/RC
currency                    ``Amt/@Ccy``                                ``:60F:`` currency
counterparty                ``RltdPties/Dbtr`` or ``Cdtr`` + accounts    ``:86:`` /CNTP/ etc.
ultimate_debtor             ``RltdPties/UltmtDbtr/Nm``                  ``:86:`` /ULTD/
structured_reference        ``RmtInf/Strd/CdtrRefInf/Ref``              ``:86:`` /REMI/ CUR...
text                        ``RmtInf/Ustrd`` (joined)                   ``:86:`` /REMI/ or free
end_to_end_id               ``Refs/EndToEndId`` (not NOTPROVIDED)       ``:86:`` /EREF/
bank_reference              ``AcctSvcrRef``                             ``:61:`` bank ref
bank_code                   ``BkTxCd`` (Domn/Fmly/SubFmlyCd or Prtry)   ``:61:`` type code
reversal                    ``RvslInd``                                 ``:61:`` RD / RC
return_reason               ``RtrInf/Rsn/Cd``                           ``:86:`` /RTRN/
children                    the ``TxDtls`` of a batch entry             (none)
==========================  ==========================================  ======================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

__all__ = ["Balance", "Counterparty", "Page", "Statement", "Transaction"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Counterparty:
    """The other side of a booking: the payer of a credit, the payee of a debit."""

    name: str | None = None
    iban: str | None = None
    """The counterparty's account, compact (``NL91ABNA0417164300``); an account id the bank
    gives where it has no IBAN is kept as given."""
    bic: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Transaction:
    """One booking on a statement (a camt ``Ntry`` or an MT940 ``:61:`` with its ``:86:``),
    or one child of a batch booking (a camt ``TxDtls``)."""

    booking_date: date
    value_date: date | None = None
    amount: Decimal
    """Signed: a credit (money in) is positive, a debit negative. A reversal carries the sign
    of the booking itself (a reversed incoming payment is a debit, so negative)."""
    currency: str
    counterparty: Counterparty | None = None
    ultimate_debtor: str | None = None
    """The party on whose behalf the payer paid (camt ``UltmtDbtr``, MT940 ``/ULTD/``)."""
    structured_reference: str | None = None
    """The creditor reference as the bank gave it (RF ISO 11649, betalingskenmerk, OGM);
    compact, no spaces. Recognising which kind it is, and whether its check digit holds, is the
    matcher's job."""
    text: str = ""
    """The unstructured remittance information, lines joined with one space."""
    end_to_end_id: str | None = None
    """The payer's EndToEndId; ``NOTPROVIDED`` is None."""
    bank_reference: str | None = None
    """The bank's own reference of the booking (camt ``AcctSvcrRef``, MT940 the bank reference
    of ``:61:``), used with account, date and amount as the booking's identity."""
    bank_code: str | None = None
    """The bank transaction code (camt ``Domn/Cd-Fmly/Cd-SubFmlyCd`` such as ``PMNT-RCDT-ESCT``,
    or the proprietary code; MT940 the ``:61:`` transaction type such as ``NTRF``)."""
    reversal: bool = False
    return_reason: str | None = None
    """The ISO 20022 return reason (``AC06``, ``MD06``...) of a returned or reversed booking."""
    amount_given: bool = True
    """False for a batch child whose file gives no amount of its own (some camt.054): its
    ``amount`` is then 0 and only the parent's amount is booked."""
    children: tuple[Transaction, ...] = ()
    """The transactions of a batch booking (camt ``TxDtls``), each with its own amount and
    references. The parent's ``amount`` is what was booked; the balance check uses it."""
    entry: int = 0
    """The 1-based position of the booking in its statement, for messages (``entry 3``)."""
    structured_references: tuple[str, ...] = ()
    """Every creditor reference the booking gives (camt: each ``Strd/CdtrRefInf/Ref``), the
    first of which is ``structured_reference``."""
    additional_info: str = ""
    """camt ``AddtlTxInf`` and ``AddtlNtryInf``, kept apart from the remittance text."""
    mandate_id: str | None = None
    """The SEPA direct-debit mandate (camt ``Refs/MndtId``, MT940 ``/MARF/``, ``MACHTIGING:``)."""
    creditor_id: str | None = None
    """The SEPA creditor id (camt ``Cdtr/Id/PrvtId/Othr/Id``, MT940 ``/CSID/``, ``INCASSANT:``)."""
    line: int | None = None
    """The source line of the booking (MT940 the ``:61:`` line), for messages."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Balance:
    """A booked balance on a statement: signed (a debit balance is negative)."""

    amount: Decimal
    currency: str
    on: date
    intermediate: bool = False
    """An MT940 intermediate balance (``:60M:``/``:62M:``): the statement continues on
    another page."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """One MT940 page (``:20:`` ... ``:62M:``/``:62F:``) of a statement spread over several
    messages; camt statements have none."""

    opening: Balance
    closing: Balance
    entries: int
    """The number of bookings on this page."""
    line: int
    """The line of the page's ``:20:``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Statement:
    """One statement (camt ``Stmt``/``Ntfctn``, MT940 one ``:20:``... ``:62F:`` run, its
    ``:60M:``/``:62M:`` pages chained)."""

    source: str
    """The file it was read from, as given, for messages."""
    format: str
    """``camt.053.001.02`` ... ``camt.054.001.08``, or ``mt940``."""
    account: str
    """The statement's own account: the compact IBAN, or the account id the statement gives
    where it has no IBAN."""
    currency: str
    statement_id: str | None = None
    """camt ``Stmt/Id``; MT940 ``:20:`` with ``:28C:``."""
    period_from: date | None = None
    period_to: date | None = None
    opening: Balance | None = None
    closing: Balance | None = None
    transactions: tuple[Transaction, ...] = field(default=())
    pages: tuple[Page, ...] = ()
    """The MT940 pages when the statement spans more than one, in order."""

    @property
    def difference(self) -> Decimal | None:
        """opening + entries - closing, or None when the statement has no balances (camt.054)
        or its balances are in another currency than its entries."""
        if self.opening is None or self.closing is None:
            return None
        if self.opening.currency != self.closing.currency:
            return None
        total = sum((t.amount for t in self.transactions), Decimal(0))
        return self.opening.amount + total - self.closing.amount

    @property
    def balance_problem(self) -> str | None:
        """None when the balances check out: opening + entries = closing in one currency
        and, for MT940 pages, each page opening where the page before closed. Otherwise the
        reason, with the amount of the difference where there is one."""
        if self.opening is None or self.closing is None:
            if self.format.startswith("camt.054"):
                return "no balances to check (camt.054 notification)"
            return "no opening or closing balance to check"
        if self.opening.currency != self.closing.currency:
            return (
                f"balances in different currencies: opening {self.opening.currency}, "
                f"closing {self.closing.currency}"
            )
        foreign = sorted({t.currency for t in self.transactions} - {self.opening.currency})
        if foreign:
            return f"entries in {', '.join(foreign)}, balances in {self.opening.currency}"
        problems = []
        for before, page in zip(self.pages, self.pages[1:], strict=False):
            if page.opening.amount != before.closing.amount:
                problems.append(
                    f"page at line {page.line} opens at {page.opening.amount} but the page "
                    f"before closed at {before.closing.amount}"
                )
        if self.opening.intermediate:
            problems.append("starts on an intermediate balance :60M: (the page before is missing)")
        if self.closing.intermediate:
            problems.append("ends on an intermediate balance :62M: (the page after is missing)")
        difference = self.difference
        if difference:
            entries = difference + self.closing.amount - self.opening.amount
            problems.append(
                f"opening + entries - closing = {difference} {self.opening.currency} (opening "
                f"{self.opening.amount}, entries {entries}, closing {self.closing.amount})"
            )
        return "; ".join(problems) or None
