"""The output formats of ``ledgerlink validate``: text, json, junit, github and sarif.

Each renderer takes the :class:`Outcome` of a run and returns the whole output as one
string (``text`` as rich markup). Whether a document failed follows ``--fail-on``; the
JSON ``valid`` flag is always "no fatal issue".
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from rich.markup import escape

from ledgerlink import __version__

if TYPE_CHECKING:
    from model.findings import Finding
    from ubl.validate import Report

__all__ = ["FORMATS", "Outcome"]

_NOT_XML_TEXT: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class Outcome:
    """The reports of a run, in input order, and what fails a document (``fatal`` or
    ``warning``: any fatal issue, or any issue at all)."""

    reports: tuple[Report, ...]
    fail_on: str = "fatal"

    def failed(self, report: Report) -> bool:
        return bool(report.issues) if self.fail_on == "warning" else not report.valid

    @property
    def failures(self) -> int:
        return sum(map(self.failed, self.reports))

    def summary(self) -> str:
        """``N passed, M failed``."""
        return f"{len(self.reports) - self.failures} passed, {self.failures} failed"


def _where(issue: Finding) -> str:
    return f"line {issue.line}" if issue.line else "line ?"


def render_text(outcome: Outcome) -> str:
    """One line per document (PASS/FAIL, path, profile), its issues indented below it."""
    lines = []
    for report in outcome.reports:
        status = "[bold red]FAIL[/]" if outcome.failed(report) else "[bold green]PASS[/]"
        profile = f" [dim]{escape(report.profile)}[/]" if report.profile else ""
        lines.append(f"{status} {escape(report.source)}{profile}")
        for issue in report.issues:
            colour = "red" if issue.severity == "fatal" else "yellow"
            lines.append(
                f"  [{colour}]{issue.severity:7}[/] [bold]{escape(issue.rule)}[/] "
                f"{_where(issue)}: {escape(issue.message)}"
            )
            if issue.hint:
                lines.append(f"      [dim]hint: {escape(issue.hint)}[/]")
    lines.append(outcome.summary())
    return "\n".join(lines)


def render_json(outcome: Outcome) -> str:
    """Exactly one JSON object: ``{"documents": [...], "summary": {"passed", "failed"}}``, a
    document being :meth:`ubl.validate.Report.to_dict` (``profile`` null for a document that
    is no UBL Invoice or CreditNote)."""
    documents = [report.to_dict() for report in outcome.reports]
    summary = {"passed": len(outcome.reports) - outcome.failures, "failed": outcome.failures}
    return json.dumps({"documents": documents, "summary": summary}, indent=2, ensure_ascii=False)


def _issue_line(issue: Finding) -> str:
    hint = f" (hint: {issue.hint})" if issue.hint else ""
    return f"{issue.severity} {issue.rule} {_where(issue)}: {issue.message}{hint}"


def _xml_text(text: str) -> str:
    return _NOT_XML_TEXT.sub("?", text)


def render_junit(outcome: Outcome) -> str:
    """JUnit XML: one testsuite, one testcase per document; a failed document's
    ``failure`` lists its issues, a passed document's warnings go to ``system-out``."""
    counts = {"tests": str(len(outcome.reports)), "failures": str(outcome.failures), "errors": "0"}
    suites = ET.Element("testsuites", {"name": "ledgerlink validate", **counts})
    suite = ET.SubElement(suites, "testsuite", {"name": "ledgerlink validate", **counts})
    for report in outcome.reports:
        path = _xml_text(report.source)
        classname = report.profile or ""
        case = ET.SubElement(suite, "testcase", classname=classname, name=path, file=path)
        if not report.issues:
            continue
        text = _xml_text("\n".join(_issue_line(issue) for issue in report.issues))
        if outcome.failed(report):
            rules = sorted({issue.rule for issue in report.issues})
            failure = ET.SubElement(
                case,
                "failure",
                message=_xml_text(f"{len(report.issues)} issue(s): {', '.join(rules)}"),
                type=_xml_text(report.issues[0].rule),
            )
            failure.text = text
        else:
            ET.SubElement(case, "system-out").text = text
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")


def _command_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _command_property(text: str) -> str:
    return _command_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(outcome: Outcome) -> str:
    """GitHub Actions workflow commands (``::error`` / ``::warning``), then the summary."""
    lines = []
    for report in outcome.reports:
        for issue in report.issues:
            level = "error" if issue.severity == "fatal" else "warning"
            properties = [f"file={_command_property(report.source)}"]
            if issue.line:
                properties.append(f"line={issue.line}")
            properties.append(f"title={_command_property(issue.rule)}")
            message = issue.message + (f"\nhint: {issue.hint}" if issue.hint else "")
            lines.append(f"::{level} {','.join(properties)}::{_command_data(message)}")
    lines.append(outcome.summary())
    return "\n".join(lines)


def _uri(path: str) -> str:
    location = Path(path)
    return location.as_uri() if location.is_absolute() else quote(location.as_posix())


def _sarif_rule(issue: Finding) -> dict[str, Any]:
    """The rule of ``issue``, described by the first issue seen of it."""
    rule: dict[str, Any] = {
        "id": issue.rule,
        "shortDescription": {"text": issue.message},
        "properties": {"layer": issue.layer},
    }
    if issue.hint:
        rule["help"] = {"text": issue.hint}
    return rule


def _sarif_result(report: Report, issue: Finding, rule_index: int) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(report.source)}}
    if issue.line:
        physical["region"] = {"startLine": issue.line}
    location: dict[str, Any] = {"physicalLocation": physical}
    if issue.location:
        location["logicalLocations"] = [{"fullyQualifiedName": issue.location, "kind": "element"}]
    return {
        "ruleId": issue.rule,
        "ruleIndex": rule_index,
        "level": "error" if issue.severity == "fatal" else "warning",
        "message": {"text": issue.message},
        "locations": [location],
    }


def render_sarif(outcome: Outcome) -> str:
    """SARIF 2.1.0: the ``ledgerlink`` driver with every rule seen, one result per issue."""
    rules: list[dict[str, Any]] = []
    rule_index: dict[str, int] = {}
    results = []
    for report in outcome.reports:
        for issue in report.issues:
            if issue.rule not in rule_index:
                rule_index[issue.rule] = len(rules)
                rules.append(_sarif_rule(issue))
            results.append(_sarif_result(report, issue, rule_index[issue.rule]))
    driver = {"name": "ledgerlink", "version": __version__, "rules": rules}
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False)


FORMATS: Final[dict[str, Callable[[Outcome], str]]] = {
    "text": render_text,
    "json": render_json,
    "junit": render_junit,
    "github": render_github,
    "sarif": render_sarif,
}
"""Renderer by ``--format`` name."""
