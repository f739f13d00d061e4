"""One camt ``Ntry`` (with its ``NtryDtls/TxDtls``) as a :class:`~reconcile.transaction.Transaction`.

The field sources are the table in :mod:`reconcile.transaction`. In the paths below ``N`` is the
``Ntry`` and ``T`` one ``NtryDtls/TxDtls``. An entry with exactly one ``TxDtls`` (a batch of one included) takes
that child's fields and has no children; with two or more, each ``TxDtls`` is a child.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree

from reconcile.statements.currency import amount as parse_amount
from reconcile.statements.currency import check_currency
from reconcile.transaction import Counterparty, Transaction

__all__ = ["EntryReader"]

Element = etree._Element


class EntryError(ValueError):
    """A field of the entry that cannot be read; the reader adds file and entry."""


class EntryReader:
    """Reads entries of one namespace; ``own_account`` picks the counterparty side."""

    def __init__(self, namespace: str) -> None:
        self._ns = namespace
        self._paths: dict[str, str] = {}

    def _p(self, path: str) -> str:
        found = self._paths.get(path)
        if found is None:
            found = "/".join(f"{{{self._ns}}}{step}" for step in path.split("/"))
            self._paths[path] = found
        return found

    def text(self, element: Element | None, path: str) -> str | None:
        """The stripped text at ``path`` under ``element``, or None."""
        if element is None:
            return None
        found = element.find(self._p(path))
        if found is None or found.text is None:
            return None
        value = found.text.strip()
        return value or None

    def first(self, element: Element | None, *paths: str) -> str | None:
        for path in paths:
            value = self.text(element, path)
            if value is not None:
                return value
        return None

    def find(self, element: Element, path: str) -> Element | None:
        return element.find(self._p(path))

    def findall(self, element: Element, path: str) -> list[Element]:
        return list(element.iterfind(self._p(path)))

    def day(self, element: Element | None, path: str) -> date | None:
        """``path/Dt`` or the date part of ``path/DtTm``."""
        value = self.first(element, f"{path}/Dt", f"{path}/DtTm")
        if value is None:
            return None
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            raise EntryError(f"{path}: {value!r} is not a date") from None

    def money(self, element: Element, path: str) -> tuple[Decimal, str] | None:
        """The amount at ``path`` with its ``Ccy``, checked and quantized."""
        found = element.find(self._p(path))
        if found is None:
            return None
        currency = (found.get("Ccy") or "").strip()
        problem = check_currency(currency)
        if problem:
            raise EntryError(problem)
        try:
            return parse_amount(found.text or "", currency), currency
        except ValueError as failure:
            raise EntryError(f"{path}: {failure}") from None

    def entry(self, ntry: Element, position: int, own_account: str | None) -> Transaction:
        """The Transaction of one ``Ntry``."""
        money = self.money(ntry, "Amt")
        if money is None:
            raise EntryError("Amt missing")
        value, currency = money
        sign = _sign(self.text(ntry, "CdtDbtInd"), "CdtDbtInd")
        booking = self.day(ntry, "BookgDt") or self.day(ntry, "ValDt")
        if booking is None:
            raise EntryError("BookgDt missing")
        details = self.findall(ntry, "NtryDtls/TxDtls")
        fields: dict[str, object] = {}
        children: tuple[Transaction, ...] = ()
        if len(details) == 1:
            fields = self._details(details[0], sign, own_account)
        elif details:
            children = tuple(
                self._child(t, n, booking, sign, currency, own_account)
                for n, t in enumerate(details, start=1)
            )
        info = [
            i for i in (fields.pop("additional_info", None), self.text(ntry, "AddtlNtryInf")) if i
        ]
        return Transaction(
            booking_date=booking,
            value_date=self.day(ntry, "ValDt"),
            amount=value * sign,
            currency=currency,
            bank_reference=_str(fields.pop("bank_reference", None))
            or self.text(ntry, "AcctSvcrRef"),
            bank_code=_str(fields.pop("bank_code", None)) or self.bank_code(ntry),
            reversal=(self.text(ntry, "RvslInd") or "").lower() in ("true", "1"),
            additional_info=" ".join(str(i) for i in info),
            children=children,
            entry=position,
            **fields,  # type: ignore[arg-type]
        )

    def bank_code(self, element: Element) -> str | None:
        """``BkTxCd/Domn/Cd-Fmly/Cd-SubFmlyCd`` (``PMNT-RCDT-ESCT``), else ``Prtry/Cd``."""
        domain = self.text(element, "BkTxCd/Domn/Cd")
        if domain is not None:
            parts = [
                domain,
                self.text(element, "BkTxCd/Domn/Fmly/Cd"),
                self.text(element, "BkTxCd/Domn/Fmly/SubFmlyCd"),
            ]
            return "-".join(p for p in parts if p)
        return self.text(element, "BkTxCd/Prtry/Cd")

    def _child(
        self,
        tx: Element,
        position: int,
        booking: date,
        parent_sign: int,
        parent_currency: str,
        own_account: str | None,
    ) -> Transaction:
        indicator = self.text(tx, "CdtDbtInd")
        sign = _sign(indicator, "TxDtls/CdtDbtInd") if indicator else parent_sign
        money = self.money(tx, "Amt") or self.money(tx, "AmtDtls/TxAmt/Amt")
        fields = self._details(tx, sign, own_account)
        info = fields.pop("additional_info", None)
        return Transaction(
            booking_date=booking,
            amount=money[0] * sign if money else Decimal(0).quantize(Decimal("0.01")),
            currency=money[1] if money else parent_currency,
            amount_given=money is not None,
            additional_info=str(info or ""),
            entry=position,
            **fields,  # type: ignore[arg-type]
        )

    def _details(self, tx: Element, sign: int, own_account: str | None) -> dict[str, object]:
        """The fields one ``TxDtls`` gives (references, parties, remittance, return)."""
        end_to_end = self.text(tx, "Refs/EndToEndId")
        if end_to_end is not None and end_to_end.upper() == "NOTPROVIDED":
            end_to_end = None
        references = tuple(
            "".join(ref.split())
            for ref in (self.text(r, "Ref") for r in self.findall(tx, "RmtInf/Strd/CdtrRefInf"))
            if ref
        )
        text = " ".join(
            " ".join((u.text or "").split()) for u in self.findall(tx, "RmtInf/Ustrd") if u.text
        )
        fields: dict[str, object] = {
            "counterparty": self._counterparty(tx, sign, own_account),
            "ultimate_debtor": self.first(
                tx, "RltdPties/UltmtDbtr/Nm", "RltdPties/UltmtDbtr/Pty/Nm"
            ),
            "structured_reference": references[0] if references else None,
            "structured_references": references,
            "text": text,
            "end_to_end_id": end_to_end,
            "return_reason": self.first(tx, "RtrInf/Rsn/Cd", "RtrInf/Rsn/Prtry"),
            "mandate_id": self.text(tx, "Refs/MndtId"),
            "creditor_id": self.first(
                tx, "RltdPties/Cdtr/Id/PrvtId/Othr/Id", "RltdPties/Cdtr/Pty/Id/PrvtId/Othr/Id"
            ),
            "bank_reference": self.text(tx, "Refs/AcctSvcrRef"),
            "bank_code": self.bank_code(tx),
            "additional_info": self.text(tx, "AddtlTxInf"),
        }
        return fields

    def _party(self, tx: Element, role: str) -> Counterparty | None:
        """``Dbtr`` or ``Cdtr`` with its account and agent, or None when none is given."""
        name = self.first(tx, f"RltdPties/{role}/Nm", f"RltdPties/{role}/Pty/Nm")
        iban = self.first(tx, f"RltdPties/{role}Acct/Id/IBAN", f"RltdPties/{role}Acct/Id/Othr/Id")
        bic = self.first(
            tx, f"RltdAgts/{role}Agt/FinInstnId/BIC", f"RltdAgts/{role}Agt/FinInstnId/BICFI"
        )
        if name is None and iban is None and bic is None:
            return None
        return Counterparty(
            name=name, iban="".join(iban.split()).upper() if iban else None, bic=bic
        )

    def _counterparty(self, tx: Element, sign: int, own_account: str | None) -> Counterparty | None:
        """The other side: the debtor of a credit, the creditor of a debit; where that side
        carries our own account and the other one does not, the other one."""
        debtor, creditor = self._party(tx, "Dbtr"), self._party(tx, "Cdtr")
        chosen, other = (debtor, creditor) if sign > 0 else (creditor, debtor)
        if (
            chosen is not None
            and other is not None
            and own_account
            and chosen.iban == own_account
            and other.iban != own_account
        ):
            return other
        return chosen if chosen is not None else None


def _sign(indicator: str | None, where: str) -> int:
    if indicator == "CRDT":
        return 1
    if indicator == "DBIT":
        return -1
    raise EntryError(f"{where} {indicator!r} is not CRDT or DBIT")


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
