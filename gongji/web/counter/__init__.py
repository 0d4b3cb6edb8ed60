"""The counter console for staff (/counter): find a person, assisted binding with the region's checklist,
the paper attestation for a one-off payment, refunds, the day report.

Staff act only for people insured in their region (``OUTSIDE_YOUR_REGION`` otherwise) and only on settlements
of their region, through the same services as the API, recorded with the staff member as actor and the
channel ``counter`` (N-8), or ``hospital_office`` for a paper attestation taken at a hospital (SZ-5).

Pages that change money carry a one-time key in the form (hidden field ``key``): sending the same form twice
refunds or settles once, as an ``Idempotency-Key`` does for the API; the key is kept apart per staff member
like the API keeps a staff member's keys apart from the institutions' own.

A module per area registers its pages on the one :data:`router`: :mod:`.login`, :mod:`.find` (a person and his
page), :mod:`.bindings`, :mod:`.binding_changes`, :mod:`.settlements`, :mod:`.statements`, :mod:`.attestation`, :mod:`.report`, :mod:`.password` (a reset after
the ID card is checked), and what is done for the person who came in (:mod:`.desk`: the checklist, the relative by
ID or card number): :mod:`.families`, :mod:`.transfers`, :mod:`.contributions`, :mod:`.wallet`, :mod:`.person`
(status and contributions, a binding's proof), :mod:`.agents` (agencies, AG-1). Refusals are put next to their fields by :mod:`gongji.web.forms`.
"""

from gongji.web.counter import (  # noqa: F401
    agents,
    attestation,
    binding_changes,
    bindings,
    contributions,
    families,
    find,
    login,
    password,
    person,
    report,
    settlements,
    statements,
    transfers,
    wallet,
)
from gongji.web.counter.common import router

__all__ = ["router"]
