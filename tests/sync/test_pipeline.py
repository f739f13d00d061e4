"""The pipeline: each valid document delivered once, the file-source gaps closed, changes
after delivery flagged and never re-sent, invalid and held records kept with their reasons.
Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Collection, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from support.file_sources import FIXTURES, SHARED_MTIME, set_mtime

from connectors.model_json import ModelJsonSource
from connectors.ubl_dir import UblDirectorySource
from delivery.directory import DirectoryChannel
from model.findings import Finding
from sync import pipeline, validation
from sync.documents import Refused, Written, write_validated
from sync.store import StoreUnavailable, documents, events, open_store, outbox, quarantine
from sync.store.store import Store

pytestmark = pytest.mark.usefixtures("artifacts_cache")
XML = ["nl-standard-21-9.xml", "nl-export-g.xml", "be-buyer-ogm.xml"]


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url, create=True)
    opened.ensure()
    yield opened
    opened.close()


def inbox_with(folder: Path, names: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copyfile(FIXTURES / name, folder / name)
    return folder


def cycle(
    store: Store, inbox: Path, archive: Path, *, source: Any = None, **options: Any
) -> pipeline.CycleSummary:
    connector = source or UblDirectorySource(inbox, name="shop", page_size=2)
    return pipeline.sync_connection(
        store,
        name="shop",
        connector=connector,
        kind="ubl-dir",
        profile=options.pop("profile", "auto"),
        channels=[DirectoryChannel("archive", archive)],
        **options,
    )


def delivered_files(archive: Path) -> list[str]:
    return sorted(path.name for path in archive.glob("*.xml"))


def count(store: Store, table: Any, *where: Any) -> int:
    with store.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def test_each_valid_document_is_delivered_once_however_often_the_cycle_runs(
    store: Store, tmp_path: Path
) -> None:
    inbox, archive = inbox_with(tmp_path / "inbox", XML), tmp_path / "delivered"
    first = cycle(store, inbox, archive)
    assert (first.pulled, first.unchanged, first.delivered, first.quarantined) == (3, 0, 3, 0)
    again = cycle(store, inbox, archive)
    assert (again.pulled, again.unchanged, again.delivered, again.queued) == (3, 3, 0, 0)
    assert len(delivered_files(archive)) == 3
    assert count(store, outbox) == 3 and count(store, documents) == 3
    with store.begin() as conn:
        row = conn.execute(select(documents).order_by(documents.c.id)).first()
    assert row is not None
    assert row.content_hash == hashlib.sha256(row.ubl).hexdigest()
    assert (archive / f"{row.number}.xml").read_bytes() == row.ubl
    assert row.source_id in XML and row.parse_report is not None  # inbound UBL: its report
    assert row.model["number"] == row.number
    assert all(finding["severity"] != "fatal" for finding in row.validation_report)


def test_a_file_arriving_in_the_same_clock_tick_as_the_last_one_is_not_lost(
    store: Store, tmp_path: Path
) -> None:
    inbox, archive = inbox_with(tmp_path / "inbox", ["nl-standard-21-9.xml"]), tmp_path / "out"
    set_mtime(inbox / "nl-standard-21-9.xml", SHARED_MTIME)
    assert cycle(store, inbox, archive).delivered == 1
    # arrives in the same tick, and sorts before the last file: the cursor alone is past it
    shutil.copyfile(FIXTURES / "be-buyer-ogm.xml", inbox / "be-buyer-ogm.xml")
    set_mtime(inbox / "be-buyer-ogm.xml", SHARED_MTIME)
    later = cycle(store, inbox, archive)
    assert (later.delivered, later.unchanged) == (1, 1)
    assert len(delivered_files(archive)) == 2
    without = cycle(store, inbox, tmp_path / "other", lookback=timedelta(0))
    assert without.pulled == 0  # what the look-back closes: the cursor alone skips it


def test_a_renamed_file_is_the_same_content_and_never_sent_again(
    store: Store, tmp_path: Path
) -> None:
    inbox, archive = inbox_with(tmp_path / "inbox", XML), tmp_path / "out"
    cycle(store, inbox, archive)
    (inbox / XML[0]).rename(inbox / "renamed.xml")
    again = cycle(store, inbox, archive)
    assert again.pulled >= 1 and again.delivered == 0 and again.queued == 0
    assert count(store, outbox) == 3 and len(delivered_files(archive)) == 3


def model_json(folder: Path, name: str, **changes: Any) -> Path:
    data = json.loads((FIXTURES / "nl-standard-21-9.json").read_text(encoding="utf-8"))
    data.update(changes)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_change_after_delivery_is_flagged_with_its_terms_and_never_re_sent(
    store: Store, tmp_path: Path
) -> None:
    inbox, archive = tmp_path / "inbox", tmp_path / "out"
    path = model_json(inbox, "inv.json")
    source = ModelJsonSource(inbox, name="shop")
    assert cycle(store, inbox, archive, source=source, profile="peppol-bis3").delivered == 1
    model_json(inbox, "inv.json", due_date="2027-03-31")
    set_mtime(path, SHARED_MTIME)
    changed = cycle(store, inbox, archive, source=source, profile="peppol-bis3")
    assert (changed.changed, changed.queued, changed.delivered) == (1, 0, 0)
    assert count(store, outbox) == 1 and len(delivered_files(archive)) == 1
    with store.begin() as conn:
        event = conn.execute(
            select(events).where(events.c.to_state == "changed-after-delivery")
        ).one()
    assert event.details["changed"] == ["due_date (BT-9)"]
    assert cycle(store, inbox, archive, source=source, profile="peppol-bis3").changed == 0


def test_a_change_before_delivery_replaces_the_queued_version(store: Store, tmp_path: Path) -> None:
    inbox, archive = tmp_path / "inbox", tmp_path / "out"
    path = model_json(inbox, "inv.json")
    source = ModelJsonSource(inbox, name="shop")
    assert cycle(store, inbox, archive, source=source, profile="peppol-bis3", deliver=False).queued
    model_json(inbox, "inv.json", due_date="2027-03-31")
    set_mtime(path, SHARED_MTIME)
    replaced = cycle(store, inbox, archive, source=source, profile="peppol-bis3")
    assert (replaced.changed, replaced.queued, replaced.delivered, replaced.failed) == (0, 1, 1, 0)
    (sent,) = archive.glob("*.xml")
    assert "2027-03-31" in sent.read_text(encoding="utf-8")  # the new version, not the old
    assert count(store, outbox, outbox.c.state == "cancelled") == 1
    assert count(store, documents, documents.c.state == "superseded") == 1
    superseded = (events.c.to_state == "superseded", events.c.pushed_at.is_not(None))
    assert count(store, events, *superseded) == 1  # nothing to tell the source about it


def test_an_invalid_document_is_quarantined_with_an_event_naming_rules_and_hints(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    finding = Finding(rule="BR-NL-1", layer="schematron", message="no KvK", hint="add it")
    monkeypatch.setattr(validation, "findings_of", lambda ubl: (finding,))  # the validator's seam
    inbox, archive = inbox_with(tmp_path / "inbox", XML[:1]), tmp_path / "out"
    summary = cycle(store, inbox, archive)
    assert (summary.quarantined, summary.delivered, summary.troubled) == (1, 0, True)
    assert delivered_files(archive) == []
    with store.begin() as conn:
        document = conn.execute(select(documents)).one()
        event = conn.execute(select(events)).one()
        held = conn.execute(select(quarantine)).one()
    assert document.state == "quarantined" and document.validation_report == [finding.to_dict()]
    assert (event.to_state, event.details["rules"], event.details["hints"]) == (
        "quarantined",
        ["BR-NL-1"],
        ["add it"],
    )
    assert (held.stage, held.document_id, held.record["id"]) == ("validate", document.id, XML[0])


def test_a_record_that_cannot_be_read_is_held_and_retry_builds_it_after_the_fix(
    store: Store, tmp_path: Path
) -> None:
    inbox, archive = inbox_with(tmp_path / "inbox", XML[:1]), tmp_path / "out"
    (inbox / "broken.xml").write_text("not xml", encoding="utf-8")
    summary = cycle(store, inbox, archive)
    assert (summary.held, summary.delivered) == (1, 1)
    assert cycle(store, inbox, archive, lookback=timedelta(days=1)).held == 0  # not held twice
    with store.begin() as conn:
        row = conn.execute(select(quarantine)).one()
    assert (row.state, row.record["id"]) == ("held", "broken.xml")
    assert "broken.xml" in row.findings[0]["message"]
    shutil.copyfile(FIXTURES / XML[1], inbox / "broken.xml")  # the user fixed it
    retried = pipeline.retry_connection(
        store,
        name="shop",
        connector=UblDirectorySource(inbox, name="shop"),
        kind="ubl-dir",
        profile="auto",
        channels=[DirectoryChannel("archive", archive)],
    )
    assert (retried.delivered, retried.held) == (1, 0)
    assert count(store, quarantine, quarantine.c.resolved_at.is_(None)) == 0
    assert len(delivered_files(archive)) == 2


def test_a_store_lost_mid_cycle_keeps_the_cursor_of_the_last_commit_and_the_next_resumes(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, archive = inbox_with(tmp_path / "inbox", XML), tmp_path / "out"
    begin, calls = store.begin, {"n": 0}

    def failing_begin() -> Any:
        calls["n"] += 1
        if calls["n"] == 5:  # connection row, page 1 (read, write), page 2 read, page 2 write
            raise StoreUnavailable("cannot use the store: server closed the connection")
        return begin()

    monkeypatch.setattr(store, "begin", failing_begin)
    with pytest.raises(StoreUnavailable):
        cycle(store, inbox, archive)
    monkeypatch.setattr(store, "begin", begin)
    assert count(store, documents) == 2  # the first page, committed with its cursor
    resumed = cycle(store, inbox, archive, lookback=timedelta(0))
    assert resumed.pulled == 1  # the cursor of the first page: only the rest is pulled
    assert len(delivered_files(archive)) == 3 and count(store, outbox) == 3


def test_a_csv_row_added_later_with_an_older_updated_at_is_taken_within_the_look_back(
    store: Store, tmp_path: Path
) -> None:
    import csv

    from support.csv_export import CUSTOMER, SELLER

    from connectors.csv_file import CsvConnector

    def rows(number: str, updated_at: str) -> list[dict[str, str]]:
        line = {"description": "Papier", "quantity": "2", "unit": "stuk", "unit_price": "10.00"}
        return [{"number": number, **CUSTOMER, **line, "vat_code": "21", "updated_at": updated_at}]

    def export(*invoices: list[dict[str, str]]) -> None:
        every = [row for invoice in invoices for row in invoice]
        with (tmp_path / "export.csv").open("w", encoding="utf-8", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=list(every[0]))
            writer.writeheader()
            writer.writerows(every)

    archive = tmp_path / "out"
    export(rows("INV-1", "2026-01-02T10:00:00"))
    source = CsvConnector(tmp_path / "export.csv", seller=SELLER, name="shop")
    first = cycle(store, tmp_path, archive, source=source, profile="peppol-bis3")
    assert first.delivered == 1, first
    export(rows("INV-1", "2026-01-02T10:00:00"), rows("INV-2", "2026-01-02T09:58:00"))
    assert cycle(store, tmp_path, archive, source=source, lookback=timedelta(0)).pulled == 0
    later = cycle(store, tmp_path, archive, source=source, profile="peppol-bis3")
    assert (later.delivered, later.unchanged) == (1, 1)
    assert delivered_files(archive) == ["INV-1.xml", "INV-2.xml"]


def test_postgresql_lost_mid_cycle_stops_it_and_the_next_cycle_resumes_at_the_last_commit(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real loss: the server ends the session of the second page's transaction."""
    from sqlalchemy import create_engine, text

    from sync.store.urls import driver_url

    store = open_store(postgres_url, create=True)
    store.ensure()
    killer = create_engine(driver_url(postgres_url))
    save, calls = pipeline._save_cursor, {"n": 0}

    def lost_on_the_second_page(conn: Any, connection: int, cursor: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            with killer.begin() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        save(conn, connection, cursor)

    monkeypatch.setattr(pipeline, "_save_cursor", lost_on_the_second_page)
    inbox, archive = inbox_with(tmp_path / "inbox", XML), tmp_path / "out"
    try:
        with pytest.raises(StoreUnavailable, match="cannot use the store"):
            cycle(store, inbox, archive)
        assert count(store, documents) == 2  # page 1 and its cursor; page 2 rolled back
        # page 1 was sent right after its commit, before the loss
        assert len(delivered_files(archive)) == 2
        resumed = cycle(store, inbox, archive, lookback=timedelta(0))
        assert (resumed.pulled, resumed.delivered) == (1, 1)
        assert len(delivered_files(archive)) == 3 and count(store, outbox) == 3
    finally:
        killer.dispose()
        store.close()


def test_an_unmapped_code_is_held_naming_the_code_and_the_file_and_retry_builds_it_after_the_fix(
    store: Store, tmp_path: Path
) -> None:
    import csv

    from support.csv_export import CUSTOMER, SELLER

    import mappings
    from connectors.csv_file import CsvConnector

    line = {"description": "Papier", "quantity": "2", "unit": "stuk", "unit_price": "10.00"}
    row = {"number": "INV-7", **CUSTOMER, **line, "vat_code": "super-hoog"}
    with (tmp_path / "export.csv").open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    archive = tmp_path / "out"
    source = CsvConnector(tmp_path / "export.csv", seller=SELLER, name="shop")
    held = cycle(store, tmp_path, archive, source=source, profile="peppol-bis3")
    assert (held.held, held.delivered, held.troubled) == (1, 0, True)
    with store.begin() as conn:
        row_held = conn.execute(select(quarantine)).one()
    (finding,) = row_held.findings
    assert finding["layer"] == "mapping" and "super-hoog" in finding["message"]
    assert "mappings_override" in (finding["hint"] or "") + finding["message"]
    assert row_held.record["data"]["rows"]  # the record data, to rebuild it
    override = tmp_path / "tenant.toml"
    override.write_text('[vat."super-hoog"]\ncategory = "S"\nrate = "21"\n', encoding="utf-8")
    fixed = CsvConnector(
        tmp_path / "export.csv",
        seller=SELLER,
        name="shop",
        mapping=mappings.load("csv", overrides=[override]),
    )
    retried = pipeline.retry_connection(
        store,
        name="shop",
        connector=fixed,
        kind="csv",
        channels=[DirectoryChannel("archive", archive)],
    )
    assert (retried.held, retried.delivered) == (0, 1)
    assert delivered_files(archive) == ["INV-7.xml"]


class NoBuyerAddress:
    """A channel that carries nothing (as e-mail does for a buyer without an address)."""

    name, kind = "mail", "smtp"

    def accepts(self, envelope: Any) -> bool:
        return False

    def close(self) -> None:
        pass


def test_a_document_no_channel_accepts_is_failed_with_the_reason_and_counted(
    store: Store, tmp_path: Path
) -> None:
    inbox = inbox_with(tmp_path / "inbox", XML[:1])
    summary = pipeline.sync_connection(
        store,
        name="shop",
        connector=UblDirectorySource(inbox, name="shop"),
        kind="ubl-dir",
        channels=[NoBuyerAddress()],  # type: ignore[list-item]
    )
    assert (summary.failed, summary.queued, summary.troubled) == (1, 0, True)
    with store.begin() as conn:
        state = conn.execute(select(documents.c.state)).scalar_one()
        reason = conn.execute(select(events.c.details)).scalar_one()["reason"]
    assert state == "failed" and "no channel of connection shop accepts" in reason


class _Control:
    """A runner's control: stop after ``pages`` pages; fence raising from page ``fenced``."""

    def __init__(self, pages: int = 0, fenced: int = 0) -> None:
        self.pages, self.fenced, self.seen = pages, fenced, 0

    def should_stop(self) -> bool:
        return bool(self.pages) and self.seen >= self.pages

    def fence(self, conn: Any) -> None:
        self.seen += 1
        if self.fenced and self.seen >= self.fenced:
            from sync.control import Fenced

            raise Fenced("taken over")


def test_a_cycle_told_to_stop_ends_after_the_page_and_the_next_one_resumes(
    store: Store, tmp_path: Path
) -> None:
    inbox, archive = inbox_with(tmp_path / "inbox", XML), tmp_path / "out"
    stopped = cycle(store, inbox, archive, control=_Control(pages=1), lookback=timedelta(0))
    assert (stopped.stopped, stopped.pulled, stopped.delivered) == (True, 2, 2)
    rest = cycle(store, inbox, archive, control=_Control(), lookback=timedelta(0))
    assert (rest.stopped, rest.pulled, rest.delivered) == (False, 1, 1)
    assert len(delivered_files(archive)) == 3 and count(store, outbox) == 3


def test_a_fenced_page_is_rolled_back_with_its_cursor(store: Store, tmp_path: Path) -> None:
    from sync.control import Fenced

    inbox, archive = inbox_with(tmp_path / "inbox", XML), tmp_path / "out"
    with pytest.raises(Fenced):
        cycle(store, inbox, archive, control=_Control(fenced=2), lookback=timedelta(0))
    assert count(store, documents) == 2  # page 1 only; page 2 and its cursor rolled back
    again = cycle(store, inbox, archive, lookback=timedelta(0))
    assert (again.pulled, again.delivered) == (1, 1)
    assert len(delivered_files(archive)) == 3


def test_a_row_waiting_for_a_channel_this_run_lacks_is_reported_once_per_cycle(
    store: Store, tmp_path: Path
) -> None:
    inbox, archive = inbox_with(tmp_path / "inbox", XML[:1]), tmp_path / "out"
    assert cycle(store, inbox, archive, deliver=False).queued == 1  # waits for "archive"
    for name in XML[1:]:
        shutil.copyfile(FIXTURES / name, inbox / name)
    later = pipeline.sync_connection(
        store,
        name="shop",
        connector=UblDirectorySource(inbox, name="shop", page_size=1),
        kind="ubl-dir",
        profile="auto",
        lookback=timedelta(0),
        channels=[DirectoryChannel("other", tmp_path / "other")],
    )
    waiting = [f for f in later.findings if "waits for channel archive" in f.message]
    assert len(waiting) == 1, later.findings  # not once per page and once more at the end
    assert later.delivered == 2 and delivered_files(archive) == []


def test_a_failed_cycle_cancels_the_validation_it_handed_out_for_the_page_ahead(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Counted:
        def __init__(self, draft: validation.Draft, known: Collection[str]) -> None:
            self.outcome = write_validated(*draft, known)

        def result(self) -> Written | Refused:
            return self.outcome

        def cancel(self) -> None:
            cancelled.append(self)

    class Pooled:  # not INLINE: the cycle keeps a page ahead
        def submit(
            self,
            drafts: Sequence[validation.Draft],
            known: Collection[str] = (),
            stagers: Sequence[validation.Stager] = (),
        ) -> list[validation.Pending]:
            return [Counted(draft, known) for draft in drafts]

    cancelled: list[Counted] = []

    def lost(conn: Any, connection: int, cursor: Any) -> None:
        raise StoreUnavailable("cannot use the store: lost")

    monkeypatch.setattr(pipeline, "_save_cursor", lost)
    inbox, archive = inbox_with(tmp_path / "inbox", XML), tmp_path / "out"
    with pytest.raises(StoreUnavailable):
        cycle(store, inbox, archive, validator=Pooled())
    assert len(cancelled) == 1  # page 2 (of pages of 2) was handed out, never recorded
