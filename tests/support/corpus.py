"""The official documents the UBL round-trip test must cover (read in place from SHARED)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from lxml import etree

from .shared import SHARED

VALIDATION = SHARED / "validation"
UBL_ROOTS = {
    "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice",
    "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote",
}


def _xml_files(folder: str, recursive: bool = False) -> Iterable[Path]:
    base = VALIDATION / folder
    if not base.is_dir():
        raise FileNotFoundError(f"corpus folder missing: {base}")
    files = base.rglob("*") if recursive else base.iterdir()
    return (p for p in files if p.is_file() and p.suffix.lower() == ".xml")


def _root_tag(path: Path) -> str | None:
    try:
        for _, element in etree.iterparse(
            str(path), events=("start",), resolve_entities=False, no_network=True, load_dtd=False
        ):
            return element.tag
    except etree.XMLSyntaxError:
        return None
    return None


def roundtrip_corpus() -> list[Path]:
    """Every document expected to be valid whose root is a UBL Invoice or CreditNote.

    nlcius/tests: only SI-UBL-2.0/ and si-ubl-2.0-ext-gaccount/ files named ``*_ok*``.
    Left out: Peppol-BIS-3/ (all ``_error``: Peppol NL-R-00x negative tests) and general/
    (SI-UBL 1.x version-routing tests; its one ``-ok-`` file is a pre-EN 16931 SI-UBL 1.1.3
    document). Returns [] when SHARED/validation is absent (callers use require_shared).
    """
    if not VALIDATION.is_dir():
        return []
    candidates = [
        *_xml_files("en16931/examples"),
        *_xml_files("en16931/tests/testfiles"),
        *_xml_files("peppol-bis3/examples", recursive=True),
        *_xml_files("peppol-bis3/tests/snippets"),
        *(p for p in _xml_files("nlcius/tests/SI-UBL-2.0") if "_ok" in p.name),
        *(p for p in _xml_files("nlcius/tests/si-ubl-2.0-ext-gaccount") if "_ok" in p.name),
    ]
    return sorted(p for p in set(candidates) if _root_tag(p) in UBL_ROOTS)
