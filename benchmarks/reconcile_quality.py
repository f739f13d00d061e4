"""Pair precision and recall of the matcher on the seeded labelled set, per case class.

A pair is (bank reference, document, signed amount) applied automatically; the truth is what
the package tests/support/reconcile_cases/ (one module per case family) labels each booking
with. For the classes that must stay unmatched (``MUST_STAY_UNMATCHED``: the ambiguous ones,
a stale reference against the invoice named, unrelated bookings, a reference already paid,
the return of our own transfer) the figure that matters is ``applied`` = 0; they are marked
``*``. Usage::

    python benchmarks/reconcile_quality.py [--seed 2026] [--debtors 3000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

from reconcile.matching import match  # noqa: E402
from tests.support.reconcile_cases import MUST_STAY_UNMATCHED, generate, score  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--debtors", type=int, default=3000)
    args = parser.parse_args()
    labelled = generate(args.seed, debtors=args.debtors)
    outcome = match(labelled.bookings, labelled.items, labelled.policy, prior=labelled.prior)
    overall, per_case = score(labelled, outcome)
    print(f"{len(labelled.items)} open items, {len(labelled.bookings)} bookings, seed {args.seed}")
    print(
        f"{'case class':30} {'pairs':>6} {'applied':>7} {'right':>6} {'precision':>9} {'recall':>7}"
    )
    for case, s in per_case.items():
        print(
            f"{case + (' *' if case in MUST_STAY_UNMATCHED else ''):30} {s.expected:6d} {s.predicted:7d} {s.true_positives:6d} "
            f"{s.precision:9.4f} {s.recall:7.4f}"
        )
    print(
        f"{'overall':30} {overall.expected:6d} {overall.predicted:7d} "
        f"{overall.true_positives:6d} {overall.precision:9.4f} {overall.recall:7.4f}"
    )


if __name__ == "__main__":
    main()
