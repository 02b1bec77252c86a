"""textagent_envs.checks: bools refused where numbers are asked for; bounds named in errors."""

import math

import numpy as np
import pytest

from textagent_envs.checks import is_int, is_number, require_bool, require_choice, require_int, require_number


def test_is_int_refuses_bool_and_accepts_numpy_ints():
    assert is_int(3) and is_int(np.int64(3))
    assert not is_int(True) and not is_int(3.0) and not is_int("3")


def test_is_number_refuses_bool_nan_inf():
    assert is_number(2) and is_number(0.5) and is_number(np.float32(0.5))
    assert not any(is_number(v) for v in (False, math.nan, math.inf, "1"))


@pytest.mark.parametrize("value", [True, 0, 4, 2.0, "2", None])
def test_require_int_refuses_out_of_range_and_non_ints(value):
    with pytest.raises(ValueError, match=r"level must be an int in \[1, 3\]"):
        require_int("level", value, minimum=1, maximum=3)


def test_require_int_returns_a_plain_int_and_uses_the_given_error():
    assert type(require_int("n", np.int32(5), minimum=1)) is int
    with pytest.raises(KeyError):
        require_int("n", -1, minimum=0, error=KeyError)


def test_require_number_positive_refuses_zero():
    assert require_number("t", 1) == 1.0
    with pytest.raises(ValueError, match="t must be a positive number, got 0"):
        require_number("t", 0, positive=True)
    with pytest.raises(ValueError, match=r"p must be a number in \[0.0, 1.0\]"):
        require_number("p", 1.5, minimum=0.0, maximum=1.0)


def test_require_bool_and_choice():
    assert require_bool("flag", False) is False
    with pytest.raises(TypeError, match="flag must be a bool, got 1"):
        require_bool("flag", 1)
    with pytest.raises(ValueError, match=r"mode must be one of \['a', 'b'\], got 'c'"):
        require_choice("mode", "c", ("a", "b"))
