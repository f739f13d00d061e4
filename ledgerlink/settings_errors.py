"""The plain-words settings problems of :mod:`connectors.settings_errors`, where the
application shell has always imported them from (the connector registry words its
messages for library callers with the same functions, so they live below both)."""

from __future__ import annotations

from connectors.settings_errors import Problem, lines, problems, settings_error, summary

__all__ = ["Problem", "lines", "problems", "settings_error", "summary"]
