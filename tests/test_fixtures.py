"""The demo/CI fixtures in ``fixtures/``: model JSON (the source) and the UBL generated from it.

Each fixture must be up to date with its JSON, pass the official validation, read back to
the same model, satisfy the EN 16931 calculation rules and, for a Dutch seller, the Dutch
invoice requirements. Together they must cover the feature list in
:data:`REQUIRED_FEATURES`, derived from the models themselves, never from file names.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest
from support.shared import REPO_ROOT

from model.calculation import check
from model.codes import uncl5189, uncl7161
from model.document import Invoice, VatBreakdown
from model.identifiers import be_enterprise, betalingskenmerk, iban, kvk, ogm, vat
from model.identifiers.schemes import validate_scheme
from model.jsonio import loads
from model.requirements import check_requirements
from ubl import parse
from ubl.profiles import (
    EN16931_CUSTOMIZATION_ID,
    NLCIUS_CUSTOMIZATION_ID,
    NLCIUS_PROFILE_ID,
    PEPPOL_CUSTOMIZATION_ID,
    PEPPOL_PROFILE_ID,
)
from ubl.validate import validate

FIXTURES = REPO_ROOT / "fixtures"
SOURCES = sorted(FIXTURES.glob("*.json"))
GENERATOR_PATH = REPO_ROOT / "scripts" / "generate_fixtures.py"


def _load_generator() -> ModuleType:
    """scripts/generate_fixtures.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("generate_fixtures", GENERATOR_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


generator = _load_generator()


@cache
def document(source: Path) -> Invoice:
    return loads(source.read_bytes(), source=str(source))


def _is_dutch_seller(source: Path) -> bool:
    return document(source).seller.address.country == "NL"


DUTCH_SELLER_SOURCES = [source for source in SOURCES if _is_dutch_seller(source)]
each_fixture = pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.stem)


# --- 1. the UBL is what the JSON generates ------------------------------------------------


@each_fixture
def test_xml_is_generated_from_its_json(source: Path) -> None:
    committed = source.with_suffix(".xml")
    assert committed.exists(), f"{committed.name} is missing: run scripts/generate_fixtures.py"
    assert committed.read_bytes() == generator.expected_xml(source), (
        f"{committed.name} is out of date with {source.name}: run scripts/generate_fixtures.py"
    )


def test_generator_check_passes_on_the_fixtures() -> None:
    assert generator.stale_fixtures(FIXTURES) == []


def test_check_names_each_stale_fixture_and_generate_repairs_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = ["nl-standard-21-9", "be-buyer-ogm", "creditnote-billing-reference"]
    for name in names:
        for suffix in (".json", ".xml"):
            shutil.copy(FIXTURES / f"{name}{suffix}", tmp_path)
    changed = tmp_path / "be-buyer-ogm.xml"
    changed.write_bytes(changed.read_bytes().replace(b"Meir 78", b"Meir 80"))
    (tmp_path / "creditnote-billing-reference.xml").unlink()
    (tmp_path / "orphan.xml").write_bytes(b"<Invoice/>")
    broken = (FIXTURES / "nl-standard-21-9.json").read_text(encoding="utf-8")
    (tmp_path / "broken.json").write_text(broken.replace('"536.05"', "536.05", 1))

    assert generator.main(["--fixtures", str(tmp_path), "--check"]) == 1
    report = capsys.readouterr().err
    assert "be-buyer-ogm.xml: differs" in report
    assert "creditnote-billing-reference.xml: missing" in report
    assert "orphan.xml: no orphan.json" in report
    assert "broken.json: cannot generate its UBL" in report and "float" in report
    assert "nl-standard-21-9" not in report

    assert generator.main(["--fixtures", str(tmp_path)]) == 1  # the others are still written
    assert "broken.json" in capsys.readouterr().err
    for leftover in ("orphan.xml", "broken.json"):
        (tmp_path / leftover).unlink()
    assert generator.main(["--fixtures", str(tmp_path), "--check"]) == 0
    assert changed.read_bytes() == (FIXTURES / "be-buyer-ogm.xml").read_bytes()


def test_large_fixture_is_what_the_builder_builds() -> None:
    source = FIXTURES / f"{generator.LARGE_NAME}.json"
    assert document(source) == generator.build_large(), (
        f"{source.name} differs from build_large(): run scripts/generate_fixtures.py --build-large"
    )


# --- 2. the official validation -------------------------------------------------------------


