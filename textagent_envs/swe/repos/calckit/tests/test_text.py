import pytest

from calckit.text import chunk, is_palindrome, title_case, truncate, word_count


def test_word_count():
    assert word_count("the quick  brown fox") == 4
    assert word_count("") == 0


def test_palindrome():
    assert is_palindrome("A man, a plan, a canal: Panama")
    assert not is_palindrome("python")


def test_chunk():
    assert chunk([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    assert chunk([], 3) == []


def test_chunk_bad_size():
    with pytest.raises(ValueError):
        chunk([1], 0)


def test_title_case():
    assert title_case("hello WORLD") == "Hello World"
    assert title_case("a  b") == "A  B"


def test_truncate():
    assert truncate("hello", 10) == "hello"
    assert truncate("hello world", 8) == "hello..."
    assert truncate("hello", 5) == "hello"
