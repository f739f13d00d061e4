"""``ledgerlink validate`` as CI runs it: exit codes, folders, the five formats, --fail-on,
--jobs and bad input. Every test validates real documents with the official artefacts
(the ``artifacts_cache`` session fixture installs them from SHARED)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ledgerlink.cli import app

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PEPPOL_FIXTURE = FIXTURES / "nl-export-g.xml"
WARNING_ONLY_FIXTURE = FIXTURES / "xrechnung-de-unknown-cius.xml"  # UNKNOWN-CUSTOMIZATION-ID
INVOICE_ROOT = '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"'
CREDIT_NOTE_ROOT = '<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"'
DOCUMENT_KEYS = {"path", "valid", "profile", "issues"}
ISSUE_KEYS = {"layer", "rule", "severity", "location", "line", "message", "hint"}
LEDGERLINK = Path(sys.executable).with_name("ledgerlink")
_TEXT = PEPPOL_FIXTURE.read_text(encoding="utf-8")
TOTALS_LINE = _TEXT[: _TEXT.index("<cac:LegalMonetaryTotal>")].count("\n") + 1
"""Where BR-CO-16 (BT-115 = BT-112 - BT-113 + BT-114) points in the Peppol fixture."""

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("artifacts_cache")


def invoke(*args: str | Path) -> Any:
    return runner.invoke(app, ["validate", *map(str, args)])


def as_json(*args: str | Path) -> dict[str, Any]:
    result = invoke("--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    data: dict[str, Any] = json.loads(result.stdout)  # exactly one JSON value, nothing else
    return data


def by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {Path(document["path"]).name: document for document in data["documents"]}


def write_unpayable(folder: Path) -> Path:
    """The Peppol fixture with a PayableAmount (BT-115) that breaks BR-CO-16."""
    assert ">1692.00</cbc:PayableAmount>" in _TEXT
    path = folder / "unpayable.xml"
    path.write_text(_TEXT.replace(">1692.00</cbc:PayableAmount>", ">1.00</cbc:PayableAmount>"))
    return path


def copy(source: Path, folder: Path, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or source.name)
    target.write_bytes(source.read_bytes())
    return target


def test_valid_documents_exit_0_and_text_ends_with_the_counts(tmp_path: Path) -> None:
    result = invoke(PEPPOL_FIXTURE, FIXTURES / "nl-standard-21-9.xml")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"PASS {PEPPOL_FIXTURE} peppol-bis3")
    assert any(line.startswith("PASS") and "nlcius" in line for line in lines)
    assert lines[-1] == "2 passed, 0 failed"


def test_a_fatal_issue_exits_1_and_names_rule_and_line(tmp_path: Path) -> None:
    broken = write_unpayable(tmp_path)
    result = invoke(PEPPOL_FIXTURE, broken)
    assert result.exit_code == 1, result.output
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert failed == [f"FAIL {broken} peppol-bis3"]
    issue = next(line for line in result.stdout.splitlines() if "BR-CO-16" in line)
    assert issue.split()[0] == "fatal" and f"line {TOTALS_LINE}:" in issue
    assert result.stdout.splitlines()[-1] == "1 passed, 1 failed"


def test_folders_are_walked_for_xml_sorted_skipping_hidden_folders(tmp_path: Path) -> None:
    copy(PEPPOL_FIXTURE, tmp_path / "b", "second.xml")
    copy(PEPPOL_FIXTURE, tmp_path / "a" / "deeper", "first.XML")
    copy(PEPPOL_FIXTURE, tmp_path, "notes.txt")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "broken.xml").write_text("not xml")
    data = as_json(tmp_path)
    assert [Path(d["path"]).relative_to(tmp_path).as_posix() for d in data["documents"]] == [
        "a/deeper/first.XML",
        "b/second.xml",
    ]
    assert data["summary"] == {"passed": 2, "failed": 0}


def test_json_is_one_object_with_exactly_the_documented_keys(tmp_path: Path) -> None:
    broken = write_unpayable(tmp_path)
    data = as_json(PEPPOL_FIXTURE, broken, WARNING_ONLY_FIXTURE)
    assert set(data) == {"documents", "summary"}
    assert data["summary"] == {"passed": 2, "failed": 1}
    for document in data["documents"]:
        assert set(document) == DOCUMENT_KEYS
        for issue in document["issues"]:
            assert set(issue) == ISSUE_KEYS
    documents = by_name(data)
    assert documents["nl-export-g.xml"] == {
        "path": str(PEPPOL_FIXTURE),
        "valid": True,
        "profile": "peppol-bis3",
        "issues": [],
    }
    assert documents["unpayable.xml"]["valid"] is False
    fatal = [i for i in documents["unpayable.xml"]["issues"] if i["rule"] == "BR-CO-16"]
    assert fatal and fatal[0]["layer"] == "schematron" and fatal[0]["line"] == TOTALS_LINE
    warning = documents[WARNING_ONLY_FIXTURE.name]
    assert warning["valid"] is True
    assert [i["severity"] for i in warning["issues"]] == ["warning"]


def test_fail_on_warning_fails_a_document_with_only_warnings() -> None:
    assert invoke(WARNING_ONLY_FIXTURE).exit_code == 0
    result = invoke("--fail-on", "warning", WARNING_ONLY_FIXTURE)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "0 passed, 1 failed"
    data = json.loads(
        invoke("--fail-on", "warning", "--format", "json", WARNING_ONLY_FIXTURE).stdout
    )
    assert data["documents"][0]["valid"] is True  # valid still means "no fatal issue"
    assert data["summary"] == {"passed": 0, "failed": 1}


def test_junit_has_a_testcase_per_document_and_a_failure_listing_the_issues(
    tmp_path: Path,
) -> None:
    broken = write_unpayable(tmp_path)
    result = invoke("--format", "junit", PEPPOL_FIXTURE, broken, WARNING_ONLY_FIXTURE)
    assert result.exit_code == 1
    root = ET.fromstring(result.stdout.encode("utf-8"))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "0")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert list(cases) == [str(PEPPOL_FIXTURE), str(broken), str(WARNING_ONLY_FIXTURE)]
    failure = cases[str(broken)].find("failure")
    assert failure is not None and "BR-CO-16" in (failure.text or "")
    assert cases[str(PEPPOL_FIXTURE)].find("failure") is None
    assert cases[str(WARNING_ONLY_FIXTURE)].find("failure") is None


def test_sarif_has_rules_and_results_with_a_start_line(tmp_path: Path) -> None:
    broken = write_unpayable(tmp_path)
    result = invoke("--format", "sarif", broken)
    assert result.exit_code == 1
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0"
    (run,) = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "ledgerlink"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    result_for = {r["ruleId"]: r for r in run["results"]}
    assert "BR-CO-16" in result_for and "BR-CO-16" in rule_ids
    found = result_for["BR-CO-16"]
    assert found["level"] == "error"
    assert rule_ids[found["ruleIndex"]] == "BR-CO-16"
    (location,) = found["locations"]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == broken.as_uri()
    assert location["physicalLocation"]["region"]["startLine"] == TOTALS_LINE


def test_github_prints_workflow_commands_then_the_summary(tmp_path: Path) -> None:
    broken = write_unpayable(tmp_path)
    result = invoke("--format", "github", PEPPOL_FIXTURE, broken, WARNING_ONLY_FIXTURE)
    assert result.exit_code == 1
    *commands, summary = result.stdout.splitlines()
    assert summary == "2 passed, 1 failed"
    errors = [line for line in commands if line.startswith("::error ")]
    assert any(f"file={broken},line={TOTALS_LINE},title=BR-CO-16::" in line for line in errors)
    warnings = [line for line in commands if line.startswith("::warning ")]
    assert [w for w in warnings if "UNKNOWN-CUSTOMIZATION-ID" in w] == warnings != []
    assert len(errors) + len(warnings) == len(commands)


def _bad_inputs(folder: Path) -> dict[str, str]:
    """Files that are no UBL document, by name, with the rule each must be reported under."""
    folder.mkdir()
    invoice = _TEXT
    assert INVOICE_ROOT in invoice
    files = {
        "empty.xml": (b"", "INPUT-EMPTY"),
        "binary.xml": (bytes(range(256)) * 8, "INPUT-BINARY"),
        "not-xml.xml": (b"%PDF-1.7 this is no XML", "XML-SYNTAX"),
        "doctype.xml": (
            b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
            b"<x>&e;</x>",
            "XML-DOCTYPE",
        ),
        # An invoice whose root was renamed to CreditNote: the CreditNote schema refuses it.
        "creditnote-with-invoice-content.xml": (
            invoice.replace(INVOICE_ROOT, CREDIT_NOTE_ROOT)
            .replace("</Invoice>", "</CreditNote>")
            .encode(),
            "SCHEMAV_ELEMENT_CONTENT",
        ),
        # A CreditNote root in the Invoice namespace.
        "wrong-namespace.xml": (
            invoice.replace("<Invoice ", "<CreditNote ")
            .replace("</Invoice>", "</CreditNote>")
            .encode(),
            "UBL-ROOT",
        ),
    }
    for name, (content, _) in files.items():
        (folder / name).write_bytes(content)
    with (folder / "huge.xml").open("wb") as huge:  # 200 MB, sparse
        huge.truncate(200 * 1024 * 1024)
    (folder / "unreadable.xml").mkdir()  # a folder named like a document is walked, not read
    return {name: rule for name, (_, rule) in files.items()} | {"huge.xml": "INPUT-TOO-LARGE"}


def test_each_bad_file_is_a_failed_document_and_the_run_goes_on(tmp_path: Path) -> None:
    expected = _bad_inputs(tmp_path / "in")
    copy(PEPPOL_FIXTURE, tmp_path / "in", "zz-good.xml")
    result = invoke("--format", "json", tmp_path / "in")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    documents = by_name(json.loads(result.stdout))
    assert documents.pop("zz-good.xml")["valid"] is True
    assert set(documents) == set(expected)
    for name, rule in expected.items():
        document = documents[name]
        assert document["valid"] is False, name
        assert rule in [issue["rule"] for issue in document["issues"]], document
    input_layer = {"INPUT-EMPTY", "INPUT-BINARY", "XML-SYNTAX", "XML-DOCTYPE", "INPUT-TOO-LARGE"}
    for name, rule in expected.items():
        if rule in input_layer:
            assert [i["layer"] for i in documents[name]["issues"]] == ["input"], name
    assert "root:" not in result.stdout  # the external entity was never expanded


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert runner.invoke(app, ["validate"]).exit_code == 2
    missing = invoke(tmp_path / "nope.xml")
    assert missing.exit_code == 2
    assert f"{tmp_path / 'nope.xml'}: no such file or folder" in missing.stderr
    empty = invoke(tmp_path)
    assert empty.exit_code == 2
    assert "no *.xml documents" in empty.stderr
    assert invoke("--jobs", "0", PEPPOL_FIXTURE).exit_code == 2
    assert invoke("--format", "html", PEPPOL_FIXTURE).exit_code == 2


def test_a_missing_bundle_exits_2_with_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGERLINK_ARTIFACTS_DIR", str(tmp_path / "empty-cache"))
    result = invoke("--format", "json", PEPPOL_FIXTURE)
    assert result.exit_code == 2
    assert "is not installed: run `ledgerlink artifacts install" in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output


def _cli(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    assert LEDGERLINK.exists(), f"{LEDGERLINK} not installed"
    return subprocess.run(
        [str(LEDGERLINK), "validate", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_jobs_2_gives_the_same_json_as_jobs_1(tmp_path: Path) -> None:
    _bad_inputs(tmp_path / "bad")
    write_unpayable(tmp_path)
    args = ("--format", "json", FIXTURES, tmp_path)
    one, two = _cli(*args, "--jobs", "1"), _cli(*args, "--jobs", "2")
    assert one.returncode == two.returncode == 1, one.stderr + two.stderr
    assert two.stdout == one.stdout
    data = json.loads(one.stdout)
    fixtures = len(list(FIXTURES.glob("*.xml")))
    assert data["summary"] == {"passed": fixtures, "failed": len(data["documents"]) - fixtures}


def test_jobs_2_with_a_missing_bundle_exits_2(tmp_path: Path) -> None:
    env = os.environ | {"LEDGERLINK_ARTIFACTS_DIR": str(tmp_path / "empty-cache")}
    result = _cli("--jobs", "2", PEPPOL_FIXTURE, WARNING_ONLY_FIXTURE, env=env)
    assert result.returncode == 2
    assert "ledgerlink artifacts install" in result.stderr
    assert "Traceback" not in result.stderr


_DYING_WORKER = """
import json, os, sys
from pathlib import Path
from ubl.validate import Validator
from ledgerlink._validate_jobs import validate_files

