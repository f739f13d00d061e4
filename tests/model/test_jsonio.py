"""Model JSON: exact values in and out, and errors that name the line and the field."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from support.strategies import invoices

from model.calculation import check
from model.jsonio import JsonModelError, dumps, loads

BASE: dict[str, Any] = {
    "number": "INV-1",
    "issue_date": "2026-11-01",
    "currency": "EUR",
    "seller": {"name": "Leverancier B.V.", "address": {"country": "NL"}},
    "buyer": {"name": "Afnemer B.V.", "address": {"country": "NL"}},
    "lines": [
        {
            "id": "1",
            "quantity": "3",
            "unit": "C62",
            "net_amount": "30.03",
            "price": {"net": "10.01"},
            "item": {"name": "Widget", "vat_category": "S", "vat_rate": "21"},
        },
        {
            "id": "2",
            "quantity": "1",
            "unit": "HUR",
            "net_amount": "100.00",
            "price": {"net": "100.00"},
            "item": {"name": "Hour", "vat_category": "S", "vat_rate": "9"},
        },
    ],
}


def error_for(data: dict[str, Any]) -> JsonModelError:
    with pytest.raises(JsonModelError) as info:
        loads(json.dumps(data, indent=2), source="doc.json")
    return info.value


def test_totals_left_out_are_derived_by_the_en16931_rules() -> None:
    document = loads(json.dumps(BASE))
    assert document.totals.line_net == Decimal("130.03")
    assert document.totals.vat == Decimal("6.31") + Decimal("9.00")
    assert document.totals.payable == Decimal("145.34")
    assert [(b.rate, b.tax_amount) for b in document.vat_breakdown] == [
        (Decimal(21), Decimal("6.31")),
        (Decimal(9), Decimal("9.00")),
    ]
    assert check(document) == []


def test_a_float_is_refused_with_line_field_and_term() -> None:
    data = copy.deepcopy(BASE)
    data["lines"][1]["price"]["net"] = 100.0
    err = error_for(data)
    assert err.path == "lines[1].price.net"
    text = json.dumps(data, indent=2).splitlines()
    assert err.line is not None and '"net": 100.0' in text[err.line - 1]
    assert "float" in str(err) and "BT-146" in str(err) and str(err).startswith("doc.json:")


@pytest.mark.parametrize(
    ("value", "hint"),
    [("1,234.50", "thousands"), ("1.234,50", "thousands"), ("1e3", "plain decimal")],
)
def test_amount_text_must_be_a_plain_decimal(value: str, hint: str) -> None:
    data = copy.deepcopy(BASE)
    data["lines"][0]["net_amount"] = value
    err = error_for(data)
    assert err.path == "lines[0].net_amount"
    assert hint in str(err) and "BT-131" in str(err)


def test_unknown_and_missing_fields_are_named() -> None:
    data = copy.deepcopy(BASE)
    data["buyer"]["adress"] = {}
    assert error_for(data).path == "buyer.adress"
    data = copy.deepcopy(BASE)
    del data["lines"][0]["item"]["name"]
    err = error_for(data)
    assert err.path == "lines[0].item.name" and "BT-153" in str(err)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("issue_date",), "01-11-2026"),
        (("issue_date",), "2026-02-30"),
        (("number",), 17),
        (("lines",), {"id": "1"}),
    ],
)
def test_wrong_value_types_are_refused(path: tuple[str, ...], value: Any) -> None:
    data = copy.deepcopy(BASE)
    data[path[0]] = value
    assert error_for(data).path == path[0]


ITEM_FIELDS = (
    "name, description, seller_id, buyer_id, standard_id, classifications, origin_country, "
    "attributes, vat_category, vat_rate"
)
ATTACHMENT = {"content": "not base64!", "mime_code": "application/pdf", "filename": "a.pdf"}

# (where in BASE, the value put there, the whole error: file:line: [field path] why (term))
BAD_VALUES: list[tuple[tuple[str | int, ...], Any, str]] = [
    (
        ("lines", 0, "net_amount"),
        "12.5.0",
        "doc.json:22: [lines[0].net_amount] '12.5.0' is not a plain decimal like \"1234.50\" "
        "(BT-131 Invoice line net amount)",
    ),
    (
        ("lines", 1, "quantity"),
        True,
        'doc.json:34: [lines[1].quantity] expected a decimal string such as "12.50" '
        "(BT-129 Invoiced quantity)",
    ),
    (
        ("lines", 1, "quantity"),
        [1],
        'doc.json:34: [lines[1].quantity] expected a decimal string such as "12.50" '
        "(BT-129 Invoiced quantity)",
    ),
    (
        ("lines", 1, "price", "net"),
        10.5,
        "doc.json:38: [lines[1].price.net] JSON number 10.5 is a float; floats cannot hold money "
        'exactly: write it as a string, "10.5" (BT-146 Item net price)',
    ),
    (
        ("seller", "address", "country"),
        31,
        "doc.json:8: [seller.address.country] expected a string "
        "(BT-40 Country code (ISO 3166-1 alpha-2)), got 31",
    ),
    (
        ("buyer", "name"),
        None,
        "doc.json:12: [buyer.name] required field is missing (BT-27 Seller name)",
    ),
    (("lines", 1, "item"), "Hour", "doc.json:40: [lines[1].item] expected an object (Item)"),
    (
        ("lines", 0),
        None,
        "doc.json:18: [lines[0]] a value is required here (BG-25 Invoice line)",
    ),
    (
        ("lines", 1, "item", "classifications"),
        {"code": "1"},
        "doc.json:44: [lines[1].item.classifications] expected a list "
        "(BT-158 Item classification identifier)",
    ),
    (
        ("kind",),
        "bill",
        "doc.json:47: [kind] expected one of ['invoice', 'credit_note'], got 'bill'",
    ),
    (("kind",), None, "doc.json:47: [kind] a value is required here"),
    (
        ("due_date",),
        "2026-11-31",
        'doc.json:47: [due_date] expected a date "YYYY-MM-DD" (BT-9 Payment due date), '
        "got '2026-11-31'",
    ),
    (
        ("allowances_charges",),
        [{"is_charge": "yes", "amount": "1"}],
        "doc.json:49: [allowances_charges[0].is_charge] expected true or false, got 'yes'",
    ),
    (
        ("additional_documents",),
        [{"id": "A", "attachment": ATTACHMENT}],
        "doc.json:51: [additional_documents[0].attachment.content] expected base64 text "
        "(BT-125 Attached document (base64 in JSON))",
    ),
    (
        ("payment_means",),
        [{"code": "30", "credit_transfer": {"account_name": "X"}}],
        "doc.json: [payment_means[0].credit_transfer.account_id] required field is missing "
        "(BT-84 Payment account identifier (IBAN))",
    ),
    (
        ("lines", 1, "item", "colour"),
        "red",
        f"doc.json:44: [lines[1].item.colour] unknown field 'colour' in Item; "
        f"known fields: {ITEM_FIELDS}",
    ),
]


@pytest.mark.parametrize(("where", "value", "error"), BAD_VALUES)
def test_a_bad_value_is_named_by_file_line_field_path_and_term(
    where: tuple[str | int, ...], value: Any, error: str
) -> None:
    data = copy.deepcopy(BASE)
    node: Any = data
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    assert str(error_for(data)) == error


def test_schema_keys_are_ignored_at_any_depth() -> None:
    data = copy.deepcopy(BASE)
    data["$schema"] = "https://example.com/invoice.schema.json"
    data["buyer"]["address"]["$schema"] = "anything"
    assert loads(json.dumps(data)) == loads(json.dumps(BASE))


def test_not_json_names_the_line() -> None:
    with pytest.raises(JsonModelError) as info:
        loads('{\n  "number": "1",\n  oops\n}', source="bad.json")
    assert info.value.line == 3


@settings(max_examples=50, deadline=None)
@given(invoices())
def test_dumps_then_loads_gives_the_same_model(document: Any) -> None:
    assert loads(dumps(document)) == document


def test_json_nested_too_deeply_is_an_input_error_not_a_crash() -> None:
    with pytest.raises(JsonModelError, match=r"deep\.json.*nested too deeply"):
        loads("[" * 100_000 + "]" * 100_000, source="deep.json")


def test_totals_that_cannot_be_derived_are_a_model_json_error() -> None:
    """A line of category S without its rate (BT-152) and no totals given: the document is
    refused as model JSON naming the file (so a source holds it), not a bare ValueError."""
    import json as _json
    from pathlib import Path as _Path

    from model import jsonio

    data = _json.loads((_Path(__file__).parents[2] / "fixtures" / "nl-export-g.json").read_text())
    data.pop("totals", None)
    data.pop("vat_breakdown", None)
    data["lines"][0]["item"].pop("vat_rate", None)
    data["lines"][0]["item"]["vat_category"] = "S"
    with pytest.raises(jsonio.JsonModelError, match=r"needs a VAT rate \(BT-152\)") as caught:
        jsonio.loads(_json.dumps(data), source="bad.json")
    assert "bad.json" in str(caught.value)


def test_the_reader_and_the_writer_are_modules_of_their_own_behind_model_jsonio() -> None:
    """model.jsonio's names are the reader's and the writer's own objects, and the reader
    does not need the writer (nor the writer the reader)."""
    import subprocess
    import sys

    from model import jsonio, jsonio_read, jsonio_write

    assert set(jsonio.__all__) == {
        "JsonModelError",
        "dumps",
        "from_data",
        "json_schema",
        "loads",
        "to_data",
    }
    assert jsonio.loads is jsonio_read.loads and jsonio.from_data is jsonio_read.from_data
    assert jsonio.JsonModelError is jsonio_read.JsonModelError
    assert jsonio.dumps is jsonio_write.dumps and jsonio.to_data is jsonio_write.to_data
    probe = (
        "import sys, model.jsonio_read as r, model.jsonio_write as w; "
        "print('model.jsonio' in sys.modules)"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "False"
