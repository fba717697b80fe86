"""Check digits of Chinese identity numbers.

Resident ID (GB 11643-1999): 17 digits and a check character; weights 7 9 10 5 8 4 2 1 6
3 7 9 10 5 8 4 2, the sum mod 11 indexes "10X98765432".
Unified social credit code (GB 32100-2015): 18 characters from
"0123456789ABCDEFGHJKLMNPQRTUWXY"; weights 3^(i-1) mod 31; check = 31 - sum mod 31 (31 → 0).
"""

from __future__ import annotations

import re
from datetime import date

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


def normalize_id_number(value: str) -> str:
    return value.strip().upper().replace(" ", "")


def id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def valid_id_number(value: str) -> bool:
    """True for an 18-character resident ID with a valid birth date and check character."""
    v = normalize_id_number(value)
    if not re.fullmatch(r"\d{17}[\dX]", v):
        return False
    try:
        born = date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return False
    if born.year < 1900 or born > date.today():
        return False
    return id_check_char(v[:17]) == v[17]


def credit_check_char(first17: str) -> str:
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def valid_credit_code(value: str) -> bool:
    v = value.strip().upper()
    if len(v) != 18 or any(c not in CREDIT_ALPHABET for c in v):
        return False
    return credit_check_char(v[:17]) == v[17]


def mask_name(name: str) -> str:
    """张三丰 → 张**; used on public pages (verification) where names must not show."""
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    return value[:6] + "********" + value[-4:]
