import pytest

from calckit.stats import clamp, mean, median, running_total, variance


def test_mean():
    assert mean([1, 2, 3, 4]) == 2.5


def test_mean_empty():
    with pytest.raises(ValueError):
        mean([])


def test_median_odd():
    assert median([5, 1, 3]) == 3


def test_median_even():
    assert median([4, 1, 3, 2]) == 2.5


def test_variance():
    assert variance([2, 4, 4, 4, 5, 5, 7, 9]) == pytest.approx(32 / 7)


def test_variance_needs_two():
    with pytest.raises(ValueError):
        variance([1])


def test_clamp_inside_and_edges():
    assert clamp(5, 1, 10) == 5
    assert clamp(1, 1, 10) == 1
    assert clamp(10, 1, 10) == 10


def test_clamp_outside():
    assert clamp(-3, 0, 4) == 0
    assert clamp(9, 0, 4) == 4


def test_clamp_bad_bounds():
    with pytest.raises(ValueError):
        clamp(1, 5, 2)


def test_running_total():
    assert running_total([1, 2, 3]) == [1, 3, 6]
    assert running_total([]) == []
