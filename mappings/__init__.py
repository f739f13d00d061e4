"""Declarative mappings from an accounting system's codes to EN 16931 code lists.

One plain-data TOML file per system, ``mappings/<system>.toml``, with these tables:

* ``[vat.<tax code>]`` - ``category`` (UNCL5305, BT-151), ``rate`` (a percentage written as a
  string, BT-152), and for exempt categories ``exemption_code`` (VATEX, BT-121) and
  ``exemption_reason`` (BT-120);
* ``[units]`` - unit -> UN/ECE Rec 20 (BT-130);
* ``[payment_methods]`` - payment method -> UNCL4461 (BT-81);
* ``[countries]``, ``[currencies]`` - fixes to ISO 3166-1 alpha-2 and ISO 4217 codes;
* ``[identifier_schemes]`` - party identifier type -> ISO 6523 ICD or EAS scheme;
* ``[defaults]`` - ``unit``, ``payment_means``, ``country``, ``currency`` for records with none;
* ``[remove]`` (override files only) - table -> the keys to take away from the files before.

:func:`load` reads the packaged file, merges per-tenant override files on top and checks every
code against ``model.codes``; the returned :class:`Mapping` answers lookups. Errors:
:class:`MappingFileError` for a bad file (at load), :class:`MissingMapping` for an unmapped code
(a record error), both :class:`MappingError`.
"""

from mappings.errors import MappingError, MappingFileError, MissingMapping
from mappings.loader import load, packaged_path
from mappings.mapping import Mapping, NewOverride
from mappings.vat import VatMapping

__all__ = [
    "Mapping",
    "MappingError",
    "MappingFileError",
    "MissingMapping",
    "NewOverride",
    "VatMapping",
    "load",
    "packaged_path",
]
