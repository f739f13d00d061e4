"""Reminder policies: steps relative to the due date, per market (B2B or B2C), in TOML.

A policy file::

    name = "acme-consumers"      # default: the file name without .toml
    extend = "nl-b2c"            # optional: start from a named preset
    market = "b2c"               # b2c (consumer) or b2b (business)
    interest = "statutory"       # statutory | commercial | none (default by market)
    costs = "wik"                # wik | fixed | none (default by market)
    costs_from = "veertiendagenbrief"   # with wik: the first step whose letter states the costs
    vat_on_costs = "21"          # percent on the costs for a creditor who cannot reclaim VAT
    receipt_days = 2             # business days from sending a letter to its assumed receipt

    [[step]]
    name = "reminder_1"          # unique in the policy
    days = 7                     # relative to the due date (BT-9); negative = before it
    type = "reminder"            # reminder | fourteen_day_letter | final_notice | collection

With ``extend`` the file's fields replace the preset's (the name is the file's own); a ``[[step]]`` whose name the preset
has changes that step (``remove = true`` drops it), any other is added. The presets ``nl-b2b``
and ``nl-b2c`` ship in ``data/presets/``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from reconcile.reminders._data import DataError, Fields, packaged, read_toml

__all__ = ["PRESETS", "Policy", "Step", "StepType", "load_policy"]

PRESETS = ("nl-b2b", "nl-b2c")


class StepType(enum.StrEnum):
    REMINDER = "reminder"
    FOURTEEN_DAY_LETTER = "fourteen_day_letter"
    """The Dutch consumer veertiendagenbrief (art. 6:96 lid 6 BW)."""
    FINAL_NOTICE = "final_notice"
    COLLECTION = "collection"
    """Handover to the collection agency."""


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    days: int
    """Days after the due date (BT-9) from which the step applies; negative before it."""
    type: StepType = StepType.REMINDER


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    market: str
    """``b2b`` or ``b2c``."""
    interest: str
    """``statutory`` (wettelijke rente), ``commercial`` (handelsrente) or ``none``."""
    costs: str
    """``wik`` (staffel), ``fixed`` (the B2B compensation) or ``none``."""
    steps: tuple[Step, ...]
    """Ordered by ``days``."""
    costs_from: str | None = None
    """With ``wik``: the step from which the letters state the costs."""
    vat_on_costs: Decimal = Decimal(0)
    receipt_days: int = 2

    def step_at(self, days_overdue: int) -> Step | None:
        """The last step whose ``days`` is at most ``days_overdue`` (``None``: none yet)."""
        reached = [step for step in self.steps if step.days <= days_overdue]
        return reached[-1] if reached else None

    def step(self, name: str) -> Step:
        return next(step for step in self.steps if step.name == name)

    @property
    def fourteen_day_letter(self) -> Step | None:
        return next((s for s in self.steps if s.type is StepType.FOURTEEN_DAY_LETTER), None)

    def states_costs(self, step: Step | None) -> bool:
        """Whether the letter of ``step`` states collection costs."""
        if self.costs == "fixed":
            return True
        if self.costs == "none" or step is None or self.costs_from is None:
            return False
        return step.days >= self.step(self.costs_from).days


_TOP = {
    "name",
    "extend",
    "market",
    "interest",
    "costs",
    "costs_from",
    "vat_on_costs",
    "receipt_days",
    "step",
}
_STEP = {"name", "days", "type", "remove"}


def _preset_path(name: str) -> Path:
    return packaged(f"presets/{name}.toml")


def _merge(base: dict[str, Any], child: dict[str, Any], path: Path) -> dict[str, Any]:
    merged = {key: value for key, value in base.items() if key not in ("step", "name")}
    merged.update({key: value for key, value in child.items() if key not in ("step", "extend")})
    steps: list[dict[str, Any]] = [dict(step) for step in base.get("step", [])]
    child_steps = child.get("step", [])
    if not isinstance(child_steps, list):
        raise DataError(f"{path}: field 'step': must be an array of tables ([[step]])")
    for number, step in enumerate(child_steps, 1):
        fields = Fields(step, path, f"step {number}")
        name = fields.text("name")
        known = next((s for s in steps if s.get("name") == name), None)
        remove = step.get("remove", False)
        if not isinstance(remove, bool):
            raise fields.error("remove", f"must be true or false, not {remove!r}")
        step = {key: value for key, value in step.items() if key != "remove"}
        if remove:
            if known is None:
                raise fields.error("remove", f"the preset has no step {name!r} to remove")
            steps.remove(known)
        elif known is not None:
            known.update(step)
        else:
            steps.append(dict(step))
    merged["step"] = steps
    return merged


def _raw(path: Path) -> tuple[dict[str, Any], str]:
    """The policy's table with its preset merged in, and its default name."""
    data = read_toml(path)
    top = Fields(data, path)
    top.unknown(_TOP)
    base = top.string("extend", required=False)
    if base is None:
        return data, path.stem
    if base not in PRESETS:
        raise top.error("extend", f"unknown preset {base!r} (known: {', '.join(PRESETS)})")
    return _merge(read_toml(_preset_path(base)), data, path), path.stem


