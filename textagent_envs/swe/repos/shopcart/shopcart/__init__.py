"""A small shop: prices with discounts and tax, stock keeping, and orders."""
