"""Throughput and memory of the Ray env pool against a single-process loop.

Both play the same workload: ``--envs`` episodes of TextWorld-CoinCollector (native
backend by default, ``--backend inform7`` for Jericho; level 2, 20-step budget) at a time, each stepped with seeded random admissible
commands, a finished episode replaced by a new one, for ``--seconds`` seconds.

* ``loop``: one process, a list of envs, ``env.step`` one after the other;
* ``pool``: :class:`textagent_envs.integrations.ray.EnvPool` with ``--actors`` actors of
  ``envs / actors`` envs each, one batched ``pool.step`` per round.

Reported: env steps per second, and memory: the peak RSS of the loop's process (and per
env, over an empty process with the package imported) next to each actor's peak RSS.
Compare ratios, not absolute numbers (the machine is shared and noisy).

Run from the repository root::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_ray_pool.py --envs 32 --actors 2 --seconds 20
"""

from __future__ import annotations

import argparse
import random
import resource
import time

ENV_ID = "TextWorld-CoinCollector-v0"
KNOBS = {"engine": "native", "level": 2, "max_episode_steps": 20}


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_loop(n: int, seconds: float) -> dict:
    import textagent_envs

    base = rss_mb()
    rng = random.Random(0)
    envs = [textagent_envs.make(ENV_ID, **KNOBS) for _ in range(n)]
    admissible = []
    seed = 0
    for env in envs:
        _, info = env.reset(seed=seed % 8)
        seed += 1
        admissible.append(info["admissible_commands"])
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for i, env in enumerate(envs):
            _, _, terminated, truncated, info = env.step(rng.choice(admissible[i]))
            steps += 1
            if terminated or truncated:
                _, info = env.reset(seed=seed % 8)
                seed += 1
            admissible[i] = info["admissible_commands"]
    wall = time.perf_counter() - start
    return {"steps_per_s": steps / wall, "rss_mb": rss_mb(), "rss_per_env_mb": (rss_mb() - base) / n}


def run_pool(n: int, actors: int, seconds: float) -> dict:
    import ray

    from textagent_envs.integrations.ray import EnvPool

    ray.init(num_cpus=actors, include_dashboard=False, log_to_driver=False)
    pool = EnvPool(ENV_ID, num_actors=actors, envs_per_actor=n // actors, env_kwargs=KNOBS, num_cpus=1)
    rng = random.Random(0)
    seed = 0
    starts = pool.reset([s % 8 for s in range(n)])
    seed = n
    admissible = {s.episode: s.info["admissible_commands"] for s in starts}
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        out = pool.step({e: rng.choice(a) for e, a in admissible.items()})
        steps += len(out)
        ended = [e for e, r in out.items() if r.done]
        for e, r in out.items():
            if not r.done:
                admissible[e] = r.info["admissible_commands"]
            else:
                del admissible[e]
        if ended:
            for s in pool.reset([(seed + k) % 8 for k in range(len(ended))]):
                admissible[s.episode] = s.info["admissible_commands"]
            seed += len(ended)
    wall = time.perf_counter() - start
    stats = pool.stats()
    pool.close()
    ray.shutdown()
    return {"steps_per_s": steps / wall, "actor_rss_mb": [round(s["max_rss_mb"]) for s in stats]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", type=int, default=32)
    parser.add_argument("--actors", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--backend", default="native", choices=["native", "inform7"],
                        help="TextWorld backend: native (pure Python, fast) or inform7 (Jericho, ~30x slower steps)")
    args = parser.parse_args()
    KNOBS["engine"] = args.backend
    import textagent_envs  # noqa: F401 - the baseline RSS includes the package

    loop = run_loop(args.envs, args.seconds)
    pool = run_pool(args.envs, args.actors, args.seconds)
    print(f"backend {args.backend}\n| runner | envs | steps/s | memory |\n|---|---|---|---|\n"
          f"| single-process loop | {args.envs} | {loop['steps_per_s']:.0f} | {loop['rss_mb']:.0f} MB peak RSS "
          f"({loop['rss_per_env_mb']:.1f} MB per env) |\n"
          f"| EnvPool, {args.actors} actors | {args.envs} | {pool['steps_per_s']:.0f} | "
          f"{', '.join(str(r) for r in pool['actor_rss_mb'])} MB peak RSS per actor |\n"
          f"\nratio pool / loop: {pool['steps_per_s'] / loop['steps_per_s']:.2f}x steps/s")


if __name__ == "__main__":
    main()
