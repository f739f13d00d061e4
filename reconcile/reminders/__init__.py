"""Reminder triggers: the step each overdue invoice has reached, its costs and interest.

Layering (DESIGN.md): imports only ``model`` (and the rest of ``reconcile``). Rates and
amounts are data files in ``data/`` with their source and validity dates, never constants in
code:

* :mod:`reconcile.reminders.rates` - statutory interest rates by period (wettelijke rente,
  wettelijke handelsrente), checked to tile without gaps or overlaps.
* :mod:`reconcile.reminders.interest` - interest exactly per period, compounded yearly.
* :mod:`reconcile.reminders.costs` - the WIK staffel and the B2B fixed compensation.
* :mod:`reconcile.reminders.letter` - the consumer 14-day letter and its end date.
* :mod:`reconcile.reminders.policy` - TOML policies with steps, presets ``nl-b2b``/``nl-b2c``.
* :mod:`reconcile.reminders.evaluate` - the step reached on a date, with costs and interest.
* :mod:`reconcile.reminders.schedule` - with a history of fired steps (the store mode):
  which step fires on a day, or why none does (waiting, paused, stopped, done).
"""

from reconcile.reminders._data import DataError
from reconcile.reminders.costs import CollectionCosts, collection_costs, load_collection_costs
from reconcile.reminders.evaluate import Reminder, Skipped, evaluate
from reconcile.reminders.interest import Interest, InterestPeriod, statutory_interest
from reconcile.reminders.letter import FourteenDayLetter, fourteen_day_letter
from reconcile.reminders.policy import PRESETS, Policy, Step, StepType, load_policy
from reconcile.reminders.rates import RatePeriod, RateTable, load_rates, rates
from reconcile.reminders.schedule import Decision, Fired, Hold, decide

__all__ = [
    "PRESETS",
    "CollectionCosts",
    "DataError",
    "Decision",
    "Fired",
    "FourteenDayLetter",
    "Hold",
    "Interest",
    "InterestPeriod",
    "Policy",
    "RatePeriod",
    "RateTable",
    "Reminder",
    "Skipped",
    "Step",
    "StepType",
    "collection_costs",
    "decide",
    "evaluate",
    "fourteen_day_letter",
    "load_collection_costs",
    "load_policy",
    "load_rates",
    "rates",
    "statutory_interest",
]
