"""The one finding type of ``model.findings``."""

from __future__ import annotations

import json

import pytest

from model import Finding
from model.findings import FINDING_KEYS, worst


def test_to_dict_has_every_key_in_order_and_reads_back() -> None:
    finding = Finding(
        rule="BR-NL-1",
        layer="profile",
        message="the seller needs a KvK number",
        field="seller.legal_registration",
        location="/Invoice/cac:AccountingSupplierParty",
        line=12,
        hint="add the KvK number as BT-30 with scheme 0106",
    )
    data = finding.to_dict()
    assert tuple(data) == FINDING_KEYS
    assert Finding.from_dict(json.loads(json.dumps(data))) == finding


def test_defaults_are_a_fatal_finding_without_place() -> None:
    finding = Finding(rule="UNMAPPED-CODE", layer="mapping", message="VAT code 'X' has no mapping")
    assert finding.fatal
    assert (finding.field, finding.location, finding.line, finding.hint) == (None, None, None, None)
    assert str(finding) == "UNMAPPED-CODE: VAT code 'X' has no mapping"


def test_str_names_the_place_and_line() -> None:
    finding = Finding(
        rule="PEPPOL-EN16931-R008", layer="schematron", message="empty element",
        location="/Invoice/cbc:Note", line=7, severity="warning",
    )  # fmt: skip
    assert str(finding) == "PEPPOL-EN16931-R008 (/Invoice/cbc:Note) [line 7]: empty element"
    assert not finding.fatal


@pytest.mark.parametrize(
    ("key", "value"), [("layer", "somewhere"), ("severity", "error")], ids=["layer", "severity"]
)
def test_unknown_layer_or_severity_is_refused(key: str, value: str) -> None:
    fields = {"rule": "R", "layer": "parse", "message": "m", key: value}
    with pytest.raises(ValueError, match=key):
        Finding(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"layer": "parse", "message": "m"}, "'rule'"),
        ({"layer": "parse", "rule": "R", "message": "m", "line": "3"}, "'line'"),
        ({"layer": "parse", "rule": 5, "message": "m"}, "'rule'"),
    ],
)
def test_from_dict_names_the_bad_key(data: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        Finding.from_dict(data)


def test_worst() -> None:
    warning = Finding(rule="W", layer="parse", message="m", severity="warning")
    fatal = Finding(rule="F", layer="xsd", message="m")
    assert worst([warning, fatal, warning]) == "fatal"
    assert worst([warning]) == "warning"
    assert worst([]) is None
