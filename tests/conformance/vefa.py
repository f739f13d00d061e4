"""The VEFA validator test format (EN16931 ``tests/*-unit-UBL``, Peppol ``tests/unit-UBL-*``).

A ``testSet`` (namespace ``http://difi.no/xsd/vefa/validator/1.0``) names a rule
``configuration`` and holds an optional top-level ``<assert>`` (description, scope and
expectations shared by every test) and then ``<test>`` elements, each with its own
``<assert>`` and ONE inline UBL document, often a fragment that is not schema-valid.

The semantics follow anskaffelser/vefa-validator: ``test-preparer.xslt`` merges the
top-level assert into each test (scopes and expectations are added; the test's own
description wins), ``svrl-parser.xslt`` turns the SVRL flag ``fatal`` into *error* and
``warning`` into *warning* (any other flag is *unknown*), and ``AbstractExpectation``
checks the firings:

* with a scope, only firings whose rule id is in scope count;
* ``success``: the rule must not fire;
* ``error`` / ``warning`` / ``fatal`` (``number="N"``, default 1): the rule must fire exactly
  N times with that flag (no SVRL flag maps to *fatal*, so Schematron never meets a
  ``fatal`` expectation);
* any other firing that counts fails the test.

:func:`parse_testset` and :func:`evaluate` know nothing of the validator (``evaluate`` takes
the fired ``(rule id, SVRL flag)`` pairs); :func:`schematron_firings` runs the official
stylesheets through :meth:`ubl.validate.Validator.schematron`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from lxml import etree

from ubl.validate import Artifact, Validator

__all__ = [
    "NS",
    "Expectations",
    "Outcome",
    "TestCase",
    "TestSet",
    "configurations",
    "evaluate",
    "parse_testset",
    "run_testset",
    "schematron_firings",
]

NS: Final = "http://difi.no/xsd/vefa/validator/1.0"
_V: Final = f"{{{NS}}}"
_KINDS: Final = ("error", "warning", "fatal")
_FLAG_KIND: Final = {"fatal": "error", "warning": "warning"}
"""SVRL failed-assert flag -> VEFA flag (``svrl-parser.xslt``); anything else is unknown."""
_PARSER: Final = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)

Fired = tuple[str, str]
"""A fired Schematron assert: (rule id, SVRL flag ``fatal`` | ``warning``)."""


@dataclass(frozen=True, slots=True)
class Expectations:
    """What one test expects: rules that must not fire, and rules that must fire exactly N
    times per VEFA flag (``error``, ``warning``, ``fatal``)."""

    success: frozenset[str] = frozenset()
    error: Mapping[str, int] = field(default_factory=dict)
    warning: Mapping[str, int] = field(default_factory=dict)
    fatal: Mapping[str, int] = field(default_factory=dict)

    def counts(self, kind: str) -> Mapping[str, int]:
        """The expected firing counts of ``kind`` (``error``, ``warning`` or ``fatal``)."""
        return {"error": self.error, "warning": self.warning, "fatal": self.fatal}[kind]


@dataclass(frozen=True, slots=True)
class TestCase:
    """One ``<test>``: its 1-based index in the file, description, configuration, scope
    (empty: every firing counts), expectations and the inline document as bytes."""

    __test__ = False  # not a pytest class

    index: int
    description: str
    configuration: str
    scope: frozenset[str]
    expectations: Expectations
    document: bytes


@dataclass(frozen=True, slots=True)
class TestSet:
    """A parsed testSet file."""

    __test__ = False

    path: Path
    configuration: str
    tests: tuple[TestCase, ...]


def _text(element: etree._Element) -> str:
    return " ".join((element.text or "").split())


def _children(asserts: Iterable[etree._Element | None], name: str) -> list[etree._Element]:
    return [child for a in asserts if a is not None for child in a.iterchildren(f"{_V}{name}")]


def _expectations(asserts: Sequence[etree._Element | None]) -> Expectations:
    """The expectations of a test's own assert merged with the testSet's (both count).

    A rule named twice for one flag keeps the last count, as the Java validator's map does.
    """
    counts: dict[str, dict[str, int]] = {kind: {} for kind in _KINDS}
    for kind in _KINDS:
        for element in _children(asserts, kind):
            counts[kind][_text(element)] = int(element.get("number") or 1)
    success = frozenset(_text(element) for element in _children(asserts, "success"))
    return Expectations(success, counts["error"], counts["warning"], counts["fatal"])


def _description(own: etree._Element | None, shared: etree._Element | None) -> str:
    for a in (own, shared):
        found = a.find(f"{_V}description") if a is not None else None
        if found is not None:
            return _text(found)
    return ""


def _standalone(element: etree._Element) -> bytes:
    """``element`` serialised as a document of its own (lxml copies the namespace
    declarations in scope onto it)."""
    return etree.tostring(element, encoding="UTF-8", xml_declaration=True, with_tail=False)


def _test_case(
    index: int, test: etree._Element, shared: etree._Element | None, configuration: str
) -> TestCase:
    own = test.find(f"{_V}assert")
    documents = [
        child for child in test if isinstance(child.tag, str) and child.tag != f"{_V}assert"
    ]
    if len(documents) != 1:
        raise ValueError(f"test {index} holds {len(documents)} documents, expected one")
    asserts = (own, shared)
    return TestCase(
        index=index,
        description=_description(own, shared),
        configuration=test.get("configuration") or configuration,
        scope=frozenset(_text(scope) for scope in _children(asserts, "scope")),
        expectations=_expectations(asserts),
        document=_standalone(documents[0]),
    )


def parse_testset(path: Path) -> TestSet:
    """Read a VEFA testSet file. Raises ``ValueError`` for a file that is no testSet."""
    root = etree.parse(str(path), _PARSER).getroot()
    if root.tag != f"{_V}testSet":
        raise ValueError(f"{path}: root {root.tag} is not a VEFA testSet")
    configuration = root.get("configuration") or ""
    shared = root.find(f"{_V}assert")
    tests = tuple(
        _test_case(index, test, shared, configuration)
        for index, test in enumerate(root.iterchildren(f"{_V}test"), start=1)
    )
    return TestSet(path, configuration, tests)


def evaluate(expectations: Expectations, scope: Iterable[str], fired: Iterable[Fired]) -> list[str]:
    """The ways the ``fired`` asserts break ``expectations`` ([] when the test passes)."""
    in_scope = frozenset(scope)
    remaining = {kind: Counter(expectations.counts(kind)) for kind in _KINDS}
    fired_successes: Counter[str] = Counter()
    unexpected: Counter[tuple[str, str]] = Counter()
    for rule, flag in fired:
        if in_scope and rule not in in_scope:
            continue
        if rule in expectations.success:
            fired_successes[rule] += 1
            continue
        kind = _FLAG_KIND.get(flag, "unknown")
        if remaining.get(kind, Counter())[rule] > 0:
            remaining[kind][rule] -= 1
        else:
            unexpected[rule, kind] += 1
    problems = [
        f"{rule} ({kind}) not fired {count} more time(s)"
        for kind in _KINDS
        for rule, count in sorted(remaining[kind].items())
        if count > 0
    ]
    problems += [
        f"{rule} must not fire, fired {count} time(s)"
        for rule, count in sorted(fired_successes.items())
    ]
    problems += [
        f"{rule} fired unexpectedly as {kind} {count} time(s)"
        for (rule, kind), count in sorted(unexpected.items())
    ]
    return problems


@dataclass(frozen=True, slots=True)
class Outcome:
    """One test run: where it is, what it says it checks, and its mismatches."""

    path: Path
    index: int
    description: str
    mismatches: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.mismatches

    def __str__(self) -> str:
        return f"{self.path.name} test {self.index} ({self.description}): " + "; ".join(
            self.mismatches
        )


def run_testset(
    testset: TestSet, fire: Callable[[bytes, str], Sequence[Fired] | str]
) -> list[Outcome]:
    """Run every test of ``testset``. ``fire(document, configuration)`` returns the fired
    asserts, or a message when the rules could not run (which fails the test whatever its
    scope)."""
    outcomes = []
    for test in testset.tests:
        fired = fire(test.document, test.configuration)
        mismatches = (
            [fired] if isinstance(fired, str) else evaluate(test.expectations, test.scope, fired)
        )
        outcomes.append(Outcome(testset.path, test.index, test.description, tuple(mismatches)))
    return outcomes


def schematron_firings(
    validator: Validator, stylesheets: Mapping[str, Sequence[Artifact]]
) -> Callable[[bytes, str], list[Fired] | str]:
    """A ``fire`` for :func:`run_testset`: the Schematron layer alone (the documents are
    fragments, so no XSD) with the stylesheets of the test's configuration.

    Finding severities are the SVRL flags of these stylesheets (``fatal``, ``warning``). A
    Saxon error or unreadable input is returned as a message: it fails the test whatever
    its scope, as the rules did not run. An unknown configuration raises ``KeyError``.
    """

    def fire(document: bytes, configuration: str) -> list[Fired] | str:
        issues = validator.schematron(document, stylesheets[configuration])
        broken = [i for i in issues if i.layer != "schematron" or i.rule == "SAXON-ERROR"]
        if broken:
            return "rules did not run: " + "; ".join(f"{i.rule}: {i.message}" for i in broken)
        return [(issue.rule, issue.severity) for issue in issues]

    return fire


def configurations(buildconfig: Path) -> dict[str, tuple[str, ...]]:
    """Each configuration of a VEFA ``buildconfig.xml`` -> the ``.sch`` paths it runs, its
    own ``<file>`` elements and, in order, those of the configurations it inherits.

    Inherited configurations this file does not define (``ubl-invoice-2.1``, the UBL XSD)
    contribute no Schematron.
    """
    root = etree.parse(str(buildconfig), _PARSER).getroot()
    own: dict[str, tuple[list[str], list[str]]] = {}
    for configuration in root.iterchildren(f"{_V}configuration"):
        identifier = configuration.findtext(f"{_V}identifier", "").strip()
        files = [
            path
            for file in configuration.iterchildren(f"{_V}file")
            if (path := file.get("path", "")).endswith(".sch")
        ]
        inherits = [_text(i) for i in configuration.iterchildren(f"{_V}inherit")]
        own[identifier] = (files, inherits)

    def resolve(identifier: str, seen: frozenset[str]) -> list[str]:
        if identifier in seen or identifier not in own:
            return []
        files, inherits = own[identifier]
        found = list(files)
        for parent in inherits:
            found += [f for f in resolve(parent, seen | {identifier}) if f not in found]
        return found

    return {identifier: tuple(resolve(identifier, frozenset())) for identifier in own}
