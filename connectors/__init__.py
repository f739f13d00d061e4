"""Connectors to accounting systems: pull records by cursor, push status and payments.

:mod:`connectors.base` holds the protocol, streams, records and cursors;
:mod:`connectors.errors` the exception tree; :mod:`connectors.http` the shared HTTP
helper (retries, rate limits, call budget, OAuth2 refresh); :mod:`connectors.secrets`
the secret stores. One module per system joins them later (``connectors/<system>.py``).
"""
