"""The plain-words settings problems of :mod:`connectors.settings_errors`, where the
application shell has always imported them from (the connector registry words its
messages for library callers with the same functions, so they live below both)."""

from __future__ import annotations

from connectors.settings_errors import (
    Problem,
    SettingsProblems,
    lines,
    problems,
    refused_booleans,
    settings_error,
    summary,
    validated,
)

__all__ = [
    "Problem",
    "SettingsProblems",
    "lines",
    "problems",
    "refused_booleans",
    "settings_error",
    "summary",
    "validated",
]
