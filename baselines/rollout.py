"""Batched multi-turn rollouts: many episodes at once, one batched model call per turn.

:func:`collect` plays one episode per ``(seed, group)`` pair on a pool of environments,
in lockstep: every turn the agent replies for all running episodes in one batch, then each
env steps. Each episode is one token sequence built piece by piece (prompt, reply, turn,
reply, ...), with the loss mask over the agent's own tokens, the log-probabilities recorded
when they were sampled, and each turn's reward on the last token of its reply.

Each wave keeps its episodes' KV cache across turns (:class:`~baselines.kvcache.TurnCache`,
unless the agent's ``kv_cache`` is off): a turn runs only the tokens that arrived since the
previous one (the last reply and the new observation), not the whole context.

Episodes of the same group replay the same task (``env.reset(seed=s)`` plays the same game
every time), which is what GRPO and RLOO compare.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Sequence

from textagent_envs import infos

from .policy import Agent


@dataclass
class Episode:
    """One episode as the trainer sees it (all lists are per token of ``tokens``)."""

    tokens: list[int] = field(default_factory=list)
    #: 1 on the agent's own (sampled) tokens.
    mask: list[int] = field(default_factory=list)
    #: Log-probability of each agent token when it was sampled (0 elsewhere).
    logprobs: list[float] = field(default_factory=list)
    #: 1 on the last token of each reply.
    turn_end: list[int] = field(default_factory=list)
    #: Each turn's env reward on its ``turn_end`` token (0 elsewhere).
    rewards: list[float] = field(default_factory=list)
    seed: int = 0
    group: int = 0
    commands: list[str] = field(default_factory=list)
    success: bool = False
    terminated: bool = False
    truncated: bool = False
    #: Index in ``tokens`` of each reply's first token (where its decision was made).
    reply_start: list[int] = field(default_factory=list)
    #: Choice mode, per turn: the offered commands as replies (token ids), the index chosen,
    #: and the log-probability of that choice under the softmax over the offered commands.
    candidates: list[list[list[int]]] = field(default_factory=list)
    choice: list[int] = field(default_factory=list)
    choice_logprobs: list[float] = field(default_factory=list)
    #: An episode cut short (turn budget or token limit, not won or lost): the tokens of the
    #: turn that would have followed, so a critic can value the state it was cut in.
    final_turn: list[int] | None = None
    #: For transcripts, per turn: the observation text shown before the reply (as the model
    #: saw it, without the prompt's words), the reply's text, and after the last reply the
    #: observation that ended the episode.
    observations: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    final_observation: str = ""

    @property
    def total_reward(self) -> float:
        return float(sum(self.rewards))

    @property
    def turns(self) -> int:
        return int(sum(self.turn_end))

    def append(self, ids: Sequence[int], *, agent: bool, logprobs: Sequence[float] | None = None) -> None:
        self.tokens.extend(ids)
        self.mask.extend([int(agent)] * len(ids))
        self.logprobs.extend(logprobs if logprobs is not None else [0.0] * len(ids))
        self.turn_end.extend([0] * len(ids))
        self.rewards.extend([0.0] * len(ids))

    def add_reply(self, reply: Any) -> None:
        """Append the agent's reply (a :class:`~baselines.policy.Reply`) as one turn."""
        self.reply_start.append(len(self.tokens))
        self.append(reply.ids, agent=True, logprobs=reply.logprobs)
        self.turn_end[-1] = 1
        self.commands.append(reply.command)
        self.replies.append(str(reply.extra.get("text", reply.command)))
        if reply.candidates is not None:
            self.candidates.append([list(c) for c in reply.candidates])
            self.choice.append(int(reply.choice))
            self.choice_logprobs.append(float(reply.choice_logprob))

    def record(self, reward: float, terminated: bool, truncated: bool, info: dict) -> bool:
        """Note the env's answer to the last command; True when it ended the episode."""
        self.rewards[-1] = float(reward)
        self.success = bool(info.get(infos.SUCCESS, False))
        if terminated or truncated:
            self.terminated, self.truncated = bool(terminated), bool(truncated)
            return True
        return False

    def transcript(self, limit: int = 2000) -> list[dict[str, Any]]:
        """Each turn as ``{observation, reply, command, reward}`` (texts cut to ``limit``
        characters), for the run viewer."""
        ends = [j for j, e in enumerate(self.turn_end) if e]
        cut = lambda text: text if len(text) <= limit else text[:limit] + " [...]"  # noqa: E731
        return [{"observation": cut(obs), "reply": cut(reply), "command": cut(cmd), "reward": self.rewards[end]}
                for obs, reply, cmd, end in zip(self.observations, self.replies, self.commands, ends)]

    def summary(self) -> dict[str, Any]:
        return {"seed": self.seed, "group": self.group, "success": self.success, "return": self.total_reward,
                "steps": self.turns, "terminated": self.terminated, "truncated": self.truncated}


