"""Policies: the presets, a tenant's file that extends one, and the checks that refuse a
policy the law or the format does not allow (naming the file and the field)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from reconcile.reminders import DataError, StepType, load_policy


def _file(tmp_path: Path, text: str, name: str = "tenant.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_presets() -> None:
    b2b, b2c = load_policy("nl-b2b"), load_policy("nl-b2c")
    assert (b2b.market, b2b.interest, b2b.costs) == ("b2b", "commercial", "fixed")
    assert (b2c.market, b2c.interest, b2c.costs) == ("b2c", "statutory", "wik")
    assert [s.days for s in b2b.steps] == sorted(s.days for s in b2b.steps)
    assert b2b.steps[0].days == -5
    letter = b2c.fourteen_day_letter
    assert letter is not None and letter.type is StepType.FOURTEEN_DAY_LETTER
    assert b2c.costs_from == letter.name
    assert b2c.step_at(letter.days - 1) != letter
    assert b2c.step_at(letter.days) == letter
    assert b2c.step_at(-6) is None
    assert b2c.states_costs(b2c.step_at(letter.days - 1)) is False
    assert b2c.states_costs(letter) is True
    assert b2b.states_costs(b2b.step_at(1)) is True


def test_a_tenant_file_extends_a_preset(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        """
extend = "nl-b2c"
vat_on_costs = "21"

[[step]]
name = "reminder_1"
days = 10

[[step]]
name = "pre_due"
remove = true

[[step]]
name = "phone_call"
days = 25
""",
    )
    policy = load_policy(path)
    base = load_policy("nl-b2c")
    assert policy.name == "tenant"
    assert policy.market == "b2c" and policy.vat_on_costs == Decimal(21)
    names = [s.name for s in policy.steps]
    assert "pre_due" not in names
    assert policy.step("reminder_1").days == 10
    assert policy.step("phone_call").days == 25
    assert names == sorted(names, key=lambda n: policy.step(n).days)
    kept = {s.name for s in base.steps} - {"pre_due", "reminder_1"}
    assert {s.name: s for s in base.steps if s.name in kept} == {
        s.name: s for s in policy.steps if s.name in kept
    }


def test_extend_b2b_to_wik_costs_from_a_named_step(tmp_path: Path) -> None:
    path = _file(
        tmp_path, 'name = "hard"\nextend = "nl-b2b"\ncosts = "wik"\ncosts_from = "aanmaning"\n'
    )
    policy = load_policy(path)
    assert policy.name == "hard"
    assert policy.states_costs(policy.step("reminder_1")) is False
    assert policy.states_costs(policy.step("aanmaning")) is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'extend = "nl-b2x"\n',
            r"field 'extend': unknown preset 'nl-b2x' \(known: nl-b2b, nl-b2c\)",
        ),
        (
            'extend = "nl-b2c"\n[[step]]\nname = "nope"\nremove = true\n',
            r"step 1: field 'remove': the preset has no step 'nope'",
        ),
        (
            'extend = "nl-b2c"\ncosts = "fixed"\n',
            r"field 'costs': a consumer \(b2c\) owes at most the WIK",
        ),
        ('extend = "nl-b2c"\ninterest = "commercial"\n', r"field 'interest': a consumer"),
        (
            'extend = "nl-b2c"\n[[step]]\nname = "veertiendagenbrief"\nremove = true\n',
            r"field 'step': a b2c policy with wik costs needs",
        ),
        (
            'extend = "nl-b2c"\n[[step]]\nname = "collection"\ndays = 20\n',
            r"collection step 'collection' at day 20 comes before the fourteen-day term",
        ),
        (
            'extend = "nl-b2c"\n[[step]]\nname = "x"\ndays = 7\n',
            r"field 'days': 7 is also the day of step 'reminder_1'",
        ),
        (
            'extend = "nl-b2c"\ncosts_from = "reminder_1"\n',
            r"field 'costs_from': a consumer owes costs only from the fourteen-day letter",
        ),
        ('extend = "nl-b2b"\ncosts = "wik"\n', r"field 'costs_from': missing"),
        (
            'extend = "nl-b2b"\ncosts_from = "aanmaning"\n',
            r"field 'costs_from': applies to wik costs only",
        ),
        ('extend = "nl-b2b"\nreceipt_days = -1\n', r"field 'receipt_days': must not be negative"),
        (
            'extend = "nl-b2b"\nvat_on_costs = 21.0\n',
            r"field 'vat_on_costs': write the number as a string",
        ),
        ('extend = "nl-b2b"\ngrace = 3\n', r"field 'grace': unknown field"),
        (
            'extend = "nl-b2b"\n[[step]]\nname = "x"\ndays = 3\ntype = "sms"\n',
            r"field 'type': must be one of reminder, fourteen_day_letter",
        ),
        (
            'market = "b2b"\n[[step]]\nname = "a"\ndays = 1\n[[step]]\nname = "a"\ndays = 2\n',
            r"step 2: field 'name': 'a' is already a step",
        ),
        ('market = "b2b"\n[[step]]\nname = "a"\n', r"step 1: field 'days': missing"),
        (
            'market = "b2b"\n[[step]]\nname = "a"\ndays = 1\nremove = true\n',
            r"only a policy that extends a preset removes steps",
        ),
        ('market = "b2x"\n', r"field 'market': must be one of b2b, b2c"),
        ('market = "b2b"\n', r"field 'step': missing"),
        ("market = \n", r"not valid TOML"),
    ],
)
def test_a_policy_the_rules_refuse_names_file_and_field(
    tmp_path: Path, text: str, message: str
) -> None:
    path = _file(tmp_path, text)
    with pytest.raises(DataError, match=message) as caught:
        load_policy(path)
    assert str(caught.value).startswith(str(path))


def test_a_missing_policy_file_names_the_presets(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"no such policy file \(presets: nl-b2b, nl-b2c\)"):
        load_policy(tmp_path / "nope.toml")


def test_the_readme_example_policy_loads(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    start = readme.index('```toml\nname = "acme-consumers"') + len("```toml\n")
    path = _file(tmp_path, readme[start : readme.index("```", start)], "example.toml")
    policy = load_policy(path)
    assert policy.name == "acme-consumers"
    assert (policy.vat_on_costs, policy.receipt_days) == (Decimal(21), 3)
    assert [s.name for s in policy.steps][:2] == ["reminder_1", "veertiendagenbrief"]
    assert policy.step("phone_call").days == 25
