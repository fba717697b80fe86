"""Formatting helpers: amounts in uppercase, Chinese dates, document numbers, masks."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from odr.documents import numbers as n


@pytest.mark.parametrize(("amount", "expected"), [
    (12000, "人民币壹万贰仟元整"),
    ("12000.00", "人民币壹万贰仟元整"),
    (Decimal("0"), "人民币零元整"),
    (Decimal("0.05"), "人民币伍分"),
    (Decimal("0.50"), "人民币伍角整"),
    (Decimal("10.5"), "人民币壹拾元伍角整"),
    (Decimal("100.05"), "人民币壹佰元零伍分"),
    (Decimal("1680.32"), "人民币壹仟陆佰捌拾元叁角贰分"),
    (Decimal("1010"), "人民币壹仟零壹拾元整"),
    (Decimal("100010"), "人民币壹拾万零壹拾元整"),
    (Decimal("107000.53"), "人民币壹拾万零柒仟元伍角叁分"),
    (Decimal("100000000"), "人民币壹亿元整"),
    (Decimal("100010000"), "人民币壹亿零壹万元整"),
    (Decimal("800.50"), "人民币捌佰元伍角整"),
    ("1,500.50", "人民币壹仟伍佰元伍角整"),
])
def test_money_upper(amount: object, expected: str) -> None:
    assert n.money_upper(amount) == expected  # type: ignore[arg-type]


def test_money_refuses_float_and_negative() -> None:
    with pytest.raises(TypeError):
        n.money_upper(12.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        n.money_upper(Decimal("-1"))
    with pytest.raises(ValueError):
        n.money_upper("abc")


def test_money_figures() -> None:
    assert n.money_figures(Decimal("12000")) == "12,000.00"
    assert n.money_figures("1234567.891", symbol="¥") == "¥1,234,567.89"


@pytest.mark.parametrize(("value", "expected"), [
    (date(2026, 11, 23), "二〇二六年十一月二十三日"),
    (date(2026, 1, 1), "二〇二六年一月一日"),
    (date(2030, 10, 10), "二〇三〇年十月十日"),
    (date(2026, 12, 31), "二〇二六年十二月三十一日"),
])
def test_cn_date(value: date, expected: str) -> None:
    assert n.cn_date(value) == expected


def test_cn_integer_and_datetime() -> None:
    assert [n.cn_integer(i) for i in (0, 3, 10, 12, 20, 105, 1010)] == [
        "零", "三", "十", "十二", "二十", "一百零五", "一千零一十"]
    assert n.cn_datetime(datetime(2026, 11, 23, 9, 5)) == "2026年11月23日 09:05"


def test_document_numbers() -> None:
    assert n.ruling_number(2026, "浙0681", 123) == "(2026)浙0681民特123号"
    assert n.agreement_number(2026, "某人调", 15) == "(2026)某人调字第15号"
    assert n.agreement_number(2026, "某人调字", 15) == "(2026)某人调字第15号"
    with pytest.raises(ValueError):
        n.ruling_number(2026, "0681", 1)
    with pytest.raises(ValueError):
        n.agreement_number(2026, "某人调", 0)


def test_masks() -> None:
    assert n.mask_id_number("11010519491231002X") == "110105********002X"
    assert n.mask_phone("13812345678") == "138****5678"
    assert n.mask_id_number("123") == "***"
