"""One camt ``Ntry`` (with its ``NtryDtls/TxDtls``) as a :class:`~reconcile.transaction.Transaction`.

The field sources are the table in :mod:`reconcile.transaction`. In the paths below ``N`` is the
``Ntry`` and ``T`` one ``NtryDtls/TxDtls``. An entry with exactly one ``TxDtls`` (a batch of one included) takes
that child's fields and has no children; with two or more, each ``TxDtls`` is a child.
"""

from __future__ import annotations

import functools
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


class _Fields:
    """The elements under one ``Ntry`` or ``TxDtls``, by their path of local names
    (``Refs/EndToEndId``), each path's elements in document order: what ``find`` and
    ``findall`` with that path would give, from one walk over the subtree instead of one
    walk per field. Elements of another namespace are left out with everything under them,
    as a namespaced path never matches them.

    The walk of an ``Ntry`` gives each of its ``NtryDtls/TxDtls`` fields of its own
    (:attr:`parts`, in document order), with paths from the ``TxDtls``."""

    __slots__ = ("_found", "parts")

    def __init__(self, found: dict[str, list[Element]], parts: list[_Fields]) -> None:
        self._found = found
        self.parts = parts

    @classmethod
    def walk(cls, element: Element, prefix: str, split: str = "") -> _Fields:
        """The fields of ``element``'s subtree; ``prefix`` is ``{namespace}``; each element
        at path ``split`` starts a part. lxml yields the elements of the namespace in
        document order (a C loop); an element is kept when its parent was, so a foreign
        element hides its subtree."""
        found: dict[str, list[Element]] = {}
        parts: list[_Fields] = []
        skip = len(prefix)
        paths: dict[Element | None, tuple[str, dict[str, list[Element]]]] = {element: ("", found)}
        for child in element.iterdescendants(f"{prefix}*"):
            parent = paths.get(child.getparent())
            if parent is None:
                continue
            base, into = parent
            path = base + child.tag[skip:]
            same = into.get(path)
            if same is None:
                into[path] = [child]
            else:
                same.append(child)
            if path == split and into is found:
                part: dict[str, list[Element]] = {}
                parts.append(cls(part, []))
                paths[child] = ("", part)
            elif len(child):
                paths[child] = (path + "/", into)
        return cls(found, parts)

    def text(self, path: str) -> str | None:
        """The stripped text of the first element at ``path``, or None."""
        found = self._found.get(path)
        if found is None:
            return None
        value = found[0].text
        if value is None:
            return None
        value = value.strip()
        return value or None

    def first(self, *paths: str) -> str | None:
        for path in paths:
            found = self._found.get(path)
            if found is not None:
                value = found[0].text
                if value is not None and (value := value.strip()):
                    return value
        return None

    def element(self, path: str) -> Element | None:
        found = self._found.get(path)
        return None if found is None else found[0]

    def all(self, path: str) -> list[Element]:
        return self._found.get(path) or []


