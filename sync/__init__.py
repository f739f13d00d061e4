"""The sync engine: the state store, the pipeline and the outbox.

``sync.store`` keeps what ledgerlink has pulled, built, validated and delivered, so that a
cycle can be re-run without doing anything twice (see its module docstring).
:mod:`sync.pipeline` runs one cycle of a connection (pull, map, build, validate, record,
enqueue, deliver) and rebuilds held and quarantined records (``retry``);
:mod:`sync.documents` builds one record, :mod:`sync.recorder` records a page,
:mod:`sync.changes` names the business terms a
changed record changed; :mod:`sync.outbox` delivers each document at most once
(with :mod:`sync.enqueue`, :mod:`sync.events`, :mod:`sync.locks`, :mod:`sync.sending`,
:mod:`sync.recover`, :mod:`sync.answers`, :mod:`sync.push` and :mod:`sync.outcome`);
:mod:`sync.migrate` exports a connection's history as UBL files, resumably (``migrate``).
"""

__all__: list[str] = []
