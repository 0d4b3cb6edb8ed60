"""Password hashes with the standard library's scrypt (memory-hard), and the strength rule."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from gongji.errors import GongjiError

_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                                  dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed, base64.b64decode(digest))


#: Verified when an account is unknown, so that a wrong account name costs as long as a wrong password.
DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def check_strength(password: object) -> str:
    if (not isinstance(password, str) or not 8 <= len(password) <= 128
            or not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password)):
        raise GongjiError("WEAK_PASSWORD")
    return password
