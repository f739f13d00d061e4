"""Every connector: a bad record is pulled like the others, its document is a RecordError
that says what to fix, and the records before and after it become documents.

This is the caller's loop of ``ledgerlink pull --ubl-dir`` up to the mapping: a RecordError
quarantines its record and the loop goes on.
"""

from __future__ import annotations

from support.conformance.harness import Behaviour, ConnectorHarness, require
from support.conformance.suite import SharedGroup, records_of

from connectors.errors import RecordError
from connectors.http import RetryPolicy
from model import Invoice


def test_a_bad_record_is_quarantined_and_the_rest_continues(
    harness: ConnectorHarness, shared_group: SharedGroup, retry: RetryPolicy
) -> None:
    require(harness, Behaviour.QUARANTINE)
    bad = harness.add_bad_record()
    later = min(harness.record_ids() - set(shared_group.ids) - {bad.id})
    harness.touch(later)  # a good record after the bad one in stream order

    documents: dict[str, Invoice] = {}
    quarantined: dict[str, RecordError] = {}
    with harness.connect(page_size=3, retry=retry) as source:
        pulled = records_of(source.pull(harness.stream, None))
        for record in pulled:
            try:
                documents[record.id] = source.document(record)
            except RecordError as failure:
                quarantined[record.id] = failure

    order = [record.id for record in pulled]
    assert order.index(bad.id) < order.index(later)
    assert list(quarantined) == [bad.id]
    failure = quarantined[bad.id]
    assert failure.record_id == bad.id
    for mention in bad.mentions:
        assert mention in failure.reason
    assert set(documents) == harness.record_ids() - {bad.id}
    assert all(isinstance(document, Invoice) and document.number for document in documents.values())
