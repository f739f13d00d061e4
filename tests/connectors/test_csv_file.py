"""The CSV connector (connectors.csv_file, csv_map, csv_layout, csv_settings) on real files.

Each test writes its export to tmp_path. The standard invoice below has two lines: 12 x 24.95
= 299.40 at 21% (VAT 62.874 -> 62.87) and 6 x 21.40 = 128.40 at 9% (VAT 11.556 -> 11.56), so
its totals are 427.80 without VAT, 74.43 VAT and 502.23 with VAT.
"""

from __future__ import annotations

import csv
import re
import tomllib
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support.csv_export import CUSTOMER, SELLER
from support.file_sources import (
    LONG_AGO,
    SHARED_MTIME,
    assert_resumes_exactly_once,
    documents_and_errors,
    set_mtime,
)
from support.shared import REPO_ROOT

import mappings
import ubl
from connectors.base import Capability, DocumentRef, Payment, StatusUpdate, Stream
from connectors.base import DocumentStatus as Status
from connectors.csv_file import CsvConnector
from connectors.csv_layout import COLUMNS, CsvFormat
from connectors.csv_settings import SellerSettings, csv_settings
from connectors.errors import ConfigurationError, RecordError
from ledgerlink.connections import open_connection
from ledgerlink.settings import load_settings
from model import DocumentKind, Identifier, Invoice
from model.codes import eas, icd, iso3166, iso4217, rec20, uncl4461, uncl5305, vatex

LINES = (
    {"description": "Kopieerpapier A4", "quantity": "12", "unit": "stuk", "unit_price": "24.95"},
    {"description": "Koffiebonen 1 kg", "quantity": "6", "unit": "kg", "unit_price": "21.40"},
)
VAT_CODES = ("21", "9")

Row = dict[str, str]


def invoice_rows(number: str, **changes: str) -> list[Row]:
    """The standard invoice's two rows, with ``changes`` on every row."""
    return [
        {"number": number, **CUSTOMER, **line, "vat_code": vat, **changes}
        for line, vat in zip(LINES, VAT_CODES, strict=True)
    ]


