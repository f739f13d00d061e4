"""A page is recorded with one look-up of its content hashes and one of its source ids
(sync.recorder.Recorder.record_page): what the page itself adds counts as seen and known
for the records after it in the same page. SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from support.file_sources import FIXTURES

from connectors.ubl_dir import UblDirectorySource
from delivery.directory import DirectoryChannel
from sync import pipeline
from sync.store import documents, open_store, outbox
from sync.store.store import Store

pytestmark = pytest.mark.usefixtures("artifacts_cache")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url, create=True)
    opened.ensure()
    yield opened
    opened.close()


def test_the_same_content_twice_in_one_page_is_stored_and_sent_once(
    store: Store, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("a.xml", "b.xml"):  # one document under two file names, one page
        shutil.copyfile(FIXTURES / "nl-export-g.xml", inbox / name)
    shutil.copyfile(FIXTURES / "be-buyer-ogm.xml", inbox / "c.xml")
    summary = pipeline.sync_connection(
        store,
        name="shop",
        connector=UblDirectorySource(inbox, name="shop", page_size=10),
        kind="ubl-dir",
        profile="auto",
        channels=[DirectoryChannel("archive", tmp_path / "out")],
    )
    assert (summary.pulled, summary.unchanged, summary.queued, summary.delivered) == (3, 1, 2, 2)
    with store.begin() as conn:
        stored = conn.execute(select(documents.c.source_id).order_by(documents.c.id)).scalars()
        assert list(stored) == ["a.xml", "c.xml"]
        assert conn.execute(select(func.count()).select_from(outbox)).scalar_one() == 2
    assert sorted(path.name for path in (tmp_path / "out").glob("*.xml")) == [
        "HBE-26-00802.xml",
        "VD_2026_1187.xml",
    ]


def test_a_page_is_sent_with_the_envelopes_its_recorder_made_the_same_as_the_stores(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sync.outbox
    from sync.enqueue import envelopes
    from sync.recorder import Recorder

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("nl-export-g.xml", "be-buyer-ogm.xml", "nl-standard-21-9.xml"):
        shutil.copyfile(FIXTURES / name, inbox / name)
    made: dict[int, object] = {}
    enqueue_many = Recorder._enqueue_many

    def kept(self: Recorder, *args: object, **kwargs: object) -> None:
        enqueue_many(self, *args, **kwargs)  # type: ignore[arg-type]
        made.update(self.queued)

    read: list[int] = []

    def from_the_store(conn: object, ids: list[int]) -> object:
        read.extend(ids)
        return envelopes(conn, ids)  # type: ignore[arg-type]

    monkeypatch.setattr(Recorder, "_enqueue_many", kept)
    monkeypatch.setattr(sync.outbox, "envelopes", from_the_store)
    summary = pipeline.sync_connection(
        store,
        name="shop",
        connector=UblDirectorySource(inbox, name="shop", page_size=2),
        kind="ubl-dir",
        profile="auto",
        channels=[DirectoryChannel("archive", tmp_path / "out")],
    )
    assert (summary.queued, summary.delivered) == (3, 3)
    assert read == []  # each page's rows were sent with the envelopes made as they were queued
    with store.begin() as conn:
        rows = conn.execute(select(outbox.c.id, outbox.c.document_id)).all()
        stored = envelopes(conn, [row.id for row in rows])
    assert len(made) == 3
    assert {row.document_id: stored[row.id] for row in rows} == made
    assert len(list((tmp_path / "out").glob("*.xml"))) == 3
