"""Orders: lines of (sku, quantity) priced against an inventory."""

from .inventory import OutOfStock
from .pricing import add_tax, apply_discount, bulk_discount


class Order:
    def __init__(self, inventory, tax_percent=0):
        self.inventory = inventory
        self.tax_percent = tax_percent
        self.lines = []

    def add_line(self, sku, quantity):
        if quantity < 1:
            raise ValueError("quantity must be at least 1")
        if self.inventory.quantity(sku) < quantity:
            raise OutOfStock(sku)
        self.lines.append((sku, quantity))

    def line_total(self, sku, quantity):
        gross = self.inventory.price(sku) * quantity
        return apply_discount(gross, bulk_discount(quantity))

    def subtotal(self):
        return sum(self.line_total(sku, quantity) for sku, quantity in self.lines)

    def total(self):
        return add_tax(self.subtotal(), self.tax_percent)

    def checkout(self):
        if not self.lines:
            raise ValueError("an empty order cannot be checked out")
        for sku, quantity in self.lines:
            self.inventory.remove(sku, quantity)
        return self.total()
