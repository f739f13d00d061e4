"""The specification identifiers (CustomizationID, BT-24) and business process identifiers
(ProfileID, BT-23) of the documents ledgerlink writes; shared by the profiles and the rules."""

from typing import Final

PEPPOL_BILLING: Final = "urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PEPPOL_CUSTOMIZATION_ID: Final = f"urn:cen.eu:en16931:2017#compliant#{PEPPOL_BILLING}"
PEPPOL_PROFILE_ID: Final = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
EN16931_CUSTOMIZATION_ID: Final = "urn:cen.eu:en16931:2017"
NLCIUS_CUSTOMIZATION_ID: Final = "urn:cen.eu:en16931:2017#compliant#urn:fdc:nen.nl:nlcius:v1.0"
NLCIUS_PROFILE_ID: Final = PEPPOL_PROFILE_ID
"""SI-UBL 2.0 keeps the Peppol billing process (see :mod:`ubl.profiles`)."""
