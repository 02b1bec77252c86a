"""Many threads making and resetting TextWorld and ALFWorld envs at once, in one process
(verl's agent loops and env servers do this): no error, and the same games as one thread."""

import threading

import gymnasium as gym
import pytest

from textagent_envs import infos

THREADS = 8
#: Fewer with isolation="process": each env starts a Python process (seconds on 2 cores).
PROCESS_THREADS = 4
SEEDS = (1, 2, 3)


def _run_in_threads(make, seeds, n_threads=THREADS):
    """Each thread makes an env, plays every seed's walkthrough, and records what it saw."""
    results, errors = {}, []

    def work(index):
        try:
            env = make()
            try:
                seen = []
                for seed in seeds[index % len(seeds):] + seeds[: index % len(seeds)]:
                    obs, info = env.reset(seed=seed)
                    for command in info[infos.WALKTHROUGH]:
                        *_, info = env.step(command)
                    seen.append((seed, obs, info[infos.WON]))
                results[index] = sorted(seen)
            finally:
                env.close()
        except Exception as err:  # collected and reported below
            errors.append(f"thread {index}: {type(err).__name__}: {err}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@pytest.mark.parametrize("backend", ["inform7", "native"])
@pytest.mark.parametrize("isolation", ["none", "process"])
def test_textworld_envs_in_many_threads_on_cold_and_warm_caches(backend, isolation, tmp_path):
    def make():
        return gym.make(
            "TextWorld-Custom-v0", world_size=1, nb_objects=2, quest_length=2,
            engine=backend, isolation=isolation, cache_dir=tmp_path,
        )

    n_threads = PROCESS_THREADS if isolation == "process" else THREADS
    cold = _run_in_threads(make, SEEDS, n_threads)  # every thread generates the same games at once
    warm = _run_in_threads(make, SEEDS, n_threads)  # every thread loads them from the cache at once
    expected = next(iter(cold.values()))
    assert all(seen == expected for seen in [*cold.values(), *warm.values()])
    assert all(won for _, _, won in expected)


def test_cooking_generation_in_many_threads(tmp_path):
    # tw-cooking re-parses TextWorld's knowledge base and grammar while generating.
    cold = _run_in_threads(lambda: gym.make("TextWorld-Cooking-v0", level=1, engine="native", cache_dir=tmp_path), (4, 5))
    assert len({tuple(v) for v in cold.values()}) == 1


@pytest.mark.parametrize("engine", ["fast", "pddl"])
def test_alfworld_envs_in_many_threads(engine, tmp_path):
    results = _run_in_threads(lambda: gym.make("ALFWorld-v0", level=1, engine=engine, cache_dir=tmp_path), (1, 2))
    assert len({tuple(v) for v in results.values()}) == 1
