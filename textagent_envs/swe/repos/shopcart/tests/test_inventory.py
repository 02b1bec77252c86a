import pytest

from shopcart.inventory import Inventory, OutOfStock


@pytest.fixture
def stock():
    inventory = Inventory()
    inventory.add("apple", 10, 50)
    inventory.add("pear", 2, 80)
    return inventory


def test_add_accumulates(stock):
    stock.add("apple", 5, 50)
    assert stock.quantity("apple") == 15


def test_add_rejects_nothing(stock):
    with pytest.raises(ValueError):
        stock.add("apple", 0, 50)


def test_remove(stock):
    stock.remove("apple", 4)
    assert stock.quantity("apple") == 6


def test_remove_all_forgets_the_item(stock):
    stock.remove("pear", 2)
    assert stock.quantity("pear") == 0
    assert stock.low_stock(100) == ["apple"]


def test_remove_too_many(stock):
    with pytest.raises(OutOfStock):
        stock.remove("pear", 3)


def test_total_value(stock):
    assert stock.total_value() == 10 * 50 + 2 * 80


def test_low_stock(stock):
    assert stock.low_stock(3) == ["pear"]
    assert stock.low_stock(2) == []
    assert stock.low_stock(11) == ["apple", "pear"]
