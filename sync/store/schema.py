"""The store's tables (SQLAlchemy Core), each column documented where it is declared.

The Alembic migrations in ``sync/store/migrations/versions`` build exactly this schema
(a test compares them); change both together, adding a revision, never editing a
released one.

What must never be doubled has a unique constraint: a tenant key, a connection name per
tenant, a cursor per connection and stream, a document per connection + source record +
content hash, an outbox row per idempotency key, a status push per event (``pushed_at``),
a bank transaction per identity, a match per transaction and document. No table has a
column for a secret: the settings file names secrets (``password_env``), the store never
holds them.

Money columns are :class:`~sync.store.types.ExactDecimal` (exact on both databases),
times are :class:`~sync.store.types.UtcDateTime` (aware, UTC). States are plain strings,
not CHECK constraints, so the pipeline can add one without a migration; the names in use
are listed in :data:`DOCUMENT_STATES`, :data:`OUTBOX_STATES` and
:data:`QUARANTINE_STATES`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

from sync.store.types import ExactDecimal, UtcDateTime

__all__ = [
    "DOCUMENT_STATES",
    "OUTBOX_STATES",
    "PAUSE_REASONS",
    "PUSH_STATES",
    "QUARANTINE_STATES",
    "REMINDER_STATES",
    "STATEMENT_BALANCES",
    "connection_fences",
    "connections",
    "credit_limits",
    "cursors",
    "cycle_holders",
    "documents",
    "events",
    "matches",
    "metadata",
    "migration_items",
    "migrations",
    "outbox",
    "payment_pushes",
    "quarantine",
    "reminder_pauses",
    "reminders",
    "statements",
    "tenants",
    "transactions",
]

DOCUMENT_STATES = (
    "built",  # mapped, written as UBL and valid; not queued yet
    "queued",
    "sent",
    "delivered",
    "accepted",
    "rejected",
    "paid",
    "failed",
    "in-doubt",
    "quarantined",  # invalid: see its quarantine row
    "changed-after-delivery",  # the source changed a business term after delivery
    "superseded",  # replaced by a newer version of the record before it was delivered
    "credit-held",  # not queued: it would take its debtor over the credit limit (sync.credit_hold)
)
OUTBOX_STATES = (
    "queued",
    "sent",
    "delivered",
    "accepted",
    "rejected",
    "paid",
    "failed",
    "in-doubt",
    "sending",  # claimed and committed before the send: found so at start, a crash interrupted it
    "cancelled",  # a newer version of the document was queued before this one was sent
)
PUSH_STATES = (
    "pending",  # recorded with its match, not pushed yet
    "pushing",  # claimed and committed before the push: found so at start, a crash interrupted it
    "pushed",  # push_payment returned
    "found",  # after a crash the source was asked and already had it: not pushed again
    "in-doubt",  # after a crash, and the source cannot be asked: the user decides
    "unsupported",  # the source cannot take it (a reversal, a credit note netted): reported
    "failed",  # the source refused it (RecordError); last_error says why
)
STATEMENT_BALANCES = (
    "balanced",  # opening + entries = closing
    "accepted-unbalanced",  # imported with --accept-unbalanced; ``difference`` holds how much
    "no-balances",  # the statement gives none (camt.054)
)
QUARANTINE_STATES = (
    "held",  # waits for a mapping fix (an unmapped code); retry rebuilds it
    "quarantined",  # could not be built or is invalid; its findings say why
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

JsonDocument = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
"""JSON: ``JSONB`` on PostgreSQL (queryable), text on SQLite; Python None is SQL NULL."""

Money = ExactDecimal(18, 4)
"""An amount: 14 digits before the point, 4 after (covers 0-, 2- and 3-decimal currencies)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True, comment="surrogate key")


def _created() -> Column[datetime]:
    return Column("created_at", UtcDateTime, nullable=False, default=_now, comment="row written")


def _updated() -> Column[datetime]:
    return Column(
        "updated_at",
        UtcDateTime,
        nullable=False,
        default=_now,
        onupdate=_now,
        comment="row last changed",
    )


tenants = Table(
    "tenants",
    metadata,
    _id(),
    Column("key", String(100), nullable=False, unique=True, comment="short name, e.g. 'default'"),
    Column("name", Text, nullable=False, comment="the company the store works for"),
    _created(),
    comment="A company whose connections, documents and bank accounts the store keeps.",
)

