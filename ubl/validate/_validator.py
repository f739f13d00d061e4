"""The validator: one document in, one :class:`Report` out (XSD, then the scenario's Schematron)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from lxml import etree

from model.findings import Finding, Layer
from ubl import artifacts
from ubl._ns import CBC, CREDIT_NOTE, INVOICE
from ubl.validate import _schematron
from ubl.validate._hints import hint_for
from ubl.validate._locate import source_line
from ubl.validate._report import Report
from ubl.validate._scenarios import AUTO, PROFILES, SCENARIOS, SCHEMAS, Artifact, scenario_for
from ubl.validate._source import DEFAULT_MAX_BYTES, Document, Source, name_of, read
from ubl.validate._xsd import schema_at

__all__ = ["DOCUMENT_TYPES", "Validator"]

DOCUMENT_TYPES: Final = {"invoice": "Invoice", "creditnote": "CreditNote"}
"""The values ``document_type=`` accepts, and the UBL root element each one requires."""

_ROOTS: Final = {f"{{{INVOICE}}}Invoice": "Invoice", f"{{{CREDIT_NOTE}}}CreditNote": "CreditNote"}
_CUSTOMIZATION_ID: Final = f"{{{CBC}}}CustomizationID"
_UBL_NAMESPACE: Final = "urn:oasis:names:specification:ubl:schema:xsd:"
UNKNOWN_CUSTOMIZATION_ID: Final = "UNKNOWN-CUSTOMIZATION-ID"
OWN_CHECK: Final = "ledgerlink's own check, not an official Schematron rule"
"""How the message of a finding ledgerlink makes beside the official rules begins."""


def _root_issue(rule: str, layer: Layer, root: etree._Element, message: str) -> Finding:
    return Finding(
        rule=rule,
        layer=layer,
        message=message,
        location=f"/{etree.QName(root).localname}",
        line=source_line(root),
        hint=hint_for(rule),
    )


def _not_ubl(root: etree._Element) -> Finding:
    name = etree.QName(root)
    namespace = name.namespace or ""
    what = (
        f"a UBL {name.localname}"
        if namespace == f"{_UBL_NAMESPACE}{name.localname}-2"
        else f"root element {name.localname} (namespace {namespace or 'none'})"
    )
    return _root_issue(
        "UBL-ROOT",
        "input",
        root,
        f"{what} is no UBL 2.1 Invoice or CreditNote: only Invoice and CreditNote documents "
        "are validated, so no profile applies to it",
    )


def _wrong_type(root: etree._Element, found: str, expected: str) -> Finding:
    return _root_issue(
        "UBL-DOCUMENT-TYPE",
        "xsd",
        root,
        f"root element {found}: this is a UBL {found}, validated against the {expected} schema",
    )


def _unknown_customization(document: Document, customization_id: str | None) -> Finding:
    element = document.tree.getroot().find(_CUSTOMIZATION_ID)
    if customization_id and customization_id.strip():
        what = f"unknown CustomizationID (BT-24) {customization_id.strip()!r}"
    else:
        what = "no CustomizationID (BT-24)"
    return Finding(
        rule=UNKNOWN_CUSTOMIZATION_ID,
        layer="schematron",
        severity="warning",
        location=document.tree.getpath(element) if element is not None else None,
        line=source_line(element if element is not None else document.tree.getroot()),
        message=f"{OWN_CHECK}: {what}, so it was checked against the XSD and the EN 16931 "
        "(CEN) rules only",
        hint=hint_for(UNKNOWN_CUSTOMIZATION_ID),
    )


class Validator:
    """Validates UBL 2.1 Invoices and CreditNotes: the UBL 2.1 XSD (lxml), then the official
    Schematron of the document's scenario (saxonche).

    ``cache``: the artifact cache (default: :func:`ubl.artifacts.cache_dir`). ``versions``:
    bundle versions to use instead of the defaults, e.g. ``{"nlcius": "2.0.3.12"}``.
    ``max_bytes``: larger documents are refused unread, with an ``input`` issue.

    Schemas and stylesheets load on first use and stay loaded for the whole process, shared
    by every Validator. ``validate`` never raises for the document: anything wrong with it
    is an issue in the report.
    """

    def __init__(
        self,
        cache: Path | None = None,
        *,
        versions: Mapping[str, str] | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.cache = cache
        self.versions = dict(versions or {})
        self.max_bytes = max_bytes
        self._files: dict[tuple[Artifact, Path], Path] = {}

    def _cache(self) -> Path:
        """The artifact cache this validator reads (the environment is read once per call)."""
        return self.cache or artifacts.cache_dir()

    def _file(self, artifact: Artifact, cache: Path) -> Path:
        """The installed file of ``artifact`` in the bundle version this validator uses.

        Raises ``ArtifactMissing`` when that bundle is not installed, and ``UnknownBundle``
        for a version the manifest does not pin.
        """
        path = self._files.get((artifact, cache))
        if path is None:
            spec = artifacts.load_manifest().get(
                artifact.bundle, self.versions.get(artifact.bundle)
            )
            in_bundle = artifact.path_among(file.path for file in spec.files)
            if in_bundle is None:
                raise artifacts.UnknownBundle(
                    f"bundle '{spec.name}' {spec.version} has no single file matching "
                    f"'{artifact.pattern}'"
                )
            path = artifacts.bundle_file(spec.name, in_bundle, version=spec.version, cache=cache)
            self._files[artifact, cache] = path
        return path

    def validate(
        self, source: Source, profile: str = AUTO, *, document_type: str | None = None
    ) -> Report:
        """Check ``source`` (bytes, a path, or a parsed lxml tree) and report every issue.

        ``profile``: ``auto`` picks the scenario from the CustomizationID (BT-24);
        ``peppol-bis3``, ``nlcius`` or ``en16931`` forces one. ``document_type``
        (``invoice`` or ``creditnote``) requires that root element; None takes the schema
        the root names.

        When the XSD check fails the Schematron still runs, and the report holds both.

        Raises ``ValueError`` for an unknown ``profile`` or ``document_type``, and
        :class:`ubl.artifacts.ArtifactMissing` (a ``UblError``) when a bundle the document
        needs is not installed; its message gives the install command. Nothing about the
        document itself raises.
        """
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; expected one of {', '.join(PROFILES)}")
        if document_type is not None and document_type not in DOCUMENT_TYPES:
            raise ValueError(
                f"unknown document_type {document_type!r}; expected one of "
                f"{', '.join(DOCUMENT_TYPES)}"
            )
        document = read(source, self.max_bytes)
        if isinstance(document, Finding):
            return Report(name_of(source), profile, (document,))
        return Report(document.name, *self._check(document, profile, document_type))

    def _check(
        self, document: Document, profile: str, document_type: str | None
    ) -> tuple[str | None, tuple[Finding, ...]]:
        """The scenario's profile name (None for a document no scenario applies to: not a UBL
        Invoice or CreditNote) and the findings of a parsed ``document``."""
        root = document.tree.getroot()
        customization_id = root.findtext(_CUSTOMIZATION_ID)
        if profile == AUTO:
            scenario, known = scenario_for(customization_id)
        else:
            scenario, known = SCENARIOS[profile], True
        found = _ROOTS.get(root.tag) if isinstance(root.tag, str) else None
        if found is None:
            return None, (_not_ubl(root),)
        expected = DOCUMENT_TYPES[document_type] if document_type else found
        if expected != found:
            return scenario.profile, (_wrong_type(root, found, expected),)

        cache = self._cache()
        schema = schema_at(self._file(SCHEMAS[found], cache))
        stylesheets = [self._file(artifact, cache) for artifact in scenario.stylesheets]
        issues: list[Finding] = (
            [] if known else [_unknown_customization(document, customization_id)]
        )
        issues += schema.check(document.tree)
        issues += _run_stylesheets(document, stylesheets)
        return scenario.profile, tuple(issues)

    def load_schemas(self) -> None:
        """Load the UBL 2.1 Invoice and CreditNote schemas now rather than on first use.

        Only lxml is involved (no Saxon runtime starts), so a process may call this before it
        forks workers and the workers inherit the loaded schemas. Raises ``ArtifactMissing``
        when the ``ubl-2.1-xsd`` bundle is not installed.
        """
        cache = self._cache()
        for artifact in SCHEMAS.values():
            schema_at(self._file(artifact, cache))

    def compiled(self, profile: str) -> bool:
        """Whether this process has compiled every stylesheet of scenario ``profile``
        (``peppol-bis3``, ``nlcius``, ``en16931``); False when a bundle it needs is not
        installed. A worker forked from this process inherits what it has compiled."""
        cache = self._cache()
        try:
            paths = [self._file(artifact, cache) for artifact in SCENARIOS[profile].stylesheets]
        except artifacts.ArtifactError:
            return False
        return all(_schematron.is_compiled(path) for path in paths)

    def schematron(self, source: Source, stylesheets: Sequence[Artifact]) -> list[Finding]:
        """Run only the Schematron layer: ``stylesheets`` (compiled XSLT files of installed
        bundles, e.g. ``SCENARIOS["en16931"].stylesheets``), in order, on ``source``.

        No XSD check, no root check and no scenario choice: this is for rule unit tests,
        whose documents are often fragments (the official VEFA test sets). Every fired
        assert is an issue; unreadable input is one ``input`` issue and a Saxon error a
        fatal ``SAXON-ERROR`` issue, as in :meth:`validate`. Raises
        :class:`ubl.artifacts.ArtifactMissing` when a stylesheet's bundle is not installed.
        """
        cache = self._cache()
        paths = [self._file(artifact, cache) for artifact in stylesheets]
        document = read(source, self.max_bytes)
        if isinstance(document, Finding):
            return [document]
        return _run_stylesheets(document, paths)


def _run_stylesheets(document: Document, stylesheets: Sequence[Path]) -> list[Finding]:
    """Every issue the stylesheets at ``stylesheets`` find in ``document``, which is parsed
    into Saxon once and given to each of them."""
    node = _schematron.parse(document.text, document.tree.getroot())
    if isinstance(node, Finding):
        return [node]
    issues = []
    for stylesheet in stylesheets:
        issues += _schematron.transform(stylesheet, node, document.tree.getroot())
    return issues
