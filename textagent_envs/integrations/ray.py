"""Run many envs on Ray: a pool of actors, each holding many envs, with a batch API (sync
and asyncio), placement across nodes, a node-local game cache and fault handling.

    >>> import ray                                                      # doctest: +SKIP
    >>> from textagent_envs.integrations.ray import EnvPool             # doctest: +SKIP
    >>> ray.init()                                                      # doctest: +SKIP
    >>> pool = EnvPool("TextWorld-CoinCollector-v0", num_actors=4, envs_per_actor=64)  # doctest: +SKIP
    >>> starts = pool.reset([7] * 8)           # a GRPO group: 8 episodes of task 7  # doctest: +SKIP
    >>> results = pool.step({s.episode: "go north" for s in starts})    # doctest: +SKIP
    >>> results = await pool.step_async({...})                          # doctest: +SKIP

An episode is named by an integer ``episode`` id the pool hands out at reset; it lives on one
actor until it ends (terminated or truncated), then its env slot is free again.

Fault handling: when an actor dies (its process crashes or is killed, or its node goes),
every episode it held ends in the next ``step`` with ``truncated=True`` and
``info["truncation_reason"] == "worker_lost"`` (each exactly once), the actor is replaced by a
fresh one, and the pool keeps serving; a ``reset`` sent to a dead actor is retried on its
replacement, so no episode is lost or started twice.

Placement: actors are created with Ray's ``SPREAD`` scheduling strategy (one per node first)
unless ``scheduling_strategy`` says otherwise; each reads and writes generated games in the
node-local cache ``cache_dir`` (default ``/tmp/textagent_envs-cache``), so a game is
generated once per node. Needs ``ray`` (the ``integrations`` extra).
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

try:
    import ray
    from ray.exceptions import ActorDiedError, ActorUnavailableError, RayActorError
except ImportError as err:  # pragma: no cover - depends on the install
    raise ImportError(f"textagent_envs.integrations.ray needs ray: pip install -e '.[integrations]' ({err})") from None

from .. import infos

#: Truncation reason of an episode whose actor died.
WORKER_LOST = "worker_lost"
#: Default node-local game cache.
NODE_CACHE = "/tmp/textagent_envs-cache"
_DEAD = (RayActorError, ActorDiedError, ActorUnavailableError)


@dataclass
class Start:
    """A started episode: its id, first observation and info."""

    episode: int
    observation: str
    info: dict = field(default_factory=dict)


@dataclass
class Step:
    """One env step's answer for an episode."""

    episode: int
    observation: str
    reward: float
    terminated: bool
    truncated: bool
    info: dict = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.terminated or self.truncated