class EntryReader:
    """Reads entries of one namespace; ``own_account`` picks the counterparty side."""

    def __init__(self, namespace: str) -> None:
        self._ns = namespace
        self._prefix = f"{{{namespace}}}"
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
            return _iso_day(value[:10])
        except ValueError:
            raise EntryError(f"{path}: {value!r} is not a date") from None

    def money(self, element: Element, path: str) -> tuple[Decimal, str] | None:
        """The amount at ``path`` with its ``Ccy``, checked and quantized."""
        return self._money(element.find(self._p(path)), path)

    def _money(self, found: Element | None, path: str) -> tuple[Decimal, str] | None:
        """The amount of element ``found`` (at ``path``) with its ``Ccy``, checked and
        quantized."""
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

    @staticmethod
    def _day(fields: _Fields, path: str) -> date | None:
        """``path/Dt`` or the date part of ``path/DtTm``."""
        value = fields.first(f"{path}/Dt", f"{path}/DtTm")
        if value is None:
            return None
        try:
            return _iso_day(value[:10])
        except ValueError:
            raise EntryError(f"{path}: {value!r} is not a date") from None

    def entry(self, ntry: Element, position: int, own_account: str | None) -> Transaction:
        """The Transaction of one ``Ntry``."""
        f = _Fields.walk(ntry, self._prefix, split="NtryDtls/TxDtls")
        money = self._money(f.element("Amt"), "Amt")
        if money is None:
            raise EntryError("Amt missing")
        value, currency = money
        sign = _sign(f.text("CdtDbtInd"), "CdtDbtInd")
        booking = self._day(f, "BookgDt") or self._day(f, "ValDt")
        if booking is None:
            raise EntryError("BookgDt missing")
        details = f.parts
        fields: dict[str, object] = {}
        children: tuple[Transaction, ...] = ()
        if len(details) == 1:
            fields = self._details(details[0], sign, own_account)
        elif details:
            children = tuple(
                self._child(t, n, booking, sign, currency, own_account)
                for n, t in enumerate(details, start=1)
            )
        info = [i for i in (fields.pop("additional_info", None), f.text("AddtlNtryInf")) if i]
        return Transaction(
            booking_date=booking,
            value_date=self._day(f, "ValDt"),
            amount=value * sign,
            currency=currency,
            bank_reference=_str(fields.pop("bank_reference", None)) or f.text("AcctSvcrRef"),
            bank_code=_str(fields.pop("bank_code", None)) or _bank_code(f),
            reversal=(f.text("RvslInd") or "").lower() in ("true", "1"),
            additional_info=" ".join(str(i) for i in info),
            children=children,
            entry=position,
            **fields,  # type: ignore[arg-type]
        )

    def _child(
        self,
        f: _Fields,
        position: int,
        booking: date,
        parent_sign: int,
        parent_currency: str,
        own_account: str | None,
    ) -> Transaction:
        indicator = f.text("CdtDbtInd")
        sign = _sign(indicator, "TxDtls/CdtDbtInd") if indicator else parent_sign
        money = self._money(f.element("Amt"), "Amt") or self._money(
            f.element("AmtDtls/TxAmt/Amt"), "AmtDtls/TxAmt/Amt"
        )
        fields = self._details(f, sign, own_account)
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

    def _details(self, f: _Fields, sign: int, own_account: str | None) -> dict[str, object]:
        """The fields one ``TxDtls`` gives (references, parties, remittance, return)."""
        end_to_end = f.text("Refs/EndToEndId")
        if end_to_end is not None and end_to_end.upper() == "NOTPROVIDED":
            end_to_end = None
        references = tuple(
            "".join(ref.split())
            for ref in (self.text(r, "Ref") for r in f.all("RmtInf/Strd/CdtrRefInf"))
            if ref
        )
        text = " ".join(" ".join(u.text.split()) for u in f.all("RmtInf/Ustrd") if u.text)
        fields: dict[str, object] = {
            "counterparty": _counterparty(f, sign, own_account),
            "ultimate_debtor": f.first("RltdPties/UltmtDbtr/Nm", "RltdPties/UltmtDbtr/Pty/Nm"),
            "structured_reference": references[0] if references else None,
            "structured_references": references,
            "text": text,
            "end_to_end_id": end_to_end,
            "return_reason": f.first("RtrInf/Rsn/Cd", "RtrInf/Rsn/Prtry"),
            "mandate_id": f.text("Refs/MndtId"),
            "creditor_id": f.first(
                "RltdPties/Cdtr/Id/PrvtId/Othr/Id", "RltdPties/Cdtr/Pty/Id/PrvtId/Othr/Id"
            ),
            "bank_reference": f.text("Refs/AcctSvcrRef"),
            "bank_code": _bank_code(f),
            "additional_info": f.text("AddtlTxInf"),
        }
        return fields


def _bank_code(f: _Fields) -> str | None:
    """``BkTxCd/Domn/Cd-Fmly/Cd-SubFmlyCd`` (``PMNT-RCDT-ESCT``), else ``Prtry/Cd``."""
    domain = f.text("BkTxCd/Domn/Cd")
    if domain is not None:
        parts = [domain, f.text("BkTxCd/Domn/Fmly/Cd"), f.text("BkTxCd/Domn/Fmly/SubFmlyCd")]
        return "-".join(p for p in parts if p)
    return f.text("BkTxCd/Prtry/Cd")


_iso_day = functools.lru_cache(maxsize=1024)(date.fromisoformat)
"""A statement's entries share a few dates: each is parsed once."""


def _role_paths(role: str) -> tuple[tuple[str, str], tuple[str, str], tuple[str, str]]:
    return (
        (f"RltdPties/{role}/Nm", f"RltdPties/{role}/Pty/Nm"),
        (f"RltdPties/{role}Acct/Id/IBAN", f"RltdPties/{role}Acct/Id/Othr/Id"),
        (f"RltdAgts/{role}Agt/FinInstnId/BIC", f"RltdAgts/{role}Agt/FinInstnId/BICFI"),
    )


_ROLE_PATHS = {role: _role_paths(role) for role in ("Dbtr", "Cdtr")}
"""Each party's name, account and agent paths (made once, not per entry)."""


def _party(f: _Fields, role: str) -> Counterparty | None:
    """``Dbtr`` or ``Cdtr`` with its account and agent, or None when none is given."""
    names, accounts, agents = _ROLE_PATHS[role]
    name = f.first(*names)
    iban = f.first(*accounts)
    bic = f.first(*agents)
    if name is None and iban is None and bic is None:
        return None
    return Counterparty(name=name, iban="".join(iban.split()).upper() if iban else None, bic=bic)


def _counterparty(f: _Fields, sign: int, own_account: str | None) -> Counterparty | None:
    """The other side: the debtor of a credit, the creditor of a debit; where that side
    carries our own account and the other one does not, the other one."""
    debtor, creditor = _party(f, "Dbtr"), _party(f, "Cdtr")
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
