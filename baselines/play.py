"""What training and evaluation share: the env of a config (:func:`make_env`), a progress
bar, and playing held-out seeds with an agent (:func:`evaluate_agent`).

:mod:`baselines.trainer` and :mod:`baselines.evaluate` both import from here (and neither
from the other at import time), so the two stay free of an import cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from .stats import summarize

if TYPE_CHECKING:
    from .config import TrainConfig

#: The env kwarg that picks a TextWorld game engine (its old spelling ``backend`` is still
#: honoured when a config's ``env_kwargs`` gives it).
ENGINE_KWARG = "engine"
_OLD_ENGINE_KWARG = "backend"


def offers_engine(env_id: str) -> bool:
    """Whether ``env_id`` is a TextWorld id, whose ``engine=`` picks ``inform7`` or ``native``
    (the family registry says which ids those are)."""
    from textagent_envs.knobs import KnobError
    from textagent_envs.registry import family

    try:
        return family(env_id).group == "textworld"
    except KnobError:
        return False


def env_kwargs(cfg: "TrainConfig") -> dict[str, Any]:
    """The keyword arguments ``make_env`` passes to the env: ``cfg.env_kwargs``, the extra
    infos the config's ``observation`` needs, and on TextWorld ids the game engine
    ``cfg.textworld_engine`` (unless ``env_kwargs`` picks one)."""
    from .presets import OBSERVATION_INFOS

    kwargs = dict(cfg.env_kwargs)
    needed = OBSERVATION_INFOS[cfg.observation]
    if needed:
        kwargs["extra_infos"] = tuple(dict.fromkeys((*kwargs.get("extra_infos", ()), *needed)))
    engine = getattr(cfg, "textworld_engine", "")
    if engine and ENGINE_KWARG not in kwargs and _OLD_ENGINE_KWARG not in kwargs and offers_engine(cfg.env):
        kwargs[ENGINE_KWARG] = engine
    return kwargs


def make_env(cfg: "TrainConfig"):
    """The env of a config: ``textagent_envs.make(env, reward=..., max_episode_steps=...,
    **env_kwargs(cfg))``."""
    import textagent_envs

    return textagent_envs.make(cfg.env, reward=cfg.reward, max_episode_steps=cfg.max_turns, **env_kwargs(cfg))


def progress_bar(show: bool, **kwargs: Any):
    """A tqdm bar (with its rate and time left) when ``show`` and stderr is a terminal, else None."""
    import sys

    if not show or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(**kwargs)


def evaluate_agent(agent: Any, envs: Sequence[Any], seeds: Sequence[int], *, greedy: bool = True, max_tokens: int = 4096,
                   progress: bool = False, keep: list | None = None) -> tuple[dict, list[dict]]:
    """Play ``seeds`` with ``agent``; returns (summary, episodes) with rollout timing. With
    ``progress``, a bar with the time left (on a terminal only). ``keep``, when given, is
    extended with the played :class:`~baselines.rollout.Episode` objects (transcripts)."""
    from .rollout import collect  # torch: loaded only when a model plays

    seeds = list(seeds)
    bar = progress_bar(progress, total=len(seeds), desc="evaluating", unit="episode")
    try:
        episodes, stats = collect(agent, envs, seeds, greedy=greedy, max_tokens=max_tokens,
                                  progress=bar.update if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    if keep is not None:
        keep.extend(episodes)
    rows = [dict(ep.summary(), commands=ep.commands) for ep in episodes]
    summary = summarize(rows)
    summary.update({"tokens_per_s": stats.tokens_per_s, "env_share": stats.env_share, "wall_s": stats.wall_s})
    return summary, rows