@each_fixture
@pytest.mark.usefixtures("artifacts_cache")
def test_official_validation_has_no_fatal_issue(source: Path) -> None:
    issues = validate(source.with_suffix(".xml")).fatal
    assert issues == (), "\n".join(f"{i.rule} at line {i.line}: {i.message}" for i in issues)


# --- 3. parsing gives back the model ------------------------------------------------------------


@each_fixture
def test_parse_gives_back_the_model(source: Path) -> None:
    result = parse(source.with_suffix(".xml"))
    assert result.document == document(source)
    assert result.report == ()


# --- 4. totals and legal requirements ----------------------------------------------------------


@each_fixture
def test_totals_satisfy_the_calculation_rules(source: Path) -> None:
    assert [str(d) for d in check(document(source))] == []


@pytest.mark.parametrize("source", DUTCH_SELLER_SOURCES, ids=lambda path: path.stem)
def test_dutch_seller_meets_the_legal_requirements(source: Path) -> None:
    findings = check_requirements(document(source))
    assert [f"{f.rule} {f.field}: {f.message}" for f in findings] == []


@each_fixture
def test_identifiers_and_payment_data_are_realistic(source: Path) -> None:
    """Valid VAT ids and IBANs, identifiers valid under their scheme, a reference for routing,
    and a due date or payment terms whenever something is still to be paid."""
    doc = document(source)
    representative = doc.tax_representative
    vat_ids = [doc.seller.vat_id, doc.buyer.vat_id, representative and representative.vat_id]
    assert all(vat.is_valid(number) for number in vat_ids if number)
    for means in doc.payment_means:
        if means.credit_transfer is not None:
            assert iban.is_valid(means.credit_transfer.account_id)
        if means.direct_debit is not None and means.direct_debit.debited_account:
            assert iban.is_valid(means.direct_debit.debited_account)
    for party in (doc.seller, doc.buyer):
        for identifier in (party.endpoint, party.legal_registration, *party.identifiers):
            if identifier is not None and identifier.scheme:
                validate_scheme(identifier.scheme, identifier.value)
    assert doc.buyer_reference or doc.order_reference
    if doc.totals.payable > 0:
        assert doc.due_date or doc.payment_terms


# --- 5. coverage ------------------------------------------------------------------------------

REQUIRED_FEATURES = frozenset(
    {
        "VAT category S",
        "VAT category Z (rate 0)",
        "VAT category E (exemption reason text)",
        "VAT category AE (Reverse charge, VATEX-EU-AE)",
        "VAT category K (VATEX-EU-IC)",
        "VAT category G (VATEX-EU-G)",
        "VAT category O (VATEX-EU-O, no rate)",
        "rates 21 % and 9 % in one invoice",
        "document allowance (UNCL5189 reason code)",
        "document charge (UNCL7161 reason code)",
        "line allowance (UNCL5189 reason code)",
        "line charge (UNCL7161 reason code)",
        "price discount with gross price and base quantity",
        "credit note 381 with preceding invoice (BG-3)",
        "USD with VAT accounting currency EUR and BT-111",
        "embedded PDF attachment",
        "100+ lines",
        "Dutch seller with KvK 0106 and a valid betalingskenmerk (BT-83)",
        "Belgian buyer with enterprise number 0208 and a valid OGM (BT-83)",
    }
)
PROFILE_MINIMUM = {"peppol-bis3": 3, "nlcius": 3, "en16931": 1, "other CIUS": 1}


def _category_feature(group: VatBreakdown, doc: Invoice) -> str | None:
    """The coverage feature a VAT breakdown group shows, when it carries what its rules need."""
    code, reason = group.exemption_code, (group.exemption_reason or "").strip()
    lines = [line for line in doc.lines if line.item.vat_category == group.category]
    zero = group.rate is not None and group.rate == 0
    shows = {
        "S": group.rate is not None and group.rate > 0,
        "Z": zero and code is None and not reason,
        "E": zero and bool(reason),
        "AE": zero and code == "VATEX-EU-AE" and reason == "Reverse charge",
        "K": zero and code == "VATEX-EU-IC",
        "G": zero and code == "VATEX-EU-G",
        "O": group.rate is None
        and code == "VATEX-EU-O"
        and all(line.item.vat_rate is None for line in lines),
    }
    labels = {
        "S": "VAT category S",
        "Z": "VAT category Z (rate 0)",
        "E": "VAT category E (exemption reason text)",
        "AE": "VAT category AE (Reverse charge, VATEX-EU-AE)",
        "K": "VAT category K (VATEX-EU-IC)",
        "G": "VAT category G (VATEX-EU-G)",
        "O": "VAT category O (VATEX-EU-O, no rate)",
    }
    return labels[group.category] if lines and shows.get(group.category) else None


