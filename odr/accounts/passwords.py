"""Password hashing with Argon2id (memory-hard), rehashing when parameters change.

Cost comes from settings (ODR_ARGON2_MEMORY_KIB, ODR_ARGON2_TIME_COST; defaults follow
OWASP's 19 MiB / 2 passes). The test suite uses a cheaper but still memory-hard setting
so that hundreds of logins do not dominate its run time.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, has_app_context

DEFAULT_MEMORY_KIB = 19 * 1024
DEFAULT_TIME_COST = 2


@lru_cache(maxsize=4)
def _hasher_for(memory_kib: int, time_cost: int) -> tuple[PasswordHasher, str]:
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
    # A dummy hash so that a login for an unknown user costs as much as a wrong password.
    return hasher, hasher.hash("not-a-real-password")


def _hasher() -> tuple[PasswordHasher, str]:
    if has_app_context():
        return _hasher_for(int(current_app.config.get("ARGON2_MEMORY_KIB", DEFAULT_MEMORY_KIB)),
                           int(current_app.config.get("ARGON2_TIME_COST", DEFAULT_TIME_COST)))
    return _hasher_for(DEFAULT_MEMORY_KIB, DEFAULT_TIME_COST)


def hash_password(password: str) -> str:
    return _hasher()[0].hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    hasher, dummy = _hasher()
    try:
        return hasher.verify(stored or dummy, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher()[0].check_needs_rehash(stored)