connections = Table(
    "connections",
    metadata,
    _id(),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False, comment="the settings file's connection name"),
    Column("connector", String(100), nullable=False, comment="connector type, e.g. 'tryton'"),
    _created(),
    UniqueConstraint("tenant_id", "name"),
    comment="A source system as the settings file names it (its settings and secrets stay there).",
)

cursors = Table(
    "cursors",
    metadata,
    Column("connection_id", ForeignKey("connections.id"), primary_key=True),
    Column("stream", String(50), primary_key=True, comment="invoices, parties or payments"),
    Column("value", Text, nullable=False, comment="Cursor.value: ISO 8601 updated_at or token"),
    Column("tie_breaker", Text, nullable=False, default="", comment="Cursor.tie_breaker: last id"),
    _updated(),
    comment="Where a connection's stream resumes; written in the transaction of its records.",
)

documents = Table(
    "documents",
    metadata,
    _id(),
    Column("connection_id", ForeignKey("connections.id"), nullable=False),
    Column("source_id", String(200), nullable=False, comment="the source record's id"),
    Column("number", String(200), nullable=False, comment="invoice number (BT-1)"),
    Column("kind", String(20), nullable=False, comment="'invoice' or 'credit-note'"),
    Column("type_code", String(3), nullable=False, comment="invoice type code (BT-3)"),
    Column("issue_date", Date, nullable=False, comment="invoice issue date (BT-2)"),
    Column("due_date", Date, nullable=True, comment="payment due date (BT-9)"),
    Column("currency", String(3), nullable=False, comment="invoice currency code (BT-5)"),
    Column("payable_amount", Money, nullable=False, comment="amount due for payment (BT-115)"),
    Column("buyer_name", Text, nullable=False, comment="buyer name (BT-44)"),
    Column("profile", String(50), nullable=False, comment="the profile the UBL was built for"),
    Column(
        "content_hash",
        String(64),
        nullable=False,
        comment="SHA-256 (hex) of the canonical UBL bytes; one delivery per hash",
    ),
    Column("model", JsonDocument, nullable=False, comment="the EN 16931 model JSON"),
    Column("ubl", LargeBinary, nullable=False, comment="the UBL 2.1 document as written"),
    Column(
        "validation_report",
        JsonDocument,
        nullable=False,
        comment="the validator's findings: a list of Finding.to_dict()",
    ),
    Column(
        "parse_report",
        JsonDocument,
        nullable=True,
        comment="an inbound UBL's parse findings (Finding.to_dict()); null when built here",
    ),
    Column("state", String(30), nullable=False, comment="one of DOCUMENT_STATES"),
    _created(),
    _updated(),
    Column(
        "buyer_key",
        String(300),
        nullable=True,
        comment="the buyer's debtor key (BT-47, else BT-48, BT-49, BT-44; revision 0008)",
    ),
    Column(
        "buyer_identifiers",
        JsonDocument,
        nullable=True,
        comment="the buyer's identifiers as 'kind:value' (BT-46 to BT-49; revision 0008)",
    ),
    Column(
        "buyer_accounts",
        JsonDocument,
        nullable=True,
        comment="the buyer's direct-debit accounts (BT-91), compact (revision 0008)",
    ),
    Column(
        "payment_reference",
        String(200),
        nullable=True,
        comment="the first remittance information (BT-83), compact (revision 0008)",
    ),
    UniqueConstraint("connection_id", "source_id", "content_hash"),
    Index(None, "connection_id", "number"),
    Index(None, "connection_id", "content_hash"),  # a page's hashes seen (revision 0004)
    Index(None, "state"),
    comment="An invoice or credit note as issued: a new source version is a new row.",
)

events = Table(
    "events",
    metadata,
    _id(),
    Column("document_id", ForeignKey("documents.id"), nullable=False, index=True),
    Column("at", UtcDateTime, nullable=False, default=_now, comment="when the state changed"),
    Column("from_state", String(30), nullable=True, comment="null for the first event"),
    Column("to_state", String(30), nullable=False),
    Column("cause", Text, nullable=False, comment="what changed it: pull, validation, a channel"),
    Column("details", JsonDocument, nullable=False, comment="e.g. changed terms, MLR codes"),
    Column(
        "pushed_at",
        UtcDateTime,
        nullable=True,
        comment="when push_status reported this event to the source; null until then",
    ),
    Index(None, "pushed_at"),
    comment="A document's state history; each row is pushed to the source once.",
)

