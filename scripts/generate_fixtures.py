"""Generate the UBL fixtures in ``fixtures/`` from the model JSON kept beside them.

Usage::

    python scripts/generate_fixtures.py [--fixtures DIR] [--check] [--build-large]

The model JSON is the source of truth: for every ``<name>.json`` the script runs
``model.jsonio.loads`` -> ``ubl.write(document, profile="auto")`` and writes the
result to ``<name>.xml``. ``auto`` keeps each document's own CustomizationID and
ProfileID (BT-24/BT-23), so the JSON chooses the profile.

``--check`` writes nothing: it exits 1 naming each fixture whose ``.xml`` is
missing or differs from what its JSON generates, and each ``.xml`` left without a
JSON. ``--build-large`` first (re)writes ``large-120-lines.json`` from
:func:`build_large`, so nobody hand-writes 120 invoice lines; its totals and VAT
breakdown come from ``model.calculation.with_totals``. The output is
deterministic: the same JSON gives the same bytes.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

from model.calculation import line_net_amount, with_totals
from model.document import (
    Address,
    Contact,
    CreditTransfer,
    Delivery,
    Identifier,
    Invoice,
    Item,
    Line,
    Party,
    PaymentMeans,
    Price,
    Totals,
)
from model.identifiers import betalingskenmerk
from model.jsonio import JsonModelError, dumps, loads
from ubl import UblError, write

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FIXTURES = REPO_ROOT / "fixtures"
LARGE_NAME = "large-120-lines"
LARGE_LINE_COUNT = 120


# --- JSON -> UBL ---------------------------------------------------------------------------


class FixtureError(Exception):
    """A fixture JSON that gives no UBL: unreadable, or refused by its profile."""


def expected_xml(json_path: Path) -> bytes:
    """The UBL that the model JSON at ``json_path`` generates under ``profile="auto"``."""
    try:
        document = loads(json_path.read_bytes(), source=str(json_path))
        return write(document, profile="auto")
    except (JsonModelError, UblError) as exc:
        raise FixtureError(f"{json_path.name}: cannot generate its UBL: {exc}") from exc


def fixture_sources(folder: Path) -> list[Path]:
    """Every model JSON fixture in ``folder``, sorted by name."""
    return sorted(folder.glob("*.json"))


def stale_fixtures(folder: Path) -> list[str]:
    """What ``--check`` reports: each fixture whose ``.xml`` is missing or out of date.

    Also names each ``.xml`` that has no JSON beside it (nothing would regenerate it).
    """
    problems: list[str] = []
    sources = fixture_sources(folder)
    for source in sources:
        target = source.with_suffix(".xml")
        try:
            xml = expected_xml(source)
        except FixtureError as exc:
            problems.append(str(exc))
            continue
        if not target.exists():
            problems.append(f"{target.name}: missing (generate it from {source.name})")
        elif target.read_bytes() != xml:
            problems.append(f"{target.name}: differs from what {source.name} generates")
    stems = {source.stem for source in sources}
    problems += [
        f"{xml.name}: no {xml.stem}.json beside it"
        for xml in sorted(folder.glob("*.xml"))
        if xml.stem not in stems
    ]
    return problems


def generate(folder: Path) -> tuple[list[Path], list[str]]:
    """Write ``<name>.xml`` for every ``<name>.json`` in ``folder``.

    Returns the files written and the fixtures that gave no UBL (the others go on).
    """
    changed: list[Path] = []
    failures: list[str] = []
    for source in fixture_sources(folder):
        target = source.with_suffix(".xml")
        try:
            xml = expected_xml(source)
        except FixtureError as exc:
            failures.append(str(exc))
            continue
        if not target.exists() or target.read_bytes() != xml:
            target.write_bytes(xml)
            changed.append(target)
    return changed, failures


# --- the 120-line invoice ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _Article:
    """One catalogue article of the large invoice: seller's item id BT-155, name, price, VAT."""

    seller_id: str
    name: str
    unit: str
    price: str
    rate: str


_CATALOGUE = (
    _Article("LB-PAP-A4-80", "Kopieerpapier A4 80 g/m², doos 5 x 500 vel", "XBX", "24.95", "21"),
    _Article("LB-PAP-A3-80", "Kopieerpapier A3 80 g/m², pak 500 vel", "XPK", "11.20", "21"),
    _Article("LB-PEN-BL-50", "Balpen blauw, doos 50 stuks", "XBX", "18.50", "21"),
    _Article("LB-MRK-WB-4", "Whiteboardmarkers, set 4 kleuren", "SET", "6.95", "21"),
    _Article("LB-ORD-80", "Ordner A4 80 mm, rug zwart", "C62", "2.89", "21"),
    _Article("LB-NIT-24", "Nietjes 24/6, doos 1000 stuks", "XBX", "1.15", "21"),
    _Article("LB-TON-HP-X", "Tonercartridge zwart, hoog rendement", "C62", "89.00", "21"),
    _Article("LB-ETR-5732", "Etiketrollen 57 x 32 mm", "XRO", "4.50", "21"),
    _Article("LB-KOF-ESP-1", "Koffiebonen espresso 1 kg", "KGM", "21.40", "9"),
    _Article("LB-THE-EG-100", "Theezakjes Earl Grey, doos 100 stuks", "XBX", "6.85", "9"),
    _Article("LB-SUI-ST-500", "Suikersticks, doos 500 stuks", "XBX", "9.75", "9"),
    _Article("LB-KOE-ASS", "Koekjes assortiment, doos 150 stuks", "XBX", "14.20", "9"),
)