real = Validator.validate
marker = Path(sys.argv[1])

def dying(self, source, *args, **kwargs):
    # poison*.xml stops its worker every time; once*.xml only the first time (the marker)
    name = Path(str(source)).name
    if name.startswith("poison") or (name.startswith("once") and not marker.exists()):
        marker.touch()
        os.kill(os.getpid(), 9)
    return real(self, source, *args, **kwargs)

Validator.validate = dying  # at module level: forked and spawned workers both have it

if __name__ == "__main__":
    reports = validate_files(sys.argv[2:], "auto", 2)
    print(json.dumps([[Path(r.source).name, r.valid, [i.rule for i in r.issues]] for r in reports]))
"""


def _with_dying_workers(tmp_path: Path, names: list[str]) -> list[list[Any]]:
    paths = [copy(PEPPOL_FIXTURE, tmp_path / "docs", name) for name in names]
    driver = tmp_path / "dying_worker.py"
    driver.write_text(_DYING_WORKER)
    done = subprocess.run(
        [sys.executable, str(driver), str(tmp_path / "marker"), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result: list[list[Any]] = json.loads(done.stdout)
    return result


def test_a_document_that_kills_its_worker_fails_alone_and_the_others_are_validated(
    tmp_path: Path,
) -> None:
    names = [f"{index:02d}.xml" for index in range(34)]  # chunks of 2 documents
    names[2] = "poison.xml"  # shares its chunk with 03.xml, which is checked again alone
    reports = _with_dying_workers(tmp_path, names)
    assert [name for name, _, _ in reports] == names  # every document, in input order
    assert reports[2] == ["poison.xml", False, ["VALIDATOR-DIED"]]
    assert all(valid and issues == [] for name, valid, issues in reports if name != "poison.xml")


def test_a_worker_that_dies_once_loses_nothing(tmp_path: Path) -> None:
    names = ["0.xml", "once.xml", "2.xml", "3.xml"]
    reports = _with_dying_workers(tmp_path, names)
    assert (tmp_path / "marker").exists()  # a worker did die
    assert reports == [[name, True, []] for name in names]


_COUNTING = """
import json, os, sys, time
from pathlib import Path
import ledgerlink._validate_jobs as jobs
from ubl.validate import _schematron

