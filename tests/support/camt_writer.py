"""The tests' camt.053 writer is the product's (:mod:`reconcile.statements.camt_writer`)."""

from reconcile.statements.camt_writer import NAMESPACE, camt053

__all__ = ["NAMESPACE", "camt053"]
