"""Descriptive statistics over lists of numbers."""


def mean(values):
    if not values:
        raise ValueError("mean of an empty list")
    return sum(values) / len(values)


def median(values):
    if not values:
        raise ValueError("median of an empty list")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2 == 1:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def variance(values):
    if len(values) < 2:
        raise ValueError("variance needs at least two values")
    centre = mean(values)
    return sum((v - centre) ** 2 for v in values) / (len(values) - 1)


def clamp(value, low, high):
    if low > high:
        raise ValueError("low must not exceed high")
    if value < low:
        return low
    if value > high:
        return high
    return value


def running_total(values):
    total = 0
    out = []
    for v in values:
        total = total + v
        out.append(total)
    return out
