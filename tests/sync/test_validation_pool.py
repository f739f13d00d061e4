"""The validation pool: worker processes that validate beside the cycle, find what this
process finds, survive a killed worker, and make the cycle give the same outcome."""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from support.file_sources import FIXTURES

from connectors.ubl_dir import UblDirectorySource
from delivery.directory import DirectoryChannel
from sync import pipeline
from sync.store import documents, open_store
from sync.store.store import Store
from sync.validation import INLINE, ValidationPool

pytestmark = pytest.mark.usefixtures("artifacts_cache")
XML = ["nl-standard-21-9.xml", "nl-export-g.xml", "be-buyer-ogm.xml"]


@pytest.fixture(scope="module")
def pool() -> Iterator[ValidationPool]:
    with ValidationPool(1) as started:
        yield started


def rules(findings: tuple[object, ...]) -> list[tuple[str, str, str]]:
    return sorted((f.rule, f.layer, f.severity) for f in findings)  # type: ignore[attr-defined]


def test_the_pool_finds_what_this_process_finds(pool: ValidationPool) -> None:
    valid = (FIXTURES / XML[1]).read_bytes()
    invalid = valid.replace(b"<cbc:InvoiceTypeCode>380", b"<cbc:InvoiceTypeCode>999", 1)
    assert invalid != valid
    for data in (valid, invalid):
        assert pool.submit(data).result() == INLINE.submit(data).result()
    assert rules(pool.submit(invalid).result())  # the broken code is found
    assert pool.submit(valid).result() == ()
    assert pool.restarts == 0
    assert pool.validated >= 4 and pool.validation_seconds > 0  # timed in the worker


def test_a_killed_worker_loses_no_document(pool: ValidationPool) -> None:
    datas = [(FIXTURES / name).read_bytes() for name in XML] * 8
    expected = [INLINE.submit(data).result() for data in datas[:3]] * 8
    assert pool.submit(datas[0]).result() == expected[0]  # the worker runs
    restarts = pool.restarts
    pending = [pool.submit(data) for data in datas]
    executor = pool._executor
    assert executor is not None
    for pid in list(executor._processes):  # type: ignore[attr-defined]
        os.kill(pid, signal.SIGKILL)
    assert [each.result() for each in pending] == expected
    assert pool.restarts == restarts + 1  # one new start, however many answers were lost
    assert pool.submit(datas[1]).result() == expected[1]  # and it goes on


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
        store: Store = open_store(
            store_url if mode == "pool" else f"sqlite:///{tmp_path / 'here.db'}", create=True
        )
        try:
            store.ensure()
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
        finally:
            store.close()
        delivered = sorted(path.name for path in archive.glob("*.xml"))
        outcomes.append((summary.pulled, summary.delivered, summary.quarantined, states, delivered))
    assert outcomes[0] == outcomes[1]
    pulled, delivered, quarantined, _, files = outcomes[1]
    assert (pulled, delivered, quarantined, len(files)) == (4, 3, 1, 3)
