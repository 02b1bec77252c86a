import copy
import multiprocessing as mp

import pytest
from gymnasium.vector.utils import batch_space, create_shared_memory, read_from_shared_memory, write_to_shared_memory

from textagent_envs.spaces import FreeText


def test_contains_ordinary_game_text_and_only_str():
    space = FreeText(100)
    assert space.contains("You see a chest; it's locked. (Really!) 100% \\ é ☃")
    assert space.contains("")
    assert not space.contains(b"bytes")
    assert not space.contains(3)
    assert not space.contains("x" * 101)


def test_samples_are_members_and_seeded():
    a, b = FreeText(20, seed=3), FreeText(20, seed=3)
    samples = [a.sample() for _ in range(50)]
    assert samples == [b.sample() for _ in range(50)]
    assert all(a.contains(s) for s in samples)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "10"])
def test_rejects_bad_length(bad):
    with pytest.raises(ValueError, match="max_length"):
        FreeText(bad)


def test_batch_space_is_tuple_of_free_text():
    batched = batch_space(FreeText(50), 3)
    assert len(batched.spaces) == 3 and all(s == FreeText(50) for s in batched.spaces)


def test_shared_memory_round_trip_with_unicode_and_live_view():
    space = FreeText(40)
    memory = create_shared_memory(space, n=2, ctx=mp.get_context("fork"))
    view = read_from_shared_memory(space, memory, n=2)
    write_to_shared_memory(space, 0, "north; é☃ 😀", memory)
    write_to_shared_memory(space, 1, "", memory)
    assert tuple(view) == ("north; é☃ 😀", "")
    write_to_shared_memory(space, 1, "later", memory)
    assert view[1] == "later"  # a live view, as the async vector env needs
    assert copy.deepcopy(view) == ("north; é☃ 😀", "later")
    with pytest.raises(ValueError, match="does not fit"):
        write_to_shared_memory(space, 0, "x" * 41, memory)
