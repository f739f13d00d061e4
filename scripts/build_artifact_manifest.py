"""Build ``ubl/artifacts/manifest.json``: the pinned artifact bundles the validator runs.

Usage::

    python scripts/build_artifact_manifest.py [--source DIR] [--output FILE] [--check]

``--source`` is a folder laid out like the shared validation folder (default
``$LEDGERLINK_SHARED/validation``, else ``../shared/validation``). For every file of
every bundle declared below the script reads the official copy there and records its
path inside the bundle, sha256, size and pinned upstream URL. The manifest is
committed; the official files never are.

``--check`` writes nothing and exits 1 when the committed manifest differs from what
the source folder gives (a test runs it when the shared folder is present).

Every URL is pinned to an immutable upstream location: a full commit id where the
stored snapshots show it, else a release tag, else the OASIS Standard directory
(``os-UBL-2.1``, which OASIS never changes). Never a branch.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "ubl" / "artifacts" / "manifest.json"

# OASIS UBL 2.1 OASIS Standard (2013-11-04): the runtime schemas (no annotations).
OASIS_XSDRT = "https://docs.oasis-open.org/ubl/os-UBL-2.1/xsdrt"
# CEN/TC 434 EN 16931 validation artefacts, tag validation-1.3.16.
EN16931_AT_1_3_16 = (
    "https://raw.githubusercontent.com/ConnectingEurope/eInvoicing-EN16931/"
    "b6c9e06a59812fb1a83585da40923b3678a649ad"
)
# phive-rules: the commit that added the Peppol 2026.5 (BIS Billing 3.0.21) rule set.
PHIVE_PEPPOL_2026_5 = (
    "https://raw.githubusercontent.com/phax/phive-rules/"
    "1f3b65f548d710b47787c4db02d5853b5a6ef777/"
    "phive-rules-peppol/src/main/resources/external/schematron/openpeppol/2026.5/xslt"
)
# phive-rules: the commit that added SI-UBL 2.0.3.13.
PHIVE_SI_UBL_2_0_3_13 = (
    "https://raw.githubusercontent.com/phax/phive-rules/"
    "f273c5795a565c86c3d70b5f1129890b57c33e51/"
    "phive-rules-simplerinvoicing/src/main/resources/external/schematron/simplerinvoicing"
)
# peppolautoriteit-nl/validation, repository release tag 2025-11-27 (SI-UBL 2.0.3.12).
NL_VALIDATION_2025_11_27 = (
    "https://raw.githubusercontent.com/peppolautoriteit-nl/validation/2025-11-27"
)

UBL_COMMON = (
    "CCTS_CCT_SchemaModule-2.1.xsd",
    "UBL-CommonAggregateComponents-2.1.xsd",
    "UBL-CommonBasicComponents-2.1.xsd",
    "UBL-CommonExtensionComponents-2.1.xsd",
    "UBL-CommonSignatureComponents-2.1.xsd",
    "UBL-CoreComponentParameters-2.1.xsd",
    "UBL-ExtensionContentDataType-2.1.xsd",
    "UBL-QualifiedDataTypes-2.1.xsd",
    "UBL-SignatureAggregateComponents-2.1.xsd",
    "UBL-SignatureBasicComponents-2.1.xsd",
    "UBL-UnqualifiedDataTypes-2.1.xsd",
    "UBL-XAdESv132-2.1.xsd",
    "UBL-XAdESv141-2.1.xsd",
    "UBL-xmldsig-core-schema-2.1.xsd",
)
UBL_MAINDOC = ("UBL-Invoice-2.1.xsd", "UBL-CreditNote-2.1.xsd")


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One bundle file: its path in the bundle, in the source folder, and upstream."""

    path: str
    source: str
    url: str


@dataclass(frozen=True, slots=True)
class BundleSource:
    name: str
    version: str
    description: str
    licence: str
    files: tuple[SourceFile, ...]


def _ubl_xsd_files() -> tuple[SourceFile, ...]:
    common = [
        SourceFile(
            f"xsdrt/common/{name}",
            f"xsd/ubl-2.1/xsdrt/common/{name}",
            f"{OASIS_XSDRT}/common/{name}",
        )
        for name in UBL_COMMON
    ]
    maindoc = [
        SourceFile(
            f"xsdrt/maindoc/{name}",
            f"xsd/ubl-2.1/xsdrt/maindoc/{name}",
            f"{OASIS_XSDRT}/maindoc/{name}",
        )
        for name in UBL_MAINDOC
    ]
    return (*common, *maindoc)


