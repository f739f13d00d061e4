"""The declarative mappings: packaged Tryton file, lookups, overrides and bad files."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

import mappings
from mappings import MappingError, MappingFileError, MissingMapping, VatMapping
from model.codes import iso3166, iso4217, rec20, uncl4461, uncl5305


@pytest.fixture(scope="module")
def tryton() -> mappings.Mapping:
    return mappings.load("tryton")


def write(tmp_path: Path, text: str, name: str = "tenant.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- the packaged file ---------------------------------------------------------------------------


def test_packaged_tryton_file_loads_and_every_entry_is_a_listed_code(
    tryton: mappings.Mapping,
) -> None:
    raw = tomllib.loads(mappings.packaged_path("tryton").read_text(encoding="utf-8"))
    assert set(tryton.vat_codes) == set(raw["vat"])
    for code in raw["vat"]:
        assert uncl5305.is_valid(tryton.vat(code).category)
    for unit in raw["units"]:
        assert rec20.is_valid(tryton.unit(unit))
    for method in raw["payment_methods"]:
        assert uncl4461.is_valid(tryton.payment_means(method))
    for country in raw["countries"]:
        assert iso3166.is_valid(tryton.country(country))
    for currency in raw["currencies"]:
        assert iso4217.is_valid(tryton.currency(currency))
    assert tryton.sources == (mappings.packaged_path("tryton"),)
    assert tryton.name == "Tryton"


def test_tryton_demo_codes(tryton: mappings.Mapping) -> None:
    assert tryton.vat("BTW 21%") == VatMapping(category="S", rate=Decimal("21"))
    assert tryton.vat("BTW 9%").rate == Decimal("9")
    assert tryton.vat("BTW 0% verlegd") == VatMapping(
        category="AE",
        rate=Decimal("0"),
        exemption_code="VATEX-EU-AE",
        exemption_reason="Reverse charge",
    )
    assert tryton.vat("Geen BTW").rate is None
    assert tryton.unit("Unit") == tryton.unit("u") == "C62"
    assert tryton.unit("Hour") == tryton.unit("h") == "HUR"
    assert tryton.payment_means("Bank") in {"30", "58"}
    expected_schemes = {
        "kvk": "0106",
        "oin": "0190",
        "gln": "0088",
        "nl_vat": "9944",
        "be_enterprise": "0208",
    }
    for kind, scheme in expected_schemes.items():
        assert tryton.scheme(kind) == scheme


def test_countries_and_currencies_fix_known_values_and_pass_iso_codes(
    tryton: mappings.Mapping,
) -> None:
    assert tryton.country("EL") == "GR"
    assert tryton.country("BE") == "BE"
    assert tryton.currency("EUR") == "EUR"
    assert tryton.currency("€") == "EUR"
    with pytest.raises(MissingMapping):
        tryton.country("Holland")


def test_defaults_apply_only_when_the_source_has_no_value(tryton: mappings.Mapping) -> None:
    assert tryton.unit(None) == "C62"
    assert tryton.payment_means(None) == "30"
    with pytest.raises(MissingMapping, match=r"add country under \[defaults\]"):
        tryton.country(None, record="party 7")


def test_missing_mapping_names_code_record_and_never_the_packaged_file(
    tryton: mappings.Mapping,
) -> None:
    with pytest.raises(MissingMapping) as caught:
        tryton.vat("BTW 6%", record="invoice INV-3 line 2")
    # the packaged file is part of the installed package: a user is told to create an override
    assert str(caught.value) == (
        "no VAT mapping for Tryton tax code 'BTW 6%' (invoice INV-3 line 2): "
        "add it under [vat] in a new mappings override file: create one and name it with "
        'mappings_override = "FILE" under [connections.NAME] in the settings file'
    )
    assert isinstance(caught.value, MappingError)
    assert (caught.value.code, caught.value.record, caught.value.path) == (
        "BTW 6%",
        "invoice INV-3 line 2",
        None,
    )
    assert tryton.edit_path is None


def test_a_missing_mapping_is_a_mapping_finding_with_the_toml_lines_to_add(
    tryton: mappings.Mapping,
) -> None:
    with pytest.raises(MissingMapping) as caught:
        tryton.vat("BTW 6%", record="invoice INV-3 line 2")
    finding = caught.value.finding()
    assert (finding.layer, finding.rule, finding.severity) == ("mapping", "UNMAPPED-CODE", "fatal")
    assert finding.message == str(caught.value)
    assert finding.hint is not None
    assert finding.hint.splitlines()[:2] == [
        "add to a new mappings override file:",
        '[vat."BTW 6%"]',
    ]
    with pytest.raises(MissingMapping) as caught:
        tryton.country(None, record="party 7")
    assert caught.value.finding().hint == (
        "add to a new mappings override file:\n[defaults]\n"
        'country = "?"  # the ISO 3166-1 alpha-2 code for records with no country'
    )
    assert str(mappings.packaged_path("tryton")) not in str(caught.value) + str(finding.hint)


def test_the_lines_of_a_hint_filled_in_map_the_code_and_left_unfilled_are_refused(
    tmp_path: Path,
) -> None:
    """What the hint shows is TOML to paste: with its "?" filled in, the code is mapped; as
    shown, the file is refused naming the key, so nothing is mapped by a guess."""
    override = write(tmp_path, '[units]\n"Box" = "H87"\n')
    merged = mappings.load("tryton", overrides=[override])
    hints = []
    for lookup in (
        lambda: merged.vat('BTW "laag"'),
        lambda: merged.unit("zak"),
        lambda: merged.country(None),
    ):
        with pytest.raises(MissingMapping) as caught:
            lookup()
        assert caught.value.path == override
        head, lines = caught.value.hint.split("\n", 1)
        assert head == f"add to {override}:"
        hints.append(lines)
    # [units] is in the file already: a second header would be a TOML error, so none is shown
    assert hints[1] == '# under the [units] table:\nzak = "?"  # the UN/ECE Rec 20 code'
    unfilled = write(tmp_path, hints[0], "unfilled.toml")
    with pytest.raises(MappingFileError, match=r"BTW \"laag\".category' = '\?'"):
        mappings.load("tryton", overrides=[override, unfilled])
    filled = [
        hints[0].replace('category = "?"', 'category = "S"').replace('rate = "?"', 'rate = "9"'),
        '[units]\n"Box" = "H87"\n' + hints[1].replace('"?"', '"H87"'),
        hints[2].replace('"?"', '"NL"'),
    ]
    override.write_text("\n\n".join(filled), encoding="utf-8")
    merged = mappings.load("tryton", overrides=[override])
    assert merged.vat('BTW "laag"') == VatMapping(category="S", rate=Decimal("9"))
    assert (merged.unit("zak"), merged.country(None)) == ("H87", "NL")


def test_a_hint_for_a_code_the_override_removes_says_to_take_it_out_of_remove(
    tmp_path: Path,
) -> None:
    override = write(tmp_path, '[remove]\nunits = ["h"]\n')
    with pytest.raises(MissingMapping) as caught:
        mappings.load("tryton", overrides=[override]).unit("h")
    assert caught.value.hint.splitlines()[1:] == [
        "[units]",
        'h = "?"  # the UN/ECE Rec 20 code',
        "",
        f"# and take 'h' out of [remove] units in {override}",
    ]


def test_a_caller_that_knows_the_connection_says_how_to_create_its_override(
    tmp_path: Path,
) -> None:
    new = mappings.NewOverride("create conf/m.toml and name it ...", tmp_path / "m.toml")
    with pytest.raises(MissingMapping) as caught:
        mappings.load("tryton", new_override=new).unit("zak")
    assert str(caught.value).endswith(
        "add it under [units] in a new mappings override file: create conf/m.toml and name it ..."
    )
    assert caught.value.hint.startswith(f"add to {tmp_path / 'm.toml'}:\n[units]\n")


def test_missing_unit_names_the_unit_table(tryton: mappings.Mapping) -> None:
    with pytest.raises(MissingMapping, match=r"unit 'Box' \(invoice INV-1 line 1\).*\[units\]"):
        tryton.unit("Box", record="invoice INV-1 line 1")


# -- overrides -------------------------------------------------------------------------------------


TENANT = """
[vat."BTW 6%"]
category = "S"
rate = "6"

