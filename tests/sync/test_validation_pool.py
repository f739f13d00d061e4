"""The validation pool: worker processes that write and validate beside the cycle, give what
this process gives, survive a killed worker, blame a document that kills its worker, and
make the cycle give the same outcome."""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from support.file_sources import FIXTURES

import ubl
from connectors.base import Record
from connectors.ubl_dir import UblDirectorySource
from delivery.directory import DirectoryChannel
from model import Invoice
from sync import pipeline
from sync.documents import Refused, Written
from sync.store import documents, open_store
from sync.store.keys import content_hash
from sync.store.store import Store
from sync.validation import INLINE, VALIDATOR_DIED, ValidationPool

pytestmark = pytest.mark.usefixtures("artifacts_cache")
XML = ["nl-standard-21-9.xml", "nl-export-g.xml", "be-buyer-ogm.xml"]
XRECHNUNG = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"


@pytest.fixture(scope="module")
def pool() -> Iterator[ValidationPool]:
    with ValidationPool(1) as started:
        yield started


def parsed(data: bytes) -> Invoice:
    return ubl.parse(data).document


def rules(findings: tuple[object, ...]) -> list[tuple[str, str, str]]:
    return sorted((f.rule, f.layer, f.severity) for f in findings)  # type: ignore[attr-defined]


class Poison(Invoice):
    """An invoice whose copy in a worker process ends that process as it is unpickled: a
    document that stops the worker every time it is handed to one."""

    __slots__ = ()

    def __reduce__(self) -> tuple[object, tuple[int]]:
        return (os._exit, (70,))


@contextmanager
def mode_store(store_url: str, tmp_path: Path, mode: str) -> Iterator[Store]:
    """The store of one mode of a comparison: a SQLite file of its own for ``here``, the
    test's store for the pool."""
    store = open_store(
        store_url if mode == "pool" else f"sqlite:///{tmp_path / 'here.db'}", create=True
    )
    try:
        store.ensure()
        yield store
    finally:
        store.close()


def test_the_pool_writes_and_finds_what_this_process_does(pool: ValidationPool) -> None:
    data = (FIXTURES / XML[1]).read_bytes()
    valid = parsed(data)
    # the writer refuses what breaks a rule it knows (BR-CL-01 for a type code 999): what only
    # the validator finds here is a customization id of none of the three profiles
    invalid = replace(valid, customization_id=XRECHNUNG)
    unbalanced = replace(valid, totals=replace(valid.totals, payable=valid.totals.payable + 1))
    drafts = [(valid, "auto"), (invalid, "auto"), (unbalanced, "auto")]
    here = [each.result() for each in INLINE.submit(drafts)]
    assert [each.result() for each in pool.submit(drafts)] == here
    written, broken, refused = here
    assert isinstance(written, Written) and written.findings == ()
    assert written.content_hash == content_hash(written.ubl) and written.ubl == ubl.write(valid)
    assert isinstance(broken, Written)
    assert rules(broken.findings) == [("UNKNOWN-CUSTOMIZATION-ID", "schematron", "warning")]
    assert isinstance(refused, Refused) and "BR-CO-16" in {f.rule for f in refused.findings}
    # a hash the store holds is written and hashed, not validated again
    [again] = pool.submit([(invalid, "auto")], known={broken.content_hash})
    assert again.result() == Written(broken.ubl, broken.content_hash, ())
    assert pool.restarts == 0
    assert pool.validated >= 4 and pool.validation_seconds > 0  # timed in the worker


def test_the_workers_stage_the_file_of_each_valid_document_they_validate(
    pool: ValidationPool, tmp_path: Path
) -> None:
    from delivery.base import safe_file_name
    from delivery.directory_staging import DirectoryStager, staged_name

    valid = parsed((FIXTURES / XML[1]).read_bytes())
    other = replace(valid, number="STAGE-2")
    known = replace(valid, number="STAGE-3")
    unbalanced = replace(valid, totals=replace(valid.totals, payable=valid.totals.payable + 1))
    [held] = INLINE.submit([(known, "auto")])
    folder = tmp_path / "archive"
    drafts = [(valid, "auto"), (other, "auto"), (known, "auto"), (unbalanced, "auto")]
    pending = pool.submit(drafts, {held.result().content_hash}, [DirectoryStager(str(folder))])
    answers = [each.result() for each in pending]
    expected = sorted(
        staged_name(safe_file_name(document.number), answer.content_hash)
        for document, answer in zip([valid, other], answers, strict=False)
        if isinstance(answer, Written)
    )
    # written in the worker: not the refused one, not the one whose hash the store holds
    assert sorted(path.name for path in folder.iterdir()) == expected
    assert len(expected) == 2
    for (document, _), answer in zip(drafts[:2], answers, strict=False):
        assert isinstance(answer, Written)
        name = staged_name(safe_file_name(document.number), answer.content_hash)
        assert (folder / name).read_bytes() == answer.ubl


