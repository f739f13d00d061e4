"""The sync engine: the state store now; the pipeline, outbox and daemon build on it.

``sync.store`` keeps what ledgerlink has pulled, built, validated and delivered, so that a
cycle can be re-run without doing anything twice (see its module docstring).
"""

__all__: list[str] = []