def _large_line(number: int) -> Line:
    """Invoice line ``number`` (1-based): a catalogue article with a varying quantity."""
    article = _CATALOGUE[(number - 1) % len(_CATALOGUE)]
    line = Line(
        id=str(number),
        quantity=Decimal(1 + (number * 7) % 23),
        unit=article.unit,
        net_amount=Decimal(0),
        order_line_ref=str(number * 10),
        price=Price(net=Decimal(article.price)),
        item=Item(
            name=article.name,
            seller_id=article.seller_id,
            vat_category="S",
            vat_rate=Decimal(article.rate),
        ),
    )
    return dataclasses.replace(line, net_amount=line_net_amount(line))


def build_large() -> Invoice:
    """A Peppol BIS 3 invoice of 120 lines at 21 % and 9 %, totals derived by the EN 16931 rules."""
    seller_kvk = Identifier(value="34567890", scheme="0106")
    buyer_kvk = Identifier(value="30112233", scheme="0106")
    draft = Invoice(
        customization_id=(
            "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
        ),
        profile_id="urn:fdc:peppol.eu:2017:poacc:billing:01:1.0",
        number="2026-10500",
        issue_date=date(2026, 11, 30),
        due_date=date(2026, 12, 30),
        currency="EUR",
        buyer_reference="JANSEN-INKOOP-17",
        order_reference="PO-89000",
        payment_terms="Verzamelfactuur november; betaling binnen 30 dagen.",
        seller=Party(
            name="Lindeboom Kantoorartikelen B.V.",
            trading_name="Lindeboom Kantoor",
            legal_registration=seller_kvk,
            vat_id="NL000099998B57",
            endpoint=seller_kvk,
            address=Address(
                line1="Stationsweg 12", postal_code="3511 ED", city="Utrecht", country="NL"
            ),
            contact=Contact(name="Debiteurenadministratie", email="debiteuren@lindeboom.example"),
        ),
        buyer=Party(
            name="Bakkerij Jansen B.V.",
            legal_registration=buyer_kvk,
            vat_id="NL866120932B01",
            endpoint=buyer_kvk,
            address=Address(
                line1="Dorpsstraat 8", postal_code="3732 HJ", city="De Bilt", country="NL"
            ),
        ),
        delivery=Delivery(date=date(2026, 11, 28)),
        payment_means=(
            PaymentMeans(
                code="30",
                remittance_info=betalingskenmerk.create("202610500"),
                credit_transfer=CreditTransfer(
                    account_id="NL91ABNA0417164300",
                    account_name="Lindeboom Kantoorartikelen B.V.",
                    provider="ABNANL2A",
                ),
            ),
        ),
        totals=Totals(
            line_net=Decimal(0), without_vat=Decimal(0), with_vat=Decimal(0), payable=Decimal(0)
        ),
        lines=tuple(_large_line(n) for n in range(1, LARGE_LINE_COUNT + 1)),
    )
    return with_totals(draft)


def write_large(folder: Path) -> Path:
    """Write the model JSON of :func:`build_large` to ``folder``; return its path."""
    path = folder / f"{LARGE_NAME}.json"
    path.write_text(dumps(build_large()), encoding="utf-8")
    return path


# --- command line --------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--fixtures", type=Path, default=DEFAULT_FIXTURES, help="the fixtures folder"
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if any .xml is out of date"
    )
    parser.add_argument(
        "--build-large",
        action="store_true",
        help=f"(re)write {LARGE_NAME}.json from the builder before generating",
    )
    args = parser.parse_args(argv)
    folder: Path = args.fixtures
    if args.check:
        if args.build_large:
            parser.error("--check and --build-large exclude each other")
        problems = stale_fixtures(folder)
        for problem in problems:
            print(f"{folder}/{problem}", file=sys.stderr)
        if problems:
            print(
                f"{len(problems)} fixture(s) out of date: run scripts/generate_fixtures.py",
                file=sys.stderr,
            )
            return 1
        print(f"{len(fixture_sources(folder))} fixtures up to date")
        return 0
    if args.build_large:
        print(f"wrote {write_large(folder)}")
    changed, failures = generate(folder)
    for path in changed:
        print(f"wrote {path}")
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
