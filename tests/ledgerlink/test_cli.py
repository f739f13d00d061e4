"""The CLI as a user runs it: convert both ways, the schema, bad input, fast --help."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from ledgerlink.cli import app
from model.jsonio import json_schema, loads

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
runner = CliRunner()


def a_fixture(name: str = "") -> Path:
    paths = sorted(FIXTURES.glob(f"{name}*.json"))
    if not paths:
        pytest.skip(f"no fixture {name}*.json in {FIXTURES}")
    return paths[0]


HEAVY = ("lxml", "ubl.writer", "ubl.parser", "model.document", "saxonche", "pydantic_settings")
HEAVY += ("httpx", "rich.table", "sqlalchemy", "alembic", "psycopg")
"""Modules that ``--help`` and ``--version`` must not import: each costs start-up time."""


def test_help_does_not_import_the_heavy_packages() -> None:
    code = (
        "import sys; from ledgerlink.cli import app; "
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_version_prints_the_installed_version_and_exits_0() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"ledgerlink {metadata.version('ledgerlink')}\n"


def test_version_falls_back_to_the_package_version_when_not_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import ledgerlink

    def not_installed(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    monkeypatch.setattr(ledgerlink, "__version__", "9.8.7")
    result = runner.invoke(app, ["--version"])
    assert (result.exit_code, result.stdout) == (0, "ledgerlink 9.8.7\n")


def test_version_through_the_console_script_imports_nothing_heavy() -> None:
    """As a user calls it: the console script's main(), the heavy modules checked after it
    exits."""
    code = (
        "import sys\n"
        "sys.argv = ['ledgerlink', '--version']\n"
        "from ledgerlink.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    status = exc.code\n"
        f"print(status, [m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [f"ledgerlink {metadata.version('ledgerlink')}", "0 []"]


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[Any, tuple[str, ...]]]:
    """Every command under ``command`` (a click command of typer's), with its path."""
    yield command, path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def _help_texts(command: Any) -> list[str]:
    """The help of ``command`` and of each of its parameters."""
    return [
        command.help or "",
        *(getattr(param, "help", None) or "" for param in command.params),
    ]


def test_every_help_shows_its_bracketed_words() -> None:
    """Help texts are rich markup: an unescaped ``[connections.NAME]`` would vanish."""
    seen = 0
    for command, path in _commands(typer.main.get_command(app)):
        texts = _help_texts(command)
        words = {word for text in texts for word in re.findall(r"\\?(\[[^\]\s]+\])", text)}
        result = runner.invoke(app, [*path, "--help"], terminal_width=200)
        assert result.exit_code == 0, result.output
        shown = " ".join(result.output.replace("│", " ").split())
        for word in words:
            seen += 1
            assert word in shown, f"{' '.join(path)} --help lost {word}"
    assert seen  # the pull and mappings check arguments name [connections.NAME]


def test_no_help_text_has_a_line_break_inside_a_paragraph() -> None:
    """Rich help keeps a help text's line breaks: a docstring wrapped in the source would
    break mid-sentence in ``--help`` and in the command lists."""
    wrapped = [
        " ".join(path) or "ledgerlink"
        for command, path in _commands(typer.main.get_command(app))
        for text in _help_texts(command)
        if any("\n" in paragraph for paragraph in text.strip().split("\n\n"))
    ]
    assert wrapped == []


def test_convert_json_to_ubl_and_back(tmp_path: Path) -> None:
    source = a_fixture()
    xml_path = tmp_path / "out.xml"
    result = runner.invoke(app, ["ubl", "convert", str(source), "-o", str(xml_path)])
    assert result.exit_code == 0, result.output
    assert xml_path.read_bytes() == source.with_suffix(".xml").read_bytes()

    json_path = tmp_path / "back.json"
    result = runner.invoke(
        app, ["ubl", "convert", str(xml_path), "--to", "json", "-o", str(json_path)]
    )
    assert result.exit_code == 0, result.output
    assert loads(json_path.read_bytes()) == loads(source.read_bytes())


def test_convert_to_another_profile_sets_its_customization_id(tmp_path: Path) -> None:
    source = a_fixture("nl-")
    result = runner.invoke(app, ["ubl", "convert", str(source), "--profile", "en16931"])
    assert result.exit_code == 0, result.output
    assert "<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>" in result.stdout


def test_schema_command_prints_the_generated_schema() -> None:
    result = runner.invoke(app, ["ubl", "schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json_schema()


def test_strict_turns_requirement_findings_into_an_error(tmp_path: Path) -> None:
    data = json.loads(a_fixture("nl-").read_text())
    data["seller"].pop("vat_id")
    broken = tmp_path / "no-vat.json"
    broken.write_text(json.dumps(data))
    lenient = runner.invoke(app, ["ubl", "convert", str(broken), "--profile", "en16931"])
    assert "seller.vat_id" in lenient.stderr
    strict = runner.invoke(app, ["ubl", "convert", str(broken), "--profile", "en16931", "--strict"])
    assert strict.exit_code == 1
    assert "seller.vat_id" in strict.stderr


def test_wrong_totals_are_refused_or_rederived(tmp_path: Path) -> None:
    data = json.loads(a_fixture("nl-").read_text())
    data["totals"]["payable"] = "1.00"
    wrong = tmp_path / "wrong-total.json"
    wrong.write_text(json.dumps(data))
    refused = runner.invoke(app, ["ubl", "convert", str(wrong)])
    assert refused.exit_code == 1
    assert "BR-CO-16" in refused.stderr
    rederived = runner.invoke(app, ["ubl", "convert", str(wrong), "--totals", "rederive"])
    assert rederived.exit_code == 0, rederived.output
    assert "BR-CO-16" in rederived.stderr
    assert ">1.00</cbc:PayableAmount>" not in rederived.stdout


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_in_model_json_names_the_file_and_the_line(tmp_path: Path, constant: str) -> None:
    """JSON allows no NaN or Infinity; Python's json reads them unless told not to. convert
    refuses the file with its path and the constant's line, as for any other bad JSON."""
    text = a_fixture("nl-").read_text(encoding="utf-8")
    data = json.loads(text)
    payable = f'"payable": "{data["totals"]["payable"]}"'
    assert text.count(payable) == 1
    path = tmp_path / "nan.json"
    path.write_text(text.replace(payable, f'"payable": {constant}'), encoding="utf-8")
    line = next(
        number
        for number, content in enumerate(path.read_text().splitlines(), 1)
        if f'"payable": {constant}' in content
    )
    result = runner.invoke(app, ["ubl", "convert", str(path)])
    assert result.exit_code == 1
    assert f"{path}:{line}: [$] {constant} is not a number JSON allows" in result.stderr
    assert "<json>" not in result.output and "Traceback" not in result.output


def test_auto_writes_model_json_without_bt24_as_peppol_bis3_but_refuses_such_ubl(
    tmp_path: Path,
) -> None:
    """Model JSON is a model built outside UBL: without customization_id auto writes it as
    Peppol BIS 3 (as a sync connection does). UBL without BT-24 is its own fault: BR-01."""
    import ubl
    from ubl.profiles import PEPPOL_CUSTOMIZATION_ID, PEPPOL_PROFILE_ID

    data = json.loads(a_fixture("nl-").read_text(encoding="utf-8"))
    data.pop("customization_id")
    data.pop("profile_id", None)
    source = tmp_path / "no-bt24.json"
    source.write_text(json.dumps(data), encoding="utf-8")
    xml = tmp_path / "out.xml"
    result = runner.invoke(app, ["ubl", "convert", str(source), "-o", str(xml)])
    assert result.exit_code == 0, result.output
    header = ubl.sniff(xml.read_bytes())
    assert header is not None
    assert (header.customization_id, header.profile_id) == (
        PEPPOL_CUSTOMIZATION_ID,
        PEPPOL_PROFILE_ID,
    )
    text = xml.read_text(encoding="utf-8")
    start = text.index("<cbc:CustomizationID>")
    end = text.index("</cbc:CustomizationID>") + len("</cbc:CustomizationID>")
    bare = tmp_path / "no-bt24.xml"
    bare.write_text(text[:start] + text[end:], encoding="utf-8")
    refused = runner.invoke(app, ["ubl", "convert", str(bare)])
    assert refused.exit_code == 1 and "BR-01" in refused.stderr, refused.output


BAD_XML = {
    "malformed.xml": (b"<Invoice><cbc:ID>1</Invoice>", ":1"),
    "doctype.xml": (
        b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<x>&e;</x>',
        "",
    ),
    "wrong-root.xml": (b'<?xml version="1.0"?>\n<Order xmlns="urn:x"/>', ":2"),
    "latin1.xml": (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Invoice>café</Invoice>'.encode("latin-1"),
        ":2",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_XML))
def test_bad_xml_is_one_clear_error_without_traceback(tmp_path: Path, name: str) -> None:
    content, where = BAD_XML[name]
    path = tmp_path / name
    path.write_bytes(content)
    result = runner.invoke(app, ["ubl", "convert", str(path)])
    assert result.exit_code == 1
    assert f"{path}{where}" in result.stderr
    assert "Traceback" not in result.output
    assert "root:" not in result.output  # /etc/passwd never expanded


def _sparse(path: Path, head: bytes, size: int) -> Path:
    """A file of ``size`` bytes that starts with ``head``: quick to make, that large to stat."""
    with path.open("wb") as file:
        file.write(head)
        file.truncate(size)
    return path


@pytest.mark.parametrize(
    ("name", "head"), [("huge.xml", b"<Invoice>"), ("huge.json", b'{"number": "')]
)
def test_convert_refuses_a_file_over_100_mib_unread(tmp_path: Path, name: str, head: bytes) -> None:
    path = _sparse(tmp_path / name, head, 200 * 1024 * 1024)
    result = runner.invoke(app, ["ubl", "convert", str(path)])
    assert result.exit_code == 1
    assert (
        f"{path}: document of 209,715,200 bytes is over the 104,857,600-byte limit; not read"
        in " ".join(result.stderr.split())
    )
    assert "--max-bytes" in result.stderr


def test_convert_max_bytes_sets_the_limit(tmp_path: Path) -> None:
    source = a_fixture()
    size = source.stat().st_size
    refused = runner.invoke(app, ["ubl", "convert", str(source), "--max-bytes", str(size - 1)])
    assert refused.exit_code == 1
    assert f"document of {size:,} bytes is over the {size - 1:,}-byte limit" in refused.stderr
    xml = source.with_suffix(".xml")
    allowed = runner.invoke(
        app, ["ubl", "convert", str(xml), "--max-bytes", str(xml.stat().st_size)]
    )
    assert allowed.exit_code == 0, allowed.output
    assert allowed.stdout.encode() == xml.read_bytes()


def _ubl_fixture() -> str:
    """A committed UBL fixture, its declaration in double quotes (to edit it below)."""
    text = a_fixture("nl-export-g").with_suffix(".xml").read_text(encoding="utf-8")
    declaration, body = text.split("\n", 1)
    assert declaration == "<?xml version='1.0' encoding='UTF-8'?>"
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body


def _billion_laughs() -> bytes:
    declaration, body = _ubl_fixture().split("\n", 1)
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    doctype = "<!DOCTYPE Invoice [\n" + "\n".join(entities) + "\n]>\n"
    bomb = body.replace("</cbc:ID>", "&lol9;</cbc:ID>", 1)
    return f"{declaration}\n<!-- a comment -->\n{doctype}{bomb}".encode()


def _nested(depth: int) -> bytes:
    text = _ubl_fixture()
    at = text.index("<cbc:CustomizationID>")
    return (text[:at] + "<x>\n" * depth + "</x>" * depth + text[at:]).encode()


def _utf16_declared() -> str:
    return _ubl_fixture().replace('encoding="UTF-8"', 'encoding="UTF-16"', 1)


HOSTILE: dict[str, tuple[bytes, str, str]] = {
    # name: (content, rule, words of the message)
    "billion-laughs": (_billion_laughs(), "XML-DOCTYPE", "entity-expansion bomb"),
    "nested-5000": (_nested(5000), "XML-TOO-DEEP", "elements nested deeper than"),
    "utf16-declaring-utf8": (
        _ubl_fixture().encode("utf-16"),
        "XML-ENCODING",
        "it declares UTF-8 but the bytes are UTF-16 (little-endian, with a byte order mark)",
    ),
    "utf16le-declaring-utf8": (
        _ubl_fixture().encode("utf-16-le"),
        "XML-ENCODING",
        "it declares UTF-8 but the bytes are UTF-16 (little-endian, without a byte order mark)",
    ),
    "utf8-declaring-utf16": (
        _utf16_declared().encode("utf-8"),
        "XML-ENCODING",
        "it declares UTF-16 but the bytes are 8-bit",
    ),
    "utf8-bom-declaring-utf16": (
        b"\xef\xbb\xbf" + _utf16_declared().encode("utf-8"),
        "XML-ENCODING",
        "it declares UTF-16 but the bytes are UTF-8 (with a byte order mark)",
    ),
    # Python's and Saxon's readers take UTF-16 without a mark as little-endian
    "utf16be-without-bom-declaring-utf16": (
        _utf16_declared().encode("utf-16-be"),
        "XML-ENCODING",
        "it declares UTF-16 without the byte order mark XML 1.0 requires of UTF-16",
    ),
}


def _expected_line(name: str, message: str) -> int:
    """The line each hostile document is refused at: the DOCTYPE's, the first element one
    level too deep (libxml2's limit read off the message), or the declaration's."""
    if name == "billion-laughs":
        return 3
    if name == "nested-5000":
        found = re.search(r"nested deeper than (\d+) levels at line (\d+):", message)
        assert found is not None, message
        limit = int(found.group(1))
        # Invoice's start tag ends on the line of its last namespace; then one x per line
        root_end = _ubl_fixture().index(">", _ubl_fixture().index("<Invoice"))
        first_x = _ubl_fixture().count("\n", 0, root_end) + 2
        assert int(found.group(2)) == first_x + limit - 1
        return first_x + limit - 1
    return 1


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_xml_is_named_for_what_it_is_by_convert_and_parse(
    tmp_path: Path, name: str
) -> None:
    import ubl

    content, rule, words = HOSTILE[name]
    path = tmp_path / f"{name}.xml"
    path.write_bytes(content)
    with pytest.raises(ubl.InputError) as caught:
        ubl.parse(path)
    error = caught.value
    assert words in error.message
    assert (error.source, error.rule, error.line) == (
        str(path),
        rule,
        _expected_line(name, error.message),
    )
    result = runner.invoke(app, ["ubl", "convert", str(path)])
    assert result.exit_code == 1
    assert f"error: {path}:{error.line}: {error.message}" in " ".join(result.stderr.split())
    assert "lollol" not in result.output


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_xml_is_one_input_issue_of_validate(
    tmp_path: Path, name: str, artifacts_cache: Path
) -> None:
    content, rule, words = HOSTILE[name]
    path = tmp_path / f"{name}.xml"
    path.write_bytes(content)
    result = runner.invoke(app, ["validate", "--format", "json", str(path)])
    assert result.exit_code == 1, result.output
    (document,) = json.loads(result.stdout)["documents"]
    (issue,) = document["issues"]
    assert (issue["layer"], issue["rule"], issue["severity"]) == ("input", rule, "fatal")
    assert words in issue["message"]
    assert issue["line"] == _expected_line(name, issue["message"])


AGREEING = {
    "utf16-bom-declaring-utf16": _utf16_declared().encode("utf-16"),
    "utf16be-declaring-utf16be": _ubl_fixture()
    .replace('encoding="UTF-8"', 'encoding="UTF-16BE"', 1)
    .encode("utf-16-be"),
}
"""UTF-16 that says so in its declaration is read by every command: with the byte order mark
XML 1.0 asks of UTF-16, or declaring its byte order (UTF-16BE) without one."""


@pytest.mark.parametrize("name", sorted(AGREEING))
def test_utf16_declaring_utf16_is_read_alike_everywhere(
    tmp_path: Path, name: str, artifacts_cache: Path
) -> None:
    import ubl

    utf8 = tmp_path / "utf8.xml"
    utf8.write_text(_ubl_fixture(), encoding="utf-8")
    path = tmp_path / f"{name}.xml"
    path.write_bytes(AGREEING[name])
    assert ubl.parse(path).document == ubl.parse(utf8).document
    converted = runner.invoke(app, ["ubl", "convert", str(path)])
    assert converted.exit_code == 0, converted.output
    assert converted.stdout == runner.invoke(app, ["ubl", "convert", str(utf8)]).stdout
    validated = runner.invoke(app, ["validate", "--format", "json", str(path), str(utf8)])
    documents = json.loads(validated.stdout)["documents"]
    assert [document["valid"] for document in documents] == [True, True], validated.output
    assert documents[0]["issues"] == documents[1]["issues"]


def test_float_in_model_json_names_file_line_and_field(tmp_path: Path) -> None:
    text = a_fixture().read_text()
    data = json.loads(text)
    data["lines"][0]["price"]["net"] = 12.5
    path = tmp_path / "float.json"
    path.write_text(json.dumps(data, indent=2))
    result = runner.invoke(app, ["ubl", "convert", str(path)])
    assert result.exit_code == 1
    assert "lines[0].price.net" in result.stderr
    assert "BT-146" in result.stderr
    assert f"{path}:" in result.stderr and "float" in result.stderr


def test_thousands_separator_in_ubl_names_the_element_and_line(tmp_path: Path) -> None:
    xml = a_fixture().with_suffix(".xml").read_text()
    start = xml.index("<cbc:PayableAmount")
    end = xml.index("</cbc:PayableAmount>")
    line = xml.count("\n", 0, start) + 1
    amount_open = xml.index(">", start) + 1
    broken = xml[:amount_open] + "1,234.50" + xml[end:]
    path = tmp_path / "sep.xml"
    path.write_text(broken)
    result = runner.invoke(app, ["ubl", "convert", str(path)])
    assert result.exit_code == 1
    assert f"{path}:{line}" in result.stderr
    assert "PayableAmount" in result.stderr


def test_demo_runs_on_the_fixtures(tmp_path: Path, artifacts_cache: Path) -> None:
    result = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    n = len(list(FIXTURES.glob("*.json")))
    assert f"{n} passed, 0 failed" in result.stdout
    assert len(list(tmp_path.glob("*.xml"))) == n
    assert json.loads((tmp_path / "quarantine.json").read_text()) == []


def test_demo_quarantines_a_bad_document_and_goes_on(tmp_path: Path, artifacts_cache: Path) -> None:
    fixtures = tmp_path / "in"
    fixtures.mkdir()
    good = a_fixture()
    (fixtures / good.name).write_bytes(good.read_bytes())
    broken = json.loads(good.read_text())
    broken["issue_date"] = 3
    (fixtures / "broken.json").write_text(json.dumps(broken))
    result = runner.invoke(
        app, ["demo", "--fixtures", str(fixtures), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 1
    assert "1 passed, 1 failed" in result.stdout
    report = json.loads((tmp_path / "out" / "quarantine.json").read_text())
    assert [Path(item["source"]).name for item in report] == ["broken.json"]
    assert "issue_date" in report[0]["reason"]


def test_demo_quarantines_a_document_the_official_rules_reject(
    tmp_path: Path, artifacts_cache: Path
) -> None:
    fixtures = tmp_path / "in"
    fixtures.mkdir()
    good = a_fixture("nl-export-g")
    (fixtures / good.name).write_bytes(good.read_bytes())
    # A Danish seller on a Peppol invoice: the writer accepts it, the Peppol DK rules do not.
    danish = json.loads(a_fixture("be-buyer-ogm").read_text())
    danish["seller"]["address"]["country"] = "DK"
    (fixtures / "danish.json").write_text(json.dumps(danish))
    out = tmp_path / "out"
    result = runner.invoke(app, ["demo", "--fixtures", str(fixtures), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "1 passed, 1 failed" in result.stdout
    (item,) = json.loads((out / "quarantine.json").read_text())
    assert Path(item["source"]).name == "danish.json"
    assert "DK-R-014" in item["reason"]
    assert "(line " in item["reason"]
    assert sorted(path.name for path in out.glob("*.xml")) == [f"{good.stem}.xml"]
    assert (out / "quarantine" / "danish.xml").exists()


def test_demo_stops_with_the_install_command_when_a_bundle_is_missing(
    tmp_path: Path, artifacts_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGERLINK_ARTIFACTS_DIR", str(tmp_path / "empty-cache"))
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "is not installed: run `ledgerlink artifacts install" in result.stderr
    assert "Traceback" not in result.output
