"""Reconciliation (``gongji reconcile``): the whole ledger against itself and against the rows it pays for.

:func:`~gongji.reconcile.service.reconcile` runs every check as a few aggregate queries in one snapshot and returns a
:class:`~gongji.reconcile.service.Report` that names each difference with the rows involved.
"""

from gongji.reconcile.service import Check, Difference, Report, reconcile

__all__ = ["Check", "Difference", "Report", "reconcile"]