def load_policy(spec: str | Path) -> Policy:
    """The preset named ``spec`` (``nl-b2b``, ``nl-b2c``) or the policy file at ``spec``."""
    if isinstance(spec, str) and spec in PRESETS:
        path = _preset_path(spec)
    else:
        path = Path(spec)
        if not path.is_file():
            raise DataError(
                f"{path}: no such policy file (presets: {', '.join(PRESETS)})"
                if not path.exists()
                else f"{path}: not a file"
            )
    data, default_name = _raw(path)
    return _build(Fields(data, path), default_name)


def _steps(top: Fields) -> tuple[Step, ...]:
    steps: list[Step] = []
    for fields in top.tables("step"):
        fields.unknown(_STEP)
        if "remove" in fields.table:
            raise fields.error("remove", "only a policy that extends a preset removes steps")
        name = fields.text("name")
        if any(step.name == name for step in steps):
            raise fields.error("name", f"{name!r} is already a step")
        days = fields.integer("days")
        same = next((step for step in steps if step.days == days), None)
        if same is not None:
            raise fields.error("days", f"{days} is also the day of step {same.name!r}")
        kind = fields.choice("type", tuple(StepType), StepType.REMINDER.value)
        steps.append(Step(name=name, days=days, type=StepType(kind)))
    return tuple(sorted(steps, key=lambda step: step.days))


def _build(top: Fields, default_name: str) -> Policy:
    market = top.choice("market", ("b2b", "b2c"))
    b2c = market == "b2c"
    interest = top.choice(
        "interest", ("statutory", "commercial", "none"), "statutory" if b2c else "commercial"
    )
    costs = top.choice("costs", ("wik", "fixed", "none"), "wik" if b2c else "fixed")
    if b2c and interest == "commercial":
        raise top.error("interest", "a consumer (b2c) owes the statutory rate, not commercial")
    if b2c and costs == "fixed":
        raise top.error("costs", "a consumer (b2c) owes at most the WIK costs: use wik or none")
    steps = _steps(top)
    letters = [step for step in steps if step.type is StepType.FOURTEEN_DAY_LETTER]
    if len(letters) > 1:
        raise top.error("step", "more than one step of type fourteen_day_letter")
    letter = letters[0] if letters else None
    receipt_days = top.integer("receipt_days", 2)
    if receipt_days < 0:
        raise top.error("receipt_days", f"must not be negative, not {receipt_days}")
    costs_from = top.string("costs_from", required=False)
    if costs == "wik":
        if b2c and letter is None:
            raise top.error(
                "step", "a b2c policy with wik costs needs a step of type fourteen_day_letter"
            )
        costs_from = costs_from or (letter.name if letter else None)
        if costs_from is None:
            raise top.error("costs_from", "missing: name the first step that states WIK costs")
        if all(step.name != costs_from for step in steps):
            raise top.error("costs_from", f"no step named {costs_from!r}")
        if b2c and letter is not None and _day(steps, costs_from) < letter.days:
            raise top.error(
                "costs_from", "a consumer owes costs only from the fourteen-day letter on"
            )
    elif costs_from is not None:
        raise top.error("costs_from", f"applies to wik costs only, not {costs!r}")
    if b2c and letter is not None:
        earliest = letter.days + receipt_days + 15
        for step in steps:
            if step.type is StepType.COLLECTION and step.days < earliest:
                raise top.error(
                    "step",
                    f"collection step {step.name!r} at day {step.days} comes before the "
                    f"fourteen-day term of {letter.name!r} can have ended (day {earliest})",
                )
    vat = top.decimal("vat_on_costs", required=False)
    return Policy(
        name=top.string("name", required=False) or default_name,
        market=market,
        interest=interest,
        costs=costs,
        steps=steps,
        costs_from=costs_from,
        vat_on_costs=vat if vat is not None else Decimal(0),
        receipt_days=receipt_days,
    )


def _day(steps: tuple[Step, ...], name: str) -> int:
    return next(step.days for step in steps if step.name == name)