BUNDLES: tuple[BundleSource, ...] = (
    BundleSource(
        name="ubl-2.1-xsd",
        version="2.1",
        description="OASIS UBL 2.1 runtime schemas (xsdrt): common/ and the Invoice and "
        "CreditNote main documents",
        licence="OASIS copyright notice (os-UBL-2.1 NOTICE)",
        files=_ubl_xsd_files(),
    ),
    BundleSource(
        name="en16931-ubl",
        version="1.3.16",
        description="CEN/TC 434 EN 16931 UBL rules, the official compiled XSLT",
        licence="EUPL-1.2",
        files=(
            SourceFile(
                "xslt/EN16931-UBL-validation.xslt",
                "en16931/xslt/EN16931-UBL-validation.xslt",
                f"{EN16931_AT_1_3_16}/ubl/xslt/EN16931-UBL-validation.xslt",
            ),
        ),
    ),
    BundleSource(
        name="peppol-bis3",
        version="3.0.21",
        description="Peppol BIS Billing 3.0.21 (May 2026 release): CEN and PEPPOL rules, "
        "compiled to XSLT by phive-rules",
        licence="Apache-2.0 (phive-rules); rules reproduced with permission from CEN",
        files=(
            SourceFile(
                "xslt/CEN-EN16931-UBL.xslt",
                "peppol-bis3/xslt/CEN-EN16931-UBL.xslt",
                f"{PHIVE_PEPPOL_2026_5}/CEN-EN16931-UBL.xslt",
            ),
            SourceFile(
                "xslt/PEPPOL-EN16931-UBL.xslt",
                "peppol-bis3/xslt/PEPPOL-EN16931-UBL.xslt",
                f"{PHIVE_PEPPOL_2026_5}/PEPPOL-EN16931-UBL.xslt",
            ),
        ),
    ),
    BundleSource(
        name="nlcius",
        version="2.0.3.13",
        description="SI-UBL 2.0.3.13 (NLCIUS rules + CEN 1.3.16), compiled to XSLT by phive-rules",
        licence="MIT (SI-UBL) / Apache-2.0 (phive-rules)",
        files=(
            SourceFile(
                "xslt/si-ubl-2.0.3.13.xslt",
                "nlcius/xslt/si-ubl-2.0.3.13.xslt",
                f"{PHIVE_SI_UBL_2_0_3_13}/si-ubl-2.0.3.13.xslt",
            ),
        ),
    ),
    BundleSource(
        name="nlcius",
        version="2.0.3.12",
        description="SI-UBL 2.0.3.12 (NLCIUS rules + CEN 1.3.15), the official XSL",
        licence="MIT",
        files=(
            SourceFile(
                "xslt/si-ubl-2.0.3.12.xsl",
                "nlcius/xslt/si-ubl-2.0.3.12.xsl",
                f"{NL_VALIDATION_2025_11_27}/xsl/si-ubl-2.0.xsl",
            ),
        ),
    ),
)


def default_source() -> Path:
    """``$LEDGERLINK_SHARED/validation``, else ``../shared/validation`` beside the repo."""
    shared = os.environ.get("LEDGERLINK_SHARED")
    return (Path(shared) if shared else REPO_ROOT.parent / "shared") / "validation"


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def build(source: Path) -> dict[str, object]:
    """The manifest as a JSON-ready dict; raises FileNotFoundError naming a missing file."""
    bundles = []
    for bundle in BUNDLES:
        files = []
        for file in bundle.files:
            official = source / file.source
            if not official.is_file():
                raise FileNotFoundError(f"{file.source} is missing under {source}")
            files.append(
                {
                    "path": file.path,
                    "sha256": _sha256(official),
                    "size": official.stat().st_size,
                    "url": file.url,
                }
            )
        bundles.append(
            {
                "name": bundle.name,
                "version": bundle.version,
                "description": bundle.description,
                "licence": bundle.licence,
                "files": files,
            }
        )
    return {"generated_by": "scripts/build_artifact_manifest.py", "bundles": bundles}


def render(manifest: dict[str, object]) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=None, help="the validation folder")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args(argv)
    source: Path = args.source or default_source()
    try:
        text = render(build(source))
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    output: Path = args.output
    if args.check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != text:
            print(
                f"{output} is out of date with {source}: run scripts/build_artifact_manifest.py",
                file=sys.stderr,
            )
            return 1
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