outbox = Table(
    "outbox",
    metadata,
    _id(),
    Column("document_id", ForeignKey("documents.id"), nullable=False, index=True),
    Column(
        "idempotency_key",
        String(64),
        nullable=False,
        unique=True,
        comment="keys.idempotency_key(connection, source record, content hash)",
    ),
    Column("channel", String(200), nullable=False, comment="the settings file's channel name"),
    Column("state", String(30), nullable=False, comment="one of OUTBOX_STATES"),
    Column("attempts", Integer, nullable=False, default=0, comment="sends tried so far"),
    Column("next_attempt_at", UtcDateTime, nullable=True, comment="earliest retry; null: now"),
    Column("last_error", Text, nullable=True, comment="the last failure, as one line"),
    Column(
        "remote_id",
        Text,
        nullable=True,
        comment="how the channel knows it (message id, file path), to ask after a crash",
    ),
    Column("sent_at", UtcDateTime, nullable=True, comment="when the channel took it"),
    Column("recorded_at", UtcDateTime, nullable=True, comment="when the send was recorded here"),
    _created(),
    _updated(),
    Index(None, "state", "next_attempt_at"),
    comment="One delivery per idempotency key: at most one send, whatever crashes.",
)

quarantine = Table(
    "quarantine",
    metadata,
    _id(),
    Column("connection_id", ForeignKey("connections.id"), nullable=False),
    Column("source_id", String(200), nullable=False, comment="the source record's id"),
    Column(
        "document_id",
        ForeignKey("documents.id"),
        nullable=True,
        index=True,
        comment="the built document when validation refused it; null when none was built",
    ),
    Column("stage", String(30), nullable=False, comment="pull, map, build, validate or parse"),
    Column("state", String(20), nullable=False, comment="one of QUARANTINE_STATES"),
    Column("findings", JsonDocument, nullable=False, comment="why: a list of Finding.to_dict()"),
    Column(
        "record", JsonDocument, nullable=True, comment="the source record's data, to rebuild it"
    ),
    _created(),
    Column("resolved_at", UtcDateTime, nullable=True, comment="when a retry built it"),
    Index(None, "connection_id", "resolved_at"),
    comment="What could not be built or is invalid, with its reason; nothing is lost.",
)

statements = Table(
    "statements",
    metadata,
    _id(),
    Column("connection_id", ForeignKey("connections.id"), nullable=False),
    Column(
        "account",
        String(50),
        nullable=False,
        comment="the statement's account: compact IBAN, or the bank's account id",
    ),
    Column("format", String(30), nullable=False, comment="camt.053.001.02 ... or mt940"),
    Column("statement_ref", String(200), nullable=True, comment="camt Stmt/Id, MT940 :20:/:28C:"),
    Column(
        "identity",
        String(64),
        nullable=False,
        unique=True,
        comment="hash of account, statement id, period and balances: imported once",
    ),
    Column("source", Text, nullable=False, comment="the file it was imported from"),
    Column("currency", String(3), nullable=False, comment="the account's currency"),
    Column("period_from", Date, nullable=True),
    Column("period_to", Date, nullable=True),
    Column("opening", Money, nullable=True, comment="opening booked balance, signed"),
    Column("opening_date", Date, nullable=True),
    Column("closing", Money, nullable=True, comment="closing booked balance, signed"),
    Column("closing_date", Date, nullable=True),
    Column(
        "difference",
        Money,
        nullable=True,
        comment="opening + entries - closing; null without balances",
    ),
    Column("balance", String(30), nullable=False, comment="one of STATEMENT_BALANCES"),
    _created(),
    Index(None, "connection_id", "account"),
    comment="A bank statement as imported (`ledgerlink statements import`), with its balances.",
)

