"""Delivery channels: send one validated UBL document and turn the answers into status events.

:mod:`delivery.base` is the interface every channel implements, importable in one place;
its names live in :mod:`delivery.states` (the state machine and the Peppol response
codes), :mod:`delivery.channel` (:class:`~delivery.base.Envelope`,
:class:`~delivery.base.Receipt`, :class:`~delivery.base.StatusEvent`, the
:class:`~delivery.base.Channel` protocol and its errors) and :mod:`delivery.settings`
(the settings models with :func:`~delivery.base.open_channel`). The channels:
:mod:`delivery.directory`, :mod:`delivery.peppol_ap` (with its emulator in
:mod:`delivery.ap_emulator`) and :mod:`delivery.smtp`.

This package imports only ``ubl`` and ``model``.
"""

__all__: list[str] = []
