import pytest

from shopcart.inventory import Inventory, OutOfStock
from shopcart.orders import Order


@pytest.fixture
def stock():
    inventory = Inventory()
    inventory.add("pen", 200, 100)
    inventory.add("ink", 3, 450)
    return inventory


def test_small_order_total(stock):
    order = Order(stock, tax_percent=10)
    order.add_line("ink", 2)
    assert order.subtotal() == 900
    assert order.total() == 990


def test_bulk_lines_are_discounted(stock):
    order = Order(stock)
    order.add_line("pen", 10)
    order.add_line("pen", 100)
    assert order.subtotal() == 950 + 8500


def test_cannot_order_more_than_stock(stock):
    order = Order(stock)
    with pytest.raises(OutOfStock):
        order.add_line("ink", 4)


def test_quantity_must_be_positive(stock):
    with pytest.raises(ValueError):
        Order(stock).add_line("pen", 0)


def test_checkout_takes_the_stock(stock):
    order = Order(stock, tax_percent=20)
    order.add_line("ink", 3)
    assert order.checkout() == 1620
    assert stock.quantity("ink") == 0


def test_empty_checkout(stock):
    with pytest.raises(ValueError):
        Order(stock).checkout()
