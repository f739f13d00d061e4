"""Matching bank bookings to open items (issue 16, section 2), one module per stage:

1. :mod:`.references` - structured reference (RF, betalingskenmerk, OGM), checked;
2. :mod:`.near_references` - a reference one edit from an open one, exact amount;
3. :mod:`.invoice_numbers` - invoice numbers in the text or EndToEndId, amount checked;
4. :mod:`.debtor_amount` - the debtor by account or name, one item or a combination;
5. :mod:`.tolerance` - an underpayment within :class:`MatchPolicy` tolerance;
6. :mod:`.unmatched` - the queue, with suggestions.

Reversals and returns (:mod:`.reversals`) undo earlier matches. :mod:`.engine` runs them;
:mod:`.book` holds the indexes. Entry point::

    from reconcile.matching import match, MatchPolicy
    outcome = match({"ACCTSVCRREF-1": transaction}, open_items, MatchPolicy())
    outcome.matches, outcome.unmatched, outcome.open
"""

from reconcile.matching.engine import Outcome, match
from reconcile.matching.policy import MatchPolicy

__all__ = ["MatchPolicy", "Outcome", "match"]
