"""The one finding type: every problem any layer reports about a document.

A parse that meets content EN 16931 does not cover, a figure the calculation rules
(BR-CO-10..17) derive differently, a profile rule the writer refuses, a legal
requirement a document misses, an XSD or Schematron assert of the validator, a code a
mapping does not know, a record a pull could not read: each is one :class:`Finding`,
so the store keeps one shape and every output format renders the same fields.

>>> finding = Finding(
...     rule="BR-CO-15",
...     layer="calculation",
...     message="amount due with VAT (BT-112) is 1310.00, the rules derive 1210.00",
...     field="totals.tax_inclusive",
... )
>>> str(finding)
'BR-CO-15 (totals.tax_inclusive): amount due with VAT (BT-112) is 1310.00, the rules derive 1210.00'
>>> finding.fatal
True
>>> finding.to_dict()["severity"]
'fatal'
>>> Finding.from_dict(finding.to_dict()) == finding
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias, get_args

__all__ = ["FINDING_KEYS", "Finding", "FindingDict", "Layer", "Severity", "worst"]

Severity: TypeAlias = Literal["fatal", "warning"]
"""``fatal``: the document cannot go on as it is; ``warning``: it can, and someone should look."""

Layer: TypeAlias = Literal[
    "input",
    "parse",
    "calculation",
    "profile",
    "requirements",
    "xsd",
    "schematron",
    "mapping",
    "pull",
    "delivery",
]
"""Where a finding was made, in the order a document passes the layers:

``input`` (the bytes are no document we may read: not XML, too large, a DOCTYPE, a file
that is missing), ``parse`` (UBL content EN 16931 does not cover), ``calculation`` (the
EN 16931 calculation rules), ``profile`` (a rule of the profile the writer enforces),
``requirements`` (legal invoice requirements and identifier check digits), ``xsd`` (the
UBL 2.1 schema), ``schematron`` (the official business rules), ``mapping`` (a source
code without a mapping), ``pull`` (a source record that cannot be used) and ``delivery``
(a channel's answer)."""

FindingDict: TypeAlias = dict[str, str | int | None]

FINDING_KEYS: tuple[str, ...] = (
    "layer",
    "rule",
    "severity",
    "field",
    "location",
    "line",
    "message",
    "hint",
)
"""The keys of :meth:`Finding.to_dict`, in their order."""

_LAYERS = frozenset(get_args(Layer))
_SEVERITIES = frozenset(get_args(Severity))


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One problem with a document, wherever it was found.

    ``rule``: the rule id (``BR-CO-10``, ``PEPPOL-EN16931-R061``, ``NL-FACTUUR-3``), a
    schema error type (``SCHEMAV_ELEMENT_CONTENT``) or one of ledgerlink's own ids
    (``UNMAPPED-CODE``, ``SAXON-ERROR``). ``layer``: see :data:`Layer`. ``field``: the
    model path it is about (``buyer.vat_id``, ``lines[2].item.name``, ``totals.payable
    (BT-115)``). ``location``: an XPath to the XML node, and ``line`` its 1-based line
    in the file (for a CSV or another text source: the line of the record). ``hint``: what
    to change to fix it, where that can be said in a sentence.
    """

    rule: str
    layer: Layer
    message: str
    severity: Severity = "fatal"
    field: str | None = None
    location: str | None = None
    line: int | None = None
    hint: str | None = None

    def __post_init__(self) -> None:
        if self.layer not in _LAYERS:
            raise ValueError(f"unknown finding layer {self.layer!r}")
        if self.severity not in _SEVERITIES:
            raise ValueError(f"unknown finding severity {self.severity!r}")

    @property
    def fatal(self) -> bool:
        """True when the document cannot go on as it is."""
        return self.severity == "fatal"

    def __str__(self) -> str:
        where = self.field or self.location
        head = f"{self.rule} ({where})" if where else self.rule
        line = f" [line {self.line}]" if self.line is not None else ""
        return f"{head}{line}: {self.message}"

    def to_dict(self) -> FindingDict:
        """The JSON object of this finding: every key of :data:`FINDING_KEYS`, null when unset."""
        return {
            "layer": self.layer,
            "rule": self.rule,
            "severity": self.severity,
            "field": self.field,
            "location": self.location,
            "line": self.line,
            "message": self.message,
            "hint": self.hint,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Finding:
        """The finding :meth:`to_dict` wrote (as the store reads it back); a ValueError names
        the key that is missing or of the wrong type."""
        text: dict[str, str | None] = {}
        for key in ("layer", "rule", "severity", "field", "location", "message", "hint"):
            value = data.get(key)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"finding key {key!r} must be a string, not {value!r}")
            text[key] = value
        line = data.get("line")
        if line is not None and (not isinstance(line, int) or isinstance(line, bool)):
            raise ValueError(f"finding key 'line' must be a whole number, not {line!r}")
        for key in ("layer", "rule", "message"):
            if text[key] is None:
                raise ValueError(f"finding has no {key!r}")
        return cls(
            rule=str(text["rule"]),
            layer=text["layer"],  # type: ignore[arg-type]  # checked in __post_init__
            message=str(text["message"]),
            severity=text["severity"] or "fatal",  # type: ignore[arg-type]
            field=text["field"],
            location=text["location"],
            line=line,
            hint=text["hint"],
        )


def worst(findings: Iterable[Finding]) -> Severity | None:
    """``fatal`` when any finding is, else ``warning`` when there is one, else None.

    >>> worst([])
    >>> worst([Finding(rule="R", layer="parse", message="m", severity="warning")])
    'warning'
    """
    seen: Severity | None = None
    for finding in findings:
        if finding.fatal:
            return "fatal"
        seen = "warning"
    return seen
