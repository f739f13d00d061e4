"""Bad input (issue 16 §7, reader side): each case is a StatementError naming the file and,
where it has one, the entry. The fixtures are generated here or cut from the shared
samples into tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.shared import require_shared

from reconcile.statements import StatementError, check_ibans, read_statements

CAMT = "camt053/oca_abnamro-style_camt053.001.02_reversal_batch.xml"
RABO = "mt940/zilverline_rabobank_mt940_structured.txt"


def _sample(name: str) -> str:
    return require_shared(f"reference/bank/{name}").read_text(encoding="utf-8")


def _error(path: Path) -> StatementError:
    with pytest.raises(StatementError) as caught:
        list(read_statements(path))
    assert caught.value.path == str(path)
    assert str(caught.value).startswith(path.name + ": ")
    return caught.value


def test_the_message_shape() -> None:
    error = StatementError("/some/where/statement.xml", "unknown currency 'XXY'", entry=3)
    assert str(error) == "statement.xml: entry 3: unknown currency 'XXY'"
    assert isinstance(error, ValueError)
    assert (error.path, error.entry, error.message) == (
        "/some/where/statement.xml",
        3,
        "unknown currency 'XXY'",
    )


def test_camt_cut_inside_an_element(tmp_path: Path) -> None:
    text = _sample(CAMT)
    cut = tmp_path / "cut.xml"
    cut.write_text(text[: text.index("<Ntry>", text.index("<Ntry>") + 1) + 40])
    error = _error(cut)
    assert error.entry == 2
    assert error.line is not None
    assert "truncated or malformed XML" in error.message


def test_camt_cut_between_statements_is_truncated_too(tmp_path: Path) -> None:
    text = _sample("camt053/mpdroog_rabobank_camt053.001.02_real_export.xml")
    cut = tmp_path / "cut.xml"
    cut.write_text(text[: len(text) // 2])
    with pytest.raises(StatementError, match="truncated or malformed XML"):
        list(read_statements(cut))


def test_mt940_cut_inside_a_statement(tmp_path: Path) -> None:
    lines = _sample(RABO).splitlines(keepends=True)
    cut = tmp_path / "cut.sta"
    cut.write_text("".join(lines[:20]))
    error = _error(cut)
    assert error.message == (
        "truncated: statement 940S130404 (line 16) reaches the end of the file without a "
        "closing balance :62F:"
    )


def test_mt940_earlier_statements_come_before_the_error(tmp_path: Path) -> None:
    lines = _sample(RABO).splitlines(keepends=True)
    cut = tmp_path / "cut.sta"
    cut.write_text("".join(lines[:20]))
    read = []
    with pytest.raises(StatementError):
        for statement in read_statements(cut):
            read.append(statement)
    assert [s.statement_id for s in read] == ["940S130403/0"]


def test_mt940_cut_inside_a_61(tmp_path: Path) -> None:
    lines = _sample(RABO).splitlines(keepends=True)
    cut = tmp_path / "cut61.txt"
    cut.write_text("".join(lines[:5]) + ":61:1304\n")
    error = _error(cut)
    assert (error.entry, error.line) == (1, 6)
    assert error.message == "statement 940S130403: :61: '1304' is not an MT940 statement line"


def test_unknown_currency_on_a_camt_entry(tmp_path: Path) -> None:
    text = _sample(CAMT)
    at = text.index('<Amt Ccy="EUR">1405.31')
    bad = tmp_path / "statement.xml"
    bad.write_text(text[:at] + text[at:].replace('Ccy="EUR"', 'Ccy="XXY"', 1))
    assert str(_error(bad)) == "statement.xml: entry 3: unknown currency 'XXY'"


def test_unknown_currency_on_an_mt940_balance(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sta"
    bad.write_text(_sample("mt940/zilverline_triodos_iban.txt").replace("EUR0,00", "XXY0,00"))
    assert str(_error(bad)) == "bad.sta: line 4: :60F: unknown currency 'XXY'"


def test_amount_with_too_many_decimals(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text(_sample(CAMT).replace(">754.25<", ">754.255<", 1))
    assert (
        str(_error(bad))
        == "bad.xml: entry 1: Amt: amount '754.255' has more decimals than EUR allows"
    )


@pytest.mark.parametrize(
    ("namespace", "message"),
    [
        (
            "urn:iso:std:iso:20022:tech:xsd:camt.053.001.13",
            "camt.053.001.13 is not supported (supported: camt.053.001.02 to .08, "
            "camt.054.001.02 to .08)",
        ),
        (
            "urn:iso:std:iso:20022:tech:xsd:camt.052.001.08",
            "camt.052.001.08 (intraday report) is not supported (supported: camt.053.001.02 "
            "to .08, camt.054.001.02 to .08)",
        ),
        (
            "urn:example:bogus",
            "unknown namespace 'urn:example:bogus': not a camt.053/camt.054 document "
            "(supported: camt.053.001.02 to .08, camt.054.001.02 to .08)",
        ),
    ],
)
def test_unsupported_namespace_is_named(tmp_path: Path, namespace: str, message: str) -> None:
    text = _sample("camt053/tryton_be_camt053.001.02.xml")
    bad = tmp_path / "other.xml"
    bad.write_text(text.replace("urn:iso:std:iso:20022:tech:xsd:camt.053.001.02", namespace))
    error = _error(bad)
    assert (error.message, error.entry) == (message, None)


@pytest.mark.parametrize("version", ["03", "04", "05", "06", "07"])
def test_neighbouring_versions_without_a_sample_are_read(tmp_path: Path, version: str) -> None:
    text = _sample("camt053/tryton_be_camt053.001.02.xml")
    other = tmp_path / f"v{version}.xml"
    other.write_text(text.replace("camt.053.001.02", f"camt.053.001.{version}"))
    (statement,) = read_statements(other)
    assert statement.format == f"camt.053.001.{version}"
    assert len(statement.transactions) == 1


def test_not_a_statement(tmp_path: Path) -> None:
    junk = tmp_path / "notes.sta"
    junk.write_text("hello\n")
    assert _error(junk).message == "not a camt.053/camt.054 (XML) or MT940 statement"


def test_missing_file(tmp_path: Path) -> None:
    assert "cannot be read" in _error(tmp_path / "absent.xml").message


def test_mt940_is_detected_by_content_not_extension(tmp_path: Path) -> None:
    renamed = tmp_path / "statement.xml"
    renamed.write_text(_sample(RABO))
    assert [s.format for s in read_statements(renamed)] == ["mt940", "mt940"]


def test_wrong_iban_is_refused_by_the_import_check() -> None:
    path = require_shared(f"reference/bank/{CAMT}")
    (statement,) = read_statements(path)
    with pytest.raises(StatementError) as caught:
        check_ibans(statement)
    assert str(caught.value) == (
        f"{path.name}: entry 1: counterparty.iban NL46ABNA0499998748: check digits do not match"
    )


def test_valid_ibans_pass_the_import_check() -> None:
    (statement,) = read_statements(
        require_shared("reference/bank/camt053/tryton_be_camt053.001.02.xml")
    )
    check_ibans(statement)


def test_an_over_long_86_is_refused(tmp_path: Path) -> None:
    lines = _sample(RABO).splitlines(keepends=True)
    bad = tmp_path / "long.sta"
    bad.write_text("".join(lines[:8]) + "more text\n" * 150 + "".join(lines[8:]))
    assert _error(bad).message == ":86: longer than 100 lines"
