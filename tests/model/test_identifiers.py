"""Tests for model.identifiers: the worked examples of each standard and the scheme dispatch."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from model.identifiers import (
    InvalidIdentifier,
    be_enterprise,
    betalingskenmerk,
    bic,
    gln,
    iban,
    kvk,
    ogm,
    oin,
    rf,
    schemes,
    vat,
)


def _error(validate: object, number: str) -> InvalidIdentifier:
    assert callable(validate)
    with pytest.raises(InvalidIdentifier) as info:
        validate(number)
    return info.value


# -- the exception ------------------------------------------------------------------------------


def test_invalid_identifier_is_a_value_error_with_parts_and_pickles() -> None:
    error = InvalidIdentifier("KvK number", "1234567", "must have 8 digits, has 7")
    assert isinstance(error, ValueError)
    assert str(error) == "KvK number 1234567: must have 8 digits, has 7"
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.standard, copy.value, copy.reason, str(copy)) == (
        error.standard,
        error.value,
        error.reason,
        str(error),
    )


# -- VAT ----------------------------------------------------------------------------------------


def test_vat_nl_valid_and_compact() -> None:
    assert vat.validate("NL000099998B57") == "NL000099998B57"
    assert vat.validate(" nl 0000.99998.b57 ") == "NL000099998B57"
    assert vat.is_valid("NL000099998B57")
    assert vat.country("NL000099998B57") == "NL"
    assert vat.compact("NL 000099998 B57") == "NL000099998B57"


def test_vat_nl_wrong_check_digit_message() -> None:
    error = _error(vat.validate, "NL000099998B58")
    assert str(error) == "NL VAT number NL000099998B58: check digit does not match"
    assert not vat.is_valid("NL000099998B58")


@pytest.mark.parametrize(
    ("number", "compact", "country"),
    [
        ("DE136695976", "DE136695976", "DE"),
        ("BE 0403.019.261", "BE0403019261", "BE"),
        ("EL094259216", "EL094259216", "GR"),
        ("GB 980 7806 84", "GB980780684", "GB"),
        ("XI980780684", "XI980780684", "GB"),
        ("NO 995 525 828 MVA", "NO995525828MVA", "NO"),
        ("CHE-107.787.577 IVA", "CHE107787577IVA", "CH"),
    ],
)
def test_vat_other_countries(number: str, compact: str, country: str) -> None:
    assert vat.validate(number) == compact
    assert vat.country(number) == country


@pytest.mark.parametrize("number", ["EU372022452", "US123456789", "XX1", "", "12345678"])
def test_vat_unsupported_prefix(number: str) -> None:
    message = str(_error(vat.validate, number))
    assert message.startswith("VAT number ")
    assert "prefix" in message


# -- IBAN / BIC ---------------------------------------------------------------------------------


def test_iban() -> None:
    assert iban.validate("NL91 ABNA 0417 1643 00") == "NL91ABNA0417164300"
    assert iban.is_valid("NL91ABNA0417164300")
    assert iban.format("NL91ABNA0417164300") == "NL91 ABNA 0417 1643 00"
    error = _error(iban.validate, "NL92ABNA0417164300")
    assert str(error) == "IBAN NL92ABNA0417164300: check digits do not match"
    assert not iban.is_valid("NL92ABNA0417164300")


def test_bic() -> None:
    assert bic.validate("abna nl 2a") == "ABNANL2A"
    assert bic.is_valid("ABNANL2AXXX")
    assert "BIC ABNANL2" in str(_error(bic.validate, "ABNANL2"))
    assert not bic.is_valid("ABNAQQ2A")


# -- KvK / OIN / GLN / BE enterprise number ----------------------------------------------------


def test_kvk() -> None:
    assert kvk.validate("12345678") == "12345678"
    assert kvk.validate("1234 5678") == "12345678"
    assert str(_error(kvk.validate, "1234567")) == "KvK number 1234567: must have 8 digits, has 7"
    assert not kvk.is_valid("1234567")
    assert not kvk.is_valid("1234567A")
    assert "vestigingsnummer" in str(_error(kvk.validate, "000012345678"))


def test_oin() -> None:
    assert oin.validate("00000001822477348000") == "00000001822477348000"
    assert oin.validate("00000004194049711000") == "00000004194049711000"
    assert "must have 20 digits, has 19" in str(_error(oin.validate, "0000000182247734800"))
    assert "prefix" in str(_error(oin.validate, "12345678901234567890"))
    assert not oin.is_valid("00000000000000000000")


def test_gln() -> None:
    assert gln.calc_check_digit("400000112345") == "2"
    assert gln.validate("4000001123452") == "4000001123452"
    assert gln.validate("0614141000036") == "0614141000036"
    error = _error(gln.validate, "4000001123453")
    assert str(error) == "GLN 4000001123453: check digit does not match"
    assert "must have 13 digits" in str(_error(gln.validate, "40000011234"))


def test_be_enterprise() -> None:
    assert be_enterprise.validate("BE 403.019.261") == "0403019261"
    assert be_enterprise.format("403019261") == "0403.019.261"
    error = _error(be_enterprise.validate, "0431150351")
    assert str(error) == "BE enterprise number 0431150351: check digit does not match"
    assert "start with 0 or 1" in str(_error(be_enterprise.validate, "2403019261"))


# -- RF creditor reference ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reference"),
    [
        ("539007547034", "RF18539007547034"),
        ("20240001", "RF3220240001"),
        ("INV2024001", "RF78INV2024001"),
        ("1", "RF741"),
    ],
)
def test_rf_create_worked_examples(body: str, reference: str) -> None:
    assert rf.create(body) == reference
    assert rf.validate(reference) == reference


def test_rf_validate_and_format() -> None:
    assert rf.validate("RF18 5390 0754 7034") == "RF18539007547034"
    assert rf.format("RF18539007547034") == "RF18 5390 0754 7034"
    error = _error(rf.validate, "RF17539007547034")
    assert str(error) == "RF creditor reference RF17539007547034: check digit does not match"
    assert not rf.is_valid("XX18539007547034")
    # RF00/RF01 pass the bare mod-97 test (as aliases of RF97/RF98; stdnum accepts
    # them) but are never produced by the check digit calculation.
    assert rf.create("72") == "RF9772"
    assert rf.create("54") == "RF9854"
    assert not rf.is_valid("RF0072")
    assert not rf.is_valid("RF0154")


@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=21))
def test_rf_create_validate_round_trip(body: str) -> None:
    reference = rf.create(body)
    assert rf.validate(reference) == reference
    assert reference[4:] == body


@pytest.mark.parametrize("body", ["", "A" * 22, "INV_1"])
def test_rf_create_rejects_bad_body(body: str) -> None:
    assert "RF creditor reference" in str(_error(rf.create, body))


# -- Belgian OGM/VCS ----------------------------------------------------------------------------


def test_ogm() -> None:
    assert ogm.validate("+++010/8068/17183+++") == "010806817183"
    assert ogm.is_valid("+++010/8068/17183+++")
    assert ogm.create("0108068171") == "010806817183"
    assert ogm.format("010806817183") == "+++010/8068/17183+++"
    assert ogm.format(ogm.create("0000012345")) == "+++000/0012/34526+++"
    assert ogm.format(ogm.create("2024000001")) == "+++202/4000/00138+++"
    error = _error(ogm.validate, "+++010/8068/17180+++")
    assert str(error) == "Belgian OGM/VCS +++010/8068/17180+++: check digit does not match"
    assert "10 digits" in str(_error(ogm.create, "010806817"))


# -- Dutch betalingskenmerk ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "number", ["5000056789012345", "12234534622567", "1067931951601240", "8850426741301240"]
)
def test_betalingskenmerk_valid_worked_examples(number: str) -> None:
    assert betalingskenmerk.validate(number) == number
    assert betalingskenmerk.is_valid(number)


@pytest.mark.parametrize("number", ["9001123412341234", "1906350066203673"])
def test_betalingskenmerk_invalid_worked_examples(number: str) -> None:
    error = _error(betalingskenmerk.validate, number)
    assert str(error) == f"betalingskenmerk {number}: check digit does not match"


@pytest.mark.parametrize("number", ["12345678", "123456789012345"])
def test_betalingskenmerk_8_and_15_digits_are_invalid(number: str) -> None:
    assert f"has {len(number)}" in str(_error(betalingskenmerk.validate, number))


def test_betalingskenmerk_details() -> None:
    assert betalingskenmerk.validate("1234567") == "1234567"  # 7 digits: no check
    assert betalingskenmerk.validate("5000 0567 8901 2345") == "5000056789012345"
    assert betalingskenmerk.calc_check_digit("000056789012345") == "5"
    assert betalingskenmerk.create("000056789012345") == "5000056789012345"
    assert betalingskenmerk.create("234534622567") == "12234534622567"
    assert betalingskenmerk.format("5000056789012345") == "5000 0567 8901 2345"
    assert betalingskenmerk.format("12234534622567") == "12 2345 3462 2567"
    # right check digit over a wrong length code
    assert "length code" in str(_error(betalingskenmerk.validate, "13234534622567"))
    assert not betalingskenmerk.is_valid("50000567890123A5")
    assert "7 to 12 or 15" in str(_error(betalingskenmerk.create, "1234567890123"))


@given(
    st.one_of(
        st.text(alphabet="0123456789", min_size=7, max_size=12),
        st.text(alphabet="0123456789", min_size=15, max_size=15),
    )
)
def test_betalingskenmerk_create_always_validates(body: str) -> None:
    reference = betalingskenmerk.create(body)
    assert betalingskenmerk.validate(reference) == reference
    assert reference.endswith(body)
    assert len(reference) == (16 if len(body) == 15 else len(body) + 2)


# -- scheme dispatch ----------------------------------------------------------------------------


def test_scheme_0106_bad_kvk_raises() -> None:
    error = _error(lambda value: schemes.validate_scheme("0106", value), "1234567")
    assert str(error) == "KvK number (scheme 0106) 1234567: must have 8 digits, has 7"
    assert schemes.validate_scheme("0106", "12345678") == "12345678"


def test_scheme_9944_validates_nl_vat() -> None:
    assert schemes.validate_scheme("9944", "NL000099998B57") == "NL000099998B57"
    assert schemes.validate_scheme("9944", "000099998B57") == "NL000099998B57"
    assert not schemes.is_valid_scheme("9944", "NL000099998B58")
    wrong_country = str(_error(lambda v: schemes.validate_scheme("9944", v), "DE136695976"))
    assert "scheme 9944" in wrong_country
    assert "DE136695976" in wrong_country


@pytest.mark.parametrize(
    ("scheme", "value", "expected"),
    [
        ("0088", "4000001123452", "4000001123452"),
        ("0190", "00000001822477348000", "00000001822477348000"),
        ("0192", "988 077 917", "988077917"),
        ("0208", "0403.019.261", "0403019261"),
        ("9925", "BE0403019261", "BE0403019261"),
        ("9930", "DE136695976", "DE136695976"),
        ("9933", "094259216", "EL094259216"),
    ],
)
def test_scheme_dispatch_valid(scheme: str, value: str, expected: str) -> None:
    assert schemes.validate_scheme(scheme, value) == expected


@pytest.mark.parametrize(
    ("scheme", "value"),
    [("0088", "4000001123453"), ("0190", "0190.00000000000000000000"), ("0192", "988077918")],
)
def test_scheme_dispatch_invalid(scheme: str, value: str) -> None:
    assert not schemes.is_valid_scheme(scheme, value)


def test_unknown_scheme_passes_through_unchanged() -> None:
    assert schemes.validate_scheme("0060", " anything at all ") == " anything at all "
    assert schemes.validate_scheme("9999", "") == ""
    assert "0060" not in schemes.SCHEME_NAMES
    assert set(schemes.SCHEME_NAMES) >= {"0106", "0190", "0088", "9944", "0208", "9925", "9930"}