def _remittance(doc: Invoice) -> Iterator[str]:
    return (means.remittance_info for means in doc.payment_means if means.remittance_info)


def _features(doc: Invoice) -> Iterator[str]:
    """Every feature of :data:`REQUIRED_FEATURES` that ``doc`` shows."""
    for group in doc.vat_breakdown:
        feature = _category_feature(group, doc)
        if feature is not None:
            yield feature
    standard_rates = {g.rate for g in doc.vat_breakdown if g.category == "S"}
    if {Decimal(21), Decimal(9)} <= standard_rates:
        yield "rates 21 % and 9 % in one invoice"
    line_charges = [ac for line in doc.lines for ac in line.allowances_charges]
    for level, charges in (("document", doc.allowances_charges), ("line", line_charges)):
        for ac in charges:
            if ac.is_charge and ac.reason_code and uncl7161.is_valid(ac.reason_code):
                yield f"{level} charge (UNCL7161 reason code)"
            if not ac.is_charge and ac.reason_code and uncl5189.is_valid(ac.reason_code):
                yield f"{level} allowance (UNCL5189 reason code)"
    for line in doc.lines:
        price = line.price
        if price.gross is not None and price.discount and price.base_quantity is not None:
            assert price.gross - price.discount == price.net, f"line {line.id}: BT-148 - BT-147"
            yield "price discount with gross price and base quantity"
    if doc.is_credit_note and doc.type_code == "381" and doc.preceding_invoices:
        yield "credit note 381 with preceding invoice (BG-3)"
    if (doc.currency, doc.tax_currency) == ("USD", "EUR") and doc.totals.vat_in_tax_currency:
        yield "USD with VAT accounting currency EUR and BT-111"
    for additional in doc.additional_documents:
        attachment = additional.attachment
        if (
            attachment is not None
            and attachment.mime_code == "application/pdf"
            and attachment.filename.endswith(".pdf")
            and attachment.content.startswith(b"%PDF-")
            and attachment.content.rstrip().endswith(b"%%EOF")
        ):
            yield "embedded PDF attachment"
    if len(doc.lines) >= 100:
        yield "100+ lines"
    seller, buyer = doc.seller, doc.buyer
    if (
        seller.address.country == "NL"
        and seller.legal_registration is not None
        and seller.legal_registration.scheme == "0106"
        and kvk.is_valid(seller.legal_registration.value)
        and seller.endpoint is not None
        and seller.endpoint.scheme == "0106"
        and any(betalingskenmerk.is_valid(ref) for ref in _remittance(doc))
    ):
        yield "Dutch seller with KvK 0106 and a valid betalingskenmerk (BT-83)"
    if (
        buyer.address.country == "BE"
        and buyer.legal_registration is not None
        and buyer.legal_registration.scheme == "0208"
        and be_enterprise.is_valid(buyer.legal_registration.value)
        and buyer.endpoint is not None
        and buyer.endpoint.scheme == "0208"
        and any(ogm.is_valid(ref) for ref in _remittance(doc))
    ):
        yield "Belgian buyer with enterprise number 0208 and a valid OGM (BT-83)"


def _profile(doc: Invoice) -> str:
    """Which profile the document's own BT-24/BT-23 name; 'other CIUS' for an unknown CIUS."""
    ids = (doc.customization_id, doc.profile_id)
    if ids == (PEPPOL_CUSTOMIZATION_ID, PEPPOL_PROFILE_ID):
        return "peppol-bis3"
    if ids == (NLCIUS_CUSTOMIZATION_ID, NLCIUS_PROFILE_ID):
        return "nlcius"
    if doc.customization_id == EN16931_CUSTOMIZATION_ID:
        return "en16931"
    if (doc.customization_id or "").startswith(f"{EN16931_CUSTOMIZATION_ID}#compliant#"):
        return "other CIUS"
    return "unknown"


def test_fixtures_cover_the_feature_list() -> None:
    documents = [document(source) for source in SOURCES]
    assert len(documents) >= 20
    covered = {feature for doc in documents for feature in _features(doc)}
    assert sorted(REQUIRED_FEATURES - covered) == []
    profiles = Counter(_profile(doc) for doc in documents)
    assert profiles["unknown"] == 0
    short = {
        name: profiles[name] for name, least in PROFILE_MINIMUM.items() if profiles[name] < least
    }
    assert short == {}, f"too few fixtures per profile (need {PROFILE_MINIMUM})"
    assert DUTCH_SELLER_SOURCES