@dataclass
class RolloutStats:
    """Where a rollout's time went."""

    wall_s: float = 0.0
    #: Time in env.reset and env.step (reset_s is the reset part of it).
    env_s: float = 0.0
    reset_s: float = 0.0
    agent_tokens: int = 0
    turns: int = 0
    #: Context tokens run through the model to reach each turn's decision (generated tokens
    #: not included), and those read from the KV cache kept across turns instead.
    prefill_tokens: int = 0
    cached_tokens: int = 0
    #: Turns whose context did not extend what the cache held for the episode (run again
    #: from the common prefix); 0 when the chat ledger only appends, as it does.
    cache_fallbacks: int = 0

    @property
    def env_share(self) -> float:
        return self.env_s / self.wall_s if self.wall_s else 0.0

    @property
    def tokens_per_s(self) -> float:
        return self.agent_tokens / self.wall_s if self.wall_s else 0.0


def collect(agent: Agent, envs: Sequence[Any], seeds: Sequence[int], groups: Sequence[int] | None = None, *,
            greedy: bool = False, max_tokens: int = 4096, progress: Any = None) -> tuple[list[Episode], RolloutStats]:
    """Play one episode per seed (``groups[i]`` labels episode ``i``) on ``envs``, at most
    ``len(envs)`` at a time. An episode whose sequence would exceed ``max_tokens`` is cut off
    (``truncated``). ``progress(n)``, when given, is called with the number of episodes of
    each finished wave. Returns the episodes in the order of ``seeds`` and the time split."""
    if not envs:
        raise ValueError("collect needs at least one env")
    groups = list(groups) if groups is not None else list(range(len(seeds)))
    if len(groups) != len(seeds):
        raise ValueError(f"got {len(seeds)} seeds but {len(groups)} group labels")
    stats = RolloutStats()
    start = time.perf_counter()
    episodes: list[Episode] = []
    for wave in range(0, len(seeds), len(envs)):
        wave_seeds = list(seeds[wave: wave + len(envs)])
        episodes.extend(_play_wave(agent, envs, wave_seeds, groups[wave: wave + len(envs)], greedy, max_tokens, stats))
        if progress is not None:
            progress(len(wave_seeds))
    stats.wall_s = time.perf_counter() - start
    stats.agent_tokens = sum(sum(ep.mask) for ep in episodes)
    return episodes, stats


def _play_wave(agent, envs, seeds, groups, greedy, max_tokens, stats) -> list[Episode]:
    chat = agent.chat
    cache = agent.turn_cache()  # each turn runs only the tokens the cache does not hold yet
    episodes = [Episode(seed=int(s), group=int(g)) for s, g in zip(seeds, groups)]
    choices: list[list[str] | None] = []
    for env, ep in zip(envs, episodes):
        t0 = time.perf_counter()
        obs, info = env.reset(seed=int(ep.seed))
        stats.env_s += time.perf_counter() - t0
        stats.reset_s += time.perf_counter() - t0
        offered = agent.offered(info.get(infos.ADMISSIBLE_COMMANDS))
        choices.append(offered)
        shown = agent.observe(obs, info)
        ep.observations.append(shown)
        ep.append(chat.prompt_ids(info.get(infos.OBJECTIVE, ""), shown, offered), agent=False)
    running = list(range(len(episodes)))
    while running:
        contexts = [episodes[i].tokens for i in running]
        if cache is None:
            stats.prefill_tokens += sum(len(c) for c in contexts)
        replies = agent.act(contexts, [choices[i] for i in running] if agent.mode == "choice" else None, greedy=greedy,
                            cache=cache, keys=running)
        stats.turns += len(running)
        still = []
        for i, reply in zip(running, replies):
            ep = episodes[i]
            ep.add_reply(reply)
            t0 = time.perf_counter()
            obs, reward, terminated, truncated, info = envs[i].step(reply.command)
            stats.env_s += time.perf_counter() - t0
            shown = agent.observe(obs, info)
            if ep.record(reward, terminated, truncated, info):
                ep.final_observation = shown
                if ep.truncated and not ep.terminated:  # cut by the turn budget: keep the state it was cut in
                    ep.final_turn = chat.turn_ids(shown, reply.ids, agent.offered(info.get(infos.ADMISSIBLE_COMMANDS)))
                continue
            offered = agent.offered(info.get(infos.ADMISSIBLE_COMMANDS))
            choices[i] = offered
            turn = chat.turn_ids(shown, reply.ids, offered)
            if len(ep.tokens) + len(turn) + agent.max_new_tokens > max_tokens:
                ep.truncated, ep.final_turn, ep.final_observation = True, turn, shown  # cut by the token limit
                continue
            ep.observations.append(shown)
            ep.append(turn, agent=False)
            still.append(i)
        running = still
    if cache is not None:
        stats.prefill_tokens += cache.prefilled
        stats.cached_tokens += cache.reused
        stats.cache_fallbacks += cache.fallbacks
    return episodes
