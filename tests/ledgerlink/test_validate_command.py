"""``ledgerlink validate`` as CI runs it: exit codes, folders, the five formats, --fail-on,
--jobs and bad input. Every test validates real documents with the official artefacts
(the ``artifacts_cache`` session fixture installs them from SHARED)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
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
    assert invoke("--jobs", "0", PEPPOL_FIXTURE).exit_code == 2
    assert invoke("--format", "html", PEPPOL_FIXTURE).exit_code == 2


def test_nothing_to_validate_at_all_is_a_usage_error_naming_each_path(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = invoke("--format", "json", tmp_path / "nope.xml", tmp_path / "empty")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"{tmp_path / 'nope.xml'}: no such file or folder" in result.stderr
    assert f"no *.xml files in {tmp_path / 'empty'}" in result.stderr


def test_a_missing_path_and_an_empty_folder_are_failed_entries_and_the_rest_is_validated(
    tmp_path: Path,
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no xml here")
    missing = tmp_path / "nope.xml"
    result = invoke("--format", "json", missing, PEPPOL_FIXTURE, tmp_path / "empty")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert [d["path"] for d in data["documents"]] == [
        str(missing),
        str(PEPPOL_FIXTURE),
        str(tmp_path / "empty"),
    ]
    gone, good, empty = data["documents"]
    assert good["valid"] is True
    assert gone["valid"] is False and empty["valid"] is False
    assert [(i["layer"], i["rule"]) for i in gone["issues"]] == [("input", "INPUT-MISSING")]
    assert gone["issues"][0]["message"] == f"{missing}: no such file or folder"
    assert [(i["layer"], i["rule"]) for i in empty["issues"]] == [("input", "INPUT-NO-DOCUMENTS")]
    assert empty["issues"][0]["message"].startswith(f"no *.xml files in {tmp_path / 'empty'}")
    assert data["summary"] == {"passed": 1, "failed": 2}
    text = invoke(missing, PEPPOL_FIXTURE).stdout.splitlines()
    assert text[0] == f"FAIL {missing} auto"
    assert text[-1] == "1 passed, 1 failed"


def test_dash_validates_one_document_from_standard_input() -> None:
    result = runner.invoke(
        app, ["validate", "--format", "json", "-"], input=PEPPOL_FIXTURE.read_bytes()
    )
    assert result.exit_code == 0, result.output
    [document] = json.loads(result.stdout)["documents"]
    assert (document["path"], document["valid"], document["profile"]) == (
        "-",
        True,
        "peppol-bis3",
    )
    broken = runner.invoke(app, ["validate", "-", str(PEPPOL_FIXTURE)], input=b"<not xml")
    assert broken.exit_code == 1
    assert broken.stdout.splitlines()[0].startswith("FAIL - ")
    assert "XML-SYNTAX" in broken.stdout


def test_the_unknown_customization_id_hint_names_the_profile_option() -> None:
    [document] = as_json(WARNING_ONLY_FIXTURE)["documents"]
    [warning] = document["issues"]
    assert warning["rule"] == "UNKNOWN-CUSTOMIZATION-ID"
    assert warning["message"].startswith("ledgerlink's own check, not an official Schematron rule")
    assert "--profile" in warning["hint"] and "profile=" not in warning["hint"]
    text = invoke(WARNING_ONLY_FIXTURE).stdout
    assert "hint: " in text and "--profile peppol-bis3, nlcius or en16931" in text
    github = invoke("--format", "github", WARNING_ONLY_FIXTURE).stdout
    assert "title=UNKNOWN-CUSTOMIZATION-ID::ledgerlink's own check, not an official" in github


def test_a_document_that_is_no_invoice_shows_no_profile(tmp_path: Path) -> None:
    camt = tmp_path / "statement.xml"
    camt.write_text(
        "<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'><BkToCstmrStmt/>"
        "</Document>"
    )
    lines = invoke(camt).stdout.splitlines()
    assert lines[0] == f"FAIL {camt}"  # no profile after the path
    assert "UBL-ROOT" in lines[1] and "root element Document" in lines[1]
    [document] = as_json(camt)["documents"]
    assert document["profile"] is None
    assert [(i["layer"], i["rule"]) for i in document["issues"]] == [("input", "UBL-ROOT")]
    junit = ET.fromstring(invoke("--format", "junit", camt).stdout.encode())
    [case] = junit.iter("testcase")
    assert case.get("classname") == ""


def test_more_jobs_than_cores_warns_on_stderr_and_validates_all_the_same() -> None:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    result = invoke("--jobs", str((cores or 1) + 1), PEPPOL_FIXTURE, WARNING_ONLY_FIXTURE)
    assert result.exit_code == 0, result.output
    assert f"is more than the {cores} core(s) this process may use" in result.stderr
    assert result.stdout.splitlines()[-1] == "2 passed, 0 failed"
    assert "more than" not in invoke("--jobs", "1", PEPPOL_FIXTURE).stderr


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
compiled = log.with_name("template-compiled")

def counting(paths, profile):
    before = _schematron.compilations()
    result = real(paths, profile)
    if "peppol-bis3" in jobs._compiled_groups():
        compiled.touch()
    # A worker without the Peppol stylesheets (the NLCIUS one) does not report back before
    # the template has compiled them, however fast this machine runs it: the order under
    # test, made certain.
    deadline = time.monotonic() + 120
    while not compiled.exists():
        assert time.monotonic() < deadline, "the template never compiled its group"
        time.sleep(0.01)
    with log.open("a") as file:  # one line per chunk: process, compilations before, after
        file.write(f"{os.getpid()} {before} {_schematron.compilations()}\\n")
    return result

jobs._validate_chunk = counting

if __name__ == "__main__":
    reports = jobs.validate_files(sys.argv[2:], "auto", 2)
    print(json.dumps([sorted({r.profile for r in reports if r.valid}), _schematron.started()]))
"""


