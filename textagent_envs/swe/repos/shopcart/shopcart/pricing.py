"""Prices in cents: discounts, tax and rounding."""


def apply_discount(cents, percent):
    if not 0 <= percent <= 100:
        raise ValueError("percent must be between 0 and 100")
    return cents - cents * percent // 100


def add_tax(cents, rate_percent):
    if rate_percent < 0:
        raise ValueError("tax rate must not be negative")
    return cents + round_half_up(cents * rate_percent, 100)


def round_half_up(numerator, denominator):
    quotient, remainder = divmod(numerator, denominator)
    if remainder * 2 >= denominator:
        quotient += 1
    return quotient


def bulk_discount(quantity):
    """Percent off for buying ``quantity`` of one item."""
    if quantity >= 100:
        return 15
    if quantity >= 10:
        return 5
    return 0


def format_cents(cents):
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"