[units]
"Hour" = "MIN"
"Box" = "H87"
"""


def test_override_adds_a_vat_code_and_replaces_a_unit(tmp_path: Path) -> None:
    override = write(tmp_path, TENANT)
    merged = mappings.load("tryton", overrides=[override])
    assert merged.vat("BTW 6%") == VatMapping(category="S", rate=Decimal("6"))
    assert merged.unit("Hour") == "MIN"
    assert merged.unit("Box") == "H87"
    # everything the override does not name is kept
    assert merged.unit("h") == "HUR"
    assert merged.vat("BTW 21%").rate == Decimal("21")
    assert merged.sources == (mappings.packaged_path("tryton"), override)


def test_missing_mapping_with_overrides_names_the_override_file(tmp_path: Path) -> None:
    override = write(tmp_path, '[units]\n"Box" = "H87"\n')
    merged = mappings.load("tryton", overrides=[override])
    with pytest.raises(MissingMapping) as caught:
        merged.vat("BTW 12%", record="credit note CN-1 line 4")
    message = str(caught.value)
    assert "'BTW 12%'" in message
    assert "(credit note CN-1 line 4)" in message
    assert message.endswith(f"in {override}")
    assert str(mappings.packaged_path("tryton")) not in message


def test_override_vat_entry_replaces_the_whole_entry(tmp_path: Path) -> None:
    override = write(tmp_path, '[vat."BTW 21%"]\ncategory = "E"\nexemption_reason = "Vrij"\n')
    merged = mappings.load("tryton", overrides=[override])
    assert merged.vat("BTW 21%") == VatMapping(
        category="E", rate=Decimal("0"), exemption_reason="Vrij"
    )


def test_override_removes_entries_so_their_codes_are_held_as_unmapped(tmp_path: Path) -> None:
    override = write(
        tmp_path,
        '[remove]\nvat = ["BTW 0%"]\nunits = ["h"]\ndefaults = ["unit"]\n[units]\n"Box" = "H87"\n',
    )
    merged = mappings.load("tryton", overrides=[override])
    with pytest.raises(MissingMapping, match=r"tax code 'BTW 0%'.*in .*tenant\.toml"):
        merged.vat("BTW 0%")
    with pytest.raises(MissingMapping, match="unit 'h'"):
        merged.unit("h")
    with pytest.raises(MissingMapping, match="no default unit"):
        merged.unit(None)
    assert not merged.is_mapped("vat", "BTW 0%")
    # the rest of the packaged file, and the file's own entries, stay
    assert merged.vat("BTW 21%").rate == Decimal("21")
    assert merged.unit("Box") == "H87"
    assert merged.payment_means(None) == mappings.load("tryton").payment_means(None)
    # the packaged mapping itself is untouched by a tenant's removal
    assert mappings.load("tryton").unit("h") == "HUR"


def test_a_later_override_can_map_again_what_an_earlier_one_removed(tmp_path: Path) -> None:
    first = write(tmp_path, '[remove]\nunits = ["h"]\n', "first.toml")
    second = write(tmp_path, '[units]\n"h" = "MIN"\n', "second.toml")
    assert mappings.load("tryton", overrides=[first, second]).unit("h") == "MIN"
    again = write(tmp_path, '[remove]\nunits = ["h"]\n', "again.toml")
    with pytest.raises(MappingFileError, match="nothing to remove") as caught:
        mappings.load("tryton", overrides=[first, again])
    assert caught.value.path == again


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ('[remove]\nvat = ["BTW 99%"]\n', "vat.BTW 99%", "nothing to remove"),
        ('[remove]\nunits = ["H"]\n', "units.H", "did you mean 'h'"),
        ('[remove]\nunitz = ["h"]\n', "unitz", "unknown table"),
        ('[remove]\nunits = "h"\n', "units", "list of keys"),
        ('[remove]\nunits = ["h", "h"]\n', "units.h", "listed twice"),
        ('[remove]\ndefaults = ["vat"]\n', "defaults.vat", "unknown default"),
        ('[remove]\nunits = ["Box"]\n[units]\n"Box" = "H87"\n', "units.Box", "same file"),
    ],
)
def test_bad_removals_name_file_table_and_key(
    tmp_path: Path, text: str, key: str, fragment: str
) -> None:
    override = write(tmp_path, text)
    with pytest.raises(MappingFileError) as caught:
        mappings.load("tryton", overrides=[override])
    error = caught.value
    assert (error.path, error.table, error.key) == (override, "remove", key)
    assert f"{override}: [remove] {key!r}" in str(error)
    assert fragment in str(error)


def test_the_packaged_file_cannot_remove(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    packaged = write(tmp_path, '[units]\n"h" = "HUR"\n[remove]\nunits = ["x"]\n', "acme.toml")
    monkeypatch.setattr(mappings.loader, "_PACKAGE_DIR", tmp_path)
    with pytest.raises(MappingFileError, match="only an override file") as caught:
        mappings.load("acme")
    assert caught.value.path == packaged


# -- bad files -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "table", "key", "fragment"),
    [
        ('[vat."X"]\ncategory = "Q"\nrate = "21"\n', "vat", "X.category", "UNCL5305"),
        ('[vat."X"]\ncategory = "S"\nrate = 21.0\n', "vat", "X.rate", "as a string"),
        ('[vat."X"]\ncategory = "S"\nrate = 21\n', "vat", "X.rate", "as a string"),
        ('[vat."X"]\ncategory = "S"\n', "vat", "X", "needs a rate"),
        ('[vat."X"]\ncategory = "S"\nrate = "0"\n', "vat", "X.rate", "above zero"),
        ('[vat."X"]\ncategory = "E"\nrate = "0"\n', "vat", "X", "exemption"),
        ('[vat."X"]\ncategory = "Z"\nrate = "9"\n', "vat", "X.rate", "rate 0"),
        ('[vat."X"]\ncategory = "O"\nrate = "0"\n', "vat", "X.rate", "no rate"),
        (
            '[vat."X"]\ncategory = "S"\nrate = "21"\nexemption_reason = "Vrij"\n',
            "vat",
            "X.exemption_code",
            "no exemption",
        ),
        (
            '[vat."X"]\ncategory = "K"\nexemption_code = "VATEX-EU-AE"\n',
            "vat",
            "X.exemption_code",
            "belongs to category AE",
        ),
        (
            '[vat."X"]\ncategory = "E"\nexemption_code = "VATEX-XX"\n',
            "vat",
            "X.exemption_code",
            "VATEX",
        ),
        ('[vat."X"]\ncategory = "S"\nrate = "21"\npercent = "21"\n', "vat", "X.percent", "field"),
        ('[units]\n"Box" = "BOX"\n', "units", "Box", "Rec 20"),
        ('[payment_methods]\n"Bank" = "99"\n', "payment_methods", "Bank", "UNCL4461"),
        ('[countries]\n"Holland" = "HL"\n', "countries", "Holland", "ISO 3166"),
        ('[currencies]\n"Euro" = "EUX"\n', "currencies", "Euro", "ISO 4217"),
        ('[identifier_schemes]\n"kvk" = "1234"\n', "identifier_schemes", "kvk", "ICD"),
        ('[defaults]\nunit = "BOX"\n', "defaults", "unit", "Rec 20"),
        ('[defaults]\nvat = "S"\n', "defaults", "vat", "unknown default"),
        ('[unitz]\n"Box" = "H87"\n', "unitz", None, "unknown table"),
    ],
)
def test_bad_file_names_file_table_and_key(
    tmp_path: Path, text: str, table: str, key: str | None, fragment: str
) -> None:
    override = write(tmp_path, text)
    with pytest.raises(MappingFileError) as caught:
        mappings.load("tryton", overrides=[override])
    error = caught.value
    assert (error.path, error.table, error.key) == (override, table, key)
    message = str(error)
    assert str(override) in message
    assert f"[{table}]" in message
    if key is not None:
        assert repr(key) in message
    assert fragment in message


def test_unreadable_and_invalid_toml_files_are_file_errors(tmp_path: Path) -> None:
    missing = tmp_path / "absent.toml"
    with pytest.raises(MappingFileError, match="cannot read"):
        mappings.load("tryton", overrides=[missing])
    broken = write(tmp_path, "[vat\n")
    with pytest.raises(MappingFileError, match="not valid TOML") as caught:
        mappings.load("tryton", overrides=[broken])
    assert caught.value.path == broken


def test_unknown_or_unsafe_system_name() -> None:
    with pytest.raises(MappingError, match=r"no mapping file for system 'odoo'.*tryton"):
        mappings.load("odoo")
    with pytest.raises(MappingError, match="not a system name"):
        mappings.load("../tryton")