real, log = jobs._validate_chunk, Path(sys.argv[1])
compiled_here = log.with_name("compiled-here")

def counting(paths, profile):
    before = _schematron.compilations()
    result = real(paths, profile)
    # A worker started before this process compiled its group does not report back before
    # that is done, however fast this machine runs it: the order under test, made certain.
    deadline = time.monotonic() + 120
    while os.getpid() != int(os.environ["PARENT"]) and not compiled_here.exists():
        assert time.monotonic() < deadline, "the command process never compiled its group"
        time.sleep(0.01)
    with log.open("a") as file:  # one line per chunk: process, compilations before, after
        file.write(f"{os.getpid()} {before} {_schematron.compilations()}\\n")
    return result

validate_here = jobs._Run._validate_here

def then_say_so(self, key, chunk):
    validate_here(self, key, chunk)
    compiled_here.touch()

jobs._validate_chunk = counting
jobs._Run._validate_here = then_say_so

if __name__ == "__main__":
    os.environ["PARENT"] = str(os.getpid())
    reports = jobs.validate_files(sys.argv[2:], "auto", 2)
    print(json.dumps(sorted({r.profile for r in reports if r.valid})))
"""


def test_jobs_2_compiles_each_stylesheet_once_in_all_its_processes(tmp_path: Path) -> None:
    # This process compiles the heaviest group's stylesheets (Peppol: CEN + PEPPOL) while
    # a worker compiles SI-UBL for the NLCIUS documents; the workers that validate Peppol
    # documents after that are forked with CEN + PEPPOL compiled. One compilation per
    # stylesheet, three in all (five before: both workers compiled CEN + PEPPOL). The driver
    # holds the NLCIUS worker's first reply until this process has compiled, so a fast
    # worker cannot run out of NLCIUS work first and compile CEN + PEPPOL itself.
    nlcius, folder = FIXTURES / "nl-standard-21-9.xml", tmp_path / "docs"
    paths = [copy(nlcius, folder, f"nl-{index:03d}.xml") for index in range(40)]
    paths += [copy(PEPPOL_FIXTURE, folder, f"pe-{index:03d}.xml") for index in range(160)]
    driver, log = tmp_path / "counting.py", tmp_path / "compilations.log"
    driver.write_text(_COUNTING)
    done = subprocess.run(
        [sys.executable, str(driver), str(log), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert json.loads(done.stdout) == ["nlcius", "peppol-bis3"]  # every document valid
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for line in log.read_text().splitlines():
        pid, before, after = line.split()
        first.setdefault(pid, int(before))
        last[pid] = int(after)
    assert sum(last[pid] - first[pid] for pid in first) == 3
    assert len(first) >= 3  # this process, the NLCIUS worker and at least one fork
