from calckit.intervals import contains, length, merge, overlaps


def test_overlaps():
    assert overlaps((1, 3), (3, 5))
    assert not overlaps((1, 2), (4, 5))


def test_length():
    assert length((3, 3)) == 1
    assert length((2, 6)) == 5


def test_merge():
    assert merge([(6, 7), (1, 3), (2, 4)]) == [(1, 4), (6, 7)]
    assert merge([(1, 2), (4, 5)]) == [(1, 2), (4, 5)]
    assert merge([(1, 2), (3, 5)]) == [(1, 5)]


def test_contains():
    assert contains((1, 5), 1) and contains((1, 5), 5)
    assert not contains((1, 5), 6)
