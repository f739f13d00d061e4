"""A human-readable copy of an invoice or credit note, as one self-contained HTML page.

The collection dossier carries it beside the UBL, so that a person at the agency (or the
debtor's lawyer) can read what was invoiced without a UBL viewer. It shows what EN 16931
makes the legal content of the invoice: the number (BT-1) and dates (BT-2, BT-9), seller
(BG-4) and buyer (BG-7) with their addresses and legal ids, the lines (BG-25), the VAT
breakdown (BG-23), the totals (BG-22) and the payment instructions (BG-16).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from html import escape

from model.document import Address, Invoice, Party

__all__ = ["html_copy"]

_STYLE = (
    "body{font-family:sans-serif;max-width:52em;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;width:100%;margin:1em 0}"
    "th,td{border-bottom:1px solid #ccc;padding:.3em .5em;text-align:left}"
    "td.n,th.n{text-align:right}.parties{display:flex;gap:3em}"
)


def _money(amount: Decimal | None, currency: str) -> str:
    return "" if amount is None else f"{amount:,.2f} {currency}"


def _address(address: Address) -> list[str]:
    lines = [
        address.line1,
        address.line2,
        address.line3,
        " ".join(filter(None, (address.postal_code, address.city))),
        address.subdivision,
        address.country,
    ]
    return [line for line in lines if line]


def _party(title: str, party: Party) -> str:
    rows = [f"<strong>{escape(party.name)}</strong>"]
    if party.trading_name:
        rows.append(escape(party.trading_name))
    rows.extend(escape(line) for line in _address(party.address))
    if party.legal_registration is not None:
        rows.append(f"Registration: {escape(party.legal_registration.value)}")
    if party.vat_id:
        rows.append(f"VAT: {escape(party.vat_id)}")
    if party.endpoint is not None:
        scheme = f"{party.endpoint.scheme}:" if party.endpoint.scheme else ""
        rows.append(f"Electronic address: {escape(scheme + party.endpoint.value)}")
    if party.contact is not None and party.contact.email:
        rows.append(f"E-mail: {escape(party.contact.email)}")
    return f"<div><h2>{escape(title)}</h2>" + "<br>".join(rows) + "</div>"


def _table(head: Iterable[str], rows: Iterable[Iterable[str]], numeric: set[int]) -> str:
    def cell(tag: str, index: int, text: str) -> str:
        cls = ' class="n"' if index in numeric else ""
        return f"<{tag}{cls}>{escape(text)}</{tag}>"

    out = ["<table><tr>", *(cell("th", i, h) for i, h in enumerate(head)), "</tr>"]
    for row in rows:
        out.append("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>")
    out.append("</table>")
    return "".join(out)


def html_copy(invoice: Invoice) -> str:
    """The invoice as an HTML page (UTF-8, no external resources)."""
    cur = invoice.currency
    title = "Credit note" if invoice.is_credit_note else "Invoice"
    facts = [
        ("Number", invoice.number),
        ("Issue date", invoice.issue_date.isoformat()),
        ("Due date", invoice.due_date.isoformat() if invoice.due_date else ""),
        ("Buyer reference", invoice.buyer_reference or ""),
        ("Order reference", invoice.order_reference or ""),
        ("Payment terms", invoice.payment_terms or ""),
    ]
    lines = _table(
        ("Line", "Item", "Quantity", "Unit price", "VAT %", "Net amount"),
        (
            (
                line.id,
                line.item.name,
                f"{line.quantity.normalize():f} {line.unit}",
                _money(line.price.net, cur),
                "" if line.item.vat_rate is None else f"{line.item.vat_rate.normalize():f}",
                _money(line.net_amount, cur),
            )
            for line in invoice.lines
        ),
        numeric={2, 3, 4, 5},
    )
    vat = _table(
        ("VAT category", "Rate %", "Taxable amount", "VAT"),
        (
            (
                b.category,
                "" if b.rate is None else f"{b.rate.normalize():f}",
                _money(b.taxable_amount, cur),
                _money(b.tax_amount, cur),
            )
            for b in invoice.vat_breakdown
        ),
        numeric={1, 2, 3},
    )
    totals = invoice.totals
    total_rows = [
        ("Total without VAT", _money(totals.without_vat, cur)),
        ("VAT", _money(totals.vat, cur)),
        ("Total with VAT", _money(totals.with_vat, cur)),
        ("Paid", _money(totals.prepaid, cur)),
        ("Amount due", _money(totals.payable, cur)),
    ]
    payment = [
        f"{escape(m.credit_transfer.account_id)}"
        + (f" ({escape(m.credit_transfer.account_name)})" if m.credit_transfer.account_name else "")
        + (f", reference {escape(m.remittance_info)}" if m.remittance_info else "")
        for m in invoice.payment_means
        if m.credit_transfer is not None
    ]
    notes = [f"<p>{escape(note.text)}</p>" for note in invoice.notes]
    return "".join(
        [
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
            f"<title>{title} {escape(invoice.number)}</title><style>{_STYLE}</style></head><body>",
            f"<h1>{title} {escape(invoice.number)}</h1>",
            _table(("", ""), ((k, v) for k, v in facts if v), numeric=set()),
            '<div class="parties">',
            _party("Seller", invoice.seller),
            _party("Buyer", invoice.buyer),
            "</div>",
            "<h2>Lines</h2>",
            lines,
            "<h2>VAT</h2>",
            vat,
            _table(("Totals", ""), ((k, v) for k, v in total_rows if v), numeric={1}),
            *(["<h2>Payment</h2><p>Pay to " + "<br>".join(payment) + "</p>"] if payment else []),
            *notes,
            "</body></html>",
        ]
    )
