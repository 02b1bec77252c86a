"""The Ray pool on a local cluster started here: batches of episodes across actors, GRPO
groups replay one task, and a killed actor (mid-batch) costs its episodes, each reported
once as truncated with truncation_reason="worker_lost", while the pool keeps serving."""

import asyncio
import os
import time

import pytest

ray = pytest.importorskip("ray", reason="needs ray (pip install -e '.[integrations]')")

from textagent_envs import infos  # noqa: E402
from textagent_envs.integrations.ray import WORKER_LOST, EnvPool  # noqa: E402

ENV_ID = "TextWorld-CoinCollector-v0"
KNOBS = {"engine": "native", "level": 2, "max_episode_steps": 6}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.environ.get("PYTHONPATH", ""), "OMP_NUM_THREADS": "1"}})
    yield str(tmp_path_factory.mktemp("node-cache"))
    ray.shutdown()


class SlowOnSleep:
    """make_env for the kill test: the command "sleep" takes a while (time to kill the actor)."""

    def __call__(self):
        import gymnasium as gym

        import textagent_envs

        class Wrapper(gym.Wrapper):
            def step(self, action):
                if action == "sleep":
                    time.sleep(30)
                return self.env.step(action)

        return Wrapper(textagent_envs.make(ENV_ID, **KNOBS))


def test_batches_across_actors_and_groups_replay_one_task(cluster):
    pool = EnvPool(ENV_ID, num_actors=2, envs_per_actor=4, env_kwargs=KNOBS, cache_dir=cluster, num_cpus=0.5)
    try:
        starts = pool.reset([5, 5, 5, 9])
        assert [s.episode for s in starts] == [0, 1, 2, 3] and pool.running == 4
        assert starts[0].observation == starts[1].observation == starts[2].observation != starts[3].observation
        walk = starts[3].info[infos.WALKTHROUGH]
        done = {}
        for command in walk:
            out = pool.step({e: command for e in (0, 3) if e not in done})
            done.update({e: r for e, r in out.items() if r.done})
        assert done[3].terminated and done[3].reward == 1.0 and 3 not in pool._where
        with pytest.raises(KeyError, match="not running"):
            pool.step({3: "look"})
        assert len({pool._where[e] for e in (1, 2)}) >= 1
        stats = pool.stats()
        assert sum(s["running"] for s in stats) == pool.running and all(s["max_rss_mb"] > 0 for s in stats)
        with pytest.raises(RuntimeError, match="free envs"):
            pool.reset([1] * 10)
        results = asyncio.run(pool.step_async({1: "look", 2: "look"}))
        assert set(results) == {1, 2} and all(r.observation for r in results.values())
    finally:
        pool.close()


def test_killed_actor_mid_batch_loses_its_episodes_once_and_the_pool_keeps_serving(cluster):
    pool = EnvPool(make_env=SlowOnSleep(), num_actors=2, envs_per_actor=3, cache_dir=cluster, num_cpus=0.5)
    try:
        starts = pool.reset([1, 2, 3, 4])
        on = {}
        for s in starts:
            on.setdefault(pool._where[s.episode], []).append(s.episode)
        victim = on[0][0]
        doomed, survivors = set(on[0]), set(on[1])
        dead_actor = pool.actors[0]
        actions = {e: ("sleep" if e == victim else "look") for e in doomed | survivors}

        async def batch_with_a_kill():
            task = asyncio.ensure_future(pool.step_async(actions))
            await asyncio.sleep(3)  # the victim's actor is inside env.step("sleep")
            ray.kill(dead_actor, no_restart=True)
            return await task

        results = asyncio.run(batch_with_a_kill())
        assert set(results) == doomed | survivors  # every episode answered exactly once
        for e in doomed:
            r = results[e]
            assert r.truncated and not r.terminated and r.info[infos.TRUNCATION_REASON] == WORKER_LOST
        assert all(not results[e].truncated for e in survivors)
        assert pool.replaced == 1 and pool.actors[0] is not dead_actor and pool.running == len(survivors)
        # the replacement serves new episodes; the survivors go on
        fresh = pool.reset([7, 7, 7])
        assert len(fresh) == 3 and pool.running == len(survivors) + 3
        out = pool.step({e: "look" for e in list(survivors) + [s.episode for s in fresh]})
        assert all(not r.truncated or r.info.get(infos.TRUNCATION_REASON) != WORKER_LOST for r in out.values())
    finally:
        pool.close()


def test_public_step_reports_a_dead_actor_as_worker_lost(cluster):
    pool = EnvPool(ENV_ID, num_actors=2, envs_per_actor=2, env_kwargs=KNOBS, cache_dir=cluster, num_cpus=0.5)
    try:
        starts = pool.reset([1, 2, 3])
        dead = {s.episode for s in starts if pool._where[s.episode] == 1}
        ray.kill(pool.actors[1], no_restart=True)
        out = pool.step({s.episode: "look" for s in starts})
        assert set(out) == {s.episode for s in starts}
        assert {e for e, r in out.items() if r.info.get(infos.TRUNCATION_REASON) == WORKER_LOST} == dead
        assert pool.replaced == 1 and len(pool.reset([4, 5])) == 2
    finally:
        pool.close()


def test_bad_pool_arguments():
    with pytest.raises(ValueError, match="exactly one"):
        EnvPool()
    with pytest.raises(ValueError, match="at least 1"):
        EnvPool(ENV_ID, num_actors=0)
