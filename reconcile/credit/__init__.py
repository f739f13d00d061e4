"""Credit: what each debtor owes against its limit, and how the receivables as a whole look.

* :mod:`reconcile.credit.exposure` - exposure, limit, utilisation and alerts per debtor.
* :mod:`reconcile.credit.ageing` - open amounts in buckets by days past the due date.
* :mod:`reconcile.credit.dso` - days sales outstanding, by the simple formula and by count-back.
* :mod:`reconcile.credit.concentration` - the top 20 % share and the Herfindahl index.
* :mod:`reconcile.credit.behaviour` - days to pay and days late per debtor, late rates across.

Everything here works on :class:`~reconcile.open_items.OpenItem` values or plain figures, never
on a store; amounts are :class:`~decimal.Decimal` and kept per currency (nothing is converted).
Submodules are not imported here; import the one you need.
"""