def test_each_document_is_observed_and_busy_counts_the_workers_at_work(tmp_path: Path) -> None:
    valid = parsed((FIXTURES / XML[1]).read_bytes())
    seconds: list[float] = []
    with ValidationPool(2, observe=seconds.append) as two:
        assert two.busy == 0
        pending = two.submit([(valid, "auto")] * 40)
        assert two.busy == 2  # forty documents ahead: both workers have work
        outcomes = [each.result() for each in pending]
        assert len(seconds) == 40 and all(each > 0 for each in seconds)
        assert two.validated == 40 and two.validation_seconds == pytest.approx(sum(seconds))
        # taken again: the same outcomes, observed once
        assert [each.result() for each in pending] == outcomes and len(seconds) == 40
        assert two.busy == 0


def test_a_killed_worker_loses_no_document(pool: ValidationPool) -> None:
    drafts = [(parsed((FIXTURES / name).read_bytes()), "auto") for name in XML] * 8
    expected = [each.result() for each in INLINE.submit(drafts)]
    assert pool.submit(drafts[:1])[0].result() == expected[0]  # the worker runs
    restarts = pool.restarts
    pending = pool.submit(drafts)
    executor = pool._executor
    assert executor is not None
    for pid in list(executor._processes):  # type: ignore[attr-defined]
        os.kill(pid, signal.SIGKILL)
    assert [each.result() for each in pending] == expected
    assert pool.restarts == restarts + 1  # one new start, however many answers were lost
    assert pool.submit(drafts[1:2])[0].result() == expected[1]  # and it goes on


def test_a_document_that_stops_its_worker_twice_is_blamed_alone(tmp_path: Path) -> None:
    data = (FIXTURES / XML[1]).read_bytes()
    good = parsed(data)
    poison = Poison(**{name: getattr(good, name) for name in good.__dataclass_fields__})
    drafts = [(good, "auto"), (poison, "auto"), (good, "auto")]
    with ValidationPool(1) as one:
        outcomes = [each.result() for each in one.submit(drafts)]
        assert outcomes[0] == outcomes[2] == INLINE.submit(drafts[:1])[0].result()
        died = outcomes[1]
        assert isinstance(died, Written)
        assert [(f.rule, f.layer, f.fatal) for f in died.findings] == [
            (VALIDATOR_DIED, "input", True)
        ]
        assert died.ubl == ubl.write(good) and died.content_hash == content_hash(died.ubl)
        assert one.restarts == 2  # the pool's, and the worker of its own it stopped again
        assert one.submit(drafts[:1])[0].result() == outcomes[0]  # and it goes on


def test_a_cycle_with_the_pool_gives_what_a_cycle_in_this_process_gives(
    store_url: str, tmp_path: Path, pool: ValidationPool
) -> None:
    outcomes = []
    for mode, validator in (("here", INLINE), ("pool", pool)):
        inbox, archive = tmp_path / mode / "inbox", tmp_path / mode / "out"
        inbox.mkdir(parents=True)
        for name in XML:
            shutil.copyfile(FIXTURES / name, inbox / name)
        (inbox / "invalid.xml").write_bytes(
            (FIXTURES / XML[1])
            .read_bytes()
            .replace(b"<cbc:InvoiceTypeCode>380", b"<cbc:InvoiceTypeCode>999", 1)
            .replace(b"<cbc:ID>", b"<cbc:ID>X", 1)
        )
        with mode_store(store_url, tmp_path, mode) as store:
            summary = pipeline.sync_connection(
                store,
                name="shop",
                connector=UblDirectorySource(inbox, name="shop", page_size=2),
                kind="ubl-dir",
                profile="auto",
                channels=[DirectoryChannel("archive", archive)],
                validator=validator,
            )
            with store.begin() as conn:
                states = sorted(
                    (
                        row.source_id,
                        row.state,
                        tuple(sorted(f["rule"] for f in row.validation_report)),
                    )
                    for row in conn.execute(select(documents))
                )
        delivered = sorted(path.name for path in archive.glob("*.xml"))
        # the pool's workers staged each valid document's file; each send took its own
        assert [path.name for path in archive.glob(".*") if path.name != ".ledgerlink"] == []
        outcomes.append((summary.pulled, summary.delivered, summary.quarantined, states, delivered))
    assert outcomes[0] == outcomes[1]
    pulled, delivered, quarantined, _, files = outcomes[1]
    assert (pulled, delivered, quarantined, len(files)) == (4, 3, 1, 3)


