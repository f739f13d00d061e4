"""Build the Tryton 8.2 demo database (SQLite) that the connector tests run against.

Run it in its own process (proteus binds trytond to one database per process)::

    .venv/bin/python tests/tryton/builder.py --config trytond.conf --database demo --init \
        [--extra N]

It prints a JSON summary on stdout. The database holds, with stable ids:

* company "Demo B.V." (NL VAT NL004495445B01, IBAN NL91ABNA0417164300), EUR, minimal chart;
* taxes "BTW 21%" and "BTW 9%" (UNECE VAT/S) and "BTW verlegd 0%" (VAT/AE, reverse charge);
* customers "Klant B.V." (NL000099998B57) and "Client SA" (BE0897290877), payment term
  "30 dagen", payment method "Bank";
* INV-1 (21% + 9%, paid), INV-2 (Belgian customer, reverse charge, 100.00 paid),
  INV-3 (21% + 9%, open) and CN-1 (credit note for INV-3 made with the credit wizard);
  each carries the customer's purchase order number as its ``reference`` (BT-10): PO-1001,
  PO-2001, PO-1002 and, on CN-1, the order of the invoice it credits (the credit wizard
  copies no reference);
* with ``--extra N``, N more posted open invoices (INV-4 ...), copied and posted in batches.
"""

from __future__ import annotations

import argparse
import configparser
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

MODULES = (
    "account_invoice",
    "account_payment",
    "account_statement",
    "account_credit_limit",
    "account_dunning",
    "account_eu",
    "edocument_ubl",
    "edocument_peppol",
    "bank",
)
ADMIN_PASSWORD = "admin"
EXTRA_BATCH = 200


def sqlite_file(config_file: Path, database: str) -> Path:
    """The SQLite file trytond uses for ``database`` under the config's [database] path."""
    parser = configparser.ConfigParser()
    parser.read(config_file)
    path = parser.get("database", "path", fallback=None)
    if not path:
        raise SystemExit(f"{config_file}: [database] path must be set for SQLite")
    return Path(path) / f"{database}.sqlite"


def init_database(config_file: Path, database: str) -> None:
    """Create an empty database and activate MODULES with trytond-admin."""
    dbfile = sqlite_file(config_file, database)
    dbfile.parent.mkdir(parents=True, exist_ok=True)
    for stale in (dbfile, *(dbfile.with_name(dbfile.name + s) for s in ("-wal", "-shm"))):
        stale.unlink(missing_ok=True)
    dbfile.touch()  # the SQLite backend only opens existing files
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        if not env.get("TRYTONPASSFILE"):
            passfile = Path(tmp) / "passfile"
            passfile.write_text(ADMIN_PASSWORD + "\n")
            env["TRYTONPASSFILE"] = str(passfile)
        admin = [sys.executable, "-m", "trytond.cli.admin", "-c", str(config_file), "-d", database]
        subprocess.run([*admin, "--all", "--email", "admin@example.com"], check=True, env=env)
        subprocess.run([*admin, "-u", *MODULES, "--activate-dependencies"], check=True, env=env)


