"""The portal for insured people (/portal): log in, see one's accounts, bind and unbind relatives, records.

Every page here acts for the logged-in person only, through the same services the API uses, with the
channel ``portal`` (N-8). What a page offers follows the person's region policy, never the region's name:
binding where the region binds (HLJ-7), families where it has them (HN-1), transfers where it moves
prior-years funds instead (HZ-1..HZ-4). The medical insurance wallet is everyone's (WAL-1..WAL-4, HN-9).

A module per area registers its pages on the one :data:`router`: :mod:`.home` (log in, home), :mod:`.bindings`,
:mod:`.binding_changes`, :mod:`.family`, :mod:`.payments`, :mod:`.statements`, :mod:`.transfers`, :mod:`.notifications`, :mod:`.wallet`, :mod:`.agents`
(acting for someone, AG-1). Forms are checked
and their refusals shown next to their fields by :mod:`gongji.web.forms`, with the portal's wording
(:data:`.common.WORDING`). A refused form comes back with what was typed in it.
"""

from gongji.web.portal import (  # noqa: F401
    agents,
    binding_changes,
    bindings,
    family,
    home,
    notifications,
    payments,
    statements,
    transfers,
    wallet,
)
from gongji.web.portal.bindings import upload_dir
from gongji.web.portal.common import router

__all__ = ["router", "upload_dir"]
