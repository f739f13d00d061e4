"""Round trip over the official corpus: parse -> write (profile "auto") -> parse.

Each document must read back into an equal model, and the written XML must not have a fatal
XSD or Schematron issue the original did not have (compared as (layer, rule) pairs).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.corpus import VALIDATION, roundtrip_corpus

from ubl.parser import parse_document
from ubl.profiles import resolve
from ubl.validate import Report, validate
from ubl.writer import write_document

CORPUS = roundtrip_corpus()


def corpus_id(path: Path) -> str:
    return str(path.relative_to(VALIDATION))


def fatal_rules(report: Report) -> set[tuple[str, str]]:
    return {(issue.layer, issue.rule) for issue in report.fatal}


@pytest.mark.slow
@pytest.mark.usefixtures("artifacts_cache")
@pytest.mark.parametrize("path", CORPUS or [None], ids=corpus_id if CORPUS else ["no-shared"])
def test_parse_write_parse_keeps_the_model_and_adds_no_fatal_issue(path: Path | None) -> None:
    assert path is not None
    original = path.read_bytes()
    document = parse_document(original).document
    written = write_document(document, resolve("auto", document))

    assert parse_document(written).document == document

    before = fatal_rules(validate(original))
    report = validate(written)
    added = fatal_rules(report) - before
    details = [
        f"{i.layer} {i.rule} at line {i.line}: {i.message}"
        for i in report.issues
        if (i.layer, i.rule) in added
    ]
    assert not added, "written XML adds fatal issues:\n" + "\n".join(details)