transactions = Table(
    "transactions",
    metadata,
    _id(),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("account", String(50), nullable=False, comment="the tenant's IBAN (BT-84 side)"),
    Column("booking_date", Date, nullable=False),
    Column("value_date", Date, nullable=True),
    Column("amount", Money, nullable=False, comment="signed: credit > 0, debit < 0"),
    Column("currency", String(3), nullable=False),
    Column("counterparty_name", Text, nullable=True),
    Column("counterparty_account", String(50), nullable=True, comment="the payer's IBAN"),
    Column(
        "structured_reference",
        String(100),
        nullable=True,
        comment="RF ISO 11649, betalingskenmerk or OGM, as read",
    ),
    Column("remittance", Text, nullable=True, comment="unstructured remittance text"),
    Column("bank_reference", String(200), nullable=True, comment="the bank's entry reference"),
    Column(
        "identity",
        String(64),
        nullable=False,
        unique=True,
        comment="sync.statement_import.transaction_identity: imported once",
    ),
    Column("source", Text, nullable=True, comment="the statement file or feed it came from"),
    _created(),
    Column(
        "connection_id",
        ForeignKey("connections.id"),
        nullable=True,
        comment="the connection that owns the account (revision 0006; null before)",
    ),
    Column(
        "statement_id",
        ForeignKey("statements.id"),
        nullable=True,
        index=True,
        comment="the statement it was imported with",
    ),
    Column("entry", Integer, nullable=True, comment="1-based position in its statement"),
    Column("end_to_end_id", String(200), nullable=True, comment="the payer's EndToEndId"),
    Column("bank_code", String(100), nullable=True, comment="bank transaction code"),
    Column("reversal", Boolean, nullable=False, default=False, comment="a reversal or return"),
    Column("return_reason", String(10), nullable=True, comment="ISO 20022 return reason"),
    Column(
        "data",
        JsonDocument,
        nullable=True,
        comment="the whole reconcile.Transaction (batch children too), for the matcher",
    ),
    Index(None, "account", "booking_date"),
    Index(None, "connection_id", "bank_reference"),
    comment="A bank or statement transaction, for the reconciler.",
)

matches = Table(
    "matches",
    metadata,
    _id(),
    Column("transaction_id", ForeignKey("transactions.id"), nullable=False),
    Column("document_id", ForeignKey("documents.id"), nullable=False, index=True),
    Column(
        "amount",
        Money,
        nullable=False,
        comment="signed reduction of the document's open amount (negative: credit note "
        "consumed, reversal)",
    ),
    Column("stage", String(50), nullable=False, comment="the matching stage that found it"),
    Column("reason", Text, nullable=False, comment="why, in words"),
    Column("confidence", ExactDecimal(5, 4), nullable=False, comment="0 to 1"),
    _created(),
    Column(
        "written_off",
        Money,
        nullable=False,
        default=0,
        comment="a shortfall of the document written off under the tolerance policy",
    ),
    UniqueConstraint("transaction_id", "document_id"),
    comment="A match event, never changed: a transaction (or part of it) applied to a "
    "document. A document's open amount is its amount less its matches.",
)

payment_pushes = Table(
    "payment_pushes",
    metadata,
    _id(),
    Column("match_id", ForeignKey("matches.id"), nullable=False, unique=True),
    Column(
        "idempotency_key",
        String(64),
        nullable=False,
        unique=True,
        comment="sync.payment_push.push_key(connection, bank reference, source record)",
    ),
    Column("connection_id", ForeignKey("connections.id"), nullable=False),
    Column("document_id", ForeignKey("documents.id"), nullable=False),
    Column("kind", String(20), nullable=False, comment="payment, reversal or credit"),
    Column("amount", Money, nullable=False, comment="what is pushed (BT-113), positive"),
    Column("currency", String(3), nullable=False),
    Column("paid_on", Date, nullable=False, comment="the booking date"),
    Column("reference", Text, nullable=False, comment="Payment.reference: the bank reference"),
    Column("state", String(20), nullable=False, comment="one of PUSH_STATES"),
    Column("attempts", Integer, nullable=False, default=0, comment="pushes tried so far"),
    Column("last_error", Text, nullable=True, comment="why it failed or is reported"),
    Column("pushed_at", UtcDateTime, nullable=True, comment="when the source took it"),
    _created(),
    _updated(),
    Index(None, "state"),
    comment="One push_payment per match: at most one booking at the source, whatever crashes.",
)