def test_what_crosses_the_pool_boundary_comes_back_the_same_in_its_compact_form() -> None:
    import pickle
    from dataclasses import FrozenInstanceError
    from multiprocessing.reduction import ForkingPickler

    from model.findings import Finding
    from sync.compact_pickling import compact_pickling

    compact_pickling()
    invoice = parsed((FIXTURES / XML[1]).read_bytes())
    finding = Finding(rule="BR-01", layer="schematron", message="m", hint="h", line=3)
    answers = [
        invoice,
        Written(b"<Invoice/>", "0" * 64, (finding,), '{"number": "1"}'),
        Refused("refused", (finding,)),
    ]
    for sent in answers:
        data = bytes(ForkingPickler.dumps(sent))
        assert b"compact_pickling" in data  # the compact form, not the default protocol's
        copy = pickle.loads(data)
        assert copy == sent and type(copy) is type(sent)
    copy = pickle.loads(bytes(ForkingPickler.dumps(invoice)))
    assert [type(line) for line in copy.lines] == [type(line) for line in invoice.lines]
    assert copy.lines == invoice.lines and copy.totals == invoice.totals
    with pytest.raises(FrozenInstanceError):
        copy.number = "changed"  # type: ignore[misc]


def _model_json_inbox(folder: Path) -> Path:
    """Two valid model-JSON invoices, one whose figures break no JSON rule but read as a
    float (held, the error with its line read from the file again), one with an unknown
    key (held by the model's reader)."""
    import json

    source = json.loads((FIXTURES / "nl-export-g.json").read_text(encoding="utf-8"))
    folder.mkdir(parents=True)
    for number in ("MJ-1", "MJ-2"):
        (folder / f"{number}.json").write_text(json.dumps({**source, "number": number}))
    text = json.dumps({**source, "number": "MJ-FLOAT"}, indent=2)
    (folder / "float.json").write_text(text.replace('"type_code": "380"', '"type_code": 380.5'))
    (folder / "unknown.json").write_text(json.dumps({**source, "number": "MJ-KEY", "colour": 1}))
    return folder


def mapped_here(seen: list[str], original: Any) -> Any:
    def mapping(source: object, record: Record, *args: Any, **kwargs: Any) -> Any:
        seen.append(record.id)
        return original(source, record, *args, **kwargs)

    return mapping


def test_a_pool_maps_model_json_records_in_its_workers_with_the_same_outcome(
    tmp_path: Path, store_url: str, pool: ValidationPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from connectors.model_json import ModelJsonSource
    from sync.store import quarantine

    here: list[str] = []
    outcomes = []
    for mode, validator in (("here", INLINE), ("pool", pool)):
        if mode == "pool":  # which records are mapped here, not in the pool's workers
            monkeypatch.setattr(pipeline, "map_record", mapped_here(here, pipeline.map_record))
        inbox = _model_json_inbox(tmp_path / mode / "inbox")
        with mode_store(store_url, tmp_path, mode) as store:
            summary = pipeline.sync_connection(
                store,
                name="export",
                connector=ModelJsonSource(inbox, name="export", page_size=3),
                kind="model-json",
                profile="auto",
                channels=[DirectoryChannel("archive", tmp_path / mode / "out")],
                validator=validator,
            )
            with store.begin() as conn:
                stored = sorted(
                    (row.source_id, row.number, row.state, row.buyer_name, row.model["number"])
                    for row in conn.execute(select(documents))
                )
                held = sorted(
                    (
                        row.source_id,
                        row.stage,
                        row.state,
                        json.dumps(row.findings, sort_keys=True).replace(str(inbox), "<inbox>"),
                    )
                    for row in conn.execute(select(quarantine))
                )
        counts = (summary.pulled, summary.delivered, summary.held, summary.queued)
        outcomes.append((counts, stored, held))
    assert outcomes[0] == outcomes[1]
    # only the file the listing could not read strictly (a float) is mapped here
    assert here == ["float.json"]
    counts, stored, held = outcomes[1]
    assert counts == (4, 2, 2, 2)
    assert [row[1] for row in stored] == ["MJ-1", "MJ-2"]
    assert [(row[0], row[1], row[2]) for row in held] == [
        ("float.json", "map", "held"),
        ("unknown.json", "map", "held"),
    ]
    assert "<inbox>/float.json:7: [type_code]" in held[0][3]  # read again for its line
    assert "colour" in held[1][3]
