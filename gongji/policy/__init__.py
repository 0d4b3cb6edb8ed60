"""Region policy as data: the schema (settings.py), the files (regions/) and their loader (book.py)."""

from gongji.policy.book import PolicyBook, PolicyFileError, load_policies
from gongji.policy.settings import AidModel, PayerOrder, ProofPolicy, RegionPolicy, Scope

__all__ = [
    "AidModel",
    "PayerOrder",
    "PolicyBook",
    "PolicyFileError",
    "ProofPolicy",
    "RegionPolicy",
    "Scope",
    "load_policies",
]