def test_jobs_2_compiles_each_stylesheet_once_and_never_in_the_command_process(
    tmp_path: Path,
) -> None:
    # The template compiles the heaviest group's stylesheets (Peppol: CEN + PEPPOL) while
    # a worker compiles SI-UBL for the NLCIUS documents; the workers that validate Peppol
    # documents after that are forked from the template with CEN + PEPPOL compiled. One
    # compilation per stylesheet, three in all (five if the NLCIUS worker compiled CEN +
    # PEPPOL itself). The command process itself never starts Saxon, so it may fork at will.
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
    assert json.loads(done.stdout) == [["nlcius", "peppol-bis3"], False]  # all valid
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for line in log.read_text().splitlines():
        pid, before, after = line.split()
        first.setdefault(pid, int(before))
        last[pid] = int(after)
    assert sum(last[pid] - first[pid] for pid in first) == 3
    assert len(first) >= 3  # the template, the NLCIUS worker and at least one fork
    assert str(os.getpid()) not in first


def test_a_template_that_dies_on_its_first_chunk_loses_nothing(tmp_path: Path) -> None:
    # The template validates the smallest files of the heaviest group first (ties: the
    # first ones), so poison.xml at the start stops the template itself.
    names = ["poison.xml", *(f"{index:02d}.xml" for index in range(1, 20))]
    reports = _with_dying_workers(tmp_path, names)
    assert [name for name, _, _ in reports] == names
    assert reports[0] == ["poison.xml", False, ["VALIDATOR-DIED"]]
    assert all(valid and issues == [] for _, valid, issues in reports[1:])


def test_a_worker_killed_mid_chunk_gives_each_document_exactly_one_report(
    tmp_path: Path,
) -> None:
    # Chunks of 2 after the template's; poison.xml is the second of its chunk, so its
    # worker dies after validating the first: that one must come back once, not twice.
    names = [f"{index:02d}.xml" for index in range(40)]
    names[5] = "poison.xml"
    reports = _with_dying_workers(tmp_path, names)
    assert [name for name, _, _ in reports] == names  # no document lost, none twice
    assert reports[5] == ["poison.xml", False, ["VALIDATOR-DIED"]]
    assert sum(not valid for _, valid, _ in reports) == 1


_INTERRUPTIBLE = """
import os, sys, time
from ubl.validate import Validator
import ledgerlink.cli

real = Validator.validate

def slow(self, source, *args, **kwargs):
    open(os.environ["STARTED"], "a").close()
    time.sleep(0.2)
    return real(self, source, *args, **kwargs)

Validator.validate = slow
sys.argv = ["ledgerlink", "validate", *sys.argv[1:]]
ledgerlink.cli.main()
"""


