import pytest

from shopcart.pricing import add_tax, apply_discount, bulk_discount, format_cents, round_half_up


def test_discount():
    assert apply_discount(1000, 15) == 850


def test_discount_bounds():
    assert apply_discount(999, 0) == 999
    assert apply_discount(999, 100) == 0
    with pytest.raises(ValueError):
        apply_discount(100, 101)


def test_tax():
    assert add_tax(1000, 20) == 1200
    assert add_tax(999, 5) == 1049


def test_negative_tax():
    with pytest.raises(ValueError):
        add_tax(100, -1)


def test_round_half_up():
    assert round_half_up(5, 10) == 1
    assert round_half_up(4, 10) == 0
    assert round_half_up(15, 10) == 2


def test_bulk_discount():
    assert bulk_discount(1) == 0
    assert bulk_discount(9) == 0
    assert bulk_discount(10) == 5
    assert bulk_discount(99) == 5
    assert bulk_discount(100) == 15


def test_format_cents():
    assert format_cents(12345) == "123.45"
    assert format_cents(5) == "0.05"
    assert format_cents(-250) == "-2.50"