class DemoBuilder:
    """Creates the demo records through proteus, bound to one trytond database."""

    def __init__(self, config_file: Path, database: str) -> None:
        from proteus import Model, Wizard
        from proteus import config as proteus_config

        self.Model = Model
        self.Wizard = Wizard
        self.config = proteus_config.set_trytond(database=database, config_file=str(config_file))
        self.today = dt.date.today()

    def get(self, name: str) -> Any:
        return self.Model.get(name)

    def build(self) -> dict[str, Any]:
        self.countries()
        self.company()
        self.chart()
        self.fiscal_year()
        self.taxes()
        self.payment_setup()
        self.products()
        self.customers()
        return self.invoices()

    def countries(self) -> None:
        Country = self.get("country.country")
        self.nl = Country(name="Netherlands", code="NL", code3="NLD")
        self.be = Country(name="Belgium", code="BE", code3="BEL")
        Country.save([self.nl, self.be])
        Currency = self.get("currency.currency")
        found = Currency.find([("code", "=", "EUR")])
        self.eur = found[0] if found else Currency(name="Euro", code="EUR", symbol="€")
        if not self.eur.rates:
            rate = self.eur.rates.new()
            rate.date = dt.date(2000, 1, 1)
            rate.rate = Decimal(1)
        self.eur.save()

    def party(self, name: str, vat: str, address: tuple[str, str, str, Any]) -> Any:
        party = self.get("party.party")(name=name)
        (addr,) = party.addresses
        addr.street, addr.postal_code, addr.city, addr.country = address
        identifier = party.identifiers.new()
        identifier.type = "eu_vat"
        identifier.code = vat
        return party

    def company(self) -> None:
        self.company_party = self.party(
            "Demo B.V.", "NL004495445B01", ("Damrak 1", "1012 LG", "Amsterdam", self.nl)
        )
        self.company_party.save()
        wizard = self.Wizard("company.company.config")
        wizard.execute("company")
        wizard.form.party = self.company_party
        wizard.form.currency = self.eur
        wizard.execute("add")
        self.config._context = self.get("res.user").get_preferences(True, {})
        (self.company_record,) = self.get("company.company").find()

    def chart(self) -> None:
        Account = self.get("account.account")
        template_id = self.get("ir.model.data").get_id(
            "account.account_template_root_en", self.config.context
        )
        wizard = self.Wizard("account.create_chart")
        wizard.execute("account")
        wizard.form.account_template = self.get("account.account.template")(template_id)
        wizard.form.company = self.company_record
        wizard.execute("create_account")

        def first(kind: str) -> Any:
            domain = [(f"type.{kind}", "=", True), ("closed", "!=", True)]
            return Account.find(domain, limit=1)[0]

        self.revenue, self.expense = first("revenue"), first("expense")
        (self.cash_account,) = Account.find([("code", "=", "1.1.1")], limit=1)
        (self.tax_account,) = Account.find([("code", "=", "6.3.6")], limit=1)
        wizard.form.account_receivable = first("receivable")
        wizard.form.account_payable = first("payable")
        wizard.form.category_account_revenue = self.revenue
        wizard.form.category_account_expense = self.expense
        wizard.execute("create_properties")

    def fiscal_year(self) -> None:
        """A fiscal year around today, monthly periods, sequences INV-n and CN-n."""
        SeqStrict = self.get("ir.sequence.strict")
        SeqType = self.get("ir.sequence.type")
        (move_type,) = SeqType.find([("name", "=", "Account Move")], limit=1)
        (invoice_type,) = SeqType.find([("name", "=", "Invoice")], limit=1)
        company = self.company_record

        def sequence(name: str, kind: Any, prefix: str = "") -> Any:
            record = SeqStrict(name=name, sequence_type=kind, company=company, prefix=prefix)
            record.save()
            return record

        year = self.get("account.fiscalyear")(name=str(self.today.year), company=company)
        year.start_date = (self.today.replace(day=1) - dt.timedelta(days=170)).replace(day=1)
        end = self.today + dt.timedelta(days=190)
        year.end_date = (end.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(
            days=1
        )
        year.move_sequence = sequence("Moves", move_type)
        invoices, credit_notes = (
            sequence("Invoices", invoice_type, "INV-"),
            sequence("Credit notes", invoice_type, "CN-"),
        )
        (numbering,) = year.invoice_sequences
        numbering.out_invoice_sequence = numbering.in_invoice_sequence = invoices
        numbering.out_credit_note_sequence = numbering.in_credit_note_sequence = credit_notes
        year.save()
        year.click("create_period")

    def taxes(self) -> None:
        Tax = self.get("account.tax")

        def tax(name: str, rate: str, category: str) -> Any:
            return Tax(
                name=name,
                description=name,
                type="percentage",
                rate=Decimal(rate),
                invoice_account=self.tax_account,
                credit_note_account=self.tax_account,
                unece_code="VAT",
                unece_category_code=category,
            )

        self.tax_21 = tax("BTW 21%", "0.21", "S")
        self.tax_9 = tax("BTW 9%", "0.09", "S")
        self.tax_reverse = tax("BTW verlegd 0%", "0", "AE")
        Tax.save([self.tax_21, self.tax_9, self.tax_reverse])
        self.reverse_charge_rule = self.get("account.tax.rule")(name="EU B2B", kind="sale")
        for origin in (self.tax_21, self.tax_9):
            self.reverse_charge_rule.lines.new(origin_tax=origin, tax=self.tax_reverse)
        self.reverse_charge_rule.save()

    def payment_setup(self) -> None:
        (cash_journal,) = self.get("account.journal").find([("type", "=", "cash")])
        self.payment_method = self.get("account.invoice.payment.method")(
            name="Bank",
            journal=cash_journal,
            credit_account=self.cash_account,
            debit_account=self.cash_account,
        )
        self.payment_method.save()
        bank_account = self.get("bank.account")(
            owners=[self.get("party.party")(self.company_party.id)], currency=self.eur
        )
        bank_account.numbers.new(type="iban", number="NL91ABNA0417164300")
        bank_account.save()
        self.get("account.invoice.payment.mean.rule")(instrument=bank_account).save()
        self.term = self.get("account.invoice.payment_term")(
            name="30 dagen", description="Betaling binnen 30 dagen"
        )
        self.term.lines.new(type="remainder").relativedeltas.new(days=30)
        self.term.save()

    def products(self) -> None:
        Category = self.get("product.category")
        Template = self.get("product.template")
        (unit,) = self.get("product.uom").find([("name", "=", "Unit")])

        def product(name: str, code: str, price: str, tax: Any) -> Any:
            category = Category(name=f"{name} ({tax.name})", accounting=True)
            category.account_revenue = self.revenue
            category.account_expense = self.expense
            category.customer_taxes.append(self.get("account.tax")(tax.id))
            category.save()
            template = Template(
                name=name,
                default_uom=unit,
                type="service",
                list_price=Decimal(price),
                account_category=category,
            )
            template.save()
            (variant,) = template.products
            variant.code = code
            variant.save()
            return variant

        self.consulting = product("Consulting hour", "CONS-H", "95.00", self.tax_21)
        self.training = product("Training manual", "BOOK-T", "42.50", self.tax_9)

    def customers(self) -> None:
        Party = self.get("party.party")
        self.klant = self.party(
            "Klant B.V.", "NL000099998B57", ("Coolsingel 40", "3011 AD", "Rotterdam", self.nl)
        )
        self.client = self.party(
            "Client SA", "BE0897290877", ("Rue Neuve 1", "1000", "Bruxelles", self.be)
        )
        for party, email in ((self.klant, "ap@klant.example"), (self.client, "ap@client.example")):
            party.contact_mechanisms.new(type="email", value=email)
            party.customer_payment_term = self.term
        self.client.customer_tax_rule = self.reverse_charge_rule
        Party.save([self.klant, self.client])

    def invoice(self, party: Any, hours: int, reference: str) -> Any:
        """A draft out-invoice: consulting hours (21%), training manuals (9%), travel (21%).

        The party's tax rule turns the product taxes into reverse charge for Client SA.
        """
        Tax = self.get("account.tax")
        invoice = self.get("account.invoice")(
            type="out",
            party=party,
            payment_term=self.term,
            invoice_date=self.today,
            reference=reference,
            description=f"Consultancy {reference}",
        )
        for product, quantity in ((self.consulting, hours), (self.training, 2)):
            line = invoice.lines.new()
            line.product = product
            line.quantity = quantity
            line.unit_price = product.template.list_price
        travel = invoice.lines.new()
        travel.account = self.revenue
        travel.description = "Travel costs"
        travel.quantity = 1
        travel.unit_price = Decimal("25.50")
        reverse_charge = party.customer_tax_rule is not None
        travel.taxes.append(Tax((self.tax_reverse if reverse_charge else self.tax_21).id))
        invoice.save()
        return invoice

    def pay(self, invoice: Any, amount: Decimal | None = None) -> None:
        wizard = invoice.click("pay")
        wizard.form.payment_method = self.payment_method
        wizard.form.date = self.today
        if amount is not None:
            wizard.form.amount = amount
        wizard.execute("choice")
        if wizard.state != "end":  # a partial payment asks what to do with the rest
            wizard.form.type = "partial"
            wizard.execute("pay")

    def invoices(self) -> dict[str, Any]:
        Invoice = self.get("account.invoice")
        inv1 = self.invoice(self.klant, 10, "PO-1001")
        inv2 = self.invoice(self.client, 4, "PO-2001")
        inv3 = self.invoice(self.klant, 2, "PO-1002")
        for invoice in (inv1, inv2, inv3):  # one by one so that the numbers follow the ids
            invoice.click("post")
        self.pay(inv1)
        self.pay(inv2, Decimal("100.00"))
        credit = self.Wizard("account.invoice.credit", [inv3])
        credit.form.with_refund = False
        credit.form.invoice_date = self.today
        credit.execute("credit")
        (credit_note,) = Invoice.find([("type", "=", "out"), ("state", "=", "draft")])
        credit_note.reference = inv3.reference
        credit_note.save()
        credit_note.click("post")
        self.bases = (inv1, inv2, inv3)
        documents = (inv1, inv2, inv3, credit_note)
        for document in documents:
            document.reload()
        return {
            document.number: {
                "id": document.id,
                "state": document.state,
                "total": str(document.total_amount),
                "amount_to_pay": str(document.amount_to_pay),
            }
            for document in documents
        }

    def extra_invoices(self, count: int) -> list[int]:
        """``count`` more posted open invoices, copied from INV-1..3 and posted per batch.

        Posting renders each invoice's report unless a queue worker takes the task: the
        builder pretends to have one (3x faster) and drops the queued tasks afterwards.
        """
        from trytond import config as trytond_config
        from trytond.pool import Pool
        from trytond.transaction import Transaction

        Invoice = self.get("account.invoice")
        trytond_config.set("queue", "worker", "True")
        ids: list[int] = []
        while len(ids) < count:
            size = min(EXTRA_BATCH, count - len(ids))
            sources = [self.bases[(len(ids) + n) % len(self.bases)] for n in range(size)]
            copies = Invoice.duplicate(
                sources, default={"invoice_date": self.today, "reference": "BULK"}
            )
            Invoice.click(copies, "post")
            ids.extend(copy.id for copy in copies)
        trytond_config.set("queue", "worker", "False")
        with Transaction().start(self.config.database_name, 0):
            Queue = Pool().get("ir.queue")
            Queue.delete(Queue.search([]))
        return ids


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--config", type=Path, required=True, help="trytond.conf (SQLite)")
    parser.add_argument("--database", default="demo")
    parser.add_argument(
        "--init", action="store_true", help="(re)create the database and activate the modules"
    )
    parser.add_argument("--extra", type=int, default=0, help="more posted invoices to add")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.init:
        init_database(args.config, args.database)
    initialised = time.perf_counter()
    builder = DemoBuilder(args.config, args.database)
    summary: dict[str, Any] = {"database": args.database, "invoices": builder.build()}
    data_done = time.perf_counter()
    summary["extra_invoices"] = len(builder.extra_invoices(args.extra))
    finished = time.perf_counter()
    summary["seconds"] = {
        "init": round(initialised - started, 1),
        "data": round(data_done - initialised, 1),
        "extra": round(finished - data_done, 1),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