migrations = Table(
    "migrations",
    metadata,
    _id(),
    Column("connection_id", ForeignKey("connections.id"), nullable=False),
    Column("target", Text, nullable=False, comment="the resolved folder `migrate --to` writes"),
    Column("since", String(10), nullable=True, comment="--since (YYYY-MM-DD) it started with"),
    Column("cursor_value", Text, nullable=True, comment="Cursor.value of the last page done"),
    Column("cursor_tie_breaker", Text, nullable=False, default="", comment="Cursor.tie_breaker"),
    _created(),
    _updated(),
    UniqueConstraint("connection_id", "target"),
    comment="A one-shot migration (`ledgerlink migrate`) of a connection into a folder: "
    "its own cursor, so that running it again continues where it stopped.",
)

migration_items = Table(
    "migration_items",
    metadata,
    _id(),
    Column("migration_id", ForeignKey("migrations.id"), nullable=False),
    Column("source_id", String(200), nullable=False, comment="the source record's id"),
    Column(
        "item_key",
        String(64),
        nullable=False,
        comment="the content hash of the UBL, or of the record data when none was built",
    ),
    Column("number", String(200), nullable=True, comment="invoice number (BT-1)"),
    Column("kind", String(20), nullable=True, comment="'invoice' or 'credit-note'"),
    Column("issue_date", Date, nullable=True, comment="invoice issue date (BT-2)"),
    Column("buyer_name", Text, nullable=True, comment="buyer name (BT-44)"),
    Column("buyer_id", Text, nullable=True, comment="buyer identifier (BT-46, else BT-47, BT-48)"),
    Column("net", Money, nullable=True, comment="invoice total amount without VAT (BT-109)"),
    Column("vat", Money, nullable=True, comment="invoice total VAT amount (BT-110)"),
    Column("payable", Money, nullable=True, comment="amount due for payment (BT-115)"),
    Column("currency", String(3), nullable=True, comment="invoice currency code (BT-5)"),
    Column("state", String(20), nullable=False, comment="written, held or quarantined"),
    Column("file", Text, nullable=True, comment="the UBL file's name in the folder"),
    Column("reason", Text, nullable=True, comment="why held, quarantined or renamed"),
    Column("findings", JsonDocument, nullable=True, comment="a list of Finding.to_dict()"),
    Column(
        "document_id",
        ForeignKey("documents.id"),
        nullable=True,
        comment="with --deliver: the document the outbox delivers",
    ),
    _created(),
    UniqueConstraint("migration_id", "source_id", "item_key"),
    comment="A record a migration took: one row of its index.csv, written once.",
)

connection_fences = Table(
    "connection_fences",
    metadata,
    Column(
        "connection", String(200), primary_key=True, comment="the settings file's connection name"
    ),
    Column(
        "token",
        String(32),
        nullable=False,
        comment="the fence token of the cycle that holds the connection now",
    ),
    Column("holder", String(200), nullable=False, comment="the worker that took it (worker id)"),
    Column("taken_at", UtcDateTime, nullable=False, default=_now, comment="when it was taken"),
    Column(
        "failures",
        Integer,
        nullable=False,
        default=0,
        comment="failed cycles in a row (0 after a success)",
    ),
    Column(
        "not_before",
        UtcDateTime,
        nullable=True,
        comment="a failing connection's back-off: no cycle is queued before this",
    ),
    comment="ledgerlink daemon on PostgreSQL: the cycle that owns each connection. A cycle "
    "writes a fresh token here when it starts; each page transaction checks it "
    "(RunControl.fence), so a worker declared dead that wakes up commits nothing.",
)

cycle_holders = Table(
    "cycle_holders",
    metadata,
    _id(),
    Column("connection", String(200), nullable=False, comment="the connection name"),
    Column("holder", String(200), nullable=False, comment="the worker that ran the cycle"),
    Column("token", String(32), nullable=False, comment="its fence token"),
    Column("job_id", Integer, nullable=True, comment="the job engine's job id, if any"),
    Column("started_at", UtcDateTime, nullable=False, comment="the cycle took the connection"),
    Column(
        "ended_at",
        UtcDateTime,
        nullable=True,
        comment="the cycle let it go; null while it runs, or when its worker died",
    ),
    Column("outcome", String(20), nullable=True, comment="done, stopped, failed or fenced"),
    Index(None, "connection", "started_at"),
    comment="ledgerlink daemon on PostgreSQL: who worked which connection when, one row per "
    "cycle (operators, and the test that no two intervals of a connection overlap).",
)

