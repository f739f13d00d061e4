"""Every published sample in the shared bank folder parses, with its statements, entries,
batch children, bank references and balance differences counted and checked.

The expectations are the per-sample tables of docs/decisions/0002-statement-readers.md,
checked again against the files (grep -c '^:61:', lxml counts of Ntry and TxDtls, the
balances summed by hand)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from support.shared import require_shared

from reconcile.statements import iban_problems, read_statements

D = Decimal
OK = D(0)

# file: (statements, entries, children, entries with a bank reference, differences)
# A difference is opening + entries - closing per statement; None where it cannot be
# computed (no balances, or balances in two currencies).
SAMPLES: dict[str, tuple[int, int, int, int, list[Decimal | None]]] = {
    "mt940/oca_ing_sepa_structured.940": (1, 8, 0, 8, [OK]),
    "mt940/oca_rabobank_structured.swi": (4, 2, 0, 0, [OK, OK, OK, OK]),
    "mt940/wolph-jejik_abnamro.sta": (2, 10, 0, 0, [D("2038.00"), D("1002.60")]),
    "mt940/wolph-jejik_ing.sta": (1, 7, 0, 0, [D("-49.06")]),
    "mt940/wolph-jejik_knab.sta": (2, 3, 0, 3, [OK, D("-4500.00")]),
    "mt940/wolph-jejik_rabobank-iban.sta": (2, 4, 0, 0, [OK, OK]),
    "mt940/wolph-jejik_sns.sta": (2, 2, 0, 0, [OK, OK]),
    "mt940/wolph-jejik_triodos.sta": (1, 2, 0, 0, [D("-111.40")]),
    "mt940/zilverline_abn_abn_sepa_incasso_doorlopend.txt": (1, 1, 0, 0, [D("0.50")]),
    "mt940/zilverline_abn_abn_sepa_overboeking.txt": (1, 1, 0, 0, [D("0.50")]),
    "mt940/zilverline_abn_abn_structured_sepa_acceptgiro.txt": (1, 1, 0, 0, [D("0.50")]),
    "mt940/zilverline_abn_anb_sepa_overboeking_belastingdienst.txt": (1, 2, 0, 0, [D("-86000.00")]),
    "mt940/zilverline_ing_ing_references.txt": (1, 1, 0, 1, [OK]),
    "mt940/zilverline_ing_structured.txt": (1, 7, 0, 0, [D("-6716.00")]),
    "mt940/zilverline_knab_knab_sepa_acceptgiro.txt": (1, 1, 0, 1, [OK]),
    "mt940/zilverline_rabobank_mt940_structured.txt": (2, 9, 0, 0, [OK, OK]),
    "mt940/zilverline_rabobank_mt940_structured_dutch_tax.txt": (1, 1, 0, 0, [OK]),
    "mt940/zilverline_triodos_iban.txt": (1, 3, 0, 0, [OK]),
    "camt053/genkgo_camt053.001.02_minimal_scor.xml": (1, 1, 0, 0, [None]),
    "camt053/genkgo_camt053.001.08.xml": (1, 1, 0, 1, [None]),
    "camt053/mpdroog_rabobank_camt053.001.02_real_export.xml": (132, 9, 0, 0, [OK] * 132),
    "camt053/oca_abnamro-style_camt053.001.02_reversal_batch.xml": (1, 3, 2, 0, [D("434.16")]),
    "camt053/tryton_be_camt053.001.02.xml": (1, 1, 0, 1, [OK]),
    "camt054/genkgo_camt054.001.02_multi_rmtinf.xml": (1, 1, 3, 1, [None]),
    "camt054/genkgo_camt054.001.08.xml": (1, 1, 3, 1, [None]),
    "camt054/oca_camt054.001.04.xml": (1, 1, 0, 1, [None]),
}


def _path(name: str) -> str:
    return str(require_shared(f"reference/bank/{name}"))


def test_the_table_covers_every_sample() -> None:
    bank = require_shared("reference/bank")
    present = {
        f"{p.parent.name}/{p.name}"
        for p in bank.glob("*/*")
        if p.parent.name in ("mt940", "camt053", "camt054")
    }
    assert present == set(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_counts_and_balances(name: str) -> None:
    statements, entries, children, with_reference, differences = SAMPLES[name]
    read = list(read_statements(_path(name)))
    transactions = [t for s in read for t in s.transactions]
    assert len(read) == statements
    assert len(transactions) == entries
    assert sum(len(t.children) for t in transactions) == children
    assert sum(1 for t in transactions if t.bank_reference) == with_reference
    assert [s.difference for s in read] == differences
    for statement, difference in zip(read, differences, strict=True):
        assert (statement.balance_problem is None) == (difference == OK)
        assert [t.entry for t in statement.transactions] == list(
            range(1, len(statement.transactions) + 1)
        )
        for t in statement.transactions:
            assert t.amount == t.amount.quantize(D("0.01"))
            assert t.currency == statement.currency or name.startswith("camt")


def test_totals_match_the_decision_record() -> None:
    mt940 = [n for n in SAMPLES if n.startswith("mt940/")]
    read = [s for n in mt940 for s in read_statements(_path(n))]
    assert len(read) == 26
    assert sum(len(s.transactions) for s in read) == 65
    # The record said 11; its own rows give 10 (jejik ABN 2, jejik ING, jejik Knab,
    # jejik Triodos, the 3 zilverline ABN excerpts, ABN Belastingdienst, zilverline ING).
    assert sum(1 for s in read if s.balance_problem) == 10


def test_mixed_currency_balances_are_flagged_not_passed() -> None:
    for name in ("genkgo_camt053.001.02_minimal_scor.xml", "genkgo_camt053.001.08.xml"):
        (statement,) = read_statements(_path(f"camt053/{name}"))
        assert statement.difference is None
        assert statement.balance_problem == (
            "balances in different currencies: opening EUR, closing SEK"
        )


def test_camt054_has_no_balances_to_check() -> None:
    (statement,) = read_statements(_path("camt054/oca_camt054.001.04.xml"))
    assert statement.format == "camt.054.001.04"
    assert statement.balance_problem == "no balances to check (camt.054 notification)"


def test_abn_page_without_its_predecessor_and_successor_is_flagged() -> None:
    first, second = read_statements(_path("mt940/wolph-jejik_abnamro.sta"))
    assert first.balance_problem is not None and "2038.00 EUR" in first.balance_problem
    problem = second.balance_problem or ""
    assert "starts on an intermediate balance :60M:" in problem
    assert "ends on an intermediate balance :62M:" in problem
    assert "1002.60 EUR" in problem


# The six files whose own account fails its check digits (decision record), and the
# wrong counterparty IBAN of the OCA camt files: read works, the check reports them.
WRONG_OWN_ACCOUNT = {
    "mt940/oca_ing_sepa_structured.940": "NL77INGB0574908765",
    "mt940/wolph-jejik_rabobank-iban.sta": "NL71RABO0123456789",
    "mt940/zilverline_ing_ing_references.txt": "NL62INGB0001212121",
    "mt940/zilverline_knab_knab_sepa_acceptgiro.txt": "NL92KNAB0123123123",
    "mt940/zilverline_rabobank_mt940_structured.txt": "NL50RABO0123456789",
    "mt940/zilverline_rabobank_mt940_structured_dutch_tax.txt": "NL50RABO0123456789",
}


@pytest.mark.parametrize("name", sorted(WRONG_OWN_ACCOUNT))
def test_wrong_own_account_is_read_and_reported(name: str) -> None:
    for statement in read_statements(_path(name)):
        assert statement.account == WRONG_OWN_ACCOUNT[name]
        accounts = [p for p in iban_problems(statement) if p.field == "account"]
        assert [str(p) for p in accounts] == [
            f"account {WRONG_OWN_ACCOUNT[name]}: check digits do not match"
        ]


def test_wrong_counterparty_iban_names_the_entry() -> None:
    (statement,) = read_statements(
        _path("camt053/oca_abnamro-style_camt053.001.02_reversal_batch.xml")
    )
    problems = [str(p) for p in iban_problems(statement)]
    assert "entry 1: counterparty.iban NL46ABNA0499998748: check digits do not match" in problems


def test_files_with_wrong_ibans_count() -> None:
    # The record counted 13 wrong IBANs in 13 files; it missed the two Triodos ones
    # (``>21NL12RABO0888888888``, ``>21NL08TRIO0373737373``) glued to their subfield
    # number: 15 wrong IBANs in 14 files.
    bad: dict[str, set[str]] = {}
    for name in SAMPLES:
        for statement in read_statements(_path(name)):
            for problem in iban_problems(statement):
                bad.setdefault(problem.iban, set()).add(name)
    assert len(bad) == 15
    assert len(set().union(*bad.values())) == 14
    assert bad["NL12RABO0888888888"] == {"mt940/zilverline_triodos_iban.txt"}
