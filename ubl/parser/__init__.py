"""Read a UBL 2.1 Invoice or CreditNote into the EN 16931 model (BG-0), with a parse report.

The reader follows the binding shared with :mod:`ubl.writer`. Each aggregate
is read by one small function that walks its child elements once and
dispatches on the Clark tag through a table (``_Spec`` per tag), so any
namespace prefix works and nothing is looked up by XPath.

Values are strict: decimals ``[+-]digits[.digits]``, dates ``YYYY-MM-DD``,
booleans ``true/false/1/0``; a bad value or missing mandatory content is an
:class:`~ubl.errors.InputError` naming the element, its EN 16931 term (BT-n)
and the line. Content the binding does not map (``cbc:UBLVersionID``,
``ext:UBLExtensions``, an unmapped attribute, a second value where the model
holds one, an empty element) is never dropped silently: it becomes a
:class:`~model.findings.Finding` in ``ParseResult.report`` (layer ``parse``, severity
``warning``) with its path as ``location``, its line and a rule id: ``UBL-NOT-COVERED``
(content the binding does not map), ``UBL-SECOND-VALUE`` (a repeat where the model holds
one value) or ``UBL-EMPTY-ELEMENT`` (an element without content, read as absent).

One module a job, each importing only those above it:
:mod:`~ubl.parser._engine` (where an element is, and the table dispatch),
:mod:`~ubl.parser._values` (leaf values), :mod:`~ubl.parser._aggregates` (parties,
payment means, allowances and charges, VAT breakdown, totals), :mod:`~ubl.parser._lines`
(BG-25) and :mod:`~ubl.parser._document` (BG-0 and :func:`parse_document`).
"""

from ubl.parser._document import parse_document
from ubl.parser._result import ParseResult

__all__ = ["ParseResult", "parse_document"]