def write_export(
    path: Path, rows: Iterable[Mapping[str, str]], *, delimiter: str = ",", encoding: str = "utf-8"
) -> Path:
    """A CSV export of ``rows``; the header is every column used, in first-seen order."""
    rows = list(rows)
    header = list(dict.fromkeys(name for row in rows for name in row))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as stream:
        writer = csv.writer(stream, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows([row.get(name, "") for name in header] for row in rows)
    return path


def connector(path: Path, **settings: Any) -> CsvConnector:
    return CsvConnector(path, seller=settings.pop("seller", SELLER), **settings)


def records_by_id(source: CsvConnector) -> dict[str, Any]:
    return {
        record.id: record for page in source.pull(Stream.INVOICES, None) for record in page.records
    }


def document(source: CsvConnector, record_id: str) -> Invoice:
    return source.document(records_by_id(source)[record_id])


def refused(source: CsvConnector, record_id: str) -> str:
    """The reason the record ``record_id`` is refused (it must be)."""
    with pytest.raises(RecordError) as failure:
        source.document(records_by_id(source)[record_id])
    assert failure.value.record_id == record_id
    return failure.value.reason


def assert_valid_peppol(document: Invoice) -> None:
    report = ubl.validate(ubl.write(document, "peppol-bis3"))
    assert report.fatal == (), [(issue.rule, issue.message) for issue in report.fatal]


# -- good invoices -------------------------------------------------------------------------------


def test_the_standard_invoice_maps_every_column_to_its_term(
    tmp_path: Path, artifacts_cache: Path
) -> None:
    path = write_export(
        tmp_path / "export.csv",
        invoice_rows(
            "INV-1",
            order_reference="PO-88412",
            payment_terms="30 dagen",
            note="Bedankt voor uw bestelling",
            customer_email="inkoop@jansen.example",
        ),
    )
    invoice = document(connector(path), "INV-1")
    assert (invoice.number, invoice.kind, invoice.type_code) == (
        "INV-1",
        DocumentKind.INVOICE,
        "380",
    )
    assert str(invoice.issue_date) == "2026-01-02" and str(invoice.due_date) == "2026-02-01"
    assert invoice.currency == "EUR"  # no currency column: [defaults] currency
    assert (invoice.buyer_reference, invoice.order_reference) == ("JANSEN-17", "PO-88412")
    assert invoice.payment_terms == "30 dagen"
    assert [note.text for note in invoice.notes] == ["Bedankt voor uw bestelling"]
    buyer = invoice.buyer
    assert buyer.legal_registration == Identifier(value="30112233", scheme="0106")
    assert buyer.endpoint == buyer.legal_registration  # a KvK number is the electronic address
    assert (buyer.address.line1, buyer.address.postal_code) == ("Dorpsstraat 8", "3732 HJ")
    assert buyer.contact is not None and buyer.contact.email == "inkoop@jansen.example"
    assert invoice.seller.endpoint == Identifier(value="34567890", scheme="0106")
    (means,) = invoice.payment_means
    assert means.code == "30" and means.remittance_info == "INV-1"  # default means, number
    assert means.credit_transfer is not None
    assert means.credit_transfer.account_id == "NL91ABNA0417164300"  # spaces removed
    assert [line.id for line in invoice.lines] == ["1", "2"]
    assert [(line.unit, line.net_amount) for line in invoice.lines] == [
        ("C62", Decimal("299.40")),
        ("KGM", Decimal("128.40")),
    ]
    assert [(line.item.vat_category, line.item.vat_rate) for line in invoice.lines] == [
        ("S", Decimal("21")),
        ("S", Decimal("9")),
    ]
    totals = invoice.totals
    assert (totals.without_vat, totals.vat, totals.with_vat, totals.payable) == (
        Decimal("427.80"),
        Decimal("74.43"),
        Decimal("502.23"),
        Decimal("502.23"),
    )
    assert_valid_peppol(invoice)


def test_a_direct_debit_with_its_mandate_and_periods_is_a_valid_peppol_invoice(
    tmp_path: Path, artifacts_cache: Path
) -> None:
    rows = invoice_rows(
        "SUB-1",
        payment_method="automatische incasso",
        mandate_reference="MND-2026-0042",
        debtor_account="nl91 abna 0417 1643 00",
        period_start="2026-01-01",
        period_end="2026-01-31",
    )
    rows[0] |= {"line_period_start": "2026-01-01", "line_period_end": "2026-01-15"}
    rows[1] |= {"line_period_start": "2026-01-16"}  # an open end is allowed (BR-CO-20)
    seller = replace_seller(creditor_id="nl98 zzz 999999999999")
    invoice = document(
        connector(write_export(tmp_path / "export.csv", rows), seller=seller), "SUB-1"
    )

    (means,) = invoice.payment_means
    assert (means.code, means.credit_transfer) == ("59", None)  # no seller IBAN on a debit
    assert means.direct_debit is not None
    assert means.direct_debit.mandate == "MND-2026-0042"
    assert means.direct_debit.debited_account == "NL91ABNA0417164300"
    assert Identifier(value="NL98ZZZ999999999999", scheme="SEPA") in invoice.seller.identifiers
    assert invoice.invoice_period is not None
    assert (str(invoice.invoice_period.start), str(invoice.invoice_period.end)) == (
        "2026-01-01",
        "2026-01-31",
    )
    periods = [line.period for line in invoice.lines]
    assert periods[0] is not None and str(periods[0].end) == "2026-01-15"
    assert periods[1] is not None and (str(periods[1].start), periods[1].end) == (
        "2026-01-16",
        None,
    )
    assert_valid_peppol(invoice)
    xml = ubl.write(invoice, "peppol-bis3")
    for text in (b"MND-2026-0042", b'schemeID="SEPA">NL98ZZZ999999999999', b"2026-01-15"):
        assert text in xml


def test_a_dutch_export_with_renamed_headers_semicolons_and_decimal_commas(
    tmp_path: Path, artifacts_cache: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Factuur;Datum;Klant;KvK;BTW-nummer;Straat;Postcode;Plaats;Land;Ref;Omschrijving;"
        "Aantal;Eenheid;Prijs;BTW;Bedrag;Extra\n"
        "F-7;02-01-2026;Bakkerij Jansen B.V.;30112233;NL866120932B01;Dorpsstraat 8;3732 HJ;"
        "De Bilt;Nederland;R-1;Advies;2,5;Uur;95,10;Hoog;237,75;genegeerd\n",
        encoding="cp1252",
    )
    renames = {
        "number": "Factuur",
        "issue_date": "datum",  # headers match without regard to case
        "customer_name": "Klant",
        "customer_kvk": "KvK",
        "customer_vat": "BTW-nummer",
        "customer_street": "Straat",
        "customer_postcode": "Postcode",
        "customer_city": "Plaats",
        "customer_country": "Land",
        "buyer_reference": "Ref",
        "description": "Omschrijving",
        "quantity": "Aantal",
        "unit": "Eenheid",
        "unit_price": "Prijs",
        "vat_code": "BTW",
        "line_amount": "Bedrag",
    }
    dutch = CsvFormat(
        delimiter=";",
        decimal_separator=",",
        date_format="dd-mm-yyyy",
        encoding="cp1252",
        renames=renames,
    )
    source = connector(path, csv_format=dutch)
    (record,) = records_by_id(source).values()
    assert "Extra" not in str(record.data)  # a column the layout does not know is not read
    invoice = source.document(record)
    (line,) = invoice.lines
    assert (line.quantity, line.unit, line.price.net) == (Decimal("2.5"), "HUR", Decimal("95.10"))
    assert line.net_amount == Decimal("237.75")  # 2.5 x 95.10, the export's "Bedrag" agrees
    assert invoice.buyer.address.country == "NL"  # "Nederland" through [countries]
    assert invoice.totals.vat == Decimal("49.93")  # 237.75 x 21% = 49.9275
    assert_valid_peppol(invoice)


def test_rows_of_one_invoice_need_not_be_consecutive(tmp_path: Path) -> None:
    first, second = invoice_rows("INV-1"), invoice_rows("INV-2", customer_name="Other B.V.")
    path = write_export(tmp_path / "export.csv", [first[0], second[0], first[1], second[1]])
    source = connector(path)
    records = records_by_id(source)
    assert sorted(records) == ["INV-1", "INV-2"]
    assert [row["line"] for row in records["INV-1"].data["rows"]] == [2, 4]
    one = source.document(records["INV-1"])
    assert [line.item.name for line in one.lines] == ["Kopieerpapier A4", "Koffiebonen 1 kg"]
    assert source.document(records["INV-2"]).buyer.name == "Other B.V."


def test_invoice_columns_may_be_left_empty_on_all_but_one_row(tmp_path: Path) -> None:
    rows = invoice_rows("INV-1")
    rows[1] = {key: value for key, value in rows[1].items() if key not in CUSTOMER}
    path = write_export(tmp_path / "export.csv", rows)
    invoice = document(connector(path), "INV-1")
    assert invoice.buyer.name == "Bakkerij Jansen B.V." and len(invoice.lines) == 2


def test_a_credit_note_exported_with_negative_amounts_becomes_a_positive_credit_note(
    tmp_path: Path, artifacts_cache: Path
) -> None:
    rows = [
        {
            **row,
            "kind": "credit_note",
            "quantity": f"-{row['quantity']}",
            "preceding_invoice": "INV-1",
        }
        for row in invoice_rows("CN-1")
    ]
    rows[0]["line_amount"] = "-299.40"
    rows[0]["total_with_vat"] = "-502.23"
    path = write_export(tmp_path / "export.csv", rows)
    credit = document(connector(path), "CN-1")
    assert (credit.kind, credit.type_code) == (DocumentKind.CREDIT_NOTE, "381")
    assert [line.quantity for line in credit.lines] == [Decimal(12), Decimal(6)]
    assert credit.totals.with_vat == Decimal("502.23")
    assert [preceding.number for preceding in credit.preceding_invoices] == ["INV-1"]
    assert_valid_peppol(credit)


def test_an_invoice_without_kind_and_with_a_negative_total_is_a_credit_note(
    tmp_path: Path,
) -> None:
    rows = [{**row, "unit_price": f"-{row['unit_price']}"} for row in invoice_rows("CN-2")]
    path = write_export(tmp_path / "export.csv", rows)
    credit = document(connector(path), "CN-2")
    assert credit.kind is DocumentKind.CREDIT_NOTE
    assert credit.totals.with_vat == Decimal("502.23")
    # -12 x -24.95 would break BR-27 (no negative price); the sign moved and then reversed
    assert (credit.lines[0].quantity, credit.lines[0].price.net) == (
        Decimal(12),
        Decimal("24.95"),
    )


def test_a_discount_line_with_a_negative_price_is_written_with_a_negative_quantity(
    tmp_path: Path, artifacts_cache: Path
) -> None:
    rows = [
        *invoice_rows("INV-1"),
        {"number": "INV-1", "description": "Korting", "quantity": "1", "unit_price": "-10.00"},
    ]
    rows[-1]["vat_code"] = "21"
    path = write_export(tmp_path / "export.csv", rows)
    invoice = document(connector(path), "INV-1")
    discount = invoice.lines[-1]
    assert (discount.quantity, discount.price.net, discount.net_amount) == (
        Decimal(-1),
        Decimal("10.00"),
        Decimal("-10.00"),
    )
    assert invoice.totals.without_vat == Decimal("417.80")
    assert_valid_peppol(invoice)


def test_exempt_reverse_charge_and_intra_community_codes_carry_their_exemption(
    tmp_path: Path, artifacts_cache: Path
) -> None:
    belgian = {
        "customer_name": "Drukkerij Peeters BV",
        "customer_vat": "BE0477472701",
        "customer_kvk": "",
        "customer_street": "Kerkstraat 14",
        "customer_postcode": "2000",
        "customer_city": "Antwerpen",
        "customer_country": "België",
    }
    rows = [
        *invoice_rows("AE-1", vat_code="verlegd", **belgian),
        *invoice_rows(
            "IC-1", vat_code="ICP", delivery_date="2026-01-02", delivery_country="BE", **belgian
        ),
    ]
    source = connector(write_export(tmp_path / "export.csv", rows))
    reverse = document(source, "AE-1")
    (group,) = reverse.vat_breakdown
    assert (group.category, group.exemption_code, group.tax_amount) == (
        "AE",
        "VATEX-EU-AE",
        Decimal("0.00"),
    )
    assert reverse.buyer.endpoint == Identifier(value="BE0477472701", scheme="9925")
    intra = document(source, "IC-1")
    assert intra.vat_breakdown[0].exemption_code == "VATEX-EU-IC"
    assert intra.delivery is not None and intra.delivery.address is not None
    assert intra.delivery.address.country == "BE"
    assert_valid_peppol(reverse)
    assert_valid_peppol(intra)


def test_the_customers_kvk_may_come_from_the_parties_table(tmp_path: Path) -> None:
    rows = invoice_rows("INV-1", customer_kvk="", customer_code="JANSEN")
    path = write_export(tmp_path / "export.csv", rows)
    source = connector(path, parties={"JANSEN": {"oin": "00000001"}})
    assert document(source, "INV-1").buyer.legal_registration == Identifier(
        value="00000001", scheme="0190"
    )
    by_vat = connector(path, parties={"NL866120932B01": {"kvk": "99887766"}, "JANSEN": {}})
    assert document(by_vat, "INV-1").buyer.endpoint == Identifier(value="99887766", scheme="0106")


def test_without_a_legal_id_the_vat_id_is_the_electronic_address(tmp_path: Path) -> None:
    rows = invoice_rows("INV-1", customer_kvk="")
    invoice = document(connector(write_export(tmp_path / "export.csv", rows)), "INV-1")
    assert invoice.buyer.legal_registration is None
    assert invoice.buyer.endpoint == Identifier(value="NL866120932B01", scheme="9944")


def test_check_columns_that_agree_pass(tmp_path: Path) -> None:
    rows = invoice_rows(
        "INV-1", total_without_vat="427.80", total_vat="74.43", total_with_vat="502.23"
    )
    rows[0]["line_amount"], rows[1]["line_amount"] = "299.40", "128.4"
    rows[0]["paid_amount"], rows[0]["amount_due"] = "100.00", "402.23"
    invoice = document(connector(write_export(tmp_path / "export.csv", rows)), "INV-1")
    assert (invoice.totals.prepaid, invoice.totals.payable) == (
        Decimal("100.00"),
        Decimal("402.23"),
    )


# -- bad rows: a RecordError naming file, line and column; the other invoices go on -------------


def _bad(**changes: str) -> list[Row]:
    """INV-2's rows with ``changes`` on its second row (file line 5 after INV-1's two rows)."""
    rows = invoice_rows("INV-2")
    rows[1] = {**rows[1], **changes}
    return rows


BAD_ROWS = {
    "thousands separator": (
        _bad(unit_price="1,234.50"),
        "unit_price (BT-146)",
        r"thousands separators are not accepted",
    ),
    "exponent": (_bad(quantity="1e3"), "quantity (BT-129)", r"'1e3' is written with an exponent"),
    "not a number": (_bad(quantity="zes"), "quantity (BT-129)", r"'zes' is not a decimal number"),
    "date": (
        [{**row, "issue_date": "02-01-2026"} for row in invoice_rows("INV-2")],
        "issue_date (BT-2)",
        r"'02-01-2026' is not a date in the format '%Y-%m-%d'",
    ),
    "empty required cell": (_bad(description=""), "description (BT-153)", r"is empty"),
    "unmapped VAT code": (
        _bad(vat_code="hoog tarief"),
        "vat_code (BT-151)",
        r"no VAT mapping for CSV tax code 'hoog tarief'.*add it under \[vat\] in a new mappings "
        r"override file: create one and name it with mappings_override = ",
    ),
    "unmapped unit": (
        _bad(unit="vracht"),
        "unit (BT-130)",
        r"unit 'vracht'.*add it under \[units\] in a new mappings override file",
    ),
    "two values for one invoice": (
        _bad(customer_name="Jansen BV"),
        "customer_name (BT-44)",
        r"'Jansen BV' differs from 'Bakkerij Jansen B.V.' on line 4",
    ),
    "unknown kind": (_bad(kind="offerte"), "kind (BT-3)", r"'offerte' is not invoice or"),
    "bad endpoint": (
        _bad(customer_endpoint="12345678"),
        "customer_endpoint (BT-49)",
        r"not SCHEME:ID",
    ),
    "line amount check": (
        _bad(line_amount="128.45"),
        "line_amount (BT-131)",
        r"stated 128.45, PEPPOL-EN16931-R120 requires .* = 128.40",
    ),
    "VAT rounded per line": (
        # both lines at 21%: 62.874 + 26.964 rounded per line is 89.83, the group's 89.838 89.84
        _bad(vat_code="21", total_vat="89.83"),
        "total_vat (BT-110)",
        r"computed per line and summed \(the source rounds per line\): stated 89.83",
    ),
    "bad updated_at": (
        _bad(updated_at="gisteren"),
        "updated_at",
        r"'gisteren' is neither an ISO 8601 time",
    ),
    "mandate without a direct debit": (
        _bad(mandate_reference="MND-1"),
        "mandate_reference (BT-89)",
        r"is for a direct debit \(payment means 49 or 59\), but the invoice's payment means is 30",
    ),
    "debtor account without a direct debit": (
        _bad(debtor_account="NL91ABNA0417164300", payment_method="bank"),
        "debtor_account (BT-91)",
        r"but the invoice's payment means is 58",
    ),
    "period ends before it starts": (
        _bad(period_start="2026-02-01", period_end="2026-01-31"),
        "period_end (BT-74)",
        r"2026-01-31 is before period_start 2026-02-01 \(BR-29\)",
    ),
    "line period ends before it starts": (
        _bad(line_period_start="2026-01-31", line_period_end="2026-01-01"),
        "line_period_end (BT-135)",
        r"2026-01-01 is before line_period_start 2026-01-31 \(BR-30\)",
    ),
    "line period date": (
        _bad(line_period_start="31-01-2026"),
        "line_period_start (BT-134)",
        r"'31-01-2026' is not a date in the format '%Y-%m-%d'",
    ),
    "duplicate line id": (
        [{**row, "line_id": "1"} for row in invoice_rows("INV-2")],
        "line_id (BT-126)",
        r"'1' is also the id of the row on line 4",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_a_bad_row_names_file_line_and_column_and_the_rest_goes_on(
    case: str, tmp_path: Path
) -> None:
    rows, column, reason = BAD_ROWS[case]
    path = write_export(
        tmp_path / "export.csv", [*invoice_rows("INV-1"), *rows, *invoice_rows("INV-3")]
    )
    source = connector(path)
    documents, errors = documents_and_errors(source, source.document)
    assert sorted(documents) == ["INV-1", "INV-3"]
    message = errors["INV-2"].reason
    assert message.startswith(f"{path}:"), message
    assert re.search(rf"{re.escape(str(path))}:[0-9]+, column {re.escape(column)}", message)
    assert re.search(reason, message), message


def test_the_line_named_is_the_row_with_the_bad_value(tmp_path: Path) -> None:
    path = write_export(
        tmp_path / "export.csv", [*invoice_rows("INV-1"), *_bad(unit_price="twaalf")]
    )
    assert refused(connector(path), "INV-2").startswith(f"{path}:5, column unit_price (BT-146): ")


def test_a_renamed_column_is_named_by_the_exports_header(tmp_path: Path) -> None:
    rows = [
        {("Prijs" if key == "unit_price" else key): v for key, v in row.items()} for row in _bad()
    ]
    for row in rows:
        row["Prijs"] = row["Prijs"].replace(".", ",")
    rows[1]["Prijs"] = "1.234,50"
    path = write_export(tmp_path / "export.csv", rows)
    dutch = CsvFormat(decimal_separator=",", renames={"unit_price": "Prijs"})
    reason = refused(connector(path, csv_format=dutch), "INV-2")
    assert reason.startswith(f'{path}:3, column "Prijs" (unit_price, BT-146): ')
    assert "'1.234,50' has '.' but the decimal separator is ','" in reason


def test_no_buyer_reference_or_order_reference_is_refused(tmp_path: Path) -> None:
    """One policy for every source: a customer code does not stand in for BT-10."""
    for name, rows in {
        "plain.csv": invoice_rows("INV-1", buyer_reference=""),
        "coded.csv": invoice_rows("INV-1", buyer_reference="", customer_code="C-9"),
    }.items():
        reason = refused(connector(write_export(tmp_path / name, rows)), "INV-1")
        assert "PEPPOL-EN16931-R003" in reason and "(BT-10)" in reason, name
    ordered = write_export(
        tmp_path / "ordered.csv",
        invoice_rows("INV-1", buyer_reference="", order_reference="PO-7", customer_code="C-9"),
    )
    held = document(connector(ordered), "INV-1")
    assert (held.buyer_reference, held.order_reference) == (None, "PO-7")


def test_a_customer_without_any_electronic_address_is_refused(tmp_path: Path) -> None:
    rows = invoice_rows("INV-1", customer_kvk="", customer_vat="")
    reason = refused(connector(write_export(tmp_path / "export.csv", rows)), "INV-1")
    assert reason.startswith(f"{tmp_path / 'export.csv'}:2: ")
    assert "no electronic address (BT-49)" in reason and "[parties]" in reason


def test_a_row_without_an_invoice_number_is_its_own_failing_record(tmp_path: Path) -> None:
    rows = [*invoice_rows("INV-1"), {**invoice_rows("")[0], "number": ""}]
    path = write_export(tmp_path / "export.csv", rows)
    source = connector(path)
    documents, errors = documents_and_errors(source, source.document)
    assert sorted(documents) == ["INV-1"] and sorted(errors) == ["export.csv:4"]
    assert errors["export.csv:4"].reason.startswith(f"{path}:4: the row has no invoice number")


def test_a_row_with_the_wrong_number_of_fields_fails_its_whole_invoice(tmp_path: Path) -> None:
    path = write_export(tmp_path / "export.csv", [*invoice_rows("INV-1"), *invoice_rows("INV-2")])
    lines = path.read_text(encoding="utf-8").splitlines()
    width = len(lines[0].split(","))
    lines[4] += ",surplus"  # INV-2's second row, file line 5
    lines.append("INV-4,2026-01-02")  # too short, but its number can be read
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    source = connector(path)
    documents, errors = documents_and_errors(source, source.document)
    assert sorted(documents) == ["INV-1"]
    assert errors["INV-2"].reason.startswith(
        f"{path}:5: the row has {width + 1} fields, the header has {width}"
    )
    assert errors["INV-4"].reason.startswith(f"{path}:6: the row has 2 fields")


def test_undecodable_bytes_fail_that_row_and_name_the_encoding(tmp_path: Path) -> None:
    rows = [*invoice_rows("INV-1"), *invoice_rows("INV-2", customer_city="Liège")]
    path = write_export(tmp_path / "export.csv", rows, encoding="cp1252")
    source = connector(path)
    documents, errors = documents_and_errors(source, source.document)
    assert sorted(documents) == ["INV-1"]
    reason = errors["INV-2"].reason
    assert reason.startswith(f"{path}:4: column customer_city (BT-52) holds bytes that are not ")
    assert "utf-8-sig" in reason and "encoding" in reason
    cp1252 = connector(path, csv_format=CsvFormat(encoding="cp1252"))
    assert document(cp1252, "INV-2").buyer.address.city == "Liège"


def test_a_file_without_a_required_column_fails_alone(tmp_path: Path) -> None:
    write_export(tmp_path / "a.csv", invoice_rows("INV-1"))
    rows = [{k: v for k, v in row.items() if k != "unit_price"} for row in invoice_rows("INV-2")]
    bad = write_export(tmp_path / "sub" / "b.csv", rows)
    source = connector(tmp_path)
    documents, errors = documents_and_errors(source, source.document)
    assert sorted(documents) == ["INV-1"] and sorted(errors) == ["sub/b.csv"]
    reason = errors["sub/b.csv"].reason
    assert reason.startswith(f"{bad}:1: the header has no unit_price (BT-146)")
    assert "[connections.<name>.columns]" in reason


def test_a_file_over_max_bytes_fails_alone_unread(tmp_path: Path) -> None:
    small = write_export(tmp_path / "a.csv", invoice_rows("INV-1"))
    big = write_export(tmp_path / "big.csv", [*invoice_rows("INV-2"), *invoice_rows("INV-3")])
    assert big.stat().st_size > small.stat().st_size
    source = connector(tmp_path, max_bytes=small.stat().st_size)
    documents, errors = documents_and_errors(source, source.document)
    assert sorted(documents) == ["INV-1"] and sorted(errors) == ["big.csv"]
    assert errors["big.csv"].reason == (
        f"{big}: too big: {big.stat().st_size} bytes, more than {small.stat().st_size} bytes "
        "(the connection's max_bytes; split the export or raise max_bytes)"
    )


def test_a_200_mb_export_is_refused_with_its_size_without_being_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_export(tmp_path / "a.csv", invoice_rows("INV-1"))
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as file:  # sparse: 200 MB on paper, no disk used
        file.truncate(200 * 1024 * 1024)
    source = connector(tmp_path)  # the default limit, 64 MiB
    real_open = Path.open

    def no_reading_the_huge_file(path: Path, *args: Any, **kwargs: Any) -> Any:
        assert path != huge, "the file over the limit was opened"
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(Path, "open", no_reading_the_huge_file)
    documents, errors = documents_and_errors(source, source.document)
    assert sorted(documents) == ["INV-1"] and sorted(errors) == ["huge.csv"]
    assert errors["huge.csv"].reason.startswith(
        f"{huge}: too big: 209715200 bytes, more than 67108864 bytes (the connection's max_bytes"
    )


def test_the_same_number_in_two_files_fails_in_the_file_changed_later(tmp_path: Path) -> None:
    first = write_export(tmp_path / "z-first.csv", invoice_rows("INV-1"))
    later = write_export(tmp_path / "a-later.csv", [*invoice_rows("INV-2"), *invoice_rows("INV-1")])
    set_mtime(first, SHARED_MTIME)
    set_mtime(later, SHARED_MTIME + 100)
    source = connector(tmp_path)
    documents, errors = documents_and_errors(source, source.document)
    assert sorted(documents) == ["INV-1", "INV-2"]
    assert records_by_id(source)["INV-1"].data["file"] == str(first)
    reason = errors["a-later.csv:4"].reason
    assert reason.startswith(f"{later}:4: invoice INV-1 is also in {first} (lines 2, 3)")


def test_a_missing_mapping_names_the_override_file_and_an_override_adds_a_code(
    tmp_path: Path,
) -> None:
    path = write_export(tmp_path / "export.csv", invoice_rows("INV-1", vat_code="BTW hoog"))
    override = tmp_path / "tenant.toml"
    override.write_text('[units]\nkrat = "NAR"\n', encoding="utf-8")
    mapping = mappings.load("csv", overrides=[override])
    reason = refused(connector(path, mapping=mapping), "INV-1")
    assert f"add it under [vat] in {override}" in reason
    override.write_text('[vat."BTW hoog"]\ncategory = "S"\nrate = "21"\n', encoding="utf-8")
    added = connector(path, mapping=mappings.load("csv", overrides=[override]))
    assert {line.item.vat_rate for line in document(added, "INV-1").lines} == {Decimal(21)}


def test_codes_match_without_regard_to_case(tmp_path: Path) -> None:
    rows = invoice_rows("INV-1", unit="STUK", vat_code="Verlegd", customer_country="nl")
    invoice = document(connector(write_export(tmp_path / "export.csv", rows)), "INV-1")
    assert {line.unit for line in invoice.lines} == {"C62"}
    assert invoice.vat_breakdown[0].category == "AE"
    assert invoice.buyer.address.country == "NL"


# -- records and cursors -------------------------------------------------------------------------


def _export_folder(folder: Path, *, moments: Iterable[int], updated_at: bool = False) -> None:
    """Files of two or three invoices each; ``moments`` is each file's mtime."""
    numbers = iter(range(1, 100))
    for index, moment in enumerate(moments):
        rows: list[Row] = []
        for _ in range(2 + index % 2):
            number = next(numbers)
            extra = {"updated_at": f"2026-01-{number:02d}T10:00:00"} if updated_at else {}
            rows += invoice_rows(f"INV-{number}", **extra)
        set_mtime(write_export(folder / f"export-{index}.csv", rows), moment)


@pytest.mark.parametrize("page_size", [1, 2, 3])
@pytest.mark.parametrize("moments", [(300, 100, 200), (100, 100, 100)], ids=["apart", "shared"])
def test_resuming_after_any_page_yields_each_invoice_once(
    tmp_path: Path, page_size: int, moments: tuple[int, ...]
) -> None:
    base = SHARED_MTIME
    _export_folder(tmp_path, moments=[base + moment for moment in moments])
    records = records_by_id(connector(tmp_path))
    assert len(records) == 7
    expected = sorted(records, key=lambda record_id: records[record_id].key)
    if len(set(moments)) == 1:  # one updated_at for all: the invoice number breaks the tie
        assert expected == sorted(records)
    assert_resumes_exactly_once(lambda: connector(tmp_path, page_size=page_size), expected)


@pytest.mark.parametrize("page_size", [1, 2, 3])
def test_with_an_updated_at_column_the_order_and_resume_follow_it(
    tmp_path: Path, page_size: int
) -> None:
    _export_folder(tmp_path, moments=[SHARED_MTIME] * 3, updated_at=True)
    records = records_by_id(connector(tmp_path))
    assert str(records["INV-4"].updated_at) == "2026-01-04 10:00:00+00:00"
    expected = [f"INV-{number}" for number in range(1, 8)]
    assert_resumes_exactly_once(lambda: connector(tmp_path, page_size=page_size), expected)


def test_a_rewritten_export_brings_back_only_invoices_whose_updated_at_moved(
    tmp_path: Path,
) -> None:
    path = tmp_path / "export.csv"
    rows = invoice_rows("INV-1", updated_at="2026-01-01T10:00:00") + invoice_rows(
        "INV-2", updated_at="2026-01-02T10:00:00"
    )
    write_export(path, rows)
    pages = list(connector(tmp_path).pull(Stream.INVOICES, None))
    cursor = pages[-1].next_cursor
    rows[2]["updated_at"] = "2026-01-05"  # one row of INV-2: the latest over its rows counts
    write_export(path, rows)
    again = [
        r.id for page in connector(tmp_path).pull(Stream.INVOICES, cursor) for r in page.records
    ]
    assert again == ["INV-2"]


def test_without_updated_at_a_changed_file_brings_its_invoices_back(tmp_path: Path) -> None:
    path = write_export(tmp_path / "a.csv", invoice_rows("INV-1"))
    other = write_export(tmp_path / "b.csv", invoice_rows("INV-2"))
    set_mtime(path, SHARED_MTIME)
    set_mtime(other, SHARED_MTIME)
    cursor = list(connector(tmp_path).pull(Stream.INVOICES, None))[-1].next_cursor
    assert list(connector(tmp_path).pull(Stream.INVOICES, cursor)) == []
    set_mtime(path, SHARED_MTIME + 300)
    again = [
        r.id for page in connector(tmp_path).pull(Stream.INVOICES, cursor) for r in page.records
    ]
    assert again == ["INV-1"]


def test_an_export_copied_in_with_its_old_mtime_after_a_pull_is_pulled_on_resume(
    tmp_path: Path,
) -> None:
    write_export(tmp_path / "a.csv", invoice_rows("INV-1"))
    cursor = list(connector(tmp_path).pull(Stream.INVOICES, None))[-1].next_cursor
    # cp -p, rsync -a or a restore: the copy keeps a modification time from long before
    set_mtime(write_export(tmp_path / "b.csv", invoice_rows("INV-2")), LONG_AGO)
    again = [
        r.id for page in connector(tmp_path).pull(Stream.INVOICES, cursor) for r in page.records
    ]
    assert again == ["INV-2"]


def test_record_data_holds_the_rows_with_their_lines_and_only_non_empty_columns(
    tmp_path: Path,
) -> None:
    path = write_export(tmp_path / "export.csv", invoice_rows("INV-1", note=""))
    set_mtime(path, SHARED_MTIME)
    (record,) = records_by_id(connector(path)).values()
    assert record.data["number"] == "INV-1" and record.data["file"] == str(path)
    first = record.data["rows"][0]
    assert first["line"] == 2 and first["unit_price"] == "24.95" and "note" not in first
    assert record.updated_at.timestamp() == SHARED_MTIME


def test_blank_rows_are_skipped_and_a_quoted_newline_keeps_line_numbers(tmp_path: Path) -> None:
    rows = invoice_rows("INV-1")
    rows[0]["description"] = "Kopieerpapier\nA4"
    path = write_export(tmp_path / "export.csv", [*rows, *_bad(quantity="x")])
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    path.write_text(text.replace("\nINV-2", "\n,,,,,,,,,,,,,,\n\nINV-2", 1), encoding="utf-8")
    source = connector(path)
    records = records_by_id(source)
    assert [row["line"] for row in records["INV-1"].data["rows"]] == [2, 4]
    assert source.document(records["INV-1"]).lines[0].item.name == "Kopieerpapier\nA4"
    assert refused(source, "INV-2").startswith(f"{path}:8, column quantity")


# -- the connector's contract and its settings --------------------------------------------------


def test_only_invoices_are_pulled_and_nothing_is_pushed(tmp_path: Path) -> None:
    source = connector(write_export(tmp_path / "export.csv", invoice_rows("INV-1")))
    assert source.capabilities == frozenset({Capability.PULL_INVOICES})
    with pytest.raises(ConfigurationError, match="only the invoices stream"):
        list(source.pull(Stream.PARTIES, None))
    ref = DocumentRef(record_id="INV-1", number="INV-1")
    with pytest.raises(
        ConfigurationError, match=r"read-only: it cannot record status sent on INV-1"
    ):
        source.push_status(ref, StatusUpdate(status=Status.SENT))
    with pytest.raises(
        ConfigurationError, match=r"read-only: it cannot register a payment on INV-1"
    ):
        source.push_payment(ref, Payment(amount=Decimal(1), currency="EUR", paid_on=date.today()))


SETTINGS_PROBLEMS = {
    "delimeter": (
        {"delimeter": ";"},
        r"delimeter: unknown key 'delimeter'; did you mean 'delimiter'\?",
    ),
    "no seller": ({"seller": None}, r"seller"),
    "seller country": ({"seller": {"name": "X", "country": "Holland"}}, r"seller.country"),
    "decimal": ({"decimal_separator": "'"}, r"decimal_separator"),
    "date format": ({"date_format": "dd-mm"}, r"date_format 'dd-mm' does not hold a day"),
    "encoding": ({"encoding": "klingon"}, r"encoding 'klingon' is not known"),
    "unknown column": ({"columns": {"numbr": "Nr"}}, r"columns: numbr not a documented column"),
    "two columns, one header": (
        {"columns": {"number": "Nr", "line_id": "nr"}},
        r"columns: number and line_id both name the header 'nr'",
    ),
}


@pytest.mark.parametrize("case", sorted(SETTINGS_PROBLEMS))
def test_settings_problems_are_configuration_errors_naming_the_key(case: str) -> None:
    change, message = SETTINGS_PROBLEMS[case]
    options: dict[str, Any] = {"path": "x.csv", "seller": SELLER.model_dump(), **change}
    if options["seller"] is None:
        del options["seller"]
    with pytest.raises(ConfigurationError, match=message):
        csv_settings(options)


def test_a_seller_without_any_electronic_address_is_a_configuration_error(tmp_path: Path) -> None:
    path = write_export(tmp_path / "export.csv", invoice_rows("INV-1"))
    seller = replace_seller(vat=None, kvk=None)
    with pytest.raises(ConfigurationError, match=r"seller: .*electronic address \(BT-34\)"):
        connector(path, seller=seller)
    source = connector(path, seller=replace_seller(vat=None, kvk=None, endpoint="0088:123"))
    assert document(source, "INV-1").seller.endpoint == Identifier(value="123", scheme="0088")


def replace_seller(**changes: Any) -> SellerSettings:
    return SellerSettings.model_validate({**SELLER.model_dump(), **changes})


def test_the_settings_file_opens_a_csv_connection_relative_to_its_folder(tmp_path: Path) -> None:
    write_export(tmp_path / "exports" / "jan.csv", invoice_rows("INV-1"))
    config = tmp_path / "ledgerlink.toml"
    config.write_text(
        """
[connections.shop]
connector = "csv"
path = "exports"
page_size = 1

[connections.shop.seller]
name = "Lindeboom Kantoorartikelen B.V."
kvk = "34567890"
country = "NL"
""",
        encoding="utf-8",
    )
    source = open_connection(load_settings(config), "shop", source=config)
    assert isinstance(source, CsvConnector)
    assert [
        record.id for page in source.pull(Stream.INVOICES, None) for record in page.records
    ] == ["INV-1"]
    config.write_text(config.read_text().replace('"exports"', '"missing"'), encoding="utf-8")
    with pytest.raises(
        ConfigurationError,
        match=r"\[connections.shop\] in .*: path: no such file or folder .*missing",
    ):
        open_connection(load_settings(config), "shop", source=config)


def test_the_demo_export_gives_valid_peppol_documents(artifacts_cache: Path) -> None:
    config = REPO_ROOT / "fixtures" / "csv" / "ledgerlink.toml"
    source = open_connection(load_settings(config), "lindeboom", source=config)
    assert isinstance(source, CsvConnector)
    documents, errors = documents_and_errors(source, source.document)
    assert errors == {}
    assert sorted(documents) == ["2026-0101", "2026-0102", "2026-0103", "CN-2026-0007"]
    for invoice in documents.values():
        assert isinstance(invoice, Invoice)
        assert_valid_peppol(invoice)


# -- the layout's parts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("separator", "text", "value"),
    [
        (".", "1234.50", "1234.50"),
        (".", "-0.5", "-0.5"),
        (".", " 12 ", "12"),
        (",", "1234,50", "1234.50"),
        (",", "+7", "7"),
    ],
)
def test_numbers_read_with_the_decimal_separator(separator: str, text: str, value: str) -> None:
    parsed = CsvFormat(decimal_separator=separator).parse_decimal(text)
    assert parsed == Decimal(value) and str(parsed) == value


@pytest.mark.parametrize(
    ("separator", "text"),
    [
        (".", "1,234.50"),
        (".", "1,5"),
        (",", "1.234,50"),
        (",", "1.5"),
        (".", "1e3"),
        (".", "€ 12.50"),
        (".", "1 234.50"),
        (".", "12."),
        (".", ".5"),
        (".", "NaN"),
        (".", "Infinity"),
        (".", ""),
    ],
)
def test_ambiguous_numbers_are_refused(separator: str, text: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(text))):
        CsvFormat(decimal_separator=separator).parse_decimal(text)


def test_date_formats_take_strptime_or_dd_mm_yyyy() -> None:
    assert str(CsvFormat(date_format="dd-mm-yyyy").parse_date("31-01-2026")) == "2026-01-31"
    assert str(CsvFormat(date_format="%d/%m/%Y").parse_date("31/01/2026")) == "2026-01-31"
    with pytest.raises(ValueError, match=r"'2026-01-31' is not a date in the format '%d-%m-%Y'"):
        CsvFormat(date_format="dd-mm-yyyy").parse_date("2026-01-31")


# -- the mapping file and the documentation ----------------------------------------------------


def test_the_packaged_csv_mapping_loads_and_every_code_is_in_its_code_list() -> None:
    """Checked on the raw TOML against the code lists, apart from the loader's own checks."""
    raw = tomllib.loads(mappings.packaged_path("csv").read_text(encoding="utf-8"))
    csv_mapping = mappings.load("csv")
    assert csv_mapping.name == "CSV" and set(csv_mapping.vat_codes) == set(raw["vat"])
    for code, entry in raw["vat"].items():
        assert uncl5305.is_valid(entry["category"]), code
        assert "exemption_code" not in entry or vatex.is_valid(entry["exemption_code"]), code
    checks = {
        "units": rec20.is_valid,
        "payment_methods": uncl4461.is_valid,
        "countries": iso3166.is_valid,
        "currencies": iso4217.is_valid,
        "identifier_schemes": lambda code: icd.is_valid(code) or eas.is_valid(code),
    }
    for table, is_valid in checks.items():
        assert raw[table], table
        bad = {key: value for key, value in raw[table].items() if not is_valid(value)}
        assert bad == {}, table
    assert {key: raw["defaults"][key] for key in ("unit", "payment_means", "currency")} == {
        "unit": "C62",
        "payment_means": "30",
        "currency": "EUR",
    }
    # the common Dutch codes the layout documents
    assert csv_mapping.vat("verlegd").category == "AE" and csv_mapping.vat("ICP").category == "K"
    assert csv_mapping.vat("vrij").category == "E" and csv_mapping.vat("export").category == "G"
    assert csv_mapping.unit("uur") == "HUR" and csv_mapping.unit("stuk") == "C62"


def test_a_wrong_code_in_the_csv_mapping_would_be_refused(tmp_path: Path) -> None:
    broken = tmp_path / "csv.toml"
    text = mappings.packaged_path("csv").read_text(encoding="utf-8")
    broken.write_text(text.replace('"uur" = "HUR"', '"uur" = "HOUR"'), encoding="utf-8")
    assert broken.read_text(encoding="utf-8") != text
    with pytest.raises(mappings.MappingFileError, match=r"\[units\] 'uur' = 'HOUR'"):
        mappings.load("csv", overrides=[broken])


def test_the_layout_documentation_names_every_column_with_its_term() -> None:
    page = (REPO_ROOT / "docs" / "csv-layout.md").read_text(encoding="utf-8")
    rows = {
        match.group(1): match.group(0)
        for match in re.finditer(r"^\| `([a-z_0-9]+)` \|.*$", page, re.MULTILINE)
    }
    for column in COLUMNS:
        assert column.name in rows, f"{column.name} is not documented"
        assert column.term in rows[column.name], f"{column.name}: {column.term} not named"
        assert ("required" in rows[column.name]) is column.required, column.name


def test_codes_lists_each_mapped_code_with_its_place_as_the_mapping_spells_it(
    tmp_path: Path,
) -> None:
    rows = invoice_rows("INV-1", unit="STUK", customer_country="Nederland")
    rows[1]["vat_code"] = "hoog tarief"
    path = write_export(tmp_path / "export.csv", rows)
    source = connector(path)
    (record,) = records_by_id(source).values()
    codes = list(source.codes(record))
    assert ("units", "stuk", f"{path}:2") in codes  # as the mapping spells it
    assert ("vat", "hoog tarief", f"{path}:3") in codes
    assert ("countries", "Nederland", f"{path}:2") in codes
    csv_mapping = mappings.load("csv")
    missing = {(table, code) for table, code, _ in codes if not csv_mapping.is_mapped(table, code)}
    assert missing == {("vat", "hoog tarief")}
