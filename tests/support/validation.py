"""Test-support validator: UBL 2.1 XSD (lxml) plus the official compiled Schematron (saxonche).

A stand-in for the real validator. Every XSD schema and XSLT is compiled once per process.
Documents are never trusted: the lxml parser is hardened, a malformed document or a Saxon
failure becomes a fatal ``Issue``, so ``validate`` neither crashes nor silently passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from lxml import etree
from saxonche import PySaxonApiError, PySaxonProcessor

from .shared import SHARED

VALIDATION = SHARED / "validation"
UBL_NS = {
    "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2": "Invoice",
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2": "CreditNote",
}
CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
SVRL = "{http://purl.oclc.org/dsdl/svrl}"
PEPPOL_BIS3_ID = "urn:fdc:peppol.eu:2017:poacc:billing:3.0"
SCENARIOS = {
    "peppol-bis3": (
        "peppol-bis3/xslt/CEN-EN16931-UBL.xslt",
        "peppol-bis3/xslt/PEPPOL-EN16931-UBL.xslt",
    ),
    "nlcius": ("nlcius/xslt/si-ubl-2.0.3.13.xslt",),
    "en16931": ("en16931/xslt/EN16931-UBL-validation.xslt",),
}
_LEADING_ID = re.compile(r"^\s*\[([^\]]+)\]")
_FLAGS = {"fatal": "fatal", "error": "fatal", "warning": "warning", "information": "warning"}


@dataclass(frozen=True)
class Issue:
    layer: Literal["xsd", "schematron"]
    rule: str
    severity: Literal["fatal", "warning"]
    location: str
    message: str


def fatal(issues: list[Issue]) -> list[Issue]:
    return [i for i in issues if i.severity == "fatal"]


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@cache
def _schema(doc_type: str) -> etree.XMLSchema:
    path = VALIDATION / f"xsd/ubl-2.1/xsdrt/maindoc/UBL-{doc_type}-2.1.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


@cache
def _processor() -> PySaxonProcessor:
    return PySaxonProcessor(license=False)


@cache
def _executable(relative_path: str):  # -> saxonche.PyXsltExecutable
    xslt = _processor().new_xslt30_processor()
    return xslt.compile_stylesheet(stylesheet_file=str(VALIDATION / relative_path))


def detect_scenario(root: etree._Element) -> str:
    customization = root.findtext(f"{CBC}CustomizationID") or ""
    if PEPPOL_BIS3_ID in customization:
        return "peppol-bis3"
    return "nlcius" if "nlcius" in customization else "en16931"


def _xsd_issues(tree: etree._ElementTree) -> list[Issue]:
    qname = etree.QName(tree.getroot())
    doc_type = UBL_NS.get(qname.namespace or "")
    if doc_type != qname.localname:
        return [Issue("xsd", "UBL-ROOT", "fatal", "/", f"not a UBL Invoice or CreditNote: {qname}")]
    schema = _schema(doc_type)
    if schema.validate(tree):
        return []
    return [
        Issue("xsd", e.type_name, "fatal", e.path or f"line {e.line}", e.message)
        for e in schema.error_log
    ]


def _svrl_issues(svrl: str) -> list[Issue]:
    issues = []
    root = etree.fromstring(svrl.encode("utf-8"), _parser())
    for el in root.iter(f"{SVRL}failed-assert", f"{SVRL}successful-report"):
        text_el = el.find(f"{SVRL}text")
        text = " ".join("".join(text_el.itertext()).split()) if text_el is not None else ""
        match = _LEADING_ID.match(text)
        rule = el.get("id") or (match.group(1) if match else "NO-ID")
        severity = _FLAGS.get((el.get("flag") or "fatal").lower(), "fatal")
        issues.append(Issue("schematron", rule, severity, el.get("location") or "", text))
    return issues


def _schematron_issues(xml_text: str, scenario: str) -> list[Issue]:
    issues: list[Issue] = []
    try:
        node = _processor().parse_xml(xml_text=xml_text)
    except PySaxonApiError as exc:
        return [Issue("schematron", "SAXON-ERROR", "fatal", "/", f"parse: {exc}")]
    for xslt in SCENARIOS[scenario]:
        try:
            svrl = _executable(xslt).transform_to_string(xdm_node=node)
            if not svrl:
                raise PySaxonApiError("transform produced no SVRL output")
            issues += _svrl_issues(svrl)
        except (PySaxonApiError, etree.XMLSyntaxError) as exc:
            issues.append(Issue("schematron", "SAXON-ERROR", "fatal", xslt, str(exc).strip()))
    return issues


def validate(xml: bytes, scenario: str | None = None) -> list[Issue]:
    """XSD + Schematron issues for one UBL document; scenario None = from CustomizationID."""
    if scenario is not None and scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; expected one of {sorted(SCENARIOS)}")
    try:
        tree = etree.ElementTree(etree.fromstring(xml, _parser()))
    except etree.XMLSyntaxError as exc:
        return [Issue("xsd", "XML-SYNTAX", "fatal", f"line {exc.lineno}", str(exc))]
    issues = _xsd_issues(tree)
    scenario = scenario or detect_scenario(tree.getroot())
    return issues + _schematron_issues(etree.tostring(tree, encoding="unicode"), scenario)
