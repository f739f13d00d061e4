"""Business identifiers and payment references, one module per standard.

Each module follows python-stdnum's conventions and uses python-stdnum wherever
it has the standard: ``compact(number)``, ``validate(number)`` (returns the
compact form or raises :class:`InvalidIdentifier`), ``is_valid(number)`` and,
where the standard has a print form, ``format(number)``. The module docstring
is the specification, with its source.

Identifiers:

* :mod:`.vat` - VAT number with country prefix (EU member states, GB, NO, CH);
  also ``country()``
* :mod:`.iban` - IBAN (ISO 13616)
* :mod:`.bic` - BIC (ISO 9362)
* :mod:`.kvk` - Dutch Chamber of Commerce number (8 digits)
* :mod:`.oin` - Dutch government organisation number (20 digits)
* :mod:`.gln` - GS1 Global Location Number (13 digits)
* :mod:`.be_enterprise` - Belgian enterprise number (KBO/BCE)

Payment references (each with ``create()``):

* :mod:`.rf` - ISO 11649 creditor reference (``RF18 5390 0754 7034``)
* :mod:`.ogm` - Belgian OGM/VCS (``+++010/8068/17183+++``)
* :mod:`.betalingskenmerk` - Dutch payment reference (7, 9-14 or 16 digits)

Dispatch:

* :mod:`.schemes` - ``validate_scheme(scheme_id, value)`` for ICD/EAS scheme ids

Errors: :class:`InvalidIdentifier` (a :class:`ValueError`), message
``"<standard> <value>: <what is wrong>"``.

Submodules are not imported here; import the one you need, e.g.
``from model.identifiers import vat``.
"""

from model.identifiers._errors import InvalidIdentifier

__all__ = ["InvalidIdentifier"]
