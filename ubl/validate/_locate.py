"""Line numbers for the XPath locations of SVRL and XSD errors.

The compiled Schematron stylesheets write a location as a chain of steps, each naming one
element and its position among the same-named siblings::

    /*:Invoice[namespace-uri()='urn:...:Invoice-2'][1]/*:LegalMonetaryTotal[namespace-uri()='urn:...'][1]

Other tools write ``Q{ns}local[n]`` (XPath 3.0 ``path()``) or prefixed steps
(``/Invoice/cac:InvoiceLine[2]``; lxml's XSD errors use ``/*/cbc:IssueDate``). The
translator reads any of these into (namespace, local name, position) steps and walks them
down the lxml tree, child by child: no XPath compilation per location. A trailing attribute
or text step locates its element.
"""

from __future__ import annotations

import re
from typing import Final, cast

from lxml import etree

from ubl._ns import CAC, CBC, CREDIT_NOTE, EXT, INVOICE

__all__ = ["element_at", "line_of", "source_line"]

_PREFIXES: Final = {"cac": CAC, "cbc": CBC, "ext": EXT, "ubl": INVOICE, "cn": CREDIT_NOTE}
_NAME: Final = r"[^\s/\[\]{}:@()'*]+"
_STEP: Final = re.compile(
    rf"""/(?:
        \*:(?P<star>{_NAME})\[namespace-uri\(\)='(?P<star_ns>[^']*)'\]
      | \*\[local-name\(\)='(?P<ln>{_NAME})'\ and\ namespace-uri\(\)='(?P<ln_ns>[^']*)'\]
      | Q\{{(?P<q_ns>[^}}]*)\}}(?P<q>{_NAME})
      | (?:(?P<prefix>{_NAME}):)?(?P<name>{_NAME}|\*)
    )(?:\[(?P<index>[0-9]+)\])?""",
    re.VERBOSE,
)
_NOT_AN_ELEMENT: Final = ("/@", "/text()", "/comment()", "/processing-instruction(", "/node()")


def _step(match: re.Match[str]) -> tuple[str | None, str, int]:
    """(namespace or None for any, local name or ``*``, 1-based position) of one step."""
    index = int(match["index"] or 1)
    if match["star"] is not None:
        return match["star_ns"], match["star"], index
    if match["ln"] is not None:
        return match["ln_ns"], match["ln"], index
    if match["q"] is not None:
        return match["q_ns"], match["q"], index
    prefix = match["prefix"]
    return (_PREFIXES.get(prefix) if prefix else None), match["name"], index


def _matches(tag: object, namespace: str | None, local: str) -> bool:
    if not isinstance(tag, str):  # comments and processing instructions
        return False
    if local == "*":
        return namespace is None or tag.startswith(f"{{{namespace}}}")
    if namespace is None:
        return tag == local or tag.endswith(f"}}{local}")
    return tag == f"{{{namespace}}}{local}"


def _nth(
    candidates: etree._Element | list[etree._Element], namespace: str | None, local: str, index: int
) -> etree._Element | None:
    seen = 0
    for element in candidates:
        if _matches(element.tag, namespace, local):
            seen += 1
            if seen == index:
                return element
    return None


def element_at(root: etree._Element, location: str) -> etree._Element | None:
    """The element ``location`` points at (its parent for an attribute or text step).

    None when the location is empty, not written in a form the translator reads, or names
    no element of the tree.
    """
    current: etree._Element | None = None
    position = 0
    while position < len(location):
        if current is not None and location.startswith(_NOT_AN_ELEMENT, position):
            return current
        match = _STEP.match(location, position)
        if match is None:
            return None
        namespace, local, index = _step(match)
        current = _nth([root] if current is None else current, namespace, local, index)
        if current is None:
            return None
        position = match.end()
    return current


def source_line(element: etree._Element) -> int | None:
    """The 1-based line ``element`` was parsed from (None for a built element)."""
    return cast("int | None", element.sourceline)


def line_of(root: etree._Element, location: str | None) -> int | None:
    """The source line of the element ``location`` points at, or None when not found."""
    if not location:
        return None
    element = element_at(root, location)
    return source_line(element) if element is not None else None
