"""Pure formatting helpers for the numbers and dates printed on legal documents.

Chinese legal documents spell amounts twice (figures and uppercase 大写, so that a
figure cannot be altered without the mismatch showing) and write dates in Chinese
numerals on rulings. These helpers only format; they never look anything up, so
the numbering service (sequences per court or organization and year) lives elsewhere
and calls them.
"""

from __future__ import annotations

import datetime as _dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = [
    "agreement_number",
    "cn_date",
    "cn_datetime",
    "cn_integer",
    "mask_id_number",
    "mask_phone",
    "money_figures",
    "money_upper",
    "ruling_number",
]

_UPPER_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UPPER_UNITS = ("", "拾", "佰", "仟")
_UPPER_SECTIONS = ("", "万", "亿", "万亿")
_LOWER_DIGITS = "〇一二三四五六七八九"
_COURT_CODE = re.compile(r"^[\u4e00-\u9fff]\d{4}$")
_CENT = Decimal("0.01")
# 9,999,999,999,999,999.99: four sections of four digits, the largest that
# _UPPER_SECTIONS can spell.
_MAX_AMOUNT = Decimal("9999999999999999.99")


def ruling_number(year: int, court_code: str, sequence: int, type_code: str = "民特") -> str:
    """Format a court case number, e.g. ``(2026)浙0681民特123号``.

    The court code is the province abbreviation plus four digits (浙0681); 民特 is the
    type code of special-procedure cases, which judicial confirmation belongs to.
    """
    if not _COURT_CODE.match(court_code):
        raise ValueError(f"court code must be a province abbreviation and 4 digits: {court_code!r}")
    if sequence < 1 or not 1949 < year < 10000:
        raise ValueError("year and sequence must be positive")
    return f"({year}){court_code}{type_code}{sequence}号"


def agreement_number(year: int, organization_code: str, sequence: int) -> str:
    """Format a people's-mediation agreement number, e.g. ``(2026)某人调字第15号``.

    ``organization_code`` is the organization's short prefix without the trailing
    字 (某人调), as numbers run per organization and year.
    """
    if sequence < 1 or not organization_code:
        raise ValueError("organization code and a positive sequence are required")
    code = organization_code.removesuffix("字")
    return f"({year}){code}字第{sequence}号"


def _to_cents(amount: Decimal | int | str) -> Decimal:
    """Parse an amount into a Decimal rounded to the cent; floats are refused
    because their binary rounding would silently change a legal sum."""
    if isinstance(amount, float):
        raise TypeError("pass money as Decimal, int or str, never float")
    try:
        value = Decimal(str(amount).replace(",", "").strip())
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {amount!r}") from exc
    if not value.is_finite() or value < 0 or value > _MAX_AMOUNT:
        raise ValueError(f"amount out of range: {amount!r}")
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _upper_integer(number: int) -> str:
    """Spell a non-negative integer in financial uppercase (壹万贰仟, 壹拾万零伍佰)."""
    if number == 0:
        return "零"
    digits = [int(d) for d in str(number)]
    length = len(digits)
    out: list[str] = []
    zero_pending = False
    section_has_digit = False
    for index, digit in enumerate(digits):
        position = length - 1 - index
        if digit == 0:
            zero_pending = bool(out)
        else:
            if zero_pending:
                out.append("零")
                zero_pending = False
            out.append(_UPPER_DIGITS[digit] + _UPPER_UNITS[position % 4])
            section_has_digit = True
        if position % 4 == 0:
            if section_has_digit and position:
                out.append(_UPPER_SECTIONS[position // 4])
            section_has_digit = False
    return "".join(out)


def money_upper(amount: Decimal | int | str, *, prefix: str = "人民币") -> str:
    """Spell an amount of yuan in uppercase, e.g. 12000 → 人民币壹万贰仟元整.

    Follows the 支付结算办法 rules that banks and courts use: 整 after 元 or 角,
    none after 分, and 零 before a 分 that follows a zero 角.
    """
    value = _to_cents(amount)
    cents = int(value * 100)
    yuan, rest = divmod(cents, 100)
    jiao, fen = divmod(rest, 10)
    parts = [prefix]
    if yuan or not rest:
        parts.append(_upper_integer(yuan) + "元")
    if jiao:
        parts.append(_UPPER_DIGITS[jiao] + "角")
    elif fen and yuan:
        parts.append("零")
    if fen:
        parts.append(_UPPER_DIGITS[fen] + "分")
    else:
        parts.append("整")
    return "".join(parts)


def money_figures(amount: Decimal | int | str, *, symbol: str = "") -> str:
    """Format an amount in figures with thousands separators, e.g. 12,000.00."""
    return f"{symbol}{_to_cents(amount):,.2f}"


def cn_integer(number: int) -> str:
    """Spell a count in ordinary Chinese numerals (3 → 三, 12 → 十二, 105 → 一百零五).

    Used for clauses such as 本协议一式三份 and for article numbers, where the
    financial uppercase would look wrong.
    """
    if number < 0 or number > 9999:
        raise ValueError("cn_integer supports 0..9999")
    if number == 0:
        return "零"
    units = ("", "十", "百", "千")
    digits = [int(d) for d in str(number)]
    out: list[str] = []
    zero_pending = False
    for index, digit in enumerate(digits):
        position = len(digits) - 1 - index
        if digit == 0:
            zero_pending = bool(out)
            continue
        if zero_pending:
            out.append("零")
            zero_pending = False
        out.append(_LOWER_DIGITS[digit].replace("〇", "零") + units[position])
    text = "".join(out)
    # 10-19 read 十, 十一 rather than 一十, 一十一.
    return text[1:] if text.startswith("一十") else text


def cn_date(value: _dt.date) -> str:
    """Write a date the way rulings and agreements do: 二〇二六年十一月二十三日."""
    year = "".join(_LOWER_DIGITS[int(d)] for d in f"{value.year:04d}")
    return f"{year}年{cn_integer(value.month)}月{cn_integer(value.day)}日"


def cn_datetime(value: _dt.datetime) -> str:
    """Write a moment for signature and minutes lines: 2026年11月23日 14:05.

    Figures are used (not Chinese numerals) because these lines record a time
    stamp, which readers compare against the platform's records.
    """
    return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"


def mask_id_number(number: str) -> str:
    """Mask a resident ID (or other) number, keeping the first 6 and last 4 characters.

    The first six digits show the issuing area and the last four the check digit,
    enough for a reader to tell people apart without exposing the birth date.
    """
    number = number.strip()
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(number: str) -> str:
    """Mask a mobile number as 138****5678 (keeping the first 3 and last 4 digits)."""
    number = number.strip()
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]
