"""Delivery channels: send one validated UBL document and turn the answers into status events.

:mod:`delivery.base` is the interface every channel implements (the state machine,
:class:`~delivery.base.Envelope`, :class:`~delivery.base.Receipt`,
:class:`~delivery.base.StatusEvent`, the :class:`~delivery.base.Channel` protocol, its
errors and the settings models with :func:`~delivery.base.open_channel`). The channels:
:mod:`delivery.directory`, :mod:`delivery.peppol_ap` (with its emulator in
:mod:`delivery.ap_emulator`) and :mod:`delivery.smtp`.

This package imports only ``ubl`` and ``model``.
"""

__all__: list[str] = []
