"""Tests for ubl.profiles: the ids each profile writes, detect() and resolve()."""

from __future__ import annotations

from dataclasses import replace

import pytest
from support.profile_documents import clean_invoice, credit_note, rule_ids, with_party

from ubl.profiles import (
    EN16931_CUSTOMIZATION_ID,
    NLCIUS_CUSTOMIZATION_ID,
    PEPPOL_CUSTOMIZATION_ID,
    PEPPOL_PROFILE_ID,
    PROFILE_NAMES,
    Profile,
    detect,
    resolve,
    rules_for,
)

XRECHNUNG = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"


# --- profiles, detect, resolve --------------------------------------------------------------


def test_explicit_profiles_carry_their_ids() -> None:
    doc = clean_invoice()
    assert resolve("peppol-bis3", doc) == Profile(
        "peppol-bis3", PEPPOL_CUSTOMIZATION_ID, PEPPOL_PROFILE_ID
    )
    assert resolve("en16931", doc) == Profile("en16931", "urn:cen.eu:en16931:2017", None)
    assert resolve("nlcius", doc) == Profile(
        "nlcius",
        "urn:cen.eu:en16931:2017#compliant#urn:fdc:nen.nl:nlcius:v1.0",
        "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0",
    )
    assert PROFILE_NAMES == ("peppol-bis3", "en16931", "nlcius")


@pytest.mark.parametrize("name", ["", "peppol", "AUTO", "xrechnung"])
def test_unknown_profile_name_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unknown profile"):
        resolve(name, clean_invoice())


@pytest.mark.parametrize(
    ("customization_id", "expected"),
    [
        (PEPPOL_CUSTOMIZATION_ID, "peppol-bis3"),
        (f"{PEPPOL_CUSTOMIZATION_ID}#conformant#urn:fdc:peppol.eu:2017:poacc:billing:ext", "peppol-bis3"),
        (NLCIUS_CUSTOMIZATION_ID, "nlcius"),
        (f"{NLCIUS_CUSTOMIZATION_ID}#conformant#urn:fdc:nen.nl:gaccount:v1.0", "nlcius"),
        (EN16931_CUSTOMIZATION_ID, "en16931"),
        (XRECHNUNG, "en16931"),
        ("urn:cen.eu:en16931:2017#compliant#urn:fdc:anskaffelser.no:2019:ehf:spec:3.0", "en16931"),
        (None, "en16931"),
    ],
)  # fmt: skip
def test_detect(customization_id: str | None, expected: str) -> None:
    assert detect(customization_id) == expected


@pytest.mark.parametrize(
    ("customization_id", "profile"),
    [(PEPPOL_CUSTOMIZATION_ID, "peppol-bis3"), (NLCIUS_CUSTOMIZATION_ID, "nlcius"),
     (XRECHNUNG, "en16931")],
)  # fmt: skip
def test_auto_keeps_the_document_ids(customization_id: str, profile: str) -> None:
    doc = replace(clean_invoice(), customization_id=customization_id, profile_id="urn:x:process")
    chosen = resolve("auto", doc)
    assert chosen == Profile(profile, None, None)


def test_auto_holds_unknown_ids_to_en16931_rules() -> None:
    doc = replace(clean_invoice(), customization_id=XRECHNUNG, profile_id=None)
    doc = with_party(doc, "buyer", endpoint=None)  # Peppol R010 does not apply
    assert resolve("auto", doc).check(doc) == []
    assert {r.id for r in rules_for("en16931")} >= {"BR-01", "BR-CO-26"}
    assert not any(r.id.startswith(("PEPPOL", "NL-R", "BR-NL")) for r in rules_for("en16931"))


def test_auto_checks_the_ids_the_document_keeps() -> None:
    doc = replace(clean_invoice(), profile_id=None)
    assert "PEPPOL-EN16931-R001" in rule_ids("auto", doc)
    assert "PEPPOL-EN16931-R001" not in rule_ids("peppol-bis3", doc)  # the profile writes it
    no_ids = replace(doc, customization_id=None)
    assert "BR-01" in rule_ids("auto", no_ids)
    assert "BR-01" not in rule_ids("en16931", no_ids)


@pytest.mark.parametrize("profile", [*PROFILE_NAMES, "auto"])
def test_clean_invoice_has_no_violations(profile: str) -> None:
    doc = clean_invoice()
    assert resolve(profile, doc).check(doc) == []


def test_clean_credit_note_has_no_violations() -> None:
    doc = credit_note(clean_invoice())
    for profile in PROFILE_NAMES:
        assert resolve(profile, doc).check(doc) == [], profile
