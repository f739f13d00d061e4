"""The one delivery state machine and the Peppol code rules (OP-BR111, MLR 3)."""

from __future__ import annotations

import itertools

import pytest

from delivery.base import (
    FINAL_STATES,
    INVOICE_RESPONSE_CODES,
    MLR_CODES,
    DeliveryState,
    StatusReason,
    TransitionRefused,
    allowed,
    response_state,
    transition,
)

S = DeliveryState

CHANNEL_MOVES = {
    (S.QUEUED, S.SENT),
    (S.QUEUED, S.DELIVERED),
    (S.QUEUED, S.FAILED),
    (S.QUEUED, S.IN_DOUBT),
    (S.SENT, S.DELIVERED),
    (S.SENT, S.ACCEPTED),
    (S.SENT, S.REJECTED),
    (S.SENT, S.PAID),
    (S.SENT, S.FAILED),
    (S.DELIVERED, S.ACCEPTED),
    (S.DELIVERED, S.REJECTED),
    (S.DELIVERED, S.PAID),
    (S.ACCEPTED, S.PAID),
    (S.FAILED, S.QUEUED),
    (S.IN_DOUBT, S.QUEUED),
    (S.IN_DOUBT, S.SENT),
    (S.IN_DOUBT, S.DELIVERED),
    (S.IN_DOUBT, S.FAILED),
}


@pytest.mark.parametrize(("current", "new"), list(itertools.product(S, S)))
def test_every_channel_move_is_allowed_or_refused_as_specified(
    current: DeliveryState, new: DeliveryState
) -> None:
    expected = (current, new) in CHANNEL_MOVES
    assert allowed(current, new) is expected
    if expected:
        assert transition(current, new) is new
    else:
        with pytest.raises(TransitionRefused, match=f"{current}.*{new}"):
            transition(current, new)


def test_the_happy_path_runs_from_queued_to_paid() -> None:
    state = S.QUEUED
    for step in (S.SENT, S.DELIVERED, S.ACCEPTED, S.PAID):
        state = transition(state, step)
    assert state is S.PAID


def test_final_states_have_no_way_out() -> None:
    assert frozenset({S.REJECTED, S.PAID}) == FINAL_STATES
    for final, new in itertools.product(FINAL_STATES, S):
        assert not allowed(final, new)


def test_a_channel_event_carries_no_response_code() -> None:
    with pytest.raises(TransitionRefused, match="no response code"):
        transition(S.SENT, S.DELIVERED, code="AB")


# -- Peppol responses -----------------------------------------------------------------

PPD = (StatusReason("OPStatusReason", "PPD", "half now"),)


@pytest.mark.parametrize(
    ("kind", "code", "reasons", "expected"),
    [
        ("mlr", "AB", (), S.DELIVERED),
        ("mlr", "AP", (), S.DELIVERED),
        ("mlr", "RE", (), S.REJECTED),
        ("invoice-response", "AB", (), S.DELIVERED),
        ("invoice-response", "IP", (), S.DELIVERED),
        ("invoice-response", "UQ", (), S.DELIVERED),
        ("invoice-response", "CA", (), S.DELIVERED),
        ("invoice-response", "RE", (), S.REJECTED),
        ("invoice-response", "AP", (), S.ACCEPTED),
        ("invoice-response", "PD", (), S.PAID),
        ("invoice-response", "PD", PPD, S.ACCEPTED),
    ],
)
def test_each_response_code_maps_to_its_state_from_sent_and_delivered(
    kind: str, code: str, reasons: tuple[StatusReason, ...], expected: DeliveryState
) -> None:
    for current in (S.SENT, S.DELIVERED):
        assert response_state(current, kind, code, reasons) is expected  # type: ignore[arg-type]
        assert allowed(current, expected, kind=kind, code=code, reasons=reasons)  # type: ignore[arg-type]


@pytest.mark.parametrize("code", ["AB", "IP", "UQ", "CA"])
def test_acknowledgements_keep_a_delivered_document_delivered(code: str) -> None:
    assert transition(S.DELIVERED, S.DELIVERED, kind="invoice-response", code=code) is S.DELIVERED


@pytest.mark.parametrize(
    ("kind", "code"),
    [(k, c) for c in INVOICE_RESPONSE_CODES for k in ["invoice-response"]]
    + [("mlr", c) for c in MLR_CODES],
)
def test_nothing_follows_re_or_pd(kind: str, code: str) -> None:
    for final in (S.REJECTED, S.PAID):
        with pytest.raises(TransitionRefused, match="nothing may follow RE or PD"):
            response_state(final, kind, code)  # type: ignore[arg-type]


@pytest.mark.parametrize("code", ["AB", "IP", "UQ", "CA", "RE", "AP"])
def test_after_ap_only_pd_may_follow(code: str) -> None:
    with pytest.raises(TransitionRefused, match="AP may only be followed by PD"):
        response_state(S.ACCEPTED, "invoice-response", code)


def test_pd_follows_ap_and_partial_payment_stays_accepted_until_the_full_pd() -> None:
    state = response_state(S.SENT, "invoice-response", "AP")
    state = response_state(state, "invoice-response", "PD", PPD)
    assert state is S.ACCEPTED
    assert response_state(state, "invoice-response", "PD") is S.PAID


def test_a_late_mlr_acknowledgement_does_not_move_an_accepted_document_back() -> None:
    assert response_state(S.ACCEPTED, "mlr", "AB") is S.ACCEPTED
    assert response_state(S.ACCEPTED, "mlr", "AP") is S.ACCEPTED
    with pytest.raises(TransitionRefused):
        response_state(S.ACCEPTED, "mlr", "RE")


@pytest.mark.parametrize("current", [S.QUEUED, S.FAILED, S.IN_DOUBT])
def test_a_response_for_a_document_never_sent_is_refused(current: DeliveryState) -> None:
    with pytest.raises(TransitionRefused, match="not sent"):
        response_state(current, "invoice-response", "AB")


def test_unknown_codes_are_refused_per_kind() -> None:
    with pytest.raises(TransitionRefused, match="unknown MLR code 'PD'"):
        response_state(S.SENT, "mlr", "PD")
    with pytest.raises(TransitionRefused, match="unknown Invoice Response code 'XX'"):
        response_state(S.SENT, "invoice-response", "XX")


def test_a_response_must_lead_to_the_state_its_code_gives() -> None:
    with pytest.raises(TransitionRefused, match="moves a sent document to accepted, not paid"):
        transition(S.SENT, S.PAID, kind="invoice-response", code="AP")
