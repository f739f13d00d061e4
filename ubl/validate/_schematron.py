"""The Schematron layer: the official compiled XSLT 2.0 stylesheets, run with saxonche.

One ``PySaxonProcessor`` serves the whole process; each stylesheet is compiled on first use
and the executable is reused for every later document. Bundles that ship the same stylesheet
under another name (peppol-bis3's ``CEN-EN16931-UBL.xslt`` is en16931-ubl 1.3.16's
``EN16931-UBL-validation.xslt`` with another header comment) share one compilation: the
executables are keyed by the stylesheet's content from its ``xsl:stylesheet`` element on.
A document is parsed into Saxon once and the same node goes to each stylesheet of its
scenario. The SVRL result is read with lxml, and only when it reports something (a clean
document's SVRL is never parsed).

What is compiled is the official stylesheet without its SVRL trace: every
``<svrl:fired-rule context="..."/>`` literal result element is left out (:func:`untraced`).
That element records that a rule context matched a node, once per matched node, and says
nothing about what the rule found; a 4,000-line invoice gets 5.7 MB of it per stylesheet, and
writing it takes a quarter to a third of the transform. Every assert and report, and the
order of the findings, stay as the official stylesheet has them. Lines are kept, and Saxon
is given the official file's URI, so its diagnostics name the official file and line.

Saxon failures never escape: a document Saxon cannot parse, or a stylesheet that stops
with a dynamic error (the CEN rules raise XPTY0004 on a party with two RegistrationName
elements), is a fatal issue with rule ``SAXON-ERROR`` that carries Saxon's message and
where in the stylesheet it stopped; the diagnostic Saxon would print to standard error goes
into the finding instead (:mod:`ubl.validate._stderr`). A document nested deeper than Saxon
takes (:data:`MAX_DEPTH` levels for its parser; its stack gives out somewhat later) is a
fatal ``VALIDATOR-LIMIT`` finding saying so: a limit of the validator, not a broken rule.
"""

from __future__ import annotations

import hashlib
import re
import threading
from functools import cache
from pathlib import Path
from typing import Any, Final

from lxml import etree
from saxonche import PySaxonApiError, PySaxonProcessor

from model.findings import Finding, Severity
from ubl._xml import load
from ubl.errors import InputError
from ubl.validate._hints import hint_for
from ubl.validate._locate import line_of
from ubl.validate._stderr import Fd2Capture

__all__ = [
    "MAX_DEPTH",
    "SAXON_ERROR",
    "VALIDATOR_LIMIT",
    "compilations",
    "is_compiled",
    "parse",
    "started",
    "transform",
    "untraced",
]

SAXON_ERROR: Final = "SAXON-ERROR"
VALIDATOR_LIMIT: Final = "VALIDATOR-LIMIT"
_SVRL: Final = "{http://purl.oclc.org/dsdl/svrl}"
_FINDINGS: Final = (f"{_SVRL}failed-assert", f"{_SVRL}successful-report")
_LEADING_ID: Final = re.compile(r"\s*\[([^\]\s]+)\]\s*-?\s*")
_SEVERITIES: Final[dict[str, Severity]] = {
    "fatal": "fatal",
    "error": "fatal",
    "warning": "warning",
    "warn": "warning",
    "information": "warning",
    "info": "warning",
}

_LOCK: Final = threading.RLock()
"""Serialises every call into Saxon (one processor per process; its thread safety is not ours
to assume). Parallel validation uses processes (``--jobs``)."""
_CAPTURE: Final = Fd2Capture()
"""Saxon's standard error during each call (used under ``_LOCK`` only)."""
_EXECUTABLES: dict[bytes, Any] = {}
"""Compiled stylesheets by :func:`_content_key`."""
_KEYS: dict[Path, bytes] = {}
_STYLESHEET_START: Final = b"<xsl:stylesheet"
_FIRED_RULE: Final = "<svrl:fired-rule"
_EMPTY_FIRED_RULE: Final = re.compile(
    r"""<svrl:fired-rule(?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*/>"""
)
_compilations = 0