REMINDER_STATES = (
    "pending",  # recorded (the decision), this output not done yet
    "sending",  # claimed and committed before the send: found so at start, a crash interrupted it
    "sent",  # the webhook answered 2xx / the SMTP server took the mail
    "failed",  # refused (a 4xx answer, an SMTP 5yz); last_error says why
    "in-doubt",  # a crash while sending and the receiver cannot be asked: the user decides
    "cancelled",  # the invoice was paid (or the triggers stopped) before it went out
)
PAUSE_REASONS = ("dispute", "promise", "plan")

reminders = Table(
    "reminders",
    metadata,
    _id(),
    Column("connection_id", ForeignKey("connections.id"), nullable=False),
    Column("source_id", String(200), nullable=False, comment="the source record's id"),
    Column(
        "document_id",
        ForeignKey("documents.id"),
        nullable=False,
        comment="the version of the document the reminder was fired for",
    ),
    Column("number", String(200), nullable=False, comment="invoice number (BT-1)"),
    Column("step", String(100), nullable=False, comment="the policy step's name"),
    Column("step_type", String(30), nullable=False, comment="reconcile.reminders.StepType"),
    Column("policy", String(100), nullable=False, comment="the policy's name"),
    Column("fired_on", Date, nullable=False, comment="the day it fired (the run's --on)"),
    Column("days_overdue", Integer, nullable=False, comment="days after the due date (BT-9)"),
    Column("currency", String(3), nullable=False, comment="invoice currency code (BT-5)"),
    Column("open", Money, nullable=False, comment="what was still open of BT-115"),
    Column("costs", Money, nullable=False, comment="the costs its letter states"),
    Column("interest", Money, nullable=False, comment="statutory interest up to fired_on"),
    Column(
        "details",
        JsonDocument,
        nullable=False,
        comment="interest periods, the 14-day letter's dates, the debtor: what the letter says",
    ),
    Column("webhook_state", String(20), nullable=True, comment="REMINDER_STATES; null: none"),
    Column("email_state", String(20), nullable=True, comment="REMINDER_STATES; null: none"),
    Column("attempts", Integer, nullable=False, default=0, comment="output runs tried so far"),
    Column("last_error", Text, nullable=True, comment="the last output failure, as one line"),
    _created(),
    _updated(),
    UniqueConstraint("connection_id", "source_id", "step"),
    Index(None, "fired_on"),
    comment="A reminder step fired for an invoice: once per document and step, whatever "
    "crashes or reruns (the row is the decision; its outputs follow it).",
)

reminder_pauses = Table(
    "reminder_pauses",
    metadata,
    _id(),
    Column("connection_id", ForeignKey("connections.id"), nullable=False),
    Column("source_id", String(200), nullable=False, comment="the source record's id"),
    Column("number", String(200), nullable=False, comment="invoice number (BT-1)"),
    Column("reason", String(20), nullable=False, comment="one of PAUSE_REASONS"),
    Column("until", Date, nullable=True, comment="last day of the pause; null: until resumed"),
    Column("note", Text, nullable=True, comment="what the credit manager wrote"),
    _created(),
    Column("resumed_at", UtcDateTime, nullable=True, comment="`reminders resume`; null: not yet"),
    Index(None, "connection_id", "source_id"),
    comment="A dispute, a promise to pay or a payment plan that pauses an invoice's reminders.",
)

credit_limits = Table(
    "credit_limits",
    metadata,
    Column("connection_id", ForeignKey("connections.id"), primary_key=True),
    Column("party_id", String(200), primary_key=True, comment="the party's record id"),
    Column("name", Text, nullable=False, comment="the party's name (BT-44 as a buyer)"),
    Column(
        "identifiers",
        JsonDocument,
        nullable=False,
        comment="the party's debtor identifiers as 'kind:value' (kvk:..., vat:...)",
    ),
    Column("amount", Money, nullable=False, comment="the credit limit the source gives"),
    Column("currency", String(3), nullable=False, comment="the limit's currency"),
    _updated(),
    comment="Credit limits pulled from a source (Tryton's credit_limit_amount), per "
    "connection and party; a limit in the settings file wins over them (revision 0009).",
)
