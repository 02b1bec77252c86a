"""Stock keeping for items identified by a SKU."""


class OutOfStock(Exception):
    pass


class Inventory:
    def __init__(self):
        self._stock = {}
        self._prices = {}

    def add(self, sku, quantity, price_cents):
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        self._stock[sku] = self._stock.get(sku, 0) + quantity
        self._prices[sku] = price_cents

    def remove(self, sku, quantity):
        available = self._stock.get(sku, 0)
        if quantity > available:
            raise OutOfStock(sku)
        self._stock[sku] = available - quantity
        if self._stock[sku] == 0:
            del self._stock[sku]

    def quantity(self, sku):
        return self._stock.get(sku, 0)

    def price(self, sku):
        return self._prices[sku]

    def total_value(self):
        return sum(self._prices[sku] * count for sku, count in self._stock.items())

    def low_stock(self, threshold):
        return sorted(sku for sku, count in self._stock.items() if count < threshold)