MAX_DEPTH: Final = 2048
"""How deep Saxon's parser lets a document be nested (the JDK's own limit,
``jdk.xml.maxElementDepth``, is 100: 101 levels inside ``ext:ExtensionContent`` pass the XSD
and stopped Saxon). 2048 is as deep as lxml parses a file (libxml2 with ``huge_tree``); the
official stylesheets were tried on 3,000 levels without trouble."""
_MAX_DEPTH_PROPERTY: Final = (
    "http://saxon.sf.net/feature/parserProperty?uri=jdk.xml.maxElementDepth"
)
_TOO_DEEP: Final = re.compile(r"JAXP00010006|maxElementDepth|SXLM0001|Too many nested")
"""Saxon's messages for a document nested deeper than its parser or its stack takes."""


@cache
def _processor() -> PySaxonProcessor:
    """The process's Saxon processor, whose XML parser accepts documents nested as deep as
    lxml parses them (:data:`MAX_DEPTH` levels) instead of the JDK's 100."""
    processor = PySaxonProcessor(license=False)
    processor.set_configuration_property(_MAX_DEPTH_PROPERTY, str(MAX_DEPTH))
    return processor


def compilations() -> int:
    """How many stylesheets this process has compiled (each one is compiled once)."""
    return _compilations


def started() -> bool:
    """Whether this process has started the Saxon runtime (and with it Saxon's own threads).
    A process that has not can be forked without a thought for them."""
    return _processor.cache_info().currsize > 0


def is_compiled(path: Path) -> bool:
    """Whether this process has compiled the stylesheet at ``path`` (or one of the same
    content)."""
    with _LOCK:
        return _content_key(path) in _EXECUTABLES


def _content_key(path: Path) -> bytes:
    """A digest of the stylesheet at ``path`` from its ``xsl:stylesheet`` element on: the
    leading declaration and comments (licence, version notes) do not change what it does."""
    key = _KEYS.get(path)
    if key is None:
        data = path.read_bytes()
        start = data.find(_STYLESHEET_START)
        key = _KEYS[path] = hashlib.sha256(data[max(start, 0) :]).digest()
    return key


def untraced(stylesheet: str) -> str:
    """The text of a Schematron XSLT ``stylesheet`` without its SVRL trace: each empty
    ``svrl:fired-rule`` element is replaced by the line breaks it spanned, so every other
    line keeps its number. A stylesheet with a ``svrl:fired-rule`` this does not recognise
    (one with content, say) is returned unchanged."""
    stripped, count = _EMPTY_FIRED_RULE.subn(
        lambda match: "\n" * match.group().count("\n"), stylesheet
    )
    return stripped if count == stylesheet.count(_FIRED_RULE) else stylesheet


def _compile(path: Path) -> Any:
    """Compile the stylesheet at ``path`` without its SVRL trace (:func:`untraced`), under
    the file's own URI and with line numbers, so Saxon's messages point into that file.

    A stylesheet with no trace to leave out, or one that is not UTF-8 text, is compiled from
    the file as published."""
    processor = _processor()
    compiler = processor.new_xslt30_processor()
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return compiler.compile_stylesheet(stylesheet_file=str(path))
    stripped = untraced(text)
    if stripped == text:
        return compiler.compile_stylesheet(stylesheet_file=str(path))
    builder = processor.new_document_builder()
    builder.set_line_numbering(True)
    builder.set_base_uri(path.resolve().as_uri())
    node = builder.parse_xml(xml_text=stripped, encoding="UTF-8")
    return compiler.compile_stylesheet(stylesheet_node=node)


def _executable(path: Path) -> Any:
    """The compiled stylesheet at ``path`` (a saxonche ``PyXsltExecutable``), compiled once
    per distinct content."""
    global _compilations
    with _LOCK:
        key = _content_key(path)
        executable = _EXECUTABLES.get(key)
        if executable is None:
            executable = _compile(path)
            if executable is None:
                raise PySaxonApiError(f"Saxon could not compile {path}")
            _EXECUTABLES[key] = executable
            _compilations += 1
    return executable


