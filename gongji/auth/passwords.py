"""Password hashes with the standard library's scrypt (memory-hard), and the strength rule.

The cost is OWASP's for scrypt (Password Storage Cheat Sheet): N = 2^17, r = 8, p = 1, about 128 MB and a
fraction of a second per hash. A hash keeps its own parameters (``scrypt$N$r$p$salt$digest``), so a hash made
at a lower cost still verifies; :func:`needs_rehash` tells the login to store it again at the current cost
(gongji.auth.service.login_person, login_staff).

``GONGJI_TEST_PASSWORD_COST`` (log2 of N, 10 to 17) lowers the cost for the test suite only, so that its
thousands of logins stay fast; a deployment leaves it unset.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os

from gongji.errors import GongjiError

#: log2 of scrypt's N, and r and p: OWASP's parameters.
DEFAULT_COST, R, P = 17, 8, 1
#: The setting that lowers the cost, for tests only.
TEST_COST_SETTING = "GONGJI_TEST_PASSWORD_COST"
_LOWEST_COST, _HIGHEST_COST = 10, 20


def cost() -> int:
    """log2 of the N new hashes are made with: :data:`DEFAULT_COST` unless the test setting lowers it."""
    value = os.environ.get(TEST_COST_SETTING)
    if not value:
        return DEFAULT_COST
    log2n = int(value)
    if not _LOWEST_COST <= log2n <= DEFAULT_COST:
        raise ValueError(f"{TEST_COST_SETTING} must be from {_LOWEST_COST} to {DEFAULT_COST}, not {value}")
    return log2n


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # maxmem: scrypt needs 128 * r * N bytes (and a little more); Python's default allows 32 MB only.
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32, maxmem=256 * r * n + 2**20)


def hash_password(password: str, *, log2n: int | None = None) -> str:
    n = 2 ** (cost() if log2n is None else log2n)
    salt = os.urandom(16)
    b64 = base64.b64encode
    return f"scrypt${n}${R}${P}${b64(salt).decode()}${b64(_scrypt(password, salt, n, R, P)).decode()}"


def _parameters(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        n_, r_, p_ = int(n), int(r), int(p)
        if scheme != "scrypt" or n_ > 2**_HIGHEST_COST or n_ < 2 or r_ != R or p_ != P:
            return None
        return n_, r_, p_, base64.b64decode(salt), base64.b64decode(digest)
    except (ValueError, TypeError, AttributeError):
        return None


def verify_password(password: str, stored: str) -> bool:
    found = _parameters(stored)
    if found is None:
        return False
    n, r, p, salt, digest = found
    try:
        computed = _scrypt(password, salt, n, r, p)
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(computed, digest)


def needs_rehash(stored: str) -> bool:
    """True for a hash made at a cost other than the current one: the login that verified it stores it anew."""
    found = _parameters(stored)
    return found is None or found[0] != 2 ** cost()


@functools.cache
def _dummy_hash(log2n: int) -> str:
    return hash_password("not-a-password-0", log2n=log2n)


def dummy_hash() -> str:
    """Verified when an account is unknown, so that a wrong account name costs as long as a wrong password."""
    return _dummy_hash(cost())


def check_strength(password: object) -> str:
    if (not isinstance(password, str) or not 8 <= len(password) <= 128
            or not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password)):
        raise GongjiError("WEAK_PASSWORD")
    return password
