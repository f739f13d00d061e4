"""Read what a UBL document is from its first bytes, without parsing it whole.

:func:`sniff` reads the start of a document (:data:`HEADER_BYTES` by default) with an
incremental parser set up as :mod:`ubl._xml` sets up every reader of untrusted XML: no
network, no DTD loaded, no entity resolved, external resources answered empty; a document
that declares a DOCTYPE or an ENTITY is not sniffed at all. It returns a :class:`Header`: the
root element and its kind (``invoice`` for a UBL 2.1 Invoice, ``credit_note`` for a
CreditNote, None for any other root such as an Order or a camt.053 statement), and from the
header's basic components, when the start holds them: BT-24 CustomizationID, BT-23
ProfileID, BT-1 number, BT-2 issue date and BT-5 currency, as written (stripped).

>>> header = sniff(b'''<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
...   xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
...   <cbc:ID> INV-1 </cbc:ID><cbc:IssueDate>2026-11-01</cbc:IssueDate></Invoice>''')
>>> header.kind, header.number, header.issue_date, header.currency
('invoice', 'INV-1', '2026-11-01', None)
>>> sniff(b"not xml") is None
True

It never raises for what the bytes hold: input that is not XML, is binary or declares a
DOCTYPE gives None, and so does a start that ends before the root element does.
:func:`sniff_file` reads the start of a file (an unreadable file gives None).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, TypeAlias

from ubl._ns import CAC, CBC, CREDIT_NOTE, INVOICE

if TYPE_CHECKING:  # lxml loads on the first sniff
    from lxml import etree

__all__ = ["HEADER_BYTES", "DocumentKind", "Header", "sniff", "sniff_file"]

HEADER_BYTES: Final = 64 * 1024
"""How much of a document :func:`sniff` reads by default."""

DocumentKind: TypeAlias = Literal["invoice", "credit_note"]

_KINDS: Final[dict[str, DocumentKind]] = {
    f"{{{INVOICE}}}Invoice": "invoice",
    f"{{{CREDIT_NOTE}}}CreditNote": "credit_note",
}
_FIELDS: Final = {
    f"{{{CBC}}}CustomizationID": "customization_id",
    f"{{{CBC}}}ProfileID": "profile_id",
    f"{{{CBC}}}ID": "number",
    f"{{{CBC}}}IssueDate": "issue_date",
    f"{{{CBC}}}DocumentCurrencyCode": "currency",
}
_REFUSED: Final = (b"<!DOCTYPE", b"<!ENTITY")


@dataclass(frozen=True, slots=True, kw_only=True)
class Header:
    """What the start of a document says it is.

    ``root``: the root element in Clark notation (``{namespace}local``); ``kind``:
    ``invoice`` or ``credit_note`` for a UBL 2.1 Invoice or CreditNote root, else None.
    The header fields are None when the start of the document does not state them (they come
    before the first aggregate, ``cac:...``, in a UBL document).
    """

    root: str
    kind: DocumentKind | None = None
    customization_id: str | None = None
    """BT-24 specification identifier (``cbc:CustomizationID``)."""
    profile_id: str | None = None
    """BT-23 business process type (``cbc:ProfileID``)."""
    number: str | None = None
    """BT-1 invoice number (``cbc:ID``)."""
    issue_date: str | None = None
    """BT-2 issue date (``cbc:IssueDate``), as written."""
    currency: str | None = None
    """BT-5 invoice currency code (``cbc:DocumentCurrencyCode``)."""

    @property
    def is_ubl(self) -> bool:
        """True for a UBL 2.1 Invoice or CreditNote root."""
        return self.kind is not None


_CHUNK: Final = 4096


def _pull_parser() -> etree.XMLPullParser:
    """An incremental parser with the refusals of :mod:`ubl._xml`."""
    from lxml import etree

    from ubl._xml import _RefuseResolver

    parser = etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
    )
    parser.resolvers.add(_RefuseResolver())
    return parser


def sniff(data: bytes, *, limit: int = HEADER_BYTES) -> Header | None:
    """The :class:`Header` of the document starting with ``data`` (only its first ``limit``
    bytes are read, and no more of them than the header needs); None for input that is not
    XML, declares a DOCTYPE or ENTITY, or ends before its root element starts."""
    from lxml import etree

    head = data[:limit]
    if any(marker in head for marker in _REFUSED):
        return None
    reader = _HeaderReader()
    parser = _pull_parser()
    for start in range(0, len(head), _CHUNK):
        try:
            parser.feed(head[start : start + _CHUNK])
        except etree.XMLSyntaxError:  # what was read before the error counts
            reader.read(parser)
            break
        if reader.read(parser):
            break
    if reader.root is None:
        return None
    return Header(root=reader.root, kind=reader.kind, **reader.fields)


class _HeaderReader:
    """The root and the header fields, from a pull parser's events as they come."""

    def __init__(self) -> None:
        self.root: str | None = None
        self.kind: DocumentKind | None = None
        self.fields: dict[str, str] = {}
        self._depth = 0

    def read(self, parser: etree.XMLPullParser) -> bool:
        """Take the parser's pending events; True once the header is complete."""
        from lxml import etree

        for event, element in parser.read_events():
            if not isinstance(element, etree._Element):  # only start and end events come
                continue
            tag = element.tag if isinstance(element.tag, str) else ""
            if event == "end":
                self._depth -= 1
                key = _FIELDS.get(tag) if self._depth == 1 else None
                if key is not None and key not in self.fields and element.text:
                    self.fields[key] = element.text.strip()
                continue
            self._depth += 1
            if self._depth == 1:
                self.root = tag
                self.kind = _KINDS.get(tag)
                if self.kind is None:
                    return True  # another document: its header fields are not UBL's
            elif self._depth == 2 and tag.startswith(f"{{{CAC}}}"):
                return True  # the header's basic components come before the first aggregate
        return False


def sniff_file(path: Path, *, limit: int = HEADER_BYTES) -> Header | None:
    """:func:`sniff` of the first ``limit`` bytes of ``path``; None when it cannot be read."""
    try:
        with path.open("rb") as file:
            head = file.read(limit)
    except OSError:
        return None
    return sniff(head, limit=limit)