def _saxon_error(stylesheet: str, exc: BaseException, diagnostic: str = "") -> Finding:
    """A SAXON-ERROR issue with Saxon's message and, from the diagnostic it wrote to standard
    error, its first line: where in the stylesheet the error arose."""
    message = " ".join(str(exc).split()) or type(exc).__name__
    where = diagnostic.strip().splitlines()[0].rstrip(":") if diagnostic.strip() else ""
    if where and where not in message:
        message = f"{message} [{where}]"
    return Finding(rule=SAXON_ERROR, layer="schematron", message=f"{stylesheet}: {message}")


def depth_of(root: etree._Element) -> int:
    """How many levels deep the elements under ``root`` are nested (``root`` alone: 1)."""
    depth = deepest = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    return deepest


def _too_deep(root: etree._Element, stylesheet: str | None = None) -> Finding:
    """The VALIDATOR-LIMIT finding of a document nested deeper than Saxon can process."""
    where = f"the stylesheet {stylesheet} recursed" if stylesheet else "its parser stopped"
    return Finding(
        rule=VALIDATOR_LIMIT,
        layer="schematron",
        message=f"the document is nested {depth_of(root)} levels deep, deeper than the "
        f"Schematron engine (Saxon) can process ({where}; it takes {MAX_DEPTH} levels): the "
        "official rules were not run on it. This is a limit of the validator, not a broken "
        "rule",
        hint=hint_for(VALIDATOR_LIMIT),
    )


def parse(text: str, root: etree._Element) -> Any | Finding:
    """The document parsed into Saxon (a ``PyXdmNode``), or a SAXON-ERROR finding (a
    VALIDATOR-LIMIT one when it is nested too deep); ``root`` is its lxml root element."""
    try:
        with _LOCK, _CAPTURE:
            node = _processor().parse_xml(xml_text=text, encoding="UTF-8")
    except (PySaxonApiError, UnicodeError) as exc:
        if _TOO_DEEP.search(f"{exc} {_CAPTURE.text}"):
            return _too_deep(root)
        return _saxon_error("Saxon could not parse the document", exc, _CAPTURE.text)
    _CAPTURE.pass_on()
    if node is None:
        return _saxon_error("Saxon could not parse the document", ValueError("no document node"))
    return node


def transform(path: Path, node: Any, root: etree._Element) -> list[Finding]:
    """Run the stylesheet at ``path`` on the Saxon ``node`` of the document whose lxml root is
    ``root`` (used for line numbers); every failed assert and successful report is an issue."""
    executable = _executable(path)
    try:
        with _LOCK, _CAPTURE:
            svrl = executable.transform_to_string(xdm_node=node)
    except (PySaxonApiError, UnicodeError) as exc:
        if _TOO_DEEP.search(f"{exc} {_CAPTURE.text}"):
            return [_too_deep(root, path.name)]
        return [_saxon_error(path.name, exc, _CAPTURE.text)]
    _CAPTURE.pass_on()
    if not svrl or "schematron-output" not in svrl:
        return [_saxon_error(path.name, ValueError("the stylesheet produced no SVRL report"))]
    if "failed-assert" not in svrl and "successful-report" not in svrl:
        return []
    try:
        report = load(svrl.encode("utf-8"), f"SVRL of {path.name}")
    except InputError as exc:
        return [_saxon_error(path.name, exc)]
    return _issues(report, root)


def _text(element: etree._Element | None) -> str:
    """The whitespace-normalised text of an ``svrl:text`` element."""
    if element is None:
        return ""
    text = etree.tostring(element, method="text", encoding="unicode", with_tail=False)
    return " ".join(text.split())


def _issues(report: etree._ElementTree, root: etree._Element) -> list[Finding]:
    """An issue per ``svrl:failed-assert`` and ``svrl:successful-report`` of ``report``."""
    issues = []
    for finding in report.iter(*_FINDINGS):
        text = _text(finding.find(f"{_SVRL}text"))
        leading = _LEADING_ID.match(text)
        rule = finding.get("id") or (leading.group(1) if leading else "NO-RULE-ID")
        message = text[leading.end() :] if leading else text
        location = finding.get("location") or None
        issues.append(
            Finding(
                layer="schematron",
                rule=rule,
                severity=_SEVERITIES.get((finding.get("flag") or "fatal").lower(), "fatal"),
                location=location,
                line=line_of(root, location),
                message=message or text,
                hint=hint_for(rule),
            )
        )
    return issues
