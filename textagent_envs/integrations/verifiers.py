"""verifiers: a ``vf.MultiTurnEnv`` over any textagent_envs id.

verifiers (PrimeIntellect's library, used by prime-rl and its Environments Hub) runs a
rollout as a chat: the model answers the prompt through an OpenAI-compatible client, the
environment answers with ``env_response``, until a stop condition fires; a rubric then
scores the finished state. :class:`TextAgentVerifiersEnv` plays one textagent_envs episode
per rollout:

    >>> import verifiers as vf                                                    # doctest: +SKIP
    >>> from textagent_envs.integrations.verifiers import load_environment        # doctest: +SKIP
    >>> env = load_environment("ALFWorld-v0", seeds=range(1000), max_turns=30)    # doctest: +SKIP
    >>> results = env.evaluate_sync(client, model="my-model", num_examples=8, rollouts_per_example=4)  # doctest: +SKIP

- Dataset: one row per seed (``info = {"seed": N}``); verifiers repeats a row
  ``rollouts_per_example`` times, so a GRPO group replays the very same task. The row's
  prompt is a placeholder: at the start of each rollout (``setup_state``) the env is reset
  on the row's seed and ``state["prompt"]`` becomes the task's real first messages (the
  system message and first user message of :class:`~textagent_envs.chat.PromptTemplate`),
  as verifiers' own OpenEnv environment does.
- Turns: the env command is the reply's last non-empty line (``parse_action``); the next
  user message is ``PromptTemplate.next_user`` filled with the observation. When the episode
  ends (won, lost, or the ``max_turns`` step budget) the final observation is sent as
  ``final_env_response`` and the rollout stops (``stop_condition ==
  "has_final_env_response"``). verifiers' own ``max_turns`` is not used: it would stop
  before the env saw the last reply, so every reply is played.
- Rubric: ``env_return`` (weight 1: the sum of the env's step rewards, exactly the env's
  return) and the metric ``env_success`` (weight 0). Each trajectory step's ``reward`` is
  that step's env reward.

Token-exactness is the client's job in verifiers: the env returns plain user messages that
append to the chat (it never rewrites an earlier turn), so verifiers' token client
(``client_type="openai_chat_completions_token"`` against vLLM: the previous turns' engine
tokens kept, only the new messages tokenised) keeps the sampled tokens, and its trajectory
equals a :class:`~textagent_envs.chat.ChatEnv` ledger of the same replies (tested). Its
plain chat client re-renders the history from text each turn and can drift. Needs
``verifiers==0.3.1`` (the classic ``vf.MultiTurnEnv`` API; 0.4.0 replaced it), installed
``--no-deps`` by ``make test``: see docs/integrations.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

try:
    import verifiers as vf
    from datasets import Dataset
except ImportError as err:  # pragma: no cover - depends on the install
    raise ImportError(f"textagent_envs.integrations.verifiers needs verifiers 0.3.1 and datasets "
                      f"(pip install --no-deps verifiers==0.3.1; see docs/integrations.md): {err}") from None

from .. import infos
from ..chat import PromptTemplate, last_line

#: State keys this env adds (the live env is removed again at cleanup).
ENV_STATE, RETURN_STATE, SUCCESS_STATE, SEED_STATE = "textagent_env", "env_return", "env_success", "env_seed"


def env_return(state: dict) -> float:
    """The episode's return: the sum of the env's step rewards."""
    return float(state.get(RETURN_STATE, 0.0))


def env_success(state: dict) -> float:
    """1.0 when the episode was won, else 0.0."""
    return float(bool(state.get(SUCCESS_STATE, False)))


def _text(message: Any) -> str:
    content = message.get("content") if isinstance(message, dict) else getattr(message, "content", None)
    if isinstance(content, list):  # content parts
        return "".join(str(p.get("text", "") if isinstance(p, dict) else getattr(p, "text", "")) for p in content)
    return str(content or "")


class TextAgentVerifiersEnv(vf.MultiTurnEnv):
    """One textagent_envs episode per verifiers rollout (see the module docstring).

    Args:
        env_id: a textagent_envs id.
        seeds: the tasks of the training dataset (one row each).
        eval_seeds: the tasks of the eval dataset (default: none).
        env_kwargs: the id's knobs, passed to ``textagent_envs.make``.
        max_turns: the env's step budget (``max_episode_steps``); the episode then ends truncated.
        template: the prompt's words.
        offer_choices: list the admissible commands in each user message.
        parse_action: reply text -> env command (default: its last non-empty line).
        **kwargs: passed to ``vf.MultiTurnEnv`` (``sampling_args``, ``max_workers``, ...).
    """

    def __init__(self, env_id: str, seeds: Iterable[int] = range(100), eval_seeds: Iterable[int] | None = None, *,
                 env_kwargs: dict | None = None, max_turns: int = 20, template: PromptTemplate = PromptTemplate(),
                 offer_choices: bool = False, parse_action: Callable[[str], str] = last_line, **kwargs: Any):
        import textagent_envs

        if env_id not in textagent_envs.ENV_IDS:
            raise ValueError(f"unknown env id {env_id!r}; the ids are textagent_envs.ENV_IDS")
        if max_turns < 1:
            raise ValueError(f"max_turns must be at least 1, got {max_turns}")
        self.task_env_id, self.env_kwargs, self.task_max_turns = env_id, dict(env_kwargs or {}), int(max_turns)
        self.template, self.offer_choices, self.parse_action = template, offer_choices, parse_action
        eval_rows = None if eval_seeds is None else self._rows(eval_seeds)
        super().__init__(dataset=self._rows(seeds), eval_dataset=eval_rows, rubric=vf.Rubric(
            funcs=[env_return, env_success], weights=[1.0, 0.0]), max_turns=-1, **kwargs)

    def _rows(self, seeds: Iterable[int]) -> Dataset:
        rows = [{"prompt": [{"role": "user", "content": f"{self.task_env_id} task, seed {int(s)} (replaced at reset)"}],
                 "info": {"seed": int(s)}} for s in seeds]
        if not rows:
            raise ValueError("seeds is empty: give at least one seed (a task) per dataset")
        return Dataset.from_list(rows)

    def _choices_line(self, info: dict) -> str:
        choices = info.get(infos.ADMISSIBLE_COMMANDS) if self.offer_choices else None
        if not choices or not self.template.show_choices:
            return ""
        return self.template.choices_line.format(choices=", ".join(choices))

    def make_env(self):
        """A fresh env for one rollout (``textagent_envs.make`` with the knobs and step budget)."""
        import textagent_envs

        return textagent_envs.make(self.task_env_id, max_episode_steps=self.task_max_turns, **self.env_kwargs)

    async def setup_state(self, state: vf.State) -> vf.State:
        info = state.get("info") or {}
        seed = int(info["seed"])
        env = self.make_env()
        state[ENV_STATE], state[SEED_STATE], state[RETURN_STATE], state[SUCCESS_STATE] = env, seed, 0.0, False
        obs, env_info = await asyncio.to_thread(env.reset, seed=seed, options=info.get("options"))
        first = self.template.first_user.format(objective=env_info.get(infos.OBJECTIVE, ""), observation=obs.strip(),
                                                choices_line=self._choices_line(env_info))
        system = [vf.SystemMessage(content=self.template.system)] if self.template.system else []
        state["prompt"] = system + [vf.UserMessage(content=first)]
        return state

    async def env_response(self, messages: vf.Messages, state: vf.State, **kwargs: Any) -> vf.Messages:
        command = self.parse_action(_text(messages[-1]))
        obs, reward, terminated, truncated, info = await asyncio.to_thread(state[ENV_STATE].step, command)
        state[RETURN_STATE] += float(reward)
        state[SUCCESS_STATE] = bool(info.get(infos.SUCCESS, False))
        if state["trajectory"]:
            state["trajectory"][-1]["reward"] = float(reward)
        if terminated or truncated:
            state["env_terminated"], state["env_truncated"] = bool(terminated), bool(truncated)
            final = [vf.UserMessage(content=obs.strip() or "(the episode is over)")]
            state["final_env_response"] = final
            return final
        return [vf.UserMessage(content=self.template.next_user.format(observation=obs.strip(),
                                                                      choices_line=self._choices_line(info)))]

    @vf.cleanup
    async def close_task_env(self, state: vf.State) -> None:
        env = state.pop(ENV_STATE, None)
        if env is not None:
            env.close()


def load_environment(env_id: str = "TextWorld-CoinCollector-v0", **kwargs: Any) -> TextAgentVerifiersEnv:
    """verifiers' entry point (``vf.load_environment`` convention): a
    :class:`TextAgentVerifiersEnv` over ``env_id`` (keyword arguments as its constructor's)."""
    return TextAgentVerifiersEnv(env_id, **kwargs)
