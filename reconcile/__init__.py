"""The reconciler: bank statements read, payments matched to open items, and what follows.

Layering (../DESIGN.md): ``reconcile`` imports only ``model``. The sync engine stores what
it finds and pushes it back to the source.

* :mod:`reconcile.transaction` - one bank :class:`~reconcile.transaction.Transaction`, and the
  :class:`~reconcile.transaction.Statement` that holds them, whatever the bank format.
* :mod:`reconcile.open_items` - the :class:`~reconcile.open_items.OpenItem` a payment is
  matched against: an invoice or credit note with the amount still open.
* :mod:`reconcile.statements` - the CAMT.053/054 and MT940 readers.
* :mod:`reconcile.matching` - the matching stages.

Submodules are not imported here; import the one you need.
"""