def test_ctrl_c_during_jobs_says_what_it_stopped_and_exits_130(tmp_path: Path) -> None:
    paths = [copy(PEPPOL_FIXTURE, tmp_path / "docs", f"{index:03d}.xml") for index in range(60)]
    driver, started = tmp_path / "interruptible.py", tmp_path / "started"
    driver.write_text(_INTERRUPTIBLE)
    process = subprocess.Popen(
        [sys.executable, str(driver), "--jobs", "2", *map(str, paths)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"STARTED": str(started)},
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        deadline = time.monotonic() + 120
        while not started.exists():  # a worker is validating
            assert process.poll() is None and time.monotonic() < deadline, process.poll()
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does: the whole group
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    found = re.search(r"interrupted: (\d+) of 60 document\(s\) validated, (\d+) not", stderr)
    assert found, stderr
    assert int(found[1]) + int(found[2]) == 60 and int(found[2]) > 0
    assert stdout == ""


_AFTER_SAXON = """
import json, sys
from ledgerlink._validate_jobs import _can_fork_here, validate_files
from ubl.validate import validate

validate(sys.argv[1])  # a library caller that has validated already: Saxon runs here
assert not _can_fork_here()
reports = validate_files(sys.argv[1:], "auto", 2)
print(json.dumps([[r.source, r.valid] for r in reports]))
"""


def test_jobs_from_a_process_that_runs_saxon_start_new_interpreters(tmp_path: Path) -> None:
    paths = [copy(PEPPOL_FIXTURE, tmp_path, f"{index:02d}.xml") for index in range(12)]
    paths.append(write_unpayable(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", _AFTER_SAXON, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert json.loads(done.stdout) == [[str(path), path.name != "unpayable.xml"] for path in paths]


@pytest.mark.parametrize(
    "command",
    [
        ["validate", str(PEPPOL_FIXTURE)],
        ["demo", "--out", "{out}"],
        [
            *("--config", str(FIXTURES / "csv" / "ledgerlink.toml")),
            *("pull", "lindeboom", "--ubl-dir", "{out}"),
        ],
    ],
    ids=["validate", "demo", "pull"],
)
def test_cache_dir_overrides_the_configured_cache_for_every_command_that_validates(
    tmp_path: Path, artifacts_cache: Path, command: list[str]
) -> None:
    # As the README promises: LEDGERLINK_ARTIFACTS_DIR names an empty cache, --cache the
    # installed one, and --cache wins.
    assert LEDGERLINK.exists(), f"{LEDGERLINK} not installed"
    args = [part.format(out=tmp_path / "out") for part in command]
    env = os.environ | {"LEDGERLINK_ARTIFACTS_DIR": str(tmp_path / "empty-cache")}

    def cli(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(LEDGERLINK), *args, *extra],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=False,
            cwd=tmp_path,
        )

    without = cli()
    assert without.returncode != 0
    assert "ledgerlink artifacts install" in without.stderr
    given = cli("--cache", str(artifacts_cache))
    assert given.returncode == 0, given.stdout + given.stderr


def _pre_commit_files_pattern() -> str:
    """The ``files:`` regex of the README's pre-commit hook for ``ledgerlink validate``."""
    readme = (FIXTURES.parent / "README.md").read_text(encoding="utf-8")
    snippet = readme[readme.index("id: ledgerlink-validate") :]
    snippet = snippet[: snippet.index("```")]
    [pattern] = re.findall(r"^\s*files:\s*(\S+)\s*$", snippet, flags=re.MULTILINE)
    return pattern


@pytest.mark.parametrize(
    ("path", "validated"),
    [
        ("invoices/INV-2026-001.xml", True),
        ("invoices/2026/03/credit-note.xml", True),
        ("pom.xml", False),
        ("backend/pom.xml", False),
        ("docs/logo.svg.xml", False),
        ("invoices/README.md", False),
    ],
)
def test_the_readme_pre_commit_hook_runs_on_the_invoice_folder_only(
    path: str, validated: bool
) -> None:
    # pre-commit matches `files` with re.search against each staged path.
    assert bool(re.search(_pre_commit_files_pattern(), path)) is validated
