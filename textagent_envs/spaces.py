"""A free-text space for observations and actions of text environments.

gymnasium's :class:`~gymnasium.spaces.Text` only contains strings made of a fixed
character set (alphanumerics by default), so ordinary game text ("You see a chest.")
is not in it. :class:`FreeText` contains every ``str`` up to ``max_length`` characters;
it samples printable ASCII.
"""

from __future__ import annotations

import multiprocessing as mp
import string
from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import (
    batch_space,
    concatenate,
    create_empty_array,
    create_shared_memory,
    read_from_shared_memory,
    write_to_shared_memory,
)

_SAMPLE_CHARSET = np.array(list(string.printable[:-5]))  # printable without \t\n\r\x0b\x0c


class FreeText(spaces.Space[str]):
    """Every Python ``str`` of at most ``max_length`` characters (any characters).

    >>> FreeText().contains("You see a chest; it's locked.")
    True
    """

    def __init__(self, max_length: int = 1_000_000, *, min_length: int = 0, seed: int | np.random.Generator | None = None):
        if not isinstance(max_length, int) or max_length < 1:
            raise ValueError(f"max_length must be a positive int, got {max_length!r}")
        if not isinstance(min_length, int) or not 0 <= min_length <= max_length:
            raise ValueError(f"min_length must be an int in [0, max_length], got {min_length!r}")
        self.max_length = max_length
        self.min_length = min_length
        super().__init__(dtype=str, seed=seed)

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        """A random string of printable ASCII, at most 32 characters (or ``max_length``)."""
        if mask is not None or probability is not None:
            raise NotImplementedError("FreeText.sample does not take a mask or probability")
        upper = min(self.max_length, max(self.min_length, 32))
        length = int(self.np_random.integers(self.min_length, upper + 1))
        return "".join(self.np_random.choice(_SAMPLE_CHARSET, size=length))

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def to_jsonable(self, sample_n: list[str]) -> list[str]:
        return list(sample_n)

    def from_jsonable(self, sample_n: list[str]) -> list[str]:
        return list(sample_n)

    def __repr__(self) -> str:
        return f"FreeText(max_length={self.max_length})"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, FreeText) and (other.min_length, other.max_length) == (self.min_length, self.max_length)


# Batched FreeText is a tuple of strings, as gymnasium does for its own Text space.
@batch_space.register(FreeText)
def _batch_free_text(space: FreeText, n: int = 1) -> spaces.Tuple:
    return spaces.Tuple([FreeText(space.max_length, min_length=space.min_length) for _ in range(n)])


@concatenate.register(FreeText)
def _concatenate_free_text(space: FreeText, items, out) -> tuple[str, ...]:
    return tuple(items)


@create_empty_array.register(FreeText)
def _empty_free_text(space: FreeText, n: int = 1, fn=np.zeros) -> tuple[str, ...]:
    return tuple("" for _ in range(n))


# Shared memory (AsyncVectorEnv's default): each env gets a row of max_length + 1 int32
# code points, the first holding the string's length. The batch read from it is a live
# view, so the vector env sees every new observation without copying at each step.
@create_shared_memory.register(FreeText)
def _create_free_text_shared_memory(space: FreeText, n: int = 1, ctx=mp):
    return ctx.Array(np.dtype(np.int32).char, n * (space.max_length + 1))


class SharedTextBatch(Sequence):
    """A live, read-only view of the strings a vector env keeps in shared memory."""

    def __init__(self, shared_memory, n: int, width: int):
        self._rows = np.frombuffer(shared_memory.get_obj(), dtype=np.int32).reshape(n, width)

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        row = self._rows[index]
        return row[1 : 1 + int(row[0])].tobytes().decode("utf-32-le")

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    def __repr__(self) -> str:
        return repr(tuple(self))

    def __deepcopy__(self, memo) -> tuple[str, ...]:
        return tuple(self)


@read_from_shared_memory.register(FreeText)
def _read_free_text_shared_memory(space: FreeText, shared_memory, n: int = 1) -> SharedTextBatch:
    return SharedTextBatch(shared_memory, n, space.max_length + 1)


@write_to_shared_memory.register(FreeText)
def _write_free_text_shared_memory(space: FreeText, index: int, value: str, shared_memory) -> None:
    width = space.max_length + 1
    codes = np.frombuffer(value.encode("utf-32-le", errors="surrogatepass"), dtype=np.int32)
    if len(codes) > space.max_length:
        raise ValueError(f"text of {len(codes)} characters does not fit {space!r}")
    row = np.frombuffer(shared_memory.get_obj(), dtype=np.int32)[index * width : (index + 1) * width]
    row[0] = len(codes)
    row[1 : 1 + len(codes)] = codes