class EnvActor:
    """Holds up to ``capacity`` envs, keyed by episode id (the body of the Ray actor)."""

    def __init__(self, make_env: Callable[[], Any], capacity: int):
        self.make_env, self.capacity = make_env, capacity
        self.free: list[Any] = []
        self.running: dict[int, Any] = {}

    def reset(self, requests: Sequence[tuple[int, int | None, dict | None]]) -> list[tuple[int, str, dict]]:
        if len(self.running) + len(requests) > self.capacity:
            raise RuntimeError(f"actor is full: {len(self.running)} running + {len(requests)} > {self.capacity}")
        out = []
        for episode, seed, options in requests:
            env = self.free.pop() if self.free else self.make_env()
            obs, info = env.reset(seed=seed, options=options)
            self.running[episode] = env
            out.append((episode, obs, info))
        return out

    def step(self, actions: Sequence[tuple[int, str]]) -> list[tuple[int, str, float, bool, bool, dict]]:
        out = []
        for episode, action in actions:
            env = self.running.get(episode)
            if env is None:
                raise KeyError(f"episode {episode} is not running on this actor")
            obs, reward, terminated, truncated, info = env.step(action)
            if terminated or truncated:
                self.free.append(self.running.pop(episode))
            out.append((episode, obs, float(reward), bool(terminated), bool(truncated), info))
        return out

    def release(self, episodes: Sequence[int]) -> None:
        """End episodes early (their envs go back to the free list)."""
        for episode in episodes:
            env = self.running.pop(episode, None)
            if env is not None:
                self.free.append(env)

    def stats(self) -> dict:
        import resource

        return {"running": len(self.running), "envs": len(self.running) + len(self.free),
                "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}

    def pid(self) -> int:
        import os

        return os.getpid()


class _MakeEnv:
    """Picklable env factory for an id and its knobs."""

    def __init__(self, env_id: str, env_kwargs: dict):
        self.env_id, self.env_kwargs = env_id, env_kwargs

    def __call__(self):
        import textagent_envs

        return textagent_envs.make(self.env_id, **self.env_kwargs)


class EnvPool:
    """A pool of Ray actors, each holding up to ``envs_per_actor`` envs.

    Args:
        env_id: a registered id (``env_kwargs`` its knobs), or None with ``make_env``.
        num_actors: actors in the pool.
        envs_per_actor: envs (hence running episodes) per actor.
        make_env: a picklable zero-argument callable making an env (instead of ``env_id``).
        cache_dir: node-local game cache (``TEXTAGENT_ENVS_CACHE`` of every actor).
        num_cpus: CPUs each actor reserves (fractions allowed).
        scheduling_strategy: Ray's scheduling strategy for actors (default ``"SPREAD"``).

    Ray must be initialised (``ray.init(...)``) before the pool is made.
    """

    def __init__(self, env_id: str | None = None, *, num_actors: int = 2, envs_per_actor: int = 16,
                 env_kwargs: dict | None = None, make_env: Callable[[], Any] | None = None,
                 cache_dir: str = NODE_CACHE, num_cpus: float = 1.0, scheduling_strategy: Any = "SPREAD"):
        if (env_id is None) == (make_env is None):
            raise ValueError("give exactly one of env_id and make_env")
        if num_actors < 1 or envs_per_actor < 1:
            raise ValueError(f"num_actors and envs_per_actor must be at least 1, got {num_actors} and {envs_per_actor}")
        if not ray.is_initialized():
            raise RuntimeError("Ray is not running; call ray.init() (or ray.init(address='auto') on a cluster) first")
        if env_id is not None:
            import textagent_envs

            if env_id not in textagent_envs.ENV_IDS:
                raise ValueError(f"unknown env id {env_id!r}; known ids: {', '.join(textagent_envs.ENV_IDS)}")
            make_env = _MakeEnv(env_id, dict(env_kwargs or {}))
        self.make_env, self.envs_per_actor = make_env, envs_per_actor
        self._options = dict(num_cpus=num_cpus, scheduling_strategy=scheduling_strategy, max_restarts=0,
                             runtime_env={"env_vars": {"TEXTAGENT_ENVS_CACHE": cache_dir}})
        self._remote = ray.remote(EnvActor)
        self.actors = [self._spawn() for _ in range(num_actors)]
        self._where: dict[int, int] = {}  # running episode -> actor index
        self._ids = itertools.count()
        #: Actors replaced after dying, over the pool's life.
        self.replaced = 0

    def _spawn(self):
        return self._remote.options(**self._options).remote(self.make_env, self.envs_per_actor)

    def _replace(self, index: int, dead: Any) -> list[int]:
        """Replace a dead actor (once); return the episodes it held."""
        if self.actors[index] is dead:
            self.actors[index] = self._spawn()
            self.replaced += 1
        lost = [e for e, a in self._where.items() if a == index]
        for e in lost:
            del self._where[e]
        return lost

    @property
    def running(self) -> int:
        return len(self._where)

    @property
    def capacity(self) -> int:
        return len(self.actors) * self.envs_per_actor

    # --- reset ----------------------------------------------------------------------------
    def _place(self, n: int) -> list[int]:
        load = [0] * len(self.actors)
        for a in self._where.values():
            load[a] += 1
        if sum(self.envs_per_actor - x for x in load) < n:
            raise RuntimeError(f"the pool has {self.capacity - self.running} free envs, asked for {n}; "
                               "step running episodes to their end or make a bigger pool")
        out = []
        for _ in range(n):
            a = min(range(len(load)), key=lambda i: load[i])
            load[a] += 1
            out.append(a)
        return out

    def _reset_calls(self, seeds: Sequence[int | None], options: Sequence[dict | None] | dict | None):
        opts = list(options) if isinstance(options, (list, tuple)) else [options] * len(seeds)
        if len(opts) != len(seeds):
            raise ValueError(f"got {len(seeds)} seeds but {len(opts)} options")
        groups: dict[int, list] = {}
        for a, seed, opt in zip(self._place(len(seeds)), seeds, opts):
            groups.setdefault(a, []).append((next(self._ids), None if seed is None else int(seed), opt))
        return groups

    def _reset_done(self, groups, results) -> list[Start]:
        starts = []
        for a, out in zip(groups, results):
            for episode, obs, info in out:
                self._where[episode] = a
                starts.append(Start(episode, obs, info))
        return sorted(starts, key=lambda s: s.episode)

    def reset(self, seeds: Sequence[int | None], options: Sequence[dict | None] | dict | None = None) -> list[Start]:
        """Start one episode per seed (repeat a seed for a GRPO group); returns them in order."""
        groups = self._reset_calls(seeds, options)
        results = []
        for a, reqs in groups.items():
            for attempt in range(2):
                actor = self.actors[a]
                try:
                    results.append(ray.get(actor.reset.remote(reqs)))
                    break
                except _DEAD:
                    self._replace(a, actor)
                    if attempt:
                        raise
        return self._reset_done(groups, results)

    async def reset_async(self, seeds: Sequence[int | None], options: Sequence[dict | None] | dict | None = None) -> list[Start]:
        """:meth:`reset` for asyncio code."""
        groups = self._reset_calls(seeds, options)

        async def one(a, reqs):
            for attempt in range(2):
                actor = self.actors[a]
                try:
                    return await actor.reset.remote(reqs)
                except _DEAD:
                    self._replace(a, actor)
                    if attempt:
                        raise

        results = await asyncio.gather(*(one(a, r) for a, r in groups.items()))
        return self._reset_done(groups, results)

    # --- step -----------------------------------------------------------------------------
    def _step_calls(self, actions: dict[int, str]):
        groups: dict[int, list] = {}
        for episode, action in actions.items():
            if episode not in self._where:
                raise KeyError(f"episode {episode} is not running in this pool (ended, lost, or never started)")
            groups.setdefault(self._where[episode], []).append((episode, action))
        return groups, {a: self.actors[a] for a in groups}

    def _step_done(self, groups, actors, outcomes) -> dict[int, Step]:
        results: dict[int, Step] = {}
        for a, outcome in zip(groups, outcomes):
            if isinstance(outcome, _DEAD):
                for episode in self._replace(a, actors[a]):
                    results[episode] = Step(episode, "", 0.0, False, True, {infos.TRUNCATION_REASON: WORKER_LOST})
                continue
            if isinstance(outcome, BaseException):
                raise outcome
            for episode, obs, reward, terminated, truncated, info in outcome:
                results[episode] = Step(episode, obs, reward, terminated, truncated, info)
                if terminated or truncated:
                    self._where.pop(episode, None)
        return results

    def step(self, actions: dict[int, str]) -> dict[int, Step]:
        """Step a batch of episodes (``{episode: command}``) across actors in parallel.
        Episodes on a dead actor come back truncated (``"worker_lost"``), including those
        of that actor not in this batch: every lost episode is reported once."""
        groups, actors = self._step_calls(actions)
        refs = {a: actors[a].step.remote(reqs) for a, reqs in groups.items()}
        outcomes = []
        for a in groups:
            try:
                outcomes.append(ray.get(refs[a]))
            except _DEAD as err:
                outcomes.append(err)
        return self._step_done(groups, actors, outcomes)

    async def step_async(self, actions: dict[int, str]) -> dict[int, Step]:
        """:meth:`step` for asyncio code."""
        groups, actors = self._step_calls(actions)
        outcomes = await asyncio.gather(*(actors[a].step.remote(reqs) for a, reqs in groups.items()),
                                        return_exceptions=True)
        return self._step_done(groups, actors, outcomes)

    def release(self, episodes: Sequence[int]) -> None:
        """End running episodes early, freeing their envs."""
        by_actor: dict[int, list[int]] = {}
        for e in episodes:
            if e in self._where:
                by_actor.setdefault(self._where.pop(e), []).append(e)
        for a, es in by_actor.items():
            try:
                ray.get(self.actors[a].release.remote(es))
            except _DEAD:
                self._replace(a, self.actors[a])

    def stats(self) -> list[dict]:
        """Each live actor's running episodes, envs and peak memory."""
        out = []
        for actor in self.actors:
            try:
                out.append(ray.get(actor.stats.remote()))
            except _DEAD:
                out.append({"dead": True})
        return out

    def close(self) -> None:
        """Kill every actor (their envs go with them)."""
        for actor in self.actors:
            ray.kill(actor)
        self.actors, self._where = [], {}
